/*
 * test_audit.c - the audit trail finds every kind of tampering it promises
 * to within the log (edit, removal, reordering, garbage, the wrong key),
 * keeps its chain under concurrent writers, refuses an exposed key, and
 * keeps hostile strings on one ASCII line. The log's end against head
 * (truncation, forged lines past head, head edits, and what a crash leaves)
 * is test_audit_crash.c; both run from main() here.
 *
 * Each test runs in a fresh mkdtemp spool with audit/ and keys/ in it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* openat, mkdtemp, strptime, timegm */
#endif

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "test_audit.h"

/* fix_rm - empty one subfolder of the spool and remove it */
static void
fix_rm(struct fix *f, const char *sub)
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(f->dirfd, sub, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return;
	assert_non_null(d = fdopendir(fd));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			assert_int_equal(unlinkat(fd, de->d_name, 0), 0);
	closedir(d);
	assert_int_equal(unlinkat(f->dirfd, sub, AT_REMOVEDIR), 0);
}

/* fix_open - (re)open the trail, without syslog */
static cs_result
fix_open(struct fix *f, int create_key, char *err, size_t errlen)
{
	cs_result r = cs_audit_open(&f->a, f->dirfd, create_key, err, errlen);

	f->a.use_syslog = 0;
	return r;
}

/* setup - a fresh spool with audit/ and keys/, the trail open */
static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char err[160];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/cs_audit_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_true((f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_int_equal(mkdirat(f->dirfd, "audit", 0700), 0);
	assert_int_equal(mkdirat(f->dirfd, "keys", 0700), 0);
	assert_int_equal(fix_open(f, 1, err, sizeof(err)), CS_OK);
	*state = f;
	return 0;
}

/* teardown - close the trail and remove the spool */
static int
teardown(void **state)
{
	struct fix *f = *state;

	cs_audit_close(&f->a);
	fix_rm(f, "audit");
	fix_rm(f, "keys");
	close(f->dirfd);
	assert_int_equal(rmdir(f->dir), 0);
	free(f);
	return 0;
}

/* log_one - append event number i with a spread of field types */
void
log_one(struct fix *f, int i)
{
	char user[32], job[32];
	json_t *o;

	snprintf(user, sizeof(user), "user%d", i);
	snprintf(job, sizeof(job), "j%03d", i);
	o = json_pack("{s:s, s:s, s:i, s:b, s:[i,s], s:n}", "user", user,
	    "job", job, "n", i, "ok", i % 2, "list", i, "x", "why", "none");
	assert_non_null(o);
	assert_int_equal(cs_audit_log(&f->a, i % 3 ? "delivered" : "deferred",
	    o), CS_OK);
}

/* log_many - append events from..to */
void
log_many(struct fix *f, int from, int to)
{
	int i;

	for (i = from; i <= to; i++)
		log_one(f, i);
}

/* slurp - whole file under the spool, NUL-terminated */
char *
slurp(struct fix *f, const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	assert_true((fd = openat(f->dirfd, path, O_RDONLY)) >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_non_null(buf = malloc((size_t)st.st_size + 1));
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	if (len != NULL)
		*len = (size_t)st.st_size;
	return buf;
}

/* spill - replace a file under the spool with buf (as an editor would) */
void
spill(struct fix *f, const char *path, const char *buf, size_t len)
{
	int fd;

	fd = openat(f->dirfd, path, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* line_at - start of line k (1-based) in buf, and its length with '\n' */
char *
line_at(char *buf, int k, size_t *len)
{
	char *p = buf, *nl;

	while (--k > 0) {
		assert_non_null(nl = strchr(p, '\n'));
		p = nl + 1;
	}
	assert_non_null(nl = strchr(p, '\n'));
	*len = (size_t)(nl - p) + 1;
	return p;
}

/* drop_line - remove line k from the log */
void
drop_line(struct fix *f, int k)
{
	size_t len, n;
	char *buf = slurp(f, "audit/audit.log", &len);
	char *p = line_at(buf, k, &n);

	memmove(p, p + n, len - (size_t)(p - buf) - n);
	spill(f, "audit/audit.log", buf, len - n);
	free(buf);
}

/* expect_bad - verify fails at line bad, saying something containing what */
void
expect_bad(struct fix *f, uint64_t bad, const char *what)
{
	struct cs_audit_report rep;

	assert_int_equal(cs_audit_verify(&f->a, &rep), CS_ERR_AUTH);
	print_message("    report: line %ju: %s\n", (uintmax_t)rep.bad_line,
	    rep.why);
	assert_int_equal(rep.bad_line, bad);
	assert_non_null(strstr(rep.why, what));
}

/* expect_good - verify passes over n lines, with nothing to note */
void
expect_good(struct fix *f, uint64_t n)
{
	struct cs_audit_report rep;

	assert_int_equal(cs_audit_verify(&f->a, &rep), CS_OK);
	assert_int_equal(rep.lines, n);
	assert_int_equal(rep.bad_line, 0);
	assert_string_equal(rep.why, "");
}

/* check_ts - ts is "YYYY-MM-DDThh:mm:ssZ" within [t0, t1] */
static void
check_ts(const char *ts, time_t t0, time_t t1)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(strlen(ts), 20);
	assert_non_null(end = strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm));
	assert_int_equal(*end, '\0');
	t = timegm(&tm);
	assert_true(t >= t0 && t <= t1);
}

/* check_line - one line: ASCII, an object whose members come in order */
static void
check_line(const char *p, size_t n, int seq, time_t t0, time_t t1)
{
	static const char *const order[] = { "seq", "ts", "event", "user",
	    "job", "n", "ok", "list", "why", "mac" };
	const char *k, *mac;
	json_error_t e;
	json_t *o, *v;
	size_t i = 0;

	for (i = 0; i < n; i++)
		assert_true((unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x7f);
	assert_non_null(o = json_loadb(p, n, 0, &e));
	assert_int_equal(json_integer_value(json_object_get(o, "seq")), seq);
	check_ts(json_string_value(json_object_get(o, "ts")), t0, t1);
	assert_non_null(json_string_value(json_object_get(o, "event")));
	assert_non_null(mac = json_string_value(json_object_get(o, "mac")));
	assert_int_equal(strspn(mac, "0123456789abcdef"), 64);
	assert_int_equal(strlen(mac), 64);
	i = 0;
	json_object_foreach(o, k, v)
		assert_string_equal(k, order[i++]);
	assert_int_equal(i, 10);
	json_decref(o);
}

/* appends_chain_and_verify - lines are well-formed and verify */
static void
appends_chain_and_verify(void **state)
{
	struct fix *f = *state;
	time_t t0 = time(NULL), t1;
	char *buf, *p, *head, want[128];
	size_t len, n;
	int i;

	expect_good(f, 0);		/* nothing yet is a valid trail */
	log_many(f, 1, NLINES);
	t1 = time(NULL);
	expect_good(f, NLINES);
	buf = slurp(f, "audit/audit.log", &len);
	for (i = 1; i <= NLINES; i++) {
		p = line_at(buf, i, &n);
		check_line(p, n - 1, i, t0, t1);
	}
	assert_int_equal(p + n, buf + len);	/* nothing after line 20 */
	/* head holds the line count, the log's length and line 20's mac */
	head = slurp(f, "audit/head", NULL);
	snprintf(want, sizeof(want), "seq 20 off %zu mac %.64s hmac ", len,
	    p + n - 67);
	assert_int_equal(strncmp(head, want, strlen(want)), 0);
	free(head);
	free(buf);
}

/* edited_line_is_found - one byte of a value in line 7 */
static void
edited_line_is_found(void **state)
{
	struct fix *f = *state;
	size_t len, n;
	char *buf, *p, *v;

	log_many(f, 1, NLINES);
	buf = slurp(f, "audit/audit.log", &len);
	p = line_at(buf, 7, &n);
	assert_non_null(v = strstr(p, "\"user\":\"user7\""));
	v[9] = 'U';
	spill(f, "audit/audit.log", buf, len);
	free(buf);
	expect_bad(f, 7, "line 7: MAC mismatch");
}

/* removed_line_is_found - line 5 deleted */
static void
removed_line_is_found(void **state)
{
	struct fix *f = *state;

	log_many(f, 1, NLINES);
	drop_line(f, 5);
	expect_bad(f, 5, "line 5: seq 6 where 5 expected (line removed)");
}

/* reordered_lines_are_found - lines 5 and 6 swapped */
static void
reordered_lines_are_found(void **state)
{
	struct fix *f = *state;
	char *buf, *p5, *p6, *tmp;
	size_t len, n5, n6;

	log_many(f, 1, NLINES);
	buf = slurp(f, "audit/audit.log", &len);
	p5 = line_at(buf, 5, &n5);
	p6 = line_at(buf, 6, &n6);
	assert_non_null(tmp = malloc(n5));
	memcpy(tmp, p5, n5);
	memmove(p5, p6, n6);
	memcpy(p5 + n6, tmp, n5);
	spill(f, "audit/audit.log", buf, len);
	free(tmp);
	free(buf);
	expect_bad(f, 5, "line 5: seq 6 where 5 expected");
}

/* garbage_line_is_found - a line that is not JSON */
static void
garbage_line_is_found(void **state)
{
	struct fix *f = *state;
	size_t len, n;
	char *buf, *out, *p;

	log_many(f, 1, 6);
	buf = slurp(f, "audit/audit.log", &len);
	p = line_at(buf, 4, &n);
	assert_non_null(out = malloc(len + 6));
	memcpy(out, buf, (size_t)(p - buf));
	memcpy(out + (p - buf), "hello\n", 6);
	memcpy(out + (p - buf) + 6, p, len - (size_t)(p - buf));
	spill(f, "audit/audit.log", out, len + 6);
	free(out);
	free(buf);
	expect_bad(f, 4, "line 4: not a JSON object");
}

/* wrong_key_fails_every_line - a log checked with another key */
static void
wrong_key_fails_every_line(void **state)
{
	struct fix *f = *state;

	log_many(f, 1, 3);
	f->a.key[0] ^= 1;
	expect_bad(f, 1, "line 1: MAC mismatch");
}

/* key_with_wrong_mode_is_refused - and other unsafe key files */
static void
key_with_wrong_mode_is_refused(void **state)
{
	struct fix *f = *state;
	struct stat st;
	char err[160];
	int fd;

	assert_int_equal(fstatat(f->dirfd, "keys/audit.key", &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	log_many(f, 1, 3);
	cs_audit_close(&f->a);

	assert_int_equal(fchmodat(f->dirfd, "keys/audit.key", 0640, 0), 0);
	assert_int_equal(fix_open(f, 1, err, sizeof(err)), CS_ERR_UNSAFE);
	assert_non_null(strstr(err, "mode 0640"));
	assert_int_equal(f->a.audit_dirfd, -1);
	assert_int_equal(fchmodat(f->dirfd, "keys/audit.key", 0604, 0), 0);
	assert_int_equal(fix_open(f, 1, err, sizeof(err)), CS_ERR_UNSAFE);
	assert_int_equal(fchmodat(f->dirfd, "keys/audit.key", 0400, 0), 0);
	assert_int_equal(fix_open(f, 0, err, sizeof(err)), CS_OK);
	expect_good(f, 3);		/* the same key came back */
	cs_audit_close(&f->a);

	assert_int_equal(renameat(f->dirfd, "keys/audit.key", f->dirfd,
	    "keys/real.key"), 0);
	assert_int_equal(fix_open(f, 0, err, sizeof(err)), CS_ERR_NOTFOUND);
	assert_int_equal(symlinkat("real.key", f->dirfd, "keys/audit.key"), 0);
	assert_int_equal(fix_open(f, 1, err, sizeof(err)), CS_ERR_UNSAFE);
	assert_int_equal(unlinkat(f->dirfd, "keys/audit.key", 0), 0);
	fd = openat(f->dirfd, "keys/audit.key", O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	assert_int_equal(fix_open(f, 1, err, sizeof(err)), CS_ERR_FORMAT);
	assert_non_null(strstr(err, "5 bytes"));
	/* teardown closes a closed trail: must be harmless */
}

/* concurrent_appends_keep_chain - 4 processes x 50 lines */
static void
concurrent_appends_keep_chain(void **state)
{
	struct fix *f = *state;
	pid_t pid[4];
	int i, j, st;

	log_one(f, 0);
	for (i = 0; i < 4; i++) {
		assert_true((pid[i] = fork()) >= 0);
		if (pid[i] == 0) {
			for (j = 0; j < 50; j++)
				if (cs_audit_log(&f->a, "processed", json_pack(
				    "{s:i, s:i}", "child", i, "j", j)) != CS_OK)
					_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	expect_good(f, 201);
}

/* fields_with_control_chars_and_utf8_stay_one_line - hostile values */
static void
fields_with_control_chars_and_utf8_stay_one_line(void **state)
{
	static const char nasty[] = "a\nb\r\"c\"\x1b[31m\xff\xfe d\xc3\xa9"
	    "\xe2\x82\xac\xf0\x9f\x98\x80 \xc0\xaf \xed\xa0\x80 \xc2\x9b\x7f";
	static const char want[] = "a\xe2\x90\x8a" "b\xe2\x90\x8d\"c\""
	    "\xe2\x90\x9b[31m\xef\xbf\xbd\xef\xbf\xbd d\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf"
	    "\xbd\xef\xbf\xbd \xef\xbf\xbd\xe2\x90\xa1";
	struct fix *f = *state;
	json_t *o, *v;
	json_error_t e;
	size_t len, i;
	char *buf;

	/* what jansson would do with it unaided: refuse it */
	assert_null(json_string(nasty));
	assert_non_null(v = cs_audit_str(nasty, 200));
	assert_string_equal(json_string_value(v), want);
	/* valid UTF-8 with raw controls is escaped by jansson itself */
	o = json_pack("{s:o, s:s}", "file", v, "raw", "x\ny\r\tz\"");
	assert_int_equal(cs_audit_log(&f->a, "submitted", o), CS_OK);
	log_one(f, 2);
	expect_good(f, 2);

	buf = slurp(f, "audit/audit.log", &len);
	for (i = 0; i < len; i++)
		assert_true(buf[i] == '\n' ||
		    (buf[i] >= 0x20 && buf[i] < 0x7f));
	assert_non_null(strchr(buf, '\n'));
	assert_non_null(o = json_loadb(buf, (size_t)(strchr(buf, '\n') - buf),
	    0, &e));
	assert_string_equal(json_string_value(json_object_get(o, "file")),
	    want);
	assert_string_equal(json_string_value(json_object_get(o, "raw")),
	    "x\ny\r\tz\"");
	json_decref(o);
	free(buf);
}

/* audit_str_caps_without_splitting_characters - the %.200s of the trail */
static void
audit_str_caps_without_splitting_characters(void **state)
{
	json_t *v;

	(void)state;
	assert_non_null(v = cs_audit_str("abcdefgh", 5));
	assert_string_equal(json_string_value(v), "abcde\xe2\x80\xa6");
	json_decref(v);
	assert_non_null(v = cs_audit_str("abcde", 5));	/* fits: no mark */
	assert_string_equal(json_string_value(v), "abcde");
	json_decref(v);
	assert_non_null(v = cs_audit_str("a\xc3\xa9z", 2));	/* mid-character */
	assert_string_equal(json_string_value(v), "a\xe2\x80\xa6");
	json_decref(v);
	assert_non_null(v = cs_audit_str("\xf4\x90\x80\x80", 10)); /* >10FFFF */
	assert_string_equal(json_string_value(v),
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(v);
	assert_non_null(v = cs_audit_str("", 0));
	assert_string_equal(json_string_value(v), "");
	json_decref(v);
	assert_true(json_is_null(v = cs_audit_str(NULL, 10)));
	json_decref(v);
}

/* reserved_fields_are_refused - fields may not shadow seq/ts/event/mac */
static void
reserved_fields_are_refused(void **state)
{
	struct fix *f = *state;

	log_one(f, 1);
	assert_int_equal(cs_audit_log(&f->a, "x", json_pack("{s:s}", "mac",
	    "0")), CS_ERR_INVAL);
	assert_int_equal(cs_audit_log(&f->a, "x", json_pack("{s:i}", "seq",
	    9)), CS_ERR_INVAL);
	assert_int_equal(cs_audit_log(&f->a, "x", json_pack("[i]", 1)),
	    CS_ERR_INVAL);
	assert_int_equal(cs_audit_log(&f->a, "x\xff", NULL), CS_ERR_INVAL);
	assert_int_equal(cs_audit_log(&f->a, "plain", NULL), CS_OK);
	expect_good(f, 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(appends_chain_and_verify),
		T(edited_line_is_found),
		T(removed_line_is_found),
		T(reordered_lines_are_found),
		T(garbage_line_is_found),
		T(wrong_key_fails_every_line),
		T(key_with_wrong_mode_is_refused),
		T(concurrent_appends_keep_chain),
		T(fields_with_control_chars_and_utf8_stay_one_line),
		cmocka_unit_test(audit_str_caps_without_splitting_characters),
		T(reserved_fields_are_refused),
		/* test_audit_crash.c */
		T(truncated_log_is_found),
		T(truncated_mid_line_is_found),
		T(truncation_with_rewritten_head_is_found),
		T(appended_forged_line_is_found),
		T(head_edit_is_found),
		T(removed_head_is_found),
		T(head_at_wrong_offset_is_found),
		T(crash_between_log_and_head_is_not_tampering),
		T(head_several_lines_behind_is_not_tampering),
		T(crash_in_first_append_is_not_tampering),
		T(partial_last_line_is_repaired),
		T(forged_line_after_head_is_found),
		T(forged_line_after_leftover_is_found),
		T(append_looks_only_past_head),
		T(kill9_at_random_moments_leaves_a_valid_trail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
