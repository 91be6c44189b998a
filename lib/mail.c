/*
 * mail.c - SMTP with libcurl (mail.h), and the user-address rules.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define CS_TLS_WITH_CURL
#include "mail.h"
#include "tls.h"

#define MAIL_TIMEOUT_S 60L
#define MAIL_MAP_LINE 512

/* cs_mail_address_ok - a conservative addr-spec */
int
cs_mail_address_ok(const char *addr)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-@";
	const char *at = strchr(addr, '@');
	size_t len = strlen(addr);

	return len > 2 && len <= CS_MAIL_ADDR_MAX && strspn(addr, ok) == len &&
	    at != NULL && at != addr && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL && at[1] != '.' && addr[0] != '.';
}

/* cs_mail_encode_header - RFC 2047 B-encoding when needed */
cs_result
cs_mail_encode_header(const char *text, char *out, size_t cap)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text), i, o;
	int plain = 1;
	uint32_t v;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			plain = 0;
	if (plain) {
		if (n + 1 > cap)
			return CS_ERR_TOOBIG;
		memcpy(out, text, n + 1);
		return CS_OK;
	}
	/* one encoded word; subjects here are short (< 75 bytes encoded is
	 * advised, not required, and every reader accepts longer) */
	if (12 + (n + 2) / 3 * 4 + 1 > cap)
		return CS_ERR_TOOBIG;
	memcpy(out, "=?UTF-8?B?", 10);
	o = 10;
	for (i = 0; i < n; i += 3) {
		v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	memcpy(out + o, "?=", 3);
	return CS_OK;
}

/* mail_read_fd - curl_mime_data_cb reader for an attachment's fd */
static size_t
mail_read_fd(char *buf, size_t size, size_t nitems, void *arg)
{
	const struct cs_mail_attachment *att = arg;
	ssize_t n;

	do
		n = read(att->fd, buf, size * nitems);
	while (n < 0 && errno == EINTR);
	return n < 0 ? CURL_READFUNC_ABORT : (size_t)n;
}

/* mail_headers - From, To, Subject, Date, Message-ID */
static struct curl_slist *
mail_headers(const struct cs_mail_server *srv, const char *to,
    const char *subject)
{
	char line[1024], enc[768], date[64];
	struct curl_slist *h = NULL, *t;
	time_t now = time(NULL);
	struct tm tm;
	unsigned char rnd[8] = { 0 };
	FILE *ur;
	int ok = 1;

	if (cs_mail_encode_header(subject, enc, sizeof(enc)) != CS_OK ||
	    gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    &tm) == 0)
		return NULL;
	if ((ur = fopen("/dev/urandom", "re")) != NULL) {
		ok = fread(rnd, 1, sizeof(rnd), ur) == sizeof(rnd);
		fclose(ur);
	}
	if (!ok)
		return NULL;
#define MAIL_ADD(...) do { \
	(void)snprintf(line, sizeof(line), __VA_ARGS__); \
	if ((t = curl_slist_append(h, line)) == NULL) { \
		curl_slist_free_all(h); \
		return NULL; \
	} \
	h = t; \
} while (0)
	MAIL_ADD("From: %s", srv->from);
	MAIL_ADD("To: %s", to);
	MAIL_ADD("Subject: %s", enc);
	MAIL_ADD("Date: %s", date);
	MAIL_ADD("Message-ID: <cloudspool.%02x%02x%02x%02x%02x%02x%02x%02x.%ld@%s>",
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7],
	    (long)now, strchr(srv->from, '@') + 1);
	MAIL_ADD("Auto-Submitted: auto-generated");
#undef MAIL_ADD
	return h;
}

/* mail_crlf - body with every bare LF made CRLF (malloc'd): the
 * quoted-printable encoder breaks lines only at CRLF, and would encode a
 * bare LF as =0A, making one long line */
static char *
mail_crlf(const char *body)
{
	size_t n = 0, i, o = 0;
	char *out;

	for (i = 0; body[i] != '\0'; i++)
		n += body[i] == '\n' && (i == 0 || body[i - 1] != '\r') ? 2 : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; body[i] != '\0'; i++) {
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = body[i];
	}
	out[o] = '\0';
	return out;
}

/* mail_mime - the text part and the optional attachment */
static curl_mime *
mail_mime(CURL *curl, const char *body, const struct cs_mail_attachment *att)
{
	curl_mimepart *part;
	curl_mime *mime;
	struct stat st;
	curl_off_t size = -1;

	if ((mime = curl_mime_init(curl)) == NULL)
		return NULL;
	if ((part = curl_mime_addpart(mime)) == NULL ||
	    curl_mime_data(part, body, CURL_ZERO_TERMINATED) != CURLE_OK ||
	    curl_mime_type(part, "text/plain; charset=UTF-8") != CURLE_OK ||
	    curl_mime_encoder(part, "quoted-printable") != CURLE_OK)
		goto fail;
	if (att == NULL)
		return mime;
	if (fstat(att->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t at = lseek(att->fd, 0, SEEK_CUR);

		if (at >= 0 && at <= st.st_size)
			size = (curl_off_t)(st.st_size - at);
	}
	if ((part = curl_mime_addpart(mime)) == NULL ||
	    curl_mime_data_cb(part, size, mail_read_fd, NULL, NULL,
	    (void *)(uintptr_t)att) != CURLE_OK ||
	    curl_mime_filename(part, att->name) != CURLE_OK ||
	    curl_mime_type(part, att->type) != CURLE_OK ||
	    curl_mime_encoder(part, "base64") != CURLE_OK)
		goto fail;
	return mime;
fail:
	curl_mime_free(mime);
	return NULL;
}

/* mail_setup - every option of one SMTP transfer */
static cs_result
mail_setup(CURL *curl, const struct cs_mail_server *srv,
    struct curl_slist *rcpt, struct curl_slist *hdr, curl_mime *mime,
    char *err)
{
	cs_result r;

	if ((r = cs_tls_curl(curl, srv->ca_file, "smtp,smtps")) != CS_OK)
		return r;
	if (curl_easy_setopt(curl, CURLOPT_URL, srv->url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, srv->from) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT, MAIL_TIMEOUT_S) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK)
		return CS_ERR_CONFIG;
	if (srv->user != NULL && (curl_easy_setopt(curl, CURLOPT_USERNAME,
	    srv->user) != CURLE_OK || curl_easy_setopt(curl,
	    CURLOPT_PASSWORD, srv->password != NULL ? srv->password : "") !=
	    CURLE_OK))
		return CS_ERR_CONFIG;
	return CS_OK;
}

/* cs_mail_send - one message to one recipient */
cs_result
cs_mail_send(const struct cs_mail_server *srv, const char *to,
    const char *subject, const char *body,
    const struct cs_mail_attachment *att, char *why, size_t whylen)
{
	return cs_mail_send_status(srv, to, subject, body, att, why, whylen,
	    NULL);
}

/* cs_mail_send_status - one message to one recipient, and what happened */
cs_result
cs_mail_send_status(const struct cs_mail_server *srv, const char *to,
    const char *subject, const char *body,
    const struct cs_mail_attachment *att, char *why, size_t whylen,
    struct cs_mail_status *st)
{
	char err[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpt = NULL, *hdr = NULL;
	curl_mime *mime = NULL;
	char *text = NULL;
	CURL *curl;
	CURLcode cc = CURLE_OK;
	cs_result r;
	off_t start = -1, end;
	long reply = 0;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (srv->url == NULL || (strncmp(srv->url, "smtp://", 7) != 0 &&
	    strncmp(srv->url, "smtps://", 8) != 0)) {
		(void)snprintf(why, whylen, "smtp_url must be smtp:// "
		    "(STARTTLS) or smtps://");
		return CS_ERR_CONFIG;
	}
	if (srv->from == NULL || !cs_mail_address_ok(srv->from) ||
	    !cs_mail_address_ok(to)) {
		(void)snprintf(why, whylen, "unusable address '%.100s'",
		    srv->from == NULL || !cs_mail_address_ok(srv->from) ?
		    (srv->from ? srv->from : "(no smtp_from)") : to);
		return CS_ERR_INVAL;
	}
	if ((curl = curl_easy_init()) == NULL)
		return CS_ERR_NOMEM;
	r = CS_ERR_NOMEM;
	if ((rcpt = curl_slist_append(NULL, to)) == NULL ||
	    (hdr = mail_headers(srv, to, subject)) == NULL ||
	    (text = mail_crlf(body)) == NULL ||
	    (mime = mail_mime(curl, text, att)) == NULL)
		goto out;
	if ((r = mail_setup(curl, srv, rcpt, hdr, mime, err)) != CS_OK) {
		(void)snprintf(why, whylen, "cannot set up the SMTP transfer");
		goto out;
	}
	if (att != NULL)
		start = lseek(att->fd, 0, SEEK_CUR);
	cc = curl_easy_perform(curl);
	if (st != NULL) {
		/* the offset says how far curl read: short of the end, the
		 * final "." was never sent */
		end = att != NULL && start >= 0 ? lseek(att->fd, 0, SEEK_CUR) :
		    -1;
		st->att_read = att == NULL ? 0 : end >= start && start >= 0 ?
		    (unsigned long long)(end - start) : ~0ULL;
		if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply) !=
		    CURLE_OK)
			reply = 0;
		st->reply = reply;
		st->curl_code = (int)cc;
	}
	if (cc != CURLE_OK) {
		(void)snprintf(why, whylen, "%s: %s", srv->url, err[0] ? err :
		    curl_easy_strerror(cc));
		r = cc == CURLE_PEER_FAILED_VERIFICATION ||
		    cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_USE_SSL_FAILED ||
		    cc == CURLE_LOGIN_DENIED ? CS_ERR_AUTH : CS_ERR_TEMP;
	}
out:
	curl_mime_free(mime);
	free(text);
	curl_slist_free_all(hdr);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	return r;
}

/* mail_from_map - "user address" lines; '#' starts a comment */
static cs_result
mail_from_map(const char *map_file, const char *user, char *out, size_t cap)
{
	char line[MAIL_MAP_LINE], *name, *addr, *save;
	cs_result r = CS_ERR_NOTFOUND;
	FILE *fp;

	if (map_file == NULL || (fp = fopen(map_file, "re")) == NULL)
		return CS_ERR_CONFIG;
	while (r == CS_ERR_NOTFOUND && fgets(line, sizeof(line), fp) != NULL) {
		if ((name = strtok_r(line, " \t\r\n", &save)) == NULL ||
		    name[0] == '#' || strcmp(name, user) != 0)
			continue;
		addr = strtok_r(NULL, " \t\r\n", &save);
		if (addr != NULL && cs_mail_address_ok(addr) &&
		    strlen(addr) < cap) {
			memcpy(out, addr, strlen(addr) + 1);
			r = CS_OK;
		}
	}
	fclose(fp);
	return r;
}

/* mail_from_gecos - the first comma-separated GECOS field with an '@' */
static cs_result
mail_from_gecos(const char *user, char *out, size_t cap)
{
	char buf[4096], *field, *save;
	struct passwd pw, *res;

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL ||
	    pw.pw_gecos == NULL)
		return CS_ERR_NOTFOUND;
	for (field = strtok_r(pw.pw_gecos, ",", &save); field != NULL;
	    field = strtok_r(NULL, ",", &save))
		if (cs_mail_address_ok(field) && strlen(field) < cap) {
			memcpy(out, field, strlen(field) + 1);
			return CS_OK;
		}
	return CS_ERR_NOTFOUND;
}

/* cs_mail_user_address - by the site's rule */
cs_result
cs_mail_user_address(const char *rule, const char *map_file,
    const char *user, char *out, size_t cap)
{
	int n;

	if (rule == NULL)
		return CS_ERR_CONFIG;
	if (strncmp(rule, "domain:", 7) == 0) {
		n = snprintf(out, cap, "%s@%s", user, rule + 7);
		if (n < 0 || (size_t)n >= cap || !cs_mail_address_ok(out))
			return CS_ERR_NOTFOUND;
		return CS_OK;
	}
	if (strcmp(rule, "map") == 0)
		return mail_from_map(map_file, user, out, cap);
	if (strcmp(rule, "gecos") == 0)
		return mail_from_gecos(user, out, cap);
	return CS_ERR_CONFIG;
}
