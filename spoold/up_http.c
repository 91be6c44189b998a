/*
 * up_http.c - libcurl easy-handle helpers shared by the upload providers
 * (see up_http.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CS_TLS_WITH_CURL
#include "tls.h"
#include "crypto.h"
#include "up_http.h"

#define UP_HTTP_PROGRESS_STEP	(1u << 20)

struct up_http {
	CURL *curl;
	char *ca_file;
	long timeout;
};

/* The body being sent and the progress it reports. */
struct up_http_body {
	const struct up_http_req *req;
	uint64_t sent;
	uint64_t reported;
	int read_errno;
};

/* up_http_open - see up_http.h */
cs_result
up_http_open(struct up_http **out, const char *ca_file, long timeout)
{
	struct up_http *h;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return CS_ERR_NOMEM;
	if ((h->curl = curl_easy_init()) == NULL) {
		free(h);
		return CS_ERR_NOMEM;
	}
	if (ca_file != NULL && (h->ca_file = strdup(ca_file)) == NULL) {
		up_http_close(h);
		return CS_ERR_NOMEM;
	}
	h->timeout = timeout > 0 ? timeout : 60;
	*out = h;
	return CS_OK;
}

/* up_http_close - see up_http.h */
void
up_http_close(struct up_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->ca_file);
	free(h);
}

/* up_http_read - CURLOPT_READFUNCTION: the next piece of the body */
static size_t
up_http_read(char *buf, size_t size, size_t n, void *arg)
{
	struct up_http_body *b = arg;
	const struct up_http_req *req = b->req;
	uint64_t left;
	size_t want = size * n;
	ssize_t got;

	left = (req->body_fd >= 0 ? req->body_len : req->body_size) - b->sent;
	if (want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	if (req->body_fd < 0) {
		memcpy(buf, req->body + b->sent, want);
		b->sent += want;
		return want;
	}
	do
		got = pread(req->body_fd, buf, want,
		    (off_t)(req->body_off + b->sent));
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		/* The document is a memfd of known size: short means broken. */
		b->read_errno = got < 0 ? errno : EIO;
		return CURL_READFUNC_ABORT;
	}
	b->sent += (uint64_t)got;
	return (size_t)got;
}

/* up_http_xfer - CURLOPT_XFERINFOFUNCTION: progress every MiB sent */
static int
up_http_xfer(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct up_http_body *b = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (b->req->progress != NULL && ulnow > 0 &&
	    (uint64_t)ulnow >= b->reported + UP_HTTP_PROGRESS_STEP) {
		b->reported = (uint64_t)ulnow;
		up_progress(b->req->progress, b->req->progress_base +
		    (uint64_t)ulnow);
	}
	return 0;
}

/* A growing buffer for the body or the header block. */
struct up_http_buf {
	char **p;
	size_t *len;
	size_t cap;
	size_t max;
};

/* up_http_buf_add - append, silently cutting at max (a body we only
 * parse for ids and error codes never needs more) */
static int
up_http_buf_add(struct up_http_buf *b, const char *data, size_t n)
{
	char *q;
	size_t want;

	if (*b->len + n > b->max)
		n = b->max - *b->len;
	if (*b->len + n + 1 > b->cap) {
		want = b->cap * 2;
		while (want < *b->len + n + 1)
			want *= 2;
		if ((q = realloc(*b->p, want)) == NULL)
			return -1;
		*b->p = q;
		b->cap = want;
	}
	memcpy(*b->p + *b->len, data, n);
	*b->len += n;
	(*b->p)[*b->len] = '\0';
	return 0;
}

/* up_http_write - CURLOPT_WRITEFUNCTION */
static size_t
up_http_write(char *data, size_t size, size_t n, void *arg)
{
	return up_http_buf_add(arg, data, size * n) == 0 ? size * n : 0;
}

/* up_http_head - CURLOPT_HEADERFUNCTION: keep the final response's block
 * (a new status line starts over: 100 Continue, interim answers) */
static size_t
up_http_head(char *data, size_t size, size_t n, void *arg)
{
	struct up_http_buf *b = arg;

	if (size * n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		*b->len = 0;
		(*b->p)[0] = '\0';
	}
	return up_http_buf_add(b, data, size * n) == 0 ? size * n : 0;
}

/* up_http_setup - options common to every request */
static cs_result
up_http_setup(struct up_http *h, const struct up_http_req *req)
{
	CURL *c = h->curl;
	const char *proto = strncmp(req->url, "http://", 7) == 0 ?
	    "http" : "https";

	/* reset keeps the connection cache: options start clean */
	curl_easy_reset(c);
	if (cs_tls_curl(c, h->ca_file, proto) != CS_OK)
		return CS_ERR_CONFIG;
	if (curl_easy_setopt(c, CURLOPT_URL, req->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L) != CURLE_OK ||
	    /* a stalled peer, not a slow one, fails the request */
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->timeout) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "cloudspool-upload/"
	    PACKAGE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024) != CURLE_OK)
		return CS_ERR_CONFIG;
	return CS_OK;
}

/* up_http_method - the method and body options */
static cs_result
up_http_method(CURL *c, const struct up_http_req *req)
{
	curl_off_t len = (curl_off_t)(req->body_fd >= 0 ? req->body_len :
	    req->body_size);
	CURLcode e = CURLE_OK;

	if (strcmp(req->method, "HEAD") == 0)
		return curl_easy_setopt(c, CURLOPT_NOBODY, 1L) == CURLE_OK ?
		    CS_OK : CS_ERR_CONFIG;
	if (strcmp(req->method, "POST") == 0) {
		e = curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (e == CURLE_OK)
			e = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    req->has_body ? len : (curl_off_t)0);
		if (e == CURLE_OK && !req->has_body)
			e = curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		return e == CURLE_OK ? CS_OK : CS_ERR_CONFIG;
	}
	if (req->has_body) {
		e = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		if (e == CURLE_OK)
			e = curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, len);
	}
	if (e == CURLE_OK && strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "PUT") != 0)
		e = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	return e == CURLE_OK ? CS_OK : CS_ERR_CONFIG;
}

/* up_http_do - see up_http.h */
cs_result
up_http_do(struct up_http *h, const struct up_http_req *req,
    struct up_http_resp *resp)
{
	struct up_http_body body = { req, 0, 0, 0 };
	struct up_http_buf bb = { &resp->body, &resp->body_len, 0,
	    UP_HTTP_BODY_MAX };
	struct up_http_buf hb = { &resp->head, &resp->head_len, 0, 64u << 10 };
	struct curl_slist *hdrs = req->headers, *extra = NULL;
	CURL *c = h->curl;
	cs_result r;

	memset(resp, 0, sizeof(*resp));
	resp->body = malloc(1024);
	resp->head = malloc(1024);
	if (resp->body == NULL || resp->head == NULL)
		return CS_ERR_NOMEM;
	resp->body[0] = resp->head[0] = '\0';
	bb.cap = hb.cap = 1024;
	if ((r = up_http_setup(h, req)) != CS_OK ||
	    (r = up_http_method(c, req)) != CS_OK)
		return r;
	if (req->has_body) {
		/* 100-continue costs a round trip (or a 1 s wait) per chunk */
		if ((extra = curl_slist_append(NULL, "Expect:")) == NULL)
			return CS_ERR_NOMEM;
		for (; hdrs != NULL; hdrs = hdrs->next)
			if (curl_slist_append(extra, hdrs->data) == NULL) {
				curl_slist_free_all(extra);
				return CS_ERR_NOMEM;
			}
		hdrs = extra;
	}
	if (curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, up_http_read) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_READDATA, &body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, up_http_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, up_http_head) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, up_http_xfer) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, resp->error) !=
	    CURLE_OK) {
		curl_slist_free_all(extra);
		return CS_ERR_CONFIG;
	}
	resp->code = curl_easy_perform(c);
	curl_slist_free_all(extra);
	(void)curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	if (resp->code != CURLE_OK) {
		if (resp->error[0] == '\0')
			(void)snprintf(resp->error, sizeof(resp->error), "%s",
			    curl_easy_strerror(resp->code));
		if (body.read_errno != 0)
			return CS_ERR_IO;
		return CS_ERR_TEMP;
	}
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status) !=
	    CURLE_OK)
		return CS_ERR_IO;
	return CS_OK;
}

/* up_http_resp_free - see up_http.h */
void
up_http_resp_free(struct up_http_resp *resp)
{
	free(resp->body);
	free(resp->head);
	resp->body = resp->head = NULL;
	resp->body_len = resp->head_len = 0;
}

/* up_http_header - see up_http.h */
const char *
up_http_header(const struct up_http_resp *resp, const char *name, char *buf,
    size_t len)
{
	const char *line, *end, *v, *found = NULL;
	size_t nlen = strlen(name), vlen = 0;

	if (resp->head == NULL)
		return NULL;
	for (line = resp->head; *line != '\0'; line = end) {
		end = strchr(line, '\n');
		end = end != NULL ? end + 1 : line + strlen(line);
		if (strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
			continue;
		v = line + nlen + 1;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(end - v);
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
		    v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		found = v;
	}
	if (found == NULL || vlen >= len)
		return NULL;
	memcpy(buf, found, vlen);
	buf[vlen] = '\0';
	return buf;
}

/* up_http_retry_after - see up_http.h */
long
up_http_retry_after(const char *value, time_t now)
{
	char *end;
	unsigned long long secs;
	time_t when;

	if (value == NULL || *value == '\0')
		return -1;
	if (strspn(value, "0123456789") == strlen(value)) {
		errno = 0;
		secs = strtoull(value, &end, 10);
		if (errno != 0 || secs > 365ull * 86400)
			return 365L * 86400;
		return (long)secs;
	}
	/* IMF-fixdate, and the obsolete RFC 850 and asctime forms */
	if ((when = curl_getdate(value, NULL)) == (time_t)-1)
		return -1;
	return when > now ? (long)(when - now) : 0;
}

/* up_http_is_tls_error - see up_http.h */
int
up_http_is_tls_error(CURLcode code)
{
	switch (code) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return 1;
	default:
		return 0;
	}
}

/* up_http_snippet - the first line of a body, printable, for a reason */
static void
up_http_snippet(const struct up_http_resp *resp, char *buf, size_t len)
{
	size_t i, j = 0;

	for (i = 0; resp->body != NULL && i < resp->body_len && j + 1 < len &&
	    j < 160; i++) {
		unsigned char ch = (unsigned char)resp->body[i];

		if (ch == '\n' || ch == '\r' || ch == '\t')
			ch = ' ';
		if (ch < 0x20 || ch >= 0x7f)
			continue;
		if (ch == ' ' && j > 0 && buf[j - 1] == ' ')
			continue;
		buf[j++] = (char)ch;
	}
	buf[j] = '\0';
}

/* up_http_req_set - see up_http.h */
void
up_http_req_set(struct up_http_req *req, struct up_ctx *ctx,
    const char *method, const char *url, struct curl_slist *hdrs,
    const char *json, int doc, uint64_t off, uint64_t len)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = url;
	req->headers = hdrs;
	req->has_body = json != NULL || doc;
	req->body_fd = doc ? ctx->doc_fd : -1;
	req->body = json;
	req->body_size = json != NULL ? strlen(json) : 0;
	req->body_off = off;
	req->body_len = len;
	req->progress = doc ? ctx : NULL;
	req->progress_base = off;
}

/* up_http_fail - see up_http.h */
void
up_http_fail(struct up_ctx *ctx, const struct up_http_resp *resp,
    const char *what)
{
	char ra[128], snip[200];
	long retry = -1, st = resp->status;

	if (resp->code != CURLE_OK || st == 0) {
		if (up_http_is_tls_error(resp->code))
			up_fail(ctx, UP_TEMPORARY, -1, 0, "%s: TLS/certificate "
			    "failure: %s", what, resp->error);
		else
			up_fail(ctx, UP_TEMPORARY, -1, 0, "%s: connection "
			    "failure: %s", what, resp->error[0] != '\0' ?
			    resp->error : curl_easy_strerror(resp->code));
		return;
	}
	up_http_snippet(resp, snip, sizeof(snip));
	if (up_http_header(resp, "Retry-After", ra, sizeof(ra)) != NULL)
		retry = up_http_retry_after(ra, time(NULL));
	if (st == 401)
		up_fail(ctx, UP_AUTH, -1, st, "%s: HTTP 401 (token or "
		    "credentials refused): %s", what, snip);
	/* 423 Locked: a WebDAV server keeps the lock of a PUT we were killed
	 * in the middle of (a daemon restart) until it notices: retry later */
	else if (st == 429 || st == 408 || st == 425 || st == 423 ||
	    (st >= 500 && st != 501 && st != 505 && st != 507) ||
	    /* Google's rate limits come as 403 with these reasons */
	    (st == 403 && resp->body != NULL &&
	    strstr(resp->body, "ateLimitExceeded") != NULL))
		up_fail(ctx, UP_TEMPORARY, retry, st, "%s: HTTP %ld: %s", what,
		    st, snip);
	else
		up_fail(ctx, UP_PERMANENT, -1, st, "%s: HTTP %ld: %s", what,
		    st, snip);
}

/* up_http_transient - see up_http.h */
int
up_http_transient(const struct up_http_resp *resp)
{
	char ra[64];

	if (resp->code != CURLE_OK)
		return !up_http_is_tls_error(resp->code);
	if (resp->status >= 500 && resp->status != 501 && resp->status != 505 &&
	    resp->status != 507)
		return up_http_header(resp, "Retry-After", ra, sizeof(ra)) ==
		    NULL;
	return 0;
}

/* up_http_do_retry - see up_http.h */
cs_result
up_http_do_retry(struct up_http *h, const struct up_http_req *req,
    struct up_http_resp *resp, unsigned tries)
{
	unsigned i;
	cs_result r;

	for (i = 0;; i++) {
		r = up_http_do(h, req, resp);
		if ((r != CS_OK && r != CS_ERR_TEMP) || i + 1 >= tries ||
		    !up_http_transient(resp))
			return r;
		up_http_resp_free(resp);
		/* 1 s, 2 s, 4 s: a reset connection or a restarting peer */
		(void)sleep(1u << i);
	}
}

/* up_http_json - see up_http.h */
json_t *
up_http_json(const struct up_http_resp *resp)
{
	json_error_t e;

	if (resp->body == NULL || resp->body_len == 0)
		return NULL;
	return json_loadb(resp->body, resp->body_len, 0, &e);
}

/* up_http_headers - see up_http.h */
struct curl_slist *
up_http_headers(const char *first, ...)
{
	struct curl_slist *list = NULL, *next;
	const char *s;
	va_list ap;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		if ((next = curl_slist_append(list, s)) == NULL) {
			curl_slist_free_all(list);
			list = NULL;
			break;
		}
		list = next;
	}
	va_end(ap);
	return list;
}

/* up_http_bearer - see up_http.h */
struct curl_slist *
up_http_bearer(struct curl_slist *list, const char *token)
{
	struct curl_slist *next;
	char *line;
	size_t n = strlen(token) + 32;

	if ((line = malloc(n)) == NULL) {
		curl_slist_free_all(list);
		return NULL;
	}
	(void)snprintf(line, n, "Authorization: Bearer %s", token);
	next = curl_slist_append(list, line);
	cs_wipe(line, n);
	free(line);
	if (next == NULL)
		curl_slist_free_all(list);
	return next;
}
