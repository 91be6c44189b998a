/*
 * safefile.c - safe_open-style file operations under a directory fd.
 *
 * The spool is a security boundary: every open here is O_NOFOLLOW and checks
 * type and link count after the open, on the fd, so there is no window
 * between check and use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "safefile.h"

/* cs_errno_result - map an errno to a result */
cs_result
cs_errno_result(int err)
{
	switch (err) {
	case ENOENT:
		return CS_ERR_NOTFOUND;
	case EEXIST:
		return CS_ERR_EXISTS;
	case EACCES:
	case EPERM:
		return CS_ERR_PERM;
	case ELOOP:
	case ENOTDIR:
	case ENXIO:
		return CS_ERR_UNSAFE;
	case ENOSPC:
	case EDQUOT:
		return CS_ERR_NOSPACE;
	case ENOMEM:
		return CS_ERR_NOMEM;
	case EFBIG:
		return CS_ERR_TOOBIG;
	default:
		return CS_ERR_IO;
	}
}

/* cs_safe_open_read - open a regular, singly linked, non-symlink file */
cs_result
cs_safe_open_read(int dirfd, const char *name, uid_t owner, struct stat *st,
    int *fdp)
{
	int fd, flags;

	*fdp = -1;
	fd = openat(dirfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cs_errno_result(errno);
	if (fstat(fd, st) < 0) {
		close(fd);
		return CS_ERR_IO;
	}
	if (!S_ISREG(st->st_mode) || st->st_nlink != 1 ||
	    (owner != CS_ANY_OWNER && st->st_uid != owner)) {
		close(fd);
		return CS_ERR_UNSAFE;
	}
	/* Non-blocking was only there to survive a FIFO planted in our place. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		close(fd);
		return CS_ERR_IO;
	}
	*fdp = fd;
	return CS_OK;
}

/* cs_safe_create - create a file exclusively, never through a symlink */
cs_result
cs_safe_create(int dirfd, const char *name, mode_t mode, int *fdp)
{
	int fd;

	*fdp = -1;
	fd = openat(dirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	    mode);
	if (fd < 0)
		return cs_errno_result(errno);
	*fdp = fd;
	return CS_OK;
}

/* cs_safe_open_dir - open a directory, refusing a final symlink */
cs_result
cs_safe_open_dir(int dirfd, const char *path, int *fdp)
{
	int fd;

	*fdp = -1;
	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cs_errno_result(errno);
	*fdp = fd;
	return CS_OK;
}

/* cs_fsync_dir - make a directory's entries durable */
cs_result
cs_fsync_dir(int dirfd)
{
	if (fsync(dirfd) < 0)
		return CS_ERR_IO;
	return CS_OK;
}

/* cs_move - rename without replacing, then fsync both directories */
cs_result
cs_move(int fromdir, const char *from, int todir, const char *to)
{
	cs_result r;

	if (renameat2(fromdir, from, todir, to, RENAME_NOREPLACE) < 0)
		return cs_errno_result(errno);
	if ((r = cs_fsync_dir(todir)) != CS_OK)
		return r;
	if (fromdir != todir)
		return cs_fsync_dir(fromdir);
	return CS_OK;
}

/* cs_write_all - write everything, retrying short writes and EINTR */
cs_result
cs_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cs_errno_result(errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return CS_OK;
}

/* cs_read_full - read until len bytes or end of file */
cs_result
cs_read_full(int fd, void *buf, size_t len, size_t *got)
{
	unsigned char *p = buf;
	size_t have = 0;
	ssize_t n;

	while (have < len) {
		n = read(fd, p + have, len - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*got = have;
			return cs_errno_result(errno);
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	*got = have;
	return CS_OK;
}

/* cs_read_capped - read to the end, keep what fits */
size_t
cs_read_capped(int fd, char *out, size_t cap)
{
	char sink[512];
	size_t len = 0;
	ssize_t n;

	for (;;) {
		if (len + 1 < cap)
			n = read(fd, out + len, cap - 1 - len);
		else
			n = read(fd, sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + 1 < cap)
			len += (size_t)n;
	}
	if (cap > 0)
		out[len] = '\0';
	return len;
}

/* cs_write_file_atomic - temporary file, fsync, rename, fsync directory */
cs_result
cs_write_file_atomic(int dirfd, const char *name, const void *data,
    size_t len, mode_t mode)
{
	char tmp[256];
	cs_result r;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp))
		return CS_ERR_INVAL;
	/* A leftover from a crash is ours to replace. */
	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
		return cs_errno_result(errno);
	if ((r = cs_safe_create(dirfd, tmp, mode, &fd)) != CS_OK)
		return r;
	r = cs_write_all(fd, data, len);
	if (r == CS_OK && fsync(fd) < 0)
		r = CS_ERR_IO;
	if (close(fd) < 0 && r == CS_OK)
		r = CS_ERR_IO;
	if (r == CS_OK && renameat(dirfd, tmp, dirfd, name) < 0)
		r = cs_errno_result(errno);
	if (r != CS_OK) {
		(void)unlinkat(dirfd, tmp, 0);
		return r;
	}
	return cs_fsync_dir(dirfd);
}

/* cs_read_small_file - read a whole small regular file */
cs_result
cs_read_small_file(int dirfd, const char *name, void *buf, size_t max,
    size_t *len)
{
	struct stat st;
	cs_result r;
	int fd;

	if ((r = cs_safe_open_read(dirfd, name, CS_ANY_OWNER, &st, &fd)) != CS_OK)
		return r;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return CS_ERR_TOOBIG;
	}
	r = cs_read_full(fd, buf, max, len);
	close(fd);
	return r;
}

/* cs_shred - overwrite with zeros, fsync, unlink, fsync the directory */
cs_result
cs_shred(int dirfd, const char *name)
{
	static const unsigned char zeros[65536];
	struct stat st;
	off_t left;
	size_t n;
	cs_result r;
	int fd;

	fd = openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		/* Not a regular file of ours (or gone): just unlink the name. */
		if (errno == ENOENT)
			return CS_ERR_NOTFOUND;
		if (unlinkat(dirfd, name, 0) < 0)
			return cs_errno_result(errno);
		return cs_fsync_dir(dirfd);
	}
	r = CS_OK;
	if (fstat(fd, &st) < 0)
		r = CS_ERR_IO;
	else if (S_ISREG(st.st_mode) && st.st_nlink == 1) {
		for (left = st.st_size; left > 0 && r == CS_OK; left -= (off_t)n) {
			n = left > (off_t)sizeof(zeros) ? sizeof(zeros) :
			    (size_t)left;
			r = cs_write_all(fd, zeros, n);
		}
		if (r == CS_OK && fsync(fd) < 0)
			r = CS_ERR_IO;
	}
	(void)close(fd);
	if (unlinkat(dirfd, name, 0) < 0 && r == CS_OK)
		r = cs_errno_result(errno);
	if (r == CS_OK)
		r = cs_fsync_dir(dirfd);
	return r;
}
