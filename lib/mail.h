/*
 * mail.h - send one email over SMTP with libcurl, under the TLS policy:
 * smtp:// URLs must upgrade with STARTTLS (CURLUSESSL_ALL: no plaintext
 * fallback), smtps:// is TLS from the first byte; the server certificate
 * is always verified (ca_file, or the system store). The message is MIME
 * (curl_mime): a UTF-8 text body and, for the scan-to-email provider, an
 * optional attachment read from an fd (no temporary file).
 */
#ifndef CS_MAIL_H
#define CS_MAIL_H

#include <stddef.h>
#include "result.h"

#define CS_MAIL_ADDR_MAX 254

struct cs_mail_server {
	const char *url;		/* smtp://host:port or smtps://host:port */
	const char *from;		/* envelope and header sender */
	const char *user;		/* NULL: no SMTP AUTH */
	const char *password;		/* read from smtp_password_file */
	const char *ca_file;		/* NULL: the system store */
};

struct cs_mail_attachment {
	int fd;				/* read from its current offset */
	const char *name;		/* file name shown to the recipient */
	const char *type;		/* e.g. "application/pdf" */
};

/* cs_mail_address_ok - 1 for a plain addr-spec we are willing to put in a
 * header: local@domain, no blanks, controls, quotes, brackets or commas */
int cs_mail_address_ok(const char *addr);

/* cs_mail_send - send subject and body (UTF-8) to one recipient; the
 * attachment may be NULL. why names the failure (curl's text). */
cs_result cs_mail_send(const struct cs_mail_server *srv, const char *to,
    const char *subject, const char *body,
    const struct cs_mail_attachment *att, char *why, size_t whylen);

/* What became of one transfer, for a caller that must know whether the
 * message may have been accepted (the smtp upload provider): curl's
 * CURLcode, the server's last reply code (0 when none) and how many
 * attachment bytes curl had read when it stopped (by the fd's offset;
 * ~0ULL when the fd cannot seek). */
struct cs_mail_status {
	int curl_code;
	long reply;
	unsigned long long att_read;
};

/* cs_mail_send_status - cs_mail_send that also fills *st (may be NULL) */
cs_result cs_mail_send_status(const struct cs_mail_server *srv,
    const char *to, const char *subject, const char *body,
    const struct cs_mail_attachment *att, char *why, size_t whylen,
    struct cs_mail_status *st);

/* cs_mail_user_address - a local user's address by the site's rule:
 * "domain:example.org" (user@example.org), "map" (the line "user address"
 * of map_file), or "gecos" (the first GECOS field that looks like an
 * address). CS_ERR_NOTFOUND when the rule gives none. */
cs_result cs_mail_user_address(const char *rule, const char *map_file,
    const char *user, char *out, size_t cap);

/* cs_mail_encode_header - RFC 2047 "=?UTF-8?B?...?=" for non-ASCII text,
 * the text itself when it is printable ASCII; CS_ERR_TOOBIG when cap is
 * short */
cs_result cs_mail_encode_header(const char *text, char *out, size_t cap);

#endif
