/*
 * NAME
 *	cloudspool-upload - deliver one document to a network destination
 *
 * SYNOPSIS
 *	cloudspool-upload	(run by cloudspoold only)
 *
 * DESCRIPTION
 *	cloudspoold holds the spool keys, so no network code runs in it: for
 *	each delivery to a network destination it execs this program with
 *	the plaintext document on fd 0 (a memfd: seekable, size known), a
 *	control socket on fd 3 (AF_UNIX SOCK_SEQPACKET, one JSON object per
 *	message, at most 64 KiB) and an empty environment. The daemon sends
 *	one request; this program answers with checkpoints (each waits for
 *	the daemon's ack), progress reports, and exactly one final message,
 *	"done" or "fail". doc/UPLOAD-PROTOCOL.md is the contract.
 *
 *	With {"op":"refresh"} it instead refreshes one OAuth token at the
 *	destination's token endpoint and answers with the new token
 *	(up_refresh.c): the daemon's one other reason to reach a server.
 *	fd 0 is then unused.
 *
 * SECURITY
 *	The request is read before anything else; then the process enters
 *	its sandbox (up_sandbox.c: no_new_privs, rlimits, Landlock read-only
 *	file system) before libcurl is initialised or any byte goes out.
 *	Secrets (passwords, tokens) are wiped from the request at exit.
 *
 * DIAGNOSTICS
 *	Exit 0 after the final message, whatever it says. Non-zero only for
 *	internal errors, with one line on stderr: 64 (EX_USAGE) a bad
 *	request, 70 (EX_SOFTWARE) an internal failure, 74 (EX_IOERR) the
 *	control socket broke (the daemon went away), 71 (EX_OSERR) the
 *	sandbox could not be entered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <curl/curl.h>

#include "crypto.h"
#include "oauth.h"
#include "provider.h"
#include "up_http.h"
#include "upload.h"

/* upload_check_ctl - fd 3 is a SOCK_SEQPACKET socket */
static int
upload_check_ctl(void)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(UP_CTL_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET) {
		fprintf(stderr, "cloudspool-upload: fd 3 is not a "
		    "SOCK_SEQPACKET control socket (run by cloudspoold "
		    "only)\n");
		return -1;
	}
	return 0;
}

/* upload_check_doc - fd 0 a seekable regular file (memfd); *size
 * receives the document's size */
static int
upload_check_doc(uint64_t *size)
{
	struct stat st;

	if (fstat(0, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "cloudspool-upload: fd 0 is not the document "
		    "(a memfd or regular file)\n");
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

/* upload_str - a required string member, or NULL with a message */
static const char *
upload_str(json_t *req, const char *key)
{
	const char *v = json_string_value(json_object_get(req, key));

	if (v == NULL || *v == '\0')
		fprintf(stderr, "cloudspool-upload: request has no \"%s\"\n",
		    key);
	return v;
}

/* upload_parse - the request's fields into ctx; -1 on a bad request */
static int
upload_parse(struct up_ctx *ctx, json_t *req, uint64_t doc_size)
{
	json_t *v, *tok;

	ctx->request = req;
	if ((ctx->provider = upload_str(req, "provider")) == NULL ||
	    (ctx->destination = upload_str(req, "destination")) == NULL ||
	    (ctx->user = upload_str(req, "user")) == NULL ||
	    (ctx->job = upload_str(req, "job")) == NULL ||
	    (ctx->name = upload_str(req, "name")) == NULL)
		return -1;
	/* a name is a file name, never a path */
	if (strchr(ctx->name, '/') != NULL || strcmp(ctx->name, ".") == 0 ||
	    strcmp(ctx->name, "..") == 0) {
		fprintf(stderr, "cloudspool-upload: name must not be a path\n");
		return -1;
	}
	v = json_object_get(req, "size");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) != doc_size) {
		fprintf(stderr, "cloudspool-upload: request size does not "
		    "match the document on fd 0 (%llu bytes)\n",
		    (unsigned long long)doc_size);
		return -1;
	}
	ctx->size = doc_size;
	ctx->uid = (long)json_integer_value(json_object_get(req, "uid"));
	ctx->sha256 = json_string_value(json_object_get(req, "sha256"));
	if (!json_is_object(json_object_get(req, "settings"))) {
		fprintf(stderr, "cloudspool-upload: request has no "
		    "\"settings\" object\n");
		return -1;
	}
	tok = json_object_get(req, "token");
	ctx->access_token = json_string_value(json_object_get(tok,
	    "access_token"));
	v = json_object_get(req, "state");
	ctx->state = json_is_object(v) ? v : NULL;
	ctx->abandon = json_is_true(json_object_get(req, "abandon"));
	return 0;
}

/* upload_final - the one final message */
static cs_result
upload_final(const struct up_ctx *ctx)
{
	static const char *const cls[] = { "temporary", "permanent", "auth",
	    "fallback" };
	const struct up_outcome *o = &ctx->out;
	json_t *msg;
	cs_result r;

	if (o->done)
		msg = json_pack("{s:s, s:s, s:s, s:b}", "type", "done",
		    "remote_id", o->remote_id, "where", o->where, "earlier",
		    o->earlier);
	else
		msg = json_pack("{s:s, s:s, s:o, s:s, s:o}", "type", "fail",
		    "class", cls[o->cls], "retry_after", o->retry_after >= 0 ?
		    json_integer(o->retry_after) : json_null(), "reason",
		    o->reason, "http_status", o->http_status > 0 ?
		    json_integer(o->http_status) : json_null());
	if (msg == NULL)
		return CS_ERR_NOMEM;
	r = up_ctl_send(UP_CTL_FD, msg);
	json_decref(msg);
	return r;
}

/* upload_run - everything after the request was read */
static int
upload_run(struct up_ctx *ctx)
{
	const struct up_provider *pv;
	char why[256];
	cs_result r;
	const char *ca = up_setting(ctx, "ca_file", NULL);
	const char *to = up_setting(ctx, "timeout", "60");

	if ((pv = up_provider_find(ctx->provider)) == NULL) {
		fprintf(stderr, "cloudspool-upload: unknown provider '%.64s'\n",
		    ctx->provider);
		return EX_USAGE;
	}
	if (up_sandbox_enter(ca, why, sizeof(why)) != CS_OK) {
		fprintf(stderr, "cloudspool-upload: %s\n", why);
		return EX_OSERR;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    up_http_open(&ctx->http, ca, strtol(to, NULL, 10)) != CS_OK) {
		fprintf(stderr, "cloudspool-upload: cannot initialise "
		    "libcurl\n");
		return EX_SOFTWARE;
	}
	if (!ctx->abandon)
		r = pv->deliver(ctx);
	else if (pv->abandon != NULL)
		r = pv->abandon(ctx);
	else {
		up_done(ctx, "", "abandoned: nothing to remove", 0);
		r = CS_OK;
	}
	up_http_close(ctx->http);
	ctx->http = NULL;
	if (r == CS_ERR_IO) {
		fprintf(stderr, "cloudspool-upload: control socket: the daemon "
		    "went away\n");
		return EX_IOERR;
	}
	if (r != CS_OK || !ctx->out.set) {
		fprintf(stderr, "cloudspool-upload: %s: internal error: %s\n",
		    ctx->provider, cs_strerror(r != CS_OK ? r : CS_ERR_INVAL));
		return EX_SOFTWARE;
	}
	if (upload_final(ctx) != CS_OK) {
		fprintf(stderr, "cloudspool-upload: cannot send the final "
		    "message\n");
		return EX_IOERR;
	}
	return 0;
}

int
main(void)
{
	struct up_ctx ctx;
	json_t *req = NULL;
	const char *op;
	uint64_t size;
	cs_result r;
	int rc;

	umask(077);
	memset(&ctx, 0, sizeof(ctx));
	ctx.doc_fd = 0;
	ctx.ctl_fd = UP_CTL_FD;
	if (upload_check_ctl() < 0)
		return EX_USAGE;
	if ((r = up_ctl_recv(UP_CTL_FD, &req)) != CS_OK) {
		fprintf(stderr, "cloudspool-upload: cannot read the request: "
		    "%s\n", r == CS_ERR_IO ? "control socket closed" :
		    r == CS_ERR_TOOBIG ? "over 64 KiB" : "not a JSON object");
		return r == CS_ERR_IO ? EX_IOERR : EX_USAGE;
	}
	/* "op" absent: a delivery, the first and main operation */
	op = json_string_value(json_object_get(req, "op"));
	if (op != NULL && (strcmp(op, "refresh") == 0 ||
	    strcmp(op, "revoke") == 0))
		rc = up_refresh_run(req);
	else if (op != NULL && strcmp(op, "upload") != 0) {
		fprintf(stderr, "cloudspool-upload: unknown op '%.32s'\n", op);
		rc = EX_USAGE;
	} else if (upload_check_doc(&size) < 0)
		rc = EX_USAGE;
	else
		rc = upload_parse(&ctx, req, size) == 0 ? upload_run(&ctx) :
		    EX_USAGE;
	cs_json_wipe(json_object_get(req, "secrets"));
	cs_json_wipe(json_object_get(req, "token"));
	json_decref(req);
	curl_global_cleanup();
	return rc;
}
