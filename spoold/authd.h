/*
 * authd.h - cloudspool-authd's state and the pieces of its request flow.
 *
 * authd faces the network and holds no spool key and no vault key: only
 * the vault's public key (to seal grants and events), its TLS key, the
 * OAuth client secrets, and its own state folder.
 */
#ifndef CS_AUTHD_H
#define CS_AUTHD_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include "config.h"
#include "crypto.h"
#include "oauth.h"
#include "result.h"

#define AUTHD_DEVICE_MAX 4		/* device flows at once, in all */
#define AUTHD_DEVICE_PER_UID 1		/* and per user */

struct authd {
	struct cs_config cfg;
	int consent_dirfd;		/* SPOOL/consent: requests (read only) */
	int grants_dirfd;		/* SPOOL/grants: where we drop */
	int used_dirfd;			/* STATE/used: link hashes, O_EXCL */
	int pending_dirfd;		/* STATE/pending: state -> PKCE */
	int claimed_dirfd;		/* STATE/claimed: consumed states */
	uint8_t vault_pk[CS_X25519_LEN];
	char **client_secrets;		/* per destination, read as root at
					 * start (NULL entry: none) */
	int64_t state_lifetime;		/* seconds a state stays usable */
	int64_t (*now)(void);		/* the wall clock (tests move it) */
	int sock_fd;			/* device_socket, listening; -1: none */
	pthread_mutex_t flows_lock;	/* guards the two below */
	unsigned nflows;		/* device flows running */
	uint32_t flow_uid[AUTHD_DEVICE_MAX];	/* their users' uids */
};

/* What a handler answers: status, a page key, and where to redirect. */
enum authd_page {
	AUTHD_PAGE_REDIRECT,		/* 302 to location */
	AUTHD_PAGE_DONE,		/* consent recorded */
	AUTHD_PAGE_BAD_LINK,		/* malformed or unknown link */
	AUTHD_PAGE_LINK_USED,		/* link already used */
	AUTHD_PAGE_LINK_EXPIRED,	/* hold over */
	AUTHD_PAGE_BAD_STATE,		/* forged or unknown state */
	AUTHD_PAGE_STATE_USED,		/* replayed callback */
	AUTHD_PAGE_STATE_EXPIRED,
	AUTHD_PAGE_DECLINED,		/* the user said no at the provider */
	AUTHD_PAGE_FAILED,		/* exchange failed, or our error */
	AUTHD_PAGE_NOT_FOUND
};

struct authd_answer {
	unsigned status;
	enum authd_page page;
	char *location;			/* AUTHD_PAGE_REDIRECT only; malloc'd */
};

/* authd_authorize - GET /authorize?t=TOKEN */
void authd_authorize(struct authd *a, const char *token, const char *remote,
    struct authd_answer *ans);

/* authd_callback - GET /callback?code&state (or error&state) */
void authd_callback(struct authd *a, const char *code, const char *state,
    const char *error, const char *remote, struct authd_answer *ans);

/* authd_event - seal an audit event to the daemon (grants folder) */
void authd_event(struct authd *a, const char *event, const char *reason,
    const char *user, const char *destination, const char *remote);

/* authd_load_secrets - read every destination's client_secret_file
 * while still root, so the files can stay root:cloudspool 0640 (the
 * daemon's refresh reads them too) and authd's own user never needs read
 * access; a badly protected file stops authd with why */
#define AUTHD_SECRET_MAX 1024
cs_result authd_load_secrets(struct authd *a, char *why, size_t whylen);

/* authd_free_secrets - wipe and free them */
void authd_free_secrets(struct authd *a);

/* authd_client - the OAuth client of destination name (it must have a
 * token_url); secret receives its client secret (wipe after use) */
cs_result authd_client(struct authd *a, const char *name,
    struct cs_oauth_client *c, char *secret, size_t cap, char *redirect,
    size_t rcap);

/* authd_sock_open - create and listen on device_socket (mode 0666, owner
 * uid:gid, its folder made 0755 when absent); run before dropping root */
cs_result authd_sock_open(struct authd *a, uid_t uid, gid_t gid, char *why,
    size_t whylen);

/* authd_sock_start - serve the socket in a thread of its own */
cs_result authd_sock_start(struct authd *a);

/* authd_device_begin - start a device flow for uid's request on fd (a
 * connected socket, owned from here on) in a thread of its own, unless
 * AUTHD_DEVICE_MAX flows run or uid has one: then an error line */
void authd_device_begin(struct authd *a, int fd, uint32_t uid,
    const char *destination);

/* authd_send_line - the whole of line on fd, never raising SIGPIPE */
int authd_send_line(int fd, const char *line);

/* authd_page_title, authd_page_text - a page's words in language lang
 * ("fr", "en", ...: lib/l10n.c; English when there is no catalog) */
const char *authd_page_title(enum authd_page p, const char *lang);
const char *authd_page_text(enum authd_page p, const char *lang);

/* authd_http_start - serve HTTPS until a signal; returns an exit code */
int authd_http_run(struct authd *a, const char *cert_pem, const char *key_pem);

#endif
