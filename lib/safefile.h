/*
 * safefile.h - file operations that a hostile user on the same host cannot
 * turn against us (the Postfix safe_open model).
 *
 * Everything is relative to an already-open directory fd, never follows a
 * symlink, refuses hard-linked and non-regular files, and makes every state
 * change durable (fsync of the file and of the directories involved) so a
 * crash at any instruction leaves either the old or the new state.
 */
#ifndef CS_SAFEFILE_H
#define CS_SAFEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "result.h"

#define CS_ANY_OWNER ((uid_t)-1)

/* cs_safe_open_read - open name under dirfd for reading: no symlink, a
 * regular file, one link, owned by owner (unless CS_ANY_OWNER); st receives
 * its fstat. Never blocks on a FIFO. */
cs_result cs_safe_open_read(int dirfd, const char *name, uid_t owner,
    struct stat *st, int *fdp);

/* cs_safe_create - create name under dirfd exclusively (O_EXCL|O_NOFOLLOW) */
cs_result cs_safe_create(int dirfd, const char *name, mode_t mode, int *fdp);

/* cs_safe_open_dir - open path (relative to dirfd, or absolute) as a
 * directory without following a final symlink */
cs_result cs_safe_open_dir(int dirfd, const char *path, int *fdp);

/* cs_fsync_dir - make a directory's entries durable */
cs_result cs_fsync_dir(int dirfd);

/* cs_move - rename from (under fromdir) to to (under todir) without
 * replacing an existing file, then fsync both directories */
cs_result cs_move(int fromdir, const char *from, int todir, const char *to);

/* cs_write_all - write len bytes, retrying short writes and EINTR */
cs_result cs_write_all(int fd, const void *buf, size_t len);

/* cs_read_full - read up to len bytes, stopping early only at end of file;
 * *got receives the count */
cs_result cs_read_full(int fd, void *buf, size_t len, size_t *got);

/* cs_read_capped - read fd to its end (a child's output, say), keeping the
 * first cap - 1 bytes in out, NUL-terminated; the rest is drained so the
 * writer never blocks; returns the kept length */
size_t cs_read_capped(int fd, char *out, size_t cap);

/* cs_write_file_atomic - replace name with data: temporary file, fsync,
 * rename over name, fsync the directory */
cs_result cs_write_file_atomic(int dirfd, const char *name, const void *data,
    size_t len, mode_t mode);

/* cs_read_small_file - read a whole regular file of at most max bytes into
 * buf (safe_open rules, any owner); *len receives its size */
cs_result cs_read_small_file(int dirfd, const char *name, void *buf,
    size_t max, size_t *len);

/* cs_shred - overwrite name with zeros, fsync, unlink, fsync the directory.
 * Overwriting does not erase flash or copy-on-write storage: the spool
 * relies on destroying the key (crypto-shredding); this is defence in depth. */
cs_result cs_shred(int dirfd, const char *name);

/* cs_errno_result - map an errno to a result */
cs_result cs_errno_result(int err);

#endif
