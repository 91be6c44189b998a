/*
 * uploads_request.c - the request cloudspoold sends an uploader first
 * (doc/UPLOAD-PROTOCOL.md section 1): the destination's settings with the
 * *_file secrets read in, the user's OAuth access token from the vault,
 * the document's size and SHA-256, and the job's sealed upload state
 * opened with the job's key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "daemon.h"
#include "log.h"
#include "oauth.h"
#include "safefile.h"
#include "secretfile.h"
#include "uploads.h"

#define UPLOAD_SECRET_MAX 8192

/* uploads_settings - the destination's keys, *_file keys read into
 * "secrets" under the key's name without _file */
static cs_result
uploads_settings(const struct cs_destination *dst, json_t *req, char *why,
    size_t whylen)
{
	json_t *settings = json_object(), *secrets = json_object();
	char secret[UPLOAD_SECRET_MAX], name[128];
	size_t i, n;
	cs_result r = CS_OK;

	for (i = 0; i < dst->nsettings && r == CS_OK; i++) {
		const struct cs_setting *s = &dst->settings[i];

		n = strlen(s->key);
		if (n > 5 && strcmp(s->key + n - 5, "_file") == 0 &&
		    strcmp(s->key, "ca_file") != 0 && n - 5 < sizeof(name)) {
			r = cs_secret_file_read(s->value, secret, sizeof(secret),
			    why, whylen);
			if (r == CS_OK) {
				snprintf(name, sizeof(name), "%.*s", (int)(n - 5),
				    s->key);
				json_object_set_new(secrets, name,
				    json_string(secret));
			}
			cs_wipe(secret, sizeof(secret));
		} else
			json_object_set_new(settings, s->key,
			    json_string(s->value));
	}
	json_object_set_new(req, "settings", settings);
	json_object_set_new(req, "secrets", secrets);
	return r;
}

/* uploads_digest - SHA-256 of the whole document, hex */
static cs_result
uploads_digest(int fd, size_t size, char hex[2 * CS_HASH_LEN + 1])
{
	uint8_t h[CS_HASH_LEN];
	void *p = NULL;
	size_t i;

	if (size > 0 && (p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED)
		return CS_ERR_IO;
	cs_sha256(p, size, h);
	if (p != NULL)
		(void)munmap(p, size);
	for (i = 0; i < CS_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	return CS_OK;
}

/* uploads_token - for a destination that needs consent, the user's
 * access token from the vault (the read is audited there); *token stays
 * NULL for the others */
static cs_result
uploads_token(struct cs_daemon *d, const struct upload_slot *s,
    const struct cs_destination *dst, json_t **token, char *why,
    size_t whylen)
{
	char *access = NULL, twhy[400];
	cs_result r;

	*token = NULL;
	if (cs_destination_get(dst, "token_url") == NULL)
		return CS_OK;
	r = vault_token_for_job(d, s->meta.uid, dst->name, s->id, &access,
	    twhy, sizeof(twhy));
	if (r != CS_OK) {
		/* deferred; the next try holds the job and asks the user
		 * again, or waits for the refresh started here (a token
		 * that came due while the job was being filtered) */
		snprintf(why, whylen, "no usable token for %s: %s", dst->name,
		    twhy[0] != '\0' ? twhy : cs_strerror(r));
		return r;
	}
	*token = json_pack("{s:s}", "access_token", access);
	cs_free_secret(access);
	return *token != NULL ? CS_OK : CS_ERR_NOMEM;
}

/* uploads_request - the first message to the uploader, for the slot's
 * current unit. A job of several documents gives each its own remote
 * identity ("<job>.<k>"), so finding unit 1 on the server never passes
 * for unit 2 having arrived. */
json_t *
uploads_request(struct cs_daemon *d, const struct upload_slot *s,
    char *why, size_t whylen)
{
	const struct cs_destination *dst = uploads_job_destination(d, &s->js);
	const struct delivery_unit *u = &s->units.unit[s->js.units_done];
	char hex[2 * CS_HASH_LEN + 1], rid[CS_JOB_ID_MAX + 16];
	json_t *req, *state = NULL, *token = NULL;
	struct stat st;
	cs_result r;

	if (dst == NULL) {
		snprintf(why, whylen, "action '%s' is no longer configured",
		    s->js.action);
		return NULL;
	}
	if (fstat(u->fd, &st) < 0 ||
	    uploads_digest(u->fd, (size_t)st.st_size, hex) != CS_OK) {
		snprintf(why, whylen, "reading the document: %s",
		    strerror(errno));
		return NULL;
	}
	if ((r = upstate_open(s->key, s->id, &s->js, &state)) != CS_OK) {
		/* A state that does not open is ignored, never trusted: the
		 * uploader then asks the provider what exists first. */
		cs_log(LOG_WARNING, "%s: saved upload state unusable (%s)",
		    s->id, cs_strerror(r));
		state = NULL;
	}
	/* an abandon run sends nothing of the document: no token read */
	if (!s->abandon && uploads_token(d, s, dst, &token, why, whylen) !=
	    CS_OK) {
		json_decref(state);
		return NULL;
	}
	if (s->units.n > 1)
		snprintf(rid, sizeof(rid), "%s.%u", s->id, s->js.units_done + 1);
	else
		snprintf(rid, sizeof(rid), "%s", s->id);
	req = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:o, s:o}",
	    "provider", dst->provider, "destination", dst->name,
	    "user", s->meta.user, "uid", (json_int_t)s->meta.uid,
	    "job", rid, "name", u->name, "size", (json_int_t)st.st_size,
	    "sha256", hex, "token", token != NULL ? token : json_null(),
	    "state", state != NULL ? state : json_null());
	if (req == NULL) {
		snprintf(why, whylen, "building the uploader request");
		return NULL;
	}
	if (s->meta.email[0] != '\0')
		json_object_set_new(req, "email", json_string(s->meta.email));
	if (s->abandon)
		json_object_set_new(req, "abandon", json_true());
	if (uploads_settings(dst, req, why, whylen) != CS_OK) {
		json_decref(req);
		return NULL;
	}
	return req;
}

