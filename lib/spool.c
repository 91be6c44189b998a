/*
 * spool.c - create, check and open the spool's folders.
 *
 * The modes are the security boundary between users (see spool.h), so the
 * daemon repairs them at every start instead of trusting what it finds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "safefile.h"
#include "spool.h"

static const struct {
	const char *name;
	mode_t mode;
	int drop_group;
} cs_spool_layout[CS_DIR__COUNT] = {
	[CS_DIR_INCOMING] = { "incoming", 01770, 1 },
	[CS_DIR_ACTIVE] = { "active", 0700, 0 },
	[CS_DIR_DEFERRED] = { "deferred", 0700, 0 },
	[CS_DIR_HOLD] = { "hold", 0700, 0 },
	[CS_DIR_CORRUPT] = { "corrupt", 0700, 0 },
	[CS_DIR_KEYS] = { "keys", 0700, 0 },
	[CS_DIR_PUBLIC] = { "public", 02750, 1 },
	[CS_DIR_STATUS] = { "status", 02750, 1 },
	[CS_DIR_AUDIT] = { "audit", 0700, 0 },
};

/* cs_spool_dir_name - a folder's name under ROOT */
const char *
cs_spool_dir_name(enum cs_spool_dir d)
{
	return cs_spool_layout[d].name;
}

/* spool_fix_dir - set owner group and mode of an open folder */
static int
spool_fix_dir(int fd, mode_t mode, gid_t gid)
{
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0)
		return -1;
	return fchmod(fd, mode);
}

/* cs_spool_init - create or repair the layout */
cs_result
cs_spool_init(const char *path, gid_t drop_gid, char *err, size_t errlen)
{
	struct stat st;
	int root, fd, i;

	if ((root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return cs_errno_result(errno);
	}
	if (fstat(root, &st) < 0 || st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: not owned by uid %u", path,
		    (unsigned)geteuid());
		close(root);
		return CS_ERR_UNSAFE;
	}
	if (spool_fix_dir(root, 0710, drop_gid) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(root);
		return CS_ERR_PERM;
	}
	for (i = 0; i < CS_DIR__COUNT; i++) {
		const char *n = cs_spool_layout[i].name;

		if (mkdirat(root, n, 0700) < 0 && errno != EEXIST)
			goto fail;
		if ((fd = openat(root, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) < 0)
			goto fail;
		if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
		    spool_fix_dir(fd, cs_spool_layout[i].mode,
		    cs_spool_layout[i].drop_group ? drop_gid : (gid_t)-1) < 0) {
			close(fd);
			goto fail;
		}
		close(fd);
		continue;
fail:
		snprintf(err, errlen, "%s/%s: %s", path, n,
		    errno ? strerror(errno) : "wrong owner");
		close(root);
		return CS_ERR_UNSAFE;
	}
	if (fsync(root) < 0) {
		snprintf(err, errlen, "%s: fsync: %s", path, strerror(errno));
		close(root);
		return CS_ERR_IO;
	}
	close(root);
	return CS_OK;
}

/* spool_open_some - open ROOT and the folders selected by mask */
static cs_result
spool_open_some(struct cs_spool *s, const char *path, unsigned mask,
    int dirflags, char *err, size_t errlen)
{
	int i;

	s->root = -1;
	for (i = 0; i < CS_DIR__COUNT; i++)
		s->dir[i] = -1;
	/* ROOT is 0710: search, never list, even for the daemon's peers. */
	if ((s->root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "spool %s: %s", path, strerror(errno));
		return cs_errno_result(errno);
	}
	for (i = 0; i < CS_DIR__COUNT; i++) {
		if (!(mask & (1u << i)))
			continue;
		s->dir[i] = openat(s->root, cs_spool_layout[i].name,
		    dirflags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s->dir[i] < 0) {
			snprintf(err, errlen, "spool %s/%s: %s", path,
			    cs_spool_layout[i].name, strerror(errno));
			cs_spool_close(s);
			return cs_errno_result(errno);
		}
	}
	return CS_OK;
}

/* cs_spool_open - every folder */
cs_result
cs_spool_open(struct cs_spool *s, const char *path, char *err, size_t errlen)
{
	return spool_open_some(s, path, (1u << CS_DIR__COUNT) - 1, O_RDONLY,
	    err, errlen);
}

/* cs_spool_open_drop - only what the drop helper may touch */
cs_result
cs_spool_open_drop(struct cs_spool *s, const char *path, char *err,
    size_t errlen)
{
	return spool_open_some(s, path, (1u << CS_DIR_INCOMING) |
	    (1u << CS_DIR_PUBLIC) | (1u << CS_DIR_STATUS), O_RDONLY, err, errlen);
}

/* cs_spool_close - close every open fd */
void
cs_spool_close(struct cs_spool *s)
{
	int i;

	if (s->root >= 0)
		(void)close(s->root);
	s->root = -1;
	for (i = 0; i < CS_DIR__COUNT; i++) {
		if (s->dir[i] >= 0)
			(void)close(s->dir[i]);
		s->dir[i] = -1;
	}
}

/* cs_spool_lock - exclusive flock on ROOT/lock */
cs_result
cs_spool_lock(const struct cs_spool *s, int *lockfd)
{
	int fd;

	fd = openat(s->root, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return cs_errno_result(errno);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return CS_ERR_IO;
		}
	}
	*lockfd = fd;
	return CS_OK;
}

/* cs_spool_unlock - release the lock */
void
cs_spool_unlock(int lockfd)
{
	if (lockfd >= 0)
		(void)close(lockfd);
}
