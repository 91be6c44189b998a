/*
 * up_onedrive.c - the onedrive provider: a Microsoft Graph upload session
 * in the app folder (/me/drive/special/approot, scope
 * Files.ReadWrite.AppFolder), conflictBehavior rename.
 *
 * 1. POST approot:/NAME:/createUploadSession (bearer token) -> uploadUrl,
 *    checkpointed before any byte.
 * 2. PUT fragments (multiples of 320 KiB but the last, under 60 MiB) to
 *    the uploadUrl with Content-Range and NO Authorization header (the URL
 *    is pre-authenticated; a token there may get a 401). 202 +
 *    nextExpectedRanges moves on; 200/201 + driveItem ends it; 416 (a
 *    fragment the server has) -> GET the uploadUrl for the ranges.
 * Resume: GET uploadUrl -> nextExpectedRanges. A 404 there means the
 * session finished or expired: the items approot:/NAME, approot:/NAME 1,
 * ... (Graph's rename pattern) are looked up and one holding the
 * document's size and content hash is this job's: sha256Hash where the
 * drive reports it (OneDrive for Business), else quickXorHash (consumer
 * OneDrive reports only that one), computed over the document then
 * (up_qxh.c). An item with neither hash cannot be proven ours by its size
 * alone, so the upload is redone (a duplicate is then possible).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "provider.h"
#include "up_http.h"
#include "up_qxh.h"

#define OD_UNIT		(320u << 10)
#define OD_MAX_FRAGMENT	(60u << 20)
#define OD_MAX_RETRIES	5
#define OD_MAX_VARIANTS	50

struct od {
	struct up_ctx *ctx;
	const char *api;		/* https://graph.microsoft.com/v1.0 */
	char *session;
	uint64_t chunk;
	char qxh[UP_QXH_B64_LEN + 1];	/* the document's, once computed */
};

/* od_call - one request; bearer only when auth (never on the uploadUrl) */
static cs_result
od_call(struct od *o, const char *method, const char *url, const char *json,
    int doc, uint64_t off, uint64_t len, const char *h1, int auth,
    struct up_http_resp *resp)
{
	struct up_http_req req;
	struct curl_slist *hdrs;
	cs_result r;

	hdrs = up_http_headers("Accept: application/json", json != NULL ?
	    "Content-Type: application/json" : h1, json != NULL ? h1 : NULL,
	    (const char *)NULL);
	if (hdrs != NULL && auth)
		hdrs = up_http_bearer(hdrs, o->ctx->access_token);
	if (hdrs == NULL)
		return CS_ERR_NOMEM;
	up_http_req_set(&req, o->ctx, method, url, hdrs, json, doc, off, len);
	r = up_http_do(o->ctx->http, &req, resp);
	curl_slist_free_all(hdrs);
	return r;
}

/* od_item_url - API URL of approot:/NAME[suffix] (malloc'd) */
static char *
od_item_url(struct od *o, const char *name, const char *suffix)
{
	char *enc = up_url_encode(name, 0), *url;
	size_t len;

	if (enc == NULL)
		return NULL;
	len = strlen(o->api) + strlen(enc) + strlen(suffix) + 40;
	if ((url = malloc(len)) != NULL)
		(void)snprintf(url, len, "%s/me/drive/special/approot:/%s%s",
		    o->api, enc, suffix);
	free(enc);
	return url;
}

/* od_where - the human-readable location */
static void
od_done(struct od *o, const struct up_http_resp *resp, int earlier)
{
	json_t *j = up_http_json(resp);
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *name = json_string_value(json_object_get(j, "name"));
	char where[1024];

	(void)snprintf(where, sizeof(where), "OneDrive: Apps/<app>/%s",
	    name != NULL ? name : o->ctx->name);
	up_done(o->ctx, id != NULL ? id : "", where, earlier);
	json_decref(j);
}

/* od_checkpoint - {"session","offset"} */
static cs_result
od_checkpoint(struct od *o, uint64_t off)
{
	json_t *st = json_pack("{s:s, s:I}", "session", o->session, "offset",
	    (json_int_t)off);
	cs_result r;

	if (st == NULL)
		return CS_ERR_NOMEM;
	r = up_checkpoint(o->ctx, st, off);
	json_decref(st);
	return r;
}

/* od_start - createUploadSession, checkpointed; 0 ok, -1 outcome set,
 * -2 the daemon went away */
static int
od_start(struct od *o)
{
	struct up_http_resp resp;
	json_t *j;
	char *body, *url;
	const char *u;
	int res = -1;

	j = json_pack("{s:{s:s, s:s}}", "item",
	    "@microsoft.graph.conflictBehavior", "rename", "name", o->ctx->name);
	body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	url = od_item_url(o, o->ctx->name, ":/createUploadSession");
	if (body == NULL || url == NULL ||
	    od_call(o, "POST", url, body, 0, 0, 0, NULL, 1, &resp) ==
	    CS_ERR_NOMEM) {
		free(body);
		free(url);
		return -1;
	}
	free(body);
	free(url);
	j = up_http_json(&resp);
	u = json_string_value(json_object_get(j, "uploadUrl"));
	if (resp.status == 200 && u != NULL) {
		free(o->session);
		res = (o->session = strdup(u)) != NULL ? 0 : -1;
	} else
		up_http_fail(o->ctx, &resp, "Graph: createUploadSession");
	json_decref(j);
	up_http_resp_free(&resp);
	if (res == 0 && od_checkpoint(o, 0) != CS_OK)
		return -2;
	return res;
}

/* od_next_range - the first nextExpectedRanges start, or -1 */
static long long
od_next_range(const struct up_http_resp *resp)
{
	json_t *j = up_http_json(resp);
	const char *r = json_string_value(json_array_get(json_object_get(j,
	    "nextExpectedRanges"), 0));
	long long v = r != NULL ? strtoll(r, NULL, 10) : -1;

	json_decref(j);
	return v;
}

/* od_status - GET the uploadUrl: 0 *off set, 2 session gone, -1 outcome */
static int
od_status(struct od *o, uint64_t *off)
{
	struct up_http_resp resp;
	long long v;
	int res;

	if (od_call(o, "GET", o->session, NULL, 0, 0, 0, NULL, 0, &resp) ==
	    CS_ERR_NOMEM)
		return -1;
	if (resp.status == 200 && (v = od_next_range(&resp)) >= 0) {
		*off = (uint64_t)v;
		res = 0;
	} else if (resp.status == 404)
		res = 2;
	else {
		up_http_fail(o->ctx, &resp, "Graph: upload session status");
		res = -1;
	}
	up_http_resp_free(&resp);
	return res;
}

/* od_rename_variant - "stem N.ext" (Graph's rename pattern) */
static char *
od_rename_variant(const char *name, unsigned n)
{
	const char *dot = strrchr(name, '.');
	size_t stem = dot != NULL && dot != name ? (size_t)(dot - name) :
	    strlen(name), len = strlen(name) + 16;
	char *out = malloc(len);

	if (out == NULL)
		return NULL;
	if (n == 0)
		(void)snprintf(out, len, "%s", name);
	else
		(void)snprintf(out, len, "%.*s %u%s", (int)stem, name, n,
		    name + stem);
	return out;
}

/* od_same_content - 1 when an item's hashes are the document's (by
 * sha256Hash when given, else quickXorHash), 0 when not or unknowable */
static int
od_same_content(struct od *o, json_t *hashes)
{
	const char *h = json_string_value(json_object_get(hashes,
	    "sha256Hash"));

	if (h != NULL)
		return o->ctx->sha256 != NULL &&
		    strcasecmp(h, o->ctx->sha256) == 0;
	if ((h = json_string_value(json_object_get(hashes, "quickXorHash"))) ==
	    NULL)
		return 0;
	/* computed once per run, only when a consumer drive needs it */
	if (o->qxh[0] == '\0' &&
	    up_qxh_fd(o->ctx->doc_fd, o->ctx->size, o->qxh) != CS_OK) {
		o->qxh[0] = '\0';
		return 0;
	}
	return strcmp(h, o->qxh) == 0;	/* base64 is case-sensitive */
}

/* od_find_delivered - 1 an item with our size and content exists (done),
 * 0 none, -1 outcome set */
static int
od_find_delivered(struct od *o)
{
	struct up_http_resp resp;
	unsigned n;
	char *name, *url;
	json_t *j;
	int res = 0;

	for (n = 0; n < OD_MAX_VARIANTS && res == 0; n++) {
		if ((name = od_rename_variant(o->ctx->name, n)) == NULL)
			return -1;
		url = od_item_url(o, name, "");
		free(name);
		if (url == NULL || od_call(o, "GET", url, NULL, 0, 0, 0, NULL,
		    1, &resp) == CS_ERR_NOMEM) {
			free(url);
			return -1;
		}
		free(url);
		if (resp.status == 404) {
			up_http_resp_free(&resp);
			return 0;	/* the rename sequence ends here */
		}
		if (resp.status != 200) {
			up_http_fail(o->ctx, &resp, "Graph: look up an item");
			up_http_resp_free(&resp);
			return -1;
		}
		j = up_http_json(&resp);
		if ((uint64_t)json_integer_value(json_object_get(j, "size")) ==
		    o->ctx->size && od_same_content(o, json_object_get(
		    json_object_get(j, "file"), "hashes")) == 1) {
			od_done(o, &resp, 1);
			res = 1;
		}
		json_decref(j);
		up_http_resp_free(&resp);
	}
	return res;
}

/* od_send - fragments from off; outcome set unless the daemon went away */
static cs_result
od_send(struct od *o, uint64_t off)
{
	struct up_http_resp resp;
	char range[128];
	uint64_t len, size = o->ctx->size, sent = 0;
	long long next;
	unsigned fails = 0;
	int res;

	for (;;) {
		len = size - off < o->chunk ? size - off : o->chunk;
		(void)snprintf(range, sizeof(range), "Content-Range: bytes "
		    "%llu-%llu/%llu", (unsigned long long)off,
		    (unsigned long long)(off + len - 1),
		    (unsigned long long)size);
		if (od_call(o, "PUT", o->session, NULL, 1, off, len, range, 0,
		    &resp) == CS_ERR_NOMEM)
			return CS_ERR_NOMEM;
		if (resp.status == 200 || resp.status == 201) {
			od_done(o, &resp, 0);
			up_http_resp_free(&resp);
			return CS_OK;
		}
		if (resp.status == 202 && (next = od_next_range(&resp)) >= 0) {
			off = (uint64_t)next;
			up_http_resp_free(&resp);
			up_progress(o->ctx, off);
			fails = 0;
			if (++sent % 4 == 0 && od_checkpoint(o, off) != CS_OK)
				return CS_ERR_IO;
			continue;
		}
		if (resp.status == 404) {
			up_http_resp_free(&resp);
			/* finished by a try whose answer was lost, or expired */
			if ((res = od_find_delivered(o)) != 0)
				return CS_OK;
			up_fail(o->ctx, UP_TEMPORARY, -1, 404, "Graph: the "
			    "upload session is gone; the next run starts over");
			return CS_OK;
		}
		if (resp.status != 416 && (!up_http_transient(&resp) ||
		    ++fails > OD_MAX_RETRIES)) {
			up_http_fail(o->ctx, &resp, "Graph: upload a fragment");
			up_http_resp_free(&resp);
			return CS_OK;
		}
		up_http_resp_free(&resp);
		/* 416, a reset or a 5xx: ask what the session holds */
		if ((res = od_status(o, &off)) == 2) {
			if (od_find_delivered(o) == 0)
				up_fail(o->ctx, UP_TEMPORARY, -1, 404, "Graph: "
				    "the upload session is gone");
			return CS_OK;
		}
		if (res < 0)
			return CS_OK;
	}
}

/* od_deliver - the provider's deliver operation */
static cs_result
od_deliver(struct up_ctx *ctx)
{
	struct od o;
	const char *sess = json_string_value(json_object_get(ctx->state,
	    "session"));
	uint64_t off = 0;
	cs_result r = CS_OK;
	int res;

	memset(&o, 0, sizeof(o));
	o.ctx = ctx;
	o.api = up_setting(ctx, "api_url", "https://graph.microsoft.com/v1.0");
	if (ctx->access_token == NULL) {
		up_fail(ctx, UP_AUTH, -1, 0, "Graph: no access token in the "
		    "request");
		return CS_OK;
	}
	if (up_setting_size(ctx, "chunk_size", 10u << 20, &o.chunk) != CS_OK ||
	    o.chunk == 0 || o.chunk % OD_UNIT != 0 ||
	    o.chunk >= OD_MAX_FRAGMENT) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "Graph: chunk_size must be a "
		    "multiple of 320K under 60M");
		return CS_OK;
	}
	if (ctx->size == 0) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "Graph: an empty document "
		    "cannot go through an upload session");
		return CS_OK;
	}
	if (sess != NULL) {
		if ((o.session = strdup(sess)) == NULL)
			return CS_ERR_NOMEM;
		res = od_status(&o, &off);
		if (res == 0)
			goto send;
		if (res == 2 && (res = od_find_delivered(&o)) == 0) {
			free(o.session);
			o.session = NULL;
		} else
			goto out;
	}
	if ((res = od_start(&o)) < 0) {
		r = res == -2 ? CS_ERR_IO : CS_OK;
		goto out;
	}
	off = 0;
send:
	r = od_send(&o, off);
out:
	free(o.session);
	return ctx->out.set || r != CS_OK ? r : CS_ERR_NOMEM;
}

/* od_abandon - the "abandon" request: DELETE the state's upload session
 * (no Authorization: the URL is pre-authenticated), so the fragments
 * sent are dropped now instead of at the session's expiry */
static cs_result
od_abandon(struct up_ctx *ctx)
{
	struct od o;
	struct up_http_resp resp;
	const char *sess = json_string_value(json_object_get(ctx->state,
	    "session"));
	long st = 0;

	memset(&o, 0, sizeof(o));
	o.ctx = ctx;
	if (sess != NULL) {
		if (od_call(&o, "DELETE", sess, NULL, 0, 0, 0, NULL, 0, &resp) !=
		    CS_OK)
			st = -1;
		else {
			st = resp.status;
			up_http_resp_free(&resp);
		}
	}
	up_done(ctx, "", st == 204 || st == 200 ? "abandoned: the upload "
	    "session was deleted" : sess == NULL || st == 404 ? "abandoned: "
	    "nothing of the job was left on the server" : "abandoned: the "
	    "server did not confirm the deletion of the upload session", 0);
	return CS_OK;
}

const struct up_provider up_onedrive_provider = { "onedrive", od_deliver,
    od_abandon };
