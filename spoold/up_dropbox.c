/*
 * up_dropbox.c - the dropbox provider: Dropbox API v2 upload sessions into
 * the app folder (an "App folder" app: paths are relative to it).
 *
 * Every document goes through a session, so size (over 150 MB too) never
 * changes the path taken:
 * 1. upload_session/start with an empty body -> session_id, checkpointed
 *    with offset 0 before any byte.
 * 2. upload_session/append_v2 {cursor: {session_id, offset}} per chunk
 *    (at most 150 MiB a request). A 409 incorrect_offset carries
 *    correct_offset: the server's truth, from which sending continues.
 * 3. upload_session/finish {cursor: {.., offset: SIZE}, commit: {path,
 *    mode: add, autorename: true}} with an empty body -> FileMetadata.
 * Resume: an empty append_v2 at the checkpointed offset is the "where am
 * I" query (200: right; incorrect_offset: correct_offset). A not_found
 * session finished (or expired): files/get_metadata on PATH, "stem
 * (1).ext", ... (Dropbox's autorename pattern) compared by size and
 * Dropbox's content_hash tells whether this job's file is there before a
 * new session starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "provider.h"
#include "up_http.h"
#include "up_sigv4.h"

#define DBX_MAX_REQUEST	(150u << 20)
#define DBX_BLOCK	(4u << 20)
#define DBX_MAX_RETRIES	5
#define DBX_MAX_VARIANTS 50

struct dbx {
	struct up_ctx *ctx;
	const char *api;		/* https://api.dropboxapi.com */
	const char *content;		/* https://content.dropboxapi.com */
	char *path;			/* "/folder/name" in the app folder */
	char session[512];
	uint64_t chunk;
};

/* dbx_call - POST a content route (arg in Dropbox-API-Arg, body from the
 * document) or an RPC route (json body) */
static cs_result
dbx_call(struct dbx *d, const char *base, const char *route, json_t *arg,
    int rpc, uint64_t off, uint64_t len, struct up_http_resp *resp)
{
	struct up_http_req req;
	struct curl_slist *hdrs;
	char url[1024], *a, *line = NULL;
	size_t n;
	cs_result r;

	/* header-safe JSON: everything beyond ASCII as \uXXXX */
	if ((a = json_dumps(arg, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL)
		return CS_ERR_NOMEM;
	if (!rpc) {
		n = strlen(a) + 32;
		if ((line = malloc(n)) == NULL) {
			free(a);
			return CS_ERR_NOMEM;
		}
		(void)snprintf(line, n, "Dropbox-API-Arg: %s", a);
	}
	hdrs = up_http_headers(rpc ? "Content-Type: application/json" :
	    "Content-Type: application/octet-stream", line,
	    (const char *)NULL);
	free(line);
	if (hdrs != NULL)
		hdrs = up_http_bearer(hdrs, d->ctx->access_token);
	if (hdrs == NULL) {
		free(a);
		return CS_ERR_NOMEM;
	}
	(void)snprintf(url, sizeof(url), "%s/2/%s", base, route);
	/* an RPC call sends its arguments as the body; a content call the
	 * document range (its arguments ride in Dropbox-API-Arg) */
	up_http_req_set(&req, d->ctx, "POST", url, hdrs, rpc ? a : NULL, !rpc,
	    off, len);
	r = up_http_do(d->ctx->http, &req, resp);
	curl_slist_free_all(hdrs);
	free(a);
	return r;
}

/* dbx_error_tag - error_summary of a 409, e.g. "lookup_failed/not_found/" */
static const char *
dbx_error_summary(json_t *j)
{
	const char *s = json_string_value(json_object_get(j, "error_summary"));

	return s != NULL ? s : "";
}

/* dbx_correct_offset - correct_offset of an incorrect_offset error
 * (directly or under lookup_failed), or -1 */
static long long
dbx_correct_offset(json_t *j)
{
	json_t *e = json_object_get(j, "error"), *v;

	v = json_object_get(e, "correct_offset");
	if (v == NULL)
		v = json_object_get(json_object_get(e, "lookup_failed"),
		    "correct_offset");
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* dbx_fail - outcome for an unexpected answer; 429's retry_after may be in
 * the body rather than a header */
static void
dbx_fail(struct dbx *d, const struct up_http_resp *resp, const char *what)
{
	json_t *j;
	json_t *ra;

	up_http_fail(d->ctx, resp, what);
	if (resp->status != 429 || d->ctx->out.retry_after >= 0)
		return;
	j = up_http_json(resp);
	ra = json_object_get(json_object_get(j, "error"), "retry_after");
	if (json_is_integer(ra))
		d->ctx->out.retry_after = (long)json_integer_value(ra);
	json_decref(j);
}

/* dbx_checkpoint - {"session","offset","phase"} */
static cs_result
dbx_checkpoint(struct dbx *d, uint64_t off, const char *phase)
{
	json_t *st = json_pack("{s:s, s:I, s:s}", "session", d->session,
	    "offset", (json_int_t)off, "phase", phase);
	cs_result r;

	if (st == NULL)
		return CS_ERR_NOMEM;
	r = up_checkpoint(d->ctx, st, off);
	json_decref(st);
	return r;
}

/* dbx_content_hash - Dropbox's content_hash of the document: SHA-256 of
 * the concatenated SHA-256 digests of its 4 MiB blocks */
static cs_result
dbx_content_hash(struct dbx *d, char hex[65])
{
	struct sha256_ctx all, blk;
	uint8_t buf[1 << 16], dg[SHA256_DIGEST_SIZE];
	uint64_t off = 0, inblk = 0;
	ssize_t n;

	sha256_init(&all);
	sha256_init(&blk);
	while (off < d->ctx->size) {
		size_t want = sizeof(buf);

		if (want > DBX_BLOCK - inblk)
			want = (size_t)(DBX_BLOCK - inblk);
		if (want > d->ctx->size - off)
			want = (size_t)(d->ctx->size - off);
		if ((n = pread(d->ctx->doc_fd, buf, want, (off_t)off)) <= 0)
			return CS_ERR_IO;
		sha256_update(&blk, (size_t)n, buf);
		off += (uint64_t)n;
		inblk += (uint64_t)n;
		if (inblk == DBX_BLOCK || off == d->ctx->size) {
			sha256_digest(&blk, sizeof(dg), dg);
			sha256_update(&all, sizeof(dg), dg);
			inblk = 0;
		}
	}
	sha256_digest(&all, sizeof(dg), dg);
	up_sigv4_hex(dg, sizeof(dg), hex);
	return CS_OK;
}

/* dbx_variant - "stem (N).ext" (Dropbox's autorename pattern) */
static char *
dbx_variant(const char *path, unsigned n)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	size_t stem, len = strlen(path) + 16;
	char *out = malloc(len);

	if (out == NULL)
		return NULL;
	stem = dot != NULL && dot > slash + 1 ? (size_t)(dot - path) :
	    strlen(path);
	if (n == 0)
		(void)snprintf(out, len, "%s", path);
	else
		(void)snprintf(out, len, "%.*s (%u)%s", (int)stem, path, n,
		    path + stem);
	return out;
}

/* dbx_find_delivered - 1 this job's file is there (done), 0 not, -1
 * outcome set */
static int
dbx_find_delivered(struct dbx *d)
{
	struct up_http_resp resp;
	char hash[65], *p;
	unsigned n;
	json_t *arg, *j;
	const char *h;
	int res = 0;

	if (dbx_content_hash(d, hash) != CS_OK)
		return -1;
	for (n = 0; n < DBX_MAX_VARIANTS && res == 0; n++) {
		if ((p = dbx_variant(d->path, n)) == NULL)
			return -1;
		arg = json_pack("{s:s}", "path", p);
		free(p);
		if (arg == NULL || dbx_call(d, d->api, "files/get_metadata",
		    arg, 1, 0, 0, &resp) == CS_ERR_NOMEM) {
			json_decref(arg);
			return -1;
		}
		json_decref(arg);
		j = up_http_json(&resp);
		if (resp.status == 409 && strncmp(dbx_error_summary(j),
		    "path/not_found", 14) == 0)
			res = -2;	/* the autorename sequence ends here */
		else if (resp.status != 200) {
			dbx_fail(d, &resp, "Dropbox: get_metadata");
			res = -1;
		} else if ((h = json_string_value(json_object_get(j,
		    "content_hash"))) != NULL && strcmp(h, hash) == 0 &&
		    (uint64_t)json_integer_value(json_object_get(j, "size")) ==
		    d->ctx->size) {
			up_done(d->ctx, json_string_value(json_object_get(j,
			    "id")), json_string_value(json_object_get(j,
			    "path_display")), 1);
			res = 1;
		}
		json_decref(j);
		up_http_resp_free(&resp);
	}
	return res == -2 ? 0 : res;
}

/* dbx_append - append_v2 of [off, off+len) (len 0: the offset query).
 * 0 ok (*off advanced), 1 *off corrected, 2 session gone, -1 outcome */
static int
dbx_append(struct dbx *d, uint64_t *off, uint64_t len)
{
	struct up_http_resp resp;
	json_t *arg, *j;
	long long c;
	int res;

	arg = json_pack("{s:{s:s, s:I}, s:b}", "cursor", "session_id",
	    d->session, "offset", (json_int_t)*off, "close", 0);
	if (arg == NULL || dbx_call(d, d->content,
	    "files/upload_session/append_v2", arg, 0, *off, len, &resp) ==
	    CS_ERR_NOMEM) {
		json_decref(arg);
		return -1;
	}
	json_decref(arg);
	j = up_http_json(&resp);
	if (resp.status == 200) {
		*off += len;
		res = 0;
	} else if (resp.status == 409 && (c = dbx_correct_offset(j)) >= 0) {
		*off = (uint64_t)c;
		res = 1;
	} else if (resp.status == 409 && strstr(dbx_error_summary(j),
	    "not_found") != NULL)
		res = 2;
	else if (up_http_transient(&resp))
		res = 3;
	else {
		dbx_fail(d, &resp, "Dropbox: upload_session/append_v2");
		res = -1;
	}
	json_decref(j);
	up_http_resp_free(&resp);
	return res;
}

/* dbx_finish - commit the session; 0 done, 1 offset corrected (*off),
 * 2 session gone, -1 outcome set */
static int
dbx_finish(struct dbx *d, uint64_t *off)
{
	struct up_http_resp resp;
	json_t *arg, *j;
	long long c;
	int res;

	arg = json_pack("{s:{s:s, s:I}, s:{s:s, s:s, s:b, s:b}}", "cursor",
	    "session_id", d->session, "offset", (json_int_t)d->ctx->size,
	    "commit", "path", d->path, "mode", "add", "autorename", 1, "mute",
	    1);
	if (arg == NULL || dbx_call(d, d->content,
	    "files/upload_session/finish", arg, 0, d->ctx->size, 0, &resp) ==
	    CS_ERR_NOMEM) {
		json_decref(arg);
		return -1;
	}
	json_decref(arg);
	j = up_http_json(&resp);
	if (resp.status == 200) {
		up_done(d->ctx, json_string_value(json_object_get(j, "id")),
		    json_string_value(json_object_get(j, "path_display")), 0);
		res = 0;
	} else if (resp.status == 409 && (c = dbx_correct_offset(j)) >= 0) {
		*off = (uint64_t)c;
		res = 1;
	} else if ((resp.status == 409 && strstr(dbx_error_summary(j),
	    "not_found") != NULL) || resp.status == 0)
		res = 2;	/* finished by a lost answer, or expired */
	else {
		dbx_fail(d, &resp, "Dropbox: upload_session/finish");
		res = -1;
	}
	json_decref(j);
	up_http_resp_free(&resp);
	return res;
}

/* dbx_start - a new session, checkpointed; 0 ok, -1 outcome, -2 IO */
static int
dbx_start(struct dbx *d)
{
	struct up_http_resp resp;
	json_t *arg, *j;
	const char *id;
	int res = -1;

	arg = json_pack("{s:b}", "close", 0);
	if (arg == NULL || dbx_call(d, d->content,
	    "files/upload_session/start", arg, 0, 0, 0, &resp) ==
	    CS_ERR_NOMEM) {
		json_decref(arg);
		return -1;
	}
	json_decref(arg);
	j = up_http_json(&resp);
	id = json_string_value(json_object_get(j, "session_id"));
	if (resp.status == 200 && id != NULL) {
		(void)snprintf(d->session, sizeof(d->session), "%s", id);
		res = 0;
	} else
		dbx_fail(d, &resp, "Dropbox: upload_session/start");
	json_decref(j);
	up_http_resp_free(&resp);
	if (res == 0 && dbx_checkpoint(d, 0, "append") != CS_OK)
		return -2;
	return res;
}

/* dbx_send - append from off, then finish */
static cs_result
dbx_send(struct dbx *d, uint64_t off)
{
	uint64_t len, sent = 0;
	unsigned fails = 0;
	int res;

	for (;;) {
		while (off < d->ctx->size) {
			len = d->ctx->size - off < d->chunk ?
			    d->ctx->size - off : d->chunk;
			res = dbx_append(d, &off, len);
			if (res == 3 && ++fails <= DBX_MAX_RETRIES) {
				/* reset or 5xx: ask where the session is */
				(void)sleep(1);
				res = dbx_append(d, &off, 0);
			}
			if (res < 0 || res == 3)
				return d->ctx->out.set ? CS_OK :
				    (up_fail(d->ctx, UP_TEMPORARY, -1, 0,
				    "Dropbox: append keeps failing"), CS_OK);
			if (res == 2) {
				up_fail(d->ctx, UP_TEMPORARY, -1, 409, "Dropbox: "
				    "the upload session is gone; the next run "
				    "starts over");
				return dbx_checkpoint(d, 0, "restart");
			}
			up_progress(d->ctx, off);
			if (++sent % 4 == 0 && dbx_checkpoint(d, off,
			    "append") != CS_OK)
				return CS_ERR_IO;
		}
		if (dbx_checkpoint(d, off, "finish") != CS_OK)
			return CS_ERR_IO;
		res = dbx_finish(d, &off);
		if (res == 1)
			continue;
		if (res == 2 && dbx_find_delivered(d) == 0)
			up_fail(d->ctx, UP_TEMPORARY, -1, 409, "Dropbox: the "
			    "session was gone at finish; the next run checks "
			    "and starts over");
		return CS_OK;
	}
}

/* dbx_setup - the path in the app folder; 0 ok, -1 outcome set */
static int
dbx_setup(struct dbx *d)
{
	const char *tmpl = up_setting(d->ctx, "folder", "");
	char *folder;
	size_t len;

	if ((folder = up_expand_user(tmpl, d->ctx->user, 0)) == NULL)
		return -1;
	while (*folder != '\0' && folder[strlen(folder) - 1] == '/')
		folder[strlen(folder) - 1] = '\0';
	len = strlen(folder) + strlen(d->ctx->name) + 4;
	if ((d->path = malloc(len)) != NULL)
		(void)snprintf(d->path, len, "%s%s/%s", folder[0] == '/' ||
		    folder[0] == '\0' ? "" : "/", folder, d->ctx->name);
	free(folder);
	return d->path != NULL ? 0 : -1;
}

/* dbx_deliver - the provider's deliver operation */
static cs_result
dbx_deliver(struct up_ctx *ctx)
{
	struct dbx d;
	const char *sess = json_string_value(json_object_get(ctx->state,
	    "session"));
	const char *phase = json_string_value(json_object_get(ctx->state,
	    "phase"));
	json_t *o = json_object_get(ctx->state, "offset");
	uint64_t off = json_is_integer(o) ? (uint64_t)json_integer_value(o) :
	    0;
	cs_result r = CS_OK;
	int res;

	memset(&d, 0, sizeof(d));
	d.ctx = ctx;
	d.api = up_setting(ctx, "api_url", "https://api.dropboxapi.com");
	d.content = up_setting(ctx, "content_url",
	    "https://content.dropboxapi.com");
	if (ctx->access_token == NULL) {
		up_fail(ctx, UP_AUTH, -1, 0, "Dropbox: no access token in the "
		    "request");
		return CS_OK;
	}
	if (up_setting_size(ctx, "chunk_size", 8u << 20, &d.chunk) != CS_OK ||
	    d.chunk == 0 || d.chunk > DBX_MAX_REQUEST) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "Dropbox: chunk_size must be "
		    "at most 150M");
		return CS_OK;
	}
	if (dbx_setup(&d) < 0)
		return CS_ERR_NOMEM;
	if (sess != NULL && (phase == NULL || strcmp(phase, "restart") != 0)) {
		(void)snprintf(d.session, sizeof(d.session), "%s", sess);
		res = dbx_append(&d, &off, 0);
		if (res == 0 || res == 1)
			goto send;
		if (res != 2 || (res = dbx_find_delivered(&d)) != 0)
			goto out;	/* done earlier, or a failure */
	} else if (sess != NULL) {
		/* the session vanished mid-way last time: was it finished? */
		if (dbx_find_delivered(&d) != 0)
			goto out;
	}
	if ((res = dbx_start(&d)) < 0) {
		r = res == -2 ? CS_ERR_IO : CS_OK;
		goto out;
	}
	off = 0;
send:
	r = dbx_send(&d, off);
out:
	free(d.path);
	if (r == CS_OK && !ctx->out.set)
		up_fail(ctx, UP_TEMPORARY, -1, 0, "Dropbox: no answer to act "
		    "on");
	return r;
}

const struct up_provider up_dropbox_provider = { "dropbox", dbx_deliver,
    NULL };
