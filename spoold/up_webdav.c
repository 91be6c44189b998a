/*
 * up_webdav.c - the webdav provider: plain WebDAV (RFC 4918) and Nextcloud
 * chunked upload v2.
 *
 * Plain (chunked = no): PUT to a hidden temporary name in the target
 * folder, ".cloudspool-JOB.part" (deterministic, so a rerun overwrites
 * its own half-written copy and nothing else), then MOVE it to the first
 * free name (name, name-1.ext, ...) with "Overwrite: F" so an existing
 * file is never replaced. Chosen over "PUT with If-None-Match: *" because
 * a PUT cut off in the middle can leave a partial file under the real
 * name on many servers, and If-None-Match on PUT is not honoured
 * everywhere (rclone's WebDAV server ignores it). The MOVE phase is
 * checkpointed; on resume a vanished temporary and a final name holding
 * the document's size mean "already delivered".
 *
 * Nextcloud (chunked = nextcloud): MKCOL uploads/USER/cloudspool-JOB with
 * a Destination header, chunks PUT as 00001, 00002, ... with
 * OC-Total-Length, then MOVE .file to the destination. Resume: PROPFIND
 * Depth 1 on the upload folder lists the chunks already stored; the first
 * missing or short one is where sending starts again.
 *
 * A permanent failure ends the job (the daemon shreds it), so what this
 * job left on the server is removed before the answer: the upload folder
 * (chunked) or the temporary (plain), by DELETE, best effort
 * (dav_cleanup). Otherwise Nextcloud keeps an abandoned upload folder,
 * chunks and all, until its own cleanup job, and a plain server keeps the
 * hidden .part for ever. A request with "abandon": true (the daemon
 * shredding a job whose state it holds) does only that cleanup.
 *
 * Credentials: HTTP Basic with the destination's user and the password
 * secret (password_file, read by the daemon). The url may hold %u.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nettle/base64.h>

#include "crypto.h"
#include "provider.h"
#include "up_http.h"
#include "up_xml.h"

#define DAV_MAX_VARIANTS	100
#define DAV_TRIES		3
#define DAV_NC_MIN_CHUNK	(5ull << 20)	/* Nextcloud chunking v2 */
#define DAV_NC_MAX_CHUNK	(5ull << 30)
#define DAV_NC_MAX_CHUNKS	10000u		/* chunk names 1..10000 */

struct dav {
	struct up_ctx *ctx;
	char auth[1024];		/* "Authorization: Basic ..." */
	char *folder;			/* folder URL, ends with '/' */
	char *temp;			/* plain: the temporary's URL */
	char *upload;			/* chunked: the upload folder's URL */
	uint64_t chunk;
	unsigned variant;		/* the final name's index */
};

/* dav_final_url - the URL of name variant n (malloc'd) */
static char *
dav_final_url(const struct dav *d, unsigned n)
{
	char *name, *enc, *url = NULL;
	size_t len;

	if ((name = up_name_variant(d->ctx->name, n)) == NULL)
		return NULL;
	if ((enc = up_url_encode(name, 0)) != NULL) {
		len = strlen(d->folder) + strlen(enc) + 1;
		if ((url = malloc(len)) != NULL)
			(void)snprintf(url, len, "%s%s", d->folder, enc);
	}
	free(name);
	free(enc);
	return url;
}

/* dav_request - one request with the Basic credentials and extra headers
 * (a NULL-terminated list); body from the document when len > 0 or
 * with_body */
static cs_result
dav_request(struct dav *d, const char *method, const char *url,
    struct up_http_resp *resp, int with_body, uint64_t off, uint64_t len,
    const char *h1, const char *h2, const char *h3, const char *h4)
{
	struct up_http_req req;
	struct curl_slist *hdrs;
	cs_result r;

	hdrs = up_http_headers(d->auth, h1, h2, h3, h4, (const char *)NULL);
	if (hdrs == NULL)
		return CS_ERR_NOMEM;
	up_http_req_set(&req, d->ctx, method, url, hdrs, NULL, with_body, off,
	    len);
	/* Every WebDAV request here is idempotent (PUT to a fixed name,
	 * MKCOL, PROPFIND, HEAD); MOVE is not retried blindly by callers. */
	r = strcmp(method, "MOVE") == 0 ?
	    up_http_do(d->ctx->http, &req, resp) :
	    up_http_do_retry(d->ctx->http, &req, resp, DAV_TRIES);
	curl_slist_free_all(hdrs);
	return r;
}

/* dav_size_at - 1 when url exists holding exactly size bytes, 0 when
 * absent (404) or of another size, -1 with the outcome set on a failure */
static int
dav_size_at(struct dav *d, const char *url, uint64_t size)
{
	struct up_http_resp resp;
	char v[64];
	int res;

	if (dav_request(d, "HEAD", url, &resp, 0, 0, 0, NULL, NULL, NULL,
	    NULL) == CS_ERR_NOMEM)
		return -1;
	if (resp.status == 404)
		res = 0;
	else if (resp.status >= 200 && resp.status < 300)
		res = up_http_header(&resp, "Content-Length", v, sizeof(v)) !=
		    NULL && strtoull(v, NULL, 10) == size;
	else {
		up_http_fail(d->ctx, &resp, "HEAD");
		res = -1;
	}
	up_http_resp_free(&resp);
	return res;
}

/* dav_exists - 1 when url answers HEAD with 2xx, 0 on 404, -1 failure */
static int
dav_exists(struct dav *d, const char *url)
{
	struct up_http_resp resp;
	int res;

	if (dav_request(d, "HEAD", url, &resp, 0, 0, 0, NULL, NULL, NULL,
	    NULL) == CS_ERR_NOMEM)
		return -1;
	if (resp.status == 404)
		res = 0;
	else if (resp.status >= 200 && resp.status < 300)
		res = 1;
	else {
		up_http_fail(d->ctx, &resp, "HEAD");
		res = -1;
	}
	up_http_resp_free(&resp);
	return res;
}

/* dav_mkcol_path - create the folder URL's missing levels, from the
 * first one holding the user's name (the admin creates the rest) */
static cs_result
dav_mkcol_path(struct dav *d)
{
	const char *tmpl = up_setting(d->ctx, "url", "");
	struct up_http_resp resp;
	char *url, *p;
	size_t skip;
	int ok = 1;

	/* the fixed part before %u is the admin's and must exist */
	p = strstr(tmpl, "%u");
	skip = p != NULL ? (size_t)(p - tmpl) : strlen(d->folder) - 1;
	if ((url = strdup(d->folder)) == NULL)
		return CS_ERR_NOMEM;
	for (p = url + skip; ok && (p = strchr(p + 1, '/')) != NULL; ) {
		char save = p[1];

		p[1] = '\0';
		if (dav_request(d, "MKCOL", url, &resp, 0, 0, 0, NULL, NULL,
		    NULL, NULL) == CS_ERR_NOMEM) {
			free(url);
			return CS_ERR_NOMEM;
		}
		/* 405: it exists already */
		if (resp.status != 201 && resp.status != 405) {
			up_http_fail(d->ctx, &resp, "MKCOL of the user's "
			    "folder");
			ok = 0;
		}
		up_http_resp_free(&resp);
		p[1] = save;
	}
	free(url);
	return CS_OK;
}

/* dav_put_temp - the whole document to the temporary name; 0 sent, -1
 * outcome set */
static int
dav_put_temp(struct dav *d)
{
	struct up_http_resp resp;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (dav_request(d, "PUT", d->temp, &resp, 1, 0, d->ctx->size,
		    "Content-Type: application/octet-stream", NULL, NULL,
		    NULL) == CS_ERR_NOMEM)
			return -1;
		if (resp.status == 201 || resp.status == 204 ||
		    resp.status == 200) {
			up_http_resp_free(&resp);
			return 0;
		}
		/* 409/404: a parent folder is missing (RFC 4918 9.7.1) */
		if (attempt == 0 && (resp.status == 409 ||
		    resp.status == 404)) {
			up_http_resp_free(&resp);
			if (dav_mkcol_path(d) != CS_OK || d->ctx->out.set)
				return -1;
			continue;
		}
		up_http_fail(d->ctx, &resp, "PUT");
		up_http_resp_free(&resp);
		return -1;
	}
	up_fail(d->ctx, UP_PERMANENT, -1, 409, "PUT: the destination folder "
	    "%s cannot be created", d->folder);
	return -1;
}

/* dav_state - checkpoint {"mode":..,"phase":..,"variant":n[,"upload":u]} */
static cs_result
dav_state(struct dav *d, const char *mode, const char *phase, uint64_t bytes)
{
	json_t *st;
	cs_result r;

	st = json_pack("{s:s, s:s, s:i}", "mode", mode, "phase", phase,
	    "variant", (int)d->variant);
	if (st == NULL)
		return CS_ERR_NOMEM;
	/* the URLs an "abandon" run deletes, whatever job id it is given */
	if (d->upload != NULL) {
		char *dst = dav_final_url(d, d->variant);

		if (dst == NULL) {
			json_decref(st);
			return CS_ERR_NOMEM;
		}
		(void)json_object_set_new(st, "upload",
		    json_string(d->upload));
		(void)json_object_set_new(st, "dest", json_string(dst));
		free(dst);
	} else
		(void)json_object_set_new(st, "temp", json_string(d->temp));
	r = up_checkpoint(d->ctx, st, bytes);
	json_decref(st);
	return r;
}

/* dav_move_to_free_name - MOVE src to the first free variant, starting at
 * d->variant; checkpointing each new variant before trying it */
static cs_result
dav_move_to_free_name(struct dav *d, const char *src, const char *mode,
    int chunked)
{
	struct up_http_resp resp;
	char *dst, dest[2048], total[64];
	cs_result r;
	int at;

	(void)snprintf(total, sizeof(total), "OC-Total-Length: %llu",
	    (unsigned long long)d->ctx->size);
	for (; d->variant < DAV_MAX_VARIANTS; d->variant++) {
		if ((r = dav_state(d, mode, "move", d->ctx->size)) != CS_OK)
			return r;
		if ((dst = dav_final_url(d, d->variant)) == NULL)
			return CS_ERR_NOMEM;
		(void)snprintf(dest, sizeof(dest), "Destination: %s", dst);
		r = dav_request(d, "MOVE", src, &resp, 0, 0, 0, dest,
		    "Overwrite: F", chunked ? total : NULL, NULL);
		if (r == CS_ERR_NOMEM) {
			free(dst);
			return r;
		}
		if (resp.status == 201 || resp.status == 204) {
			up_done(d->ctx, dst, dst, 0);
			up_http_resp_free(&resp);
			free(dst);
			return CS_OK;
		}
		/* 404: the source is gone. libcurl silently resends a request
		 * whose reused connection died before any answer came, so this
		 * can be the second copy of a MOVE that was carried out and
		 * whose answer was lost: the file is ours if it is there with
		 * the document's size (as dav_resume_move decides) */
		if (resp.status == 404 &&
		    (at = dav_size_at(d, dst, d->ctx->size)) != 0) {
			if (at == 1)
				up_done(d->ctx, dst, dst, 1);
			up_http_resp_free(&resp);
			free(dst);
			return d->ctx->out.set ? CS_OK : CS_ERR_NOMEM;
		}
		free(dst);
		if (resp.status != 412) {
			up_http_fail(d->ctx, &resp, "MOVE into place");
			up_http_resp_free(&resp);
			return CS_OK;
		}
		up_http_resp_free(&resp);	/* taken: try the next name */
	}
	up_fail(d->ctx, UP_PERMANENT, -1, 412, "MOVE: %u names like '%.100s' "
	    "exist already", DAV_MAX_VARIANTS, d->ctx->name);
	return CS_OK;
}

/* dav_resume_move - after a crash in the MOVE phase: was it moved? 1 yes
 * (outcome set), 0 no (src still there), -1 outcome set on failure */
static int
dav_resume_move(struct dav *d, const char *src)
{
	char *dst;
	int e, at;

	if ((e = dav_exists(d, src)) != 0)
		return e < 0 ? -1 : 0;
	if ((dst = dav_final_url(d, d->variant)) == NULL)
		return -1;
	at = dav_size_at(d, dst, d->ctx->size);
	if (at == 1)
		up_done(d->ctx, dst, dst, 1);
	free(dst);
	/* neither: delivered and since removed, or lost; send again */
	return at;
}

/* dav_plain - the temporary-then-MOVE upload */
static cs_result
dav_plain(struct dav *d)
{
	const char *phase = json_string_value(json_object_get(d->ctx->state,
	    "phase"));
	int res;

	if (phase != NULL && strcmp(phase, "move") == 0) {
		res = dav_resume_move(d, d->temp);
		if (res != 0)
			return d->ctx->out.set ? CS_OK : CS_ERR_NOMEM;
		if (dav_exists(d, d->temp) == 1)
			return dav_move_to_free_name(d, d->temp, "put", 0);
		if (d->ctx->out.set)
			return CS_OK;
		d->variant = 0;
	}
	if (dav_put_temp(d) < 0)
		return d->ctx->out.set ? CS_OK : CS_ERR_NOMEM;
	return dav_move_to_free_name(d, d->temp, "put", 0);
}

/* dav_chunks_stored - how many leading chunks the upload folder holds
 * whole (PROPFIND Depth 1); -1 outcome set, -2 the folder is gone */
static long
dav_chunks_stored(struct dav *d, char *dest)
{
	struct up_http_resp resp;
	const char *p, *end, *t, *after;
	char href[1024], clen[32];
	size_t len;
	unsigned long n, max = 0;
	unsigned char *have;
	uint64_t nchunks = (d->ctx->size + d->chunk - 1) / d->chunk, want;
	long i;

	if (dav_request(d, "PROPFIND", d->upload, &resp, 0, 0, 0, "Depth: 1",
	    dest, NULL, NULL) == CS_ERR_NOMEM)
		return -1;
	if (resp.status == 404) {
		up_http_resp_free(&resp);
		return -2;
	}
	if (resp.status != 207) {
		up_http_fail(d->ctx, &resp, "PROPFIND of the upload folder");
		up_http_resp_free(&resp);
		return -1;
	}
	if ((have = calloc(nchunks + 1, 1)) == NULL) {
		up_http_resp_free(&resp);
		return -1;
	}
	end = resp.body + resp.body_len;
	for (p = resp.body; up_xml_find(p, end, "response", &t, &len,
	    &after) == 0; p = after) {
		const char *slash;

		if (up_xml_text(t, t + len, "href", href, sizeof(href)) ==
		    NULL || up_xml_text(t, t + len, "getcontentlength", clen,
		    sizeof(clen)) == NULL)
			continue;
		slash = strrchr(href, '/');
		n = strtoul(slash != NULL ? slash + 1 : href, NULL, 10);
		if (n < 1 || n > nchunks)
			continue;
		want = n < nchunks ? d->chunk : d->ctx->size - (n - 1) * d->chunk;
		if (strtoull(clen, NULL, 10) == want)
			have[n] = 1;
		if (n > max)
			max = n;
	}
	up_http_resp_free(&resp);
	for (i = 1; (uint64_t)i <= nchunks && have[i]; i++)
		;
	free(have);
	return i - 1;
}

/* dav_chunked - Nextcloud chunked upload v2 */
static cs_result
dav_chunked(struct dav *d)
{
	struct up_ctx *ctx = d->ctx;
	const char *phase = json_string_value(json_object_get(ctx->state,
	    "phase"));
	struct up_http_resp resp;
	char dest[2048], total[64], chunkurl[2048], *dst, *src;
	uint64_t nchunks = (ctx->size + d->chunk - 1) / d->chunk, k, off, len;
	long stored = 0;
	cs_result r;
	int e;

	if (nchunks == 0)
		nchunks = 1;	/* an empty document is one empty chunk */
	(void)snprintf(total, sizeof(total), "OC-Total-Length: %llu",
	    (unsigned long long)ctx->size);
	if (phase == NULL) {
		/* the user's folder levels first: assembling into a missing
		 * folder is 409 only at MOVE .file, after every chunk was sent
		 * (the plain path makes them on PUT's 409 instead) */
		if ((r = dav_mkcol_path(d)) != CS_OK || ctx->out.set)
			return r;
		/* pick the final name before the Destination is fixed */
		for (;; d->variant++) {
			if ((dst = dav_final_url(d, d->variant)) == NULL)
				return CS_ERR_NOMEM;
			e = dav_exists(d, dst);
			free(dst);
			if (e < 0)
				return CS_OK;
			if (e == 0 || d->variant >= DAV_MAX_VARIANTS)
				break;
		}
	}
	if ((dst = dav_final_url(d, d->variant)) == NULL)
		return CS_ERR_NOMEM;
	(void)snprintf(dest, sizeof(dest), "Destination: %s", dst);
	free(dst);
	if (phase == NULL) {
		if (dav_request(d, "MKCOL", d->upload, &resp, 0, 0, 0, dest,
		    NULL, NULL, NULL) == CS_ERR_NOMEM)
			return CS_ERR_NOMEM;
		if (resp.status != 201 && resp.status != 405) {
			up_http_fail(ctx, &resp, "MKCOL of the upload folder");
			up_http_resp_free(&resp);
			return CS_OK;
		}
		up_http_resp_free(&resp);
		if ((r = dav_state(d, "nextcloud", "chunks", 0)) != CS_OK)
			return r;
	} else {
		stored = dav_chunks_stored(d, dest);
		if (stored == -1)
			return ctx->out.set ? CS_OK : CS_ERR_NOMEM;
		if (stored == -2) {
			/* assembled (then the file is there) or expired */
			if ((dst = dav_final_url(d, d->variant)) == NULL)
				return CS_ERR_NOMEM;
			e = dav_size_at(d, dst, ctx->size);
			if (e == 1)
				up_done(ctx, dst, dst, 1);
			free(dst);
			if (e != 0)
				return CS_OK;
			/* expired after 24 h idle: start over */
			ctx->state = NULL;
			return dav_chunked(d);
		}
		if (strcmp(phase, "move") == 0 && (uint64_t)stored == nchunks)
			goto assemble;
	}
	for (k = (uint64_t)stored; k < nchunks; k++) {
		off = k * d->chunk;
		len = ctx->size - off < d->chunk ? ctx->size - off : d->chunk;
		(void)snprintf(chunkurl, sizeof(chunkurl), "%s/%05llu",
		    d->upload, (unsigned long long)k + 1);
		if (dav_request(d, "PUT", chunkurl, &resp, 1, off, len, dest,
		    total, NULL, NULL) == CS_ERR_NOMEM)
			return CS_ERR_NOMEM;
		if (resp.status != 201 && resp.status != 204 &&
		    resp.status != 200) {
			up_http_fail(ctx, &resp, "PUT chunk");
			up_http_resp_free(&resp);
			return CS_OK;
		}
		up_http_resp_free(&resp);
		up_progress(ctx, off + len);
		/* PROPFIND is the truth on resume; this is for the daemon */
		if ((k + 1) % 4 == 0 && k + 1 < nchunks &&
		    (r = dav_state(d, "nextcloud", "chunks", off + len)) !=
		    CS_OK)
			return r;
	}
assemble:
	if ((src = malloc(strlen(d->upload) + 8)) == NULL)
		return CS_ERR_NOMEM;
	(void)snprintf(src, strlen(d->upload) + 8, "%s/.file", d->upload);
	r = dav_move_to_free_name(d, src, "nextcloud", 1);
	free(src);
	return r;
}

/* dav_uploads_base - the chunked uploads folder of the url's login:
 * uploads_url (with %u), or .../remote.php/dav/uploads/LOGIN derived from
 * a .../remote.php/dav/files/LOGIN/... url */
static char *
dav_uploads_base(struct dav *d)
{
	static const char files[] = "/remote.php/dav/files/";
	const char *tmpl = up_setting(d->ctx, "uploads_url", NULL), *p, *login;
	char *out;
	size_t n;

	if (tmpl != NULL)
		return up_expand_user(tmpl, d->ctx->user, 1);
	if ((p = strstr(d->folder, files)) == NULL)
		return NULL;
	login = p + sizeof(files) - 1;
	n = strcspn(login, "/");
	if ((out = malloc(strlen(d->folder) + 32)) == NULL)
		return NULL;
	(void)snprintf(out, strlen(d->folder) + 32,
	    "%.*s/remote.php/dav/uploads/%.*s", (int)(p - d->folder),
	    d->folder, (int)n, login);
	return out;
}

/* dav_setup - credentials and URLs; 0 ok, -1 outcome set */
static int
dav_setup(struct dav *d)
{
	struct up_ctx *ctx = d->ctx;
	const char *user = up_setting(ctx, "user", NULL);
	const char *pass = up_secret(ctx, "password");
	const char *url = up_setting(ctx, "url", NULL);
	char cred[512], b64[BASE64_ENCODE_RAW_LENGTH(512) + 1], *base, *f;
	size_t n, len;

	if (user == NULL || pass == NULL || url == NULL) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "webdav: the request lacks "
		    "url, user or the password secret");
		return -1;
	}
	n = (size_t)snprintf(cred, sizeof(cred), "%s:%s", user, pass);
	if (n >= sizeof(cred)) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "webdav: credentials too "
		    "long");
		return -1;
	}
	base64_encode_raw((char *)b64, n, (const uint8_t *)cred);
	b64[BASE64_ENCODE_RAW_LENGTH(n)] = '\0';
	(void)snprintf(d->auth, sizeof(d->auth), "Authorization: Basic %s",
	    b64);
	cs_wipe(cred, sizeof(cred));
	cs_wipe(b64, sizeof(b64));
	if ((f = up_expand_user(url, ctx->user, 1)) == NULL)
		return -1;
	len = strlen(f);
	if ((d->folder = malloc(len + 2)) == NULL) {
		free(f);
		return -1;
	}
	(void)snprintf(d->folder, len + 2, "%s%s", f,
	    len > 0 && f[len - 1] == '/' ? "" : "/");
	free(f);
	len = strlen(d->folder) + strlen(ctx->job) + 32;
	if ((d->temp = malloc(len)) == NULL)
		return -1;
	(void)snprintf(d->temp, len, "%s.cloudspool-%s.part", d->folder,
	    ctx->job);
	if (strcmp(up_setting(ctx, "chunked", "no"), "nextcloud") != 0)
		return 0;
	if ((base = dav_uploads_base(d)) == NULL) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "webdav: chunked = nextcloud "
		    "needs a .../remote.php/dav/files/LOGIN/ url or an "
		    "uploads_url");
		return -1;
	}
	len = strlen(base) + strlen(ctx->job) + 32;
	if ((d->upload = malloc(len)) != NULL)
		(void)snprintf(d->upload, len, "%s/cloudspool-%s", base,
		    ctx->job);
	free(base);
	return d->upload != NULL ? 0 : -1;
}

/* dav_state_url - *url replaced by the state's key when it lies under
 * prefix (the state comes sealed from an earlier run of ours; the check
 * keeps a DELETE inside the destination's own folders all the same) */
static int
dav_state_url(struct dav *d, const char *key, const char *prefix, char **url)
{
	const char *v = json_string_value(json_object_get(d->ctx->state, key));
	char *copy;

	if (v == NULL || prefix == NULL ||
	    strncmp(v, prefix, strlen(prefix)) != 0 || strstr(v, "/../") != NULL)
		return 0;
	if ((copy = strdup(v)) == NULL)
		return -1;
	free(*url);
	*url = copy;
	return 0;
}

/* dav_cleanup - DELETE what this job left on the server (the upload
 * folder or the temporary); 1 removed, 0 there was none, -1 the server
 * did not say (left for the server's own expiry). Never changes the
 * outcome: the reason the job ends matters more than its debris. */
static int
dav_cleanup(struct dav *d)
{
	struct up_http_resp resp;
	const char *url = d->upload != NULL ? d->upload : d->temp;
	char dest[2048], *dst;
	int res;

	/* chunking v2 wants the Destination on every request of an upload;
	 * an abandon run has it from the state (its name is not the job's) */
	if ((dst = dav_final_url(d, d->variant)) == NULL ||
	    (d->ctx->abandon && dav_state_url(d, "dest", d->folder, &dst) < 0))
		return -1;
	(void)snprintf(dest, sizeof(dest), "Destination: %s", dst);
	free(dst);
	if (url == NULL || dav_request(d, "DELETE", url, &resp, 0, 0, 0,
	    d->upload != NULL ? dest : NULL, NULL, NULL, NULL) != CS_OK)
		return -1;
	res = resp.status == 204 || resp.status == 200 ? 1 :
	    resp.status == 404 ? 0 : -1;
	up_http_resp_free(&resp);
	return res;
}

/* dav_abandon - the "abandon" request: remove this job's leftovers and
 * answer done (nothing was delivered; where says what was removed). The
 * daemon may not know the job's remote id (a job of several documents),
 * so the URLs come from the state when it has them. */
static void
dav_abandon(struct dav *d)
{
	char *base = d->upload != NULL ? dav_uploads_base(d) : NULL;
	int res;

	if (d->upload != NULL && (base == NULL ||
	    dav_state_url(d, "upload", base, &d->upload) < 0)) {
		free(base);
		return;		/* no memory: no outcome, exit non-zero */
	}
	free(base);
	if (d->upload == NULL && dav_state_url(d, "temp", d->folder,
	    &d->temp) < 0)
		return;
	res = dav_cleanup(d);

	up_done(d->ctx, "", res == 1 ? "abandoned: the job's upload data was "
	    "deleted from the server" : res == 0 ? "abandoned: nothing of "
	    "the job was left on the server" : "abandoned: the server did not "
	    "confirm the deletion of the job's upload data", 0);
}

/* dav_deliver - the provider's deliver operation */
static cs_result
dav_deliver(struct up_ctx *ctx)
{
	struct dav d;
	json_t *v;
	cs_result r;

	memset(&d, 0, sizeof(d));
	d.ctx = ctx;
	if (up_setting_size(ctx, "chunk_size", 10u << 20, &d.chunk) != CS_OK ||
	    d.chunk == 0) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "webdav: bad chunk_size");
		return CS_OK;
	}
	/* Nextcloud refuses, at MOVE .file, chunks other than the last
	 * outside 5 MB..5 GB (chunking v2 requirements; MiB here, S3's part
	 * floor, to be safe on object storage): catch it before sending */
	if (strcmp(up_setting(ctx, "chunked", "no"), "nextcloud") == 0 &&
	    (d.chunk < DAV_NC_MIN_CHUNK || d.chunk > DAV_NC_MAX_CHUNK ||
	    (ctx->size + d.chunk - 1) / d.chunk > DAV_NC_MAX_CHUNKS)) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "webdav: chunked = nextcloud "
		    "needs chunk_size between 5M and 5G and at most %u "
		    "chunks", DAV_NC_MAX_CHUNKS);
		return CS_OK;
	}
	v = json_object_get(ctx->state, "variant");
	d.variant = json_is_integer(v) ? (unsigned)json_integer_value(v) : 0;
	if (dav_setup(&d) < 0)
		r = ctx->out.set ? CS_OK : CS_ERR_NOMEM;
	else if (ctx->abandon) {
		dav_abandon(&d);
		r = ctx->out.set ? CS_OK : CS_ERR_NOMEM;
	} else {
		r = d.upload != NULL ? dav_chunked(&d) : dav_plain(&d);
		if (r == CS_OK && ctx->out.set && !ctx->out.done &&
		    ctx->out.cls == UP_PERMANENT)
			(void)dav_cleanup(&d);
	}
	cs_wipe(d.auth, sizeof(d.auth));
	free(d.folder);
	free(d.temp);
	free(d.upload);
	return r;
}

/* one function for both: it reads ctx->abandon */
const struct up_provider up_webdav_provider = { "webdav", dav_deliver,
    dav_deliver };
