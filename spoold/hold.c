/*
 * hold.c - jobs that wait for their user's consent (hold/).
 *
 * A job whose destination has a token_url and whose user has no usable
 * token moves to hold/. The first held job of a (user, destination) pair
 * creates a consent request (consent.h) and sends one email with its
 * link; later jobs of the pair find the live request and send nothing.
 * The hold ends at pickup + authorization_hold (the job record's deadline
 * less delivery_window): then the job is shredded with reason "not
 * authorized" and the user gets a notice. When the vault has a token for
 * the pair (grants_pickup stored it), the job goes back to active/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent.h"
#include "daemon.h"
#include "log.h"
#include "oauth.h"
#include "privs.h"
#include "safefile.h"

#define HOLD_REASON "not authorized: no consent within authorization_hold"

/* hold_destination - the destination name of a job's action, when it
 * needs consent; NULL otherwise */
static const char *
hold_destination(struct cs_daemon *d, const struct cs_jobstate *js)
{
	const struct cs_action *a = cs_config_action(&d->cfg, js->action);

	if (!d->consent_on || a == NULL || a->destination == NULL ||
	    cs_destination_get(a->destination, "token_url") == NULL)
		return NULL;
	return a->destination->name;
}

/* hold_deadline - when the hold of a job ends */
static int64_t
hold_deadline(struct cs_daemon *d, const struct cs_jobstate *js)
{
	return js->deadline - (int64_t)d->cfg.delivery_window;
}

/* hold_check - see daemon.h */
enum hold_verdict
hold_check(struct cs_daemon *d, const char *id, const struct cs_jobstate *js,
    char *why, size_t whylen)
{
	const char *dest = hold_destination(d, js);
	char *token;
	cs_result r;

	if (dest == NULL)
		return HOLD_GO;
	/* the read a delivery makes, audited as such; the uploader gets
	 * the token from its own read when it starts */
	r = vault_token_for_job(d, js->uid, dest, id, &token, why, whylen);
	switch (r) {
	case CS_OK:
		cs_free_secret(token);
		return HOLD_GO;
	case CS_ERR_NOTFOUND:
	case CS_ERR_REVOKED:
	case CS_ERR_AUTH:
		return HOLD_HOLD;
	case CS_ERR_BUSY:
		return HOLD_WAIT;
	default:
		if (why[0] == '\0')
			(void)snprintf(why, whylen, "token for %s: %s", dest,
			    cs_strerror(r));
		return HOLD_DEFER;
	}
}

/* hold_request - one consent request and email per pair and hold */
static void
hold_request(struct cs_daemon *d, const char *id, uint32_t uid,
    const char *dest, int64_t deadline)
{
	struct cs_consent_req req;
	char hash[CS_LINK_HASH_HEX + 1], token[CS_LINK_TOKEN_LEN + 1];
	char link[1024];

	if (cs_consent_request_find(d->consent_dirfd, uid, dest, d->now,
	    hash) == CS_OK)
		return;
	memset(&req, 0, sizeof(req));
	if (cs_user_name(uid, req.user, sizeof(req.user)) != CS_OK)
		return;
	req.uid = uid;
	(void)snprintf(req.destination, sizeof(req.destination), "%s", dest);
	req.expires_at = deadline;
	if (cs_consent_request_create(d->consent_dirfd, 0640, &req, token) !=
	    CS_OK) {
		cs_log(LOG_ERR, "cannot write a consent request for uid %u",
		    (unsigned)uid);
		return;
	}
	(void)snprintf(link, sizeof(link), "%s/authorize?t=%s",
	    d->cfg.auth.callback_url, token);
	daemon_audit_job(d, "consent-requested", id, json_pack("{s:I, s:o, "
	    "s:s, s:I}", "uid", (json_int_t)uid, "user", cs_audit_str(req.user,
	    64), "destination", dest, "expires_at", (json_int_t)deadline));
	notify_user(d, uid, NOTIFY_CONSENT, dest, link, deadline, NULL);
	cs_wipe(token, sizeof(token));
	cs_wipe(link, sizeof(link));
}

/* hold_move - a job and its record from one state folder to another */
static cs_result
hold_move(struct cs_daemon *d, enum cs_spool_dir from, enum cs_spool_dir to,
    const char *id, const struct cs_jobstate *js)
{
	cs_result r;

	/* the record first: a crash leaves a job with a copy of its record
	 * in both, and the job's folder wins (jobs_run_dir drops orphans) */
	if ((r = jobstate_save(d->sp.dir[to], id, js)) != CS_OK)
		return r;
	if ((r = cs_move(d->sp.dir[from], id, d->sp.dir[to], id)) != CS_OK) {
		(void)jobstate_remove(d->sp.dir[to], id);
		return r;
	}
	return jobstate_remove(d->sp.dir[from], id);
}

/* hold_job - see daemon.h */
void
hold_job(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js)
{
	const char *dest = hold_destination(d, js);

	if (dest == NULL)
		return;
	if (dir != CS_DIR_HOLD && hold_move(d, dir, CS_DIR_HOLD, id, js) !=
	    CS_OK) {
		cs_log(LOG_ERR, "cannot move job %s to hold/", id);
		return;
	}
	if (dir != CS_DIR_HOLD)
		daemon_audit_job(d, "held", id, json_pack("{s:s, s:I}",
		    "destination", dest, "until",
		    (json_int_t)hold_deadline(d, js)));
	hold_request(d, id, js->uid, dest, hold_deadline(d, js));
}

/* hold_run - see daemon.h */
int
hold_run(struct cs_daemon *d, const char *id, struct cs_jobstate *js)
{
	const char *dest = hold_destination(d, js);
	char name[CS_NAME_MAX + 1], why[256];
	struct cs_job j;

	if (d->now >= hold_deadline(d, js)) {
		/* the notice names the file: the sealed metadata is opened for
		 * it (audited), never the document */
		(void)snprintf(name, sizeof(name), "%s", id);
		if (job_open(d, d->sp.dir[CS_DIR_HOLD], id, &j, why,
		    sizeof(why)) == CS_OK) {
			daemon_audit_job(d, "decrypted", id, json_pack("{s:s}",
			    "why", "file name for the not-authorized notice"));
			(void)snprintf(name, sizeof(name), "%s", j.meta.name);
		}
		job_close(&j);
		if (jobs_shred(d, CS_DIR_HOLD, id, HOLD_REASON) == CS_OK &&
		    dest != NULL)
			notify_user(d, js->uid, NOTIFY_SHREDDED, dest, NULL, 0,
			    name);
		return 0;
	}
	/* no record yet: wait, without a vault read (and its audit line)
	 * on every pass */
	if (dest != NULL && !cs_vault_has(&d->vault, js->uid, dest))
		return 1;
	switch (hold_check(d, id, js, why, sizeof(why))) {
	case HOLD_HOLD:
		/* a revoked token while held: ask again (no-op when a live
		 * request exists) */
		hold_request(d, id, js->uid, dest, hold_deadline(d, js));
		return 1;
	case HOLD_WAIT:
		return 1;	/* its token is being refreshed */
	default:
		/* consent is there; a failed refresh is retried from
		 * active/ under the delivery window like any failure */
		break;
	}
	js->next_try = d->now;
	if (hold_move(d, CS_DIR_HOLD, CS_DIR_ACTIVE, id, js) != CS_OK) {
		cs_log(LOG_ERR, "cannot release job %s from hold/", id);
		return 1;
	}
	daemon_audit_job(d, "released", id, json_pack("{s:s?}", "destination",
	    dest));
	return 0;
}
