/*
 * uploads.h - what the daemon's two uploader files share: a running
 * uploader's slot (uploads.c runs it) and the request it is sent first
 * (uploads_request.c builds it). Private to spoold/; daemon.h has the
 * interface the rest of the daemon uses.
 */
#ifndef CS_UPLOADS_H
#define CS_UPLOADS_H

#include <jansson.h>

#include "daemon.h"

struct upload_slot {
	pid_t pid;
	int fd;				/* control socket, -1 once closed */
	enum cs_spool_dir dir;
	char id[CS_JOB_ID_MAX];
	char dest[65];
	int finished;			/* a final message arrived */
	int next_unit;			/* done: start the next unit's uploader */
	uint8_t key[CS_AEAD_KEY_LEN];	/* the job's state key */
	struct cs_jobmeta meta;
	struct delivery_units units;
	struct cs_jobstate js;
	int abandon;			/* a clean-up run before the shred */
	int64_t abandon_until;		/* ... which ends by then */
};

/* uploads_request - the first message to the uploader, for the slot's
 * current unit (or its clean-up run); NULL with why set on failure */
json_t *uploads_request(struct cs_daemon *d, const struct upload_slot *s,
    char *why, size_t whylen);

#endif
