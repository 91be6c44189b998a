/*
 * test_audit.h - the fixture shared by test_audit.c, which defines it and
 * runs every test, and test_audit_crash.c, which holds the tests of the
 * log's end against head: crash leftovers, truncation, head edits.
 */
#ifndef TEST_AUDIT_H
#define TEST_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include "audit.h"

#define NLINES 20

struct fix {
	char dir[64];
	int dirfd;
	struct cs_audit a;
};

/* log_one - append event number i with a spread of field types */
void log_one(struct fix *f, int i);
/* log_many - append events from..to */
void log_many(struct fix *f, int from, int to);
/* slurp - whole file under the spool, NUL-terminated */
char *slurp(struct fix *f, const char *path, size_t *len);
/* spill - replace a file under the spool with buf (as an editor would) */
void spill(struct fix *f, const char *path, const char *buf, size_t len);
/* line_at - start of line k (1-based) in buf, and its length with '\n' */
char *line_at(char *buf, int k, size_t *len);
/* drop_line - remove line k from the log */
void drop_line(struct fix *f, int k);
/* expect_bad - verify fails at line bad, saying something containing what */
void expect_bad(struct fix *f, uint64_t bad, const char *what);
/* expect_good - verify passes over n lines, with nothing to note */
void expect_good(struct fix *f, uint64_t n);

/* in test_audit_crash.c */
void truncated_log_is_found(void **state);
void truncated_mid_line_is_found(void **state);
void truncation_with_rewritten_head_is_found(void **state);
void appended_forged_line_is_found(void **state);
void head_edit_is_found(void **state);
void removed_head_is_found(void **state);
void head_at_wrong_offset_is_found(void **state);
void crash_between_log_and_head_is_not_tampering(void **state);
void head_several_lines_behind_is_not_tampering(void **state);
void crash_in_first_append_is_not_tampering(void **state);
void partial_last_line_is_repaired(void **state);
void forged_line_after_head_is_found(void **state);
void forged_line_after_leftover_is_found(void **state);
void append_looks_only_past_head(void **state);
void kill9_at_random_moments_leaves_a_valid_trail(void **state);

#endif
