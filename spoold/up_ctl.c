/*
 * up_ctl.c - cloudspool-upload's side of the control socket (fd 3) and the
 * small helpers providers share: settings and secrets from the request,
 * checkpoints (sent, then acknowledged by the daemon), progress, the final
 * outcome, and name/URL templates. The protocol is doc/UPLOAD-PROTOCOL.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "provider.h"
#include "upload.h"

/* up_setting - see provider.h */
const char *
up_setting(const struct up_ctx *ctx, const char *key, const char *dflt)
{
	json_t *v = json_object_get(json_object_get(ctx->request, "settings"),
	    key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

/* up_setting_size - see provider.h */
cs_result
up_setting_size(const struct up_ctx *ctx, const char *key, uint64_t dflt,
    uint64_t *out)
{
	const char *v = up_setting(ctx, key, NULL);

	*out = dflt;
	return v == NULL ? CS_OK : cs_parse_size(v, out);
}

/* up_secret - see provider.h */
const char *
up_secret(const struct up_ctx *ctx, const char *key)
{
	json_t *v = json_object_get(json_object_get(ctx->request, "secrets"),
	    key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* up_ctl_send - one message on the control socket */
cs_result
up_ctl_send(int fd, json_t *msg)
{
	char *text;
	size_t len;
	ssize_t n;

	if ((text = json_dumps(msg, JSON_COMPACT)) == NULL)
		return CS_ERR_NOMEM;
	len = strlen(text);
	if (len > UP_MSG_MAX) {
		free(text);
		return CS_ERR_TOOBIG;
	}
	do
		n = send(fd, text, len, MSG_NOSIGNAL | MSG_EOR);
	while (n < 0 && errno == EINTR);
	free(text);
	return n == (ssize_t)len ? CS_OK : CS_ERR_IO;
}

/* up_ctl_recv - one message (at most UP_MSG_MAX bytes) into *out */
cs_result
up_ctl_recv(int fd, json_t **out)
{
	static char buf[UP_MSG_MAX + 1];
	json_error_t jerr;
	ssize_t n;

	*out = NULL;
	do
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return CS_ERR_IO;	/* the daemon closed or broke the socket */
	if ((size_t)n > UP_MSG_MAX)
		return CS_ERR_TOOBIG;
	*out = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
	/* the request carries secrets: leave no copy in the static buffer */
	memset(buf, 0, (size_t)n);
	return *out != NULL && json_is_object(*out) ? CS_OK : CS_ERR_FORMAT;
}

/* up_checkpoint - see provider.h */
cs_result
up_checkpoint(struct up_ctx *ctx, json_t *state, uint64_t bytes)
{
	json_t *msg, *ack = NULL;
	cs_result r;
	const char *type;

	msg = json_pack("{s:s, s:O, s:I}", "type", "state", "state", state,
	    "bytes", (json_int_t)bytes);
	if (msg == NULL)
		return CS_ERR_NOMEM;
	r = up_ctl_send(ctx->ctl_fd, msg);
	json_decref(msg);
	if (r != CS_OK)
		return r;
	if ((r = up_ctl_recv(ctx->ctl_fd, &ack)) != CS_OK)
		return r;
	type = json_string_value(json_object_get(ack, "type"));
	r = type != NULL && strcmp(type, "ack") == 0 ? CS_OK : CS_ERR_FORMAT;
	json_decref(ack);
	return r;
}

/* up_progress - see provider.h */
void
up_progress(struct up_ctx *ctx, uint64_t bytes)
{
	json_t *msg;

	ctx->last_progress = bytes;
	msg = json_pack("{s:s, s:I}", "type", "progress", "bytes",
	    (json_int_t)bytes);
	if (msg != NULL)
		(void)up_ctl_send(ctx->ctl_fd, msg);
	json_decref(msg);
}

/* up_done - see provider.h */
void
up_done(struct up_ctx *ctx, const char *remote_id, const char *where,
    int earlier)
{
	struct up_outcome *o = &ctx->out;

	memset(o, 0, sizeof(*o));
	o->set = 1;
	o->done = 1;
	(void)snprintf(o->remote_id, sizeof(o->remote_id), "%s",
	    remote_id != NULL ? remote_id : "");
	(void)snprintf(o->where, sizeof(o->where), "%s",
	    where != NULL ? where : "");
	o->earlier = earlier;
}

/* up_fail - see provider.h */
void
up_fail(struct up_ctx *ctx, enum up_class cls, long retry_after,
    long http_status, const char *fmt, ...)
{
	struct up_outcome *o = &ctx->out;
	va_list ap;
	char *p;

	memset(o, 0, sizeof(*o));
	o->set = 1;
	o->cls = cls;
	o->retry_after = retry_after;
	o->http_status = http_status;
	va_start(ap, fmt);
	(void)vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	va_end(ap);
	/* one line, whatever a server put in its error text */
	for (p = o->reason; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/* up_url_encode - see provider.h */
char *
up_url_encode(const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out, *o;

	if ((out = malloc(strlen(s) * 3 + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~' || (keep_slash && ch == '/')) {
			*o++ = (char)ch;
			continue;
		}
		*o++ = '%';
		*o++ = hex[ch >> 4];
		*o++ = hex[ch & 15];
	}
	*o = '\0';
	return out;
}

/* up_expand_user - see provider.h */
char *
up_expand_user(const char *tmpl, const char *user, int url_encode)
{
	char *u, *out, *o;
	size_t n = 0;
	const char *s;

	u = url_encode ? up_url_encode(user, 0) : strdup(user);
	if (u == NULL)
		return NULL;
	for (s = tmpl; *s != '\0'; s++)
		n += (s[0] == '%' && s[1] == 'u') ? strlen(u) : 1;
	if ((out = malloc(n + 1)) == NULL) {
		free(u);
		return NULL;
	}
	for (s = tmpl, o = out; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] == 'u') {
			memcpy(o, u, strlen(u));
			o += strlen(u);
			s++;
		} else if (s[0] == '%' && s[1] == '%') {
			*o++ = '%';
			s++;
		} else
			*o++ = *s;
	}
	*o = '\0';
	free(u);
	return out;
}

/* up_name_variant - see provider.h */
char *
up_name_variant(const char *name, unsigned n)
{
	const char *dot = strrchr(name, '.');
	size_t stem, len = strlen(name) + 16;
	char *out;

	if ((out = malloc(len)) == NULL)
		return NULL;
	if (n == 0) {
		(void)snprintf(out, len, "%s", name);
		return out;
	}
	/* a leading dot is a hidden name, not an extension */
	stem = dot != NULL && dot != name ? (size_t)(dot - name) : strlen(name);
	(void)snprintf(out, len, "%.*s-%u%s", (int)stem, name, n,
	    name + stem);
	return out;
}
