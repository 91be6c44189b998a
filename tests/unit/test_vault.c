/*
 * test_vault.c - the token vault and the consent hand-over: a record opens
 * only under its own uid, user and destination (copied between users or
 * destinations it fails), a changed byte fails, every read reaches the
 * audit hook with its reason and job, delete shreds; the key file must be
 * private; consent requests store only the link's hash; sealed grants open
 * only with the vault secret and not after tampering.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "scratch.h"

#include "consent.h"
#include "safefile.h"
#include "vault.h"

struct fix {
	struct scratch sc;
	struct cs_vault v;
	int reads;
	char last_reason[64];
	char last_job[64];
	cs_result last_r;
};

/* on_read - the audit hook under test */
static void
on_read(void *arg, uid_t uid, const char *user, const char *dest,
    const char *reason, const char *job, cs_result r)
{
	struct fix *f = arg;

	(void)uid;
	(void)user;
	(void)dest;
	f->reads++;
	snprintf(f->last_reason, sizeof(f->last_reason), "%s", reason);
	snprintf(f->last_job, sizeof(f->last_job), "%s", job ? job : "-");
	f->last_r = r;
}

/* setup - a scratch folder with a fresh vault key */
static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	scratch_make(&f->sc, "vault");
	assert_int_equal(cs_vault_key_create(f->sc.dirfd, CS_VAULT_KEY_FILE),
	    CS_OK);
	assert_int_equal(cs_vault_open_file(&f->v, f->sc.dirfd, f->sc.dirfd,
	    CS_VAULT_KEY_FILE), CS_OK);
	f->v.on_read = on_read;
	f->v.on_read_arg = f;
	*state = f;
	return 0;
}

/* teardown - wipe and remove */
static int
teardown(void **state)
{
	struct fix *f = *state;

	cs_vault_close(&f->v);
	scratch_remove(&f->sc);
	free(f);
	return 0;
}

/* put_then_get_returns_the_token - and the read is audited */
static void
put_then_get_returns_the_token(void **state)
{
	struct fix *f = *state;
	uint8_t *data;
	size_t len;

	assert_int_equal(cs_vault_put(&f->v, 1001, "alice", "gdrive",
	    (const uint8_t *)"{\"t\":1}", 7), CS_OK);
	assert_int_equal(cs_vault_get(&f->v, 1001, "alice", "gdrive",
	    "delivery", "job-1", &data, &len), CS_OK);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "{\"t\":1}", 7);
	free(data);
	assert_int_equal(f->reads, 1);
	assert_string_equal(f->last_reason, "delivery");
	assert_string_equal(f->last_job, "job-1");
	assert_int_equal(f->last_r, CS_OK);
	/* a read with no reason is refused before it happens */
	assert_int_equal(cs_vault_get(&f->v, 1001, "alice", "gdrive", "", NULL,
	    &data, &len), CS_ERR_INVAL);
}

/* copy_file - cp src dst within the folder */
static void
copy_file(int dirfd, const char *src, const char *dst)
{
	char buf[4096];
	size_t len;
	int fd;

	assert_int_equal(cs_read_small_file(dirfd, src, buf, sizeof(buf),
	    &len), CS_OK);
	assert_true((fd = openat(dirfd, dst, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* record_copied_to_another_user_fails - uid and name are bound */
static void
record_copied_to_another_user_fails(void **state)
{
	struct fix *f = *state;
	uint8_t *data;
	size_t len;

	assert_int_equal(cs_vault_put(&f->v, 1002, "bob", "gdrive",
	    (const uint8_t *)"bob's", 5), CS_OK);
	copy_file(f->sc.dirfd, "1002-gdrive", "1001-gdrive");
	assert_int_equal(cs_vault_get(&f->v, 1001, "alice", "gdrive", "d",
	    "j", &data, &len), CS_ERR_AUTH);
	assert_null(data);
	assert_int_equal(f->last_r, CS_ERR_AUTH);
	/* same uid, other name (a renamed account): refused as well */
	assert_int_equal(cs_vault_get(&f->v, 1002, "mallory", "gdrive", "d",
	    "j", &data, &len), CS_ERR_AUTH);
	/* other destination */
	copy_file(f->sc.dirfd, "1002-gdrive", "1002-onedrive");
	assert_int_equal(cs_vault_get(&f->v, 1002, "bob", "onedrive", "d",
	    "j", &data, &len), CS_ERR_AUTH);
}

/* tampered_record_fails - any changed byte */
static void
tampered_record_fails(void **state)
{
	struct fix *f = *state;
	uint8_t buf[4096], *data;
	size_t len, i;

	assert_int_equal(cs_vault_put(&f->v, 7, "carol", "d1",
	    (const uint8_t *)"secret-token", 12), CS_OK);
	assert_int_equal(cs_read_small_file(f->sc.dirfd, "7-d1", buf,
	    sizeof(buf), &len), CS_OK);
	assert_null(memmem(buf, len, "secret-token", 12));
	for (i = 8; i < len; i += 7) {
		buf[i] ^= 0x01;
		assert_int_equal(cs_write_file_atomic(f->sc.dirfd, "7-d1", buf,
		    len, 0600), CS_OK);
		assert_int_equal(cs_vault_get(&f->v, 7, "carol", "d1", "d",
		    NULL, &data, &len), CS_ERR_AUTH);
		assert_int_equal(cs_read_small_file(f->sc.dirfd, "7-d1", buf,
		    sizeof(buf), &len), CS_OK);
		buf[i] ^= 0x01;
	}
}

/* another_vault_key_cannot_open - the key is the key */
static void
another_vault_key_cannot_open(void **state)
{
	struct fix *f = *state;
	struct cs_vault other;
	uint8_t *data;
	size_t len;

	assert_int_equal(cs_vault_put(&f->v, 5, "dave", "d", (const uint8_t *)
	    "x", 1), CS_OK);
	assert_int_equal(cs_vault_key_create(f->sc.dirfd, "other.key"), CS_OK);
	assert_int_equal(cs_vault_open_file(&other, f->sc.dirfd, f->sc.dirfd,
	    "other.key"), CS_OK);
	assert_int_equal(cs_vault_get(&other, 5, "dave", "d", "d", NULL, &data,
	    &len), CS_ERR_AUTH);
	cs_vault_close(&other);
}

/* delete_shreds_the_record - then it is not found */
static void
delete_shreds_the_record(void **state)
{
	struct fix *f = *state;
	uint8_t *data;
	size_t len;

	assert_int_equal(cs_vault_put(&f->v, 9, "erin", "d", (const uint8_t *)
	    "x", 1), CS_OK);
	assert_true(cs_vault_has(&f->v, 9, "d"));
	assert_int_equal(cs_vault_delete(&f->v, 9, "d"), CS_OK);
	assert_false(cs_vault_has(&f->v, 9, "d"));
	assert_int_equal(cs_vault_get(&f->v, 9, "erin", "d", "d", NULL, &data,
	    &len), CS_ERR_NOTFOUND);
	assert_int_equal(cs_vault_delete(&f->v, 9, "d"), CS_ERR_NOTFOUND);
	assert_int_equal(cs_vault_put(&f->v, 9, "erin", "../x",
	    (const uint8_t *)"x", 1), CS_ERR_INVAL);
}

/* update_never_recreates - a refresh that lost the race to a revocation
 * writes nothing; an update of a live record replaces it */
static void
update_never_recreates(void **state)
{
	struct fix *f = *state;
	uint8_t *data;
	size_t len;

	assert_int_equal(cs_vault_update(&f->v, 9, "erin", "d",
	    (const uint8_t *)"new", 3), CS_ERR_NOTFOUND);
	assert_false(cs_vault_has(&f->v, 9, "d"));
	assert_int_equal(cs_vault_put(&f->v, 9, "erin", "d", (const uint8_t *)
	    "old", 3), CS_OK);
	assert_int_equal(cs_vault_update(&f->v, 9, "erin", "d",
	    (const uint8_t *)"new", 3), CS_OK);
	assert_int_equal(cs_vault_get(&f->v, 9, "erin", "d", "d", NULL, &data,
	    &len), CS_OK);
	assert_memory_equal(data, "new", 3);
	free(data);
	assert_int_equal(cs_vault_delete(&f->v, 9, "d"), CS_OK);
	assert_int_equal(cs_vault_update(&f->v, 9, "erin", "d",
	    (const uint8_t *)"newer", 5), CS_ERR_NOTFOUND);
	assert_false(cs_vault_has(&f->v, 9, "d"));
}

/* key_file_must_be_private - group-readable or replaced: refused */
static void
key_file_must_be_private(void **state)
{
	struct fix *f = *state;
	struct cs_vault v;

	assert_int_equal(cs_vault_key_create(f->sc.dirfd, CS_VAULT_KEY_FILE),
	    CS_ERR_EXISTS);
	assert_int_equal(fchmodat(f->sc.dirfd, CS_VAULT_KEY_FILE, 0640, 0), 0);
	assert_int_equal(cs_vault_open_file(&v, f->sc.dirfd, f->sc.dirfd,
	    CS_VAULT_KEY_FILE), CS_ERR_UNSAFE);
}

/* public_key_round_trips - what authd seals to */
static void
public_key_round_trips(void **state)
{
	struct fix *f = *state;
	uint8_t pk[CS_X25519_LEN];

	assert_int_equal(cs_vault_publish(&f->v, f->sc.dirfd, CS_VAULT_PUB_FILE,
	    0644), CS_OK);
	assert_int_equal(cs_vault_read_public(f->sc.dirfd, CS_VAULT_PUB_FILE,
	    pk), CS_OK);
	assert_memory_equal(pk, f->v.pk, sizeof(pk));
}

/* consent_request_stores_only_the_hash - the link is not on disk */
static void
consent_request_stores_only_the_hash(void **state)
{
	struct fix *f = *state;
	struct cs_consent_req req = { .user = "alice", .uid = 1001,
	    .destination = "gdrive", .expires_at = 5000 }, got;
	char token[CS_LINK_TOKEN_LEN + 1], hex[CS_LINK_HASH_HEX + 1];
	char found[CS_LINK_HASH_HEX + 1], buf[2048];
	size_t len;

	assert_int_equal(cs_consent_request_create(f->sc.dirfd, 0640, &req,
	    token), CS_OK);
	assert_int_equal(strlen(token), CS_LINK_TOKEN_LEN);
	assert_int_equal(cs_consent_hash_hex(token, hex), CS_OK);
	assert_int_equal(cs_read_small_file(f->sc.dirfd, hex, buf, sizeof(buf),
	    &len), CS_OK);
	assert_null(memmem(buf, len, token, CS_LINK_TOKEN_LEN));
	assert_int_equal(cs_consent_request_read(f->sc.dirfd, hex, &got),
	    CS_OK);
	assert_string_equal(got.user, "alice");
	assert_int_equal(got.uid, 1001);
	assert_int_equal(got.expires_at, 5000);
	assert_int_equal(cs_consent_request_find(f->sc.dirfd, 1001, "gdrive",
	    4999, found), CS_OK);
	assert_string_equal(found, hex);
	assert_int_equal(cs_consent_request_find(f->sc.dirfd, 1001, "gdrive",
	    5000, found), CS_ERR_NOTFOUND);
	assert_int_equal(cs_consent_request_find(f->sc.dirfd, 1002, "gdrive",
	    0, found), CS_ERR_NOTFOUND);
	assert_int_equal(cs_consent_hash_hex("short", hex), CS_ERR_INVAL);
	assert_int_equal(cs_consent_request_read(f->sc.dirfd, "../etc", &got),
	    CS_ERR_INVAL);
}

/* grant_opens_with_the_vault_secret_only - and not after tampering */
static void
grant_opens_with_the_vault_secret_only(void **state)
{
	struct fix *f = *state;
	uint8_t *sealed, other_sk[CS_X25519_LEN], other_pk[CS_X25519_LEN];
	size_t len;
	char *json;

	assert_int_equal(cs_grant_seal(f->v.pk, "{\"kind\":\"grant\"}",
	    &sealed, &len), CS_OK);
	assert_int_equal(cs_grant_open(f->v.sk, sealed, len, &json), CS_OK);
	assert_string_equal(json, "{\"kind\":\"grant\"}");
	free(json);
	assert_int_equal(cs_x25519_keygen(other_sk, other_pk), CS_OK);
	assert_int_equal(cs_grant_open(other_sk, sealed, len, &json),
	    CS_ERR_AUTH);
	sealed[len - 20] ^= 1;
	assert_int_equal(cs_grant_open(f->v.sk, sealed, len, &json),
	    CS_ERR_AUTH);
	assert_null(json);
	free(sealed);
	assert_int_equal(cs_grant_drop(f->sc.dirfd, f->v.pk, "{}"), CS_OK);
	assert_true(cs_grant_name_ok("g-0123456789abcdef0123456789abcdef"));
	assert_false(cs_grant_name_ok(".g-0123456789abcdef0123456789abcdef.tmp"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(put_then_get_returns_the_token),
		T(record_copied_to_another_user_fails),
		T(tampered_record_fails),
		T(another_vault_key_cannot_open),
		T(delete_shreds_the_record),
		T(update_never_recreates),
		T(key_file_must_be_private),
		T(public_key_round_trips),
		T(consent_request_stores_only_the_hash),
		T(grant_opens_with_the_vault_secret_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
