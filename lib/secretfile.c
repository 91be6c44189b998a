/*
 * secretfile.c - read an admin's secret file under one rule (secretfile.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "safefile.h"
#include "secretfile.h"

/* cs_secret_file_read - see secretfile.h */
cs_result
cs_secret_file_read(const char *path, char *buf, size_t cap, char *why,
    size_t whylen)
{
	struct stat st;
	size_t len;
	cs_result r;
	int fd;

	if (cap < 2)
		return CS_ERR_INVAL;
	buf[0] = '\0';
	if ((r = cs_safe_open_read(AT_FDCWD, path, CS_ANY_OWNER, &st, &fd)) !=
	    CS_OK) {
		(void)snprintf(why, whylen, "cannot read secret file %s: %s",
		    path, cs_strerror(r));
		return r;
	}
	if ((st.st_mode & (S_IRWXO | S_IWGRP)) != 0) {
		(void)close(fd);
		(void)snprintf(why, whylen, "secret file %s is mode %04o: it "
		    "must be 0600 or 0640 (no access for other users)", path,
		    (unsigned)(st.st_mode & 07777));
		return CS_ERR_PERM;
	}
	if ((uint64_t)st.st_size > cap - 1) {
		(void)close(fd);
		(void)snprintf(why, whylen, "secret file %s is larger than %zu "
		    "bytes", path, cap - 1);
		return CS_ERR_TOOBIG;
	}
	r = cs_read_full(fd, buf, cap - 1, &len);
	(void)close(fd);
	if (r != CS_OK) {
		cs_wipe(buf, cap);
		(void)snprintf(why, whylen, "cannot read secret file %s: %s",
		    path, cs_strerror(r));
		return r;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0) {
		(void)snprintf(why, whylen, "secret file %s is empty", path);
		return CS_ERR_FORMAT;
	}
	return CS_OK;
}
