/*
 * test_safefile.c - the safe_open rules hold against what a hostile user on
 * the same host can plant in a folder we read: symlinks, hard links, FIFOs,
 * directories and files owned by someone else are refused (a FIFO without
 * hanging us); creation never follows a symlink, not even a dangling one;
 * moves never replace; atomic writes replace whole; shredding zeroes the
 * data before the name goes and never writes through a second link.
 *
 * Each test runs in a fresh mkdtemp folder. The chown case needs root and
 * is skipped otherwise; the rest run as any user.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "scratch.h"

#include "safefile.h"
#include "secretfile.h"

/* A hang on a FIFO must fail the test run, not stall it. */
#define FIFO_GUARD_SECONDS 10

struct fix {
	struct scratch sc;
};

/* setup - a fresh folder */
static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	scratch_make(&f->sc, "safefile");
	*state = f;
	return 0;
}

/* teardown - remove what the test left (files and empty folders) */
static int
teardown(void **state)
{
	struct fix *f = *state;

	scratch_remove(&f->sc);
	free(f);
	return 0;
}

/* put - create name with content s (replacing nothing) */
static void
put(struct fix *f, const char *name, const char *s)
{
	int fd = openat(f->sc.dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	assert_int_equal(close(fd), 0);
}

/* content_is - name holds exactly s */
static void
content_is(struct fix *f, const char *name, const char *s)
{
	char buf[256];
	ssize_t n;
	int fd = openat(f->sc.dirfd, name, O_RDONLY | O_NOFOLLOW);

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)strlen(s));
	assert_memory_equal(buf, s, (size_t)n);
	close(fd);
}

/* absent - name does not exist (not even as a dangling symlink) */
static void
absent(struct fix *f, const char *name)
{
	struct stat st;

	assert_int_equal(fstatat(f->sc.dirfd, name, &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(errno, ENOENT);
}

/* open_read - cs_safe_open_read, closing the fd on success */
static cs_result
open_read(struct fix *f, const char *name, uid_t owner)
{
	struct stat st;
	cs_result r;
	int fd = 12345;

	r = cs_safe_open_read(f->sc.dirfd, name, owner, &st, &fd);
	if (r == CS_OK) {
		assert_true(fd >= 0);
		assert_true(S_ISREG(st.st_mode));
		/* the fd must block normally again for the caller's reads */
		assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
		close(fd);
	} else {
		assert_int_equal(fd, -1);
	}
	return r;
}

static void
safe_open_read_accepts_a_plain_file(void **state)
{
	struct fix *f = *state;

	put(f, "plain", "hello");
	assert_int_equal(open_read(f, "plain", CS_ANY_OWNER), CS_OK);
	assert_int_equal(open_read(f, "plain", geteuid()), CS_OK);
	assert_int_equal(open_read(f, "missing", CS_ANY_OWNER),
	    CS_ERR_NOTFOUND);
}

static void
safe_open_read_refuses_a_symlink(void **state)
{
	struct fix *f = *state;

	put(f, "target", "secret");
	assert_int_equal(symlinkat("target", f->sc.dirfd, "link"), 0);
	assert_int_equal(open_read(f, "link", CS_ANY_OWNER), CS_ERR_UNSAFE);
	assert_int_equal(symlinkat("/etc/passwd", f->sc.dirfd, "abs"), 0);
	assert_int_equal(open_read(f, "abs", CS_ANY_OWNER), CS_ERR_UNSAFE);
}

static void
safe_open_read_refuses_a_hard_linked_file(void **state)
{
	struct fix *f = *state;

	put(f, "one", "data");
	assert_int_equal(linkat(f->sc.dirfd, "one", f->sc.dirfd, "two", 0), 0);
	assert_int_equal(open_read(f, "one", CS_ANY_OWNER), CS_ERR_UNSAFE);
	assert_int_equal(open_read(f, "two", CS_ANY_OWNER), CS_ERR_UNSAFE);
	assert_int_equal(unlinkat(f->sc.dirfd, "two", 0), 0);
	assert_int_equal(open_read(f, "one", CS_ANY_OWNER), CS_OK);
}

static void
safe_open_read_refuses_a_fifo_without_blocking(void **state)
{
	struct fix *f = *state;

	assert_int_equal(mkfifoat(f->sc.dirfd, "fifo", 0600), 0);
	alarm(FIFO_GUARD_SECONDS);
	assert_int_equal(open_read(f, "fifo", CS_ANY_OWNER), CS_ERR_UNSAFE);
	alarm(0);
}

static void
safe_open_read_refuses_a_directory(void **state)
{
	struct fix *f = *state;

	assert_int_equal(mkdirat(f->sc.dirfd, "sub", 0700), 0);
	assert_int_equal(open_read(f, "sub", CS_ANY_OWNER), CS_ERR_UNSAFE);
}

/* safe_open_read_refuses_the_wrong_owner - any user can ask for an owner
 * the file does not have; root also checks a file given away */
static void
safe_open_read_refuses_the_wrong_owner(void **state)
{
	struct fix *f = *state;

	put(f, "mine", "x");
	assert_int_equal(open_read(f, "mine", geteuid() + 1), CS_ERR_UNSAFE);
	if (geteuid() != 0)
		skip();
	put(f, "theirs", "y");
	assert_int_equal(fchownat(f->sc.dirfd, "theirs", 12345, 12345, 0), 0);
	assert_int_equal(open_read(f, "theirs", 0), CS_ERR_UNSAFE);
	assert_int_equal(open_read(f, "theirs", 12345), CS_OK);
}

static void
safe_create_refuses_an_existing_file(void **state)
{
	struct fix *f = *state;
	int fd = 12345;

	put(f, "exists", "old");
	assert_int_equal(cs_safe_create(f->sc.dirfd, "exists", 0600, &fd),
	    CS_ERR_EXISTS);
	assert_int_equal(fd, -1);
	content_is(f, "exists", "old");
}

/* safe_create_refuses_a_dangling_symlink - and must not create what it
 * points at, in this folder or anywhere else */
static void
safe_create_refuses_a_dangling_symlink(void **state)
{
	struct fix *f = *state;
	char outside[128];
	int fd;

	assert_int_equal(symlinkat("target", f->sc.dirfd, "link"), 0);
	assert_int_not_equal(cs_safe_create(f->sc.dirfd, "link", 0600, &fd),
	    CS_OK);
	absent(f, "target");
	snprintf(outside, sizeof(outside), "%s.outside", f->sc.dir);
	assert_int_equal(symlinkat(outside, f->sc.dirfd, "abs"), 0);
	assert_int_not_equal(cs_safe_create(f->sc.dirfd, "abs", 0600, &fd),
	    CS_OK);
	assert_int_equal(access(outside, F_OK), -1);
	assert_int_equal(errno, ENOENT);
}

static void
safe_create_makes_a_new_file_with_its_mode(void **state)
{
	struct fix *f = *state;
	struct stat st;
	mode_t old = umask(022);
	int fd;

	assert_int_equal(cs_safe_create(f->sc.dirfd, "new", 0640, &fd), CS_OK);
	umask(old);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
}

static void
move_refuses_to_replace(void **state)
{
	struct fix *f = *state;

	put(f, "a", "from");
	put(f, "b", "to");
	assert_int_equal(cs_move(f->sc.dirfd, "a", f->sc.dirfd, "b"), CS_ERR_EXISTS);
	content_is(f, "a", "from");
	content_is(f, "b", "to");
}

static void
move_renames_between_folders(void **state)
{
	struct fix *f = *state;
	int sub;

	put(f, "a", "from");
	assert_int_equal(mkdirat(f->sc.dirfd, "sub", 0700), 0);
	assert_int_equal(cs_safe_open_dir(f->sc.dirfd, "sub", &sub), CS_OK);
	assert_int_equal(cs_move(f->sc.dirfd, "a", sub, "a"), CS_OK);
	absent(f, "a");
	assert_int_equal(unlinkat(sub, "a", 0), 0);
	close(sub);
	assert_int_equal(cs_move(f->sc.dirfd, "gone", f->sc.dirfd, "x"),
	    CS_ERR_NOTFOUND);
}

static void
safe_open_dir_refuses_a_symlink(void **state)
{
	struct fix *f = *state;
	int fd;

	assert_int_equal(mkdirat(f->sc.dirfd, "real", 0700), 0);
	assert_int_equal(symlinkat("real", f->sc.dirfd, "link"), 0);
	assert_int_equal(cs_safe_open_dir(f->sc.dirfd, "link", &fd),
	    CS_ERR_UNSAFE);
	assert_int_equal(fd, -1);
}

static void
write_file_atomic_replaces_content(void **state)
{
	struct fix *f = *state;
	struct stat st;

	assert_int_equal(cs_write_file_atomic(f->sc.dirfd, "rec", "first", 5,
	    0600), CS_OK);
	content_is(f, "rec", "first");
	assert_int_equal(cs_write_file_atomic(f->sc.dirfd, "rec", "2nd", 3,
	    0600), CS_OK);
	content_is(f, "rec", "2nd");
	assert_int_equal(fstatat(f->sc.dirfd, "rec", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	absent(f, ".rec.tmp");
}

/* write_file_atomic_replaces_a_symlink_not_its_target - the rename swaps
 * the name; nothing is written through the link */
static void
write_file_atomic_replaces_a_symlink_not_its_target(void **state)
{
	struct fix *f = *state;
	struct stat st;

	put(f, "target", "keep");
	assert_int_equal(symlinkat("target", f->sc.dirfd, "rec"), 0);
	assert_int_equal(cs_write_file_atomic(f->sc.dirfd, "rec", "new", 3,
	    0600), CS_OK);
	content_is(f, "target", "keep");
	assert_int_equal(fstatat(f->sc.dirfd, "rec", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	content_is(f, "rec", "new");
}

/* shred_zeroes_before_unlinking - an fd opened before the shred still
 * sees the inode: its bytes must all be zero by then */
static void
shred_zeroes_before_unlinking(void **state)
{
	struct fix *f = *state;
	static unsigned char buf[200000];
	struct stat st;
	size_t i;
	int fd, rd;

	memset(buf, 0xa5, sizeof(buf));
	assert_true((fd = openat(f->sc.dirfd, "job", O_WRONLY | O_CREAT | O_EXCL,
	    0600)) >= 0);
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	assert_true((rd = openat(f->sc.dirfd, "job", O_RDONLY)) >= 0);
	assert_int_equal(cs_shred(f->sc.dirfd, "job"), CS_OK);
	absent(f, "job");
	assert_int_equal(fstat(rd, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(st.st_size, (off_t)sizeof(buf));
	assert_int_equal(pread(rd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != 0)
			fail_msg("byte %zu survived the shred", i);
	close(rd);
}

/* shred_never_writes_through_another_link - a hard link planted to some
 * other file must not get that file zeroed */
static void
shred_never_writes_through_another_link(void **state)
{
	struct fix *f = *state;

	put(f, "precious", "do not zero me");
	assert_int_equal(linkat(f->sc.dirfd, "precious", f->sc.dirfd, "job", 0), 0);
	assert_int_equal(cs_shred(f->sc.dirfd, "job"), CS_OK);
	absent(f, "job");
	content_is(f, "precious", "do not zero me");
}

static void
shred_removes_a_symlink_not_its_target(void **state)
{
	struct fix *f = *state;

	put(f, "target", "keep");
	assert_int_equal(symlinkat("target", f->sc.dirfd, "job"), 0);
	assert_int_equal(cs_shred(f->sc.dirfd, "job"), CS_OK);
	absent(f, "job");
	content_is(f, "target", "keep");
}

static void
shred_removes_a_fifo_without_blocking(void **state)
{
	struct fix *f = *state;

	assert_int_equal(mkfifoat(f->sc.dirfd, "job", 0600), 0);
	alarm(FIFO_GUARD_SECONDS);
	assert_int_equal(cs_shred(f->sc.dirfd, "job"), CS_OK);
	alarm(0);
	absent(f, "job");
	assert_int_equal(cs_shred(f->sc.dirfd, "job"), CS_ERR_NOTFOUND);
}

static void
read_small_file_respects_its_cap(void **state)
{
	struct fix *f = *state;
	char data[100], buf[128];
	size_t len = 7;

	memset(data, 'z', sizeof(data));
	assert_int_equal(cs_write_file_atomic(f->sc.dirfd, "small", data,
	    sizeof(data), 0600), CS_OK);
	assert_int_equal(cs_read_small_file(f->sc.dirfd, "small", buf, 99, &len),
	    CS_ERR_TOOBIG);
	assert_int_equal(cs_read_small_file(f->sc.dirfd, "small", buf, 100, &len),
	    CS_OK);
	assert_int_equal(len, 100);
	assert_memory_equal(buf, data, 100);
	assert_int_equal(cs_read_small_file(f->sc.dirfd, "small", buf,
	    sizeof(buf), &len), CS_OK);
	assert_int_equal(len, 100);
	assert_int_equal(symlinkat("small", f->sc.dirfd, "link"), 0);
	assert_int_equal(cs_read_small_file(f->sc.dirfd, "link", buf,
	    sizeof(buf), &len), CS_ERR_UNSAFE);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* secret_file_rule - 0600/0640 read without the newline; a file others
 * can read, a group-writable one, an oversized or empty one: refused with
 * a reason naming the file */
static void
secret_file_rule(void **state)
{
	struct fix *f = *state;
	char path[512], buf[16], why[256];

	put(f, "s", "hunter2\r\n");
	snprintf(path, sizeof(path), "%s/s", f->sc.dir);
	assert_int_equal(fchmodat(f->sc.dirfd, "s", 0640, 0), 0);
	assert_int_equal(cs_secret_file_read(path, buf, sizeof(buf), why,
	    sizeof(why)), CS_OK);
	assert_string_equal(buf, "hunter2");
	assert_int_equal(fchmodat(f->sc.dirfd, "s", 0644, 0), 0);
	assert_int_equal(cs_secret_file_read(path, buf, sizeof(buf), why,
	    sizeof(why)), CS_ERR_PERM);
	assert_non_null(strstr(why, "mode 0644"));
	assert_non_null(strstr(why, path));
	assert_int_equal(fchmodat(f->sc.dirfd, "s", 0660, 0), 0);
	assert_int_equal(cs_secret_file_read(path, buf, sizeof(buf), why,
	    sizeof(why)), CS_ERR_PERM);
	assert_int_equal(fchmodat(f->sc.dirfd, "s", 0600, 0), 0);
	assert_int_equal(cs_secret_file_read(path, buf, 8, why, sizeof(why)),
	    CS_ERR_TOOBIG);
	put(f, "e", "\n");
	snprintf(path, sizeof(path), "%s/e", f->sc.dir);
	assert_int_equal(cs_secret_file_read(path, buf, sizeof(buf), why,
	    sizeof(why)), CS_ERR_FORMAT);
	snprintf(path, sizeof(path), "%s/none", f->sc.dir);
	assert_int_equal(cs_secret_file_read(path, buf, sizeof(buf), why,
	    sizeof(why)), CS_ERR_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(safe_open_read_accepts_a_plain_file),
		T(safe_open_read_refuses_a_symlink),
		T(safe_open_read_refuses_a_hard_linked_file),
		T(safe_open_read_refuses_a_fifo_without_blocking),
		T(safe_open_read_refuses_a_directory),
		T(safe_open_read_refuses_the_wrong_owner),
		T(safe_create_refuses_an_existing_file),
		T(safe_create_refuses_a_dangling_symlink),
		T(safe_create_makes_a_new_file_with_its_mode),
		T(move_refuses_to_replace),
		T(move_renames_between_folders),
		T(safe_open_dir_refuses_a_symlink),
		T(write_file_atomic_replaces_content),
		T(write_file_atomic_replaces_a_symlink_not_its_target),
		T(shred_zeroes_before_unlinking),
		T(shred_never_writes_through_another_link),
		T(shred_removes_a_symlink_not_its_target),
		T(shred_removes_a_fifo_without_blocking),
		T(read_small_file_respects_its_cap),
		T(secret_file_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
