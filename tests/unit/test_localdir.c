/*
 * test_localdir.c - the localdir provider delivers exactly once whatever
 * point a crash interrupts it at, never replaces a file, never follows a
 * symlink planted at the target name, and refuses a user folder that is a
 * symlink or belongs to someone else.
 *
 * Each test runs in a fresh mkdtemp folder; the data to deliver comes from
 * a memfd, as in the daemon.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "scratch.h"

#include "agent.h"
#include "safefile.h"

#define JOB "20261128120000-0123456789ab"
#define PART ".cloudspool-" JOB ".part"

struct fix {
	struct scratch sc;
	uint64_t ino;
	int earlier;
};

/* setup - a fresh folder */
static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	scratch_make(&f->sc, "localdir");
	*state = f;
	return 0;
}

/* teardown - remove the folder and what is in it */
static int
teardown(void **state)
{
	struct fix *f = *state;

	scratch_remove(&f->sc);
	free(f);
	return 0;
}

/* data_fd - a memfd holding text, at offset 0 */
static int
data_fd(const char *text)
{
	int fd = memfd_create("test", 0);

	assert_true(fd >= 0);
	assert_int_equal(cs_write_all(fd, text, strlen(text)), CS_OK);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* read_back - a delivered file's content */
static void
assert_content(int dirfd, const char *name, const char *want)
{
	char buf[256];
	size_t len;

	assert_int_equal(cs_read_small_file(dirfd, name, buf, sizeof(buf) - 1,
	    &len), CS_OK);
	buf[len] = '\0';
	assert_string_equal(buf, want);
}

/* count_entries - entries in the folder */
static int
count_entries(const char *dir)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	assert_non_null(p = popen(cmd, "r"));
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/* stage - stage text for JOB */
static void
stage(struct fix *f, const char *text)
{
	char why[256];
	struct stat st;
	int fd = data_fd(text);

	assert_int_equal(localdir_stage(f->sc.dirfd, JOB, fd, 0600, &f->ino, why,
	    sizeof(why)), CS_OK);
	assert_int_equal(fstatat(f->sc.dirfd, PART, &st, 0), 0);
	assert_int_equal((uint64_t)st.st_ino, f->ino);
	close(fd);
}

/* stage_then_commit_delivers_once */
static void
stage_then_commit_delivers_once(void **state)
{
	struct fix *f = *state;
	char final[300];

	stage(f, "hello");
	assert_int_equal(localdir_commit(f->sc.dirfd, JOB, "scan.pdf", f->ino,
	    final, sizeof(final), &f->earlier), CS_OK);
	assert_string_equal(final, "scan.pdf");
	assert_content(f->sc.dirfd, "scan.pdf", "hello");
	assert_int_equal(count_entries(f->sc.dir), 1);
}

/* commit_repeated_after_completion_adds_nothing - crash after the part name
 * was removed: the resumed commit finds nothing to do */
static void
commit_repeated_after_completion_adds_nothing(void **state)
{
	struct fix *f = *state;
	char final[300];

	stage(f, "hello");
	assert_int_equal(localdir_commit(f->sc.dirfd, JOB, "scan.pdf", f->ino,
	    final, sizeof(final), &f->earlier), CS_OK);
	assert_int_equal(localdir_commit(f->sc.dirfd, JOB, "scan.pdf", f->ino,
	    final, sizeof(final), &f->earlier), CS_OK);
	assert_true(f->earlier);
	assert_string_equal(final, "scan.pdf");
	assert_int_equal(count_entries(f->sc.dir), 1);
}

/* commit_after_crash_between_link_and_unlink_adds_nothing - the part file
 * has two links: the resumed commit only removes the part name */
static void
commit_after_crash_between_link_and_unlink_adds_nothing(void **state)
{
	struct fix *f = *state;
	char final[300];

	stage(f, "hello");
	assert_int_equal(linkat(f->sc.dirfd, PART, f->sc.dirfd, "scan-7.pdf", 0), 0);
	assert_int_equal(localdir_commit(f->sc.dirfd, JOB, "scan.pdf", f->ino,
	    final, sizeof(final), &f->earlier), CS_OK);
	assert_false(f->earlier);
	assert_string_equal(final, "scan-7.pdf");
	assert_int_equal(count_entries(f->sc.dir), 1);
	assert_content(f->sc.dirfd, "scan-7.pdf", "hello");
}

/* restaged_part_replaces_a_partial_one - a crash mid-stage left a partial
 * part file: staging again starts it over */
static void
restaged_part_replaces_a_partial_one(void **state)
{
	struct fix *f = *state;
	char final[300];

	stage(f, "hel");
	stage(f, "hello");
	assert_int_equal(localdir_commit(f->sc.dirfd, JOB, "scan.pdf", f->ino,
	    final, sizeof(final), &f->earlier), CS_OK);
	assert_content(f->sc.dirfd, "scan.pdf", "hello");
}

/* collision_gets_a_suffix_and_never_replaces */
static void
collision_gets_a_suffix_and_never_replaces(void **state)
{
	struct fix *f = *state;
	char final[300];
	int fd;

	assert_int_equal(cs_safe_create(f->sc.dirfd, "scan.pdf", 0600, &fd), CS_OK);
	assert_int_equal(cs_write_all(fd, "old", 3), CS_OK);
	close(fd);
	stage(f, "new");
	assert_int_equal(localdir_commit(f->sc.dirfd, JOB, "scan.pdf", f->ino,
	    final, sizeof(final), &f->earlier), CS_OK);
	assert_string_equal(final, "scan-1.pdf");
	assert_content(f->sc.dirfd, "scan.pdf", "old");
	assert_content(f->sc.dirfd, "scan-1.pdf", "new");
}

/* planted_symlink_at_the_name_is_not_followed */
static void
planted_symlink_at_the_name_is_not_followed(void **state)
{
	struct fix *f = *state;
	char final[300], target[128];
	struct stat st;

	snprintf(target, sizeof(target), "%s-victim", f->sc.dir);
	assert_int_equal(symlinkat(target, f->sc.dirfd, "scan.pdf"), 0);
	stage(f, "new");
	assert_int_equal(localdir_commit(f->sc.dirfd, JOB, "scan.pdf", f->ino,
	    final, sizeof(final), &f->earlier), CS_OK);
	assert_string_equal(final, "scan-1.pdf");
	assert_int_equal(lstat(target, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* abort_removes_the_part_file */
static void
abort_removes_the_part_file(void **state)
{
	struct fix *f = *state;

	stage(f, "hello");
	assert_int_equal(localdir_abort(f->sc.dirfd, JOB), CS_OK);
	assert_int_equal(count_entries(f->sc.dir), 0);
	assert_int_equal(localdir_abort(f->sc.dirfd, JOB), CS_OK);
}

/* resolve - localdir_resolve for pattern under the fixture */
static cs_result
resolve(struct fix *f, const char *pattern, int *dirfd)
{
	struct cs_setting set = { "path", NULL, 1 };
	struct cs_destination d = { "t", "localdir", &set, 1, 1 };
	char path[512], why[256], pat[256];
	cs_result r;

	snprintf(pat, sizeof(pat), "%s/%s", f->sc.dir, pattern);
	set.value = pat;
	r = localdir_resolve(&d, getuid(), getgid(), "alice", dirfd, path,
	    sizeof(path), why, sizeof(why));
	return r;
}

/* user_folder_is_created_and_reused */
static void
user_folder_is_created_and_reused(void **state)
{
	struct fix *f = *state;
	struct stat st;
	int d1, d2;

	assert_int_equal(resolve(f, "scans/%u", &d1), CS_ERR_TEMP);
	assert_int_equal(mkdirat(f->sc.dirfd, "scans", 0755), 0);
	assert_int_equal(resolve(f, "scans/%u", &d1), CS_OK);
	assert_int_equal(fstat(d1, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(resolve(f, "scans/%u", &d2), CS_OK);
	close(d1);
	close(d2);
}

/* symlinked_user_folder_is_refused */
static void
symlinked_user_folder_is_refused(void **state)
{
	struct fix *f = *state;
	int d;

	assert_int_equal(mkdirat(f->sc.dirfd, "scans", 0755), 0);
	assert_int_equal(mkdirat(f->sc.dirfd, "elsewhere", 0755), 0);
	assert_int_equal(symlinkat("../elsewhere", f->sc.dirfd, "scans/alice"), 0);
	assert_int_equal(resolve(f, "scans/%u", &d), CS_ERR_UNSAFE);
}

/* user_folder_of_another_owner_is_refused (root only: needs chown) */
static void
user_folder_of_another_owner_is_refused(void **state)
{
	struct fix *f = *state;
	int d;

	if (geteuid() != 0)
		skip();
	assert_int_equal(mkdirat(f->sc.dirfd, "scans", 0755), 0);
	assert_int_equal(mkdirat(f->sc.dirfd, "scans/alice", 0700), 0);
	assert_int_equal(fchownat(f->sc.dirfd, "scans/alice", 12345, 12345, 0), 0);
	assert_int_equal(resolve(f, "scans/%u", &d), CS_ERR_UNSAFE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(stage_then_commit_delivers_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    commit_repeated_after_completion_adds_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    commit_after_crash_between_link_and_unlink_adds_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    restaged_part_replaces_a_partial_one, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    collision_gets_a_suffix_and_never_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    planted_symlink_at_the_name_is_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(abort_removes_the_part_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(user_folder_is_created_and_reused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(symlinked_user_folder_is_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    user_folder_of_another_owner_is_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
