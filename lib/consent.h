/*
 * consent.h - what the daemon and the callback server (authd) exchange.
 *
 * Requests (SPOOL/consent/, written by the daemon, read by authd): per
 * (user, destination) while a hold lasts, a single-use link token of 256
 * random bits, base64url (43 characters). Only its SHA-256 is stored, as
 * the record's name (64 hex digits); the record says user, uid,
 * destination and expiry (the hold's deadline), as JSON. Someone who can
 * read the folder learns which users wait, never a usable link.
 *
 * Grants (SPOOL/grants/, written by authd and the device-grant CLI, read
 * by the daemon): HPKE base mode to the vault's public key, "CSGRANT1" |
 * enc | ciphertext, info "cloudspool grant v1". The plaintext is JSON:
 *   {"kind":"grant","link":TOKEN,"user":..,"uid":..,"destination":..,
 *    "token":{...}}  - a consent; link is the preimage of a request the
 *                      daemon made, so the daemon accepts it only for that
 *                      request's user and destination;
 *   {"kind":"event","event":NAME,...}  - an audit event from authd, which
 *                      holds no audit key: the daemon writes it to the one
 *                      chain, marked "source":"authd";
 *   {"kind":"device","uid":..,"destination":..,"token":{...}}  - a device
 *                      grant (RFC 8628) asked for by `cloudspool authorize`;
 *                      uid is what authd read with SO_PEERCRED. No link:
 *                      the daemon accepts it only for a destination with a
 *                      device_url (doc/ARCHITECTURE.md says why);
 *   {"kind":"revoke","uid":..,"destination":..}  - `cloudspool revoke`:
 *                      the daemon revokes and shreds that uid's record.
 * Files are named "g-<32 hex>", written atomically (a ".g-*.tmp" is a
 * write in progress, never read).
 */
#ifndef CS_CONSENT_H
#define CS_CONSENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "config.h"
#include "crypto.h"
#include "result.h"

#define CS_LINK_TOKEN_LEN 43
#define CS_LINK_HASH_HEX (2 * CS_HASH_LEN)
#define CS_GRANT_MAX (64 * 1024)

struct cs_consent_req {
	char user[256];
	uint32_t uid;
	char destination[65];
	int64_t expires_at;
};

/* cs_consent_token_new - a fresh 256-bit base64url token (a link or an
 * OAuth state) and the hex SHA-256 it is stored under */
cs_result cs_consent_token_new(char token[CS_LINK_TOKEN_LEN + 1],
    char hex[CS_LINK_HASH_HEX + 1]);

/* cs_consent_hash_hex - hex SHA-256 of a link token (its record's name);
 * CS_ERR_INVAL when token is not 43 base64url characters */
cs_result cs_consent_hash_hex(const char *token,
    char hex[CS_LINK_HASH_HEX + 1]);

/* cs_consent_request_create - a fresh link token for (user, destination)
 * valid until expires_at; its record goes under dirfd with mode */
cs_result cs_consent_request_create(int dirfd, mode_t mode,
    const struct cs_consent_req *req, char token[CS_LINK_TOKEN_LEN + 1]);

/* cs_consent_request_read - the record of hash (hex) */
cs_result cs_consent_request_read(int dirfd, const char *hash,
    struct cs_consent_req *req);

/* cs_consent_request_find - hash of the live request for (uid,
 * destination), if any: CS_ERR_NOTFOUND when none */
cs_result cs_consent_request_find(int dirfd, uint32_t uid,
    const char *destination, int64_t now, char hash[CS_LINK_HASH_HEX + 1]);

/* cs_grant_seal - seal json to the vault's public key; *out malloc'd */
cs_result cs_grant_seal(const uint8_t pk[CS_X25519_LEN], const char *json,
    uint8_t **out, size_t *len);

/* cs_grant_open - open a sealed grant with the vault secret; *json is
 * malloc'd and NUL-terminated (wipe before free) */
cs_result cs_grant_open(const uint8_t sk[CS_X25519_LEN], const uint8_t *in,
    size_t len, char **json);

/* cs_grant_drop - seal json and write it as a new grant file under dirfd */
cs_result cs_grant_drop(int dirfd, const uint8_t pk[CS_X25519_LEN],
    const char *json);

/* cs_grant_name_ok - 1 for "g-<32 hex>" */
int cs_grant_name_ok(const char *name);

enum cs_grant_kind {
	CS_GRANT_LINK,			/* "grant": consent by emailed link */
	CS_GRANT_EVENT,			/* "event": an audit event */
	CS_GRANT_DEVICE,		/* "device": consent by device grant */
	CS_GRANT_REVOKE			/* "revoke": a user's own revocation */
};

/* A grant's plaintext, checked; strings and token are borrowed from the
 * JSON object parsed. Members a kind does not have are NULL or 0. */
struct cs_grant_msg {
	enum cs_grant_kind kind;
	const char *event;		/* EVENT */
	const char *link;		/* LINK */
	const char *user;		/* LINK */
	uint32_t uid;			/* LINK, DEVICE, REVOKE */
	const char *destination;	/* LINK, DEVICE, REVOKE */
	json_t *token;			/* LINK, DEVICE: an object */
};

/* cs_grant_parse - check o as a grant of a known kind with every member
 * that kind needs, of the right type (uid a uid_t, destination a name);
 * CS_ERR_FORMAT with *why otherwise */
cs_result cs_grant_parse(json_t *o, struct cs_grant_msg *m, const char **why);

/* cs_grant_device_json - a "device" grant's plaintext; *out malloc'd
 * (it holds tokens: cs_free_secret it) */
cs_result cs_grant_device_json(uint32_t uid, const char *destination,
    const char *token_json, char **out);

/* cs_grant_revoke_json - a "revoke" request's plaintext; *out malloc'd */
cs_result cs_grant_revoke_json(uint32_t uid, const char *destination,
    char **out);

/* cs_consent_destination - the destination named name when it needs
 * consent (has a token_url); NULL otherwise (consent_kind.c) */
const struct cs_destination *cs_consent_destination(
    const struct cs_config *cfg, const char *name);

/* cs_consent_user_may_send - 1 when an action user may use sends to
 * dest: a device grant for a destination nobody lets the user reach is
 * refused by authd and by the daemon (consent_kind.c) */
int cs_consent_user_may_send(const struct cs_config *cfg, const char *dest,
    const char *user);

#endif
