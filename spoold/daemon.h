/*
 * daemon.h - cloudspoold's state and the functions of each pass.
 *
 * One struct holds everything a pass needs, so nothing is global and a test
 * can build a daemon in a scratch spool.
 */
#ifndef CS_DAEMON_H
#define CS_DAEMON_H

#include <stdint.h>
#include <time.h>
#include <sys/types.h>
#include <sys/stat.h>

#include "audit.h"
#include "config.h"
#include "jobmeta.h"
#include "result.h"
#include "spool.h"
#include "spoolfmt.h"
#include "vault.h"

struct cs_daemon {
	struct cs_config cfg;
	struct cs_spool sp;
	struct cs_audit audit;
	int agent_fd;			/* socket to the delivery agent */
	const char *filter_path;	/* the worker program */
	int64_t now;			/* wall clock at the start of the pass */
	/* consent (issue 6; spoold/grants.c): -1 and 0 when [authorization]
	 * is absent */
	int consent_on;
	struct cs_vault vault;
	int tokens_dirfd;		/* SPOOL/tokens 0700 */
	int consent_dirfd;		/* SPOOL/consent: requests for authd */
	int grants_dirfd;		/* SPOOL/grants: authd's drops */
};

/* A job's scheduling record: SPOOL/<state>/<id>.state, no job content. */
enum cs_phase {
	CS_PHASE_NONE = 0,
	CS_PHASE_STAGING,		/* the agent may hold a partial file */
	CS_PHASE_COMMITTING		/* the staged file is whole: commit it */
};

struct cs_jobstate {
	int64_t deadline;		/* shred at or after this */
	int64_t next_try;
	uint32_t attempts;
	uint32_t uid;
	char action[65];
	enum cs_phase phase;
	uint64_t ino;			/* staged file's inode (localdir) */
};

/* jobstate_load - read id's record in dirfd; CS_ERR_NOTFOUND when none */
cs_result jobstate_load(int dirfd, const char *id, struct cs_jobstate *js);

/* jobstate_save - write id's record atomically */
cs_result jobstate_save(int dirfd, const char *id, const struct cs_jobstate *js);

/* jobstate_remove - remove id's record (absent is fine) */
cs_result jobstate_remove(int dirfd, const char *id);

/* jobstate_is_record - 1 when a directory entry is a record, not a job */
int jobstate_is_record(const char *name);

/* An open job: its fd, stat, and a reader positioned after META. */
struct cs_job {
	int fd;
	struct stat st;
	struct cs_spool_header hdr;
	struct cs_spool_reader *rd;
	struct cs_jobmeta meta;
};

/* job_open - open name under dirfd with safe_open rules, check the header
 * and size, decrypt the metadata; why says what was wrong */
cs_result job_open(struct cs_daemon *d, int dirfd, const char *name,
    struct cs_job *j, char *why, size_t whylen);

/* job_close - close the fd and wipe the reader */
void job_close(struct cs_job *j);

/* dir_list - names in a folder (no "." or ".."), sorted; free with
 * dir_list_free */
cs_result dir_list(int dirfd, char ***names, size_t *n);

/* dir_list_free - free what dir_list returned */
void dir_list_free(char **names, size_t n);

/* daemon_pass - one pass: keys, pickup, jobs, expiry, status */
void daemon_pass(struct cs_daemon *d);

/* keys_maintain - make the first/next epoch when due, destroy dead ones */
void keys_maintain(struct cs_daemon *d);

/* keys_destroy_dead - destroy every epoch no live job can still use */
void keys_destroy_dead(struct cs_daemon *d);

/* pickup_all - validate incoming/ files; move to active/ or corrupt/ */
void pickup_all(struct cs_daemon *d);

/* jobs_run_all - expire, process and deliver the jobs that are due */
void jobs_run_all(struct cs_daemon *d);

/* jobs_quarantine - move name from a state folder to corrupt/, audited */
void jobs_quarantine(struct cs_daemon *d, enum cs_spool_dir from,
    const char *name, const char *why);

/* jobs_shred - shred a job and its record, audited with the reason */
cs_result jobs_shred(struct cs_daemon *d, enum cs_spool_dir from,
    const char *id, const char *reason);

/* corrupt_expire - shred quarantined files older than the longest lifetime */
void corrupt_expire(struct cs_daemon *d);

/* status_publish - write SPOOL/status/<uid>.json for every user with jobs */
void status_publish(struct cs_daemon *d);

/* worker_run - run the filter program on in_fd (a memfd, read from offset
 * 0) in a child with no keys and no network; *out_fd receives a memfd with
 * its output. why gets a reason on failure. */
cs_result worker_run(struct cs_daemon *d, int in_fd, int *out_fd,
    char *why, size_t whylen);

/* worker_run_mode - worker_run with the filter's mode: "--worker" for a
 * document, "--worker-pages" for a page stream (pagestream.h) */
cs_result worker_run_mode(struct cs_daemon *d, const char *mode, int in_fd,
    int *out_fd, char *why, size_t whylen);

/* daemon_audit_job - audit an event about a job with common fields */
void daemon_audit_job(struct cs_daemon *d, const char *event, const char *id,
    json_t *fields);

/* consent and hold (issue 6): spoold/grants.c, spoold/hold.c */
struct cs_jobstate;

/* consent_open - when [authorization] is set: open tokens/, consent/ and
 * grants/, load (or make) the vault key and publish its public key;
 * CS_OK with consent off otherwise */
cs_result consent_open(struct cs_daemon *d, char *err, size_t errlen);

/* consent_close - wipe the vault key, close the folders */
void consent_close(struct cs_daemon *d);

/* grants_pickup - open every sealed grant and event authd dropped: store
 * tokens in the vault, audit, release that pair's held jobs */
void grants_pickup(struct cs_daemon *d);

/* vault_token_for_job - the access token for a job's delivery, read with
 * an audit line (why, which job); refreshed (and the rotated refresh token
 * stored) when it expires within a minute. CS_ERR_NOTFOUND: no consent
 * yet; CS_ERR_REVOKED: invalid_grant, the record was deleted and audited */
cs_result vault_token_for_job(struct cs_daemon *d, uint32_t uid,
    const char *destination, const char *job, char **access_token);

/* hold_needed - 1 when the job's destination needs consent and its user
 * has no usable token (a revoked one is deleted on the way) */
int hold_needed(struct cs_daemon *d, const char *id,
    const struct cs_jobstate *js);

/* hold_job - move a job to hold/ and ask its user for consent (one email
 * per user and destination while the hold lasts) */
void hold_job(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js);

/* hold_run - for a job in hold/: shred it at authorization_hold with a
 * notice, release it to active/ once consent is there; 1 when it stays */
int hold_run(struct cs_daemon *d, const char *id, struct cs_jobstate *js);

/* notify_user - email a user a localized message (notify.c) */
enum notify_kind { NOTIFY_CONSENT, NOTIFY_SHREDDED };
void notify_user(struct cs_daemon *d, uint32_t uid, enum notify_kind kind,
    const char *destination, const char *link, int64_t deadline,
    const char *reason);

#endif
