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

#include <poll.h>
#include <jansson.h>

#include "audit.h"
#include "crypto.h"
#include "config.h"
#include "jobmeta.h"
#include "result.h"
#include "spool.h"
#include "spoolfmt.h"
#include "vault.h"

struct upload_slot;
struct work_slot;
struct refresh_slot;

struct cs_daemon {
	struct cs_config cfg;
	struct cs_spool sp;
	struct cs_audit audit;
	int agent_fd;			/* socket to the delivery agent */
	const char *filter_path;	/* the worker program */
	const char *upload_path;	/* the uploader program */
	int64_t now;			/* wall clock at the start of the pass */
	struct upload_slot *uploads;	/* running uploaders (uploads.c) */
	size_t nuploads;
	struct work_slot *work;		/* running filters (work.c) */
	size_t nwork;
	/* consent (issue 6; spoold/grants.c): -1 and 0 when [authorization]
	 * is absent */
	int consent_on;
	struct cs_vault vault;
	int tokens_dirfd;		/* SPOOL/tokens 0700 */
	int consent_dirfd;		/* SPOOL/consent: requests for authd */
	int grants_dirfd;		/* SPOOL/grants: authd's drops */
	struct refresh_slot *refreshes;	/* token refreshes (refresh.c) */
	size_t nrefreshes;
};

/* A job's scheduling record: SPOOL/<state>/<id>.state, no job content. */
enum cs_phase {
	CS_PHASE_NONE = 0,
	CS_PHASE_STAGING,		/* the agent may hold a partial file */
	CS_PHASE_COMMITTING,		/* the staged file is whole: commit it */
	CS_PHASE_UPLOADING		/* an uploader owns it (network provider) */
};

/* base64 of the sealed upload state (upstate.c); the uploader's plaintext
 * state is at most CS_UPSTATE_MAX bytes */
#define CS_UPSTATE_MAX 45000
#define CS_UPSTATE_B64 61440

struct cs_jobstate {
	int64_t deadline;		/* shred at or after this */
	int64_t next_try;
	uint32_t attempts;
	uint32_t uid;
	char action[65];
	enum cs_phase phase;
	uint64_t ino;			/* staged file's inode (localdir) */
	char upload[CS_UPSTATE_B64];	/* sealed upload state, "" when none */
	uint32_t units_done;		/* documents of the job delivered */
	char dest_override[65];		/* the destination taking the job
					 * instead of its action's (smtp's
					 * fallback), "" when none */
};

/* One document a job delivers (units.c), and all of them. */
struct delivery_unit {
	int fd;				/* memfd, at offset 0 */
	char name[CS_NAME_MAX + 1];
};

struct delivery_units {
	size_t n;
	struct delivery_unit *unit;
	json_t *report;			/* the filter's report, or NULL */
};

/* units_from_output - split the filter's output (a docset, or one plain
 * document) into units named after orig: NAME.pdf, NAME-k.pdf,
 * NAME-removed.pdf */
cs_result units_from_output(int out_fd, const char *orig,
    struct delivery_units *u);

/* units_free - close and forget every unit */
void units_free(struct delivery_units *u);

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
	uint8_t state_key[CS_AEAD_KEY_LEN];	/* seals its upload state */
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

/* A running filter: its pid, a pidfd to poll, and its output memfd. */
struct worker_proc {
	pid_t pid;
	int pidfd;
	int out_fd;
	int err_fd;			/* its standard error (a memfd) */
};

/* worker_spawn - run the filter program (argv[0] is its name) on in_fd (a
 * memfd, read from offset 0) in a child with no keys, no environment and
 * no network; its output goes to w->out_fd, a new memfd */
cs_result worker_spawn(struct cs_daemon *d, char *const argv[], int in_fd,
    struct worker_proc *w, char *why, size_t whylen);

/* worker_finish - reap the filter: CS_OK when it succeeded (out_fd then
 * rewound), CS_ERR_TEMP while it runs (wait = 0), CS_ERR_FORMAT when it
 * said the input cannot be processed (exit 1; why holds its one-line
 * error), CS_ERR_CHILD or CS_ERR_IO otherwise */
cs_result worker_finish(struct worker_proc *w, int wait, char *why,
    size_t whylen);

/* work_busy - 1 when a filter is running for job id */
int work_busy(const struct cs_daemon *d, const char *id);

/* work_for_destination - filters running for jobs whose action delivers
 * to destination dest (each becomes an uploader when it finishes) */
size_t work_for_destination(const struct cs_daemon *d, const char *dest);

/* work_room - 1 when fewer than [spool] workers filters run */
int work_room(const struct cs_daemon *d);

/* work_start - filter a decrypted job (doc_fd, pages: 0 for a document)
 * in the background; the job continues in jobs_processed once it ends */
cs_result work_start(struct cs_daemon *d, enum cs_spool_dir dir,
    const char *id, const struct cs_jobstate *js, const struct cs_job *j,
    const char *name, int doc_fd, uint64_t pages, uint64_t bytes, char *why,
    size_t whylen);

/* daemon_pollfd_add - fd (when >= 0) as a POLLIN entry at pfd[*n],
 * while *n < cap: the one way the loop's fd collectors fill poll(2)'s
 * array */
void daemon_pollfd_add(struct pollfd *pfd, size_t cap, size_t *n, int fd);

/* work_pollfds - pidfds of the running filters, for poll(2) */
size_t work_pollfds(const struct cs_daemon *d, struct pollfd *pfd,
    size_t cap);

/* work_service - finish the filters that ended; under the spool lock */
void work_service(struct cs_daemon *d);

/* work_stop_all - kill every filter (the jobs are redone on restart) */
void work_stop_all(struct cs_daemon *d);

/* What a finished filter hands back to the job state machine. */
struct work_result {
	enum cs_spool_dir dir;
	char id[CS_JOB_ID_MAX];
	struct cs_jobstate js;
	struct cs_job job;		/* meta and state key; no fd, no reader */
	char name[CS_NAME_MAX + 1];
	uint64_t pages, bytes;
	int out_fd;			/* the filter's output, rewound */
};

/* jobs_processed - continue a job whose filter succeeded: deliver it */
void jobs_processed(struct cs_daemon *d, struct work_result *w);

/* jobs_defer - count a failure and retry later */
void jobs_defer(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    struct cs_jobstate *js, const char *why);

/* jobs_defer_after - count a failure and retry in deferred/ after the
 * backoff, or after retry_after seconds when that is longer (a provider's
 * Retry-After) */
void jobs_defer_after(struct cs_daemon *d, enum cs_spool_dir dir,
    const char *id, struct cs_jobstate *js, const char *why,
    uint64_t retry_after);

/* jobs_delivered - audit the delivery once and shred the job */
void jobs_delivered(struct cs_daemon *d, enum cs_spool_dir dir,
    const char *id, const struct cs_jobstate *js, const char *where,
    const char *remote_id, int earlier);

/* jobs_unit_delivered - one of a job's n documents arrived at where:
 * audit it and count it in the record */
void jobs_unit_delivered(struct cs_daemon *d, enum cs_spool_dir dir,
    const char *id, struct cs_jobstate *js, size_t n, const char *where);

/* upstate_seal - seal an uploader's state (JSON text) for job id with the
 * job's state key into js->upload */
cs_result upstate_seal(const uint8_t key[CS_AEAD_KEY_LEN], const char *id,
    const char *json, size_t len, struct cs_jobstate *js);

/* upstate_open - the state js->upload holds, as JSON (NULL when none);
 * CS_ERR_AUTH when it does not open with this job's key */
cs_result upstate_open(const uint8_t key[CS_AEAD_KEY_LEN], const char *id,
    const struct cs_jobstate *js, json_t **state);

/* upstate_key - derive a job's state key from its epoch secret */
void upstate_key(const uint8_t sk[CS_X25519_LEN], const char *id,
    uint8_t key[CS_AEAD_KEY_LEN]);

/* uploads_job_destination - the job's destination: its dest_override,
 * else its action's; NULL when neither is configured */
const struct cs_destination *uploads_job_destination(
    const struct cs_daemon *d, const struct cs_jobstate *js);

/* uploads_is_network - 1 when the job's destination is delivered by the
 * uploader (anything but localdir) */
int uploads_is_network(const struct cs_daemon *d,
    const struct cs_jobstate *js);

/* uploads_busy - 1 when an uploader is running for job id */
int uploads_busy(const struct cs_daemon *d, const char *id);

/* uploads_room - 1 when the job's destination is under its concurrency
 * limit */
int uploads_room(const struct cs_daemon *d, const struct cs_jobstate *js);

/* uploads_start - deliver units (taken over, whatever the result) from
 * unit js->units_done on, one uploader after another; on failure why
 * says why (the caller defers) */
cs_result uploads_start(struct cs_daemon *d, enum cs_spool_dir dir,
    const char *id, struct cs_jobstate *js, const struct cs_job *j,
    struct delivery_units *units, char *why, size_t whylen);

/* uploads_abandon - for a job being shredded undelivered: when its
 * record holds an upload state for a network destination, start the
 * uploader's clean-up run ("abandon"), which shreds the job when it ends;
 * CS_ERR_NOTFOUND when there is nothing to clean up (or another error
 * when it cannot start): the caller shreds at once */
cs_result uploads_abandon(struct cs_daemon *d, enum cs_spool_dir dir,
    const char *id, struct cs_jobstate *js);

/* uploads_pollfds - the running uploaders' sockets, for poll(2); returns
 * how many were written to pfd (at most cap) */
size_t uploads_pollfds(const struct cs_daemon *d, struct pollfd *pfd,
    size_t cap);

/* uploads_service - read and act on whatever the uploaders sent; call
 * under the spool lock with d->now set */
void uploads_service(struct cs_daemon *d);

/* uploads_stop_all - kill every uploader (their state is durable: the
 * next start resumes) */
void uploads_stop_all(struct cs_daemon *d);

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
 * an audit line (why, which job). A token expiring within a minute is
 * refreshed by a child (refresh.c): CS_ERR_BUSY while that runs (the job
 * waits), CS_ERR_TEMP for a minute after it failed (why says how; the
 * job is retried later). CS_ERR_NOTFOUND: no consent (or a grant
 * invalid_grant deleted); CS_ERR_AUTH: the record does not open. */
cs_result vault_token_for_job(struct cs_daemon *d, uint32_t uid,
    const char *destination, const char *job, char **access_token,
    char *why, size_t whylen);

/* refresh_check - what is known of (uid, destination)'s refresh:
 * CS_ERR_BUSY one runs; CS_ERR_TEMP the last failed less than a minute
 * ago (why says how); CS_OK otherwise, *fresh = 1 when one succeeded
 * less than a minute ago */
cs_result refresh_check(struct cs_daemon *d, uint32_t uid,
    const char *destination, int *fresh, char *why, size_t whylen);

/* refresh_start - refresh the token tok (the vault record's JSON) in a
 * cloudspool-upload child; the outcome is stored and audited by
 * refresh_service */
cs_result refresh_start(struct cs_daemon *d, uint32_t uid, const char *user,
    const char *destination, const char *job, const uint8_t *tok,
    size_t toklen, char *why, size_t whylen);

/* refresh_start_revoke - revoke the token tok (the record, already
 * shredded, held it) at the destination's revoke_url in a child like a
 * refresh's; its outcome is audited token-revoked-at-provider */
cs_result refresh_start_revoke(struct cs_daemon *d, uint32_t uid,
    const char *user, const char *dest, const uint8_t *tok, size_t toklen,
    char *why, size_t whylen);

/* refresh_forget - a new grant for (uid, destination) was stored: an
 * old refresh outcome no longer applies, and a running refresh's answer
 * will be discarded (its invalid_grant must not delete the new grant) */
void refresh_forget(struct cs_daemon *d, uint32_t uid,
    const char *destination);

/* refresh_pollfds - the running refreshes' sockets, for poll(2) */
size_t refresh_pollfds(const struct cs_daemon *d, struct pollfd *pfd,
    size_t cap);

/* refresh_service - read the answers, store new tokens, kill children
 * past their deadline, forget old outcomes; 1 when a refresh ended.
 * Under the spool lock with d->now set. */
int refresh_service(struct cs_daemon *d);

/* refresh_running - refresh children still running */
size_t refresh_running(const struct cs_daemon *d);

/* refresh_stop_all - kill every refresh child (restarted when needed) */
void refresh_stop_all(struct cs_daemon *d);

/* vault_token_stale - the provider said 401 to the token the vault
 * holds for (uid, destination): mark it expired, so that the next read
 * refreshes it (audited as a read for job) */
void vault_token_stale(struct cs_daemon *d, uint32_t uid,
    const char *destination, const char *job);

/* hold_check - whether a job may go on to delivery as far as consent
 * is concerned: its destination needs none or its token is usable (GO),
 * its user has no usable grant (HOLD; a revoked one is gone already),
 * a refresh of its token runs (WAIT: no attempt counted), or the last
 * refresh failed (DEFER, why says how) */
enum hold_verdict { HOLD_GO, HOLD_HOLD, HOLD_WAIT, HOLD_DEFER };
enum hold_verdict hold_check(struct cs_daemon *d, const char *id,
    const struct cs_jobstate *js, char *why, size_t whylen);

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
