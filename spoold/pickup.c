/*
 * pickup.c - first contact with what the drop helper left in incoming/.
 *
 * The spool file's owner is who submitted it (the drop helper is setgid,
 * not setuid); nothing the file says about itself is believed unless it
 * agrees with that owner. Junk goes to corrupt/ with an audit line and the
 * daemon carries on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "daemon.h"
#include "log.h"
#include "privs.h"
#include "safefile.h"

/* pickup_stale_partial - shred a half-written drop file once it is old */
static void
pickup_stale_partial(struct cs_daemon *d, const char *name)
{
	int dfd = d->sp.dir[CS_DIR_INCOMING];
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (d->now - (int64_t)st.st_mtime < (int64_t)d->cfg.stale_incoming)
		return;
	if (cs_shred(dfd, name) == CS_OK)
		daemon_audit_job(d, "shredded", NULL, json_pack("{s:s, s:s}",
		    "file", name + 1, "reason",
		    "partial submission abandoned (drop helper killed)"));
}

/* pickup_check_identity - metadata must agree with the file's owner */
static const char *
pickup_check_identity(struct cs_daemon *d, const struct cs_job *j,
    const char *name)
{
	char owner[CS_USER_MAX];

	if (strcmp(j->meta.job_id, name) != 0)
		return "job id in metadata differs from the file name";
	if (j->meta.submitter_uid != j->st.st_uid)
		return "metadata names a submitter other than the file's owner";
	if (j->meta.uid != j->st.st_uid) {
		if (cs_user_name(j->st.st_uid, owner, sizeof(owner)) != CS_OK ||
		    !cs_config_is_trusted(&d->cfg, owner))
			return "submitted for another user by an untrusted owner";
	}
	return NULL;
}

/* pickup_accept - record, then move into active/ */
static void
pickup_accept(struct cs_daemon *d, const struct cs_job *j, const char *name)
{
	struct cs_jobstate js;
	int64_t submitted = j->meta.submitted;
	cs_result r;

	/* The drop helper's clock is ours, but never let a job live longer
	 * than its lifetime from when we first saw it. */
	if (submitted > d->now)
		submitted = d->now;
	memset(&js, 0, sizeof(js));
	js.deadline = submitted + (int64_t)(d->cfg.authorization_hold +
	    d->cfg.delivery_window);
	js.next_try = d->now;
	js.uid = j->meta.uid;
	snprintf(js.action, sizeof(js.action), "%s", j->meta.action);
	if ((r = jobstate_save(d->sp.dir[CS_DIR_ACTIVE], name, &js)) != CS_OK ||
	    (r = cs_move(d->sp.dir[CS_DIR_INCOMING], name,
	    d->sp.dir[CS_DIR_ACTIVE], name)) != CS_OK) {
		cs_log(LOG_ERR, "pickup %s: %s", name, cs_strerror(r));
		return;
	}
	daemon_audit_job(d, "submitted", name, json_pack(
	    "{s:s, s:I, s:s, s:I, s:s, s:o, s:s, s:I, s:I}",
	    "user", j->meta.user, "uid", (json_int_t)j->meta.uid,
	    "submitter", j->meta.submitter,
	    "submitter_uid", (json_int_t)j->meta.submitter_uid,
	    "action", j->meta.action, "name", cs_audit_str(j->meta.name, 200),
	    "origin", j->meta.origin, "submitted", (json_int_t)j->meta.submitted,
	    "bytes", (json_int_t)j->st.st_size));
	daemon_audit_job(d, "picked_up", name, json_pack("{s:s, s:I}",
	    "why", "metadata checked at pickup", "deadline",
	    (json_int_t)js.deadline));
}

/* pickup_one - validate one incoming file */
static void
pickup_one(struct cs_daemon *d, const char *name)
{
	const struct cs_action *act;
	const char *bad = NULL;
	char why[256];
	struct cs_job j;
	cs_result r;

	if (name[0] == '.') {
		pickup_stale_partial(d, name);
		return;
	}
	if (!cs_job_id_valid(name)) {
		jobs_quarantine(d, CS_DIR_INCOMING, name, "not a job file name");
		return;
	}
	r = job_open(d, d->sp.dir[CS_DIR_INCOMING], name, &j, why, sizeof(why));
	if (r == CS_ERR_NOTFOUND) {
		daemon_audit_job(d, "ignored", name, json_pack("{s:s}", "reason",
		    "file vanished before it could be opened"));
		job_close(&j);
		return;
	}
	if (r == CS_OK)
		bad = pickup_check_identity(d, &j, name);
	if (r != CS_OK || bad != NULL) {
		job_close(&j);
		jobs_quarantine(d, CS_DIR_INCOMING, name, bad ? bad : why);
		return;
	}
	act = cs_config_action(&d->cfg, j.meta.action);
	if (act == NULL || !cs_action_permits(act, j.meta.user)) {
		daemon_audit_job(d, "rejected", name, json_pack("{s:s, s:s, s:s}",
		    "user", j.meta.user, "action", j.meta.action, "reason",
		    act == NULL ? "action no longer configured" :
		    "user may not use this action"));
		job_close(&j);
		(void)jobs_shred(d, CS_DIR_INCOMING, name, "rejected at pickup");
		return;
	}
	pickup_accept(d, &j, name);
	job_close(&j);
}

/* pickup_all - every entry of incoming/ */
void
pickup_all(struct cs_daemon *d)
{
	char **names;
	size_t n, i;

	if (dir_list(d->sp.dir[CS_DIR_INCOMING], &names, &n) != CS_OK) {
		cs_log(LOG_ERR, "pickup: cannot list incoming/");
		return;
	}
	for (i = 0; i < n; i++)
		pickup_one(d, names[i]);
	dir_list_free(names, n);
}
