/*
 * test_authmsg.c - the lines of authd's UNIX socket (lib/authmsg.c) and
 * the kinds of grant files (lib/consent_kind.c): a request carries an op
 * and a destination and nothing else (who asks comes from the kernel),
 * answers round-trip, and each grant kind is accepted only with every
 * member it needs, of the right type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "authmsg.h"
#include "consent.h"
#include "oauth.h"

/* parse_req - cs_authmsg_parse_request of a C string */
static cs_result
parse_req(const char *line, struct cs_authmsg_req *req)
{
	char why[128];

	return cs_authmsg_parse_request(line, strlen(line), req, why,
	    sizeof(why));
}

/* request_round_trips - what the CLI writes, authd reads back */
static void
request_round_trips(void **state)
{
	struct cs_authmsg_req req;
	char line[CS_AUTHMSG_MAX];

	(void)state;
	assert_int_equal(cs_authmsg_request(CS_AUTHMSG_AUTHORIZE, "cloud",
	    line, sizeof(line)), CS_OK);
	assert_non_null(strchr(line, '\n'));
	assert_int_equal(parse_req(line, &req), CS_OK);
	assert_int_equal(req.op, CS_AUTHMSG_AUTHORIZE);
	assert_string_equal(req.destination, "cloud");
	assert_int_equal(cs_authmsg_request(CS_AUTHMSG_REVOKE, "my.dest-1",
	    line, sizeof(line)), CS_OK);
	assert_int_equal(parse_req(line, &req), CS_OK);
	assert_int_equal(req.op, CS_AUTHMSG_REVOKE);
	assert_string_equal(req.destination, "my.dest-1");
}

/* request_naming_a_user_is_refused - uid, user or any extra key */
static void
request_naming_a_user_is_refused(void **state)
{
	struct cs_authmsg_req req;

	(void)state;
	assert_int_equal(parse_req("{\"op\":\"revoke\",\"destination\":"
	    "\"cloud\",\"uid\":1000}\n", &req), CS_ERR_FORMAT);
	assert_int_equal(parse_req("{\"op\":\"authorize\",\"destination\":"
	    "\"cloud\",\"user\":\"alice\"}", &req), CS_ERR_FORMAT);
	assert_int_equal(parse_req("{\"op\":\"authorize\",\"destination\":"
	    "\"cloud\",\"x\":null}", &req), CS_ERR_FORMAT);
}

/* request_malformed_is_refused - every other shape */
static void
request_malformed_is_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"not json\n",
		"[\"authorize\",\"cloud\"]\n",
		"{\"op\":\"authorize\"}\n",
		"{\"destination\":\"cloud\"}\n",
		"{\"op\":\"delete\",\"destination\":\"cloud\"}\n",
		"{\"op\":1,\"destination\":\"cloud\"}\n",
		"{\"op\":\"authorize\",\"destination\":\"../x\"}\n",
		"{\"op\":\"authorize\",\"destination\":\"a b\"}\n",
		"{\"op\":\"authorize\",\"destination\":\"\"}\n",
		"{\"op\":\"authorize\",\"op\":\"revoke\",\"destination\":\"c\"}\n",
		"{\"op\":\"authorize\",\"destination\":\"c\"}\n{}\n",
	};
	struct cs_authmsg_req req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_req(bad[i], &req), CS_ERR_FORMAT);
}

/* request_line_length_is_capped - no line past CS_AUTHMSG_MAX */
static void
request_line_length_is_capped(void **state)
{
	struct cs_authmsg_req req;
	char *line = malloc(CS_AUTHMSG_MAX + 64);

	(void)state;
	assert_non_null(line);
	memset(line, ' ', CS_AUTHMSG_MAX + 63);
	memcpy(line, "{\"op\":\"revoke\",\"destination\":\"c\"}", 33);
	line[CS_AUTHMSG_MAX + 63] = '\0';
	assert_int_equal(parse_req(line, &req), CS_ERR_FORMAT);
	free(line);
}

/* destination_names - the config's rule: [A-Za-z0-9_.-]{1,64} */
static void
destination_names(void **state)
{
	char long65[66];

	(void)state;
	assert_true(cs_authmsg_dest_ok("cloud"));
	assert_true(cs_authmsg_dest_ok("A_b.c-9"));
	assert_false(cs_authmsg_dest_ok(""));
	assert_false(cs_authmsg_dest_ok(NULL));
	assert_false(cs_authmsg_dest_ok("a/b"));
	assert_false(cs_authmsg_dest_ok("a\nb"));
	memset(long65, 'a', 65);
	long65[65] = '\0';
	assert_false(cs_authmsg_dest_ok(long65));
	long65[64] = '\0';
	assert_true(cs_authmsg_dest_ok(long65));
}

/* answers_round_trip - code, status and error lines */
static void
answers_round_trip(void **state)
{
	struct cs_authmsg_answer a;
	char line[CS_AUTHMSG_MAX];

	(void)state;
	assert_int_equal(cs_authmsg_code("https://p/device", NULL, "ABCD-EFGH",
	    600, line, sizeof(line)), CS_OK);
	assert_int_equal(cs_authmsg_parse_answer(line, strlen(line), &a),
	    CS_OK);
	assert_int_equal(a.kind, CS_AUTHMSG_CODE);
	assert_string_equal(a.verification_uri, "https://p/device");
	assert_string_equal(a.user_code, "ABCD-EFGH");
	assert_string_equal(a.verification_uri_complete, "");
	assert_int_equal(a.expires_in, 600);
	assert_int_equal(cs_authmsg_code("https://p/device",
	    "https://p/device?user_code=ABCD-EFGH", "ABCD-EFGH", 60, line,
	    sizeof(line)), CS_OK);
	assert_int_equal(cs_authmsg_parse_answer(line, strlen(line), &a),
	    CS_OK);
	assert_string_equal(a.verification_uri_complete,
	    "https://p/device?user_code=ABCD-EFGH");
	assert_int_equal(cs_authmsg_status("granted", line, sizeof(line)),
	    CS_OK);
	assert_int_equal(cs_authmsg_parse_answer(line, strlen(line), &a),
	    CS_OK);
	assert_int_equal(a.kind, CS_AUTHMSG_STATUS);
	assert_string_equal(a.status, "granted");
	assert_int_equal(cs_authmsg_error("denied", "access denied", line,
	    sizeof(line)), CS_OK);
	assert_int_equal(cs_authmsg_parse_answer(line, strlen(line), &a),
	    CS_OK);
	assert_int_equal(a.kind, CS_AUTHMSG_ERROR);
	assert_string_equal(a.code, "denied");
	assert_string_equal(a.error, "access denied");
}

/* answers_malformed_are_refused - a CLI never acts on half an answer */
static void
answers_malformed_are_refused(void **state)
{
	static const char *const bad[] = {
		"{}\n",
		"{\"verification_uri\":\"https://p\"}\n",
		"{\"verification_uri\":\"https://p\",\"user_code\":\"A\"}\n",
		"{\"verification_uri\":\"https://p\",\"user_code\":\"A\","
		    "\"expires_in\":0}\n",
		"{\"error\":\"x\"}\n",
		"{\"status\":5}\n",
		"garbage\n",
	};
	struct cs_authmsg_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cs_authmsg_parse_answer(bad[i],
		    strlen(bad[i]), &a), CS_ERR_FORMAT);
}

/* error_text_stays_one_short_line - a provider's long text is cut */
static void
error_text_stays_one_short_line(void **state)
{
	struct cs_authmsg_answer a;
	char line[CS_AUTHMSG_MAX], text[1500];

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(cs_authmsg_error("failed", text, line, sizeof(line)),
	    CS_OK);
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	assert_int_equal(cs_authmsg_parse_answer(line, strlen(line), &a),
	    CS_OK);
	assert_true(strlen(a.error) < 200);
}

/* parse_grant - cs_grant_parse of a JSON text; o receives the object */
static cs_result
parse_grant(const char *text, json_t **o, struct cs_grant_msg *m)
{
	const char *why;
	cs_result r;

	*o = json_loads(text, 0, NULL);
	assert_non_null(*o);
	r = cs_grant_parse(*o, m, &why);
	if (r != CS_OK)
		assert_non_null(why);
	return r;
}

/* grant_device_round_trips - authd's device grant, as the daemon reads it */
static void
grant_device_round_trips(void **state)
{
	struct cs_grant_msg m;
	char *json;
	json_t *o;

	(void)state;
	assert_int_equal(cs_grant_device_json(1004, "cloud",
	    "{\"access_token\":\"at\",\"refresh_token\":\"rt\"}", &json), CS_OK);
	assert_int_equal(parse_grant(json, &o, &m), CS_OK);
	assert_int_equal(m.kind, CS_GRANT_DEVICE);
	assert_int_equal(m.uid, 1004);
	assert_string_equal(m.destination, "cloud");
	assert_string_equal(json_string_value(json_object_get(m.token,
	    "refresh_token")), "rt");
	assert_null(m.link);
	json_decref(o);
	cs_free_secret(json);
}

/* grant_revoke_round_trips - a user's revocation request */
static void
grant_revoke_round_trips(void **state)
{
	struct cs_grant_msg m;
	char *json;
	json_t *o;

	(void)state;
	assert_int_equal(cs_grant_revoke_json(0, "cloud", &json), CS_OK);
	assert_int_equal(parse_grant(json, &o, &m), CS_OK);
	assert_int_equal(m.kind, CS_GRANT_REVOKE);
	assert_int_equal(m.uid, 0);
	assert_string_equal(m.destination, "cloud");
	assert_null(m.token);
	json_decref(o);
	free(json);
}

/* grant_builders_refuse_bad_input - no grant for a bad name or no uid */
static void
grant_builders_refuse_bad_input(void **state)
{
	char *json;

	(void)state;
	assert_int_equal(cs_grant_revoke_json(1, "../x", &json), CS_ERR_INVAL);
	assert_int_equal(cs_grant_revoke_json(UINT32_MAX, "c", &json),
	    CS_ERR_INVAL);
	assert_int_equal(cs_grant_device_json(1, "c", "[1]", &json),
	    CS_ERR_FORMAT);
	assert_int_equal(cs_grant_device_json(1, "c", "nope", &json),
	    CS_ERR_FORMAT);
}

/* grant_link_and_event_still_parse - the kinds that were there before */
static void
grant_link_and_event_still_parse(void **state)
{
	struct cs_grant_msg m;
	json_t *o;

	(void)state;
	assert_int_equal(parse_grant("{\"kind\":\"grant\",\"link\":\"L\","
	    "\"user\":\"alice\",\"uid\":5,\"destination\":\"d\",\"token\":"
	    "{\"access_token\":\"a\"}}", &o, &m), CS_OK);
	assert_int_equal(m.kind, CS_GRANT_LINK);
	assert_string_equal(m.link, "L");
	assert_string_equal(m.user, "alice");
	json_decref(o);
	assert_int_equal(parse_grant("{\"kind\":\"event\",\"event\":"
	    "\"consent-x\"}", &o, &m), CS_OK);
	assert_int_equal(m.kind, CS_GRANT_EVENT);
	assert_string_equal(m.event, "consent-x");
	json_decref(o);
}

/* grant_kinds_need_their_members - each missing or mistyped member */
static void
grant_kinds_need_their_members(void **state)
{
	static const char *const bad[] = {
		"{}",
		"{\"kind\":\"other\",\"uid\":1,\"destination\":\"d\"}",
		"{\"kind\":7}",
		"{\"kind\":\"event\"}",
		/* a link grant without its link: the proof is the link */
		"{\"kind\":\"grant\",\"user\":\"a\",\"uid\":1,\"destination\":"
		    "\"d\",\"token\":{\"access_token\":\"a\"}}",
		"{\"kind\":\"device\",\"destination\":\"d\",\"token\":"
		    "{\"access_token\":\"a\"}}",
		"{\"kind\":\"device\",\"uid\":\"1000\",\"destination\":\"d\","
		    "\"token\":{\"access_token\":\"a\"}}",
		"{\"kind\":\"device\",\"uid\":-1,\"destination\":\"d\","
		    "\"token\":{\"access_token\":\"a\"}}",
		"{\"kind\":\"device\",\"uid\":4294967295,\"destination\":\"d\","
		    "\"token\":{\"access_token\":\"a\"}}",
		"{\"kind\":\"device\",\"uid\":1,\"destination\":\"../d\","
		    "\"token\":{\"access_token\":\"a\"}}",
		"{\"kind\":\"device\",\"uid\":1,\"destination\":\"d\"}",
		"{\"kind\":\"device\",\"uid\":1,\"destination\":\"d\","
		    "\"token\":{\"refresh_token\":\"r\"}}",
		"{\"kind\":\"device\",\"uid\":1,\"destination\":\"d\","
		    "\"token\":\"at\"}",
		"{\"kind\":\"revoke\",\"uid\":1}",
		"{\"kind\":\"revoke\",\"destination\":\"d\"}",
		"{\"kind\":\"revoke\",\"uid\":1.5,\"destination\":\"d\"}",
	};
	struct cs_grant_msg m;
	json_t *o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_grant(bad[i], &o, &m), CS_ERR_FORMAT);
		json_decref(o);
	}
}

/* user_may_send_needs_an_action - only an action that permits the user
 * and sends to the destination counts */
static void
user_may_send_needs_an_action(void **state)
{
	char *alice[] = { "alice" }, *all[] = { "*" };
	struct cs_action acts[2];
	struct cs_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	memset(acts, 0, sizeof(acts));
	acts[0].destination_name = "cloud";
	acts[0].users = alice;
	acts[0].nusers = 1;
	acts[1].destination_name = "other";
	acts[1].users = all;
	acts[1].nusers = 1;
	cfg.actions = acts;
	cfg.nactions = 2;
	assert_true(cs_consent_user_may_send(&cfg, "cloud", "alice"));
	assert_false(cs_consent_user_may_send(&cfg, "cloud", "bob"));
	assert_true(cs_consent_user_may_send(&cfg, "other", "bob"));
	assert_false(cs_consent_user_may_send(&cfg, "nowhere", "alice"));
	acts[0].nusers = 0;	/* neither users nor groups: nobody */
	assert_false(cs_consent_user_may_send(&cfg, "cloud", "alice"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_round_trips),
		cmocka_unit_test(request_naming_a_user_is_refused),
		cmocka_unit_test(request_malformed_is_refused),
		cmocka_unit_test(request_line_length_is_capped),
		cmocka_unit_test(destination_names),
		cmocka_unit_test(answers_round_trip),
		cmocka_unit_test(answers_malformed_are_refused),
		cmocka_unit_test(error_text_stays_one_short_line),
		cmocka_unit_test(grant_device_round_trips),
		cmocka_unit_test(grant_revoke_round_trips),
		cmocka_unit_test(grant_builders_refuse_bad_input),
		cmocka_unit_test(grant_link_and_event_still_parse),
		cmocka_unit_test(grant_kinds_need_their_members),
		cmocka_unit_test(user_may_send_needs_an_action),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
