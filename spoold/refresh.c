/*
 * refresh.c - OAuth token refresh, out of the daemon's process.
 *
 * cloudspoold holds the spool keys, so it never parses HTTP or TLS from
 * the network. A token that needs refreshing is sent, with the client
 * credentials, over a SOCK_SEQPACKET socket to a `cloudspool-upload`
 * child run with {"op":"refresh"} (spoold/up_refresh.c: the uploader's
 * sandbox, libcurl with the TLS policy), which answers with the new token
 * or a failure class. The daemon loop polls the socket like an
 * uploader's, so a slow token endpoint never blocks it; a child that has
 * not answered within REFRESH_TIMEOUT_MS is killed.
 *
 * One refresh at a time per (user, destination): jobs of that pair wait
 * (no attempt counted) while it runs. Every vault write stays here, in
 * the daemon, through cs_vault_update (under the vault's flock), so a
 * refresh that lost a race with a revocation writes nothing back.
 *
 * After the child ends the pair's slot is kept a little while: a failure
 * is answered to readers for REFRESH_RETRY_S (their jobs are deferred
 * with the reason, then retried), and a success marks the token as just
 * issued for REFRESH_FRESH_S, so a provider whose tokens live less than
 * the refresh margin does not send us into a refresh loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/close_range.h>

#include "daemon.h"
#include "log.h"
#include "oauth.h"
#include "privs.h"
#include "safefile.h"
#include "secretfile.h"

#define REFRESH_TIMEOUT_MS 45000	/* libcurl itself gives up at 30 s */
#define REFRESH_RETRY_S 60		/* readers get a failure this long */
#define REFRESH_FRESH_S 60		/* a new token is used while valid */
#define REFRESH_MSG_MAX 65536
#define REFRESH_SECRET_MAX 1024
#define REFRESH_CPU_SECONDS 30
#define REFRESH_MEMORY (512ULL << 20)

enum refresh_phase {
	REFRESH_RUNNING,		/* the child is at the token endpoint */
	REFRESH_FAILED,			/* readers get `result` until `until` */
	REFRESH_DONE,			/* stored; fresh until `until` */
	REFRESH_GONE			/* to be dropped */
};

struct refresh_slot {
	enum refresh_phase phase;
	uint32_t uid;
	char user[256];
	char dest[65];
	char job[CS_JOB_ID_MAX];	/* the read that asked for it (audit) */
	pid_t pid;			/* -1 once reaped */
	int fd;				/* control socket, -1 once closed */
	int answered;			/* the one answer arrived */
	int superseded;			/* a new grant came meanwhile */
	int revoke;			/* an RFC 7009 revocation, not a
					 * refresh: its outcome is only
					 * audited (the record is gone) */
	int64_t kill_at_ms;		/* monotonic deadline of the child */
	int64_t until;			/* wall clock: end of FAILED or DONE */
	cs_result result;
	char why[320];
};

/* refresh_now_ms - monotonic milliseconds (libfaketime moves only the
 * wall clock in tests; the timeout must stay real) */
static int64_t
refresh_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* refresh_find - the slot of (uid, dest), or NULL */
static struct refresh_slot *
refresh_find(struct cs_daemon *d, uint32_t uid, const char *dest)
{
	size_t i;

	for (i = 0; i < d->nrefreshes; i++)
		if (d->refreshes[i].phase != REFRESH_GONE &&
		    !d->refreshes[i].revoke &&
		    d->refreshes[i].uid == uid &&
		    strcmp(d->refreshes[i].dest, dest) == 0)
			return &d->refreshes[i];
	return NULL;
}

/* refresh_check - see daemon.h */
cs_result
refresh_check(struct cs_daemon *d, uint32_t uid, const char *dest,
    int *fresh, char *why, size_t whylen)
{
	struct refresh_slot *s = refresh_find(d, uid, dest);

	*fresh = 0;
	if (s == NULL)
		return CS_OK;
	if (s->phase == REFRESH_RUNNING) {
		(void)snprintf(why, whylen, "token refresh under way");
		return CS_ERR_BUSY;
	}
	if (d->now >= s->until)
		return CS_OK;
	if (s->phase == REFRESH_FAILED) {
		(void)snprintf(why, whylen, "token refresh failed: %s", s->why);
		return s->result;
	}
	*fresh = 1;
	return CS_OK;
}

/* refresh_client - the destination's client id, token endpoint and CA
 * into cl, its client secret (when it has one) into sec */
static cs_result
refresh_client(struct cs_daemon *d, const char *dest, json_t *cl,
    json_t *sec, char *why, size_t whylen)
{
	const struct cs_destination *ds = NULL;
	char secret[REFRESH_SECRET_MAX];
	const char *file, *id, *url, *ca, *rv;
	size_t i;

	for (i = 0; i < d->cfg.ndestinations; i++)
		if (strcmp(d->cfg.destinations[i].name, dest) == 0)
			ds = &d->cfg.destinations[i];
	if (ds == NULL || (id = cs_destination_get(ds, "client_id")) == NULL ||
	    (url = cs_destination_get(ds, "token_url")) == NULL) {
		(void)snprintf(why, whylen, "destination %s has no client_id "
		    "or token_url", dest);
		return CS_ERR_CONFIG;
	}
	ca = cs_destination_get(ds, "ca_file");
	rv = cs_destination_get(ds, "revoke_url");
	json_object_set_new(cl, "client_id", json_string(id));
	json_object_set_new(cl, "token_url", json_string(url));
	json_object_set_new(cl, "revoke_url", rv ? json_string(rv) :
	    json_null());
	json_object_set_new(cl, "ca_file", ca ? json_string(ca) : json_null());
	if ((file = cs_destination_get(ds, "client_secret_file")) == NULL)
		return CS_OK;
	if (cs_secret_file_read(file, secret, sizeof(secret), why, whylen) !=
	    CS_OK)
		return CS_ERR_CONFIG;
	json_object_set_new(sec, "client_secret", json_string(secret));
	cs_wipe(secret, sizeof(secret));
	return CS_OK;
}

/* refresh_request - the child's one request, as text (wipe, then free) */
static char *
refresh_request(struct cs_daemon *d, const char *op, const char *dest,
    const uint8_t *tok, size_t toklen, char *why, size_t whylen)
{
	json_t *req, *cl = json_object(), *sec = json_object(), *t;
	char *text = NULL;

	t = json_loadb((const char *)tok, toklen, JSON_REJECT_DUPLICATES, NULL);
	req = json_pack("{s:s, s:s, s:I, s:o, s:o, s:o}", "op", op,
	    "destination", dest, "now", (json_int_t)d->now, "client", cl,
	    "secrets", sec, "token", t != NULL ? t : json_null());
	if (req == NULL || t == NULL) {
		(void)snprintf(why, whylen, "cannot build the %s request", op);
		json_decref(req);
		return NULL;
	}
	if (refresh_client(d, dest, cl, sec, why, whylen) == CS_OK &&
	    (text = json_dumps(req, JSON_COMPACT)) != NULL &&
	    strlen(text) >= REFRESH_MSG_MAX) {
		(void)snprintf(why, whylen, "refresh request too large");
		cs_free_secret(text);
		text = NULL;
	}
	/* the request held the refresh token and the client secret */
	cs_json_wipe(req);
	json_decref(req);
	return text;
}

/* refresh_child - fd 3 the socket, 0 and 1 /dev/null, limits, exec */
static void __attribute__((noreturn))
refresh_child(const char *path, int sock)
{
	char *const argv[] = { "cloudspool-upload", NULL };
	char *const envp[] = { NULL };
	int null;

	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    (sock == 3 ? fcntl(3, F_SETFD, 0) : dup2(sock, 3)) < 0 ||
	    close_range(4, ~0U, 0) < 0 ||
	    cs_confine_child(REFRESH_CPU_SECONDS, REFRESH_MEMORY) != CS_OK)
		_exit(126);
	execve(path, argv, envp);
	_exit(127);
}

/* refresh_spawn - fork the child, send it text; s->pid and s->fd set */
static cs_result
refresh_spawn(struct cs_daemon *d, struct refresh_slot *s, const char *text,
    char *why, size_t whylen)
{
	int sv[2];
	pid_t pid;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		(void)snprintf(why, whylen, "refresh: socketpair: %s",
		    strerror(errno));
		return CS_ERR_TEMP;
	}
	if ((pid = fork()) < 0) {
		(void)snprintf(why, whylen, "refresh: fork: %s",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return CS_ERR_TEMP;
	}
	if (pid == 0)
		refresh_child(d->upload_path, sv[1]);
	close(sv[1]);
	s->pid = pid;
	s->fd = sv[0];
	do
		n = send(s->fd, text, strlen(text), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	/* a child that missed its request ends with no answer: a failure
	 * the service loop reports like any other */
	if (n != (ssize_t)strlen(text))
		cs_log(LOG_ERR, "refresh for uid %u: cannot send the request: "
		    "%s", (unsigned)s->uid, strerror(errno));
	if (fcntl(s->fd, F_SETFL, O_NONBLOCK) < 0)
		cs_log(LOG_ERR, "refresh: O_NONBLOCK: %s", strerror(errno));
	return CS_OK;
}

/* refresh_begin - a child for op ("refresh" or "revoke") on the pair */
static cs_result
refresh_begin(struct cs_daemon *d, const char *op, uint32_t uid,
    const char *user, const char *dest, const char *job, const uint8_t *tok,
    size_t toklen, char *why, size_t whylen)
{
	struct refresh_slot *slots, *s;
	char *text;
	cs_result r;

	if (strcmp(op, "refresh") == 0 &&
	    (s = refresh_find(d, uid, dest)) != NULL)
		s->phase = REFRESH_GONE;	/* an old outcome: replaced */
	if ((slots = realloc(d->refreshes, (d->nrefreshes + 1) *
	    sizeof(*slots))) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return CS_ERR_TEMP;
	}
	d->refreshes = slots;
	s = &d->refreshes[d->nrefreshes];
	memset(s, 0, sizeof(*s));
	s->phase = REFRESH_RUNNING;
	s->revoke = strcmp(op, "revoke") == 0;
	s->uid = uid;
	s->pid = -1;
	s->fd = -1;
	(void)snprintf(s->user, sizeof(s->user), "%s", user);
	(void)snprintf(s->dest, sizeof(s->dest), "%s", dest);
	(void)snprintf(s->job, sizeof(s->job), "%s", job != NULL ? job : "");
	if ((text = refresh_request(d, op, dest, tok, toklen, why,
	    whylen)) == NULL)
		return CS_ERR_CONFIG;
	s->kill_at_ms = refresh_now_ms() + REFRESH_TIMEOUT_MS;
	r = refresh_spawn(d, s, text, why, whylen);
	cs_free_secret(text);
	if (r != CS_OK)
		return r;
	d->nrefreshes++;
	return CS_OK;
}

/* refresh_start - see daemon.h */
cs_result
refresh_start(struct cs_daemon *d, uint32_t uid, const char *user,
    const char *dest, const char *job, const uint8_t *tok, size_t toklen,
    char *why, size_t whylen)
{
	return refresh_begin(d, "refresh", uid, user, dest, job, tok, toklen,
	    why, whylen);
}

/* refresh_start_revoke - see daemon.h */
cs_result
refresh_start_revoke(struct cs_daemon *d, uint32_t uid, const char *user,
    const char *dest, const uint8_t *tok, size_t toklen, char *why,
    size_t whylen)
{
	return refresh_begin(d, "revoke", uid, user, dest, NULL, tok, toklen,
	    why, whylen);
}

/* refresh_audit - one refresh event about the slot's pair */
static void
refresh_audit(struct cs_daemon *d, const struct refresh_slot *s,
    const char *event, const char *reason)
{
	daemon_audit_job(d, event, s->job[0] ? s->job : NULL, json_pack(
	    "{s:I, s:s, s:o}", "uid", (json_int_t)s->uid, "destination",
	    s->dest, "reason", cs_audit_str(reason, 300)));
}

/* refresh_finish - act on the outcome: audit, delete a revoked grant,
 * remember a failure for the pair's readers */
static void
refresh_finish(struct cs_daemon *d, struct refresh_slot *s, cs_result r,
    const char *why)
{
	s->answered = 1;
	if (s->revoke) {
		refresh_audit(d, s, "token-revoked-at-provider", r == CS_OK ?
		    "revoked" : why);
		s->phase = REFRESH_GONE;
		return;
	}
	if (s->superseded) {
		/* the user consented again while this ran: whatever it says
		 * about the old grant must not touch the new one */
		refresh_audit(d, s, "token-refresh-failed", "a new grant "
		    "arrived while the refresh ran: its outcome is discarded");
		s->phase = REFRESH_GONE;
		return;
	}
	s->result = r;
	(void)snprintf(s->why, sizeof(s->why), "%s", why);
	if (r == CS_OK) {
		refresh_audit(d, s, "token-refreshed", "near expiry");
		s->phase = REFRESH_DONE;
		s->until = d->now + REFRESH_FRESH_S;
		return;
	}
	refresh_audit(d, s, "token-refresh-failed", why);
	if (r == CS_ERR_REVOKED) {
		/* the grant is gone: the next read finds no record and holds
		 * the job, which asks the user again */
		(void)cs_vault_delete(&d->vault, s->uid, s->dest);
		refresh_audit(d, s, "token-revoked", "invalid_grant: record "
		    "deleted, consent asked again");
		s->phase = REFRESH_GONE;
		return;
	}
	/* the record stays as it was: the next try may succeed */
	s->phase = REFRESH_FAILED;
	s->result = CS_ERR_TEMP;
	s->until = d->now + REFRESH_RETRY_S;
}

/* refresh_store - the child's new token, into the vault */
static void
refresh_store(struct cs_daemon *d, struct refresh_slot *s, json_t *tok)
{
	char *json = json_dumps(tok, JSON_COMPACT);
	struct cs_token t;
	cs_result r;

	r = json == NULL ? CS_ERR_FORMAT : cs_token_from_json(json,
	    strlen(json), &t);
	if (r == CS_OK) {
		cs_token_free(&t);
		/* under the vault's lock: revoked meanwhile stays gone */
		r = cs_vault_update(&d->vault, s->uid, s->user, s->dest,
		    (const uint8_t *)json, strlen(json));
	}
	if (json != NULL)
		cs_free_secret(json);
	if (r == CS_ERR_NOTFOUND) {
		refresh_audit(d, s, "token-refresh-failed", "the record was "
		    "revoked while the refresh ran: new token discarded");
		s->answered = 1;
		s->phase = REFRESH_GONE;
	} else if (r != CS_OK)
		refresh_finish(d, s, CS_ERR_TEMP, r == CS_ERR_FORMAT ?
		    "the refresh helper sent no usable token" :
		    "cannot store the new token in the vault");
	else
		refresh_finish(d, s, CS_OK, "");
}

/* refresh_message - the child's one answer */
static void
refresh_message(struct cs_daemon *d, struct refresh_slot *s, const char *buf,
    size_t len)
{
	const char *type = "", *cls = "refused", *reason = "no reason given";
	json_t *msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *tok = NULL;

	if (s->answered)
		cs_log(LOG_WARNING, "refresh for uid %u: message after the "
		    "answer ignored", (unsigned)s->uid);
	else if (s->superseded && !s->revoke)
		refresh_finish(d, s, CS_OK, "");	/* discarded there */
	else if (msg == NULL || json_unpack(msg, "{s:s}", "type", &type) != 0)
		refresh_finish(d, s, CS_ERR_TEMP, "the refresh helper sent a "
		    "malformed message");
	else if (strcmp(type, "revoked") == 0 && s->revoke)
		refresh_finish(d, s, CS_OK, "");
	else if (strcmp(type, "token") == 0 && !s->revoke &&
	    json_unpack(msg, "{s:o}", "token", &tok) == 0)
		refresh_store(d, s, tok);
	else if (strcmp(type, "fail") == 0) {
		(void)json_unpack(msg, "{s?s, s?s}", "class", &cls, "reason",
		    &reason);
		refresh_finish(d, s, strcmp(cls, "revoked") == 0 ?
		    CS_ERR_REVOKED : strcmp(cls, "temporary") == 0 ?
		    CS_ERR_TEMP : CS_ERR_AUTH, reason);
	} else
		refresh_finish(d, s, CS_ERR_TEMP, "the refresh helper sent an "
		    "unknown message");
	if (msg != NULL)
		cs_json_wipe(msg);
	json_decref(msg);
}

/* refresh_end - close and reap the child (killed first when asked) */
static int
refresh_end(struct refresh_slot *s, int kill_it)
{
	int status = 0;

	if (kill_it && s->pid > 0)
		(void)kill(s->pid, SIGKILL);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	while (s->pid > 0 && waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	s->pid = -1;
	return status;
}

/* refresh_drain - every message waiting on the slot's socket; 1 at EOF */
static int
refresh_drain(struct cs_daemon *d, struct refresh_slot *s, char *buf)
{
	ssize_t n;

	for (;;) {
		n = recv(s->fd, buf, REFRESH_MSG_MAX, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
		if (n == 0)
			return 1;
		if (n > REFRESH_MSG_MAX)
			refresh_finish(d, s, CS_ERR_TEMP, "the refresh "
			    "helper's answer is over 64 KiB");
		else
			refresh_message(d, s, buf, (size_t)n);
		cs_wipe(buf, n > REFRESH_MSG_MAX ? REFRESH_MSG_MAX : (size_t)n);
	}
}

/* refresh_one - service one running slot */
static void
refresh_one(struct cs_daemon *d, struct refresh_slot *s, char *buf)
{
	char why[128];
	int status;

	if (refresh_drain(d, s, buf)) {
		status = refresh_end(s, 0);
		if (s->answered)
			return;
		if (WIFSIGNALED(status))
			(void)snprintf(why, sizeof(why), "the refresh helper "
			    "was killed by signal %d", WTERMSIG(status));
		else
			(void)snprintf(why, sizeof(why), "the refresh helper "
			    "exited with status %d and no answer",
			    WEXITSTATUS(status));
		refresh_finish(d, s, CS_ERR_TEMP, why);
	} else if (refresh_now_ms() >= s->kill_at_ms) {
		(void)refresh_end(s, 1);
		if (s->answered)
			return;
		(void)snprintf(why, sizeof(why), "the token endpoint did not "
		    "answer within %d s: refresh helper killed",
		    REFRESH_TIMEOUT_MS / 1000);
		refresh_finish(d, s, CS_ERR_TEMP, why);
	}
}

/* refresh_service - see daemon.h */
int
refresh_service(struct cs_daemon *d)
{
	size_t i, before = refresh_running(d);
	char *buf;

	if (d->nrefreshes == 0)
		return 0;
	if ((buf = malloc(REFRESH_MSG_MAX)) == NULL)
		return 0;
	/* answered or not, a child is reaped (or killed at its deadline) */
	for (i = 0; i < d->nrefreshes; i++)
		if (d->refreshes[i].fd >= 0)
			refresh_one(d, &d->refreshes[i], buf);
	free(buf);
	/* compact: outcomes past their time, and replaced ones */
	for (i = 0; i < d->nrefreshes;) {
		struct refresh_slot *s = &d->refreshes[i];

		if (s->phase == REFRESH_RUNNING || (s->phase != REFRESH_GONE &&
		    d->now < s->until) || s->fd >= 0) {
			i++;
			continue;
		}
		cs_wipe(s, sizeof(*s));
		memmove(s, s + 1, (d->nrefreshes - i - 1) * sizeof(*s));
		d->nrefreshes--;
	}
	return refresh_running(d) < before;
}

/* refresh_forget - see daemon.h */
void
refresh_forget(struct cs_daemon *d, uint32_t uid, const char *dest)
{
	struct refresh_slot *s = refresh_find(d, uid, dest);

	if (s == NULL)
		return;
	if (s->phase == REFRESH_RUNNING)
		s->superseded = 1;
	else
		s->phase = REFRESH_GONE;
}

/* refresh_running - see daemon.h */
size_t
refresh_running(const struct cs_daemon *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->nrefreshes; i++)
		if (d->refreshes[i].fd >= 0)
			n++;
	return n;
}

/* refresh_pollfds - see daemon.h */
size_t
refresh_pollfds(const struct cs_daemon *d, struct pollfd *pfd, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < d->nrefreshes; i++)
		daemon_pollfd_add(pfd, cap, &n, d->refreshes[i].fd);
	return n;
}

/* refresh_stop_all - see daemon.h */
void
refresh_stop_all(struct cs_daemon *d)
{
	size_t i;

	for (i = 0; i < d->nrefreshes; i++) {
		(void)refresh_end(&d->refreshes[i], 1);
		cs_wipe(&d->refreshes[i], sizeof(d->refreshes[i]));
	}
	free(d->refreshes);
	d->refreshes = NULL;
	d->nrefreshes = 0;
}
