/*
 * vault-seed.c - puts an access token in a spool's token vault, as a grant
 * accepted by the daemon would, for end-to-end tests of destinations that
 * need consent (tests/e2e/t-deliver-many.sh).
 *
 *   vault-seed SPOOL UID USER DESTINATION < TOKEN.json
 *   vault-seed --read SPOOL UID USER DESTINATION > TOKEN.json
 *
 * --read prints a record back (tests/e2e/t-device.sh keeps the refresh
 * token it held, to show the provider refuses it once revoked).
 * TOKEN.json is what cs_token_to_json writes ({"access_token": ...,
 * "expires_at": N}). Run as the daemon's user (cloudspool) after the daemon
 * has created the vault key (SPOOL/keys/vault.key, made at its first start
 * with an [authorization] section): the key file must be ours and private,
 * exactly as the daemon requires. The real way in is a consent grant through
 * authd (tests/e2e/t-consent.sh); this skips the browser so that delivery
 * tests can run without it.
 *
 * Exit: 0 stored, 1 failure (one line on stderr), 2 usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oauth.h"
#include "safefile.h"
#include "vault.h"

/* seed_fail - one line, exit 1 */
static void __attribute__((noreturn))
seed_fail(const char *what, cs_result r)
{
	fprintf(stderr, "vault-seed: %s: %s\n", what, cs_strerror(r));
	exit(1);
}

/* seed_open - the vault of spool (its key file, as the daemon has it) */
static cs_result
seed_open(const char *spool, struct cs_vault *v)
{
	int root, tokens, keys;
	cs_result r;

	if ((r = cs_safe_open_dir(AT_FDCWD, spool, &root)) != CS_OK)
		return r;
	r = cs_safe_open_dir(root, "tokens", &tokens);
	if (r == CS_OK && (r = cs_safe_open_dir(root, "keys", &keys)) == CS_OK)
		r = cs_vault_open_file(v, tokens, keys, CS_VAULT_KEY_FILE);
	close(root);
	return r;
}

int
main(int argc, char **argv)
{
	char json[CS_VAULT_RECORD_MAX];
	struct cs_vault v;
	struct cs_token t;
	size_t len;
	char *end;
	unsigned long uid;
	int root, tokens, keys, reading = 0;
	uint8_t *data;
	cs_result r;

	if (argc == 6 && strcmp(argv[1], "--read") == 0) {
		reading = 1;
		argv++;
		argc--;
	}
	if (argc != 5) {
		fprintf(stderr, "usage: vault-seed [--read] SPOOL UID USER "
		    "DESTINATION < TOKEN.json\n");
		return 2;
	}
	uid = strtoul(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0') {
		fprintf(stderr, "vault-seed: bad uid '%s'\n", argv[2]);
		return 2;
	}
	if (reading) {
		if ((r = seed_open(argv[1], &v)) != CS_OK)
			seed_fail("the vault", r);
		if ((r = cs_vault_get(&v, (uid_t)uid, argv[3], argv[4], "test",
		    NULL, &data, &len)) != CS_OK)
			seed_fail("reading the record", r);
		(void)fwrite(data, 1, len, stdout);
		cs_wipe(data, len);
		free(data);
		cs_vault_close(&v);
		return 0;
	}
	if ((r = cs_read_full(STDIN_FILENO, json, sizeof(json) - 1, &len)) !=
	    CS_OK)
		seed_fail("reading the token from stdin", r);
	/* refuse what the daemon could not read back */
	if ((r = cs_token_from_json(json, len, &t)) != CS_OK)
		seed_fail("the token on stdin", r);
	cs_token_free(&t);
	if ((r = cs_safe_open_dir(AT_FDCWD, argv[1], &root)) != CS_OK)
		seed_fail(argv[1], r);
	if ((r = cs_safe_open_dir(root, "tokens", &tokens)) != CS_OK)
		seed_fail("SPOOL/tokens (start the daemon once first)", r);
	if ((r = cs_safe_open_dir(root, "keys", &keys)) != CS_OK)
		seed_fail("SPOOL/keys", r);
	if ((r = cs_vault_open_file(&v, tokens, keys, CS_VAULT_KEY_FILE)) !=
	    CS_OK)
		seed_fail("SPOOL/keys/" CS_VAULT_KEY_FILE, r);
	r = cs_vault_put(&v, (uid_t)uid, argv[3], argv[4],
	    (const uint8_t *)json, len);
	cs_wipe(json, sizeof(json));
	cs_vault_close(&v);
	if (r != CS_OK)
		seed_fail("storing the record", r);
	close(keys);
	close(tokens);
	close(root);
	return 0;
}
