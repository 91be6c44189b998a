/*
 * ctl_vault.c - "cloudspoolctl vault-wrap --pkcs11-url URL --pin-file F
 * [--keep-key-file]": move the token vault's secret into a PKCS#11 token.
 *
 * The secret of keys/vault.key (made by the daemon at its first start with
 * an [authorization] section, or here when there is none and the vault is
 * empty) is wrapped under the RSA public key of the token's private key
 * URL into keys/vault.wrapped (lib/vault_p11.c). Before anything is
 * removed the wrapped file is unwrapped through the token and must give
 * the same vault (same public key): a wrong key or PIN leaves everything
 * as it was. Then keys/vault.key is shredded, since a key file beside the
 * wrapped one would make the token pointless; --keep-key-file keeps it
 * (for a backup the admin takes away at once).
 *
 * The admin then sets pkcs11_url and pkcs11_pin_file in [authorization]
 * and restarts cloudspoold. Until then the daemon refuses to start: it
 * will not make a new, empty vault beside a wrapped one (grants.c).
 *
 * Runs as the daemon user (the PIN file and the token must be readable by
 * it, as the daemon needs them), under the spool lock, audited
 * "vault-wrapped".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ctl.h"
#include "log.h"
#include "safefile.h"
#include "vault.h"

#define VAULT_WRAPPED_FILE "vault.wrapped"

struct vault_wrap_args {
	const char *url;
	const char *pin_file;
	int keep_key_file;
};

/* vault_wrap_parse - the options; the config's pkcs11_url and
 * pkcs11_pin_file when not given; EX_USAGE when no URL is known */
static int
vault_wrap_parse(struct ctl *c, int argc, char **argv,
    struct vault_wrap_args *a)
{
	int i;

	a->url = c->cfg.auth.pkcs11_url;
	a->pin_file = c->cfg.auth.pkcs11_pin_file;
	a->keep_key_file = 0;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--pkcs11-url") == 0 && i + 1 < argc)
			a->url = argv[++i];
		else if (strcmp(argv[i], "--pin-file") == 0 && i + 1 < argc)
			a->pin_file = argv[++i];
		else if (strcmp(argv[i], "--keep-key-file") == 0)
			a->keep_key_file = 1;
		else
			return ctl_usage();
	}
	if (a->url == NULL || strncmp(a->url, "pkcs11:", 7) != 0) {
		cs_log(LOG_ERR, "vault-wrap needs --pkcs11-url pkcs11:... (or "
		    "pkcs11_url in [authorization])");
		return EX_USAGE;
	}
	return EX_OK;
}

/* vault_read_pin - the PIN file's first line into pin ("" without one) */
static int
vault_read_pin(const char *path, char *pin, size_t cap)
{
	size_t len;
	cs_result r;

	pin[0] = '\0';
	if (path == NULL)
		return EX_OK;
	if ((r = cs_read_small_file(AT_FDCWD, path, pin, cap - 1, &len)) !=
	    CS_OK) {
		cs_log(LOG_ERR, "PIN file %.200s: %s", path, cs_strerror(r));
		return ctl_exit_code(r);
	}
	pin[len] = '\0';
	pin[strcspn(pin, "\r\n")] = '\0';
	return EX_OK;
}

/* vault_tokens_empty - 1 when SPOOL/tokens holds no record (or is not
 * there): only then may a brand-new vault secret be made */
static int
vault_tokens_empty(struct ctl *c)
{
	struct dirent *de;
	DIR *dir;
	int fd, empty = 1;

	if (cs_safe_open_dir(c->sp.root, "tokens", &fd) != CS_OK)
		return 1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (empty && (de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			empty = 0;
	closedir(dir);
	return empty;
}

/* vault_wrap_source - keys/vault.key, made now for an empty vault;
 * *made says so */
static int
vault_wrap_source(struct ctl *c, int kfd, int *made)
{
	struct stat st;
	cs_result r;

	*made = 0;
	if (c->cfg.auth.vault_key != NULL) {
		cs_log(LOG_ERR, "[authorization] vault_key is set: vault-wrap "
		    "wraps the spool's keys/%s only", CS_VAULT_KEY_FILE);
		return EX_CONFIG;
	}
	if (fstatat(kfd, VAULT_WRAPPED_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		cs_log(LOG_ERR, "keys/%s exists: the vault is already wrapped "
		    "(remove it first to wrap under another key)",
		    VAULT_WRAPPED_FILE);
		return EX_CANTCREAT;
	}
	if (fstatat(kfd, CS_VAULT_KEY_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return EX_OK;
	if (errno != ENOENT) {
		cs_log(LOG_ERR, "keys/%s: %s", CS_VAULT_KEY_FILE,
		    strerror(errno));
		return EX_IOERR;
	}
	/* no key and no records: a new vault, never a replacement for a
	 * key that went missing while records still need it */
	if (!vault_tokens_empty(c)) {
		cs_log(LOG_ERR, "keys/%s is missing but tokens/ has records: "
		    "refusing to make a new vault key", CS_VAULT_KEY_FILE);
		return EX_DATAERR;
	}
	if ((r = cs_vault_key_create(kfd, CS_VAULT_KEY_FILE)) != CS_OK) {
		cs_log(LOG_ERR, "making keys/%s: %s", CS_VAULT_KEY_FILE,
		    cs_strerror(r));
		return ctl_exit_code(r);
	}
	*made = 1;
	return EX_OK;
}

/* vault_wrap_verify - unwrap through the token: the same public key as
 * the key file's, or the wrapped file goes */
static int
vault_wrap_verify(int kfd, const struct vault_wrap_args *a, const char *pin)
{
	struct cs_vault file, token;
	char why[256] = "";
	cs_result r;
	int same;

	if ((r = cs_vault_open_file(&file, -1, kfd, CS_VAULT_KEY_FILE)) !=
	    CS_OK) {
		cs_log(LOG_ERR, "keys/%s: %s", CS_VAULT_KEY_FILE,
		    cs_strerror(r));
		return ctl_exit_code(r);
	}
	r = cs_vault_open_p11(&token, -1, kfd, VAULT_WRAPPED_FILE, a->url,
	    pin[0] ? pin : NULL, why, sizeof(why));
	same = r == CS_OK && memcmp(file.pk, token.pk, sizeof(file.pk)) == 0;
	cs_vault_close(&file);
	if (r == CS_OK)
		cs_vault_close(&token);
	if (same)
		return EX_OK;
	(void)unlinkat(kfd, VAULT_WRAPPED_FILE, 0);
	cs_log(LOG_ERR, "the wrapped key does not unwrap to the vault's "
	    "secret (%s): keys/%s removed, nothing changed", r != CS_OK ? why :
	    "different key", VAULT_WRAPPED_FILE);
	return EX_SOFTWARE;
}

/* vault_wrap_locked - wrap, verify, shred; under the spool lock */
static int
vault_wrap_locked(struct ctl *c, const struct vault_wrap_args *a,
    const char *pin, const char **key_file)
{
	int kfd = c->sp.dir[CS_DIR_KEYS], made, st;
	char why[256] = "";
	cs_result r;

	if ((st = vault_wrap_source(c, kfd, &made)) != EX_OK)
		return st;
	r = cs_vault_p11_wrap(kfd, CS_VAULT_KEY_FILE, a->url, pin[0] ? pin :
	    NULL, VAULT_WRAPPED_FILE, why, sizeof(why));
	if (r != CS_OK) {
		cs_log(LOG_ERR, "%s", why[0] ? why : cs_strerror(r));
		st = ctl_exit_code(r);
	} else
		st = vault_wrap_verify(kfd, a, pin);
	if (st != EX_OK) {
		if (made)	/* a vault that never held anything */
			(void)unlinkat(kfd, CS_VAULT_KEY_FILE, 0);
		return st;
	}
	*key_file = "kept";
	if (!a->keep_key_file) {
		if ((r = cs_shred(kfd, CS_VAULT_KEY_FILE)) != CS_OK) {
			cs_log(LOG_ERR, "shredding keys/%s: %s (the vault is "
			    "wrapped; remove it by hand)", CS_VAULT_KEY_FILE,
			    cs_strerror(r));
			return ctl_exit_code(r);
		}
		*key_file = "shredded";
	}
	return EX_OK;
}

/* ctl_vault_wrap - see ctl.h */
int
ctl_vault_wrap(struct ctl *c, int argc, char **argv)
{
	struct vault_wrap_args a;
	const char *key_file = "untouched";
	char pin[256], url[512];
	cs_result r;
	int lockfd, st, ast;

	if ((st = vault_wrap_parse(c, argc, argv, &a)) != EX_OK ||
	    (st = vault_read_pin(a.pin_file, pin, sizeof(pin))) != EX_OK)
		return st;
	if ((r = cs_spool_lock(&c->sp, &lockfd)) != CS_OK) {
		cs_wipe(pin, sizeof(pin));
		cs_log(LOG_ERR, "spool lock: %s", cs_strerror(r));
		return ctl_exit_code(r);
	}
	st = vault_wrap_locked(c, &a, pin, &key_file);
	cs_wipe(pin, sizeof(pin));
	/* the trail gets the URL without its query: RFC 7512 lets one
	 * carry pin-value */
	(void)snprintf(url, sizeof(url), "%.*s", (int)strcspn(a.url, "?"),
	    a.url);
	ast = ctl_audit_event(c, "vault-wrapped", json_pack("{s:s, s:s, s:s}",
	    "pkcs11_url", url, "key_file", key_file, "result",
	    st == EX_OK ? "ok" : "failed"));
	cs_spool_unlock(lockfd);
	if (st != EX_OK)
		return st;
	printf("vault key wrapped under %s into %s/keys/%s; keys/%s %s\n"
	    "now set pkcs11_url and pkcs11_pin_file in [authorization] and "
	    "restart cloudspoold\n", url, c->cfg.spool_dir,
	    VAULT_WRAPPED_FILE, CS_VAULT_KEY_FILE, key_file);
	return ast;
}
