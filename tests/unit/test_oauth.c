/*
 * test_oauth.c - the OAuth client's offline parts: the PKCE S256 vector of
 * RFC 7636 Appendix B, the verifier charset and length, the authorization
 * URL's encoding, and reading token and device answers, errors included
 * (invalid_grant is its own result: the grant is revoked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oauth.h"

/* pkce_matches_rfc7636_appendix_b - the RFC's own example */
static void
pkce_matches_rfc7636_appendix_b(void **state)
{
	static const uint8_t octets[32] = {
		116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216,
		173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5,
		88, 83, 132, 141, 121 };
	char verifier[64], challenge[CS_PKCE_CHALLENGE_LEN + 1];

	(void)state;
	assert_int_equal(cs_b64url(octets, sizeof(octets), verifier,
	    sizeof(verifier)), CS_OK);
	assert_string_equal(verifier,
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	assert_int_equal(cs_pkce_challenge(verifier, challenge), CS_OK);
	assert_string_equal(challenge,
	    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

/* pkce_verifier_is_fresh_and_in_charset - 64 unreserved characters */
static void
pkce_verifier_is_fresh_and_in_charset(void **state)
{
	char a[CS_PKCE_VERIFIER_LEN + 1], b[CS_PKCE_VERIFIER_LEN + 1];
	char ch[CS_PKCE_CHALLENGE_LEN + 1];

	(void)state;
	assert_int_equal(cs_pkce_verifier(a), CS_OK);
	assert_int_equal(cs_pkce_verifier(b), CS_OK);
	assert_int_equal(strlen(a), CS_PKCE_VERIFIER_LEN);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
	    "pqrstuvwxyz0123456789-._~"), CS_PKCE_VERIFIER_LEN);
	assert_string_not_equal(a, b);
	assert_int_equal(cs_pkce_challenge(a, ch), CS_OK);
}

/* pkce_refuses_bad_verifiers - too short, too long, bad characters */
static void
pkce_refuses_bad_verifiers(void **state)
{
	char ch[CS_PKCE_CHALLENGE_LEN + 1], longv[130];

	(void)state;
	assert_int_equal(cs_pkce_challenge("short", ch), CS_ERR_INVAL);
	memset(longv, 'a', 129);
	longv[129] = '\0';
	assert_int_equal(cs_pkce_challenge(longv, ch), CS_ERR_INVAL);
	assert_int_equal(cs_pkce_challenge(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa+", ch), CS_ERR_INVAL);
	longv[128] = '\0';
	assert_int_equal(cs_pkce_challenge(longv, ch), CS_OK);
}

/* authorize_url_encodes_every_value - and keeps a configured query */
static void
authorize_url_encodes_every_value(void **state)
{
	struct cs_oauth_client c = {
		.client_id = "id with space&x=y",
		.authorize_url = "https://as.example/auth?tenant=1",
		.redirect_uri = "https://cb.example:8443/callback",
		.scope = "openid offline_access",
		.extra_params = "access_type=offline&prompt=consent",
	};
	char *url;

	(void)state;
	assert_int_equal(cs_oauth_authorize_url(&c, "st/ate", "CH", &url),
	    CS_OK);
	assert_string_equal(url, "https://as.example/auth?tenant=1"
	    "&response_type=code&client_id=id%20with%20space%26x%3Dy"
	    "&redirect_uri=https%3A%2F%2Fcb.example%3A8443%2Fcallback"
	    "&scope=openid%20offline_access&state=st%2Fate"
	    "&code_challenge=CH&code_challenge_method=S256"
	    "&access_type=offline&prompt=consent");
	free(url);
	c.authorize_url = "https://as.example/auth";
	c.extra_params = NULL;
	assert_int_equal(cs_oauth_authorize_url(&c, "s", "c", &url), CS_OK);
	assert_non_null(strstr(url, "/auth?response_type=code&"));
	free(url);
	c.redirect_uri = NULL;
	assert_int_equal(cs_oauth_authorize_url(&c, "s", "c", &url),
	    CS_ERR_INVAL);
}

/* token_answer_is_parsed - expiry from now, fields kept */
static void
token_answer_is_parsed(void **state)
{
	struct cs_token t;
	char why[200];

	(void)state;
	assert_int_equal(cs_oauth_parse_token(200, "{\"access_token\":\"AT\","
	    "\"refresh_token\":\"RT\",\"token_type\":\"Bearer\","
	    "\"expires_in\":3600,\"scope\":\"s\"}", 1000, &t, why,
	    sizeof(why)), CS_OK);
	assert_string_equal(t.access_token, "AT");
	assert_string_equal(t.refresh_token, "RT");
	assert_int_equal(t.expires_at, 4600);
	cs_token_free(&t);
	assert_null(t.access_token);
}

/* token_errors_are_told_apart - revoked, pending, other, junk */
static void
token_errors_are_told_apart(void **state)
{
	struct cs_token t;
	char why[200];

	(void)state;
	assert_int_equal(cs_oauth_parse_token(400, "{\"error\":\"invalid_grant\","
	    "\"error_description\":\"grant request is invalid\"}", 0, &t, why,
	    sizeof(why)), CS_ERR_REVOKED);
	assert_non_null(strstr(why, "invalid_grant"));
	assert_int_equal(cs_oauth_parse_token(400, "{\"error\":"
	    "\"authorization_pending\"}", 0, &t, why, sizeof(why)),
	    CS_ERR_TEMP);
	assert_int_equal(cs_oauth_parse_token(400, "{\"error\":\"slow_down\"}",
	    0, &t, why, sizeof(why)), CS_ERR_TEMP);
	assert_string_equal(why, "slow_down");
	assert_int_equal(cs_oauth_parse_token(401, "{\"error\":"
	    "\"invalid_client\"}", 0, &t, why, sizeof(why)), CS_ERR_AUTH);
	assert_int_equal(cs_oauth_parse_token(400, "{\"error\":"
	    "\"access_denied\"}", 0, &t, why, sizeof(why)), CS_ERR_PERM);
	assert_int_equal(cs_oauth_parse_token(503, "<html>busy</html>", 0, &t,
	    why, sizeof(why)), CS_ERR_TEMP);
	assert_int_equal(cs_oauth_parse_token(200, "{\"token_type\":\"bearer\"}",
	    0, &t, why, sizeof(why)), CS_ERR_FORMAT);
	assert_int_equal(cs_oauth_parse_token(200, "{\"access_token\":\"A\","
	    "\"token_type\":\"mac\"}", 0, &t, why, sizeof(why)), CS_ERR_FORMAT);
	assert_int_equal(cs_oauth_parse_token(200, "{\"access_token\":\"A\","
	    "\"access_token\":\"B\"}", 0, &t, why, sizeof(why)), CS_ERR_FORMAT);
	assert_null(t.access_token);
}

/* device_answer_takes_googles_alias - verification_url is accepted */
static void
device_answer_takes_googles_alias(void **state)
{
	struct cs_device_auth d;
	char why[200];

	(void)state;
	assert_int_equal(cs_oauth_parse_device(200, "{\"device_code\":\"DC\","
	    "\"user_code\":\"ABCD-EFGH\",\"verification_url\":"
	    "\"https://www.google.com/device\",\"expires_in\":1800,"
	    "\"interval\":5}", 100, &d, why, sizeof(why)), CS_OK);
	assert_string_equal(d.verification_uri, "https://www.google.com/device");
	assert_int_equal(d.expires_at, 1900);
	assert_int_equal(d.interval, 5);
	cs_device_auth_free(&d);
	assert_int_equal(cs_oauth_parse_device(200, "{\"device_code\":\"DC\","
	    "\"user_code\":\"U\",\"verification_uri\":\"https://v\"}", 0, &d,
	    why, sizeof(why)), CS_OK);
	assert_int_equal(d.interval, 5);
	assert_int_equal(d.expires_at, 900);
	cs_device_auth_free(&d);
	assert_int_equal(cs_oauth_parse_device(200, "{\"device_code\":\"DC\"}",
	    0, &d, why, sizeof(why)), CS_ERR_FORMAT);
}

/* device_poll_after_expiry_is_expired_token - no request is made */
static void
device_poll_after_expiry_is_expired_token(void **state)
{
	struct cs_oauth_client c = { .client_id = "x",
	    .token_url = "https://127.0.0.1:1/token" };
	struct cs_device_auth d = { .device_code = NULL, .expires_at = 10,
	    .interval = 5 };
	struct cs_token t;
	char why[200];

	(void)state;
	assert_int_equal(cs_oauth_device_poll(&c, &d, 10, &t, why,
	    sizeof(why)), CS_ERR_REVOKED);
}

/* token_json_round_trips - what the vault stores */
static void
token_json_round_trips(void **state)
{
	struct cs_token t = { .access_token = "A", .refresh_token = NULL,
	    .token_type = "Bearer", .scope = "s", .expires_at = 77 };
	struct cs_token u;
	char *json;

	(void)state;
	assert_int_equal(cs_token_to_json(&t, &json), CS_OK);
	assert_int_equal(cs_token_from_json(json, strlen(json), &u), CS_OK);
	assert_string_equal(u.access_token, "A");
	assert_null(u.refresh_token);
	assert_int_equal(u.expires_at, 77);
	cs_token_free(&u);
	cs_free_secret(json);
	assert_int_equal(cs_token_from_json("{}", 2, &u), CS_ERR_FORMAT);
}

/* refresh_without_refresh_token_is_revoked - nothing to refresh with */
static void
refresh_without_refresh_token_is_revoked(void **state)
{
	struct cs_oauth_client c = { .client_id = "x",
	    .token_url = "https://127.0.0.1:1/token" };
	struct cs_token old = { .access_token = "A" }, t;
	char why[200];

	(void)state;
	assert_int_equal(cs_oauth_refresh(&c, &old, 0, &t, why, sizeof(why)),
	    CS_ERR_REVOKED);
	c.revoke_url = NULL;
	assert_int_equal(cs_oauth_revoke(&c, &old, why, sizeof(why)),
	    CS_ERR_NOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pkce_matches_rfc7636_appendix_b),
		cmocka_unit_test(pkce_verifier_is_fresh_and_in_charset),
		cmocka_unit_test(pkce_refuses_bad_verifiers),
		cmocka_unit_test(authorize_url_encodes_every_value),
		cmocka_unit_test(token_answer_is_parsed),
		cmocka_unit_test(token_errors_are_told_apart),
		cmocka_unit_test(device_answer_takes_googles_alias),
		cmocka_unit_test(device_poll_after_expiry_is_expired_token),
		cmocka_unit_test(token_json_round_trips),
		cmocka_unit_test(refresh_without_refresh_token_is_revoked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
