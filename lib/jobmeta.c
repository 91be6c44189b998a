/*
 * jobmeta.c - encode, decode and sanitize job metadata.
 *
 * Decoding is strict because the JSON crossed a trust boundary: every
 * field must be present with the right type and fit its buffer.
 */
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "crypto.h"
#include "jobmeta.h"

/* cs_jobmeta_encode - JSON text of m */
cs_result
cs_jobmeta_encode(const struct cs_jobmeta *m, char *buf, size_t cap,
    size_t *len)
{
	json_t *o;
	size_t n;

	o = json_pack("{s:i, s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s, "
	    "s:I, s:s}", "v", 1, "job", m->job_id, "user", m->user,
	    "uid", (json_int_t)m->uid, "submitter", m->submitter,
	    "submitter_uid", (json_int_t)m->submitter_uid, "email", m->email,
	    "locale", m->locale, "action", m->action, "name", m->name,
	    "submitted", (json_int_t)m->submitted, "origin", m->origin);
	if (o == NULL)
		return CS_ERR_INVAL;	/* a field was not valid UTF-8 */
	n = json_dumpb(o, buf, cap, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (n == 0 || n >= cap)
		return CS_ERR_TOOBIG;
	buf[n] = '\0';
	*len = n;
	return CS_OK;
}

/* meta_str - copy a required string member that must fit */
static int
meta_str(json_t *o, const char *key, char *out, size_t cap, int nonempty)
{
	json_t *v = json_object_get(o, key);
	size_t n;

	if (!json_is_string(v))
		return -1;
	n = json_string_length(v);
	if (n >= cap || (nonempty && n == 0) ||
	    memchr(json_string_value(v), '\0', n) != NULL)
		return -1;
	memcpy(out, json_string_value(v), n + 1);
	return 0;
}

/* meta_uint - a required non-negative integer member up to max */
static int
meta_uint(json_t *o, const char *key, json_int_t max, json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* cs_jobmeta_decode - strict parse of the sealed JSON */
cs_result
cs_jobmeta_decode(const char *buf, size_t len, struct cs_jobmeta *m)
{
	json_t *o;
	json_int_t v, uid, suid, ts;
	int bad;

	memset(m, 0, sizeof(*m));
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return CS_ERR_FORMAT;
	}
	bad = meta_uint(o, "v", 1, &v) || v != 1 ||
	    meta_str(o, "job", m->job_id, sizeof(m->job_id), 1) ||
	    meta_str(o, "user", m->user, sizeof(m->user), 1) ||
	    meta_uint(o, "uid", UINT32_MAX - 1, &uid) ||
	    meta_str(o, "submitter", m->submitter, sizeof(m->submitter), 1) ||
	    meta_uint(o, "submitter_uid", UINT32_MAX - 1, &suid) ||
	    meta_str(o, "email", m->email, sizeof(m->email), 0) ||
	    meta_str(o, "locale", m->locale, sizeof(m->locale), 0) ||
	    meta_str(o, "action", m->action, sizeof(m->action), 1) ||
	    meta_str(o, "name", m->name, sizeof(m->name), 1) ||
	    meta_uint(o, "submitted", INT64_MAX, &ts) ||
	    meta_str(o, "origin", m->origin, sizeof(m->origin), 0) ||
	    !cs_job_id_valid(m->job_id);
	json_decref(o);
	if (bad)
		return CS_ERR_FORMAT;
	m->uid = (uint32_t)uid;
	m->submitter_uid = (uint32_t)suid;
	m->submitted = ts;
	return CS_OK;
}

/* utf8_seq_len - length of the valid UTF-8 sequence at p, or 0 */
static size_t
utf8_seq_len(const unsigned char *p, size_t left)
{
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* overlong three-byte forms and surrogates */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

/* cs_sanitize_name - a safe single path component from an untrusted title */
void
cs_sanitize_name(const char *in, char *out, size_t cap, const char *fallback)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, left = strlen(in), n, lim;

	lim = cap - 1 < CS_NAME_MAX ? cap - 1 : CS_NAME_MAX;
	while (left > 0) {
		n = utf8_seq_len(p, left);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f || *p == '/' ||
		    *p == '\\'))) {
			if (o + 1 > lim)
				break;
			out[o++] = '_';
			n = n == 0 ? 1 : n;
		} else if (o == 0 && *p == '.') {
			/* no hidden files and no "." or ".." */
			if (o + 1 > lim)
				break;
			out[o++] = '_';
		} else {
			if (o + n > lim)
				break;
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		left -= n;
	}
	out[o] = '\0';
	if (o == 0) {
		n = strlen(fallback);
		if (n > lim)
			n = lim;
		memcpy(out, fallback, n);
		out[n] = '\0';
	}
}

/* cs_job_id_new - time plus 48 random bits */
cs_result
cs_job_id_new(char out[CS_JOB_ID_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[6];
	struct tm tm;
	time_t now = time(NULL);
	size_t n;
	int i;

	if (gmtime_r(&now, &tm) == NULL)
		return CS_ERR_INVAL;
	if (cs_random(rnd, sizeof(rnd)) != CS_OK)
		return CS_ERR_IO;
	n = strftime(out, CS_JOB_ID_MAX, "%Y%m%d%H%M%S-", &tm);
	if (n != 15)
		return CS_ERR_INVAL;
	for (i = 0; i < 6; i++) {
		out[n++] = hex[rnd[i] >> 4];
		out[n++] = hex[rnd[i] & 15];
	}
	out[n] = '\0';
	return CS_OK;
}

/* cs_job_id_valid - 14 digits, '-', 12 lowercase hex digits */
int
cs_job_id_valid(const char *s)
{
	int i;

	for (i = 0; i < 14; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (s[14] != '-')
		return 0;
	for (i = 15; i < 27; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[27] == '\0';
}
