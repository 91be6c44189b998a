/*
 * config_provider.c - the delivery providers a [destination NAME] may name,
 * and the keys each one takes.
 *
 * One row per provider: its name and a table of its keys, each required or
 * with a default, and with a check of its value. The loader knows nothing
 * else about providers, so adding one (Drive, Graph, WebDAV, S3, ...) adds a
 * row and a key table here, and its delivery code in spoold/. Secrets never
 * go in cloudspool.conf: a provider that needs one takes a *_file key
 * naming the file that holds it.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE		/* reallocarray */
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "mail.h"


struct provider_key {
	const char *key;
	int required;
	const char *dflt;	/* stored (with line 0) when absent, or NULL */
	int (*check)(const char *value, char *why, size_t whylen);
};

struct provider {
	const char *name;
	const struct provider_key *keys;	/* ends with a NULL key */
};

static int provider_check_template(const char *, char *, size_t);
static int provider_check_mode(const char *, char *, size_t);
static int provider_check_url(const char *, char *, size_t);
static int provider_check_abspath(const char *, char *, size_t);
static int provider_check_concurrency(const char *, char *, size_t);
static int provider_check_size(const char *, char *, size_t);
static int provider_check_s3_part(const char *, char *, size_t);
static int provider_check_gdrive_chunk(const char *, char *, size_t);
static int provider_check_onedrive_chunk(const char *, char *, size_t);
static int provider_check_dropbox_chunk(const char *, char *, size_t);
static int provider_check_yesno(const char *, char *, size_t);
static int provider_check_chunked(const char *, char *, size_t);
static int provider_check_sse(const char *, char *, size_t);
static int provider_check_addressing(const char *, char *, size_t);
static int provider_check_word(const char *, char *, size_t);
static int provider_check_text(const char *, char *, size_t);
static int provider_check_smtp_url(const char *, char *, size_t);
static int provider_check_address(const char *, char *, size_t);
static int provider_check_to(const char *, char *, size_t);
static int provider_check_name(const char *, char *, size_t);

/* localdir: a folder on this host; path may hold %u (user) and %U (uid). */
static const struct provider_key provider_localdir_keys[] = {
	{ "path", 1, NULL, provider_check_template },
	{ "mode", 0, "0600", provider_check_mode },
	{ NULL, 0, NULL, NULL }
};

/*
 * The OAuth keys every consent-needing provider takes (issue 6). A
 * destination with a token_url needs the user's consent (spoold/hold.c).
 * oauthtest is the provider of tests/consent (an oidc-provider on
 * loopback); it delivers nothing yet.
 */
#define PROVIDER_OAUTHTEST_KEYS \
	{ "client_id", 1, NULL, NULL }, \
	{ "client_secret_file", 0, NULL, provider_check_abspath }, \
	{ "authorize_url", 1, NULL, provider_check_https }, \
	{ "token_url", 1, NULL, provider_check_https }, \
	{ "revoke_url", 0, NULL, provider_check_https }, \
	{ "device_url", 0, NULL, provider_check_https }, \
	{ "scope", 0, NULL, NULL }, \
	{ "auth_params", 0, NULL, NULL }, \
	{ "ca_file", 0, NULL, provider_check_abspath }

static int provider_check_https(const char *, char *, size_t);

static const struct provider_key provider_oauthtest_keys[] = {
	PROVIDER_OAUTHTEST_KEYS,
	{ NULL, 0, NULL, NULL }
};

/* Keys every network destination takes (cloudspool-upload). */
#define PROVIDER_NET_KEYS \
	{ "ca_file", 0, NULL, provider_check_abspath }, \
	{ "concurrency", 0, "4", provider_check_concurrency }, \
	{ "timeout", 0, "60", provider_check_concurrency }

/* OAuth providers: the consent helper uses these; client_id required. */
#define PROVIDER_OAUTH_KEYS \
	{ "client_id", 1, NULL, provider_check_word }, \
	{ "client_secret_file", 0, NULL, provider_check_abspath }, \
	{ "auth_params", 0, NULL, provider_check_text }

/* webdav: url may hold %u; HTTP Basic with user and password_file. */
static const struct provider_key provider_webdav_keys[] = {
	{ "url", 1, NULL, provider_check_url },
	{ "user", 1, NULL, provider_check_word },
	{ "password_file", 1, NULL, provider_check_abspath },
	{ "chunked", 0, "no", provider_check_chunked },
	{ "uploads_url", 0, NULL, provider_check_url },
	{ "chunk_size", 0, "10M", provider_check_size },
	PROVIDER_NET_KEYS,
	{ NULL, 0, NULL, NULL }
};

/* s3: SigV4, multipart; key_prefix may hold %u. */
static const struct provider_key provider_s3_keys[] = {
	{ "endpoint", 0, "https://s3.amazonaws.com", provider_check_url },
	{ "region", 0, "us-east-1", provider_check_word },
	{ "bucket", 1, NULL, provider_check_word },
	{ "access_key_id", 1, NULL, provider_check_word },
	{ "secret_key_file", 1, NULL, provider_check_abspath },
	{ "key_prefix", 0, "%u/", provider_check_text },
	{ "sse", 0, "none", provider_check_sse },
	{ "addressing", 0, "virtual", provider_check_addressing },
	{ "if_none_match", 0, "yes", provider_check_yesno },
	{ "chunk_size", 0, "8M", provider_check_s3_part },
	PROVIDER_NET_KEYS,
	{ NULL, 0, NULL, NULL }
};

/* gdrive: drive.file scope, the app's own folder. */
static const struct provider_key provider_gdrive_keys[] = {
	PROVIDER_OAUTH_KEYS,
	{ "authorize_url", 0, "https://accounts.google.com/o/oauth2/v2/auth",
	    provider_check_url },
	{ "token_url", 0, "https://oauth2.googleapis.com/token",
	    provider_check_url },
	{ "revoke_url", 0, "https://oauth2.googleapis.com/revoke",
	    provider_check_url },
	{ "device_url", 0, "https://oauth2.googleapis.com/device/code",
	    provider_check_url },
	{ "scope", 0, "https://www.googleapis.com/auth/drive.file",
	    provider_check_text },
	{ "api_url", 0, "https://www.googleapis.com", provider_check_url },
	{ "upload_url", 0, "https://www.googleapis.com/upload",
	    provider_check_url },
	{ "folder", 0, "cloudspool", provider_check_text },
	{ "chunk_size", 0, "32M", provider_check_gdrive_chunk },
	PROVIDER_NET_KEYS,
	{ NULL, 0, NULL, NULL }
};

/* onedrive: Graph app folder (approot). */
static const struct provider_key provider_onedrive_keys[] = {
	PROVIDER_OAUTH_KEYS,
	{ "authorize_url", 0,
	    "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
	    provider_check_url },
	{ "token_url", 0,
	    "https://login.microsoftonline.com/common/oauth2/v2.0/token",
	    provider_check_url },
	{ "revoke_url", 0, NULL, provider_check_url },
	{ "device_url", 0,
	    "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
	    provider_check_url },
	{ "scope", 0, "Files.ReadWrite.AppFolder offline_access",
	    provider_check_text },
	{ "api_url", 0, "https://graph.microsoft.com/v1.0",
	    provider_check_url },
	{ "chunk_size", 0, "10M", provider_check_onedrive_chunk },
	PROVIDER_NET_KEYS,
	{ NULL, 0, NULL, NULL }
};

/* dropbox: an App folder app (no scope needed); no device grant. */
static const struct provider_key provider_dropbox_keys[] = {
	PROVIDER_OAUTH_KEYS,
	{ "authorize_url", 0, "https://www.dropbox.com/oauth2/authorize",
	    provider_check_url },
	{ "token_url", 0, "https://api.dropboxapi.com/oauth2/token",
	    provider_check_url },
	{ "revoke_url", 0, "https://api.dropboxapi.com/2/auth/token/revoke",
	    provider_check_url },
	{ "device_url", 0, NULL, provider_check_url },
	{ "scope", 0, NULL, provider_check_text },
	{ "api_url", 0, "https://api.dropboxapi.com", provider_check_url },
	{ "content_url", 0, "https://content.dropboxapi.com",
	    provider_check_url },
	{ "folder", 0, "", provider_check_text },
	{ "chunk_size", 0, "8M", provider_check_dropbox_chunk },
	PROVIDER_NET_KEYS,
	{ NULL, 0, NULL, NULL }
};

/*
 * smtp: scan to email. url is smtp:// (STARTTLS required) or smtps://,
 * never plain, not even on loopback; to is a template with %u (default:
 * the job's email); fallback names the destination for documents over
 * max_size (config_check.c checks it exists and is not smtp).
 */
static const struct provider_key provider_smtp_keys[] = {
	{ "url", 1, NULL, provider_check_smtp_url },
	{ "from", 1, NULL, provider_check_address },
	{ "to", 0, NULL, provider_check_to },
	{ "user", 0, NULL, provider_check_word },
	{ "password_file", 0, NULL, provider_check_abspath },
	{ "max_size", 0, "10M", provider_check_size },
	{ "fallback", 0, NULL, provider_check_name },
	PROVIDER_NET_KEYS,
	{ NULL, 0, NULL, NULL }
};

/* A new provider adds one row here and its key table above. */
static const struct provider provider_table[] = {
	{ "localdir", provider_localdir_keys },
	{ "webdav", provider_webdav_keys },
	{ "s3", provider_s3_keys },
	{ "gdrive", provider_gdrive_keys },
	{ "onedrive", provider_onedrive_keys },
	{ "dropbox", provider_dropbox_keys },
	{ "oauthtest", provider_oauthtest_keys },
	{ "smtp", provider_smtp_keys },
};

/* the providers whose users must consent (OAuth 2.0) */
static const char *const provider_oauth[] = { "gdrive", "onedrive",
	"dropbox" };

#define PROVIDER_COUNT	(sizeof(provider_table) / sizeof(provider_table[0]))

/* provider_check_template - absolute path; escapes %u, %U and %% only */
static int
provider_check_template(const char *value, char *why, size_t whylen)
{
	const char *s;

	if (*value != '/') {
		(void)snprintf(why, whylen, "must be an absolute path");
		return -1;
	}
	for (s = value; *s != '\0'; s++) {
		if (*s != '%')
			continue;
		s++;
		if (*s != 'u' && *s != 'U' && *s != '%') {
			(void)snprintf(why, whylen, "unknown escape '%%%.1s' "
			    "(use %%u for the user name, %%U for the uid, %%%% "
			    "for %%)", s);
			return -1;
		}
	}
	return 0;
}

/* provider_check_https - an https:// URL (tls.h: nothing in the clear) */
static int
provider_check_https(const char *value, char *why, size_t whylen)
{
	if (strncmp(value, "https://", 8) == 0 && value[8] != '\0' &&
	    strpbrk(value, " \t") == NULL)
		return 0;
	(void)snprintf(why, whylen, "must be an https:// URL");
	return -1;
}

/* provider_check_abspath - an absolute path (a *_file or ca_file) */
static int
provider_check_abspath(const char *value, char *why, size_t whylen)
{
	if (*value == '/')
		return 0;
	(void)snprintf(why, whylen, "must be an absolute path");
	return -1;
}

/* provider_check_mode - octal file mode within 0777, not world-writable */
static int
provider_check_mode(const char *value, char *why, size_t whylen)
{
	unsigned long mode;
	size_t len = strlen(value);

	if (len == 0 || len > 4 || strspn(value, "01234567") != len) {
		(void)snprintf(why, whylen, "not an octal mode (use e.g. "
		    "0600 or 0640)");
		return -1;
	}
	mode = strtoul(value, NULL, 8);
	if (mode > 0777) {
		(void)snprintf(why, whylen, "must be within 0777 (no setuid, "
		    "setgid or sticky bit)");
		return -1;
	}
	/* Delivered documents are for their owner, never for any local user. */
	if (mode & 0002) {
		(void)snprintf(why, whylen, "world-writable (use e.g. 0600 or "
		    "0640)");
		return -1;
	}
	return 0;
}

/* provider_check_url - https://..., or http:// to loopback only (test
 * servers): documents never cross a network in clear text */
static int
provider_check_url(const char *value, char *why, size_t whylen)
{
	static const char *const loop[] = { "http://127.0.0.1", "http://[::1]",
	    "http://localhost" };
	size_t i, n;

	if (strncmp(value, "https://", 8) == 0 && value[8] != '\0' &&
	    strpbrk(value, " \t\"") == NULL)
		return 0;
	for (i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
		n = strlen(loop[i]);
		if (strncmp(value, loop[i], n) == 0 && (value[n] == ':' ||
		    value[n] == '/' || value[n] == '\0'))
			return 0;
	}
	(void)snprintf(why, whylen, "must be an https:// URL (http:// only "
	    "to 127.0.0.1, [::1] or localhost)");
	return -1;
}

/* provider_check_concurrency - a whole number 1..64 (also timeouts) */
static int
provider_check_concurrency(const char *value, char *why, size_t whylen)
{
	size_t len = strlen(value);

	if (len > 0 && len <= 3 && strspn(value, "0123456789") == len &&
	    strtoul(value, NULL, 10) >= 1 && strtoul(value, NULL, 10) <= 600)
		return 0;
	(void)snprintf(why, whylen, "must be a whole number from 1");
	return -1;
}

/* provider_size - a size of at least min, at most max, a multiple of
 * unit; -1 with why otherwise */
static int
provider_size(const char *value, uint64_t min, uint64_t max, uint64_t unit,
    const char *rule, char *why, size_t whylen)
{
	uint64_t v;

	if (cs_parse_size(value, &v) == CS_OK && v >= min && v <= max &&
	    v % unit == 0)
		return 0;
	(void)snprintf(why, whylen, "%s", rule);
	return -1;
}

static int
provider_check_size(const char *value, char *why, size_t whylen)
{
	return provider_size(value, 1u << 20, 1ull << 32, 1, "must be a size "
	    "from 1M to 4G (e.g. 10M)", why, whylen);
}

static int
provider_check_s3_part(const char *value, char *why, size_t whylen)
{
	return provider_size(value, 5u << 20, 5ull << 30, 1, "S3 parts are "
	    "5M to 5G", why, whylen);
}

static int
provider_check_gdrive_chunk(const char *value, char *why, size_t whylen)
{
	return provider_size(value, 256u << 10, 1ull << 30, 256u << 10,
	    "Drive chunks are multiples of 256K (e.g. 8M)", why, whylen);
}

static int
provider_check_onedrive_chunk(const char *value, char *why, size_t whylen)
{
	return provider_size(value, 320u << 10, (60u << 20) - 1, 320u << 10,
	    "Graph fragments are multiples of 320K under 60M (e.g. 10M)", why,
	    whylen);
}

static int
provider_check_dropbox_chunk(const char *value, char *why, size_t whylen)
{
	return provider_size(value, 1u << 20, 150u << 20, 1, "Dropbox takes "
	    "at most 150M a request", why, whylen);
}

/* provider_check_one_of - value is one of the NULL-terminated words */
static int
provider_check_one_of(const char *value, const char *const *words,
    const char *rule, char *why, size_t whylen)
{
	for (; *words != NULL; words++)
		if (strcmp(value, *words) == 0)
			return 0;
	(void)snprintf(why, whylen, "%s", rule);
	return -1;
}

static int
provider_check_yesno(const char *value, char *why, size_t whylen)
{
	static const char *const w[] = { "yes", "no", NULL };

	return provider_check_one_of(value, w, "use yes or no", why, whylen);
}

static int
provider_check_chunked(const char *value, char *why, size_t whylen)
{
	static const char *const w[] = { "no", "nextcloud", NULL };

	return provider_check_one_of(value, w, "use no or nextcloud", why,
	    whylen);
}

static int
provider_check_sse(const char *value, char *why, size_t whylen)
{
	static const char *const w[] = { "none", "AES256", "aws:kms", NULL };

	return provider_check_one_of(value, w, "use none, AES256 or aws:kms",
	    why, whylen);
}

static int
provider_check_addressing(const char *value, char *why, size_t whylen)
{
	static const char *const w[] = { "virtual", "path", NULL };

	return provider_check_one_of(value, w, "use virtual or path", why,
	    whylen);
}

/* provider_check_word - non-empty, no white space or quotes */
static int
provider_check_word(const char *value, char *why, size_t whylen)
{
	if (*value != '\0' && strpbrk(value, " \t\"'\\") == NULL)
		return 0;
	(void)snprintf(why, whylen, "must be one word without quotes");
	return -1;
}

/* provider_check_text - printable, no quotes or backslashes */
static int
provider_check_text(const char *value, char *why, size_t whylen)
{
	const char *s;

	for (s = value; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' ||
		    *s == '\'') {
			(void)snprintf(why, whylen, "no quotes, backslashes "
			    "or control characters");
			return -1;
		}
	return 0;
}

/* provider_check_smtp_url - smtp://host[:port] (STARTTLS is then
 * required) or smtps://host[:port]: mail never goes in the clear */
static int
provider_check_smtp_url(const char *value, char *why, size_t whylen)
{
	const char *host = NULL;

	if (strncmp(value, "smtp://", 7) == 0)
		host = value + 7;
	else if (strncmp(value, "smtps://", 8) == 0)
		host = value + 8;
	if (host != NULL && *host != '\0' && *host != '/' && *host != ':' &&
	    strpbrk(value, " \t\"'\\") == NULL)
		return 0;
	(void)snprintf(why, whylen, "must be smtp://HOST[:PORT] (STARTTLS is "
	    "required) or smtps://HOST[:PORT]");
	return -1;
}

/* provider_check_address - a plain local@domain (mail.h's rule) */
static int
provider_check_address(const char *value, char *why, size_t whylen)
{
	if (cs_mail_address_ok(value))
		return 0;
	(void)snprintf(why, whylen, "not a plain address like "
	    "scanner@example.org");
	return -1;
}

/* provider_check_to - %u@domain style: holds %u before the '@', only %u
 * and %% escapes, and a sample expansion is a plain address */
static int
provider_check_to(const char *value, char *why, size_t whylen)
{
	char sample[CS_MAIL_ADDR_MAX + 1];
	const char *s, *at = strchr(value, '@'), *u = strstr(value, "%u");
	size_t o = 0;

	for (s = value; *s != '\0' && o + 6 < sizeof(sample); s++) {
		if (*s != '%') {
			sample[o++] = *s;
			continue;
		}
		s++;
		if (*s == 'u') {
			memcpy(sample + o, "alice", 5);
			o += 5;
		} else if (*s == '%')
			sample[o++] = '%';
		else
			break;
	}
	sample[o] = '\0';
	if (*s == '\0' && u != NULL && at != NULL && u < at &&
	    cs_mail_address_ok(sample))
		return 0;
	(void)snprintf(why, whylen, "must be an address template with %%u "
	    "for the user name, e.g. %%u@example.org");
	return -1;
}

/* provider_check_name - a destination name (resolved in config_check.c) */
static int
provider_check_name(const char *value, char *why, size_t whylen)
{
	size_t len = strlen(value);

	if (len > 0 && len <= 64 && strspn(value, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == len)
		return 0;
	(void)snprintf(why, whylen, "must be the name of another destination");
	return -1;
}

/* cs_provider_is_oauth - see config.h */
int
cs_provider_is_oauth(const char *provider)
{
	size_t i;

	for (i = 0; provider != NULL && i < sizeof(provider_oauth) /
	    sizeof(provider_oauth[0]); i++)
		if (strcmp(provider, provider_oauth[i]) == 0)
			return 1;
	return 0;
}

/* provider_fail - report a problem at line; always CS_ERR_CONFIG */
static cs_result __attribute__((format(printf, 5, 6)))
provider_fail(unsigned *line, unsigned at, char *why, size_t whylen,
    const char *fmt, ...)
{
	va_list ap;

	*line = at;
	va_start(ap, fmt);
	/* A truncated message still tells the administrator where to look. */
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return CS_ERR_CONFIG;
}

/* provider_find - the provider called name, or NULL */
static const struct provider *
provider_find(const char *name)
{
	size_t i;

	for (i = 0; i < PROVIDER_COUNT; i++)
		if (strcmp(provider_table[i].name, name) == 0)
			return &provider_table[i];
	return NULL;
}

/* provider_names - "a, b, c": every provider, for a message */
static const char *
provider_names(char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < PROVIDER_COUNT && used < len; i++) {
		n = snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "",
		    provider_table[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* provider_key_find - the key of provider pv called key, or NULL */
static const struct provider_key *
provider_key_find(const struct provider *pv, const char *key)
{
	const struct provider_key *k;

	for (k = pv->keys; k->key != NULL; k++)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

/* provider_add_default - append key = value to d, marked line 0 */
static cs_result
provider_add_default(struct cs_destination *d, const char *key,
    const char *value)
{
	struct cs_setting *s;

	s = reallocarray(d->settings, d->nsettings + 1, sizeof(*s));
	if (s == NULL)
		return CS_ERR_NOMEM;
	d->settings = s;
	s = &s[d->nsettings++];
	s->line = 0;
	s->key = strdup(key);
	s->value = strdup(value);
	return s->key != NULL && s->value != NULL ? CS_OK : CS_ERR_NOMEM;
}

/* config_provider_check - check d's provider and keys, add defaults */
cs_result
config_provider_check(struct cs_destination *d, unsigned provider_line,
    unsigned *line, char *why, size_t whylen)
{
	const struct provider *pv;
	const struct provider_key *k;
	const struct cs_setting *s;
	char names[128], bad[160];
	size_t i;

	if (d->provider == NULL)
		return provider_fail(line, d->line, why, whylen, "destination "
		    "'%s' has no provider (e.g. provider = localdir)", d->name);
	if ((pv = provider_find(d->provider)) == NULL)
		return provider_fail(line, provider_line, why, whylen,
		    "unknown provider '%s' in [destination %s] (known: %s)",
		    d->provider, d->name, provider_names(names, sizeof(names)));
	for (i = 0; i < d->nsettings; i++) {
		s = &d->settings[i];
		if ((k = provider_key_find(pv, s->key)) == NULL)
			return provider_fail(line, s->line, why, whylen,
			    "unknown key '%s' in [destination %s]", s->key,
			    d->name);
		if (k->check != NULL && k->check(s->value, bad, sizeof(bad)))
			return provider_fail(line, s->line, why, whylen,
			    "bad %s '%s' in [destination %s]: %s", s->key,
			    s->value, d->name, bad);
	}
	for (k = pv->keys; k->key != NULL; k++) {
		if (cs_destination_get(d, k->key) != NULL)
			continue;
		if (k->required)
			return provider_fail(line, d->line, why, whylen,
			    "destination '%s' needs %s (provider %s)", d->name,
			    k->key, d->provider);
		if (k->dflt != NULL && provider_add_default(d, k->key,
		    k->dflt) != CS_OK) {
			*line = 0;
			(void)snprintf(why, whylen, "out of memory");
			return CS_ERR_NOMEM;
		}
	}
	return CS_OK;
}
