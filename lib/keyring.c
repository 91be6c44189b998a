/*
 * keyring.c - create, publish, load, list and destroy epoch keys.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyring.h"
#include "safefile.h"

#define KEY_MAGIC "CSKEY\0\0\1"
#define PUB_MAGIC "CSPUB\0\0\1"
#define KEY_FILE_LEN (8 + 8 + 8 + CS_X25519_LEN * 2)
#define PUB_FILE_LEN (8 + 8 + CS_X25519_LEN)

/* be64_put - store big-endian */
static void
be64_put(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* be64_get - load big-endian */
static uint64_t
be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* key_file_name - keys/epoch-<hex>.key */
static void
key_file_name(uint64_t epoch, char *buf, size_t cap)
{
	snprintf(buf, cap, "epoch-%016" PRIx64 ".key", epoch);
}

/* cs_keyring_public - read public/current */
cs_result
cs_keyring_public(int public_dirfd, uint64_t *epoch, uint8_t pk[CS_X25519_LEN])
{
	uint8_t buf[PUB_FILE_LEN + 1];
	size_t len;
	cs_result r;

	r = cs_read_small_file(public_dirfd, "current", buf, sizeof(buf), &len);
	if (r != CS_OK)
		return r;
	if (len != PUB_FILE_LEN || memcmp(buf, PUB_MAGIC, 8) != 0)
		return CS_ERR_FORMAT;
	*epoch = be64_get(buf + 8);
	memcpy(pk, buf + 16, CS_X25519_LEN);
	return CS_OK;
}

/* cs_keyring_load - load one epoch's key pair */
cs_result
cs_keyring_load(int keys_dirfd, uint64_t epoch, struct cs_epoch_key *k)
{
	uint8_t buf[KEY_FILE_LEN + 1];
	char name[64];
	size_t len;
	cs_result r;

	key_file_name(epoch, name, sizeof(name));
	r = cs_read_small_file(keys_dirfd, name, buf, sizeof(buf), &len);
	if (r == CS_OK && (len != KEY_FILE_LEN || memcmp(buf, KEY_MAGIC, 8) ||
	    be64_get(buf + 8) != epoch))
		r = CS_ERR_FORMAT;
	if (r == CS_OK) {
		k->epoch = epoch;
		k->created = (int64_t)be64_get(buf + 16);
		memcpy(k->sk, buf + 24, CS_X25519_LEN);
		memcpy(k->pk, buf + 24 + CS_X25519_LEN, CS_X25519_LEN);
	}
	cs_wipe(buf, sizeof(buf));
	return r;
}

/* info_cmp - ascending epochs for qsort */
static int
info_cmp(const void *a, const void *b)
{
	const struct cs_epoch_info *x = a, *y = b;

	return x->epoch < y->epoch ? -1 : x->epoch > y->epoch;
}

/* cs_keyring_list - every epoch key present, ascending */
cs_result
cs_keyring_list(int keys_dirfd, struct cs_epoch_info *out, size_t cap,
    size_t *n)
{
	struct cs_epoch_key k;
	struct dirent *de;
	DIR *d;
	int fd;
	char *end;
	uint64_t epoch;

	*n = 0;
	if ((fd = dup(keys_dirfd)) < 0)
		return CS_ERR_IO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return CS_ERR_IO;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "epoch-", 6) != 0 ||
		    strlen(de->d_name) != 6 + 16 + 4)
			continue;
		errno = 0;
		epoch = strtoull(de->d_name + 6, &end, 16);
		if (errno != 0 || strcmp(end, ".key") != 0)
			continue;
		if (*n == cap || cs_keyring_load(keys_dirfd, epoch, &k) != CS_OK)
			continue;
		out[*n].epoch = epoch;
		out[*n].created = k.created;
		(*n)++;
		cs_wipe(&k, sizeof(k));
	}
	closedir(d);
	qsort(out, *n, sizeof(*out), info_cmp);
	return CS_OK;
}

/* cs_keyring_create - new key pair: private part first, then publish */
cs_result
cs_keyring_create(int keys_dirfd, int public_dirfd, uint64_t epoch,
    int64_t now)
{
	uint8_t buf[KEY_FILE_LEN], pub[PUB_FILE_LEN];
	uint8_t sk[CS_X25519_LEN], pk[CS_X25519_LEN];
	char name[64];
	cs_result r;

	if ((r = cs_x25519_keygen(sk, pk)) != CS_OK)
		return r;
	memcpy(buf, KEY_MAGIC, 8);
	be64_put(buf + 8, epoch);
	be64_put(buf + 16, (uint64_t)now);
	memcpy(buf + 24, sk, CS_X25519_LEN);
	memcpy(buf + 24 + CS_X25519_LEN, pk, CS_X25519_LEN);
	cs_wipe(sk, sizeof(sk));
	key_file_name(epoch, name, sizeof(name));
	/* Replacing a live epoch key would crypto-shred its jobs by accident. */
	if (faccessat(keys_dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		cs_wipe(buf, sizeof(buf));
		return CS_ERR_EXISTS;
	}
	r = cs_write_file_atomic(keys_dirfd, name, buf, sizeof(buf), 0600);
	cs_wipe(buf, sizeof(buf));
	if (r != CS_OK)
		return r;
	memcpy(pub, PUB_MAGIC, 8);
	be64_put(pub + 8, epoch);
	memcpy(pub + 16, pk, CS_X25519_LEN);
	return cs_write_file_atomic(public_dirfd, "current", pub, sizeof(pub),
	    0640);
}

/* cs_keyring_destroy - shred an epoch's key file */
cs_result
cs_keyring_destroy(int keys_dirfd, uint64_t epoch)
{
	char name[64];

	key_file_name(epoch, name, sizeof(name));
	return cs_shred(keys_dirfd, name);
}
