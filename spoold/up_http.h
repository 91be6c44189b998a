/*
 * up_http.h - the libcurl helpers every upload provider shares: one easy
 * handle per run (so connections are reused), requests whose body is a
 * byte range of the document fd (read with pread, never copied whole) or a
 * small memory buffer, the response's status, headers and capped body,
 * Retry-After parsing (RFC 9110 10.2.3: seconds or an HTTP-date), and the
 * mapping of a failed exchange to the protocol's failure classes.
 *
 * TLS goes through cs_tls_curl (lib/tls.h), the project's one policy, with
 * the destination's optional ca_file.
 */
#ifndef CS_UP_HTTP_H
#define CS_UP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <curl/curl.h>

#include "provider.h"

#define UP_HTTP_BODY_MAX	(4u << 20)	/* a response body beyond is cut */

struct up_http_req {
	const char *method;		/* GET, HEAD, PUT, POST, MKCOL, ... */
	const char *url;
	struct curl_slist *headers;	/* borrowed; may be NULL */
	int has_body;			/* send a body (Content-Length even if 0) */
	int body_fd;			/* >= 0: the body is a range of this fd */
	uint64_t body_off, body_len;
	const char *body;		/* body_fd < 0: this memory */
	size_t body_size;
	struct up_ctx *progress;	/* report progress while sending, or NULL */
	uint64_t progress_base;		/* document offset of the body's start */
};

struct up_http_resp {
	long status;			/* 0 when no answer came */
	CURLcode code;			/* CURLE_OK when an answer came */
	char error[CURL_ERROR_SIZE];
	char *body;			/* NUL-terminated; never NULL after a call */
	size_t body_len;
	char *head;			/* the final response's header block */
	size_t head_len;
};

/* up_http_open - a handle for this run; ca_file may be NULL */
cs_result up_http_open(struct up_http **out, const char *ca_file,
    long timeout);

/* up_http_close - release the handle; NULL is fine */
void up_http_close(struct up_http *h);

/* up_http_do - one exchange. CS_OK when an HTTP answer (any status) came;
 * CS_ERR_TEMP when none did (resp->code, resp->error say why); other
 * errors are internal. resp is reset first; free it with
 * up_http_resp_free. */
cs_result up_http_do(struct up_http *h, const struct up_http_req *req,
    struct up_http_resp *resp);

/* up_http_req_set - a request to url with headers hdrs (borrowed) whose
 * body is the document range [off, off+len) of ctx, with progress, when
 * doc, else json (NULL: no body) */
void up_http_req_set(struct up_http_req *req, struct up_ctx *ctx,
    const char *method, const char *url, struct curl_slist *hdrs,
    const char *json, int doc, uint64_t off, uint64_t len);

/* up_http_do_retry - up_http_do, again after 1 s, 2 s, ... while the
 * failure is up_http_transient, at most tries times in all. Only for
 * requests that are safe to repeat (PUT of a chunk to a fixed place,
 * status queries). */
cs_result up_http_do_retry(struct up_http *h, const struct up_http_req *req,
    struct up_http_resp *resp, unsigned tries);

/* up_http_resp_free - release a response's buffers */
void up_http_resp_free(struct up_http_resp *resp);

/* up_http_header - the value of the last header called name (any case),
 * trimmed, in buf; NULL when absent */
const char *up_http_header(const struct up_http_resp *resp, const char *name,
    char *buf, size_t len);

/* up_http_retry_after - RFC 9110 Retry-After value (delay-seconds or an
 * HTTP-date) as seconds from now (never negative); -1 when unparsable */
long up_http_retry_after(const char *value, time_t now);

/* up_http_is_tls_error - 1 when a libcurl code is a TLS/certificate one */
int up_http_is_tls_error(CURLcode code);

/* up_http_fail - set ctx's outcome from a failed exchange: transport and
 * TLS errors, 5xx, 408 and 429 temporary (with Retry-After), 401 auth,
 * other 4xx and 507 permanent. what names the step ("PUT chunk 3"). */
void up_http_fail(struct up_ctx *ctx, const struct up_http_resp *resp,
    const char *what);

/* up_http_transient - 1 when a failure is worth one quick retry inside
 * this run (a connection reset, a 5xx without Retry-After) */
int up_http_transient(const struct up_http_resp *resp);

/* up_http_json - the response body parsed as JSON (a new reference), or
 * NULL when it is not JSON */
json_t *up_http_json(const struct up_http_resp *resp);

/* up_http_headers - a curl_slist from printf-style lines; NULL-terminated
 * list of already formatted strings. Returns NULL on no memory. */
struct curl_slist *up_http_headers(const char *first, ...);

/* up_http_bearer - "Authorization: Bearer TOKEN" appended to list */
struct curl_slist *up_http_bearer(struct curl_slist *list, const char *token);

#endif
