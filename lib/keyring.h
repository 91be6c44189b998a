/*
 * keyring.h - the spool's key epochs.
 *
 * Each epoch has an X25519 key pair. keys/epoch-<16 hex>.key (0600, daemon
 * only) holds magic, epoch, creation time, secret and public key;
 * public/current holds the newest epoch's number and public key, the only
 * thing the drop helper needs. Destroying an epoch's key file is what
 * crypto-shreds every job sealed to it.
 */
#ifndef CS_KEYRING_H
#define CS_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include "crypto.h"
#include "result.h"

#define CS_KEYRING_MAX 256

struct cs_epoch_key {
	uint64_t epoch;
	int64_t created;
	uint8_t sk[CS_X25519_LEN];
	uint8_t pk[CS_X25519_LEN];
};

struct cs_epoch_info {
	uint64_t epoch;
	int64_t created;
};

/* cs_keyring_public - read public/current */
cs_result cs_keyring_public(int public_dirfd, uint64_t *epoch,
    uint8_t pk[CS_X25519_LEN]);

/* cs_keyring_load - load an epoch's key pair (wipe it after use) */
cs_result cs_keyring_load(int keys_dirfd, uint64_t epoch,
    struct cs_epoch_key *k);

/* cs_keyring_list - every epoch present, ascending */
cs_result cs_keyring_list(int keys_dirfd, struct cs_epoch_info *out,
    size_t cap, size_t *n);

/* cs_keyring_create - make epoch's key pair, store it durably, then publish
 * its public key */
cs_result cs_keyring_create(int keys_dirfd, int public_dirfd, uint64_t epoch,
    int64_t now);

/* cs_keyring_destroy - shred an epoch's key file */
cs_result cs_keyring_destroy(int keys_dirfd, uint64_t epoch);

#endif
