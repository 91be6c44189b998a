/*
 * config_auth.c - the [authorization] section: the consent callback
 * server (authd), the token vault's key, and how email reaches users.
 *
 * Keys are a table of (name, kind, field); config_check.c routes the
 * section's keys here and calls config_auth_check at its end, which also
 * fills the defaults. Secrets are never values here: the SMTP password
 * and the PKCS#11 PIN are files named by *_file keys.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"


enum auth_kind { AUTH_TEXT, AUTH_PATH, AUTH_PORT, AUTH_HTTPS, AUTH_SMTP,
    AUTH_RULE, AUTH_LOCALE };

struct auth_key {
	const char *key;
	enum auth_kind kind;
	size_t off;
};

#define AKEY(k, kind, f) { k, kind, offsetof(struct cs_auth_config, f) }

static const struct auth_key auth_keys[] = {
	AKEY("callback_url", AUTH_HTTPS, callback_url),
	AKEY("listen", AUTH_TEXT, listen),
	AKEY("port", AUTH_PORT, port),
	AKEY("cert_file", AUTH_PATH, cert_file),
	AKEY("key_file", AUTH_PATH, key_file),
	AKEY("auth_user", AUTH_TEXT, auth_user),
	AKEY("state_dir", AUTH_PATH, state_dir),
	AKEY("vault_key", AUTH_PATH, vault_key),
	AKEY("pkcs11_url", AUTH_TEXT, pkcs11_url),
	AKEY("pkcs11_pin_file", AUTH_PATH, pkcs11_pin_file),
	AKEY("smtp_url", AUTH_SMTP, smtp_url),
	AKEY("smtp_from", AUTH_TEXT, smtp_from),
	AKEY("smtp_user", AUTH_TEXT, smtp_user),
	AKEY("smtp_password_file", AUTH_PATH, smtp_password_file),
	AKEY("smtp_ca_file", AUTH_PATH, smtp_ca_file),
	AKEY("address_rule", AUTH_RULE, address_rule),
	AKEY("address_map", AUTH_PATH, address_map),
	AKEY("default_locale", AUTH_LOCALE, default_locale),
	AKEY("locale_map", AUTH_PATH, locale_map),
	AKEY("device_socket", AUTH_PATH, device_socket),
};

#define AUTH_NKEYS (sizeof(auth_keys) / sizeof(auth_keys[0]))

/* auth_value_ok - 0 when value suits kind, else -1 with why */
static int
auth_value_ok(const struct auth_key *k, const char *value, char *why,
    size_t whylen)
{
	const char *problem = NULL;

	if (*value == '\0')
		problem = "empty value";
	else if (strpbrk(value, " \t") != NULL && k->kind != AUTH_TEXT)
		problem = "no blanks allowed";
	else if (k->kind == AUTH_PATH && *value != '/')
		problem = "must be an absolute path";
	else if (k->kind == AUTH_HTTPS && (strncmp(value, "https://", 8) != 0 ||
	    value[strlen(value) - 1] == '/' || strchr(value + 8, '?') ||
	    strchr(value + 8, '#')))
		problem = "must be https://HOST[:PORT][/PATH] with no trailing "
		    "/, query or fragment (the link and the redirect URI are "
		    "built from it)";
	else if (k->kind == AUTH_SMTP && strncmp(value, "smtp://", 7) != 0 &&
	    strncmp(value, "smtps://", 8) != 0)
		problem = "must be smtp://HOST:PORT (STARTTLS, required) or "
		    "smtps://HOST:PORT";
	else if (k->kind == AUTH_RULE && strcmp(value, "map") != 0 &&
	    strcmp(value, "gecos") != 0 && (strncmp(value, "domain:", 7) != 0 ||
	    value[7] == '\0' || strchr(value + 7, '@') != NULL))
		problem = "must be domain:DOMAIN, map or gecos";
	else if (k->kind == AUTH_LOCALE && strcmp(value, "en") != 0 &&
	    strcmp(value, "fr") != 0)
		problem = "must be en or fr";
	if (problem == NULL)
		return 0;
	(void)snprintf(why, whylen, "bad %s '%s' in [authorization]: %s",
	    k->key, value, problem);
	return -1;
}

/* config_auth_key - store one key of [authorization] */
int
config_auth_key(struct cs_auth_config *a, const char *key, const char *value,
    char *why, size_t whylen)
{
	const struct auth_key *k = NULL;
	char *end, **at;
	unsigned long port;
	size_t i;

	for (i = 0; i < AUTH_NKEYS && k == NULL; i++)
		if (strcmp(auth_keys[i].key, key) == 0)
			k = &auth_keys[i];
	if (k == NULL) {
		(void)snprintf(why, whylen, "unknown key '%s' in "
		    "[authorization]", key);
		return -1;
	}
	if (auth_value_ok(k, value, why, whylen) != 0)
		return -1;
	if (k->kind == AUTH_PORT) {
		port = strtoul(value, &end, 10);
		if (*end != '\0' || value[0] < '0' || value[0] > '9' ||
		    port == 0 || port > 65535) {
			(void)snprintf(why, whylen, "bad port '%s' in "
			    "[authorization] (1 to 65535)", value);
			return -1;
		}
		a->port = port;
		return 0;
	}
	at = (char **)(void *)((char *)a + k->off);
	free(*at);
	if ((*at = strdup(value)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

/* auth_default - set *at to value when unset; -1 when out of memory */
static int
auth_default(char **at, const char *value)
{
	if (*at != NULL)
		return 0;
	return (*at = strdup(value)) == NULL ? -1 : 0;
}

/* config_auth_check - the section as a whole, then its defaults */
int
config_auth_check(const struct cs_auth_config *ca, char *why, size_t whylen)
{
	/* defaults are part of checking: the section is ours alone */
	struct cs_auth_config *a = (struct cs_auth_config *)(uintptr_t)ca;

	if (a->callback_url == NULL) {
		(void)snprintf(why, whylen, "[authorization] needs callback_url "
		    "(e.g. https://scan.example.org:8443)");
		return -1;
	}
	if (a->smtp_url != NULL && (a->smtp_from == NULL ||
	    a->address_rule == NULL)) {
		(void)snprintf(why, whylen, "[authorization] with smtp_url "
		    "needs smtp_from and address_rule");
		return -1;
	}
	if (a->address_rule != NULL && strcmp(a->address_rule, "map") == 0 &&
	    a->address_map == NULL) {
		(void)snprintf(why, whylen, "address_rule = map needs "
		    "address_map");
		return -1;
	}
	if ((a->cert_file == NULL) != (a->key_file == NULL)) {
		(void)snprintf(why, whylen, "[authorization] needs both "
		    "cert_file and key_file, or neither");
		return -1;
	}
	if (a->port == 0)
		a->port = 8443;
	if (auth_default(&a->listen, "127.0.0.1") ||
	    auth_default(&a->auth_user, "cloudspool-auth") ||
	    auth_default(&a->state_dir, "/var/lib/cloudspool-auth") ||
	    auth_default(&a->default_locale, "en") ||
	    auth_default(&a->device_socket, CS_AUTHD_SOCKET_DEFAULT)) {
		(void)snprintf(why, whylen, "out of memory");
		return -1;
	}
	/* sockaddr_un's sun_path is 108 bytes on Linux, NUL included */
	if (strlen(a->device_socket) >= 108) {
		(void)snprintf(why, whylen, "device_socket in [authorization] "
		    "is longer than a UNIX socket path may be (107 bytes)");
		return -1;
	}
	return 0;
}

/* config_auth_free - release every string */
void
config_auth_free(struct cs_auth_config *a)
{
	size_t i;

	for (i = 0; i < AUTH_NKEYS; i++)
		if (auth_keys[i].kind != AUTH_PORT)
			free(*(char **)(void *)((char *)a + auth_keys[i].off));
	memset(a, 0, sizeof(*a));
}
