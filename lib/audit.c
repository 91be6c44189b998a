/*
 * audit.c - open the audit trail, append to it, and make user strings safe
 * to put in it. Reading it back is audit_verify.c.
 *
 * The key is SPOOL/keys/audit.key: 32 random bytes, accepted only as a
 * regular file of exactly 32 bytes with one link, owned by the effective
 * uid, with no group or other permission bits, opened without following a
 * symlink: whoever can read it can rewrite the whole trail undetected.
 *
 * Each append runs under an exclusive flock on audit.log, so the daemon and
 * cloudspoolctl can write at once: read head (line count, their bytes, last
 * mac), build the next line, write it with one write loop, fdatasync, then
 * replace head (head.tmp, fsync, rename, fsync the folder). Appends trust
 * only a head whose own hmac verifies; anything else means "start from
 * nothing", which leaves a break in the chain for cs_audit_verify() to report
 * rather than letting a forged head silently become the new truth.
 *
 * A crash can leave head behind the log (see audit.h), so an append first
 * goes past what head covers (cs_audit_resume) and never repeats a seq. The
 * first append writes a head for the empty log before its line, so a crash
 * inside it leaves a head to go on from too.
 *
 * User strings: jansson refuses invalid UTF-8 outright (json_string()
 * returns NULL), which would lose the whole event, and a valid string can
 * still carry terminal escapes that an auditor's `jq -r` would replay. So
 * cs_audit_str() caps the value (Postfix logs user text as %.200s), then
 * rewrites it character by character: valid UTF-8 stays, each byte of an
 * invalid sequence becomes U+FFFD, C0 controls and DEL become their Control
 * Pictures (U+2400 + c, U+2421: "a\nb" reads "a<U+240A>b"), C1 controls
 * U+FFFD. The log line itself is pure ASCII either way (JSON_ENSURE_ASCII).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* openat, flock, fdatasync, strnlen, gmtime_r */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "audit.h"

#define AUDIT_DIR "audit"
#define AUDIT_KEYS_DIR "keys"
#define AUDIT_HEAD_TMP "head.tmp"
#define AUDIT_HEAD_MAX 256	/* a real head line is under 200 bytes */
#define AUDIT_MAC_TAG ",\"mac\":\""
#define AUDIT_JSON_FLAGS \
    (JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENSURE_ASCII)
#define AUDIT_REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */
#define AUDIT_ELLIPSIS "\xe2\x80\xa6"		/* U+2026, marks a cut */

/* audit_err - format a one-line reason into err, when the caller gave one */
static void __attribute__((format(printf, 3, 4)))
audit_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* audit_errno - the result code for a failed open */
static cs_result
audit_errno(int e)
{
	switch (e) {
	case ENOENT:
		return CS_ERR_NOTFOUND;
	case ELOOP:
	case ENOTDIR:
	case EMLINK:
		return CS_ERR_UNSAFE;
	case EACCES:
	case EPERM:
		return CS_ERR_PERM;
	case ENOMEM:
		return CS_ERR_NOMEM;
	default:
		return CS_ERR_IO;
	}
}

/* audit_key_write - write the key in one call, 0 on success: 32 bytes to a
 * regular file go whole unless the disk fails, and a partial key is an
 * error either way, so there is no loop */
static int
audit_key_write(int fd, const uint8_t key[CS_HASH_LEN])
{
	ssize_t n;

	while ((n = write(fd, key, CS_HASH_LEN)) < 0 && errno == EINTR)
		;
	return n == CS_HASH_LEN ? 0 : -1;
}

/* audit_key_read - read the key in one call (see audit_key_write) */
static int
audit_key_read(int fd, uint8_t key[CS_HASH_LEN])
{
	ssize_t n;

	while ((n = read(fd, key, CS_HASH_LEN)) < 0 && errno == EINTR)
		;
	return n == CS_HASH_LEN ? 0 : -1;
}

/* audit_key_create - make a fresh audit.key; CS_ERR_EXISTS if one appeared */
static cs_result
audit_key_create(int keysfd, uint8_t key[CS_HASH_LEN], char *err,
    size_t errlen)
{
	cs_result r;
	int fd, e;

	fd = openat(keysfd, CS_AUDIT_KEY,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return CS_ERR_EXISTS;
		e = errno;
		audit_err(err, errlen, "keys/%s: create: %s", CS_AUDIT_KEY,
		    strerror(e));
		return audit_errno(e);
	}
	if ((r = cs_random(key, CS_HASH_LEN)) != CS_OK)
		audit_err(err, errlen, "keys/%s: no random bytes",
		    CS_AUDIT_KEY);
	else if (audit_key_write(fd, key) != 0 || fsync(fd) != 0 ||
	    fsync(keysfd) != 0) {
		r = CS_ERR_IO;
		audit_err(err, errlen, "keys/%s: write: %s", CS_AUDIT_KEY,
		    strerror(errno));
	}
	if (close(fd) != 0 && r == CS_OK) {
		r = CS_ERR_IO;
		audit_err(err, errlen, "keys/%s: close: %s", CS_AUDIT_KEY,
		    strerror(errno));
	}
	if (r != CS_OK) {
		/* a short key file would be refused forever after */
		(void)unlinkat(keysfd, CS_AUDIT_KEY, 0);
		cs_wipe(key, CS_HASH_LEN);
	}
	return r;
}

/* audit_key_check - refuse a key file anyone but us could read or swap */
static cs_result
audit_key_check(int fd, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		audit_err(err, errlen, "keys/%s: stat: %s", CS_AUDIT_KEY,
		    strerror(errno));
		return CS_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		audit_err(err, errlen, "keys/%s: not a regular file",
		    CS_AUDIT_KEY);
		return CS_ERR_UNSAFE;
	}
	if (st.st_nlink != 1) {
		audit_err(err, errlen, "keys/%s: has %ju hard links, want 1",
		    CS_AUDIT_KEY, (uintmax_t)st.st_nlink);
		return CS_ERR_UNSAFE;
	}
	if (st.st_uid != geteuid()) {
		audit_err(err, errlen, "keys/%s: owned by uid %ju, not %ju",
		    CS_AUDIT_KEY, (uintmax_t)st.st_uid, (uintmax_t)geteuid());
		return CS_ERR_UNSAFE;
	}
	if ((st.st_mode & 077) != 0) {
		audit_err(err, errlen, "keys/%s: mode %04o lets group or "
		    "others in, want 0600", CS_AUDIT_KEY,
		    (unsigned)(st.st_mode & 07777));
		return CS_ERR_UNSAFE;
	}
	if (st.st_size != CS_HASH_LEN) {
		audit_err(err, errlen, "keys/%s: %jd bytes, want %d",
		    CS_AUDIT_KEY, (intmax_t)st.st_size, CS_HASH_LEN);
		return CS_ERR_FORMAT;
	}
	return CS_OK;
}

/* audit_key_load - load audit.key, creating it first when asked */
static cs_result
audit_key_load(int keysfd, uint8_t key[CS_HASH_LEN], int create_key,
    char *err, size_t errlen)
{
	cs_result r;
	int fd, e;

	/* O_NONBLOCK: a FIFO planted here must not hang us before fstat */
	fd = openat(keysfd, CS_AUDIT_KEY,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT && create_key) {
		r = audit_key_create(keysfd, key, err, errlen);
		if (r != CS_ERR_EXISTS)
			return r;
		/* lost a race with another creator: load theirs */
		fd = openat(keysfd, CS_AUDIT_KEY,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	}
	if (fd < 0) {
		e = errno;
		audit_err(err, errlen, "keys/%s: open: %s", CS_AUDIT_KEY,
		    strerror(e));
		return audit_errno(e);
	}
	if ((r = audit_key_check(fd, err, errlen)) == CS_OK) {
		if (audit_key_read(fd, key) != 0) {
			r = CS_ERR_IO;
			audit_err(err, errlen, "keys/%s: read failed",
			    CS_AUDIT_KEY);
			cs_wipe(key, CS_HASH_LEN);
		}
	}
	(void)close(fd);	/* read-only: nothing to lose */
	return r;
}

/* cs_audit_open - open SPOOL/audit and load SPOOL/keys/audit.key, creating
 * the key (mode 0600) when create_key is set and it does not exist yet */
cs_result
cs_audit_open(struct cs_audit *a, int spool_dirfd, int create_key, char *err,
    size_t errlen)
{
	const int dflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	cs_result r;
	int keysfd, e;

	memset(a, 0, sizeof(*a));
	a->audit_dirfd = -1;
	a->use_syslog = 1;
	audit_err(err, errlen, "%s", "");
	if ((a->audit_dirfd = openat(spool_dirfd, AUDIT_DIR, dflags)) < 0) {
		e = errno;
		audit_err(err, errlen, "%s/: open: %s", AUDIT_DIR,
		    strerror(e));
		return audit_errno(e);
	}
	if ((keysfd = openat(spool_dirfd, AUDIT_KEYS_DIR, dflags)) < 0) {
		e = errno;
		audit_err(err, errlen, "%s/: open: %s", AUDIT_KEYS_DIR,
		    strerror(e));
		r = audit_errno(e);
	} else {
		r = audit_key_load(keysfd, a->key, create_key, err, errlen);
		(void)close(keysfd);
	}
	if (r != CS_OK)
		cs_audit_close(a);
	return r;
}

/* cs_audit_close - close and wipe the key */
void
cs_audit_close(struct cs_audit *a)
{
	if (a->audit_dirfd >= 0)
		(void)close(a->audit_dirfd);
	a->audit_dirfd = -1;
	cs_wipe(a->key, sizeof(a->key));
}

/* audit_utf8_len - length of the well-formed UTF-8 sequence at p, 0 when
 * ill-formed (Unicode table 3-7: no overlongs, surrogates or > U+10FFFF).
 * Reads no further than the first bad byte, so never past the NUL. */
static size_t
audit_utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;		/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* audit_put - append n bytes at *o */
static void
audit_put(char **o, const char *s, size_t n)
{
	memcpy(*o, s, n);
	*o += n;
}

/* cs_audit_str - a JSON string for an untrusted C string (see audit.h) */
json_t *
cs_audit_str(const char *s, size_t cap)
{
	const unsigned char *p;
	char *out, *o, pic[3];
	size_t avail, i, n;
	json_t *j;

	if (s == NULL)
		return json_null();
	avail = strnlen(s, cap);
	/* each input byte becomes at most 3 output bytes, plus the ellipsis */
	if (avail > (SIZE_MAX - 3) / 3)
		return NULL;
	if ((out = malloc(avail * 3 + 3)) == NULL)
		return NULL;
	p = (const unsigned char *)s;
	o = out;
	for (i = 0; i < avail; i += n) {
		if ((n = audit_utf8_len(p + i)) == 0) {
			audit_put(&o, AUDIT_REPLACEMENT, 3);
			n = 1;
		} else if (i + n > avail) {
			break;	/* the cap falls inside this character */
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			pic[0] = '\xe2';
			pic[1] = '\x90';
			pic[2] = (char)(p[i] == 0x7f ? 0xa1 : 0x80 + p[i]);
			audit_put(&o, pic, 3);
		} else if (p[i] == 0xc2 && p[i + 1] < 0xa0) {
			audit_put(&o, AUDIT_REPLACEMENT, 3);	/* C1 */
		} else {
			audit_put(&o, s + i, n);
		}
	}
	if (i < avail || s[avail] != '\0')
		audit_put(&o, AUDIT_ELLIPSIS, 3);
	j = json_stringn(out, (size_t)(o - out));
	free(out);
	return j;
}

/* audit_write_all - write n bytes, riding out short writes and EINTR */
static cs_result
audit_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return CS_ERR_IO;
		}
		p += w;
		n -= (size_t)w;
	}
	return CS_OK;
}

/* audit_head_write - replace head so it covers the log up to p */
static cs_result
audit_head_write(const struct cs_audit *a, const struct cs_audit_pos *p)
{
	char buf[AUDIT_HEAD_MAX], hmac[CS_AUDIT_MAC_HEX + 1];
	cs_result r = CS_ERR_IO;
	int fd, n;

	cs_audit_head_hmac(a, p, hmac);
	n = snprintf(buf, sizeof(buf), "seq %ju off %ju mac %s hmac %s\n",
	    (uintmax_t)p->seq, (uintmax_t)p->off, p->mac, hmac);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return CS_ERR_INVAL;
	/* we hold the log lock, so a head.tmp here is a crash's leftover */
	if (unlinkat(a->audit_dirfd, AUDIT_HEAD_TMP, 0) != 0 && errno != ENOENT)
		return CS_ERR_IO;
	fd = openat(a->audit_dirfd, AUDIT_HEAD_TMP,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return audit_errno(errno);
	if (audit_write_all(fd, buf, (size_t)n) == CS_OK && fsync(fd) == 0)
		r = CS_OK;
	if (close(fd) != 0)
		r = CS_ERR_IO;
	if (r == CS_OK && (renameat(a->audit_dirfd, AUDIT_HEAD_TMP,
	    a->audit_dirfd, CS_AUDIT_HEAD) != 0 || fsync(a->audit_dirfd) != 0))
		r = CS_ERR_IO;
	if (r != CS_OK)
		(void)unlinkat(a->audit_dirfd, AUDIT_HEAD_TMP, 0);
	return r;
}

/* audit_fields_ok - refuse fields that would shadow the members we write */
static int
audit_fields_ok(const json_t *fields)
{
	static const char *const reserved[] = { "seq", "ts", "event", "mac" };
	size_t i;

	if (fields == NULL)
		return 1;
	if (!json_is_object(fields))
		return 0;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (json_object_get(fields, reserved[i]) != NULL)
			return 0;
	return 1;
}

/* audit_dump - the line's JSON text without mac: seq, ts, event, fields */
static cs_result
audit_dump(uint64_t seq, const char *event, json_t *fields, char **text)
{
	char ts[32];
	struct tm tm;
	const char *k;
	json_t *obj, *v;
	size_t klen;
	time_t now;
	int bad;

	/* wall clock on purpose: an audit time is a calendar time */
	if ((now = time(NULL)) == (time_t)-1 || gmtime_r(&now, &tm) == NULL ||
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return CS_ERR_IO;
	if ((obj = json_object()) == NULL)
		return CS_ERR_NOMEM;
	bad = json_object_set_new(obj, "seq", json_integer((json_int_t)seq));
	bad |= json_object_set_new(obj, "ts", json_string(ts));
	/* json_string refuses invalid UTF-8: event names are ours, not
	 * users', so that is the caller's bug */
	bad |= json_object_set_new(obj, "event", json_string(event));
	if (fields != NULL)
		json_object_keylen_foreach(fields, k, klen, v)
			bad |= json_object_setn(obj, k, klen, v);
	*text = bad ? NULL : json_dumps(obj, AUDIT_JSON_FLAGS);
	json_decref(obj);
	if (bad)
		return CS_ERR_INVAL;
	return *text == NULL ? CS_ERR_NOMEM : CS_OK;
}

/* audit_line - the full line extending the chain at from: JSON, its mac,
 * '\n'; *mac gets the new mac for the next head */
static cs_result
audit_line(const struct cs_audit *a, const struct cs_audit_pos *from,
    const char *event, json_t *fields, char **line, size_t *len,
    char mac[CS_AUDIT_MAC_HEX + 1])
{
	const size_t tag = sizeof(AUDIT_MAC_TAG) - 1;
	char *text, *p;
	size_t n;
	cs_result r;

	if (from->seq >= (uint64_t)INT64_MAX)	/* json_int_t is long long */
		return CS_ERR_TOOBIG;
	if ((r = audit_dump(from->seq + 1, event, fields, &text)) != CS_OK)
		return r;
	n = strlen(text);
	/* drop the closing '}': the mac member goes in front of it */
	if (n < 2 || text[n - 1] != '}') {
		free(text);
		return CS_ERR_FORMAT;
	}
	n--;
	if ((r = cs_audit_line_mac(a, from->mac, text, n, mac)) != CS_OK) {
		free(text);
		return r;
	}
	*len = n + tag + CS_AUDIT_MAC_HEX + 3;
	if ((p = malloc(*len + 1)) == NULL) {
		free(text);
		return CS_ERR_NOMEM;
	}
	memcpy(p, text, n);
	memcpy(p + n, AUDIT_MAC_TAG, tag);
	memcpy(p + n + tag, mac, CS_AUDIT_MAC_HEX);
	memcpy(p + n + tag + CS_AUDIT_MAC_HEX, "\"}\n", 4);
	free(text);
	*line = p;
	return CS_OK;
}

/* audit_prepare - read head and find where the next line goes (see the
 * top of this file), cutting off a last line with no '\n' */
static cs_result
audit_prepare(struct cs_audit *a, int fd, struct cs_audit_resume *res)
{
	struct cs_audit_head h;
	struct stat st;
	cs_result r;

	if ((r = cs_audit_head_read(a, &h)) != CS_OK)
		return r;
	if (fstat(fd, &st) != 0)
		return CS_ERR_IO;
	/* a crash inside this first append must leave a head to go on from */
	if (h.state == CS_AUDIT_HEAD_ABSENT && st.st_size == 0) {
		if ((r = audit_head_write(a, &h.at)) != CS_OK)
			return r;
		h.state = CS_AUDIT_HEAD_OK;
	}
	r = cs_audit_resume(a, fd, &h, (uint64_t)st.st_size, res);
	if (r != CS_OK)
		return r;
	/* crash leftovers are routine; a line the key did not make is not */
	if (a->use_syslog && res->bad_line != 0)
		syslog(LOG_DAEMON | LOG_WARNING, "audit: line %ju past head "
		    "does not verify (tampering?)", (uintmax_t)res->bad_line);
	if (res->keep < (uint64_t)st.st_size &&
	    ftruncate(fd, (off_t)res->keep) != 0)
		return CS_ERR_IO;
	return CS_OK;
}

/* audit_append - the locked part of cs_audit_log */
static cs_result
audit_append(struct cs_audit *a, int fd, const char *event, json_t *fields)
{
	char mac[CS_AUDIT_MAC_HEX + 1];
	struct cs_audit_resume res;
	struct cs_audit_pos next;
	char *line;
	size_t len;
	cs_result r;

	if ((r = audit_prepare(a, fd, &res)) != CS_OK)
		return r;
	r = audit_line(a, &res.from, event, fields, &line, &len, mac);
	if (r != CS_OK)
		return r;
	if ((r = audit_write_all(fd, line, len)) != CS_OK) {
		/* no half line for the next append to glue onto */
		if (ftruncate(fd, (off_t)res.keep) != 0)
			syslog(LOG_DAEMON | LOG_ERR, "audit: half-written "
			    "line left in %s: %m", CS_AUDIT_LOG);
	} else if (fdatasync(fd) != 0) {
		r = CS_ERR_IO;
	} else {
		next.seq = res.from.seq + 1;
		next.off = res.keep + len;	/* O_APPEND: it went at keep */
		memcpy(next.mac, mac, sizeof(next.mac));
		r = audit_head_write(a, &next);
	}
	if (r == CS_OK && a->use_syslog && len - 1 <= INT_MAX)
		syslog(LOG_DAEMON | LOG_INFO, "%.*s", (int)(len - 1), line);
	free(line);
	return r;
}

/* cs_audit_log - append one event. fields (may be NULL) is consumed
 * (json_decref'd); its members follow "seq", "ts" (UTC ISO 8601), "event".
 * Strings from users are the caller's to cap. */
cs_result
cs_audit_log(struct cs_audit *a, const char *event, json_t *fields)
{
	struct stat st;
	cs_result r;
	int fd, rc;

	if (a == NULL || a->audit_dirfd < 0 || event == NULL ||
	    !audit_fields_ok(fields)) {
		json_decref(fields);
		return CS_ERR_INVAL;
	}
	/* O_NONBLOCK: opening a planted FIFO must fail, not hang; O_RDWR:
	 * an append reads what lies past head first */
	fd = openat(a->audit_dirfd, CS_AUDIT_LOG, O_RDWR | O_APPEND |
	    O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0) {
		r = audit_errno(errno);
	} else if (fstat(fd, &st) != 0) {
		r = CS_ERR_IO;
	} else if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		r = CS_ERR_UNSAFE;
	} else {
		while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
			;
		r = rc == 0 ? audit_append(a, fd, event, fields) : CS_ERR_IO;
	}
	/* closing drops the lock; the data is already synced */
	if (fd >= 0 && close(fd) != 0 && r == CS_OK)
		r = CS_ERR_IO;
	json_decref(fields);
	return r;
}
