/*
 * authmsg.c - building and parsing the lines of authd's UNIX socket
 * (authmsg.h). Parsing is strict: exactly the keys a message has, of the
 * right types, so that nothing a client adds (a uid, a user name) can
 * ever be mistaken for part of the request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "authmsg.h"

/* cs_authmsg_dest_ok - see authmsg.h */
int
cs_authmsg_dest_ok(const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	return n >= 1 && n <= CS_AUTHMSG_DEST_MAX &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == n;
}

/* authmsg_dump - o as one line into out; consumes o */
static cs_result
authmsg_dump(json_t *o, char *out, size_t cap)
{
	char *s;
	int n;

	if (o == NULL)
		return CS_ERR_NOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		return CS_ERR_NOMEM;
	n = snprintf(out, cap, "%s\n", s);
	free(s);
	return n < 0 || (size_t)n >= cap || (size_t)n > CS_AUTHMSG_MAX ?
	    CS_ERR_TOOBIG : CS_OK;
}

/* authmsg_load - one line (newline optional) as a JSON object */
static json_t *
authmsg_load(const char *line, size_t len)
{
	json_t *o;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len == 0 || len >= CS_AUTHMSG_MAX || memchr(line, '\n', len))
		return NULL;
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* cs_authmsg_request - see authmsg.h */
cs_result
cs_authmsg_request(enum cs_authmsg_op op, const char *destination, char *out,
    size_t cap)
{
	if (!cs_authmsg_dest_ok(destination))
		return CS_ERR_INVAL;
	return authmsg_dump(json_pack("{s:s, s:s}", "op", op ==
	    CS_AUTHMSG_AUTHORIZE ? "authorize" : "revoke", "destination",
	    destination), out, cap);
}

/* cs_authmsg_parse_request - see authmsg.h */
cs_result
cs_authmsg_parse_request(const char *line, size_t len,
    struct cs_authmsg_req *req, char *why, size_t whylen)
{
	const char *op, *dest;
	json_t *o;

	memset(req, 0, sizeof(*req));
	if ((o = authmsg_load(line, len)) == NULL) {
		(void)snprintf(why, whylen, "not one JSON object on one line");
		return CS_ERR_FORMAT;
	}
	op = json_string_value(json_object_get(o, "op"));
	dest = json_string_value(json_object_get(o, "destination"));
	if (json_object_size(o) != 2 || op == NULL || dest == NULL) {
		(void)snprintf(why, whylen, "a request has exactly \"op\" and "
		    "\"destination\" (who asks is known from the socket)");
		json_decref(o);
		return CS_ERR_FORMAT;
	}
	if (strcmp(op, "authorize") == 0)
		req->op = CS_AUTHMSG_AUTHORIZE;
	else if (strcmp(op, "revoke") == 0)
		req->op = CS_AUTHMSG_REVOKE;
	else {
		(void)snprintf(why, whylen, "unknown op (authorize or revoke)");
		json_decref(o);
		return CS_ERR_FORMAT;
	}
	if (!cs_authmsg_dest_ok(dest)) {
		(void)snprintf(why, whylen, "bad destination name");
		json_decref(o);
		return CS_ERR_FORMAT;
	}
	memcpy(req->destination, dest, strlen(dest) + 1);
	json_decref(o);
	return CS_OK;
}

/* cs_authmsg_code - see authmsg.h */
cs_result
cs_authmsg_code(const char *uri, const char *uri_complete,
    const char *user_code, int64_t expires_in, char *out, size_t cap)
{
	json_t *o;

	if (uri == NULL || user_code == NULL)
		return CS_ERR_INVAL;
	o = json_pack("{s:s, s:s, s:I}", "verification_uri", uri, "user_code",
	    user_code, "expires_in", (json_int_t)expires_in);
	if (o != NULL && uri_complete != NULL && json_object_set_new(o,
	    "verification_uri_complete", json_string(uri_complete)) != 0) {
		json_decref(o);
		return CS_ERR_NOMEM;
	}
	return authmsg_dump(o, out, cap);
}

/* cs_authmsg_status - see authmsg.h */
cs_result
cs_authmsg_status(const char *status, char *out, size_t cap)
{
	return authmsg_dump(json_pack("{s:s}", "status", status), out, cap);
}

/* cs_authmsg_error - see authmsg.h */
cs_result
cs_authmsg_error(const char *code, const char *text, char *out, size_t cap)
{
	char shortened[200];

	/* a provider's text may be long: the line must stay one line */
	(void)snprintf(shortened, sizeof(shortened), "%s", text);
	return authmsg_dump(json_pack("{s:s, s:s}", "error", shortened, "code",
	    code), out, cap);
}

/* authmsg_copy - a string member into out; -1 when absent or too long */
static int
authmsg_copy(json_t *o, const char *key, char *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || strlen(s) >= cap)
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* cs_authmsg_parse_answer - see authmsg.h */
cs_result
cs_authmsg_parse_answer(const char *line, size_t len,
    struct cs_authmsg_answer *a)
{
	json_t *o, *exp;
	int bad = 0;

	memset(a, 0, sizeof(*a));
	if ((o = authmsg_load(line, len)) == NULL)
		return CS_ERR_FORMAT;
	if (json_object_get(o, "verification_uri") != NULL) {
		a->kind = CS_AUTHMSG_CODE;
		exp = json_object_get(o, "expires_in");
		bad = authmsg_copy(o, "verification_uri", a->verification_uri,
		    sizeof(a->verification_uri)) != 0 ||
		    authmsg_copy(o, "user_code", a->user_code,
		    sizeof(a->user_code)) != 0 || !json_is_integer(exp) ||
		    json_integer_value(exp) <= 0;
		if (!bad)
			a->expires_in = json_integer_value(exp);
		if (!bad && json_object_get(o, "verification_uri_complete") !=
		    NULL)
			bad = authmsg_copy(o, "verification_uri_complete",
			    a->verification_uri_complete,
			    sizeof(a->verification_uri_complete)) != 0;
	} else if (json_object_get(o, "status") != NULL) {
		a->kind = CS_AUTHMSG_STATUS;
		bad = authmsg_copy(o, "status", a->status,
		    sizeof(a->status)) != 0;
	} else if (json_object_get(o, "error") != NULL) {
		a->kind = CS_AUTHMSG_ERROR;
		bad = authmsg_copy(o, "error", a->error, sizeof(a->error)) !=
		    0 || authmsg_copy(o, "code", a->code, sizeof(a->code)) != 0;
	} else
		bad = 1;
	json_decref(o);
	return bad ? CS_ERR_FORMAT : CS_OK;
}
