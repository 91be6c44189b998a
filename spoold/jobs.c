/*
 * jobs.c - the job state machine: expire, process, deliver, defer, shred.
 *
 *   incoming --pickup--> active --deliver--> (shredded: delivered)
 *                          |  \--fail----> deferred --retry--> ...
 *                          \--tampered--> corrupt
 *   any state --deadline--> (shredded: expired)
 *
 * Delivery is two-phase (stage, then commit) with the phase written to the
 * job's record first, so a daemon killed at any instruction resumes the
 * commit instead of delivering a second copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/mman.h>

#include "agent.h"
#include "daemon.h"
#include "log.h"
#include "pagestream.h"
#include "safefile.h"

#define EXPIRED_REASON "expired: not delivered within authorization_hold + " \
	"delivery_window"

/* jobs_shred - shred a job and its record, audited */
cs_result
jobs_shred(struct cs_daemon *d, enum cs_spool_dir from, const char *id,
    const char *reason)
{
	cs_result r;

	r = cs_shred(d->sp.dir[from], id);
	if (r != CS_OK && r != CS_ERR_NOTFOUND) {
		cs_log(LOG_ERR, "shred %s: %s", id, cs_strerror(r));
		return r;
	}
	(void)jobstate_remove(d->sp.dir[from], id);
	daemon_audit_job(d, "shredded", id, json_pack("{s:s, s:s}", "state",
	    cs_spool_dir_name(from), "reason", reason));
	return CS_OK;
}

/* jobs_quarantine - move to corrupt/, never replacing an earlier one */
void
jobs_quarantine(struct cs_daemon *d, enum cs_spool_dir from, const char *name,
    const char *why)
{
	char dst[300];
	unsigned n;
	cs_result r;

	for (n = 0; n < 1000; n++) {
		if (n == 0)
			snprintf(dst, sizeof(dst), "%.255s", name);
		else
			snprintf(dst, sizeof(dst), "%.255s.%u", name, n);
		r = cs_move(d->sp.dir[from], name, d->sp.dir[CS_DIR_CORRUPT], dst);
		if (r != CS_ERR_EXISTS)
			break;
	}
	if (r != CS_OK) {
		cs_log(LOG_ERR, "quarantine %.200s: %s", name, cs_strerror(r));
		return;
	}
	if (from != CS_DIR_INCOMING)
		(void)jobstate_remove(d->sp.dir[from], name);
	daemon_audit_job(d, "quarantined", NULL, json_pack("{s:o, s:s, s:s}",
	    "file", cs_audit_str(name, 200), "state", cs_spool_dir_name(from),
	    "reason", why));
}

/* jobs_defer_after - count the failure and schedule a retry in deferred/,
 * no sooner than retry_after seconds */
void
jobs_defer_after(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js, const char *why, uint64_t retry_after)
{
	uint64_t backoff = d->cfg.retry_initial;
	uint32_t i, jitter;
	cs_result r;

	js->attempts++;
	for (i = 1; i < js->attempts && backoff < d->cfg.retry_max; i++)
		backoff *= 2;
	if (backoff > d->cfg.retry_max)
		backoff = d->cfg.retry_max;
	/* up to +25% jitter so retries of many jobs do not arrive together */
	if (cs_random(&jitter, sizeof(jitter)) == CS_OK && backoff >= 4)
		backoff += jitter % (backoff / 4);
	/* A provider's Retry-After is a floor, never shortened by backoff. */
	if (retry_after > backoff)
		backoff = retry_after;
	js->next_try = d->now + (int64_t)backoff;
	js->phase = CS_PHASE_NONE;
	r = jobstate_save(d->sp.dir[CS_DIR_DEFERRED], id, js);
	if (r == CS_OK && dir != CS_DIR_DEFERRED) {
		r = cs_move(d->sp.dir[dir], id, d->sp.dir[CS_DIR_DEFERRED], id);
		if (r == CS_OK)
			(void)jobstate_remove(d->sp.dir[dir], id);
	}
	if (r != CS_OK)
		cs_log(LOG_ERR, "defer %s: %s", id, cs_strerror(r));
	daemon_audit_job(d, "deferred", id, json_pack("{s:s, s:I, s:I}",
	    "reason", why, "attempts", (json_int_t)js->attempts, "next_try",
	    (json_int_t)js->next_try));
}

/* jobs_defer - defer with the backoff alone */
void
jobs_defer(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js, const char *why)
{
	jobs_defer_after(d, dir, id, js, why, 0);
}

/* jobs_delivered - audit the delivery once, then shred the job */
void
jobs_delivered(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    const struct cs_jobstate *js, const char *where, const char *remote_id,
    int earlier)
{
	json_t *f;

	/* A delivery repeated after a crash may find it done; its
	 * "delivered" line may or may not have been written before the kill:
	 * the trail itself says, so the job is recorded delivered once. */
	if (!earlier || cs_audit_has(&d->audit, "delivered", id) == 0) {
		f = json_pack("{s:s, s:s}", "action", js->action, "where", where);
		if (remote_id != NULL && *remote_id != '\0')
			json_object_set_new(f, "remote_id",
			    json_string(remote_id));
		daemon_audit_job(d, "delivered", id, f);
	}
	(void)jobs_shred(d, dir, id, "delivered");
}

/* jobs_agent - one agent request for this job */
static cs_result
jobs_agent(struct cs_daemon *d, enum agent_op op, const char *id,
    const struct cs_jobstate *js, const char *name, int data_fd,
    struct agent_rep *rep)
{
	const struct cs_destination *dst = uploads_job_destination(d, js);
	struct agent_req req;
	cs_result r;

	memset(&req, 0, sizeof(req));
	memset(rep, 0, sizeof(*rep));
	if (dst == NULL) {
		snprintf(rep->detail, sizeof(rep->detail),
		    "action '%s' is no longer configured", js->action);
		rep->permanent = 1;
		return CS_ERR_CONFIG;
	}
	req.op = op;
	req.uid = js->uid;
	req.ino = js->ino;
	snprintf(req.dest, sizeof(req.dest), "%s", dst->name);
	snprintf(req.job, sizeof(req.job), "%s", id);
	snprintf(req.name, sizeof(req.name), "%s", name != NULL ? name : "-");
	if ((r = agent_call(d->agent_fd, &req, data_fd, rep)) != CS_OK) {
		snprintf(rep->detail, sizeof(rep->detail),
		    "delivery agent unreachable");
		return r;
	}
	return (cs_result)rep->result;
}

/* jobs_commit_unit - phase COMMITTING: make the staged file visible;
 * 0 when it could not be (the job is then deferred, the staged file kept) */
static int
jobs_commit_unit(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js, const char *name, struct agent_rep *rep)
{
	cs_result r;

	r = jobs_agent(d, AGENT_COMMIT, id, js, name, -1, rep);
	if (r != CS_OK) {
		/* The staged file is kept: the next try commits it again. */
		js->attempts++;
		js->next_try = d->now + (int64_t)d->cfg.retry_initial;
		(void)jobstate_save(d->sp.dir[dir], id, js);
		daemon_audit_job(d, "deferred", id, json_pack("{s:s}", "reason",
		    rep->detail));
		return 0;
	}
	return 1;
}

/* jobs_unit_delivered - one document of several is there: count it, so
 * a restart goes on with the next one */
void
jobs_unit_delivered(struct cs_daemon *d, enum cs_spool_dir dir,
    const char *id, struct cs_jobstate *js, size_t n, const char *where)
{
	daemon_audit_job(d, "document delivered", id, json_pack(
	    "{s:s, s:I, s:I, s:s}", "action", js->action, "document",
	    (json_int_t)js->units_done + 1, "of", (json_int_t)n, "where",
	    where));
	js->units_done++;
	js->phase = CS_PHASE_NONE;
	js->ino = 0;
	js->upload[0] = '\0';
	if (jobstate_save(d->sp.dir[dir], id, js) != CS_OK)
		cs_log(LOG_ERR, "%s: cannot record document %u delivered", id,
		    js->units_done);
}

/* jobs_copy_section - the current section's plaintext onto fd */
static cs_result
jobs_copy_section(struct cs_job *j, int fd, char *buf, size_t cap,
    uint64_t *bytes)
{
	size_t got;
	cs_result r;

	do {
		r = cs_spool_section_read(j->rd, buf, cap, &got);
		if (r == CS_OK && got > 0)
			r = cs_write_all(fd, buf, got);
		*bytes += got;
	} while (r == CS_OK && got > 0);
	return r;
}

/* jobs_decrypt_document - the DOCUMENT section, or every PAGE section as
 * one page stream (pagestream.h) for the worker, into a memfd (RAM only);
 * *pages receives the page count (0 for a document) */
static cs_result
jobs_decrypt_document(struct cs_job *j, int *memfd, uint64_t *bytes,
    uint64_t *pages)
{
	enum cs_section_kind kind, first;
	uint8_t end[CS_PAGE_HDR_LEN];
	char buf[65536];
	cs_result r;
	int fd;

	*bytes = 0;
	*pages = 0;
	if ((r = cs_spool_next_section(j->rd, &first)) != CS_OK)
		return r;
	if (first != CS_SECTION_DOCUMENT && first != CS_SECTION_PAGE)
		return CS_ERR_FORMAT;
	if ((fd = memfd_create("cloudspool-in", MFD_CLOEXEC)) < 0)
		return CS_ERR_TEMP;
	kind = first;
	/* Each PAGE section is a page header and its pixels, so in order
	 * they make a page stream. The rest must authenticate too: a
	 * spliced or truncated tail is found here, before any delivery. */
	do {
		if (kind == CS_SECTION_PAGE)
			(*pages)++;
		r = jobs_copy_section(j, fd, buf, sizeof(buf), bytes);
	} while (r == CS_OK && (r = cs_spool_next_section(j->rd, &kind)) ==
	    CS_OK && kind == CS_SECTION_PAGE && first == CS_SECTION_PAGE);
	if (r == CS_OK && kind != CS_SECTION_END)
		r = CS_ERR_FORMAT;
	if (r == CS_OK && first == CS_SECTION_PAGE) {
		cs_page_encode_end(end);
		r = cs_write_all(fd, end, sizeof(end));
	}
	cs_wipe(buf, sizeof(buf));
	if (r != CS_OK) {
		close(fd);
		return r;
	}
	*memfd = fd;
	return CS_OK;
}

/* jobs_stage - phase STAGING: hand one document to the agent */
static cs_result
jobs_stage(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js, int out_fd, struct agent_rep *rep)
{
	cs_result r;

	js->phase = CS_PHASE_STAGING;
	if ((r = jobstate_save(d->sp.dir[dir], id, js)) != CS_OK) {
		snprintf(rep->detail, sizeof(rep->detail), "saving state: %s",
		    cs_strerror(r));
		return CS_ERR_TEMP;
	}
	r = jobs_agent(d, AGENT_STAGE, id, js, NULL, out_fd, rep);
	if (r != CS_OK) {
		struct agent_rep ignored;

		(void)jobs_agent(d, AGENT_ABORT, id, js, NULL, -1, &ignored);
		return r;
	}
	js->phase = CS_PHASE_COMMITTING;
	js->ino = rep->ino;
	if ((r = jobstate_save(d->sp.dir[dir], id, js)) != CS_OK) {
		snprintf(rep->detail, sizeof(rep->detail), "saving state: %s",
		    cs_strerror(r));
		return CS_ERR_TEMP;
	}
	return CS_OK;
}

/* jobs_deliver - decrypt, then filter in the background (work.c) */
static void
jobs_deliver(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js)
{
	char why[512], name[CS_NAME_MAX + 1];
	struct cs_job j;
	uint64_t bytes, pages;
	int in_fd = -1;
	cs_result r;

	if ((r = job_open(d, d->sp.dir[dir], id, &j, why, sizeof(why))) !=
	    CS_OK) {
		job_close(&j);
		jobs_quarantine(d, dir, id, why);
		return;
	}
	daemon_audit_job(d, "decrypted", id, json_pack("{s:s}", "why",
	    "processing and delivery"));
	r = jobs_decrypt_document(&j, &in_fd, &bytes, &pages);
	/* units.c gives it the extension of what the filter made */
	cs_sanitize_name(j.meta.name, name, sizeof(name), "document");
	if (r != CS_OK) {
		job_close(&j);
		snprintf(why, sizeof(why), "sealed document: %s", cs_strerror(r));
		jobs_quarantine(d, dir, id, why);
		return;
	}
	r = work_start(d, dir, id, js, &j, name, in_fd, pages, bytes, why,
	    sizeof(why));
	close(in_fd);
	job_close(&j);
	if (r != CS_OK)
		jobs_defer(d, dir, id, js, why);
}

/* jobs_deliver_local - stage and commit each remaining unit in turn */
static void
jobs_deliver_local(struct cs_daemon *d, enum cs_spool_dir dir,
    const char *id, struct cs_jobstate *js, struct delivery_units *u)
{
	struct agent_rep rep;
	cs_result r;
	size_t k;

	for (k = js->units_done; k < u->n; k++) {
		/* COMMITTING here means a restart cut the commit of unit k
		 * short: the staged file is that unit, only its name was
		 * needed from the filter run */
		if (js->phase != CS_PHASE_COMMITTING) {
			r = jobs_stage(d, dir, id, js, u->unit[k].fd, &rep);
			if (r != CS_OK) {
				if (rep.permanent)
					(void)jobs_shred(d, dir, id, rep.detail);
				else
					jobs_defer(d, dir, id, js, rep.detail);
				return;
			}
		}
		if (!jobs_commit_unit(d, dir, id, js, u->unit[k].name, &rep))
			return;
		if (k + 1 < u->n)
			jobs_unit_delivered(d, dir, id, js, u->n, rep.detail);
		else
			jobs_delivered(d, dir, id, js, rep.detail, NULL,
			    rep.earlier);
	}
}

/* jobs_processed - see daemon.h: upload, or stage and commit */
void
jobs_processed(struct cs_daemon *d, struct work_result *w)
{
	struct cs_jobstate *js = &w->js;
	struct delivery_units u;
	char why[512];
	json_t *f;
	cs_result r;

	r = units_from_output(w->out_fd, w->name, &u);
	f = json_pack("{s:s, s:I, s:I, s:I, s:I}", "filter", w->pages > 0 ?
	    "pages" : "document", "pages", (json_int_t)w->pages, "bytes_in",
	    (json_int_t)w->bytes, "bytes_out",
	    (json_int_t)lseek(w->out_fd, 0, SEEK_END), "documents",
	    (json_int_t)u.n);
	close(w->out_fd);
	if (r != CS_OK) {
		json_decref(f);
		snprintf(why, sizeof(why), "filter output: %s", cs_strerror(r));
		jobs_defer(d, w->dir, w->id, js, why);
		return;
	}
	/* the report names removed pages and pages OCR gave up on: they
	 * are never dropped silently */
	if (u.report != NULL)
		json_object_set(f, "report", u.report);
	daemon_audit_job(d, "processed", w->id, f);
	if (js->units_done >= u.n) {
		/* every unit went before a restart; only the shred was left */
		jobs_delivered(d, w->dir, w->id, js, "(delivered before a "
		    "restart)", NULL, 1);
		units_free(&u);
		return;
	}
	if (uploads_is_network(d, js)) {
		r = uploads_start(d, w->dir, w->id, js, &w->job, &u, why,
		    sizeof(why));
		if (r != CS_OK)
			jobs_defer(d, w->dir, w->id, js, why);
		return;
	}
	jobs_deliver_local(d, w->dir, w->id, js, &u);
	units_free(&u);
}

/* jobs_recover_record - rebuild a record lost in a crash from the job */
static cs_result
jobs_recover_record(struct cs_daemon *d, enum cs_spool_dir dir,
    const char *id, struct cs_jobstate *js)
{
	char why[256];
	struct cs_job j;
	cs_result r;

	r = job_open(d, d->sp.dir[dir], id, &j, why, sizeof(why));
	if (r == CS_OK) {
		memset(js, 0, sizeof(*js));
		js->deadline = (j.meta.submitted > d->now ? d->now :
		    j.meta.submitted) + (int64_t)(d->cfg.authorization_hold +
		    d->cfg.delivery_window);
		js->next_try = d->now;
		js->uid = j.meta.uid;
		snprintf(js->action, sizeof(js->action), "%s", j.meta.action);
		r = jobstate_save(d->sp.dir[dir], id, js);
	}
	job_close(&j);
	if (r != CS_OK)
		jobs_quarantine(d, dir, id, why);
	return r;
}

/* jobs_run_one - what is due for one job */
static void
jobs_run_one(struct cs_daemon *d, enum cs_spool_dir dir, const char *id)
{
	struct cs_jobstate js;
	struct agent_rep rep;
	char why[512];
	cs_result r;

	if (uploads_busy(d, id) || work_busy(d, id))
		return;
	r = jobstate_load(d->sp.dir[dir], id, &js);
	if (r != CS_OK && jobs_recover_record(d, dir, id, &js) != CS_OK)
		return;
	/* A commit cut short by a restart is finished whatever the clock
	 * says: the document is staged. The filter runs again (its output
	 * is deterministic) only to name it. */
	if (js.phase == CS_PHASE_COMMITTING) {
		if (work_room(d))
			jobs_deliver(d, dir, id, &js);
		return;
	}
	if (js.phase == CS_PHASE_STAGING) {
		(void)jobs_agent(d, AGENT_ABORT, id, &js, NULL, -1, &rep);
		js.phase = CS_PHASE_NONE;
	}
	/* An upload cut short by a restart is resumed from its sealed state
	 * by the next delivery attempt: the phase alone means nothing now. */
	if (js.phase == CS_PHASE_UPLOADING)
		js.phase = CS_PHASE_NONE;
	if (d->now >= js.deadline) {
		/* what an unfinished upload left on the server goes first */
		if (uploads_abandon(d, dir, id, &js) != CS_OK)
			(void)jobs_shred(d, dir, id, EXPIRED_REASON);
		return;
	}
	/* consent (issue 6, spoold/hold.c): held jobs wait or go back */
	if (dir == CS_DIR_HOLD) {
		(void)hold_run(d, id, &js);
		return;
	}
	if (d->now < js.next_try)
		return;
	/* at its destination's concurrency limit: wait, no attempt counted */
	if (!work_room(d) || (uploads_is_network(d, &js) &&
	    !uploads_room(d, &js)))
		return;
	/* after the room check: a job waiting for room reads no token */
	switch (hold_check(d, id, &js, why, sizeof(why))) {
	case HOLD_HOLD:
		hold_job(d, dir, id, &js);
		return;
	case HOLD_WAIT:
		return;		/* its token is being refreshed */
	case HOLD_DEFER:
		jobs_defer(d, dir, id, &js, why);
		return;
	case HOLD_GO:
		break;
	}
	jobs_deliver(d, dir, id, &js);
}

/* jobs_run_dir - every job of one state folder; drop orphan records */
static void
jobs_run_dir(struct cs_daemon *d, enum cs_spool_dir dir)
{
	char **names, job[CS_JOB_ID_MAX + 8];
	struct stat st;
	size_t n, i, len;

	if (dir_list(d->sp.dir[dir], &names, &n) != CS_OK) {
		cs_log(LOG_ERR, "cannot list %s/", cs_spool_dir_name(dir));
		return;
	}
	for (i = 0; i < n; i++) {
		if (jobstate_is_record(names[i])) {
			len = strlen(names[i]) - 6;
			snprintf(job, sizeof(job), "%.*s", (int)len, names[i]);
			if (len < sizeof(job) && fstatat(d->sp.dir[dir], job, &st,
			    AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
				(void)jobstate_remove(d->sp.dir[dir], job);
		} else if (cs_job_id_valid(names[i]))
			jobs_run_one(d, dir, names[i]);
		else if (names[i][0] != '.')
			jobs_quarantine(d, dir, names[i], "not a job file name");
	}
	dir_list_free(names, n);
}

/* jobs_run_all - consent grants, hold/ (released jobs go to active/ and
 * are delivered in the same pass), active/, deferred/ */
void
jobs_run_all(struct cs_daemon *d)
{
	grants_pickup(d);
	jobs_run_dir(d, CS_DIR_HOLD);
	jobs_run_dir(d, CS_DIR_ACTIVE);
	jobs_run_dir(d, CS_DIR_DEFERRED);
}

/* corrupt_expire - quarantined files live no longer than any job */
void
corrupt_expire(struct cs_daemon *d)
{
	int dfd = d->sp.dir[CS_DIR_CORRUPT];
	int64_t lifetime = (int64_t)(d->cfg.authorization_hold +
	    d->cfg.delivery_window);
	struct stat st;
	char **names;
	size_t n, i;

	if (dir_list(dfd, &names, &n) != CS_OK)
		return;
	for (i = 0; i < n; i++) {
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    d->now - (int64_t)st.st_mtime < lifetime)
			continue;
		if (cs_shred(dfd, names[i]) == CS_OK)
			daemon_audit_job(d, "shredded", NULL, json_pack(
			    "{s:o, s:s, s:s}", "file", cs_audit_str(names[i],
			    200), "state", "corrupt", "reason",
			    "quarantined file past retention"));
	}
	dir_list_free(names, n);
}
