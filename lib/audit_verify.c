/*
 * audit_verify.c - read the audit trail back: the head record, each line's
 * mac, and the whole chain.
 *
 * The log is read under a shared flock, so appenders (which hold it
 * exclusively from the write of a line to the rename of head) never show
 * us a line without its head. Lines are streamed with getline(): no line
 * length is assumed. The first problem found is reported, named by line:
 *
 *   line N: not a JSON object          garbage, or a line cut in the middle
 *   line N: seq S where N expected     a line removed, repeated or moved
 *   line N: MAC mismatch               a line edited (or one before it
 *                                      removed and the rest renumbered)
 *   log ends at line N but head ...    lines cut from the end
 *   line N is not covered by head      head rolled back, or a crash between
 *                                      the log write and the head update
 *   head record MAC mismatch           head edited
 *
 * What this cannot see: a log and head both deleted, or both rolled back
 * to an earlier copy. The syslog copy of every line is the answer to that.
 * cs_audit_line_mac() and cs_audit_head_read() live here, next to the
 * checks they serve; audit.c uses them when appending.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* openat, flock, getline */
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "audit.h"

#define VERIFY_HEAD_MAX 256	/* a real head line is under 170 bytes */
#define VERIFY_MAC_TAG ",\"mac\":\""
/* a line ends ,"mac":"<64 hex>"} */
#define VERIFY_TAIL (sizeof(VERIFY_MAC_TAG) - 1 + CS_AUDIT_MAC_HEX + 2)

static const char verify_zero_mac[CS_AUDIT_MAC_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct verify_state {
	const struct cs_audit *a;
	struct cs_audit_head head;
	uint64_t n;				/* lines read so far */
	char prev[CS_AUDIT_MAC_HEX + 1];	/* mac of line n */
	char at_head[CS_AUDIT_MAC_HEX + 1];	/* mac of line head.seq */
};

/* verify_read_all - read up to n bytes until EOF; *got gets the count */
static cs_result
verify_read_all(int fd, void *buf, size_t n, size_t *got)
{
	char *p = buf;
	ssize_t r;

	*got = 0;
	while (*got < n) {
		r = read(fd, p + *got, n - *got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return CS_ERR_IO;
		}
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return CS_OK;
}

/* verify_hex - lowercase hex of n bytes into out (2n digits and a NUL) */
static void
verify_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* cs_audit_line_mac - hex mac of a line: HMAC(key, prev || "\n" || body ||
 * "}"), body being the line up to its ',"mac":' */
cs_result
cs_audit_line_mac(const struct cs_audit *a, const char prev[CS_AUDIT_MAC_HEX],
    const char *body, size_t body_len, char mac[CS_AUDIT_MAC_HEX + 1])
{
	uint8_t raw[CS_HASH_LEN];
	uint8_t *msg;
	size_t n;

	/* crypto.h has only a one-shot HMAC: assemble the message */
	if (body_len > SIZE_MAX - CS_AUDIT_MAC_HEX - 2)
		return CS_ERR_TOOBIG;
	n = CS_AUDIT_MAC_HEX + 1 + body_len + 1;
	if ((msg = malloc(n)) == NULL)
		return CS_ERR_NOMEM;
	memcpy(msg, prev, CS_AUDIT_MAC_HEX);
	msg[CS_AUDIT_MAC_HEX] = '\n';
	memcpy(msg + CS_AUDIT_MAC_HEX + 1, body, body_len);
	msg[n - 1] = '}';
	cs_hmac_sha256(a->key, sizeof(a->key), msg, n, raw);
	free(msg);
	verify_hex(raw, sizeof(raw), mac);
	return CS_OK;
}

/* cs_audit_head_hmac - hex hmac of a head record ("head" cannot start a
 * line mac's input, which begins with hex digits, so the two never collide) */
void
cs_audit_head_hmac(const struct cs_audit *a, uint64_t seq,
    const char mac[CS_AUDIT_MAC_HEX], char out[CS_AUDIT_MAC_HEX + 1])
{
	uint8_t msg[4 + 8 + CS_AUDIT_MAC_HEX], raw[CS_HASH_LEN];
	int i;

	memcpy(msg, "head", 4);
	for (i = 0; i < 8; i++)
		msg[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
	memcpy(msg + 12, mac, CS_AUDIT_MAC_HEX);
	cs_hmac_sha256(a->key, sizeof(a->key), msg, sizeof(msg), raw);
	verify_hex(raw, sizeof(raw), out);
}

/* verify_take_hex - consume 64 lowercase hex digits from *p into out */
static int
verify_take_hex(const char **p, char out[CS_AUDIT_MAC_HEX + 1])
{
	int i;

	for (i = 0; i < CS_AUDIT_MAC_HEX; i++) {
		char c = (*p)[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		out[i] = c;
	}
	out[CS_AUDIT_MAC_HEX] = '\0';
	*p += CS_AUDIT_MAC_HEX;
	return 0;
}

/* verify_head_parse - strict parse of "seq N mac HEX hmac HEX\n" */
static int
verify_head_parse(const char *s, uint64_t *seq, char mac[CS_AUDIT_MAC_HEX + 1],
    char hmac[CS_AUDIT_MAC_HEX + 1])
{
	uint64_t n = 0;
	const char *p = s;

	if (strncmp(p, "seq ", 4) != 0)
		return -1;
	p += 4;
	/* digits only, no sign or leading zero, no wrap-around */
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != ' '))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (strncmp(p, " mac ", 5) != 0)
		return -1;
	p += 5;
	if (verify_take_hex(&p, mac) != 0 || strncmp(p, " hmac ", 6) != 0)
		return -1;
	p += 6;
	if (verify_take_hex(&p, hmac) != 0 || strcmp(p, "\n") != 0)
		return -1;
	*seq = n;
	return 0;
}

/* cs_audit_head_read - read and check SPOOL/audit/head; CS_OK with h->state
 * set, or an error when the file could not be read at all */
cs_result
cs_audit_head_read(const struct cs_audit *a, struct cs_audit_head *h)
{
	char buf[VERIFY_HEAD_MAX + 1], hmac[CS_AUDIT_MAC_HEX + 1];
	char want[CS_AUDIT_MAC_HEX + 1];
	struct stat st;
	cs_result r;
	size_t got;
	int fd;

	h->state = CS_AUDIT_HEAD_ABSENT;
	h->seq = 0;
	memcpy(h->mac, verify_zero_mac, sizeof(h->mac));
	fd = openat(a->audit_dirfd, CS_AUDIT_HEAD,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return CS_OK;
		if (errno != ELOOP)
			return CS_ERR_IO;
		h->state = CS_AUDIT_HEAD_MALFORMED;	/* a symlink */
		return CS_OK;
	}
	if (fstat(fd, &st) != 0) {
		(void)close(fd);
		return CS_ERR_IO;
	}
	r = CS_OK;
	got = 0;
	if (S_ISREG(st.st_mode))
		r = verify_read_all(fd, buf, VERIFY_HEAD_MAX + 1, &got);
	(void)close(fd);
	if (r != CS_OK)
		return r;
	buf[got > VERIFY_HEAD_MAX ? VERIFY_HEAD_MAX : got] = '\0';
	if (!S_ISREG(st.st_mode) || got > VERIFY_HEAD_MAX ||
	    memchr(buf, '\0', got) != NULL ||
	    verify_head_parse(buf, &h->seq, h->mac, hmac) != 0) {
		h->state = CS_AUDIT_HEAD_MALFORMED;
	} else {
		cs_audit_head_hmac(a, h->seq, h->mac, want);
		h->state = cs_ct_equal(want, hmac, CS_AUDIT_MAC_HEX) ?
		    CS_AUDIT_HEAD_OK : CS_AUDIT_HEAD_FORGED;
	}
	if (h->state != CS_AUDIT_HEAD_OK) {
		h->seq = 0;
		memcpy(h->mac, verify_zero_mac, sizeof(h->mac));
	}
	return CS_OK;
}

/* verify_fail - record the first problem; CS_ERR_AUTH */
static cs_result __attribute__((format(printf, 3, 4)))
verify_fail(struct cs_audit_report *rep, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	rep->bad_line = line;
	va_start(ap, fmt);
	vsnprintf(rep->why, sizeof(rep->why), fmt, ap);
	va_end(ap);
	return CS_ERR_AUTH;
}

/* verify_seq - check the line's seq member is n; CS_ERR_AUTH otherwise */
static cs_result
verify_seq(const json_t *obj, uint64_t n, struct cs_audit_report *rep)
{
	const json_t *seq = json_object_get(obj, "seq");
	const char *why;
	json_int_t v;

	if (!json_is_integer(seq))
		return verify_fail(rep, n, "line %" PRIu64 ": no seq number",
		    n);
	v = json_integer_value(seq);
	if (v >= 1 && (uint64_t)v == n)
		return CS_OK;
	if (v == 1)	/* what appends write after head went missing */
		why = "chain restarted after head was lost or forged, "
		    "or line 1 repeated";
	else if (v > 1 && (uint64_t)v > n)
		why = "line removed";
	else
		why = "line repeated or out of order";
	return verify_fail(rep, n, "line %" PRIu64 ": seq %lld where %" PRIu64
	    " expected (%s)", n, (long long)v, n, why);
}

/* verify_line - check one line, including its '\n', against the chain */
static cs_result
verify_line(struct verify_state *s, const char *line, size_t len,
    struct cs_audit_report *rep)
{
	char mac[CS_AUDIT_MAC_HEX + 1];
	const char *tail;
	json_error_t jerr;
	json_t *obj;
	uint64_t n = ++s->n;
	cs_result r;

	if (line[len - 1] != '\n')
		return verify_fail(rep, n, "line %" PRIu64 ": cut short (no "
		    "newline at the end of the log)", n);
	len--;
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return verify_fail(rep, n, "line %" PRIu64 ": not a JSON "
		    "object", n);
	}
	r = verify_seq(obj, n, rep);
	json_decref(obj);
	if (r != CS_OK)
		return r;
	if (len <= VERIFY_TAIL || memcmp(line + len - VERIFY_TAIL,
	    VERIFY_MAC_TAG, sizeof(VERIFY_MAC_TAG) - 1) != 0 ||
	    memcmp(line + len - 2, "\"}", 2) != 0)
		return verify_fail(rep, n, "line %" PRIu64 ": no mac at the "
		    "end", n);
	tail = line + len - VERIFY_TAIL + sizeof(VERIFY_MAC_TAG) - 1;
	r = cs_audit_line_mac(s->a, s->prev, line, len - VERIFY_TAIL, mac);
	if (r != CS_OK)
		return r;
	if (!cs_ct_equal(mac, tail, CS_AUDIT_MAC_HEX))
		return verify_fail(rep, n, "line %" PRIu64 ": MAC mismatch "
		    "(line edited, or a line before it removed)", n);
	memcpy(s->prev, mac, CS_AUDIT_MAC_HEX);
	if (n == s->head.seq)
		memcpy(s->at_head, mac, CS_AUDIT_MAC_HEX);
	return CS_OK;
}

/* verify_lines - stream the log (fd, at offset 0) through verify_line */
static cs_result
verify_lines(struct verify_state *s, int fd, struct cs_audit_report *rep)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	cs_result r = CS_OK;
	FILE *fp;
	int dfd;

	/* a dup, so fclose() leaves fd, and with it our lock, alone */
	if ((dfd = dup(fd)) < 0)
		return CS_ERR_IO;
	if ((fp = fdopen(dfd, "r")) == NULL) {
		(void)close(dfd);
		return CS_ERR_IO;
	}
	while (r == CS_OK && (len = getline(&buf, &cap, fp)) > 0)
		r = verify_line(s, buf, (size_t)len, rep);
	if (r == CS_OK && ferror(fp))
		r = errno == ENOMEM ? CS_ERR_NOMEM : CS_ERR_IO;
	free(buf);
	(void)fclose(fp);	/* read-only */
	return r;
}

/* verify_head - check the head record against what the log held */
static cs_result
verify_head(const struct verify_state *s, struct cs_audit_report *rep)
{
	const struct cs_audit_head *h = &s->head;

	switch (h->state) {
	case CS_AUDIT_HEAD_ABSENT:
		if (s->n == 0)
			return CS_OK;
		return verify_fail(rep, 0, "log has %" PRIu64 " lines but no "
		    "head record (head removed)", s->n);
	case CS_AUDIT_HEAD_MALFORMED:
		return verify_fail(rep, 0, "head record malformed (head "
		    "edited)");
	case CS_AUDIT_HEAD_FORGED:
		return verify_fail(rep, 0, "head record MAC mismatch (head "
		    "edited)");
	case CS_AUDIT_HEAD_OK:
		break;
	}
	if (h->seq > s->n)
		return verify_fail(rep, s->n + 1, "log ends at line %" PRIu64
		    " but head records %" PRIu64 " lines (truncated)", s->n,
		    h->seq);
	if (!cs_ct_equal(s->at_head, h->mac, CS_AUDIT_MAC_HEX))
		return verify_fail(rep, h->seq, "head record does not match "
		    "line %" PRIu64 " (log rewritten)", h->seq);
	if (h->seq < s->n)
		return verify_fail(rep, h->seq + 1, "line %" PRIu64 " is not "
		    "covered by head (head rolled back, or a crash before it "
		    "was updated)", h->seq + 1);
	return CS_OK;
}

/* verify_open - open audit.log for reading and share-lock it; -1 when it
 * does not exist (an empty trail), -2 on error with rep->why set */
static int
verify_open(const struct cs_audit *a, struct cs_audit_report *rep,
    cs_result *r)
{
	struct stat st;
	int fd, rc;

	fd = openat(a->audit_dirfd, CS_AUDIT_LOG,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return -1;
		*r = errno == ELOOP ? CS_ERR_UNSAFE : CS_ERR_IO;
		snprintf(rep->why, sizeof(rep->why), "%s: open: %s",
		    CS_AUDIT_LOG, strerror(errno));
		return -2;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*r = CS_ERR_UNSAFE;
		snprintf(rep->why, sizeof(rep->why), "%s: not a regular file",
		    CS_AUDIT_LOG);
		(void)close(fd);
		return -2;
	}
	while ((rc = flock(fd, LOCK_SH)) != 0 && errno == EINTR)
		;
	if (rc != 0) {
		*r = CS_ERR_IO;
		snprintf(rep->why, sizeof(rep->why), "%s: flock: %s",
		    CS_AUDIT_LOG, strerror(errno));
		(void)close(fd);
		return -2;
	}
	return fd;
}

/* cs_audit_verify - check the chain and the head record; CS_OK when intact,
 * CS_ERR_AUTH (report names the line) otherwise */
cs_result
cs_audit_verify(struct cs_audit *a, struct cs_audit_report *rep)
{
	struct verify_state s;
	cs_result r = CS_OK;
	int fd;

	memset(rep, 0, sizeof(*rep));
	memset(&s, 0, sizeof(s));
	s.a = a;
	memset(s.prev, '0', CS_AUDIT_MAC_HEX);
	memset(s.at_head, '0', CS_AUDIT_MAC_HEX);
	if ((fd = verify_open(a, rep, &r)) == -2)
		return r;
	/* read head only now, under the lock, so it matches the log */
	if ((r = cs_audit_head_read(a, &s.head)) != CS_OK)
		snprintf(rep->why, sizeof(rep->why), "%s: read failed",
		    CS_AUDIT_HEAD);
	if (r == CS_OK && fd >= 0)
		r = verify_lines(&s, fd, rep);
	if (r == CS_OK)
		r = verify_head(&s, rep);
	else if (r != CS_ERR_AUTH && rep->why[0] == '\0')
		snprintf(rep->why, sizeof(rep->why), "%s: %s", CS_AUDIT_LOG,
		    cs_strerror(r));
	rep->lines = s.n;
	if (fd >= 0)
		(void)close(fd);	/* drops the lock */
	return r;
}
