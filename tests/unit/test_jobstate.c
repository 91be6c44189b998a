/*
 * test_jobstate.c - a job's scheduling record: it round-trips, including
 * the optional dest_override an smtp fallback sets; a record written
 * before that field existed still loads (with none), and an override too
 * long for a destination name is refused.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE		/* mkdtemp */
#endif
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon.h"

#define JOB "20261128150000-0123456789ab"

/* a scratch folder per test, removed by teardown */
struct scratch {
	char path[64];
	int fd;
};

static int
setup(void **state)
{
	struct scratch *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -1;
	snprintf(s->path, sizeof(s->path), "/tmp/cs_jobstate_XXXXXX");
	if (mkdtemp(s->path) == NULL ||
	    (s->fd = open(s->path, O_RDONLY | O_DIRECTORY)) < 0) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct scratch *s = *state;

	(void)unlinkat(s->fd, JOB ".state", 0);
	close(s->fd);
	(void)rmdir(s->path);
	free(s);
	return 0;
}

/* write_raw - the record file holding text */
static void
write_raw(const struct scratch *s, const char *text)
{
	int fd = openat(s->fd, JOB ".state", O_WRONLY | O_CREAT | O_TRUNC,
	    0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
a_fallback_destination_round_trips(void **state)
{
	struct scratch *s = *state;
	struct cs_jobstate js, back;

	memset(&js, 0, sizeof(js));
	js.deadline = 100;
	js.uid = 1001;
	snprintf(js.action, sizeof(js.action), "email");
	snprintf(js.dest_override, sizeof(js.dest_override), "home");
	assert_int_equal(jobstate_save(s->fd, JOB, &js), CS_OK);
	assert_int_equal(jobstate_load(s->fd, JOB, &back), CS_OK);
	assert_string_equal(back.dest_override, "home");
	assert_string_equal(back.action, "email");
	assert_int_equal(back.uid, 1001);
}

static void
no_override_is_empty_and_not_written(void **state)
{
	struct scratch *s = *state;
	struct cs_jobstate js, back;
	char buf[4096];
	ssize_t n;
	int fd;

	memset(&js, 0, sizeof(js));
	snprintf(js.action, sizeof(js.action), "email");
	assert_int_equal(jobstate_save(s->fd, JOB, &js), CS_OK);
	fd = openat(s->fd, JOB ".state", O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_null(strstr(buf, "dest_override"));
	assert_int_equal(jobstate_load(s->fd, JOB, &back), CS_OK);
	assert_string_equal(back.dest_override, "");
}

static void
an_older_record_loads(void **state)
{
	struct scratch *s = *state;
	struct cs_jobstate back;

	write_raw(s, "{\"deadline\":1,\"next_try\":2,\"attempts\":0,\"uid\":5,"
	    "\"action\":\"scan\",\"phase\":0}");
	assert_int_equal(jobstate_load(s->fd, JOB, &back), CS_OK);
	assert_string_equal(back.dest_override, "");
	assert_string_equal(back.action, "scan");
}

static void
an_overlong_override_is_refused(void **state)
{
	struct scratch *s = *state;
	struct cs_jobstate back;
	char text[512], name[80];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"deadline\":1,\"next_try\":2,"
	    "\"attempts\":0,\"uid\":5,\"action\":\"scan\",\"phase\":0,"
	    "\"dest_override\":\"%s\"}", name);
	write_raw(s, text);
	assert_int_equal(jobstate_load(s->fd, JOB, &back), CS_ERR_FORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    a_fallback_destination_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    no_override_is_empty_and_not_written, setup, teardown),
		cmocka_unit_test_setup_teardown(an_older_record_loads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(an_overlong_override_is_refused,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
