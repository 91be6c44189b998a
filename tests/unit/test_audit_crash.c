/*
 * test_audit_crash.c - the log's end against head. Tampering there is found
 * (lines cut off, forged lines past head, head edited or removed), but what
 * a kill -9 leaves is not tampering and must verify: lines past head, whose
 * chain checks out because they were written with the key, and a last line
 * cut short. The next append repairs both without repeating a seq.
 *
 * The fixture and the helpers are test_audit.c's; main() there runs these.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* openat, nanosleep, rand_r */
#endif

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "test_audit.h"

#define KILL_ROUNDS 40

/* add_raw - append bytes to the log as they are, as a crash or a forger
 * would, without the lock or a head update */
static void
add_raw(struct fix *f, const char *s, size_t n)
{
	int fd;

	fd = openat(f->dirfd, "audit/audit.log", O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, n), (ssize_t)n);
	close(fd);
}

/* add_forged - append a well-formed line numbered seq with a made-up mac */
static void
add_forged(struct fix *f, int seq)
{
	char line[256], hex[65];
	uint8_t raw[32];
	size_t i;

	assert_int_equal(cs_random(raw, sizeof(raw)), CS_OK);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	snprintf(line, sizeof(line), "{\"seq\":%d,\"ts\":\"2030-01-01T00:00:"
	    "00Z\",\"event\":\"granted\",\"user\":\"mallory\",\"mac\":"
	    "\"%s\"}\n", seq, hex);
	add_raw(f, line, strlen(line));
}

/* expect_note - verify passes over n lines, noting what a crash left */
static void
expect_note(struct fix *f, uint64_t n, const char *note)
{
	struct cs_audit_report rep;

	assert_int_equal(cs_audit_verify(&f->a, &rep), CS_OK);
	print_message("    note: %s\n", rep.why);
	assert_int_equal(rep.lines, n);
	assert_int_equal(rep.bad_line, 0);
	assert_non_null(strstr(rep.why, note));
}

/* line_seq - the seq member of the JSON line at p, len bytes with '\n' */
static json_int_t
line_seq(const char *p, size_t len)
{
	json_error_t e;
	json_int_t v;
	json_t *o;

	assert_non_null(o = json_loadb(p, len - 1, 0, &e));
	v = json_integer_value(json_object_get(o, "seq"));
	json_decref(o);
	return v;
}

/* check_seqs - the log is exactly n whole lines numbered 1..n, and head
 * covers all of them: count and bytes */
static void
check_seqs(struct fix *f, int n)
{
	char *buf, *p, *head, want[64];
	size_t len, ln = 0;
	int i;

	p = buf = slurp(f, "audit/audit.log", &len);
	for (i = 1; i <= n; i++, p += ln) {
		line_at(p, 1, &ln);
		assert_int_equal(line_seq(p, ln), i);
	}
	assert_true(p == buf + len);
	head = slurp(f, "audit/head", NULL);
	snprintf(want, sizeof(want), "seq %d off %zu mac ", n, len);
	assert_int_equal(strncmp(head, want, strlen(want)), 0);
	free(head);
	free(buf);
}

/* truncated_log_is_found - the last two lines cut off */
void
truncated_log_is_found(void **state)
{
	struct fix *f = *state;
	struct cs_audit_report rep;

	log_many(f, 1, NLINES);
	drop_line(f, NLINES);
	drop_line(f, NLINES - 1);
	expect_bad(f, NLINES - 1, "line 19: missing: log ends at line 18 but "
	    "head records 20 lines (truncated)");
	(void)cs_audit_verify(&f->a, &rep);
	assert_int_equal(rep.lines, NLINES - 2);
}

/* truncated_mid_line_is_found - a cut inside line 19 is truncation, not a
 * crash's cut line, and an append does not hide it */
void
truncated_mid_line_is_found(void **state)
{
	struct fix *f = *state;
	size_t len, n;
	char *buf, *p;

	log_many(f, 1, NLINES);
	buf = slurp(f, "audit/audit.log", &len);
	p = line_at(buf, NLINES - 1, &n);
	spill(f, "audit/audit.log", buf, (size_t)(p - buf) + n / 2);
	free(buf);
	expect_bad(f, NLINES - 1, "line 19: cut short, but head records 20 "
	    "lines (truncated)");
	log_one(f, NLINES + 1);
	expect_bad(f, NLINES - 1, "line 19: seq 21 where 19 expected (line "
	    "removed)");
}

/* truncation_with_rewritten_head_is_found - head redone to match the cut */
void
truncation_with_rewritten_head_is_found(void **state)
{
	struct fix *f = *state;
	char *buf, *p, head[256];
	size_t len, n;

	log_many(f, 1, NLINES);
	drop_line(f, NLINES);
	drop_line(f, NLINES - 1);
	buf = slurp(f, "audit/audit.log", &len);
	p = line_at(buf, NLINES - 2, &n);
	/* the right count, length and mac, but no key for the hmac */
	snprintf(head, sizeof(head), "seq 18 off %zu mac %.64s hmac %.64s\n",
	    len, p + n - 67, p + n - 67);
	spill(f, "audit/head", head, strlen(head));
	free(buf);
	expect_bad(f, 0, "head record MAC mismatch (head edited)");
}

/* appended_forged_line_is_found - a line 21 with a made-up mac */
void
appended_forged_line_is_found(void **state)
{
	struct fix *f = *state;

	log_many(f, 1, NLINES);
	add_forged(f, NLINES + 1);
	expect_bad(f, 21, "line 21: MAC mismatch");
}

/* head_edit_is_found - head's count changed, or head made garbage */
void
head_edit_is_found(void **state)
{
	struct fix *f = *state;
	char *head;
	size_t len;

	log_many(f, 1, NLINES);
	head = slurp(f, "audit/head", &len);
	assert_int_equal(strncmp(head, "seq 20 ", 7), 0);
	head[5] = '1';
	spill(f, "audit/head", head, len);
	expect_bad(f, 0, "head record MAC mismatch (head edited)");
	spill(f, "audit/head", "seq 20\n", 7);
	expect_bad(f, 0, "head record malformed");
	free(head);
}

/* removed_head_is_found - and appends after it leave a visible break */
void
removed_head_is_found(void **state)
{
	struct fix *f = *state;

	log_many(f, 1, NLINES);
	assert_int_equal(unlinkat(f->dirfd, "audit/head", 0), 0);
	expect_bad(f, 0, "no head record");
	log_one(f, NLINES + 1);
	expect_bad(f, 21, "line 21: seq 1 where 21 expected (chain "
	    "restarted");
}

/* crash_between_log_and_head_is_not_tampering - line 21 synced, then the
 * daemon killed before head was replaced */
void
crash_between_log_and_head_is_not_tampering(void **state)
{
	struct fix *f = *state;
	char *head;
	size_t len;

	log_many(f, 1, NLINES);
	head = slurp(f, "audit/head", &len);
	log_one(f, NLINES + 1);
	spill(f, "audit/head", head, len);	/* head as before line 21 */
	free(head);
	expect_note(f, NLINES + 1, "head was 1 line behind (crash); chain "
	    "valid");
	log_one(f, NLINES + 2);		/* seq 22, not a second 21 */
	expect_good(f, NLINES + 2);
	check_seqs(f, NLINES + 2);
}

/* head_several_lines_behind_is_not_tampering - a head rolled back over an
 * intact log loses nothing, so it passes too (crashes in a row, or someone
 * putting back an old head: the two look alike, and both are harmless) */
void
head_several_lines_behind_is_not_tampering(void **state)
{
	struct fix *f = *state;
	char *head;
	size_t len;

	log_many(f, 1, NLINES);
	head = slurp(f, "audit/head", &len);
	log_many(f, NLINES + 1, NLINES + 3);
	spill(f, "audit/head", head, len);
	free(head);
	expect_note(f, NLINES + 3, "head was 3 lines behind");
	log_one(f, NLINES + 4);
	expect_good(f, NLINES + 4);
	check_seqs(f, NLINES + 4);
}

/* put_head - a genuine head for p, made with the key */
static void
put_head(struct fix *f, const struct cs_audit_pos *p)
{
	char hmac[CS_AUDIT_MAC_HEX + 1], buf[256];

	cs_audit_head_hmac(&f->a, p, hmac);
	snprintf(buf, sizeof(buf), "seq %ju off %ju mac %s hmac %s\n",
	    (uintmax_t)p->seq, (uintmax_t)p->off, p->mac, hmac);
	spill(f, "audit/head", buf, strlen(buf));
}

/* put_empty_head - the head the very first append writes before its line:
 * no lines, no bytes, a zero mac */
static void
put_empty_head(struct fix *f)
{
	struct cs_audit_pos p;

	memset(&p, 0, sizeof(p));
	memset(p.mac, '0', CS_AUDIT_MAC_HEX);
	put_head(f, &p);
}

/* head_at_wrong_offset_is_found - even a head made with the key must agree
 * with the log on where line 20 ends, or appends would start mid-line */
void
head_at_wrong_offset_is_found(void **state)
{
	struct fix *f = *state;
	struct cs_audit_pos p;
	size_t len, n;
	char *buf;

	log_many(f, 1, NLINES);
	buf = slurp(f, "audit/audit.log", &len);
	line_at(buf, NLINES, &n);
	p.seq = NLINES;
	p.off = len - 1;
	memcpy(p.mac, buf + len - 67, CS_AUDIT_MAC_HEX);
	p.mac[CS_AUDIT_MAC_HEX] = '\0';
	free(buf);
	put_head(f, &p);
	expect_bad(f, NLINES, "head record does not match line 20");
	p.off = len;
	put_head(f, &p);
	expect_good(f, NLINES);
}

/* head_comes_before_first_line - the first append writes a head for the
 * empty log before its line, so a kill inside it leaves a head to go on
 * from; shown by making that head impossible to write */
static void
head_comes_before_first_line(struct fix *f)
{
	struct stat st;

	assert_int_equal(mkdirat(f->dirfd, "audit/head.tmp", 0700), 0);
	assert_int_equal(cs_audit_log(&f->a, "x", NULL), CS_ERR_IO);
	assert_int_equal(fstatat(f->dirfd, "audit/audit.log", &st, 0), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(unlinkat(f->dirfd, "audit/head.tmp", AT_REMOVEDIR),
	    0);
	expect_good(f, 0);
}

/* crash_in_first_append_is_not_tampering - killed after, then inside, the
 * write of the trail's first line */
void
crash_in_first_append_is_not_tampering(void **state)
{
	struct fix *f = *state;
	size_t len;
	char *buf;

	head_comes_before_first_line(f);
	log_one(f, 1);
	put_empty_head(f);
	expect_note(f, 1, "head was 1 line behind (crash)");
	log_one(f, 2);
	check_seqs(f, 2);

	/* start over: only the first half of line 1 reached the disk */
	buf = slurp(f, "audit/audit.log", &len);
	spill(f, "audit/audit.log", buf, 40);
	free(buf);
	put_empty_head(f);
	expect_note(f, 0, "line 1 cut short (crash mid-write)");
	log_one(f, 1);
	expect_good(f, 1);
	check_seqs(f, 1);
}

/* partial_last_line_is_repaired - a write cut short by a kill (or the
 * zeros a power cut can leave), alone or after a line past head */
void
partial_last_line_is_repaired(void **state)
{
	static const char cut[] = "{\"seq\":6,\"ts\":\"2030-01-0\0\0\0";
	struct fix *f = *state;
	char *head;
	size_t len;

	log_many(f, 1, 5);
	add_raw(f, cut, sizeof(cut) - 1);
	expect_note(f, 5, "line 6 cut short (crash mid-write); the next "
	    "append removes it");
	log_one(f, 6);
	expect_good(f, 6);
	check_seqs(f, 6);

	head = slurp(f, "audit/head", &len);
	log_one(f, 7);
	spill(f, "audit/head", head, len);
	free(head);
	add_raw(f, "{\"se", 4);
	expect_note(f, 7, "head was 1 line behind (crash); chain valid; "
	    "line 8 cut short");
	log_one(f, 8);
	expect_good(f, 8);
	check_seqs(f, 8);
}

/* forged_line_after_head_is_found - and stays found: an append neither
 * removes it nor chains onto it, but it does cut a partial line after it */
void
forged_line_after_head_is_found(void **state)
{
	struct fix *f = *state;
	size_t len, n;
	char *buf, *p;

	log_many(f, 1, NLINES);
	add_forged(f, NLINES + 1);
	add_raw(f, "{\"seq\":22,\"t", 12);
	expect_bad(f, 21, "line 21: MAC mismatch");
	log_one(f, NLINES + 1);
	log_one(f, NLINES + 2);
	expect_bad(f, 21, "line 21: MAC mismatch");
	buf = slurp(f, "audit/audit.log", &len);
	p = line_at(buf, 21, &n);
	assert_non_null(strstr(p, "mallory"));
	p = line_at(buf, 22, &n);
	assert_int_equal(line_seq(p, n), 21);	/* chained from head */
	p = line_at(buf, 23, &n);
	assert_int_equal(line_seq(p, n), 22);
	assert_true(p + n == buf + len);	/* the partial line is gone */
	free(buf);
}

/* forged_line_after_leftover_is_found - a good line past head, then a
 * forged one: the forged one is named, and appends chain on from head, not
 * from the good line, since nothing past a forgery is taken on trust */
void
forged_line_after_leftover_is_found(void **state)
{
	struct fix *f = *state;
	char *buf, *p, *head;
	size_t len, n;

	log_many(f, 1, NLINES);
	head = slurp(f, "audit/head", &len);
	log_one(f, NLINES + 1);
	spill(f, "audit/head", head, len);
	free(head);
	add_forged(f, NLINES + 2);
	expect_bad(f, 22, "line 22: MAC mismatch");
	log_one(f, NLINES + 2);
	expect_bad(f, 22, "line 22: MAC mismatch");
	buf = slurp(f, "audit/audit.log", &len);
	p = line_at(buf, 23, &n);
	assert_int_equal(line_seq(p, n), 21);
	assert_true(p + n == buf + len);
	free(buf);
}

/* append_looks_only_past_head - appends trust head for what comes before
 * it (verify is what reads it all), so an append costs the same however
 * long the log is: a garbled line 3 goes unnoticed until verify */
void
append_looks_only_past_head(void **state)
{
	struct fix *f = *state;
	size_t len, n;
	char *buf, *p;

	log_many(f, 1, NLINES + 3);
	buf = slurp(f, "audit/audit.log", &len);
	p = line_at(buf, 3, &n);
	memset(p, 'x', n - 1);
	spill(f, "audit/audit.log", buf, len);
	free(buf);
	log_one(f, NLINES + 4);
	expect_bad(f, 3, "line 3: not a JSON object");
	buf = slurp(f, "audit/audit.log", &len);
	p = line_at(buf, NLINES + 4, &n);
	assert_int_equal(line_seq(p, n), NLINES + 4);
	free(buf);
}

/* kill_writer - a child appending without end, killed after up to 3 ms */
static void
kill_writer(struct fix *f, int round, unsigned *seed)
{
	struct timespec ts;
	pid_t pid;
	int st;

	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		for (;;)
			(void)cs_audit_log(&f->a, "processed",
			    json_pack("{s:i}", "round", round));
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(rand_r(seed) % 3000) * 1000;
	(void)nanosleep(&ts, NULL);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* kill9_at_random_moments_leaves_a_valid_trail - what the crash tests do:
 * kill -9 the writer anywhere, then verify must pass, and so must the
 * next append */
void
kill9_at_random_moments_leaves_a_valid_trail(void **state)
{
	struct fix *f = *state;
	struct cs_audit_report rep;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	uint64_t lines = 0;
	int i, noted = 0;

	print_message("    seed %u\n", seed);
	for (i = 0; i < KILL_ROUNDS; i++) {
		kill_writer(f, i, &seed);
		if (cs_audit_verify(&f->a, &rep) != CS_OK)
			fail_msg("round %d: line %ju: %s", i,
			    (uintmax_t)rep.bad_line, rep.why);
		assert_true(rep.lines >= lines);
		noted += rep.why[0] != '\0';
		log_one(f, i);
		expect_good(f, rep.lines + 1);
		lines = rep.lines + 1;
	}
	check_seqs(f, (int)lines);
	print_message("    %d of %d kills left something to repair, %ju "
	    "lines\n", noted, KILL_ROUNDS, (uintmax_t)lines);
}
