/*
 * up_gdrive.c - the gdrive provider: Google Drive v3 resumable upload into
 * a folder the app creates (scope drive.file: the app sees only what it
 * made, so it makes its own folder, "cloudspool" by default, in My Drive).
 *
 * 1. Find the folder (files.list by name, mimeType, 'root' in parents;
 *    the oldest when there are several) or create it and look again, so
 *    concurrent uploaders converge on one (gd_folder); its id is kept in
 *    the state.
 * 2. POST upload/drive/v3/files?uploadType=resumable with the metadata
 *    (name, parents, appProperties {cloudspoolJob: JOB}) -> Location, the
 *    session URI. Checkpointed before any byte is sent.
 * 3. PUT chunks (multiples of 256 KiB but the last) with Content-Range;
 *    308 + Range says what the server holds (it may be less than sent);
 *    200/201 with the File ends it.
 * Resume: PUT with "Content-Range: bytes * /SIZE" (no spaces) and no body
 * -> 308 + Range, or 200/201 when complete already, or 404/410 when the
 * session expired; then files.list q = appProperties has
 * {key='cloudspoolJob' and value='JOB'} says whether the file exists
 * before a new session is made. A job never leaves two files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "up_http.h"

#define GD_UNIT		(256u << 10)
#define GD_FOLDER_MIME	"application/vnd.google-apps.folder"
#define GD_MAX_RETRIES	5

struct gd {
	struct up_ctx *ctx;
	const char *api;		/* https://www.googleapis.com */
	const char *upload;		/* https://www.googleapis.com/upload */
	char folder[256];
	char *session;
	uint64_t chunk;
};

/* gd_call - a request with the bearer token; body from memory (JSON) or
 * the document range [off, off+len) when doc */
static cs_result
gd_call(struct gd *g, const char *method, const char *url, const char *json,
    int doc, uint64_t off, uint64_t len, const char *h1, const char *h2,
    struct up_http_resp *resp)
{
	struct up_http_req req;
	struct curl_slist *hdrs;
	cs_result r;

	hdrs = up_http_headers(json != NULL ?
	    "Content-Type: application/json; charset=UTF-8" : h1,
	    json != NULL ? h1 : h2, json != NULL ? h2 : NULL,
	    (const char *)NULL);
	if ((hdrs = up_http_bearer(hdrs, g->ctx->access_token)) == NULL)
		return CS_ERR_NOMEM;
	up_http_req_set(&req, g->ctx, method, url, hdrs, json, doc, off, len);
	r = up_http_do(g->ctx->http, &req, resp);
	curl_slist_free_all(hdrs);
	return r;
}

/* gd_pick - the id of the first file of a files.list answer, or with
 * oldest the one created first (createdTime, then id: every client orders
 * the same set the same way); "" when none */
static void
gd_pick(json_t *files, int oldest, char *id, size_t idlen)
{
	const char *best = NULL, *bt = NULL, *fid, *t;
	size_t i;
	json_t *f;

	json_array_foreach(files, i, f) {
		fid = json_string_value(json_object_get(f, "id"));
		t = json_string_value(json_object_get(f, "createdTime"));
		if (fid == NULL || (oldest && t == NULL))
			continue;
		/* RFC 3339 UTC times of one format compare as strings */
		if (best == NULL || (oldest && (strcmp(t, bt) < 0 ||
		    (strcmp(t, bt) == 0 && strcmp(fid, best) < 0)))) {
			best = fid;
			bt = t;
		}
		if (!oldest)
			break;
	}
	(void)snprintf(id, idlen, "%s", best != NULL ? best : "");
}

/* gd_list - GET files?q=QUERY: the first file's id (or with oldest the
 * one created first, gd_pick) into id ("" when none); 0 ok, -1 outcome
 * set */
static int
gd_list(struct gd *g, const char *q, int oldest, char *id, size_t idlen)
{
	struct up_http_resp resp;
	char *enc, *url;
	size_t len;
	json_t *j;
	int res = -1;

	if ((enc = up_url_encode(q, 0)) == NULL)
		return -1;
	len = strlen(g->api) + strlen(enc) + 128;
	if ((url = malloc(len)) == NULL) {
		free(enc);
		return -1;
	}
	(void)snprintf(url, len, "%s/drive/v3/files?q=%s&spaces=drive&"
	    "fields=files(id,name,size,createdTime)&pageSize=%d", g->api, enc,
	    oldest ? 100 : 10);
	free(enc);
	if (gd_call(g, "GET", url, NULL, 0, 0, 0, NULL, NULL, &resp) ==
	    CS_ERR_NOMEM) {
		free(url);
		return -1;
	}
	free(url);
	if (resp.status != 200) {
		up_http_fail(g->ctx, &resp, "Drive files.list");
		up_http_resp_free(&resp);
		return -1;
	}
	j = up_http_json(&resp);
	if (j == NULL)
		up_fail(g->ctx, UP_TEMPORARY, -1, 200, "Drive files.list: the "
		    "answer is not JSON");
	else {
		gd_pick(json_object_get(j, "files"), oldest, id, idlen);
		res = 0;
	}
	json_decref(j);
	up_http_resp_free(&resp);
	return res;
}

/* gd_delete - DELETE files/ID, best effort (a folder we made in vain) */
static void
gd_delete(struct gd *g, const char *id)
{
	struct up_http_resp resp;
	char url[1024];

	(void)snprintf(url, sizeof(url), "%s/drive/v3/files/%s", g->api, id);
	if (gd_call(g, "DELETE", url, NULL, 0, 0, 0, NULL, NULL, &resp) ==
	    CS_OK)
		up_http_resp_free(&resp);
}

/* gd_create_folder - files.create of the folder; its id into made; 0 ok,
 * -1 outcome set */
static int
gd_create_folder(struct gd *g, const char *name, char *made, size_t len)
{
	struct up_http_resp resp;
	char url[1024], *meta;
	json_t *j;
	const char *id;
	int res = -1;

	j = json_pack("{s:s, s:s, s:[s]}", "name", name, "mimeType",
	    GD_FOLDER_MIME, "parents", "root");
	meta = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (meta == NULL)
		return -1;
	(void)snprintf(url, sizeof(url), "%s/drive/v3/files?fields=id",
	    g->api);
	if (gd_call(g, "POST", url, meta, 0, 0, 0, NULL, NULL, &resp) ==
	    CS_ERR_NOMEM) {
		free(meta);
		return -1;
	}
	free(meta);
	j = up_http_json(&resp);
	id = json_string_value(json_object_get(j, "id"));
	if (resp.status == 200 && id != NULL) {
		(void)snprintf(made, len, "%s", id);
		res = 0;
	} else
		up_http_fail(g->ctx, &resp, "Drive: create the folder");
	json_decref(j);
	up_http_resp_free(&resp);
	return res;
}

/* gd_folder - find or create the app's folder; 0 ok, -1 outcome set.
 * Drive allows many folders of one name, so two uploaders of one user
 * that both find none both create one. They converge on the oldest: the
 * look-up always takes the oldest of that name, and a creator looks
 * again after creating, takes the oldest, and deletes its own (still
 * empty) folder when that is not it. The first folder created is seen
 * by every look-up after it, so all pick it; only two created in the
 * same millisecond can, once, split (then the id decides from then on). */
static int
gd_folder(struct gd *g)
{
	const char *name = up_setting(g->ctx, "folder", "cloudspool");
	char q[512], made[256];

	if (strchr(name, '\'') != NULL || strchr(name, '\\') != NULL) {
		up_fail(g->ctx, UP_PERMANENT, -1, 0, "Drive: the folder name "
		    "must not hold quotes or backslashes");
		return -1;
	}
	(void)snprintf(q, sizeof(q), "name='%s' and mimeType='"
	    GD_FOLDER_MIME "' and 'root' in parents and trashed=false", name);
	if (gd_list(g, q, 1, g->folder, sizeof(g->folder)) < 0)
		return -1;
	if (g->folder[0] != '\0')
		return 0;
	if (gd_create_folder(g, name, made, sizeof(made)) < 0 ||
	    gd_list(g, q, 1, g->folder, sizeof(g->folder)) < 0)
		return -1;
	if (g->folder[0] == '\0')	/* not listed yet: ours it is */
		(void)snprintf(g->folder, sizeof(g->folder), "%s", made);
	else if (strcmp(g->folder, made) != 0)
		gd_delete(g, made);
	return 0;
}

/* gd_checkpoint - {"folder","session","offset"} */
static cs_result
gd_checkpoint(struct gd *g, uint64_t offset)
{
	json_t *st;
	cs_result r;

	st = json_pack("{s:s, s:s?, s:I}", "folder", g->folder, "session",
	    g->session, "offset", (json_int_t)offset);
	if (st == NULL)
		return CS_ERR_NOMEM;
	r = up_checkpoint(g->ctx, st, offset);
	json_decref(st);
	return r;
}

/* gd_start - a new resumable session, checkpointed; 0 ok, -1 outcome */
static int
gd_start(struct gd *g)
{
	struct up_http_resp resp;
	char url[1024], clen[64], loc[4096], *meta;
	const char *dot = strrchr(g->ctx->name, '.');
	json_t *j;
	int res = -1;

	j = json_pack("{s:s, s:[s], s:{s:s}}", "name", g->ctx->name,
	    "parents", g->folder, "appProperties", "cloudspoolJob",
	    g->ctx->job);
	if (j != NULL && dot != NULL && strcmp(dot, ".pdf") == 0)
		(void)json_object_set_new(j, "mimeType",
		    json_string("application/pdf"));
	meta = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (meta == NULL)
		return -1;
	(void)snprintf(url, sizeof(url), "%s/drive/v3/files?uploadType="
	    "resumable&fields=id,name,size", g->upload);
	(void)snprintf(clen, sizeof(clen), "X-Upload-Content-Length: %llu",
	    (unsigned long long)g->ctx->size);
	if (gd_call(g, "POST", url, meta, 0, 0, 0, clen, NULL, &resp) ==
	    CS_ERR_NOMEM) {
		free(meta);
		return -1;
	}
	free(meta);
	if (resp.status == 200 && up_http_header(&resp, "Location", loc,
	    sizeof(loc)) != NULL) {
		free(g->session);
		g->session = strdup(loc);
		res = g->session != NULL ? 0 : -1;
	} else
		up_http_fail(g->ctx, &resp, "Drive: start the resumable "
		    "upload");
	up_http_resp_free(&resp);
	if (res == 0 && gd_checkpoint(g, 0) != CS_OK)
		return -2;
	return res;
}

/* gd_finished - the File of a 200/201 answer: done */
static void
gd_finished(struct gd *g, const struct up_http_resp *resp, int earlier)
{
	json_t *j = up_http_json(resp);
	const char *id = json_string_value(json_object_get(j, "id"));
	char where[1024];

	(void)snprintf(where, sizeof(where), "Google Drive: %s/%s",
	    up_setting(g->ctx, "folder", "cloudspool"), g->ctx->name);
	up_done(g->ctx, id != NULL ? id : "", where, earlier);
	json_decref(j);
}

/* gd_offset - the next byte the server wants, from a 308's Range */
static uint64_t
gd_offset(const struct up_http_resp *resp)
{
	char v[128];
	const char *dash;

	if (up_http_header(resp, "Range", v, sizeof(v)) == NULL ||
	    (dash = strchr(v, '-')) == NULL)
		return 0;
	return strtoull(dash + 1, NULL, 10) + 1;
}

/* gd_status - ask the session what it holds: 0 *off set, 1 complete
 * (outcome set), 2 session gone, -1 outcome set */
static int
gd_status(struct gd *g, uint64_t *off, int earlier)
{
	struct up_http_resp resp;
	char range[96];
	int res;

	(void)snprintf(range, sizeof(range), "Content-Range: bytes */%llu",
	    (unsigned long long)g->ctx->size);
	if (gd_call(g, "PUT", g->session, NULL, 1, 0, 0, range, NULL, &resp) ==
	    CS_ERR_NOMEM)
		return -1;
	if (resp.status == 308) {
		*off = gd_offset(&resp);
		res = 0;
	} else if (resp.status == 200 || resp.status == 201) {
		gd_finished(g, &resp, earlier);
		res = 1;
	} else if (resp.status == 404 || resp.status == 410)
		res = 2;
	else {
		up_http_fail(g->ctx, &resp, "Drive: upload status");
		res = -1;
	}
	up_http_resp_free(&resp);
	return res;
}

/* gd_find_delivered - is the job's file there already? 1 yes (done),
 * 0 no, -1 outcome set */
static int
gd_find_delivered(struct gd *g)
{
	char q[512], id[256], where[1024];

	(void)snprintf(q, sizeof(q), "appProperties has { key='cloudspoolJob' "
	    "and value='%s' } and trashed=false", g->ctx->job);
	if (gd_list(g, q, 0, id, sizeof(id)) < 0)
		return -1;
	if (id[0] == '\0')
		return 0;
	(void)snprintf(where, sizeof(where), "Google Drive: %s/%s",
	    up_setting(g->ctx, "folder", "cloudspool"), g->ctx->name);
	up_done(g->ctx, id, where, 1);
	return 1;
}

/* gd_send - chunks from off until the File comes back */
static cs_result
gd_send(struct gd *g, uint64_t off)
{
	struct up_http_resp resp;
	char range[128];
	uint64_t len, size = g->ctx->size, sent = 0;
	unsigned fails = 0;
	int res;

	for (;;) {
		len = size - off < g->chunk ? size - off : g->chunk;
		if (len == 0)
			(void)snprintf(range, sizeof(range), "Content-Range: "
			    "bytes */%llu", (unsigned long long)size);
		else
			(void)snprintf(range, sizeof(range), "Content-Range: "
			    "bytes %llu-%llu/%llu", (unsigned long long)off,
			    (unsigned long long)(off + len - 1),
			    (unsigned long long)size);
		if (gd_call(g, "PUT", g->session, NULL, 1, off, len, range,
		    NULL, &resp) == CS_ERR_NOMEM)
			return CS_ERR_NOMEM;
		if (resp.status == 200 || resp.status == 201) {
			gd_finished(g, &resp, 0);
			up_http_resp_free(&resp);
			return CS_OK;
		}
		if (resp.status == 308) {
			off = gd_offset(&resp);
			up_http_resp_free(&resp);
			up_progress(g->ctx, off);
			fails = 0;
			if (++sent % 4 == 0 && gd_checkpoint(g, off) != CS_OK)
				return CS_ERR_IO;
			continue;
		}
		if (resp.status == 404 || resp.status == 410) {
			up_http_resp_free(&resp);
			up_fail(g->ctx, UP_TEMPORARY, -1, 404, "Drive: the upload "
			    "session expired; the next run checks and starts "
			    "over");
			return CS_OK;
		}
		if (!up_http_transient(&resp) || ++fails > GD_MAX_RETRIES) {
			up_http_fail(g->ctx, &resp, "Drive: upload a chunk");
			up_http_resp_free(&resp);
			return CS_OK;
		}
		up_http_resp_free(&resp);
		/* a reset or a 5xx: ask what arrived, go on from there */
		if ((res = gd_status(g, &off, 0)) != 0)
			return res == 2 ? (up_fail(g->ctx, UP_TEMPORARY, -1,
			    404, "Drive: the upload session expired"), CS_OK) :
			    CS_OK;
	}
}

/* gd_deliver - the provider's deliver operation */
static cs_result
gd_deliver(struct up_ctx *ctx)
{
	struct gd g;
	const char *folder = json_string_value(json_object_get(ctx->state,
	    "folder"));
	const char *sess = json_string_value(json_object_get(ctx->state,
	    "session"));
	uint64_t off = 0;
	cs_result r = CS_OK;
	int res;

	memset(&g, 0, sizeof(g));
	g.ctx = ctx;
	g.api = up_setting(ctx, "api_url", "https://www.googleapis.com");
	g.upload = up_setting(ctx, "upload_url",
	    "https://www.googleapis.com/upload");
	if (ctx->access_token == NULL) {
		up_fail(ctx, UP_AUTH, -1, 0, "Drive: no access token in the "
		    "request");
		return CS_OK;
	}
	/* 32 MiB: each chunk costs a 308 round trip (and every fourth a
	 * checkpoint); bodies stream from the memfd, so a big chunk costs
	 * no memory, and a cut one loses nothing Drive kept (whole 256 KiB
	 * units). doc/BENCHMARKS.md has the 8M/32M/64M figures. */
	if (up_setting_size(ctx, "chunk_size", 32u << 20, &g.chunk) != CS_OK ||
	    g.chunk == 0 || g.chunk % GD_UNIT != 0) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "Drive: chunk_size must be a "
		    "multiple of 256K");
		return CS_OK;
	}
	if (folder != NULL)
		(void)snprintf(g.folder, sizeof(g.folder), "%s", folder);
	if (sess != NULL && (g.session = strdup(sess)) == NULL)
		return CS_ERR_NOMEM;
	if (g.session != NULL) {
		res = gd_status(&g, &off, 1);
		if (res == 2)
			res = gd_find_delivered(&g);
		else if (res == 0)
			goto send;
		if (res != 0)	/* done earlier, or a failure */
			goto out;
		free(g.session);
		g.session = NULL;
	}
	if ((g.folder[0] == '\0' && gd_folder(&g) < 0) ||
	    (res = gd_start(&g)) == -1)
		goto out;
	if (res == -2) {
		r = CS_ERR_IO;
		goto out;
	}
	off = 0;
send:
	r = gd_send(&g, off);
out:
	free(g.session);
	return ctx->out.set || r != CS_OK ? r : CS_ERR_NOMEM;
}

const struct up_provider up_gdrive_provider = { "gdrive", gd_deliver,
    NULL };
