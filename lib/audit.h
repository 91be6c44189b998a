/*
 * audit.h - the tamper-evident audit trail.
 *
 * One JSON object per line in SPOOL/audit/audit.log. Every line ends with a
 * "mac" member: HMAC-SHA256, keyed with SPOOL/keys/audit.key, over the
 * previous line's mac (64 hex digits; 64 zeros for the first line), a
 * newline, and the exact bytes of the line up to (not including) the
 * ',"mac":' that closes it, followed by '}'. SPOOL/audit/head holds the
 * line count, their length in bytes and the last mac, itself MAC'd, so
 * truncating the log is found too. head is replaced only after the line is
 * synced, so a crash (kill -9) can leave head behind the log, never ahead:
 * lines past head whose chain checks out are a crash's leftovers, not
 * tampering, and so is a last line cut short (no '\n'). The next append
 * cuts such a line off and extends the chain past the leftovers.
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
	uint64_t lines;			/* whole lines read */
	uint64_t bad_line;		/* 1-based; 0 when none */
	char why[160];			/* if ok: empty, or a crash's traces */
};

/* cs_audit_has - 1 when a line with this event and job was recorded, 0
 * when not, -1 when the log cannot be read (recovery paths only: a scan) */
int cs_audit_has(struct cs_audit *a, const char *event, const char *job);

/* cs_audit_verify - check the chain and the head record; CS_OK when intact
 * (rep->why notes lines past head or a last line cut short, if any),
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
 * head is one line "seq N off B mac HEX hmac HEX\n": the log's first N lines
 * take its first B bytes, and line N's mac is HEX (64 zeros when N is 0).
 * hmac is HMAC-SHA256(key, "head" || N || B || the 64 hex digits of mac),
 * N and B as 8 bytes big-endian each. B lets an append look only at what
 * lies past head instead of reading the whole log.
 */
#define CS_AUDIT_MAC_HEX (2 * CS_HASH_LEN)

/* A place in the chain: just after line seq. */
struct cs_audit_pos {
	uint64_t seq;			/* lines so far; 0 before the first */
	uint64_t off;			/* the bytes they take */
	char mac[CS_AUDIT_MAC_HEX + 1];	/* mac of line seq, or zeros */
};

enum cs_audit_head_state {
	CS_AUDIT_HEAD_ABSENT,	/* no head file: log must be empty */
	CS_AUDIT_HEAD_OK,
	CS_AUDIT_HEAD_MALFORMED,	/* not one well-formed head line */
	CS_AUDIT_HEAD_FORGED	/* well-formed, but hmac does not verify */
};

struct cs_audit_head {
	enum cs_audit_head_state state;
	struct cs_audit_pos at;		/* what head covers; zeros unless OK */
};

/* Where an append goes on (see cs_audit_resume). */
struct cs_audit_resume {
	struct cs_audit_pos from;	/* the chain the new line extends */
	uint64_t keep;			/* log bytes to keep: a cut line goes */
	uint64_t bad_line;		/* a line past head that failed, or 0 */
};

/* cs_audit_head_read - read and check SPOOL/audit/head; CS_OK with h->state
 * set, or an error when the file could not be read at all */
cs_result cs_audit_head_read(const struct cs_audit *a, struct cs_audit_head *h);

/* cs_audit_head_hmac - hex hmac of a head record for position p */
void cs_audit_head_hmac(const struct cs_audit *a, const struct cs_audit_pos *p,
    char out[CS_AUDIT_MAC_HEX + 1]);

/* cs_audit_line_mac - hex mac of a line: HMAC(key, prev || "\n" || body ||
 * "}"), body being the line up to its ',"mac":' */
cs_result cs_audit_line_mac(const struct cs_audit *a,
    const char prev[CS_AUDIT_MAC_HEX], const char *body, size_t body_len,
    char mac[CS_AUDIT_MAC_HEX + 1]);

/* cs_audit_resume - for an append holding the exclusive lock on the log
 * (fd, readable, size bytes long) with head h: the chain to extend, past
 * any lines a crash left beyond head whose chain checks out, and how many
 * bytes of the log to keep (a last line with no '\n' is cut off) */
cs_result cs_audit_resume(const struct cs_audit *a, int fd,
    const struct cs_audit_head *h, uint64_t size, struct cs_audit_resume *res);

#endif
