/*
 * config_int.h - what the lib/config*.c files share among themselves and
 * with nobody else (config.h is the fixed public interface): the key
 * tables' types, the tables (config_keys.c), and the checkers each file
 * gives the others.
 */
#ifndef CS_CONFIG_INT_H
#define CS_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define NITEMS(a)		(sizeof(a) / sizeof((a)[0]))

enum check_kind {
	CHECK_SPOOL,
	CHECK_RETENTION,
	CHECK_DESTINATION,
	CHECK_ACTION,
	CHECK_AUTHORIZATION	/* keys: config_auth.c */
};

enum check_type {
	CHECK_TEXT,		/* anything, even empty */
	CHECK_LINE,		/* anything but empty (blanks allowed) */
	CHECK_WORD,		/* one name: not empty, no blanks */
	CHECK_PATH,		/* an absolute path */
	CHECK_LIST,		/* blank-separated names */
	CHECK_SIZE,
	CHECK_COUNT,
	CHECK_DURATION,
	CHECK_YESNO,		/* yes or no, into an int */
	CHECK_BLANK,		/* yes, no or a level, into a uint64_t */
	CHECK_BARCODE,		/* yes (PATCHT), no, or the separator's text */
	CHECK_LANG,		/* LANG[+LANG], each [a-z_]+ */
	CHECK_PAGECOMP		/* none, lossless or jpeg, into an int */
};

/* A key of [spool], [retention] or [action NAME], stored at off. */
struct check_field {
	const char *key;
	enum check_type type;
	size_t off;
	size_t noff;		/* CHECK_LIST: where the count goes */
	uint64_t min;		/* numeric types: smallest value allowed */
	uint64_t max;		/* CHECK_COUNT: largest allowed; 0: none */
};

#define FIELD(k, t, s, f, m)	{ k, t, offsetof(s, f), 0, m, 0 }
#define RANGE(k, s, f, lo, hi)	{ k, CHECK_COUNT, offsetof(s, f), 0, lo, hi }
#define LIST(k, s, f, n)	\
	{ k, CHECK_LIST, offsetof(s, f), offsetof(s, n), 0, 0 }
#define CONF(k, t, f, m)	FIELD(k, t, struct cs_config, f, m)

struct check_section {
	const char *word;
	enum check_kind kind;
	const struct check_field *fields;	/* NULL: provider keys */
	size_t nfields;
};

/* the sections and their key tables (config_keys.c) */
extern const struct check_section check_sections[];
extern const size_t check_nsections;

/* config_check_build - fill cfg from tokens; else the first problem, its
 * line and why (config_check.c) */
cs_result config_check_build(struct cs_config *cfg,
    const struct cs_setting *tok, size_t ntok, unsigned *line, char *why,
    size_t whylen);

/* config_provider_check - d's provider and keys, defaults added
 * (config_provider.c) */
cs_result config_provider_check(struct cs_destination *d,
    unsigned provider_line, unsigned *line, char *why, size_t whylen);

/* [authorization]: one key, the section as a whole, release
 * (config_auth.c) */
int config_auth_key(struct cs_auth_config *a, const char *key,
    const char *value, char *why, size_t whylen);
int config_auth_check(const struct cs_auth_config *a, char *why,
    size_t whylen);
void config_auth_free(struct cs_auth_config *a);

#endif
