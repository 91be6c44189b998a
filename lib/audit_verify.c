/*
 * audit_verify.c - read the audit trail back: the head record, each line's
 * mac, and the whole chain; and for appends, whatever lies past head.
 *
 * The log is read under a shared flock, so appenders (which hold it
 * exclusively from the write of a line to the rename of head) never show
 * us a line without its head. Lines are streamed with getline(): no line
 * length is assumed. The first problem found is reported, named by line:
 *
 *   line N: not a JSON object          garbage, or a line cut in the middle
 *   line N: seq S where N expected     a line removed, repeated or moved
 *   line N: MAC mismatch               a line edited or forged (or one
 *                                      before it removed, rest renumbered)
 *   line N: missing: log ends at ...   lines cut from the end
 *   line N: cut short, but head ...    the same, mid-line (only past head
 *                                      is a cut line a crash's doing)
 *   head record does not match line N  the log rewritten
 *   head record MAC mismatch           head edited
 *
 * Only noted: lines past head whose chain checks out (a kill -9 between an
 * append's sync and its head update; a forger has no key to make them), and
 * a last line with no '\n' (a kill inside the write). So a head rolled back
 * over an intact log goes unseen, which loses nothing.
 *
 * What this cannot see: a log and head both deleted, or both rolled back
 * to an earlier copy. The syslog copy of every line is the answer to that.
 * cs_audit_line_mac(), cs_audit_head_read() and cs_audit_resume() live here,
 * next to the checks they share; audit.c uses them when appending.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* openat, flock, getline, pread */
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

#define VERIFY_HEAD_MAX 256	/* a real head line is under 200 bytes */
#define VERIFY_MAC_TAG ",\"mac\":\""
/* a line ends ,"mac":"<64 hex>"} */
#define VERIFY_TAIL (sizeof(VERIFY_MAC_TAG) - 1 + CS_AUDIT_MAC_HEX + 2)

/* before the first line: no bytes, and 64 zeros for the previous mac */
static const struct cs_audit_pos verify_origin = { 0, 0,
    "0000000000000000000000000000000000000000000000000000000000000000" };

/* A walk along the log, checking each line against the chain so far. */
struct verify_walk {
	const struct cs_audit *a;
	struct cs_audit_pos at;		/* just after the last good line */
	uint64_t mark;			/* remember where line mark ends, */
	struct cs_audit_pos marked;	/* here, once the walk passes it */
	int partial;			/* the log ends without a '\n' */
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
cs_audit_head_hmac(const struct cs_audit *a, const struct cs_audit_pos *p,
    char out[CS_AUDIT_MAC_HEX + 1])
{
	uint8_t msg[4 + 8 + 8 + CS_AUDIT_MAC_HEX], raw[CS_HASH_LEN];
	int i;

	memcpy(msg, "head", 4);
	for (i = 0; i < 8; i++) {	/* big-endian */
		msg[4 + i] = (uint8_t)(p->seq >> (56 - 8 * i));
		msg[12 + i] = (uint8_t)(p->off >> (56 - 8 * i));
	}
	memcpy(msg + 20, p->mac, CS_AUDIT_MAC_HEX);
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

/* verify_take_u64 - consume a decimal number from *p: digits only, no sign
 * or leading zero (one spelling per value), no wrap-around */
static int
verify_take_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t n = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*out = n;
	*p = s;
	return 0;
}

/* verify_take_word - consume the literal w from *p */
static int
verify_take_word(const char **p, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(*p, w, n) != 0)
		return -1;
	*p += n;
	return 0;
}

/* verify_head_parse - strict parse of "seq N off B mac HEX hmac HEX\n" */
static int
verify_head_parse(const char *s, struct cs_audit_pos *at,
    char hmac[CS_AUDIT_MAC_HEX + 1])
{
	const char *p = s;

	if (verify_take_word(&p, "seq ") != 0 ||
	    verify_take_u64(&p, &at->seq) != 0 ||
	    verify_take_word(&p, " off ") != 0 ||
	    verify_take_u64(&p, &at->off) != 0 ||
	    verify_take_word(&p, " mac ") != 0 ||
	    verify_take_hex(&p, at->mac) != 0 ||
	    verify_take_word(&p, " hmac ") != 0 ||
	    verify_take_hex(&p, hmac) != 0)
		return -1;
	return strcmp(p, "\n") == 0 ? 0 : -1;
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
	h->at = verify_origin;
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
	    verify_head_parse(buf, &h->at, hmac) != 0) {
		h->state = CS_AUDIT_HEAD_MALFORMED;
	} else {
		cs_audit_head_hmac(a, &h->at, want);
		h->state = cs_ct_equal(want, hmac, CS_AUDIT_MAC_HEX) ?
		    CS_AUDIT_HEAD_OK : CS_AUDIT_HEAD_FORGED;
	}
	if (h->state != CS_AUDIT_HEAD_OK)
		h->at = verify_origin;
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

/* verify_line - check one whole line (len counts its '\n') against the
 * chain, and move the walk past it */
static cs_result
verify_line(struct verify_walk *w, const char *line, size_t len,
    struct cs_audit_report *rep)
{
	char mac[CS_AUDIT_MAC_HEX + 1];
	const size_t body = len - 1;	/* the '\n' is no part of the object */
	const char *tail;
	json_error_t jerr;
	json_t *obj;
	uint64_t n = w->at.seq + 1;
	cs_result r;

	obj = json_loadb(line, body, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return verify_fail(rep, n, "line %" PRIu64 ": not a JSON "
		    "object", n);
	}
	r = verify_seq(obj, n, rep);
	json_decref(obj);
	if (r != CS_OK)
		return r;
	if (body <= VERIFY_TAIL || memcmp(line + body - VERIFY_TAIL,
	    VERIFY_MAC_TAG, sizeof(VERIFY_MAC_TAG) - 1) != 0 ||
	    memcmp(line + body - 2, "\"}", 2) != 0)
		return verify_fail(rep, n, "line %" PRIu64 ": no mac at the "
		    "end", n);
	tail = line + body - VERIFY_TAIL + sizeof(VERIFY_MAC_TAG) - 1;
	r = cs_audit_line_mac(w->a, w->at.mac, line, body - VERIFY_TAIL, mac);
	if (r != CS_OK)
		return r;
	if (!cs_ct_equal(mac, tail, CS_AUDIT_MAC_HEX))
		return verify_fail(rep, n, "line %" PRIu64 ": MAC mismatch "
		    "(line edited or forged, or a line before it removed)", n);
	w->at.seq = n;
	w->at.off += len;
	memcpy(w->at.mac, mac, CS_AUDIT_MAC_HEX);
	if (n == w->mark)
		w->marked = w->at;
	return CS_OK;
}

/* verify_walk - check the log's lines (fd) from w->at.off to its end: CS_OK
 * when all of them check out (w->partial set if a last line has no '\n'),
 * CS_ERR_AUTH at the first that does not (rep names it), or another error */
static cs_result
verify_walk(struct verify_walk *w, int fd, struct cs_audit_report *rep)
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
	if (fseeko(fp, (off_t)w->at.off, SEEK_SET) != 0)
		r = CS_ERR_IO;
	while (r == CS_OK && (len = getline(&buf, &cap, fp)) > 0) {
		/* only the last line can lack one: a crash inside a write */
		if (buf[len - 1] != '\n') {
			w->partial = 1;
			break;
		}
		r = verify_line(w, buf, (size_t)len, rep);
	}
	if (r == CS_OK && ferror(fp))
		r = errno == ENOMEM ? CS_ERR_NOMEM : CS_ERR_IO;
	free(buf);
	(void)fclose(fp);	/* read-only */
	return r;
}

/* verify_last_nl - *end gets the offset just past the last '\n' in the log
 * (fd, size bytes) at or after lo, or lo when there is none; reads
 * backwards, so only as far as the last line */
static cs_result
verify_last_nl(int fd, uint64_t lo, uint64_t size, uint64_t *end)
{
	char buf[512];
	uint64_t at = size;
	ssize_t got;
	size_t n, i;

	while (at > lo) {
		n = at - lo < sizeof(buf) ? (size_t)(at - lo) : sizeof(buf);
		got = pread(fd, buf, n, (off_t)(at - n));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || (size_t)got != n)
			return CS_ERR_IO;
		for (i = n; i > 0; i--) {
			if (buf[i - 1] == '\n') {
				*end = at - n + i;
				return CS_OK;
			}
		}
		at -= n;
	}
	*end = lo;
	return CS_OK;
}

/* verify_anchored - whether the log (fd, size bytes) still has a line
 * boundary at off, where head says its lines end, so a walk can start there */
static cs_result
verify_anchored(int fd, uint64_t off, uint64_t size, int *yes)
{
	ssize_t n;
	char c = '\n';

	*yes = 0;
	if (off > size)
		return CS_OK;	/* cut short: verify reports it */
	while (off > 0 && (n = pread(fd, &c, 1, (off_t)(off - 1))) != 1)
		if (n != -1 || errno != EINTR)
			return CS_ERR_IO;
	*yes = c == '\n';
	return CS_OK;
}

/* cs_audit_resume - where an append goes on (see audit.h). Reads only what
 * lies past head, so appends cost the same however long the log is. */
cs_result
cs_audit_resume(const struct cs_audit *a, int fd,
    const struct cs_audit_head *h, uint64_t size, struct cs_audit_resume *res)
{
	struct verify_walk w = { .a = a, .at = h->at, .marked = h->at };
	struct cs_audit_report scratch = { .bad_line = 0 };
	uint64_t lo = 0;
	int anchored = 0;
	cs_result r;

	/* h->at is zeros unless head is OK: then we start over at seq 1, so a
	 * log with lines gets a visible break, not a trusted forgery */
	res->from = h->at;
	res->bad_line = 0;
	if (h->state == CS_AUDIT_HEAD_OK &&
	    (r = verify_anchored(fd, h->at.off, size, &anchored)) != CS_OK)
		return r;
	if (anchored && size == h->at.off) {
		res->keep = size;	/* the usual case: nothing past head */
		return CS_OK;
	}
	if (anchored) {
		if ((r = verify_walk(&w, fd, &scratch)) == CS_OK) {
			/* a crash's leftovers: made with the key, so ours */
			res->from = w.at;
			res->keep = w.at.off;
			return CS_OK;
		}
		if (r != CS_ERR_AUTH)
			return r;
		/* not ours: leave it for verify to find, and extend head */
		res->bad_line = scratch.bad_line;
		lo = w.at.off;
	}
	return verify_last_nl(fd, lo, size, &res->keep);
}

/* verify_note - when intact, say what a crash left behind, if anything */
static void
verify_note(const struct verify_walk *w, uint64_t covered,
    struct cs_audit_report *rep)
{
	uint64_t behind = w->at.seq - covered;
	int n = 0;

	if (behind > 0)
		n = snprintf(rep->why, sizeof(rep->why), "head was %" PRIu64
		    " line%s behind (crash); chain valid", behind,
		    behind == 1 ? "" : "s");
	if (w->partial && n >= 0 && (size_t)n < sizeof(rep->why))
		snprintf(rep->why + n, sizeof(rep->why) - (size_t)n, "%sline %"
		    PRIu64 " cut short (crash mid-write); the next append "
		    "removes it", n > 0 ? "; " : "", w->at.seq + 1);
}

/* verify_head - check the head record against what the walk found */
static cs_result
verify_head(const struct cs_audit_head *h, const struct verify_walk *w,
    struct cs_audit_report *rep)
{
	switch (h->state) {
	case CS_AUDIT_HEAD_ABSENT:
		if (w->at.seq == 0)
			break;
		return verify_fail(rep, 0, "log has %" PRIu64 " lines but no "
		    "head record (head removed)", w->at.seq);
	case CS_AUDIT_HEAD_MALFORMED:
		return verify_fail(rep, 0, "head record malformed (head "
		    "edited)");
	case CS_AUDIT_HEAD_FORGED:
		return verify_fail(rep, 0, "head record MAC mismatch (head "
		    "edited)");
	case CS_AUDIT_HEAD_OK:
		break;
	}
	if (h->at.seq > w->at.seq && w->partial)
		return verify_fail(rep, w->at.seq + 1, "line %" PRIu64 ": cut "
		    "short, but head records %" PRIu64 " lines (truncated)",
		    w->at.seq + 1, h->at.seq);
	if (h->at.seq > w->at.seq)
		return verify_fail(rep, w->at.seq + 1, "line %" PRIu64 ": "
		    "missing: log ends at line %" PRIu64 " but head records %"
		    PRIu64 " lines (truncated)", w->at.seq + 1, w->at.seq,
		    h->at.seq);
	if (!cs_ct_equal(w->marked.mac, h->at.mac, CS_AUDIT_MAC_HEX) ||
	    w->marked.off != h->at.off)
		return verify_fail(rep, h->at.seq, "head record does not match "
		    "line %" PRIu64 " (log rewritten)", h->at.seq);
	/* lines past head: their chain checked out, so a crash, not a forger */
	verify_note(w, h->at.seq, rep);
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

/* cs_audit_verify - check the chain and the head record; CS_OK when intact
 * (rep->why may note a crash's leftovers), CS_ERR_AUTH (report names the
 * line) otherwise */
cs_result
cs_audit_verify(struct cs_audit *a, struct cs_audit_report *rep)
{
	struct verify_walk w = { .a = a, .at = verify_origin,
	    .marked = verify_origin };
	struct cs_audit_head head;
	cs_result r = CS_OK;
	int fd;

	memset(rep, 0, sizeof(*rep));
	if ((fd = verify_open(a, rep, &r)) == -2)
		return r;
	/* read head only now, under the lock, so it matches the log */
	if ((r = cs_audit_head_read(a, &head)) != CS_OK)
		snprintf(rep->why, sizeof(rep->why), "%s: read failed",
		    CS_AUDIT_HEAD);
	w.mark = head.at.seq;
	if (r == CS_OK && fd >= 0)
		r = verify_walk(&w, fd, rep);
	rep->lines = w.at.seq + (r == CS_ERR_AUTH);	/* the bad one too */
	if (r == CS_OK)
		r = verify_head(&head, &w, rep);
	else if (r != CS_ERR_AUTH && rep->why[0] == '\0')
		snprintf(rep->why, sizeof(rep->why), "%s: %s", CS_AUDIT_LOG,
		    cs_strerror(r));
	if (fd >= 0)
		(void)close(fd);	/* drops the lock */
	return r;
}
