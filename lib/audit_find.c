/*
 * audit_find.c - ask the audit trail whether an event was already recorded.
 *
 * A daemon killed between delivering a job and shredding it resumes the
 * job after restart; whether the "delivered" line made it to the trail
 * before the kill is only known from the trail itself. Used on that
 * recovery path only, so a linear scan is fine.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* getline */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>

#include "audit.h"

/* cs_audit_has - 1 when a line with this event and job exists, 0 when not,
 * -1 when the log cannot be read */
int
cs_audit_has(struct cs_audit *a, const char *event, const char *job)
{
	char needle[256], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int fd, found = 0;

	/* daemon_audit_job writes "event" then "job" first, compactly. */
	if ((size_t)snprintf(needle, sizeof(needle),
	    "\"event\":\"%s\",\"job\":\"%s\"", event, job) >= sizeof(needle))
		return -1;
	fd = openat(a->audit_dirfd, CS_AUDIT_LOG,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	while (flock(fd, LOCK_SH) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while (!found && getline(&line, &cap, f) > 0)
		found = strstr(line, needle) != NULL;
	free(line);
	fclose(f);
	return found;
}
