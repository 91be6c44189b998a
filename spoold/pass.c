/*
 * pass.c - one pass of the scheduler, and the audit helper every part uses.
 *
 * Order matters: keys first (a new epoch before anyone needs it), expiry
 * and delivery next, and key destruction last, after the jobs that could
 * still need an old key have been shredded.
 */
#include <time.h>

#include "daemon.h"
#include "log.h"

/* daemon_audit_job - audit an event; a job id (may be NULL) goes first */
void
daemon_audit_job(struct cs_daemon *d, const char *event, const char *id,
    json_t *fields)
{
	json_t *f = json_object();

	if (id != NULL)
		json_object_set_new(f, "job", json_string(id));
	if (fields != NULL) {
		json_object_update(f, fields);
		json_decref(fields);
	}
	if (cs_audit_log(&d->audit, event, f) != CS_OK)
		cs_log(LOG_ERR, "audit: cannot record %s for %s", event,
		    id != NULL ? id : "-");
}

/* daemon_pass - one pass under the spool lock */
void
daemon_pass(struct cs_daemon *d)
{
	int lockfd;

	if (cs_spool_lock(&d->sp, &lockfd) != CS_OK) {
		cs_log(LOG_ERR, "cannot take the spool lock");
		return;
	}
	d->now = (int64_t)time(NULL);
	keys_maintain(d);
	/* children the loop did not hear from (no pidfd): reaped here */
	work_service(d);
	uploads_service(d);
	/* and refreshes past their deadline are killed here */
	(void)refresh_service(d);
	pickup_all(d);
	jobs_run_all(d);
	corrupt_expire(d);
	keys_destroy_dead(d);
	status_publish(d);
	cs_spool_unlock(lockfd);
}
