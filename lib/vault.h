/*
 * vault.h - the token vault: one sealed record per user and destination in
 * SPOOL/tokens/, named "<uid>-<destination>".
 *
 * A record is "CSVAULT1" | 12-byte nonce | AES-256-GCM(token JSON) | tag.
 * The associated data binds the format version, the uid, the user name and
 * the destination, so a record copied or renamed to another user's (or
 * destination's) name fails to open, and so does a changed byte.
 *
 * The vault secret is one X25519 private key. Its public half is what the
 * callback server (authd) and the device-grant CLI seal grants to (HPKE,
 * see consent.h); the record key is HKDF-SHA256(secret, "cloudspool vault
 * record key v1"). The secret lives either in a key file readable only by
 * the daemon (cs_vault_key_create), or wrapped (RSA PKCS#1 v1.5) under a
 * non-extractable RSA key in a PKCS#11 token (vault_p11.c), unwrapped once
 * at start.
 *
 * Every read names a reason and a job id and goes through the on_read hook,
 * which the daemon points at its audit trail.
 */
#ifndef CS_VAULT_H
#define CS_VAULT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "crypto.h"
#include "result.h"

#define CS_VAULT_KEY_FILE "vault.key"
#define CS_VAULT_PUB_FILE "vault.pub"
#define CS_VAULT_RECORD_MAX (32 * 1024)
#define CS_VAULT_NAME_MAX 96

struct cs_vault {
	int tokens_dirfd;		/* SPOOL/tokens, not owned */
	uint8_t sk[CS_X25519_LEN];	/* grants are sealed to its public key */
	uint8_t pk[CS_X25519_LEN];
	uint8_t record_key[CS_AEAD_KEY_LEN];
	/* called on every read attempt, whatever its outcome */
	void (*on_read)(void *arg, uid_t uid, const char *user,
	    const char *destination, const char *reason, const char *job,
	    cs_result r);
	void *on_read_arg;
};

/* cs_vault_key_create - write a fresh secret to name under dirfd (0600,
 * O_EXCL: an existing key is never replaced) */
cs_result cs_vault_key_create(int dirfd, const char *name);

/* cs_vault_from_secret - set up v from a 32-byte secret (wiped by caller) */
void cs_vault_from_secret(struct cs_vault *v, int tokens_dirfd,
    const uint8_t sk[CS_X25519_LEN]);

/* cs_vault_open_file - load the secret from name under dirfd (one link,
 * owned by us, not readable by group or others) */
cs_result cs_vault_open_file(struct cs_vault *v, int tokens_dirfd, int dirfd,
    const char *name);

/* cs_vault_publish - write the public key (32 bytes, "CSVPUB01" first) to
 * name under dirfd with mode, for authd and the CLI */
cs_result cs_vault_publish(const struct cs_vault *v, int dirfd,
    const char *name, mode_t mode);

/* cs_vault_read_public - read what cs_vault_publish wrote */
cs_result cs_vault_read_public(int dirfd, const char *name,
    uint8_t pk[CS_X25519_LEN]);

/* cs_vault_close - wipe every secret */
void cs_vault_close(struct cs_vault *v);

/* cs_vault_record_name - "<uid>-<destination>"; CS_ERR_INVAL for a
 * destination name that is not [A-Za-z0-9_.-]{1,64} */
cs_result cs_vault_record_name(uid_t uid, const char *destination, char *out,
    size_t cap);

/* cs_vault_put - seal data as the record of (uid, user, destination),
 * replacing any previous one atomically */
cs_result cs_vault_put(struct cs_vault *v, uid_t uid, const char *user,
    const char *destination, const uint8_t *data, size_t len);

/* cs_vault_update - like cs_vault_put, but CS_ERR_NOTFOUND (and nothing
 * written) when the record is gone: it was revoked while the caller held
 * the old one */
cs_result cs_vault_update(struct cs_vault *v, uid_t uid, const char *user,
    const char *destination, const uint8_t *data, size_t len);

/* cs_vault_get - open the record; reason and job (NULL job: none) are
 * required for the audit hook. *data is malloc'd (wipe before free).
 * CS_ERR_NOTFOUND when there is none, CS_ERR_AUTH when it does not open. */
cs_result cs_vault_get(struct cs_vault *v, uid_t uid, const char *user,
    const char *destination, const char *reason, const char *job,
    uint8_t **data, size_t *len);

/* cs_vault_has - 1 when a record for (uid, destination) exists; reads
 * nothing of it (no audit needed) */
int cs_vault_has(struct cs_vault *v, uid_t uid, const char *destination);

/* cs_vault_delete - shred the record; CS_ERR_NOTFOUND when none */
cs_result cs_vault_delete(struct cs_vault *v, uid_t uid,
    const char *destination);

/* cs_vault_p11_wrap - wrap the secret of key file keyname under the RSA
 * public key of PKCS#11 private key url (pin: the token's PIN, which a
 * private object needs to be found) into wrapped_name (under dirfd) */
cs_result cs_vault_p11_wrap(int dirfd, const char *keyname, const char *url,
    const char *pin, const char *wrapped_name, char *why, size_t whylen);

/* cs_vault_open_p11 - unwrap wrapped_name with the token's private key
 * (url, a pkcs11: URI; the PIN in pin, may be NULL) and set up v */
cs_result cs_vault_open_p11(struct cs_vault *v, int tokens_dirfd, int dirfd,
    const char *wrapped_name, const char *url, const char *pin, char *why,
    size_t whylen);

#endif
