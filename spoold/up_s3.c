/*
 * up_s3.c - the s3 provider: S3-compatible object stores, SigV4-signed,
 * always through a multipart upload (create, parts of chunk_size >= 5 MiB,
 * complete), so any size resumes the same way.
 *
 * Exactly once: the object's key is chosen before the upload is created
 * (key_prefix + name, or name-1.ext, ... when taken) and the upload
 * carries x-amz-meta-cloudspool-job = JOB. The key, the UploadId and the
 * part size are checkpointed before the first part. On resume ListParts
 * says which parts the store holds (the checkpoint's part count is only a
 * hint); a NoSuchUpload answer means completed or aborted, and a HEAD of
 * the key tells which (its cloudspool-job metadata is ours or not).
 * CompleteMultipartUpload is sent with If-None-Match: * (setting
 * if_none_match, default yes) so a key taken meanwhile is never replaced;
 * stores that ignore the header (s3rver does) still get the HEAD check
 * before the key is chosen. A 200 answer to Complete may hold an <Error>:
 * the body is always parsed.
 *
 * Payload: UNSIGNED-PAYLOAD over https (TLS protects it), the body's
 * SHA-256 over plain http (loopback test stores only).
 *
 * A permanent failure, and an "abandon" run (the job shredded at its
 * deadline), abort the multipart upload so its parts do not linger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "crypto.h"
#include "provider.h"
#include "up_http.h"
#include "up_sigv4.h"
#include "up_xml.h"

#define S3_MIN_PART	(5u << 20)
#define S3_MAX_PARTS	10000u
#define S3_TRIES	3
#define S3_STATE_ETAGS	1000	/* ~40 KiB of ETags at most */

struct s3 {
	struct up_ctx *ctx;
	struct up_sigv4_key key;
	char scheme[8];
	char host[256];			/* the Host header's value */
	char *path_prefix;		/* "/bucket" (path style) or "" */
	const char *bucket;
	char *object;			/* the key */
	char upload_id[512];
	uint64_t part_size;
	uint64_t nparts;
	char (*etags)[80];		/* per part, 1-based; "" unknown */
	int https;
};

/* s3_body_hash - hex SHA-256 of the request body (plain http only) */
static cs_result
s3_body_hash(struct s3 *s, const struct up_http_req *req, char hex[65])
{
	struct sha256_ctx h;
	uint8_t buf[1 << 16], d[SHA256_DIGEST_SIZE];
	uint64_t done = 0;
	ssize_t n;

	if (s->https) {
		(void)snprintf(hex, 65, "UNSIGNED-PAYLOAD");
		return CS_OK;
	}
	sha256_init(&h);
	if (req->body_fd < 0)
		sha256_update(&h, req->body_size, (const uint8_t *)req->body);
	while (req->body_fd >= 0 && done < req->body_len) {
		n = pread(req->body_fd, buf, req->body_len - done < sizeof(buf)
		    ? (size_t)(req->body_len - done) : sizeof(buf),
		    (off_t)(req->body_off + done));
		if (n <= 0)
			return CS_ERR_IO;
		sha256_update(&h, (size_t)n, buf);
		done += (uint64_t)n;
	}
	sha256_digest(&h, sizeof(d), d);
	up_sigv4_hex(d, sizeof(d), hex);
	return CS_OK;
}

/* s3_request - a signed request to the object (or bucket when object is
 * NULL) with a canonical query; extra: "name", "value" pairs of x-amz-*
 * headers to sign (sorted by name by the caller), then unsigned lines */
static cs_result
s3_request(struct s3 *s, const char *method, const char *object,
    const char *query, struct up_http_req *req, struct up_http_resp *resp,
    const struct up_sigv4_header *amz, size_t namz, const char *unsigned1)
{
	struct up_sigv4_header h[8];
	struct curl_slist *hdrs = NULL, *n;
	char hash[65], date[17], auth[512], line[1024], *uri, *url;
	time_t now = time(NULL);
	struct tm tm;
	size_t i, nh = 0, len;
	cs_result r;

	if ((r = s3_body_hash(s, req, hash)) != CS_OK)
		return r;
	(void)strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ",
	    gmtime_r(&now, &tm));
	/* sorted by name: host, x-amz-content-sha256, x-amz-date, then the
	 * caller's x-amz-meta-*, x-amz-server-side-encryption */
	h[nh++] = (struct up_sigv4_header){ "host", s->host };
	h[nh++] = (struct up_sigv4_header){ "x-amz-content-sha256", hash };
	h[nh++] = (struct up_sigv4_header){ "x-amz-date", date };
	for (i = 0; i < namz && nh < 8; i++)
		h[nh++] = amz[i];
	len = strlen(s->path_prefix) + (object != NULL ? strlen(object) : 0) *
	    3 + 4;
	if ((uri = malloc(len)) == NULL)
		return CS_ERR_NOMEM;
	(void)snprintf(uri, len, "%s/", s->path_prefix);
	if (object != NULL) {
		char *enc = up_url_encode(object, 1);

		if (enc == NULL) {
			free(uri);
			return CS_ERR_NOMEM;
		}
		(void)snprintf(uri + strlen(uri), len - strlen(uri), "%s", enc);
		free(enc);
	}
	r = up_sigv4_authorization(&s->key, date, method, uri, query, h, nh,
	    hash, auth, sizeof(auth));
	len = strlen(s->scheme) + strlen(s->host) + strlen(uri) +
	    strlen(query) + 8;
	if (r != CS_OK || (url = malloc(len)) == NULL) {
		free(uri);
		return r != CS_OK ? r : CS_ERR_NOMEM;
	}
	(void)snprintf(url, len, "%s://%s%s%s%s", s->scheme, s->host, uri,
	    *query != '\0' ? "?" : "", query);
	free(uri);
	for (i = 1; i < nh; i++) {
		(void)snprintf(line, sizeof(line), "%s: %s", h[i].name,
		    h[i].value);
		if ((n = curl_slist_append(hdrs, line)) == NULL)
			goto nomem;
		hdrs = n;
	}
	(void)snprintf(line, sizeof(line), "Authorization: %s", auth);
	if ((n = curl_slist_append(hdrs, line)) == NULL)
		goto nomem;
	hdrs = n;
	if (unsigned1 != NULL) {
		if ((n = curl_slist_append(hdrs, unsigned1)) == NULL)
			goto nomem;
		hdrs = n;
	}
	/* S3's POST bodies are XML; without this libcurl labels them
	 * x-www-form-urlencoded, and a server framework that parses forms
	 * (moto's) then reads an empty CompleteMultipartUpload */
	if (strcmp(method, "POST") == 0) {
		if ((n = curl_slist_append(hdrs, "Content-Type: "
		    "application/xml")) == NULL)
			goto nomem;
		hdrs = n;
	}
	req->method = method;
	req->url = url;
	req->headers = hdrs;
	r = strcmp(method, "POST") == 0 && strstr(query, "uploadId=") != NULL ?
	    up_http_do(s->ctx->http, req, resp) :
	    up_http_do_retry(s->ctx->http, req, resp, S3_TRIES);
	curl_slist_free_all(hdrs);
	free(url);
	return r;
nomem:
	curl_slist_free_all(hdrs);
	free(url);
	return CS_ERR_NOMEM;
}

/* s3_simple - a request without a body */
static cs_result
s3_simple(struct s3 *s, const char *method, const char *object,
    const char *query, struct up_http_resp *resp)
{
	struct up_http_req req;

	memset(&req, 0, sizeof(req));
	req.body_fd = -1;
	return s3_request(s, method, object, query, &req, resp, NULL, 0, NULL);
}

/* s3_error_code - the <Code> of an <Error> body, or NULL */
static const char *
s3_error_code(const struct up_http_resp *resp, char *buf, size_t len)
{
	const char *t, *after;
	size_t n;

	if (resp->body == NULL || up_xml_find(resp->body, resp->body +
	    resp->body_len, "Error", &t, &n, &after) < 0)
		return NULL;
	return up_xml_text(t, t + n, "Code", buf, len);
}

/* s3_fail - the outcome for an answer that is not what we wanted */
static void
s3_fail(struct s3 *s, const struct up_http_resp *resp, const char *what)
{
	char code[128];

	up_http_fail(s->ctx, resp, what);
	/* SlowDown is S3's 503 throttle: temporary, like any 503 */
	if (s3_error_code(resp, code, sizeof(code)) != NULL) {
		size_t used = strlen(s->ctx->out.reason);

		(void)snprintf(s->ctx->out.reason + used,
		    sizeof(s->ctx->out.reason) - used, " (%s)", code);
	}
}

/* s3_ours - HEAD the key: 1 it exists and is this job's, 0 it does not
 * exist, 2 it exists and is someone else's, -1 outcome set */
static int
s3_ours(struct s3 *s, const char *object)
{
	struct up_http_resp resp;
	char job[256];
	int res;

	if (s3_simple(s, "HEAD", object, "", &resp) == CS_ERR_NOMEM)
		return -1;
	if (resp.status == 404)
		res = 0;
	else if (resp.status == 200)
		res = up_http_header(&resp, "x-amz-meta-cloudspool-job", job,
		    sizeof(job)) != NULL && strcmp(job, s->ctx->job) == 0 ?
		    1 : 2;
	else {
		s3_fail(s, &resp, "HEAD object");
		res = -1;
	}
	up_http_resp_free(&resp);
	return res;
}

/* s3_where - "s3://bucket/key" */
static void
s3_done(struct s3 *s, int earlier)
{
	char where[1024];

	(void)snprintf(where, sizeof(where), "s3://%s/%s", s->bucket,
	    s->object);
	up_done(s->ctx, s->object, where, earlier);
}

/* s3_checkpoint - {"key","upload_id","part_size","parts","etags"}: the
 * ETags of parts 1..parts ride along while they fit well inside a control
 * message, for stores without ListParts (s3rver); ListParts stays the
 * truth where it exists */
static cs_result
s3_checkpoint(struct s3 *s, uint64_t parts_done)
{
	json_t *st, *tags;
	uint64_t k;
	cs_result r;

	if (s->object == NULL)
		st = json_object();
	else
		st = json_pack("{s:s, s:s, s:I, s:I}", "key", s->object,
		    "upload_id", s->upload_id, "part_size",
		    (json_int_t)s->part_size, "parts", (json_int_t)parts_done);
	if (st == NULL)
		return CS_ERR_NOMEM;
	if (s->object != NULL && parts_done <= S3_STATE_ETAGS &&
	    (tags = json_array()) != NULL) {
		for (k = 1; k <= parts_done; k++)
			(void)json_array_append_new(tags,
			    json_string(s->etags[k]));
		(void)json_object_set_new(st, "etags", tags);
	}
	r = up_checkpoint(s->ctx, st, parts_done * s->part_size > s->ctx->size
	    ? s->ctx->size : parts_done * s->part_size);
	json_decref(st);
	return r;
}

/* s3_state_etags - the checkpointed ETags into s->etags (no ListParts) */
static void
s3_state_etags(struct s3 *s)
{
	json_t *tags = json_object_get(s->ctx->state, "etags");
	size_t i;
	const char *e;

	for (i = 0; i < json_array_size(tags) && i < s->nparts; i++)
		if ((e = json_string_value(json_array_get(tags, i))) != NULL)
			(void)snprintf(s->etags[i + 1], sizeof(s->etags[i + 1]),
			    "%s", e);
}

/* s3_choose_key - the first free key; 1 chosen, 0 already delivered
 * (outcome set), -1 outcome set */
static int
s3_choose_key(struct s3 *s)
{
	const char *tmpl = up_setting(s->ctx, "key_prefix", "%u/");
	char *prefix, *name;
	unsigned n;
	size_t len;
	int res;

	if ((prefix = up_expand_user(tmpl, s->ctx->user, 0)) == NULL)
		return -1;
	for (n = 0; n < 100; n++) {
		if ((name = up_name_variant(s->ctx->name, n)) == NULL)
			break;
		len = strlen(prefix) + strlen(name) + 1;
		free(s->object);
		if ((s->object = malloc(len)) == NULL) {
			free(name);
			break;
		}
		(void)snprintf(s->object, len, "%s%s", prefix, name);
		free(name);
		if ((res = s3_ours(s, s->object)) == 2)
			continue;
		free(prefix);
		if (res == 1)
			s3_done(s, 1);
		return res == 0 ? 1 : res == 1 ? 0 : -1;
	}
	free(prefix);
	if (!s->ctx->out.set)
		up_fail(s->ctx, UP_PERMANENT, -1, 0, "s3: 100 keys like "
		    "'%.100s' exist already", s->ctx->name);
	return -1;
}

/* s3_create - CreateMultipartUpload; 0 ok, -1 outcome set */
static int
s3_create(struct s3 *s)
{
	struct up_sigv4_header amz[2];
	struct up_http_req req;
	struct up_http_resp resp;
	const char *sse = up_setting(s->ctx, "sse", "none");
	size_t namz = 0;
	char id[512];

	amz[namz++] = (struct up_sigv4_header){ "x-amz-meta-cloudspool-job",
	    s->ctx->job };
	if (strcmp(sse, "none") != 0)
		amz[namz++] = (struct up_sigv4_header){
		    "x-amz-server-side-encryption", sse };
	memset(&req, 0, sizeof(req));
	req.body_fd = -1;
	if (s3_request(s, "POST", s->object, "uploads=", &req, &resp, amz,
	    namz, "Content-Type: application/octet-stream") == CS_ERR_NOMEM)
		return -1;
	if (resp.status != 200 || up_xml_text(resp.body, resp.body +
	    resp.body_len, "UploadId", id, sizeof(id)) == NULL) {
		s3_fail(s, &resp, "CreateMultipartUpload");
		up_http_resp_free(&resp);
		return -1;
	}
	(void)snprintf(s->upload_id, sizeof(s->upload_id), "%s", id);
	up_http_resp_free(&resp);
	return 0;
}

/* s3_query - "partNumber=N&uploadId=ID" style canonical queries */
static char *
s3_query(struct s3 *s, const char *before, const char *after)
{
	char *enc = up_url_encode(s->upload_id, 0), *q;
	size_t len;

	if (enc == NULL)
		return NULL;
	len = strlen(before) + strlen(enc) + strlen(after) + 16;
	if ((q = malloc(len)) != NULL)
		(void)snprintf(q, len, "%suploadId=%s%s", before, enc, after);
	free(enc);
	return q;
}

/* s3_list_parts - ListParts into s->etags for parts of the right size;
 * 0 ok, 1 NoSuchUpload, 2 not supported by the store, -1 outcome set */
static int
s3_list_parts(struct s3 *s)
{
	struct up_http_resp resp;
	const char *p, *end, *t, *after;
	char marker[32] = "0", num[32], size[32], etag[80], trunc[16];
	char before[96], *q;
	unsigned long k;
	size_t len;
	uint64_t want;

	for (;;) {
		(void)snprintf(before, sizeof(before), "max-parts=1000&"
		    "part-number-marker=%s&", marker);
		if ((q = s3_query(s, before, "")) == NULL)
			return -1;
		if (s3_simple(s, "GET", s->object, q, &resp) == CS_ERR_NOMEM) {
			free(q);
			return -1;
		}
		free(q);
		if (resp.status == 404) {
			up_http_resp_free(&resp);
			return 1;
		}
		if (resp.status == 405 || resp.status == 501) {
			/* no ListParts here: the checkpoint's ETags must do */
			up_http_resp_free(&resp);
			return 2;
		}
		if (resp.status != 200) {
			s3_fail(s, &resp, "ListParts");
			up_http_resp_free(&resp);
			return -1;
		}
		end = resp.body + resp.body_len;
		for (p = resp.body; up_xml_find(p, end, "Part", &t, &len,
		    &after) == 0; p = after) {
			if (up_xml_text(t, t + len, "PartNumber", num,
			    sizeof(num)) == NULL || up_xml_text(t, t + len,
			    "Size", size, sizeof(size)) == NULL ||
			    up_xml_text(t, t + len, "ETag", etag,
			    sizeof(etag)) == NULL)
				continue;
			k = strtoul(num, NULL, 10);
			if (k < 1 || k > s->nparts)
				continue;
			want = k < s->nparts ? s->part_size :
			    s->ctx->size - (k - 1) * s->part_size;
			if (strtoull(size, NULL, 10) == want)
				(void)snprintf(s->etags[k], sizeof(s->etags[k]),
				    "%s", etag);
		}
		if (up_xml_text(resp.body, end, "IsTruncated", trunc,
		    sizeof(trunc)) == NULL || strcmp(trunc, "true") != 0 ||
		    up_xml_text(resp.body, end, "NextPartNumberMarker", marker,
		    sizeof(marker)) == NULL) {
			up_http_resp_free(&resp);
			return 0;
		}
		up_http_resp_free(&resp);
	}
}

/* s3_put_part - UploadPart k; 0 ok, -1 outcome set */
static int
s3_put_part(struct s3 *s, uint64_t k)
{
	struct up_http_req req;
	struct up_http_resp resp;
	char before[48], etag[80], *q;

	(void)snprintf(before, sizeof(before), "partNumber=%llu&",
	    (unsigned long long)k);
	if ((q = s3_query(s, before, "")) == NULL)
		return -1;
	memset(&req, 0, sizeof(req));
	req.has_body = 1;
	req.body_fd = s->ctx->doc_fd;
	req.body_off = (k - 1) * s->part_size;
	req.body_len = k < s->nparts ? s->part_size :
	    s->ctx->size - req.body_off;
	req.progress = s->ctx;
	req.progress_base = req.body_off;
	if (s3_request(s, "PUT", s->object, q, &req, &resp, NULL, 0, NULL) ==
	    CS_ERR_NOMEM) {
		free(q);
		return -1;
	}
	free(q);
	if (resp.status != 200 || up_http_header(&resp, "ETag", etag,
	    sizeof(etag)) == NULL) {
		s3_fail(s, &resp, "UploadPart");
		up_http_resp_free(&resp);
		return -1;
	}
	(void)snprintf(s->etags[k], sizeof(s->etags[k]), "%s", etag);
	up_http_resp_free(&resp);
	return 0;
}

/* s3_complete_body - the CompleteMultipartUpload XML (malloc'd) */
static char *
s3_complete_body(struct s3 *s)
{
	size_t len = 128 + s->nparts * 160, used;
	uint64_t k;
	char *b;

	if ((b = malloc(len)) == NULL)
		return NULL;
	used = (size_t)snprintf(b, len, "<CompleteMultipartUpload>");
	for (k = 1; k <= s->nparts; k++)
		used += (size_t)snprintf(b + used, len - used, "<Part>"
		    "<PartNumber>%llu</PartNumber><ETag>%s</ETag></Part>",
		    (unsigned long long)k, s->etags[k]);
	(void)snprintf(b + used, len - used, "</CompleteMultipartUpload>");
	return b;
}

/* s3_complete - CompleteMultipartUpload; outcome set */
static cs_result
s3_complete(struct s3 *s)
{
	struct up_http_req req;
	struct up_http_resp resp;
	char code[128], *q, *body;
	int inm = strcmp(up_setting(s->ctx, "if_none_match", "yes"), "yes") ==
	    0, res;

	if ((q = s3_query(s, "", "")) == NULL ||
	    (body = s3_complete_body(s)) == NULL) {
		free(q);
		return CS_ERR_NOMEM;
	}
	memset(&req, 0, sizeof(req));
	req.has_body = 1;
	req.body_fd = -1;
	req.body = body;
	req.body_size = strlen(body);
	if (s3_request(s, "POST", s->object, q, &req, &resp, NULL, 0,
	    inm ? "If-None-Match: *" : NULL) == CS_ERR_NOMEM) {
		free(q);
		free(body);
		return CS_ERR_NOMEM;
	}
	free(q);
	free(body);
	if (resp.status == 200 && s3_error_code(&resp, code, sizeof(code)) ==
	    NULL)
		s3_done(s, 0);
	else if (resp.status == 404 || resp.status == 412 ||
	    (resp.status == 0 && resp.code != CURLE_OK)) {
		/* completed by an earlier try whose answer was lost, or the
		 * key taken meanwhile: the object's metadata tells */
		up_http_resp_free(&resp);
		res = s3_ours(s, s->object);
		if (res == 1)
			s3_done(s, 1);
		else if (res == 2 || res == 0) {
			/* start over under a new key on the next run */
			free(s->object);
			s->object = NULL;
			if (s3_checkpoint(s, 0) != CS_OK)
				return CS_ERR_IO;
			up_fail(s->ctx, UP_TEMPORARY, -1, 412, "s3: "
			    "CompleteMultipartUpload refused: the key was "
			    "taken meanwhile; a new key is chosen next time");
		}
		return CS_OK;
	} else
		s3_fail(s, &resp, "CompleteMultipartUpload");
	up_http_resp_free(&resp);
	return CS_OK;
}

/* s3_abandon - forget the key and upload id so the next run starts over */
static cs_result
s3_abandon(struct s3 *s)
{
	free(s->object);
	s->object = NULL;
	return s3_checkpoint(s, 0);
}

/* s3_upload - resume or start, send the missing parts, complete */
static cs_result
s3_upload(struct s3 *s)
{
	json_t *st = s->ctx->state;
	const char *key = json_string_value(json_object_get(st, "key"));
	const char *id = json_string_value(json_object_get(st, "upload_id"));
	json_t *ps = json_object_get(st, "part_size");
	uint64_t k;
	int res;
	cs_result r = CS_OK;

	if (key != NULL && id != NULL && json_is_integer(ps) &&
	    json_integer_value(ps) >= (json_int_t)S3_MIN_PART) {
		s->part_size = (uint64_t)json_integer_value(ps);
		if ((s->object = strdup(key)) == NULL)
			return CS_ERR_NOMEM;
		(void)snprintf(s->upload_id, sizeof(s->upload_id), "%s", id);
	} else {
		if ((res = s3_choose_key(s)) <= 0)
			return s->ctx->out.set ? CS_OK : CS_ERR_NOMEM;
		if (s3_create(s) < 0)
			return s->ctx->out.set ? CS_OK : CS_ERR_NOMEM;
		key = NULL;
	}
	s->nparts = s->ctx->size == 0 ? 1 :
	    (s->ctx->size + s->part_size - 1) / s->part_size;
	if (s->nparts > S3_MAX_PARTS) {
		up_fail(s->ctx, UP_PERMANENT, -1, 0, "s3: %llu parts needed, "
		    "over 10000: raise chunk_size",
		    (unsigned long long)s->nparts);
		return CS_OK;
	}
	if ((s->etags = calloc(s->nparts + 1, sizeof(*s->etags))) == NULL)
		return CS_ERR_NOMEM;
	if (key == NULL) {
		if ((r = s3_checkpoint(s, 0)) != CS_OK)
			return r;
	} else if ((res = s3_ours(s, s->object)) != 0) {
		/* completed by a run whose answer was lost (1), or failure */
		if (res == 1)
			s3_done(s, 1);
		else if (res == 2)
			up_fail(s->ctx, UP_TEMPORARY, -1, 412, "s3: the key was "
			    "taken by another writer; a new key is chosen next "
			    "time"), r = s3_abandon(s);
		return res == 2 ? r : CS_OK;
	} else if ((res = s3_list_parts(s)) == 2) {
		s3_state_etags(s);
	} else if (res != 0) {
		if (res < 0)
			return s->ctx->out.set ? CS_OK : CS_ERR_NOMEM;
		/* NoSuchUpload: completed (ours) or aborted/expired */
		if ((res = s3_ours(s, s->object)) == 1) {
			s3_done(s, 1);
			return CS_OK;
		}
		if (res < 0)
			return CS_OK;
		free(s->object);
		s->object = NULL;
		free(s->etags);
		s->etags = NULL;
		s->ctx->state = NULL;
		return s3_upload(s);
	}
	for (k = 1; k <= s->nparts; k++) {
		if (s->etags[k][0] != '\0')
			continue;
		if (s3_put_part(s, k) < 0)
			return s->ctx->out.set ? CS_OK : CS_ERR_NOMEM;
		up_progress(s->ctx, k * s->part_size < s->ctx->size ?
		    k * s->part_size : s->ctx->size);
		/* parts are >= 5 MiB: a checkpoint each costs little */
		if ((r = s3_checkpoint(s, k)) != CS_OK)
			return r;
	}
	return s3_complete(s);
}

/* s3_setup - endpoint, bucket, credentials; 0 ok, -1 outcome set */
static int
s3_setup(struct s3 *s)
{
	struct up_ctx *ctx = s->ctx;
	const char *ep = up_setting(ctx, "endpoint", "https://s3.amazonaws.com");
	const char *p, *slash;
	int path = strcmp(up_setting(ctx, "addressing", "virtual"), "path") ==
	    0;
	size_t hl;

	s->bucket = up_setting(ctx, "bucket", NULL);
	s->key.access_key = up_setting(ctx, "access_key_id", NULL);
	s->key.secret_key = up_secret(ctx, "secret_key");
	s->key.region = up_setting(ctx, "region", "us-east-1");
	s->key.service = "s3";
	if (s->bucket == NULL || s->key.access_key == NULL ||
	    s->key.secret_key == NULL || (p = strstr(ep, "://")) == NULL) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "s3: the request lacks "
		    "endpoint, bucket, access_key_id or the secret_key secret");
		return -1;
	}
	(void)snprintf(s->scheme, sizeof(s->scheme), "%.*s", (int)(p - ep),
	    ep);
	s->https = strcmp(s->scheme, "https") == 0;
	p += 3;
	slash = strchr(p, '/');
	hl = slash != NULL ? (size_t)(slash - p) : strlen(p);
	if (path)
		(void)snprintf(s->host, sizeof(s->host), "%.*s", (int)hl, p);
	else
		(void)snprintf(s->host, sizeof(s->host), "%s.%.*s", s->bucket,
		    (int)hl, p);
	hl = strlen(s->bucket) + 2;
	if ((s->path_prefix = malloc(hl)) == NULL)
		return -1;
	(void)snprintf(s->path_prefix, hl, "%s%s", path ? "/" : "",
	    path ? s->bucket : "");
	if (up_setting_size(ctx, "chunk_size", 8u << 20, &s->part_size) !=
	    CS_OK || s->part_size < S3_MIN_PART) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "s3: chunk_size must be at "
		    "least 5M");
		return -1;
	}
	return 0;
}

/* s3_abort - AbortMultipartUpload (the parts stored so far are freed;
 * a store keeps them, and bills them, until then): 1 aborted, 0 there
 * was none (NoSuchUpload: completed or aborted already), -1 the store
 * did not confirm. Never touches a completed object. */
static int
s3_abort(struct s3 *s)
{
	struct up_http_resp resp;
	char *q;
	int res;

	if (s->object == NULL || s->upload_id[0] == '\0' ||
	    (q = s3_query(s, "", "")) == NULL)
		return -1;
	if (s3_simple(s, "DELETE", s->object, q, &resp) != CS_OK) {
		free(q);
		return -1;
	}
	free(q);
	res = resp.status == 204 || resp.status == 200 ? 1 :
	    resp.status == 404 ? 0 : -1;
	up_http_resp_free(&resp);
	return res;
}

/* s3_run - deliver, or with ctx->abandon abort the state's multipart
 * upload; a permanent failure also aborts the upload it made */
static cs_result
s3_run(struct up_ctx *ctx)
{
	struct s3 s;
	const char *key = json_string_value(json_object_get(ctx->state,
	    "key"));
	const char *id = json_string_value(json_object_get(ctx->state,
	    "upload_id"));
	cs_result r = CS_OK;
	int res;

	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	if (s3_setup(&s) < 0)
		r = ctx->out.set ? CS_OK : CS_ERR_NOMEM;
	else if (ctx->abandon) {
		if (key != NULL && id != NULL) {
			s.object = strdup(key);
			(void)snprintf(s.upload_id, sizeof(s.upload_id), "%s",
			    id);
		}
		res = key != NULL && id != NULL && s.object != NULL ?
		    s3_abort(&s) : 0;
		up_done(ctx, "", res == 1 ? "abandoned: the multipart upload "
		    "was aborted (its parts deleted)" : res == 0 ? "abandoned: "
		    "nothing of the job was left on the server" : "abandoned: "
		    "the store did not confirm the abort", 0);
	} else {
		r = s3_upload(&s);
		if (r == CS_OK && ctx->out.set && !ctx->out.done &&
		    ctx->out.cls == UP_PERMANENT)
			(void)s3_abort(&s);
	}
	free(s.path_prefix);
	free(s.object);
	free(s.etags);
	return r;
}

/* one function for both: it reads ctx->abandon */
const struct up_provider up_s3_provider = { "s3", s3_run, s3_run };
