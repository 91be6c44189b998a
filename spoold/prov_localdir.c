/*
 * prov_localdir.c - provider "localdir": deliver into a folder on this host.
 *
 * Runs inside the agent's per-request child. Exactly-once across crashes:
 * the data goes to a hidden part file first; commit hard-links it to a free
 * name and then unlinks the part name. A repeated commit finds either the
 * part file with two links (link done: just unlink), with one link (link
 * not done: do it), or no part file (done earlier): never a second copy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "agent.h"
#include "safefile.h"

/* expand_path - the destination pattern with %u, %U and %% replaced */
static int
expand_path(const char *pat, const char *user, uid_t uid, char *out,
    size_t cap)
{
	size_t o = 0;
	int n;

	for (; *pat != '\0'; pat++) {
		if (*pat == '%' && (pat[1] == 'u' || pat[1] == 'U' ||
		    pat[1] == '%')) {
			pat++;
			if (*pat == 'u')
				n = snprintf(out + o, cap - o, "%s", user);
			else if (*pat == 'U')
				n = snprintf(out + o, cap - o, "%u",
				    (unsigned)uid);
			else
				n = snprintf(out + o, cap - o, "%%");
			if (n < 0 || (size_t)n >= cap - o)
				return -1;
			o += (size_t)n;
		} else {
			if (o + 1 >= cap)
				return -1;
			out[o++] = *pat;
		}
	}
	out[o] = '\0';
	return 0;
}

/* walk_user_part - open (creating) each component below the admin's base
 * with O_NOFOLLOW; new folders belong to the user */
static cs_result
walk_user_part(int base, char *rest, uid_t uid, gid_t gid, int *dirfd)
{
	char *comp, *cursor = rest;
	struct stat st;
	int fd = base, next;

	while ((comp = strsep(&cursor, "/")) != NULL) {
		if (*comp == '\0')
			continue;
		if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0)
			goto unsafe;
		if (mkdirat(fd, comp, 0700) == 0) {
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0 && geteuid() == 0 &&
			    fchown(next, uid, gid) < 0) {
				close(next);
				next = -1;
			}
		} else if (errno == EEXIST)
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		else
			next = -1;
		if (next < 0)
			goto unsafe;
		if (fd != base)
			close(fd);
		fd = next;
		/* A folder of the user's part owned by someone else is a trap. */
		if (fstat(fd, &st) < 0 || (st.st_uid != uid && st.st_uid != 0))
			goto unsafe;
	}
	*dirfd = fd == base ? dup(base) : fd;
	return *dirfd < 0 ? CS_ERR_IO : CS_OK;
unsafe:
	if (fd != base)
		close(fd);
	return CS_ERR_UNSAFE;
}

/* localdir_resolve - admin's base path, then the user's components */
cs_result
localdir_resolve(const struct cs_destination *d, uid_t uid, gid_t gid,
    const char *user, int *dirfd, char *path, size_t pathcap, char *why,
    size_t whylen)
{
	const char *pat = cs_destination_get(d, "path");
	char base[4096], rest[4096];
	const char *pct;
	size_t cut;
	cs_result r;
	int bfd;

	if (pat == NULL || expand_path(pat, user, uid, path, pathcap) < 0) {
		snprintf(why, whylen, "destination path too long");
		return CS_ERR_CONFIG;
	}
	/* Components before the first one naming the user are the admin's. */
	pct = strchr(pat, '%');
	if (pct == NULL)
		cut = strlen(pat) + 1;
	else
		for (cut = (size_t)(pct - pat); cut > 0 && pat[cut - 1] != '/';)
			cut--;
	snprintf(base, sizeof(base), "%.*s", (int)(cut > 1 ? cut - 1 : 1), pat);
	snprintf(rest, sizeof(rest), "%s", path + strlen(base));
	if ((bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s: %s", base, strerror(errno));
		return CS_ERR_TEMP;
	}
	r = walk_user_part(bfd, rest, uid, gid, dirfd);
	close(bfd);
	if (r != CS_OK)
		snprintf(why, whylen, "%s: unsafe or unusable folder (symlink, "
		    "wrong owner or cannot create)", path);
	return r;
}

/* part_name - ".cloudspool-<job>.part" */
static void
part_name(const char *job, char *buf, size_t cap)
{
	snprintf(buf, cap, ".cloudspool-%s.part", job);
}

/* localdir_stage - write the whole document to the part file, durably */
cs_result
localdir_stage(int dirfd, const char *job, int data_fd, mode_t mode,
    uint64_t *ino, char *why, size_t whylen)
{
	struct stat st;
	char part[96], buf[65536];
	ssize_t n;
	cs_result r = CS_OK;
	int fd;

	part_name(job, part, sizeof(part));
	if (unlinkat(dirfd, part, 0) < 0 && errno != ENOENT)
		return cs_errno_result(errno);
	if ((r = cs_safe_create(dirfd, part, mode, &fd)) != CS_OK) {
		snprintf(why, whylen, "cannot create %s: %s", part,
		    cs_strerror(r));
		return r;
	}
	if (fchmod(fd, mode) < 0 || fstat(fd, &st) < 0)
		r = CS_ERR_IO;
	else
		*ino = (uint64_t)st.st_ino;
	while (r == CS_OK && (n = read(data_fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno != EINTR)
				r = CS_ERR_IO;
			continue;
		}
		r = cs_write_all(fd, buf, (size_t)n);
	}
	if (r == CS_OK && fsync(fd) < 0)
		r = cs_errno_result(errno);
	if (close(fd) < 0 && r == CS_OK)
		r = CS_ERR_IO;
	if (r == CS_OK)
		r = cs_fsync_dir(dirfd);
	if (r != CS_OK) {
		snprintf(why, whylen, "writing %s: %s", part, cs_strerror(r));
		(void)unlinkat(dirfd, part, 0);
	}
	return r;
}

/* candidate_name - name, or "stem-N.ext" for the N-th collision */
static void
candidate_name(const char *name, unsigned n, char *out, size_t cap)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot != NULL && dot != name ? (size_t)(dot - name) :
	    strlen(name);

	if (n == 0)
		snprintf(out, cap, "%s", name);
	else
		snprintf(out, cap, "%.*s-%u%s", (int)(stem > 200 ? 200 : stem),
		    name, n, name + stem);
}

/* find_by_inode - the name (other than skip) of the regular file with
 * inode ino in the folder */
static int
find_by_inode(int dirfd, uint64_t ino, const char *skip, char *out, size_t cap)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, found = 0;

	if (ino == 0 || (fd = dup(dirfd)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	while (!found && (de = readdir(d)) != NULL) {
		if ((uint64_t)de->d_ino != ino || strcmp(de->d_name, skip) == 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		snprintf(out, cap, "%s", de->d_name);
		found = 1;
	}
	closedir(d);
	return found;
}

/* link_free_name - hard-link the part file to name or its first free
 * variant; linkat never follows a symlink planted at a candidate */
static cs_result
link_free_name(int dirfd, const char *part, const char *name, char *final,
    size_t finalcap)
{
	char cand[CS_NAME_MAX + 16];
	unsigned n;

	for (n = 0; n < 10000; n++) {
		candidate_name(name, n, cand, sizeof(cand));
		if (linkat(dirfd, part, dirfd, cand, 0) == 0) {
			snprintf(final, finalcap, "%s", cand);
			return cs_fsync_dir(dirfd);
		}
		if (errno != EEXIST)
			return cs_errno_result(errno);
	}
	return CS_ERR_EXISTS;
}

/* localdir_commit - link the part file to the first free name */
cs_result
localdir_commit(int dirfd, const char *job, const char *name, uint64_t ino,
    char *final, size_t finalcap, int *earlier)
{
	char part[96];
	struct stat st;
	cs_result r;

	*earlier = 0;
	part_name(job, part, sizeof(part));
	if (fstatat(dirfd, part, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return cs_errno_result(errno);
		/* Done before a crash; the staged inode says under what name. */
		*earlier = 1;
		if (!find_by_inode(dirfd, ino, part, final, finalcap))
			snprintf(final, finalcap, "%s", CS_LOCALDIR_EARLIER);
		return CS_OK;
	}
	if (!S_ISREG(st.st_mode))
		return CS_ERR_UNSAFE;
	if (st.st_nlink < 2)
		r = link_free_name(dirfd, part, name, final, finalcap);
	else if (!find_by_inode(dirfd, (uint64_t)st.st_ino, part, final,
	    finalcap))
		r = CS_ERR_NOTFOUND;	/* the second link is not in this folder */
	else
		r = CS_OK;
	if (r != CS_OK)
		return r;
	if (unlinkat(dirfd, part, 0) < 0 && errno != ENOENT)
		return cs_errno_result(errno);
	return cs_fsync_dir(dirfd);
}

/* localdir_abort - remove the part file */
cs_result
localdir_abort(int dirfd, const char *job)
{
	char part[96];

	part_name(job, part, sizeof(part));
	if (unlinkat(dirfd, part, 0) < 0 && errno != ENOENT)
		return cs_errno_result(errno);
	return cs_fsync_dir(dirfd);
}
