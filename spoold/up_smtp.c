/*
 * up_smtp.c - the smtp provider ("scan to email"): the document as one
 * attachment of a short English message to the user's address, sent by
 * lib/mail.c (libcurl, STARTTLS required on smtp://, TLS from the first
 * byte on smtps://, the certificate always verified).
 *
 * The recipient: the destination's `to` template (%u = the user name),
 * else the request's "email" (the job's address). Documents over
 * `max_size` are not mailed: with a `fallback` destination the answer is
 * fail/"fallback" (the daemon re-targets the job), without one it is
 * permanent.
 *
 * Exactly once is not possible by mail: SMTP has no "did it arrive"
 * query, and a message is accepted by the server's reply to the final
 * "." of DATA, which a connection can lose. So delivery is at most once:
 * {"phase":"sending"} is checkpointed before the transfer starts, and a
 * run that finds that state answers done (earlier) without sending again.
 * After a failure that certainly left nothing accepted (a TLS or connect
 * failure, a refusal reply, or curl had not yet read the whole document,
 * so the "." never went) the state is reset to {} before answering fail,
 * so the next run sends. Only a connection lost after the whole message
 * went stays "maybe sent", and is answered done without a second copy.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <unistd.h>
#include <curl/curl.h>

#include "mail.h"
#include "provider.h"

#define SMTP_DEFAULT_MAX	(10ULL << 20)

/* smtp_type - MIME type from the name's extension */
static const char *
smtp_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot != NULL && strcasecmp(dot, ".pdf") == 0)
		return "application/pdf";
	if (dot != NULL && (strcasecmp(dot, ".tif") == 0 ||
	    strcasecmp(dot, ".tiff") == 0))
		return "image/tiff";
	return "application/octet-stream";
}

/* smtp_recipient - the address to mail into out; 0, or -1 outcome set */
static int
smtp_recipient(struct up_ctx *ctx, char *out, size_t cap)
{
	const char *tmpl = up_setting(ctx, "to", NULL);
	const char *email = json_string_value(json_object_get(ctx->request,
	    "email"));
	char *addr = NULL;
	int ok;

	if (tmpl != NULL)
		addr = up_expand_user(tmpl, ctx->user, 0);
	else if (email != NULL)
		addr = strdup(email);
	else {
		up_fail(ctx, UP_PERMANENT, -1, 0, "smtp: no address for user "
		    "'%.64s' (the job has no email and the destination no "
		    "'to')", ctx->user);
		return -1;
	}
	if (addr == NULL)
		return -1;
	ok = cs_mail_address_ok(addr) && strlen(addr) < cap;
	if (ok)
		memcpy(out, addr, strlen(addr) + 1);
	else
		up_fail(ctx, UP_PERMANENT, -1, 0, "smtp: unusable recipient "
		    "address '%.100s'", addr);
	free(addr);
	return ok ? 0 : -1;
}

/* smtp_over_limit - 1 with the outcome set when the document is over
 * max_size, 0 when it may be mailed */
static int
smtp_over_limit(struct up_ctx *ctx)
{
	const char *fallback = up_setting(ctx, "fallback", NULL);
	uint64_t max;

	if (up_setting_size(ctx, "max_size", SMTP_DEFAULT_MAX, &max) !=
	    CS_OK) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "smtp: bad max_size '%.32s'",
		    up_setting(ctx, "max_size", ""));
		return 1;
	}
	if (ctx->size <= max)
		return 0;
	if (fallback != NULL && *fallback != '\0')
		up_fail(ctx, UP_FALLBACK, -1, 0, "document of %llu bytes is "
		    "over the email limit (%llu); for destination '%.64s'",
		    (unsigned long long)ctx->size, (unsigned long long)max,
		    fallback);
	else
		up_fail(ctx, UP_PERMANENT, -1, 0, "document of %llu bytes is "
		    "over the email limit (%llu)",
		    (unsigned long long)ctx->size, (unsigned long long)max);
	return 1;
}

/* smtp_is_tls - curl codes that mean the TLS policy was not met */
static int
smtp_is_tls(int cc)
{
	return cc == CURLE_USE_SSL_FAILED || cc == CURLE_SSL_CONNECT_ERROR ||
	    cc == CURLE_PEER_FAILED_VERIFICATION ||
	    cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CIPHER ||
	    cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_ISSUER_ERROR;
}

/* smtp_not_sent - 1 when the failed transfer certainly left no message
 * with the server: it never got past TLS or the login, the server
 * refused (a 4xx/5xx reply: the message is only accepted by 250 after
 * "."), or curl had not read the whole document (so no "." went) */
static int
smtp_not_sent(const struct up_ctx *ctx, const struct cs_mail_status *st)
{
	if (smtp_is_tls(st->curl_code) || st->curl_code == CURLE_LOGIN_DENIED ||
	    st->curl_code == CURLE_COULDNT_CONNECT ||
	    st->curl_code == CURLE_COULDNT_RESOLVE_HOST ||
	    st->curl_code == CURLE_URL_MALFORMAT ||
	    st->curl_code == CURLE_READ_ERROR)
		return 1;
	if (st->reply >= 400)
		return 1;
	return st->att_read != ~0ULL && st->att_read < ctx->size;
}

/* smtp_failed - the outcome of a transfer that did not succeed */
static cs_result
smtp_failed(struct up_ctx *ctx, const struct cs_mail_status *st,
    const char *to, const char *why)
{
	char where[CS_MAIL_ADDR_MAX + 96];
	json_t *fresh;
	cs_result r;

	if (!smtp_not_sent(ctx, st)) {
		/* the server may hold it: at most once, never a 2nd copy */
		(void)snprintf(where, sizeof(where), "email to %s (the "
		    "server's answer to the message was lost; not re-sent)",
		    to);
		up_done(ctx, to, where, 0);
		return CS_OK;
	}
	/* nothing went: the next run may send (start over) */
	if ((fresh = json_object()) == NULL)
		return CS_ERR_NOMEM;
	r = up_checkpoint(ctx, fresh, 0);
	json_decref(fresh);
	if (r != CS_OK)
		return r;
	if (smtp_is_tls(st->curl_code))
		up_fail(ctx, UP_TEMPORARY, -1, 0, "SMTP: TLS/certificate "
		    "failure: %.400s", why);
	else if (st->curl_code == CURLE_LOGIN_DENIED)
		up_fail(ctx, UP_AUTH, -1, 0, "SMTP AUTH refused: %.400s", why);
	else if (st->reply >= 500)
		up_fail(ctx, UP_PERMANENT, -1, 0, "SMTP to %.100s refused "
		    "(%ld): %.300s", to, st->reply, why);
	else
		up_fail(ctx, UP_TEMPORARY, -1, 0, "SMTP: %.400s", why);
	return CS_OK;
}

/* smtp_deliver - see provider.h */
static cs_result
smtp_deliver(struct up_ctx *ctx)
{
	const char *phase = json_string_value(json_object_get(ctx->state,
	    "phase"));
	struct cs_mail_server srv;
	struct cs_mail_attachment att;
	struct cs_mail_status st;
	char to[CS_MAIL_ADDR_MAX + 1], subject[300], body[600], why[512];
	char where[CS_MAIL_ADDR_MAX + 16];
	json_t *sending;
	cs_result r;

	if (phase != NULL && strcmp(phase, "sending") == 0) {
		/* an earlier run may have sent it: at most once */
		up_done(ctx, "", "(sent before a restart; not re-sent)", 1);
		return CS_OK;
	}
	if (smtp_over_limit(ctx) || smtp_recipient(ctx, to, sizeof(to)) < 0)
		return ctx->out.set ? CS_OK : CS_ERR_NOMEM;
	memset(&srv, 0, sizeof(srv));
	srv.url = up_setting(ctx, "url", NULL);
	srv.from = up_setting(ctx, "from", NULL);
	srv.user = up_setting(ctx, "user", NULL);
	srv.password = up_secret(ctx, "password");
	srv.ca_file = up_setting(ctx, "ca_file", NULL);
	if (srv.url == NULL || srv.from == NULL) {
		up_fail(ctx, UP_PERMANENT, -1, 0, "smtp: the request lacks url "
		    "or from");
		return CS_OK;
	}
	/* the name only, never the content */
	(void)snprintf(subject, sizeof(subject), "Scanned document: %.200s",
	    ctx->name);
	(void)snprintf(body, sizeof(body), "Your scanned document \"%.200s\" "
	    "(%llu bytes) is attached.\r\n\r\nSent automatically by "
	    "cloudspool.\r\n", ctx->name, (unsigned long long)ctx->size);
	/* fd 0's offset is ours: the daemon reads the document with pread
	 * or mmap only and rewinds it for each uploader */
	if (lseek(ctx->doc_fd, 0, SEEK_SET) < 0) {
		up_fail(ctx, UP_TEMPORARY, -1, 0, "smtp: cannot rewind the "
		    "document");
		return CS_OK;
	}
	if ((sending = json_pack("{s:s}", "phase", "sending")) == NULL)
		return CS_ERR_NOMEM;
	r = up_checkpoint(ctx, sending, 0);
	json_decref(sending);
	if (r != CS_OK)
		return r;
	att.fd = ctx->doc_fd;
	att.name = ctx->name;
	att.type = smtp_type(ctx->name);
	r = cs_mail_send_status(&srv, to, subject, body, &att, why,
	    sizeof(why), &st);
	if (r == CS_ERR_NOMEM)
		return r;
	if (r == CS_ERR_CONFIG || r == CS_ERR_INVAL) {
		/* refused before any connection: nothing went */
		json_t *fresh = json_object();

		if (fresh == NULL)
			return CS_ERR_NOMEM;
		r = up_checkpoint(ctx, fresh, 0);
		json_decref(fresh);
		if (r == CS_OK)
			up_fail(ctx, UP_PERMANENT, -1, 0, "smtp: %.400s", why);
		return r;
	}
	if (r != CS_OK)
		return smtp_failed(ctx, &st, to, why);
	up_progress(ctx, ctx->size);
	(void)snprintf(where, sizeof(where), "email to %s", to);
	up_done(ctx, to, where, 0);
	return CS_OK;
}

const struct up_provider up_smtp_provider = { "smtp", smtp_deliver,
    NULL };
