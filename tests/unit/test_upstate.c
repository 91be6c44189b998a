/*
 * test_upstate.c - an uploader's sealed state: it opens with its own job's
 * key and id only; any edited byte, another job's id or another epoch's key
 * is refused, so a state copied between jobs or tampered on disk can never
 * steer an upload (a Graph uploadUrl is a bearer credential).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "daemon.h"

#define JOB "20261128150000-0123456789ab"
#define OTHER "20261128150000-ba9876543210"
#define STATE "{\"session\":\"https://up.example/s/1\",\"offset\":262144}"

/* sealed - js holding STATE sealed for JOB under the key of sk */
static void
sealed(const uint8_t sk[CS_X25519_LEN], struct cs_jobstate *js)
{
	uint8_t key[CS_AEAD_KEY_LEN];

	memset(js, 0, sizeof(*js));
	upstate_key(sk, JOB, key);
	assert_int_equal(upstate_seal(key, JOB, STATE, strlen(STATE), js),
	    CS_OK);
}

/* opens - upstate_open's result for id under sk's key */
static cs_result
opens(const uint8_t sk[CS_X25519_LEN], const char *id,
    const struct cs_jobstate *js, json_t **out)
{
	uint8_t key[CS_AEAD_KEY_LEN];

	upstate_key(sk, id, key);
	return upstate_open(key, id, js, out);
}

static void
a_state_round_trips(void **state)
{
	uint8_t sk[CS_X25519_LEN] = { 1 };
	struct cs_jobstate js;
	json_t *out;

	(void)state;
	sealed(sk, &js);
	assert_null(strstr(js.upload, "example"));
	assert_int_equal(opens(sk, JOB, &js, &out), CS_OK);
	assert_int_equal(json_integer_value(json_object_get(out, "offset")),
	    262144);
	json_decref(out);
}

static void
no_state_is_null(void **state)
{
	uint8_t sk[CS_X25519_LEN] = { 1 };
	struct cs_jobstate js;
	json_t *out = (json_t *)&js;

	(void)state;
	memset(&js, 0, sizeof(js));
	assert_int_equal(opens(sk, JOB, &js, &out), CS_OK);
	assert_null(out);
}

static void
another_jobs_id_is_refused(void **state)
{
	uint8_t sk[CS_X25519_LEN] = { 1 };
	struct cs_jobstate js;
	json_t *out;

	(void)state;
	sealed(sk, &js);
	assert_int_equal(opens(sk, OTHER, &js, &out), CS_ERR_AUTH);
	assert_null(out);
}

static void
another_epoch_key_is_refused(void **state)
{
	uint8_t sk[CS_X25519_LEN] = { 1 }, sk2[CS_X25519_LEN] = { 2 };
	struct cs_jobstate js;
	json_t *out;

	(void)state;
	sealed(sk, &js);
	assert_int_equal(opens(sk2, JOB, &js, &out), CS_ERR_AUTH);
}

static void
every_edited_character_is_refused(void **state)
{
	uint8_t sk[CS_X25519_LEN] = { 1 };
	struct cs_jobstate js, bad;
	json_t *out;
	size_t i, n;
	cs_result r;

	(void)state;
	sealed(sk, &js);
	n = strlen(js.upload);
	for (i = 0; i < n; i++) {
		bad = js;
		bad.upload[i] = bad.upload[i] == 'A' ? 'B' : 'A';
		r = opens(sk, JOB, &bad, &out);
		assert_true(r == CS_ERR_AUTH || r == CS_ERR_FORMAT);
	}
	bad = js;
	bad.upload[n - 4] = '\0';
	r = opens(sk, JOB, &bad, &out);
	assert_true(r == CS_ERR_AUTH || r == CS_ERR_FORMAT);
}

static void
an_oversized_state_is_refused(void **state)
{
	static char big[CS_UPSTATE_MAX + 2];
	uint8_t key[CS_AEAD_KEY_LEN] = { 3 };
	struct cs_jobstate js;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	memset(&js, 0, sizeof(js));
	assert_int_equal(upstate_seal(key, JOB, big, strlen(big), &js),
	    CS_ERR_TOOBIG);
	assert_int_equal(js.upload[0], '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_state_round_trips),
		cmocka_unit_test(no_state_is_null),
		cmocka_unit_test(another_jobs_id_is_refused),
		cmocka_unit_test(another_epoch_key_is_refused),
		cmocka_unit_test(every_edited_character_is_refused),
		cmocka_unit_test(an_oversized_state_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
