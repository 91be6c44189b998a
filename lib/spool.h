/*
 * spool.h - the spool's folders, opened once as directory fds.
 *
 *   ROOT       0710 cloudspool:cloudspool-drop
 *   incoming/  1770 cloudspool:cloudspool-drop  the drop helper writes here
 *   active/    0700  picked up, waiting for processing and delivery
 *   deferred/  0700  delivery failed, waiting for a retry
 *   hold/      0700  waiting for the user's consent (later issues)
 *   corrupt/   0700  quarantined junk, shredded after the longest retention
 *   keys/      0700  epoch private keys, audit key
 *   public/    2750 cloudspool:cloudspool-drop  current public key
 *   status/    2750 cloudspool:cloudspool-drop  per-user job lists
 *   audit/     0700  audit.log, head
 */
#ifndef CS_SPOOL_H
#define CS_SPOOL_H

#include <sys/types.h>
#include "result.h"

enum cs_spool_dir {
	CS_DIR_INCOMING,
	CS_DIR_ACTIVE,
	CS_DIR_DEFERRED,
	CS_DIR_HOLD,
	CS_DIR_CORRUPT,
	CS_DIR_KEYS,
	CS_DIR_PUBLIC,
	CS_DIR_STATUS,
	CS_DIR_AUDIT,
	CS_DIR__COUNT
};

struct cs_spool {
	int root;
	int dir[CS_DIR__COUNT];
};

/* cs_spool_dir_name - a folder's name under ROOT */
const char *cs_spool_dir_name(enum cs_spool_dir d);

/* cs_spool_init - create or repair the layout under path, which must exist
 * and be owned by the caller (the daemon user); drop_gid must be one of the
 * caller's groups. Modes are set as above. */
cs_result cs_spool_init(const char *path, gid_t drop_gid, char *err,
    size_t errlen);

/* cs_spool_open - open ROOT and every folder (the daemon, cloudspoolctl) */
cs_result cs_spool_open(struct cs_spool *s, const char *path, char *err,
    size_t errlen);

/* cs_spool_open_drop - open ROOT (O_PATH), incoming/, public/ and status/
 * only: the drop helper may not reach anything else */
cs_result cs_spool_open_drop(struct cs_spool *s, const char *path, char *err,
    size_t errlen);

/* cs_spool_lock - take the spool-wide exclusive lock (ROOT/lock) that
 * serializes a daemon pass with cloudspoolctl's changes; blocks */
cs_result cs_spool_lock(const struct cs_spool *s, int *lockfd);

/* cs_spool_unlock - release it */
void cs_spool_unlock(int lockfd);

/* cs_spool_close - close every open fd; safe to call twice */
void cs_spool_close(struct cs_spool *s);

#endif
