/*
 * config.h - /etc/cloudspool/cloudspool.conf, parsed with libinih.
 *
 * Sections: [spool], [retention], [destination NAME], [action NAME],
 * [authorization].
 * Unknown sections and keys, bad values and references to undefined
 * destinations are errors that name FILE:LINE. The file holds no secrets:
 * later provider settings that are secret name a file (e.g. *_file keys).
 */
#ifndef CS_CONFIG_H
#define CS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "result.h"

#define CS_CONFIG_DEFAULT_PATH "/etc/cloudspool/cloudspool.conf"
#define CS_AUTHD_SOCKET_DEFAULT "/run/cloudspool/authd.sock"
/* remove_blank = yes: fewer character-sized marks than this is blank */
#define CS_FILTER_BLANK_LEVEL 6

/* page_compression: how `cloudspool scan` and `submit --pages` store
 * pages in the spool (doc/SPOOL-FORMAT.md, PAGE sections) */
#define CS_PAGE_COMP_LOSSLESS 0		/* default: G4 bilevel, Deflate rest */
#define CS_PAGE_COMP_NONE 1		/* raw scanlines (version 1 pages) */
#define CS_PAGE_COMP_JPEG 2		/* G4 bilevel, JPEG gray and colour */
#define CS_PAGE_QUALITY_DEFAULT 90	/* page_quality when not set */

struct cs_setting {
	char *key;
	char *value;
	unsigned line;
};

struct cs_destination {
	char *name;
	char *provider;			/* "localdir" for now */
	struct cs_setting *settings;	/* provider keys, validated per provider */
	size_t nsettings;
	unsigned line;
};

struct cs_action {
	char *name;
	char *description;		/* shown by `cloudspool actions`, may be NULL */
	char *destination_name;
	const struct cs_destination *destination;	/* resolved */
	char **users;			/* "*" means everyone */
	size_t nusers;
	char **groups;
	size_t ngroups;
	char *device;			/* SANE device `scan` uses without -d */
	/* document processing (cloudspool-filter's options) */
	int deskew;			/* deskew = yes|no */
	int despeckle;			/* despeckle = yes|no */
	uint64_t remove_blank;		/* no: 0; yes: the default level; LEVEL */
	int split_blank;		/* split_blank = yes|no */
	uint64_t split_every;		/* pages; 0: no */
	char *split_barcode;		/* separator text (yes: PATCHT); NULL: no */
	char *ocr;			/* LANG[+LANG], each [a-z_]+; NULL: no */
	uint64_t quality;		/* JPEG 1-100; 0: the filter's default */
	int deliver_removed;		/* deliver_removed = yes|no */
	uint64_t jobs;			/* threads, 1-64; 0: the daemon decides */
	int page_compression;		/* CS_PAGE_COMP_*; lossless if unset */
	uint64_t page_quality;		/* JPEG pages 1-100; 0: the default */
	unsigned line;
};

/* [authorization]: consent, the callback server, the vault, email
 * (lib/config_auth.c). Unset strings are NULL. */
struct cs_auth_config {
	int present;			/* the section was given */
	char *callback_url;		/* https://HOST[:PORT], no trailing / */
	char *listen;			/* authd's address; default 127.0.0.1 */
	uint64_t port;			/* authd's port; default 8443 */
	char *cert_file;		/* authd's certificate chain (PEM) */
	char *key_file;			/* its private key (PEM) */
	char *auth_user;		/* authd's user; default cloudspool-auth */
	char *state_dir;		/* authd's own state; default
					 * /var/lib/cloudspool-auth */
	char *vault_key;		/* key file; default SPOOL/keys/vault.key */
	char *pkcs11_url;		/* vault secret wrapped by this key */
	char *pkcs11_pin_file;		/* its PIN, readable by cloudspool */
	char *smtp_url;			/* smtp:// (STARTTLS) or smtps:// */
	char *smtp_from;
	char *smtp_user;
	char *smtp_password_file;
	char *smtp_ca_file;
	char *address_rule;		/* domain:DOMAIN | map | gecos */
	char *address_map;		/* "user address" lines, for map */
	char *default_locale;		/* en or fr; default en */
	char *locale_map;		/* "user locale" lines, optional */
	char *device_socket;		/* authd's UNIX socket for `cloudspool
					 * authorize` and `revoke`; default
					 * CS_AUTHD_SOCKET_DEFAULT */
};

struct cs_config {
	char *path;
	/* [spool] */
	char *spool_dir;		/* directory; default /var/spool/cloudspool */
	char *daemon_user;		/* user; default cloudspool */
	char *drop_group;		/* group; default cloudspool-drop */
	char **trusted_submitters;	/* trusted_submitters; default "root lp" */
	size_t ntrusted;
	uint64_t max_job_size;		/* bytes; default 256M */
	uint64_t max_jobs_per_user;	/* default 100 */
	uint64_t max_pages;		/* pages of one scan; default 1000 */
	uint64_t min_free_space;	/* bytes; default 64M */
	uint64_t tick;			/* seconds; default 5 */
	uint64_t workers;		/* filter processes at once; default: cores */
	/* [retention] */
	uint64_t authorization_hold;	/* seconds; default 24h */
	uint64_t delivery_window;	/* seconds; default 24h */
	uint64_t key_rotation;		/* seconds; default 24h */
	uint64_t retry_initial;		/* seconds; default 60 */
	uint64_t retry_max;		/* seconds; default 1h */
	uint64_t stale_incoming;	/* seconds; default 1h: half-written drop files */
	/* [destination NAME] and [action NAME], in file order */
	struct cs_destination *destinations;
	size_t ndestinations;
	struct cs_action *actions;
	size_t nactions;
	struct cs_auth_config auth;	/* [authorization] */
};

/* cs_config_load - parse and validate path into cfg (zeroed first). On error,
 * err receives one line "FILE:LINE: problem" and cfg is left empty. */
cs_result cs_config_load(const char *path, struct cs_config *cfg, char *err,
    size_t errlen);

/* cs_config_free - release everything cs_config_load allocated */
void cs_config_free(struct cs_config *cfg);

/* cs_config_action - the action named name, or NULL */
const struct cs_action *cs_config_action(const struct cs_config *cfg,
    const char *name);

/* cs_destination_get - a provider setting's value, or NULL when unset */
const char *cs_destination_get(const struct cs_destination *d, const char *key);

/* cs_action_permits - 1 when user (by name; groups looked up through NSS,
 * primary and supplementary) may use the action, 0 otherwise */
int cs_action_permits(const struct cs_action *a, const char *user);

/* cs_config_is_trusted - 1 when user may submit on behalf of others */
int cs_config_is_trusted(const struct cs_config *cfg, const char *user);

/* cs_provider_is_oauth - 1 when a destination of this provider needs the
 * user's OAuth 2.0 consent (gdrive, onedrive, dropbox), 0 otherwise */
int cs_provider_is_oauth(const char *provider);

/* cs_action_filter_args - the action's processing options as
 * cloudspool-filter arguments ("--deskew", "--ocr=eng", ...), in a fixed
 * order, into argv[0..cap); text the arguments need is kept in buf. Returns
 * how many were stored, or SIZE_MAX when argv or buf is too small. */
size_t cs_action_filter_args(const struct cs_action *a, const char **argv,
    size_t cap, char *buf, size_t bufcap);

/* cs_config_parse_yesno - "yes" 1, "no" 0; CS_ERR_INVAL otherwise */
cs_result cs_config_parse_yesno(const char *s, int *out);

/* cs_config_ocr_ok - 1 when s is LANG[+LANG] with each [a-z_]+, shorter
 * than CS_OCR_LANG_MAX */
#define CS_OCR_LANG_MAX 64
int cs_config_ocr_ok(const char *s);

/* cs_parse_size - "123", "64K", "200M", "2G" (binary units) into bytes */
cs_result cs_parse_size(const char *s, uint64_t *out);

/* cs_parse_duration - "90", "90s", "30m", "24h", "2d" into seconds */
cs_result cs_parse_duration(const char *s, uint64_t *out);

#endif
