/*
 * authd_device.c - one device grant (RFC 8628) for `cloudspool authorize`,
 * run by authd in a thread of its own:
 *
 *   the device authorization request at the destination's device_url
 *   (least-privilege scope, client secret from authd's own files: the CLI
 *   never sees it), the verification URI and user code to the CLI, then
 *   polls of the token endpoint every interval (5 s more on slow_down)
 *   until the user consents, declines, the code expires, or the CLI goes
 *   away (Ctrl-C closes its socket: the flow stops at once). The tokens
 *   are sealed to the vault's public key as a "device" grant bound to the
 *   uid the kernel gave (SO_PEERCRED) and dropped in SPOOL/grants/.
 *
 * At most AUTHD_DEVICE_MAX flows run at once, AUTHD_DEVICE_PER_UID per
 * user, so that local users cannot make authd poll a provider without
 * bound. Events: consent-device-started, -granted, -denied, -expired,
 * -cancelled, -failed, -refused.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd.h"
#include "authmsg.h"
#include "consent.h"
#include "log.h"
#include "privs.h"
#include "revoke.h"

#define AUTHD_DEVICE_SECRET_MAX 1024

struct authd_flow {
	struct authd *a;
	int fd;				/* the CLI's connection */
	uint32_t uid;			/* from SO_PEERCRED */
	char user[256];
	char dest[CS_AUTHMSG_DEST_MAX + 1];
};

/* authd_flow_claim - a slot for uid; -1 when full or uid has one */
static int
authd_flow_claim(struct authd *a, uint32_t uid)
{
	unsigned i, mine = 0;
	int ok;

	(void)pthread_mutex_lock(&a->flows_lock);
	for (i = 0; i < a->nflows; i++)
		mine += a->flow_uid[i] == uid;
	ok = a->nflows < AUTHD_DEVICE_MAX && mine < AUTHD_DEVICE_PER_UID;
	if (ok)
		a->flow_uid[a->nflows++] = uid;
	(void)pthread_mutex_unlock(&a->flows_lock);
	return ok ? 0 : -1;
}

/* authd_flow_release - give uid's slot back */
static void
authd_flow_release(struct authd *a, uint32_t uid)
{
	unsigned i;

	(void)pthread_mutex_lock(&a->flows_lock);
	for (i = 0; i < a->nflows; i++)
		if (a->flow_uid[i] == uid) {
			a->flow_uid[i] = a->flow_uid[--a->nflows];
			break;
		}
	(void)pthread_mutex_unlock(&a->flows_lock);
}

/* authd_flow_end - the last line to the CLI and the event */
static void
authd_flow_end(struct authd_flow *f, const char *event, const char *code,
    const char *text)
{
	char line[CS_AUTHMSG_MAX];

	authd_event(f->a, event, text, f->user, f->dest, "local socket");
	if ((code == NULL ? cs_authmsg_status("granted", line, sizeof(line)) :
	    cs_authmsg_error(code, text, line, sizeof(line))) == CS_OK)
		(void)authd_send_line(f->fd, line);
}

/* authd_flow_wait - sleep secs, or less when the CLI hangs up or sends
 * anything (it never should): 1 then, meaning cancel */
static int
authd_flow_wait(int fd, unsigned secs)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int n;

	do
		n = poll(&p, 1, (int)(secs * 1000));
	while (n < 0 && errno == EINTR);
	return n != 0;
}

/* authd_flow_grant - seal the tokens as a device grant for f->uid */
static cs_result
authd_flow_grant(struct authd_flow *f, const struct cs_token *t)
{
	char *tjson, *json;
	cs_result r;

	if ((r = cs_token_to_json(t, &tjson)) != CS_OK)
		return r;
	r = cs_grant_device_json(f->uid, f->dest, tjson, &json);
	cs_free_secret(tjson);
	if (r != CS_OK)
		return r;
	r = cs_grant_drop(f->a->grants_dirfd, f->a->vault_pk, json);
	cs_free_secret(json);
	return r;
}

/* authd_flow_poll - poll until an end; the event, code and text of it */
static void
authd_flow_poll(struct authd_flow *f, const struct cs_oauth_client *c,
    struct cs_device_auth *dev)
{
	struct cs_token t;
	char why[256];
	cs_result r;

	for (;;) {
		if (authd_flow_wait(f->fd, dev->interval)) {
			authd_event(f->a, "consent-device-cancelled", "the "
			    "CLI went away (Ctrl-C)", f->user, f->dest,
			    "local socket");
			return;
		}
		why[0] = '\0';
		r = cs_oauth_device_poll(c, dev, f->a->now(), &t, why,
		    sizeof(why));
		if (r == CS_ERR_TEMP)	/* pending, slow_down, or a blip */
			continue;
		if (r == CS_OK) {
			r = authd_flow_grant(f, &t);
			cs_token_free(&t);
			if (r == CS_OK)
				authd_flow_end(f, "consent-device-granted",
				    NULL, NULL);
			else
				authd_flow_end(f, "consent-device-failed",
				    "failed", "cannot hand the tokens to "
				    "cloudspoold");
		} else if (r == CS_ERR_PERM)
			authd_flow_end(f, "consent-device-denied", "denied",
			    "access denied: you declined at the provider");
		else if (r == CS_ERR_REVOKED)
			authd_flow_end(f, "consent-device-expired", "expired",
			    "the code expired before it was entered");
		else
			authd_flow_end(f, "consent-device-failed", "failed",
			    why[0] ? why : cs_strerror(r));
		return;
	}
}

/* authd_flow_run - the device flow, from the first request to the end */
static void
authd_flow_run(struct authd_flow *f)
{
	struct cs_oauth_client c;
	struct cs_device_auth dev;
	char secret[AUTHD_DEVICE_SECRET_MAX], redirect[512], why[256] = "";
	char line[CS_AUTHMSG_MAX];
	cs_result r;

	if (authd_client(f->a, f->dest, &c, secret, sizeof(secret), redirect,
	    sizeof(redirect)) != CS_OK || c.device_url == NULL) {
		cs_wipe(secret, sizeof(secret));
		authd_flow_end(f, "consent-device-failed", "failed",
		    "the destination's client secret is unreadable");
		return;
	}
	r = cs_oauth_device_start(&c, f->a->now(), &dev, why, sizeof(why));
	if (r != CS_OK) {
		cs_wipe(secret, sizeof(secret));
		cs_device_auth_free(&dev);
		authd_flow_end(f, "consent-device-failed", "failed", why[0] ?
		    why : cs_strerror(r));
		return;
	}
	if (cs_authmsg_code(dev.verification_uri,
	    dev.verification_uri_complete, dev.user_code, dev.expires_at -
	    f->a->now(), line, sizeof(line)) != CS_OK ||
	    authd_send_line(f->fd, line) != 0)
		authd_event(f->a, "consent-device-cancelled", "cannot tell "
		    "the CLI the code", f->user, f->dest, "local socket");
	else {
		authd_event(f->a, "consent-device-started", NULL, f->user,
		    f->dest, "local socket");
		authd_flow_poll(f, &c, &dev);
	}
	cs_wipe(secret, sizeof(secret));
	if (dev.device_code != NULL)
		cs_wipe(dev.device_code, strlen(dev.device_code));
	cs_device_auth_free(&dev);
}

/* authd_flow_thread - run one flow, then free its slot */
static void *
authd_flow_thread(void *arg)
{
	struct authd_flow *f = arg;

	authd_flow_run(f);
	close(f->fd);
	authd_flow_release(f->a, f->uid);
	free(f);
	return NULL;
}

/* authd_device_refusal - why user's dest cannot have a device flow; NULL
 * when it can. *code receives the error code for the CLI. */
static const char *
authd_device_refusal(struct authd *a, const char *dest, const char *user,
    const char **code)
{
	const struct cs_destination *d = cs_consent_destination(&a->cfg, dest);

	*code = d == NULL ? "unknown" : "no_device";
	if (d == NULL)
		return "no destination of that name needs consent";
	if (cs_destination_get(d, "device_url") == NULL)
		return "this destination does not offer the device grant (no "
		    "device_url): use the link in the consent email";
	*code = "not_permitted";
	if (!cs_consent_user_may_send(&a->cfg, dest, user))
		return "no action you may use sends to this destination";
	return NULL;
}

/* authd_device_begin - see authd.h */
void
authd_device_begin(struct authd *a, int fd, uint32_t uid,
    const char *destination)
{
	struct authd_flow *f;
	pthread_t t;
	char line[CS_AUTHMSG_MAX];
	const char *why, *code;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		close(fd);
		return;
	}
	f->a = a;
	f->fd = fd;
	f->uid = uid;
	(void)snprintf(f->dest, sizeof(f->dest), "%s", destination);
	if (cs_user_name(uid, f->user, sizeof(f->user)) != CS_OK)
		(void)snprintf(f->user, sizeof(f->user), "uid %u",
		    (unsigned)uid);
	if ((why = authd_device_refusal(a, f->dest, f->user, &code)) !=
	    NULL) {
		authd_flow_end(f, "consent-device-refused", code, why);
		close(fd);
		free(f);
		return;
	}
	if (authd_flow_claim(a, uid) != 0) {
		authd_event(a, "consent-device-refused", "too many device "
		    "flows", f->user, f->dest, "local socket");
		if (cs_authmsg_error("busy", "an authorization is already "
		    "waiting for you, or too many for this server: finish it "
		    "or try again later", line, sizeof(line)) == CS_OK)
			(void)authd_send_line(fd, line);
		close(fd);
		free(f);
		return;
	}
	if (pthread_create(&t, NULL, authd_flow_thread, f) != 0) {
		authd_flow_release(a, uid);
		close(fd);
		free(f);
		return;
	}
	(void)pthread_detach(t);
}
