/*
 * scratch.h - a fresh scratch folder per unit test, removed afterwards.
 *
 * Header-only so each test binary stays one file in Makefile.am; the
 * folder is under /tmp because unit tests handle no job plaintext.
 */
#ifndef CS_TEST_SCRATCH_H
#define CS_TEST_SCRATCH_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct scratch {
	char dir[64];
	int dirfd;
};

/* scratch_make - mkdtemp /tmp/cs_NAME_XXXXXX and open it */
static inline void
scratch_make(struct scratch *s, const char *name)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/cs_%s_XXXXXX", name);
	assert_non_null(mkdtemp(s->dir));
	assert_true((s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY)) >= 0);
}

/* scratch_remove_at - empty a folder (files, then folders, recursively) */
static inline void
scratch_remove_at(int dirfd)
{
	struct dirent *de;
	DIR *d;
	int fd, sub;

	assert_true((fd = dup(dirfd)) >= 0);
	assert_non_null(d = fdopendir(fd));
	/* a dup shares the offset: code under test may have read it to the end */
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0)
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW);
		assert_true(sub >= 0);
		scratch_remove_at(sub);
		close(sub);
		assert_int_equal(unlinkat(dirfd, de->d_name, AT_REMOVEDIR), 0);
	}
	closedir(d);
}

/* scratch_remove - empty, close and remove the folder */
static inline void
scratch_remove(struct scratch *s)
{
	scratch_remove_at(s->dirfd);
	close(s->dirfd);
	assert_int_equal(rmdir(s->dir), 0);
}

#endif
