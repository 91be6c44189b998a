/*
 * jobmeta.h - a job's metadata, sealed in its META section as JSON.
 *
 * Written by cloudspool-drop from what it knows first-hand (real uid, its own
 * clock); the daemon still checks uid against the spool file's owner.
 */
#ifndef CS_JOBMETA_H
#define CS_JOBMETA_H

#include <stdint.h>
#include <sys/types.h>
#include "result.h"

#define CS_JOB_ID_MAX 40
#define CS_NAME_MAX 255		/* file names: one path component */
#define CS_USER_MAX 64
#define CS_META_MAX 8192	/* sealed JSON size cap */

struct cs_jobmeta {
	char job_id[CS_JOB_ID_MAX];
	char user[CS_USER_MAX];		/* whose job it is */
	uint32_t uid;
	char submitter[CS_USER_MAX];	/* who ran the drop helper */
	uint32_t submitter_uid;
	char email[256];		/* may be empty */
	char locale[64];		/* may be empty */
	char action[65];
	char name[CS_NAME_MAX + 1];	/* sanitized original file name */
	int64_t submitted;		/* unix seconds, drop helper's clock */
	char origin[128];		/* e.g. "cups job 42", may be empty */
};

/* cs_jobmeta_encode - JSON text of m into buf (NUL-terminated) */
cs_result cs_jobmeta_encode(const struct cs_jobmeta *m, char *buf,
    size_t cap, size_t *len);

/* cs_jobmeta_decode - strict parse: every field typed and within bounds */
cs_result cs_jobmeta_decode(const char *buf, size_t len, struct cs_jobmeta *m);

/* cs_sanitize_name - make a safe single path component out of an untrusted
 * title: no '/', no control characters, no leading '.', valid UTF-8 kept,
 * invalid bytes replaced by '_', at most CS_NAME_MAX bytes on a character
 * boundary; an empty result becomes fallback */
void cs_sanitize_name(const char *in, char *out, size_t cap,
    const char *fallback);

/* cs_job_id_new - a fresh id: UTC time (YYYYMMDDhhmmss) '-' 12 random hex */
cs_result cs_job_id_new(char out[CS_JOB_ID_MAX]);

/* cs_job_id_valid - 1 when s has the shape cs_job_id_new makes */
int cs_job_id_valid(const char *s);

#endif
