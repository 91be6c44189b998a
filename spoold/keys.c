/*
 * keys.c - when to make a new spool key epoch and when to destroy one.
 *
 * A job sealed to epoch E was submitted before epoch E+1 was published, so
 * it expires by created(E+1) + authorization_hold + delivery_window. Once
 * that moment passes no job sealed to E can still exist, and destroying
 * E's private key crypto-shreds anything of it that a disk kept.
 */
#include <inttypes.h>

#include "daemon.h"
#include "keyring.h"
#include "log.h"

/* keys_audit - audit a key event */
static void
keys_audit(struct cs_daemon *d, const char *event, uint64_t epoch,
    const char *reason)
{
	json_t *f = json_pack("{s:I, s:s}", "epoch", (json_int_t)epoch,
	    "reason", reason);

	if (cs_audit_log(&d->audit, event, f) != CS_OK)
		cs_log(LOG_ERR, "audit: cannot record %s", event);
}

/* keys_maintain - make the first or next epoch when due */
void
keys_maintain(struct cs_daemon *d)
{
	struct cs_epoch_info ep[CS_KEYRING_MAX];
	uint8_t pk[CS_X25519_LEN];
	uint64_t pub_epoch = 0, next;
	const char *reason = NULL;
	size_t n;

	if (cs_keyring_list(d->sp.dir[CS_DIR_KEYS], ep, CS_KEYRING_MAX, &n) !=
	    CS_OK) {
		cs_log(LOG_ERR, "keys: cannot list keys/");
		return;
	}
	if (cs_keyring_public(d->sp.dir[CS_DIR_PUBLIC], &pub_epoch, pk) != CS_OK)
		pub_epoch = 0;
	if (n == 0)
		reason = "first epoch";
	else if (d->now >= ep[n - 1].created + (int64_t)d->cfg.key_rotation)
		reason = "key_rotation elapsed";
	else if (pub_epoch != ep[n - 1].epoch)
		reason = "published key did not match the newest epoch";
	if (reason == NULL)
		return;
	next = n == 0 ? 1 : ep[n - 1].epoch + 1;
	if (cs_keyring_create(d->sp.dir[CS_DIR_KEYS], d->sp.dir[CS_DIR_PUBLIC],
	    next, d->now) != CS_OK) {
		cs_log(LOG_ERR, "keys: cannot create epoch %" PRIu64, next);
		return;
	}
	keys_audit(d, "key_created", next, reason);
}

/* keys_destroy_dead - destroy every epoch no live job can be sealed to */
void
keys_destroy_dead(struct cs_daemon *d)
{
	struct cs_epoch_info ep[CS_KEYRING_MAX];
	int64_t lifetime;
	size_t n, i;

	if (cs_keyring_list(d->sp.dir[CS_DIR_KEYS], ep, CS_KEYRING_MAX, &n) !=
	    CS_OK)
		return;
	lifetime = (int64_t)(d->cfg.authorization_hold + d->cfg.delivery_window);
	for (i = 0; i + 1 < n; i++) {
		if (d->now < ep[i + 1].created + lifetime)
			continue;
		if (cs_keyring_destroy(d->sp.dir[CS_DIR_KEYS], ep[i].epoch) !=
		    CS_OK) {
			cs_log(LOG_ERR, "keys: cannot destroy epoch %" PRIu64,
			    ep[i].epoch);
			continue;
		}
		keys_audit(d, "key_destroyed", ep[i].epoch,
		    "no job sealed to it can still exist");
	}
}
