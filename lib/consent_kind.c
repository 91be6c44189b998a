/*
 * consent_kind.c - the kinds of grant files (consent.h): what each must
 * hold, checked in one place before the daemon acts on any of them, and
 * the plaintexts authd builds for the two kinds its UNIX socket makes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "authmsg.h"
#include "consent.h"
#include "oauth.h"

/* kind_uid - a uid member: an integer 0 .. 2^32-2 ((uid_t)-1 is none) */
static int
kind_uid(json_t *o, uint32_t *uid)
{
	json_t *u = json_object_get(o, "uid");

	if (!json_is_integer(u) || json_integer_value(u) < 0 ||
	    json_integer_value(u) >= (json_int_t)UINT32_MAX)
		return -1;
	*uid = (uint32_t)json_integer_value(u);
	return 0;
}

/* kind_bound - uid and destination, which three kinds share */
static cs_result
kind_bound(json_t *o, struct cs_grant_msg *m, const char **why)
{
	m->destination = json_string_value(json_object_get(o, "destination"));
	if (kind_uid(o, &m->uid) != 0) {
		*why = "no uid, or not a uid";
		return CS_ERR_FORMAT;
	}
	if (!cs_authmsg_dest_ok(m->destination)) {
		*why = "no destination, or not a destination name";
		return CS_ERR_FORMAT;
	}
	return CS_OK;
}

/* kind_token - the token object of LINK and DEVICE */
static cs_result
kind_token(json_t *o, struct cs_grant_msg *m, const char **why)
{
	m->token = json_object_get(o, "token");
	if (!json_is_object(m->token) || !json_is_string(json_object_get(
	    m->token, "access_token"))) {
		*why = "no token";
		m->token = NULL;
		return CS_ERR_FORMAT;
	}
	return CS_OK;
}

/* cs_grant_parse - see consent.h */
cs_result
cs_grant_parse(json_t *o, struct cs_grant_msg *m, const char **why)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	cs_result r;

	memset(m, 0, sizeof(*m));
	*why = NULL;
	if (kind == NULL) {
		*why = "grant has no kind";
		return CS_ERR_FORMAT;
	}
	if (strcmp(kind, "event") == 0) {
		m->kind = CS_GRANT_EVENT;
		if ((m->event = json_string_value(json_object_get(o,
		    "event"))) == NULL) {
			*why = "event without a name";
			return CS_ERR_FORMAT;
		}
		return CS_OK;
	}
	if (strcmp(kind, "grant") == 0) {
		m->kind = CS_GRANT_LINK;
		m->link = json_string_value(json_object_get(o, "link"));
		m->user = json_string_value(json_object_get(o, "user"));
		if (m->link == NULL || m->user == NULL) {
			*why = "grant without its link or user";
			return CS_ERR_FORMAT;
		}
		if ((r = kind_bound(o, m, why)) != CS_OK)
			return r;
		return kind_token(o, m, why);
	}
	if (strcmp(kind, "device") == 0 || strcmp(kind, "revoke") == 0) {
		m->kind = kind[0] == 'd' ? CS_GRANT_DEVICE : CS_GRANT_REVOKE;
		if ((r = kind_bound(o, m, why)) != CS_OK)
			return r;
		return m->kind == CS_GRANT_DEVICE ? kind_token(o, m, why) :
		    CS_OK;
	}
	*why = "unknown grant kind";
	return CS_ERR_FORMAT;
}

/* kind_dump - o as compact JSON into *out; consumes o */
static cs_result
kind_dump(json_t *o, char **out)
{
	*out = NULL;
	if (o == NULL)
		return CS_ERR_NOMEM;
	*out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return *out != NULL ? CS_OK : CS_ERR_NOMEM;
}

/* cs_grant_device_json - see consent.h */
cs_result
cs_grant_device_json(uint32_t uid, const char *destination,
    const char *token_json, char **out)
{
	json_t *tok;

	*out = NULL;
	if (!cs_authmsg_dest_ok(destination) || uid == UINT32_MAX)
		return CS_ERR_INVAL;
	if ((tok = json_loads(token_json, 0, NULL)) == NULL ||
	    !json_is_object(tok)) {
		json_decref(tok);
		return CS_ERR_FORMAT;
	}
	return kind_dump(json_pack("{s:s, s:I, s:s, s:o}", "kind", "device",
	    "uid", (json_int_t)uid, "destination", destination, "token", tok),
	    out);
}

/* cs_grant_revoke_json - see consent.h */
cs_result
cs_grant_revoke_json(uint32_t uid, const char *destination, char **out)
{
	*out = NULL;
	if (!cs_authmsg_dest_ok(destination) || uid == UINT32_MAX)
		return CS_ERR_INVAL;
	return kind_dump(json_pack("{s:s, s:I, s:s}", "kind", "revoke", "uid",
	    (json_int_t)uid, "destination", destination), out);
}

/* cs_consent_destination - see consent.h */
const struct cs_destination *
cs_consent_destination(const struct cs_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ndestinations; i++)
		if (strcmp(cfg->destinations[i].name, name) == 0)
			return cs_destination_get(&cfg->destinations[i],
			    "token_url") != NULL ? &cfg->destinations[i] : NULL;
	return NULL;
}

/* cs_consent_user_may_send - see consent.h */
int
cs_consent_user_may_send(const struct cs_config *cfg, const char *dest,
    const char *user)
{
	size_t i;

	for (i = 0; i < cfg->nactions; i++)
		if (cfg->actions[i].destination_name != NULL &&
		    strcmp(cfg->actions[i].destination_name, dest) == 0 &&
		    cs_action_permits(&cfg->actions[i], user))
			return 1;
	return 0;
}
