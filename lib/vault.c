/*
 * vault.c - the token vault with a key file (vault.h); the PKCS#11 way of
 * holding the same secret is in vault_p11.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "safefile.h"
#include "vault.h"

#define VAULT_MAGIC "CSVAULT1"
#define VAULT_KEY_MAGIC "CSVKEY01"
#define VAULT_PUB_MAGIC "CSVPUB01"
#define VAULT_HDR (8 + CS_AEAD_NONCE_LEN)
#define VAULT_AAD_MAX 512
#define VAULT_USER_MAX 256

static const char vault_record_info[] = "cloudspool vault record key v1";

/* cs_vault_from_secret - derive the public key and the record key */
void
cs_vault_from_secret(struct cs_vault *v, int tokens_dirfd,
    const uint8_t sk[CS_X25519_LEN])
{
	uint8_t prk[CS_HASH_LEN];

	memset(v, 0, sizeof(*v));
	v->tokens_dirfd = tokens_dirfd;
	memcpy(v->sk, sk, CS_X25519_LEN);
	cs_x25519_public(v->pk, v->sk);
	/* one secret, two uses: separated by HKDF, so the record key says
	 * nothing about the key grants are sealed to */
	cs_hkdf_extract(NULL, 0, v->sk, sizeof(v->sk), prk);
	(void)cs_hkdf_expand(prk, (const uint8_t *)vault_record_info,
	    sizeof(vault_record_info) - 1, v->record_key,
	    sizeof(v->record_key));
	cs_wipe(prk, sizeof(prk));
}

/* cs_vault_key_create - a fresh secret in a new 0600 file */
cs_result
cs_vault_key_create(int dirfd, const char *name)
{
	uint8_t buf[8 + CS_X25519_LEN];
	cs_result r;
	int fd;

	memcpy(buf, VAULT_KEY_MAGIC, 8);
	if ((r = cs_random(buf + 8, CS_X25519_LEN)) != CS_OK)
		return r;
	if ((r = cs_safe_create(dirfd, name, 0600, &fd)) == CS_OK) {
		r = cs_write_all(fd, buf, sizeof(buf));
		if (r == CS_OK && fsync(fd) < 0)
			r = CS_ERR_IO;
		if (close(fd) < 0 && r == CS_OK)
			r = CS_ERR_IO;
		if (r != CS_OK)
			(void)unlinkat(dirfd, name, 0);
		else
			r = cs_fsync_dir(dirfd);
	}
	cs_wipe(buf, sizeof(buf));
	return r;
}

/* cs_vault_open_file - the key file must be ours and private */
cs_result
cs_vault_open_file(struct cs_vault *v, int tokens_dirfd, int dirfd,
    const char *name)
{
	uint8_t buf[8 + CS_X25519_LEN + 1];
	struct stat st;
	size_t got;
	cs_result r;
	int fd;

	memset(v, 0, sizeof(*v));
	v->tokens_dirfd = -1;
	if ((r = cs_safe_open_read(dirfd, name, geteuid(), &st, &fd)) != CS_OK)
		return r;
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return CS_ERR_UNSAFE;
	}
	r = cs_read_full(fd, buf, sizeof(buf), &got);
	close(fd);
	if (r == CS_OK && (got != sizeof(buf) - 1 ||
	    memcmp(buf, VAULT_KEY_MAGIC, 8) != 0))
		r = CS_ERR_FORMAT;
	if (r == CS_OK)
		cs_vault_from_secret(v, tokens_dirfd, buf + 8);
	cs_wipe(buf, sizeof(buf));
	return r;
}

/* cs_vault_publish - the public key for the sealers */
cs_result
cs_vault_publish(const struct cs_vault *v, int dirfd, const char *name,
    mode_t mode)
{
	uint8_t buf[8 + CS_X25519_LEN];

	memcpy(buf, VAULT_PUB_MAGIC, 8);
	memcpy(buf + 8, v->pk, CS_X25519_LEN);
	return cs_write_file_atomic(dirfd, name, buf, sizeof(buf), mode);
}

/* cs_vault_read_public - read a published public key */
cs_result
cs_vault_read_public(int dirfd, const char *name, uint8_t pk[CS_X25519_LEN])
{
	uint8_t buf[8 + CS_X25519_LEN + 1];
	size_t len;
	cs_result r;

	r = cs_read_small_file(dirfd, name, buf, sizeof(buf), &len);
	if (r == CS_OK && (len != sizeof(buf) - 1 ||
	    memcmp(buf, VAULT_PUB_MAGIC, 8) != 0))
		r = CS_ERR_FORMAT;
	if (r == CS_OK)
		memcpy(pk, buf + 8, CS_X25519_LEN);
	return r;
}

/* cs_vault_close - wipe every secret */
void
cs_vault_close(struct cs_vault *v)
{
	cs_wipe(v->sk, sizeof(v->sk));
	cs_wipe(v->record_key, sizeof(v->record_key));
	memset(v->pk, 0, sizeof(v->pk));
}

/* cs_vault_record_name - "<uid>-<destination>" */
cs_result
cs_vault_record_name(uid_t uid, const char *destination, char *out,
    size_t cap)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-";
	size_t len = strlen(destination);
	int n;

	/* the config already restricts names; checked again because the
	 * name becomes a path component */
	if (len == 0 || len > 64 || strspn(destination, ok) != len ||
	    destination[0] == '.')
		return CS_ERR_INVAL;
	n = snprintf(out, cap, "%" PRIu32 "-%s", (uint32_t)uid, destination);
	return n > 0 && (size_t)n < cap ? CS_OK : CS_ERR_INVAL;
}

/* vault_aad - version, uid, user and destination, each length-prefixed so
 * that no two different triples give the same bytes */
static cs_result
vault_aad(uid_t uid, const char *user, const char *destination,
    uint8_t *aad, size_t *len)
{
	size_t ul = strlen(user), dl = strlen(destination), o = 0;

	if (ul == 0 || ul > VAULT_USER_MAX || dl == 0 || dl > 64)
		return CS_ERR_INVAL;
	memcpy(aad, VAULT_MAGIC, 8);
	o = 8;
	aad[o++] = (uint8_t)(uid >> 24);
	aad[o++] = (uint8_t)(uid >> 16);
	aad[o++] = (uint8_t)(uid >> 8);
	aad[o++] = (uint8_t)uid;
	aad[o++] = (uint8_t)(ul >> 8);
	aad[o++] = (uint8_t)ul;
	memcpy(aad + o, user, ul);
	o += ul;
	aad[o++] = (uint8_t)dl;
	memcpy(aad + o, destination, dl);
	*len = o + dl;
	return CS_OK;
}

/* vault_lock - an exclusive flock on the tokens folder itself, so the
 * daemon, authd's importer and cloudspoolctl (which runs as root and
 * could not open a lock file the daemon created) serialise writes and
 * deletions without a lock file. -1 with errno on failure. */
static int
vault_lock(const struct cs_vault *v)
{
	int fd, saved;

	if ((fd = openat(v->tokens_dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			saved = errno;
			(void)close(fd);
			errno = saved;
			return -1;
		}
	}
	return fd;
}

/* vault_unlock - release and close what vault_lock returned */
static void
vault_unlock(int fd)
{
	(void)close(fd);	/* closing the last fd drops the flock */
}

/* vault_seal_store - seal and replace atomically; the caller holds the
 * vault lock */
static cs_result
vault_seal_store(struct cs_vault *v, uid_t uid, const char *user,
    const char *destination, const uint8_t *data, size_t len)
{
	uint8_t aad[VAULT_AAD_MAX], *rec;
	char name[CS_VAULT_NAME_MAX];
	size_t aad_len, rec_len = VAULT_HDR + len + CS_AEAD_TAG_LEN;
	cs_result r;

	if (len > CS_VAULT_RECORD_MAX)
		return CS_ERR_TOOBIG;
	if ((r = cs_vault_record_name(uid, destination, name,
	    sizeof(name))) != CS_OK ||
	    (r = vault_aad(uid, user, destination, aad, &aad_len)) != CS_OK)
		return r;
	if ((rec = malloc(rec_len)) == NULL)
		return CS_ERR_NOMEM;
	memcpy(rec, VAULT_MAGIC, 8);
	/* random 96-bit nonces: a few records per user, rewritten on
	 * refresh, stay far below the 2^32 messages per key GCM allows */
	if ((r = cs_random(rec + 8, CS_AEAD_NONCE_LEN)) == CS_OK) {
		cs_aead_seal(v->record_key, rec + 8, aad, aad_len, data, len,
		    rec + VAULT_HDR);
		r = cs_write_file_atomic(v->tokens_dirfd, name, rec, rec_len,
		    0600);
	}
	free(rec);
	return r;
}

/* vault_store_locked - seal under the vault lock; must_exist refuses to
 * create the record (a refresh that raced a revocation must not bring the
 * revoked grant back) */
static cs_result
vault_store_locked(struct cs_vault *v, uid_t uid, const char *user,
    const char *destination, const uint8_t *data, size_t len, int must_exist)
{
	cs_result r;
	int lk;

	if ((lk = vault_lock(v)) < 0)
		return cs_errno_result(errno);
	if (must_exist && !cs_vault_has(v, uid, destination))
		r = CS_ERR_NOTFOUND;
	else
		r = vault_seal_store(v, uid, user, destination, data, len);
	vault_unlock(lk);
	return r;
}

/* cs_vault_put - see vault.h */
cs_result
cs_vault_put(struct cs_vault *v, uid_t uid, const char *user,
    const char *destination, const uint8_t *data, size_t len)
{
	return vault_store_locked(v, uid, user, destination, data, len, 0);
}

/* cs_vault_update - see vault.h */
cs_result
cs_vault_update(struct cs_vault *v, uid_t uid, const char *user,
    const char *destination, const uint8_t *data, size_t len)
{
	return vault_store_locked(v, uid, user, destination, data, len, 1);
}

/* vault_read - read and open the record */
static cs_result
vault_read(struct cs_vault *v, uid_t uid, const char *user,
    const char *destination, uint8_t **data, size_t *len)
{
	uint8_t aad[VAULT_AAD_MAX], *rec, *pt;
	char name[CS_VAULT_NAME_MAX];
	size_t aad_len, rec_len;
	cs_result r;

	if ((r = cs_vault_record_name(uid, destination, name,
	    sizeof(name))) != CS_OK ||
	    (r = vault_aad(uid, user, destination, aad, &aad_len)) != CS_OK)
		return r;
	if ((rec = malloc(CS_VAULT_RECORD_MAX + VAULT_HDR + CS_AEAD_TAG_LEN +
	    1)) == NULL)
		return CS_ERR_NOMEM;
	r = cs_read_small_file(v->tokens_dirfd, name, rec, CS_VAULT_RECORD_MAX +
	    VAULT_HDR + CS_AEAD_TAG_LEN, &rec_len);
	if (r == CS_OK && (rec_len < VAULT_HDR + CS_AEAD_TAG_LEN ||
	    memcmp(rec, VAULT_MAGIC, 8) != 0))
		r = CS_ERR_FORMAT;
	if (r != CS_OK) {
		free(rec);
		return r;
	}
	*len = rec_len - VAULT_HDR - CS_AEAD_TAG_LEN;
	/* one more byte, so a caller may NUL-terminate JSON in place */
	if ((pt = malloc(*len + 1)) == NULL) {
		free(rec);
		return CS_ERR_NOMEM;
	}
	r = cs_aead_open(v->record_key, rec + 8, aad, aad_len, rec + VAULT_HDR,
	    rec_len - VAULT_HDR, pt);
	free(rec);
	if (r != CS_OK) {
		free(pt);
		return CS_ERR_AUTH;
	}
	pt[*len] = '\0';
	*data = pt;
	return CS_OK;
}

/* cs_vault_get - open a record; every attempt reaches the audit hook */
cs_result
cs_vault_get(struct cs_vault *v, uid_t uid, const char *user,
    const char *destination, const char *reason, const char *job,
    uint8_t **data, size_t *len)
{
	cs_result r;

	*data = NULL;
	*len = 0;
	if (reason == NULL || *reason == '\0')
		return CS_ERR_INVAL;
	r = vault_read(v, uid, user, destination, data, len);
	if (v->on_read != NULL)
		v->on_read(v->on_read_arg, uid, user, destination, reason, job,
		    r);
	return r;
}

/* cs_vault_has - does the record exist */
int
cs_vault_has(struct cs_vault *v, uid_t uid, const char *destination)
{
	char name[CS_VAULT_NAME_MAX];

	return cs_vault_record_name(uid, destination, name, sizeof(name)) ==
	    CS_OK && faccessat(v->tokens_dirfd, name, F_OK,
	    AT_SYMLINK_NOFOLLOW) == 0;
}

/* cs_vault_delete - shred the record */
cs_result
cs_vault_delete(struct cs_vault *v, uid_t uid, const char *destination)
{
	char name[CS_VAULT_NAME_MAX];
	cs_result r;
	int lk;

	if ((r = cs_vault_record_name(uid, destination, name,
	    sizeof(name))) != CS_OK)
		return r;
	if ((lk = vault_lock(v)) < 0)
		return cs_errno_result(errno);
	if (faccessat(v->tokens_dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		r = errno == ENOENT ? CS_ERR_NOTFOUND : cs_errno_result(errno);
	else
		r = cs_shred(v->tokens_dirfd, name);
	vault_unlock(lk);
	return r;
}
