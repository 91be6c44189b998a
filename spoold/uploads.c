/*
 * uploads.c - deliveries to network destinations, run by cloudspool-upload.
 *
 * The daemon holds the spool keys, so it speaks no network protocol itself:
 * each delivery to a cloud, WebDAV or S3 destination is one uploader child
 * (doc/UPLOAD-PROTOCOL.md) that gets the document on fd 0 and a control
 * socket on fd 3. The daemon loop polls the sockets, so a slow server never
 * stalls pickup or other deliveries, and it caps the uploaders running per
 * destination at the destination's `concurrency`.
 *
 * Exactly once: every checkpoint the uploader sends (session URI, offset,
 * part list) is sealed into the job's record before the uploader is told to
 * go on, so after a crash or restart the next uploader resumes from it and
 * asks the provider what it already has instead of sending a second copy.
 *
 * A job shredded undelivered (its window closed) whose record holds an
 * upload state first gets one more uploader run with "abandon": true and
 * an empty document: the provider removes what the job left on the
 * server (a Nextcloud upload folder, a WebDAV temporary); only then is
 * the job shredded, whatever that run answers (uploads_abandon).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/close_range.h>

#include "daemon.h"
#include "log.h"
#include "oauth.h"
#include "privs.h"
#include "safefile.h"
#include "uploads.h"

#define UPLOAD_MSG_MAX 65536
#define UPLOAD_DEFAULT_CONCURRENCY 4
#define UPLOAD_CPU_SECONDS 3600
#define UPLOAD_MEMORY (1ULL << 30)
#define UPLOAD_ABANDON_SECONDS 120	/* an abandon run's own deadline */
#define UPLOAD_EXPIRED "expired: not delivered within authorization_hold + " \
	"delivery_window"


/* uploads_kill - end an uploader (never kill(-1): no pid, no signal) */
static void
uploads_kill(const struct upload_slot *s)
{
	if (s->pid > 0)
		(void)kill(s->pid, SIGKILL);
}

/* uploads_job_destination - see daemon.h */
const struct cs_destination *
uploads_job_destination(const struct cs_daemon *d,
    const struct cs_jobstate *js)
{
	const struct cs_action *a = cs_config_action(&d->cfg, js->action);
	size_t i;

	if (js->dest_override[0] == '\0')
		return a != NULL ? a->destination : NULL;
	/* a fallback the admin has since removed leaves the job nowhere */
	for (i = 0; i < d->cfg.ndestinations; i++)
		if (strcmp(d->cfg.destinations[i].name, js->dest_override) ==
		    0)
			return &d->cfg.destinations[i];
	return NULL;
}

/* uploads_is_network - see daemon.h */
int
uploads_is_network(const struct cs_daemon *d, const struct cs_jobstate *js)
{
	const struct cs_destination *dst = uploads_job_destination(d, js);

	return dst != NULL && strcmp(dst->provider, "localdir") != 0;
}

/* uploads_busy - see daemon.h */
int
uploads_busy(const struct cs_daemon *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->nuploads; i++)
		if (strcmp(d->uploads[i].id, id) == 0)
			return 1;
	return 0;
}

/* uploads_room - see daemon.h */
int
uploads_room(const struct cs_daemon *d, const struct cs_jobstate *js)
{
	const struct cs_destination *dst = uploads_job_destination(d, js);
	const char *v;
	unsigned long limit = UPLOAD_DEFAULT_CONCURRENCY;
	size_t i, running = 0;

	if (dst == NULL)
		return 1;
	if ((v = cs_destination_get(dst, "concurrency")) != NULL)
		limit = strtoul(v, NULL, 10);
	if (limit == 0)
		limit = 1;
	for (i = 0; i < d->nuploads; i++)
		if (strcmp(d->uploads[i].dest, dst->name) == 0)
			running++;
	/* A job being filtered starts its uploader as soon as the filter
	 * ends, with no second look at the limit: it holds a place now, or
	 * `workers` filters finishing together would overshoot the limit. */
	running += work_for_destination(d, dst->name);
	return running < limit;
}

/* uploads_child - wire fd 0 and 3, limits, exec the uploader */
static void __attribute__((noreturn))
uploads_child(const char *path, int doc_fd, int sock)
{
	char *const argv[] = { "cloudspool-upload", NULL };
	char *const envp[] = { NULL };
	int null;

	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    dup2(doc_fd, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(sock, 3) < 0 || lseek(STDIN_FILENO, 0, SEEK_SET) < 0 ||
	    close_range(4, ~0U, 0) < 0 ||
	    cs_confine_child(UPLOAD_CPU_SECONDS, UPLOAD_MEMORY) != CS_OK)
		_exit(126);
	execve(path, argv, envp);
	_exit(127);
}

/* uploads_send - one message; the socket keeps message boundaries */
static cs_result
uploads_send(int fd, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;

	do
		n = send(fd, text, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? CS_OK : CS_ERR_IO;
}

/* uploads_spawn - an uploader for the slot's current unit */
static cs_result
uploads_spawn(struct cs_daemon *d, struct upload_slot *s, char *why,
    size_t whylen)
{
	json_t *req;
	char *text;
	int sv[2];
	pid_t pid;
	cs_result r;

	s->pid = -1;
	s->fd = -1;
	s->finished = s->next_unit = 0;
	if ((req = uploads_request(d, s, why, whylen)) == NULL)
		return CS_ERR_CONFIG;
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL || strlen(text) >= UPLOAD_MSG_MAX) {
		snprintf(why, whylen, "uploader request too large");
		free(text);
		return CS_ERR_TOOBIG;
	}
	s->js.phase = CS_PHASE_UPLOADING;
	sv[0] = sv[1] = -1;
	r = jobstate_save(d->sp.dir[s->dir], s->id, &s->js);
	if (r != CS_OK || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv) < 0 || (pid = fork()) < 0) {
		snprintf(why, whylen, "starting the uploader: %s",
		    r != CS_OK ? cs_strerror(r) : strerror(errno));
		if (sv[0] >= 0) {
			close(sv[0]);
			close(sv[1]);
		}
		cs_wipe(text, strlen(text));
		free(text);
		return CS_ERR_TEMP;
	}
	if (pid == 0)
		uploads_child(d->upload_path,
		    s->units.unit[s->js.units_done].fd, sv[1]);
	close(sv[1]);
	s->pid = pid;
	s->fd = sv[0];
	r = uploads_send(s->fd, text);
	cs_wipe(text, strlen(text));
	free(text);
	if (fcntl(s->fd, F_SETFL, O_NONBLOCK) < 0 || r != CS_OK)
		cs_log(LOG_ERR, "%s: uploader control socket: %s", s->id,
		    strerror(errno));
	if (s->abandon)
		daemon_audit_job(d, "upload abandoning", s->id, json_pack(
		    "{s:s}", "destination", s->dest));
	else
		daemon_audit_job(d, "upload started", s->id, json_pack(
		    "{s:s, s:I, s:b}", "destination", s->dest, "document",
		    (json_int_t)s->js.units_done + 1, "resumed",
		    s->js.upload[0] != '\0'));
	return CS_OK;
}

/* uploads_open_slot - a slot for job id running units (taken over,
 * whatever the result); abandon: the clean-up run (uploads_abandon) */
static cs_result
uploads_open_slot(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js, const struct cs_job *j,
    struct delivery_units *units, int abandon, char *why, size_t whylen)
{
	struct upload_slot *slots, *s;
	cs_result r;

	if ((slots = realloc(d->uploads, (d->nuploads + 1) * sizeof(*slots))) ==
	    NULL) {
		units_free(units);
		snprintf(why, whylen, "out of memory");
		return CS_ERR_TEMP;
	}
	d->uploads = slots;
	s = &d->uploads[d->nuploads];
	memset(s, 0, sizeof(*s));
	s->dir = dir;
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->dest, sizeof(s->dest), "%s",
	    uploads_job_destination(d, js)->name);
	memcpy(s->key, j->state_key, sizeof(s->key));
	s->meta = j->meta;
	s->units = *units;
	memset(units, 0, sizeof(*units));
	s->js = *js;
	s->abandon = abandon;
	s->abandon_until = d->now + UPLOAD_ABANDON_SECONDS;
	if ((r = uploads_spawn(d, s, why, whylen)) != CS_OK) {
		*js = s->js;
		units_free(&s->units);
		cs_wipe(s, sizeof(*s));
		return r;
	}
	d->nuploads++;
	return CS_OK;
}

/* uploads_start - see daemon.h */
cs_result
uploads_start(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js, const struct cs_job *j,
    struct delivery_units *units, char *why, size_t whylen)
{
	return uploads_open_slot(d, dir, id, js, j, units, 0, why, whylen);
}

/* uploads_abandon - see daemon.h */
cs_result
uploads_abandon(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js)
{
	struct delivery_units units;
	struct cs_job j;
	char why[512];
	cs_result r;
	int fd;

	if (js->upload[0] == '\0' || !uploads_is_network(d, js))
		return CS_ERR_NOTFOUND;
	if ((r = job_open(d, d->sp.dir[dir], id, &j, why, sizeof(why))) !=
	    CS_OK) {
		job_close(&j);
		return r;
	}
	memset(&units, 0, sizeof(units));
	/* the uploader wants a document on fd 0: an empty one, size 0 */
	if ((fd = memfd_create("cloudspool-abandon", MFD_CLOEXEC)) < 0 ||
	    (units.unit = calloc(1, sizeof(*units.unit))) == NULL) {
		if (fd >= 0)
			close(fd);
		job_close(&j);
		return CS_ERR_NOMEM;
	}
	units.n = 1;
	units.unit[0].fd = fd;
	snprintf(units.unit[0].name, sizeof(units.unit[0].name), "abandoned");
	js->units_done = 0;	/* the one unit above (the state says where) */
	r = uploads_open_slot(d, dir, id, js, &j, &units, 1, why, sizeof(why));
	job_close(&j);
	if (r != CS_OK)
		cs_log(LOG_WARNING, "%s: cannot clean up the upload: %s", id,
		    why);
	return r;
}

/* uploads_abandoned - the clean-up run ended (how is audited): shred */
static void
uploads_abandoned(struct cs_daemon *d, struct upload_slot *s,
    const char *how)
{
	s->finished = 1;
	daemon_audit_job(d, "upload abandoned", s->id, json_pack("{s:s, s:s}",
	    "destination", s->dest, "result", how));
	(void)jobs_shred(d, s->dir, s->id, UPLOAD_EXPIRED);
}

/* uploads_pollfds - see daemon.h */
size_t
uploads_pollfds(const struct cs_daemon *d, struct pollfd *pfd, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < d->nuploads; i++)
		daemon_pollfd_add(pfd, cap, &n, d->uploads[i].fd);
	return n;
}

/* uploads_checkpoint - seal the uploader's state into the record, then
 * let it go on */
static void
uploads_checkpoint(struct cs_daemon *d, struct upload_slot *s, json_t *state)
{
	char *text = json_dumps(state, JSON_COMPACT);
	cs_result r;

	r = text == NULL ? CS_ERR_FORMAT : upstate_seal(s->key, s->id, text,
	    strlen(text), &s->js);
	if (text != NULL) {
		cs_wipe(text, strlen(text));
		free(text);
	}
	if (r == CS_OK)
		r = jobstate_save(d->sp.dir[s->dir], s->id, &s->js);
	/* Without a durable checkpoint the uploader must not go on: a crash
	 * now would lose the session and risk a second copy. */
	if (r != CS_OK || uploads_send(s->fd, "{\"type\":\"ack\"}") != CS_OK) {
		cs_log(LOG_ERR, "%s: cannot save upload state: %s", s->id,
		    cs_strerror(r));
		uploads_kill(s);
	}
}

/* uploads_fallback - class "fallback" (smtp over max_size): the job goes
 * to the destination's fallback instead, at once; 0 done, -1 there is
 * none to go to (then the failure is permanent) */
static int
uploads_fallback(struct cs_daemon *d, struct upload_slot *s,
    const char *reason)
{
	const struct cs_destination *dst = uploads_job_destination(d, &s->js);
	const char *fb = dst != NULL ? cs_destination_get(dst, "fallback") :
	    NULL;
	char why[600];

	/* one hop only: a fallback never falls back again */
	if (fb == NULL || s->js.dest_override[0] != '\0' ||
	    strlen(fb) >= sizeof(s->js.dest_override))
		return -1;
	snprintf(s->js.dest_override, sizeof(s->js.dest_override), "%s", fb);
	if (uploads_job_destination(d, &s->js) == NULL) {
		s->js.dest_override[0] = '\0';
		return -1;
	}
	s->js.upload[0] = '\0';	/* the uploader state was the mail's */
	daemon_audit_job(d, "fallback", s->id, json_pack("{s:s, s:s, s:s}",
	    "destination", s->dest, "fallback", fb, "reason", reason));
	snprintf(why, sizeof(why), "to fallback '%s': %.500s", fb, reason);
	jobs_defer_after(d, s->dir, s->id, &s->js, why, 0);
	/* no backoff: the fallback is tried on the next pass */
	s->js.next_try = d->now;
	if (jobstate_save(d->sp.dir[CS_DIR_DEFERRED], s->id, &s->js) != CS_OK)
		cs_log(LOG_ERR, "%s: cannot save the fallback's record", s->id);
	return 0;
}

/* uploads_failed - act on a "fail" message */
static void
uploads_failed(struct cs_daemon *d, struct upload_slot *s, json_t *msg)
{
	const char *cls = "temporary", *reason = "no reason given";
	json_int_t retry_after = 0, status = 0;
	const struct cs_destination *dst;
	char why[600];

	(void)json_unpack(msg, "{s?s, s?s, s?I, s?I}", "class", &cls, "reason",
	    &reason, "retry_after", &retry_after, "http_status", &status);
	if (retry_after < 0)
		retry_after = 0;
	if (strcmp(cls, "fallback") == 0 && uploads_fallback(d, s, reason) == 0)
		return;
	if (strcmp(cls, "permanent") == 0 || strcmp(cls, "fallback") == 0) {
		snprintf(why, sizeof(why), "undeliverable: %.500s", reason);
		daemon_audit_job(d, "delivery failed", s->id, json_pack(
		    "{s:s, s:s, s:I}", "destination", s->dest, "reason", reason,
		    "http_status", status));
		(void)jobs_shred(d, s->dir, s->id, why);
		return;
	}
	if (strcmp(cls, "auth") == 0) {
		snprintf(why, sizeof(why), "the provider refused the access "
		    "token: %.450s", reason);
		/* one refresh before the retry; a refused refresh
		 * (invalid_grant) then holds the job for new consent */
		dst = uploads_job_destination(d, &s->js);
		if (dst != NULL && cs_destination_get(dst, "token_url") != NULL)
			vault_token_stale(d, s->meta.uid, dst->name, s->id);
	}
	else
		snprintf(why, sizeof(why), "%.580s", reason);
	s->js.phase = CS_PHASE_NONE;
	jobs_defer_after(d, s->dir, s->id, &s->js, why, (uint64_t)retry_after);
}

/* uploads_message - one message from an uploader */
static void
uploads_message(struct cs_daemon *d, struct upload_slot *s, const char *buf,
    size_t len)
{
	const char *type = "", *where = "", *remote = "";
	json_t *msg, *state = NULL;
	int earlier = 0;

	msg = json_loadb(buf, len, 0, NULL);
	if (msg == NULL || json_unpack(msg, "{s:s}", "type", &type) != 0) {
		cs_log(LOG_ERR, "%s: uploader sent a malformed message", s->id);
		uploads_kill(s);
		json_decref(msg);
		return;
	}
	if (s->finished) {
		/* nothing may follow the final message */
	} else if (s->abandon && (strcmp(type, "done") == 0 ||
	    strcmp(type, "fail") == 0)) {
		(void)json_unpack(msg, "{s?s, s?s}", "where", &where,
		    "reason", &where);
		uploads_abandoned(d, s, where);
	} else if (s->abandon && strcmp(type, "state") == 0) {
		/* a clean-up run has nothing to checkpoint: refuse */
		cs_log(LOG_ERR, "%s: abandon run sent a checkpoint", s->id);
		uploads_kill(s);
	} else if (strcmp(type, "state") == 0 &&
	    json_unpack(msg, "{s:o}", "state", &state) == 0)
		uploads_checkpoint(d, s, state);
	else if (strcmp(type, "done") == 0) {
		s->finished = 1;
		(void)json_unpack(msg, "{s?s, s?s, s?b}", "where", &where,
		    "remote_id", &remote, "earlier", &earlier);
		if (s->js.units_done + 1 < s->units.n) {
			jobs_unit_delivered(d, s->dir, s->id, &s->js,
			    s->units.n, where);
			s->next_unit = 1;
		} else
			jobs_delivered(d, s->dir, s->id, &s->js, where, remote,
			    earlier);
	} else if (strcmp(type, "fail") == 0) {
		s->finished = 1;
		uploads_failed(d, s, msg);
	} else if (strcmp(type, "progress") != 0)
		cs_log(LOG_WARNING, "%s: uploader sent unknown message '%.32s'",
		    s->id, type);
	json_decref(msg);
}

/* uploads_reap - the uploader has closed its socket: collect it, start
 * the next document's, or defer the job if it ended without saying how */
static void
uploads_reap(struct cs_daemon *d, struct upload_slot *s)
{
	char why[512];
	int status = 0;

	close(s->fd);
	s->fd = -1;
	while (s->pid > 0 && waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (s->next_unit) {
		/* the same slot goes on with the job's next document */
		if (uploads_spawn(d, s, why, sizeof(why)) != CS_OK) {
			s->js.phase = CS_PHASE_NONE;
			jobs_defer_after(d, s->dir, s->id, &s->js, why, 0);
		}
		return;
	}
	if (s->finished)
		return;
	if (s->abandon) {
		uploads_abandoned(d, s, "the uploader ended without a result");
		return;
	}
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "uploader killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "uploader exited with status %d and "
		    "no result", WEXITSTATUS(status));
	s->js.phase = CS_PHASE_NONE;
	jobs_defer_after(d, s->dir, s->id, &s->js, why, 0);
}

/* uploads_drain - every message waiting on one socket; 1 at EOF */
static int
uploads_drain(struct cs_daemon *d, struct upload_slot *s, char *buf)
{
	ssize_t n;

	for (;;) {
		n = recv(s->fd, buf, UPLOAD_MSG_MAX, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
		if (n == 0)
			return 1;
		if (n > UPLOAD_MSG_MAX) {
			cs_log(LOG_ERR, "%s: uploader message over %d bytes",
			    s->id, UPLOAD_MSG_MAX);
			uploads_kill(s);
			continue;
		}
		uploads_message(d, s, buf, (size_t)n);
		cs_wipe(buf, (size_t)n);
	}
}

/* uploads_expire - a delivery still running at its job's deadline ends;
 * the job's next pass (jobs.c) cleans up after it and shreds it. A
 * clean-up run past its own time limit: the job is shredded now. */
static void
uploads_expire(struct cs_daemon *d, struct upload_slot *s)
{
	uploads_kill(s);
	close(s->fd);
	s->fd = -1;
	while (s->pid > 0 && waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (s->abandon) {
		uploads_abandoned(d, s, "timed out");
		return;
	}
	s->finished = 1;
	s->js.phase = CS_PHASE_NONE;
	if (jobstate_save(d->sp.dir[s->dir], s->id, &s->js) != CS_OK)
		(void)jobs_shred(d, s->dir, s->id, UPLOAD_EXPIRED);
}

/* uploads_service - see daemon.h */
void
uploads_service(struct cs_daemon *d)
{
	char *buf;
	size_t i;

	if (d->nuploads == 0 || (buf = malloc(UPLOAD_MSG_MAX)) == NULL)
		return;
	for (i = 0; i < d->nuploads; i++) {
		struct upload_slot *s = &d->uploads[i];

		if (s->fd < 0)
			continue;
		if (uploads_drain(d, s, buf))
			uploads_reap(d, s);
		else if (d->now >= (s->abandon ? s->abandon_until :
		    s->js.deadline))
			uploads_expire(d, s);
	}
	free(buf);
	/* compact: drop the slots whose uploader is gone */
	for (i = 0; i < d->nuploads;) {
		if (d->uploads[i].fd >= 0) {
			i++;
			continue;
		}
		units_free(&d->uploads[i].units);
		cs_wipe(&d->uploads[i], sizeof(d->uploads[i]));
		memmove(&d->uploads[i], &d->uploads[i + 1],
		    (d->nuploads - i - 1) * sizeof(d->uploads[i]));
		d->nuploads--;
	}
}

/* uploads_stop_all - see daemon.h */
void
uploads_stop_all(struct cs_daemon *d)
{
	size_t i;

	for (i = 0; i < d->nuploads; i++) {
		uploads_kill(&d->uploads[i]);
		if (d->uploads[i].fd >= 0)
			close(d->uploads[i].fd);
		while (d->uploads[i].pid > 0 && waitpid(d->uploads[i].pid, NULL,
		    0) < 0 && errno == EINTR)
			;
		units_free(&d->uploads[i].units);
		cs_wipe(&d->uploads[i], sizeof(d->uploads[i]));
	}
	free(d->uploads);
	d->uploads = NULL;
	d->nuploads = 0;
}
