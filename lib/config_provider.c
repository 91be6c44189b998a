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

#include "config.h"

/*
 * Internal to lib/config*.c; config.h is the fixed public interface, so the
 * prototype is repeated in config_check.c, its caller.
 */
cs_result config_provider_check(struct cs_destination *d,
    unsigned provider_line, unsigned *line, char *why, size_t whylen);

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
#define PROVIDER_OAUTH_KEYS \
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
static int provider_check_abspath(const char *, char *, size_t);

static const struct provider_key provider_oauthtest_keys[] = {
	PROVIDER_OAUTH_KEYS,
	{ NULL, 0, NULL, NULL }
};

/* A new provider adds one row here and its key table above. */
static const struct provider provider_table[] = {
	{ "localdir", provider_localdir_keys },
	{ "oauthtest", provider_oauthtest_keys },
};

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

/* provider_check_abspath - an absolute path */
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
