/*
 * audit.h - the tamper-evident audit trail.
 *
 * One JSON object per line in SPOOL/audit/audit.log. Every line ends with a
 * "mac" member: HMAC-SHA256, keyed with SPOOL/keys/audit.key, over the
 * previous line's mac (64 hex digits; 64 zeros for the first line), a
 * newline, and the exact bytes of the line up to (not including) the
 * ',"mac":' that closes it, followed by '}'. SPOOL/audit/head holds the
 * line count and last mac, itself MAC'd, so truncating the log is found too.
 * Appends take an exclusive flock on audit.log, so the daemon and
 * cloudspoolctl can both write. Every line also goes to syslog (LOG_DAEMON).
 */
#ifndef CS_AUDIT_H
#define CS_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "crypto.h"
#include "result.h"

#define CS_AUDIT_LOG "audit.log"
#define CS_AUDIT_HEAD "head"
#define CS_AUDIT_KEY "audit.key"

struct cs_audit {
	int audit_dirfd;		/* SPOOL/audit */
	uint8_t key[CS_HASH_LEN];
	int use_syslog;
};

/* cs_audit_open - open SPOOL/audit and load SPOOL/keys/audit.key, creating
 * the key (mode 0600) when create_key is set and it does not exist yet */
cs_result cs_audit_open(struct cs_audit *a, int spool_dirfd, int create_key,
    char *err, size_t errlen);

/* cs_audit_close - close and wipe the key */
void cs_audit_close(struct cs_audit *a);

/* cs_audit_log - append one event. fields (may be NULL) is consumed
 * (json_decref'd); its members follow "seq", "ts" (UTC ISO 8601), "event".
 * Strings from users are the caller's to cap. */
cs_result cs_audit_log(struct cs_audit *a, const char *event, json_t *fields);

/* A verification result: ok, or the first bad line and why. */
struct cs_audit_report {
	uint64_t lines;			/* lines read */
	uint64_t bad_line;		/* 1-based; 0 when none */
	char why[160];
};

/* cs_audit_verify - check the chain and the head record; CS_OK when intact,
 * CS_ERR_AUTH (report names the line) otherwise */
cs_result cs_audit_verify(struct cs_audit *a, struct cs_audit_report *rep);

/* cs_audit_str - a JSON string for an untrusted C string: at most cap bytes
 * of s, cut only between characters and marked with U+2026 when cut (the
 * %.200s of Postfix's logs); invalid UTF-8 (which json_string() refuses)
 * becomes U+FFFD, C0 controls and DEL their visible Control Pictures (U+2400
 * block), C1 controls U+FFFD, so no value can reach an auditor's terminal
 * as an escape sequence. json_null() for NULL s; NULL when out of memory. */
json_t *cs_audit_str(const char *s, size_t cap);

/*
 * Below: shared by audit.c and audit_verify.c, not meant for other callers.
 * head is one line "seq N mac HEX hmac HEX\n"; hmac is HMAC-SHA256(key,
 * "head" || N as 8 bytes big-endian || the 64 hex digits of mac).
 */
#define CS_AUDIT_MAC_HEX (2 * CS_HASH_LEN)

enum cs_audit_head_state {
	CS_AUDIT_HEAD_ABSENT,	/* no head file: log must be empty */
	CS_AUDIT_HEAD_OK,
	CS_AUDIT_HEAD_MALFORMED,	/* not one well-formed head line */
	CS_AUDIT_HEAD_FORGED	/* well-formed, but hmac does not verify */
};

struct cs_audit_head {
	enum cs_audit_head_state state;
	uint64_t seq;			/* lines covered; 0 unless OK */
	char mac[CS_AUDIT_MAC_HEX + 1];	/* mac of line seq, or zeros */
};

/* cs_audit_head_read - read and check SPOOL/audit/head; CS_OK with h->state
 * set, or an error when the file could not be read at all */
cs_result cs_audit_head_read(const struct cs_audit *a, struct cs_audit_head *h);

/* cs_audit_head_hmac - hex hmac of a head record covering seq lines whose
 * last mac is mac */
void cs_audit_head_hmac(const struct cs_audit *a, uint64_t seq,
    const char mac[CS_AUDIT_MAC_HEX], char out[CS_AUDIT_MAC_HEX + 1]);

/* cs_audit_line_mac - hex mac of a line: HMAC(key, prev || "\n" || body ||
 * "}"), body being the line up to its ',"mac":' */
cs_result cs_audit_line_mac(const struct cs_audit *a,
    const char prev[CS_AUDIT_MAC_HEX], const char *body, size_t body_len,
    char mac[CS_AUDIT_MAC_HEX + 1]);

#endif
