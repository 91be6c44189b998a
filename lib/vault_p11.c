/*
 * vault_p11.c - the vault secret wrapped under a PKCS#11 key, through
 * GnuTLS.
 *
 * GnuTLS's PKCS#11 layer offers private-key operations (sign, decrypt),
 * not symmetric AES in the token. So the token holds an RSA key pair
 * generated inside it with CKA_EXTRACTABLE false and CKA_SENSITIVE true
 * (p11tool --generate-privkey rsa --mark-private, never --mark-extractable:
 * tests/consent checks that --export-key fails); the 32-byte vault secret
 * is wrapped with the RSA public key (PKCS#1 v1.5 encryption) into a file
 * beside the spool keys, and the daemon unwraps it once at start with
 * gnutls_privkey_decrypt_data. Whoever copies the spool and the wrapped
 * file but not the token has nothing; the secret itself is in the daemon's
 * memory only while it runs, as the file-key variant's is.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs11.h>

#include "safefile.h"
#include "vault.h"

#define P11_WRAP_MAGIC "CSVWRP01"
#define P11_WRAP_MAX 1024

/* p11_pin - the PIN callback: the PIN the caller gave, once per token */
static int
p11_pin(void *userdata, int attempt, const char *token_url,
    const char *token_label, unsigned flags, char *pin, size_t pin_max)
{
	const char *given = userdata;

	(void)token_url;
	(void)token_label;
	/* a wrong PIN must not be retried until the token locks itself */
	if (given == NULL || attempt > 0 || (flags & GNUTLS_PIN_WRONG) ||
	    strlen(given) >= pin_max)
		return -1;
	memcpy(pin, given, strlen(given) + 1);
	return 0;
}

/* p11_privkey - import the token's private key by URL */
static cs_result
p11_privkey(const char *url, const char *pin, gnutls_privkey_t *key,
    char *why, size_t whylen)
{
	int rc;

	if ((rc = gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_AUTO, NULL)) < 0) {
		(void)snprintf(why, whylen, "PKCS#11: %s", gnutls_strerror(rc));
		return CS_ERR_CRYPTO;
	}
	gnutls_pkcs11_set_pin_function(p11_pin, (void *)(uintptr_t)pin);
	if ((rc = gnutls_privkey_init(key)) < 0)
		return CS_ERR_NOMEM;
	rc = gnutls_privkey_import_url(*key, url, 0);
	if (rc < 0) {
		(void)snprintf(why, whylen, "PKCS#11 key %s: %s", url,
		    gnutls_strerror(rc));
		gnutls_privkey_deinit(*key);
		return CS_ERR_NOTFOUND;
	}
	return CS_OK;
}

/* cs_vault_p11_wrap - wrap a key file's secret under the token's key */
cs_result
cs_vault_p11_wrap(int dirfd, const char *keyname, const char *url,
    const char *pin, const char *wrapped_name, char *why, size_t whylen)
{
	uint8_t out[8 + P11_WRAP_MAX];
	struct cs_vault v;
	gnutls_privkey_t priv;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t plain, ct = { NULL, 0 };
	cs_result r;
	int rc;

	if ((r = cs_vault_open_file(&v, -1, dirfd, keyname)) != CS_OK) {
		(void)snprintf(why, whylen, "vault key %s: %s", keyname,
		    cs_strerror(r));
		return r;
	}
	/* only the public half is used; the PIN lets the token show the
	 * private object it belongs to */
	if ((r = p11_privkey(url, pin, &priv, why, whylen)) != CS_OK) {
		cs_vault_close(&v);
		return r;
	}
	plain.data = v.sk;
	plain.size = sizeof(v.sk);
	r = CS_ERR_CRYPTO;
	if ((rc = gnutls_pubkey_init(&pub)) < 0 ||
	    (rc = gnutls_pubkey_import_privkey(pub, priv, 0, 0)) < 0 ||
	    (rc = gnutls_pubkey_encrypt_data(pub, 0, &plain, &ct)) < 0)
		(void)snprintf(why, whylen, "wrapping under %s: %s", url,
		    gnutls_strerror(rc));
	else if (ct.size > P11_WRAP_MAX)
		(void)snprintf(why, whylen, "wrapped key too large");
	else {
		memcpy(out, P11_WRAP_MAGIC, 8);
		memcpy(out + 8, ct.data, ct.size);
		r = cs_write_file_atomic(dirfd, wrapped_name, out, 8 + ct.size,
		    0600);
	}
	gnutls_free(ct.data);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(priv);
	cs_vault_close(&v);
	return r;
}

/* cs_vault_open_p11 - unwrap the secret in the token */
cs_result
cs_vault_open_p11(struct cs_vault *v, int tokens_dirfd, int dirfd,
    const char *wrapped_name, const char *url, const char *pin, char *why,
    size_t whylen)
{
	uint8_t buf[8 + P11_WRAP_MAX + 1];
	gnutls_datum_t ct, plain = { NULL, 0 };
	gnutls_privkey_t priv;
	size_t len;
	cs_result r;
	int rc;

	memset(v, 0, sizeof(*v));
	v->tokens_dirfd = -1;
	r = cs_read_small_file(dirfd, wrapped_name, buf, sizeof(buf) - 1, &len);
	if (r == CS_OK && (len <= 8 || memcmp(buf, P11_WRAP_MAGIC, 8) != 0))
		r = CS_ERR_FORMAT;
	if (r != CS_OK) {
		(void)snprintf(why, whylen, "wrapped vault key %s: %s",
		    wrapped_name, cs_strerror(r));
		return r;
	}
	if ((r = p11_privkey(url, pin, &priv, why, whylen)) != CS_OK)
		return r;
	ct.data = buf + 8;
	ct.size = (unsigned)(len - 8);
	rc = gnutls_privkey_decrypt_data(priv, 0, &ct, &plain);
	gnutls_privkey_deinit(priv);
	if (rc < 0 || plain.size != CS_X25519_LEN) {
		(void)snprintf(why, whylen, "unwrapping the vault key: %s",
		    rc < 0 ? gnutls_strerror(rc) : "wrong size");
		if (plain.data != NULL) {
			cs_wipe(plain.data, plain.size);
			gnutls_free(plain.data);
		}
		return CS_ERR_CRYPTO;
	}
	cs_vault_from_secret(v, tokens_dirfd, plain.data);
	cs_wipe(plain.data, plain.size);
	gnutls_free(plain.data);
	return CS_OK;
}
