/*
 * test_config.c - the configuration loader (lib/config*.c) against good and
 * bad files, the size and duration syntaxes, and who may use an action.
 *
 * Bad files are data: each tests/data/config/error-*.conf starts with
 * "# expect: LINE: text", and one test per file requires loading it to fail
 * with "FILE:LINE: ..." holding that text, leaving the config empty. Adding
 * a case adds a file, not code. CS_TEST_DATA names the data folder
 * (default tests/data, relative to where the test runs).
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE		/* scandir, alphasort */
#endif
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

#define TEST_PATH_MAX	4096

/* data_path - buf = $CS_TEST_DATA/config/name */
static void
data_path(char *buf, size_t len, const char *name)
{
	const char *dir = getenv("CS_TEST_DATA");
	int n;

	if (dir == NULL || *dir == '\0')
		dir = "tests/data";
	n = snprintf(buf, len, "%s/config/%s", dir, name);
	assert_true(n > 0 && (size_t)n < len);
}

/* load_ok - load data file name into cfg or fail the test with the error */
static void
load_ok(const char *name, struct cs_config *cfg)
{
	char path[TEST_PATH_MAX], err[512];
	cs_result r;

	data_path(path, sizeof(path), name);
	r = cs_config_load(path, cfg, err, sizeof(err));
	if (r != CS_OK)
		fail_msg("%s: %s (%s)", name, err, cs_strerror(r));
}

/* joined - the n strings of list joined by single spaces, in buf */
static const char *
joined(char *const *list, size_t n, char *buf, size_t len)
{
	size_t i, used = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		w = snprintf(buf + used, len - used, "%s%s", i ? " " : "",
		    list[i]);
		assert_true(w >= 0 && (size_t)w < len - used);
		used += (size_t)w;
	}
	return buf;
}

/* assert_empty - cfg is all zero bytes, as after a failed load */
static void
assert_empty(const struct cs_config *cfg)
{
	static const struct cs_config zero;

	assert_memory_equal(cfg, &zero, sizeof(zero));
}

static void
full_file_sets_every_spool_and_retention_field(void **state)
{
	struct cs_config cfg;
	char buf[256];

	(void)state;
	load_ok("good-full.conf", &cfg);
	assert_non_null(strstr(cfg.path, "config/good-full.conf"));
	assert_string_equal(cfg.spool_dir, "/srv/cloudspool");
	assert_string_equal(cfg.daemon_user, "csd");
	assert_string_equal(cfg.drop_group, "csdrop");
	assert_string_equal(joined(cfg.trusted_submitters, cfg.ntrusted, buf,
	    sizeof(buf)), "root lp cups-pdf");
	assert_int_equal(cfg.max_job_size, UINT64_C(1) << 30);
	assert_int_equal(cfg.max_jobs_per_user, 7);
	assert_int_equal(cfg.min_free_space, UINT64_C(512) << 20);
	assert_int_equal(cfg.tick, 120);
	assert_int_equal(cfg.authorization_hold, 12 * 3600);
	assert_int_equal(cfg.delivery_window, 2 * 86400);
	assert_int_equal(cfg.key_rotation, 6 * 3600);
	assert_int_equal(cfg.retry_initial, 30);
	assert_int_equal(cfg.retry_max, 90 * 60);
	assert_int_equal(cfg.stale_incoming, 2700);
	cs_config_free(&cfg);
	assert_empty(&cfg);
}

static void
full_file_sets_destinations_with_settings_and_lines(void **state)
{
	struct cs_config cfg;
	const struct cs_destination *d;
	char longname[65];

	(void)state;
	memset(longname, 'd', 64);
	longname[64] = '\0';
	load_ok("good-full.conf", &cfg);
	assert_int_equal(cfg.ndestinations, 2);
	d = &cfg.destinations[0];
	assert_string_equal(d->name, "archive");
	assert_string_equal(d->provider, "localdir");
	assert_int_equal(d->line, 30);
	assert_int_equal(d->nsettings, 2);
	assert_string_equal(d->settings[0].key, "path");
	assert_string_equal(d->settings[0].value, "/srv/archive/%u");
	assert_int_equal(d->settings[0].line, 32);
	assert_string_equal(d->settings[1].key, "mode");
	assert_string_equal(d->settings[1].value, "0640");
	assert_int_equal(d->settings[1].line, 33);
	assert_null(cs_destination_get(d, "provider"));
	assert_null(cs_destination_get(d, "nope"));
	/* 64 bytes: longer than inih's own section name buffer */
	d = &cfg.destinations[1];
	assert_string_equal(d->name, longname);
	assert_int_equal(d->line, 35);
	assert_string_equal(cs_destination_get(d, "path"), "/home/%U/scans/%%");
	/* an absent optional key gets its default, marked line 0 */
	assert_string_equal(cs_destination_get(d, "mode"), "0600");
	assert_int_equal(d->settings[d->nsettings - 1].line, 0);
	cs_config_free(&cfg);
}

static void
full_file_sets_actions_resolved_to_destinations(void **state)
{
	struct cs_config cfg;
	const struct cs_action *a;
	char buf[256];

	(void)state;
	load_ok("good-full.conf", &cfg);
	assert_int_equal(cfg.nactions, 3);
	a = cs_config_action(&cfg, "scan-to-archive");
	assert_ptr_equal(a, &cfg.actions[0]);
	assert_int_equal(a->line, 23);
	/* " ;" starts an inline comment */
	assert_string_equal(a->description, "Scans into the shared archive");
	assert_string_equal(a->destination_name, "archive");
	assert_ptr_equal(a->destination, &cfg.destinations[0]);
	/* the indented line continues the list */
	assert_string_equal(joined(a->users, a->nusers, buf, sizeof(buf)),
	    "alice bob carol");
	assert_string_equal(joined(a->groups, a->ngroups, buf, sizeof(buf)),
	    "staff scanners");
	a = cs_config_action(&cfg, "everyone");
	assert_ptr_equal(a->destination, &cfg.destinations[1]);
	assert_null(a->description);
	assert_int_equal(a->ngroups, 0);
	assert_null(a->device);
	a = cs_config_action(&cfg, "Nobody_1.0");
	assert_non_null(a);
	assert_int_equal(a->nusers + a->ngroups, 0);
	assert_string_equal(a->device, "airscan:e0:Canon MF740C/740C");
	assert_null(cs_config_action(&cfg, "nobody_1.0"));
	assert_null(cs_config_action(&cfg, NULL));
	cs_config_free(&cfg);
}

static void
absent_sections_give_the_documented_defaults(void **state)
{
	struct cs_config cfg;
	char buf[64];

	(void)state;
	load_ok("good-empty.conf", &cfg);
	assert_string_equal(cfg.spool_dir, "/var/spool/cloudspool");
	assert_string_equal(cfg.daemon_user, "cloudspool");
	assert_string_equal(cfg.drop_group, "cloudspool-drop");
	assert_string_equal(joined(cfg.trusted_submitters, cfg.ntrusted, buf,
	    sizeof(buf)), "root lp");
	assert_int_equal(cfg.max_job_size, 256 << 20);
	assert_int_equal(cfg.max_jobs_per_user, 100);
	assert_int_equal(cfg.min_free_space, 64 << 20);
	assert_int_equal(cfg.tick, 5);
	assert_int_equal(cfg.authorization_hold, 86400);
	assert_int_equal(cfg.delivery_window, 86400);
	assert_int_equal(cfg.key_rotation, 86400);
	assert_int_equal(cfg.retry_initial, 60);
	assert_int_equal(cfg.retry_max, 3600);
	assert_int_equal(cfg.stale_incoming, 3600);
	assert_int_equal(cfg.ndestinations, 0);
	assert_int_equal(cfg.nactions, 0);
	cs_config_free(&cfg);
}

static void
byte_order_mark_crlf_and_header_comment_are_read(void **state)
{
	struct cs_config cfg;
	const struct cs_action *a;

	(void)state;
	load_ok("good-crlf-bom.conf", &cfg);
	assert_int_equal(cfg.tick, 7);
	assert_string_equal(cs_destination_get(&cfg.destinations[0], "path"),
	    "/srv/d");
	a = cs_config_action(&cfg, "a");
	assert_non_null(a);
	assert_int_equal(a->line, 8);
	assert_string_equal(a->groups[0], "root");
	assert_ptr_equal(a->destination, &cfg.destinations[0]);
	cs_config_free(&cfg);
}

static void
processing_keys_become_filter_arguments(void **state)
{
	struct cs_config cfg;
	const struct cs_action *a;
	const char *argv[16];
	char buf[256], small[20];
	size_t n;

	(void)state;
	load_ok("good-filter.conf", &cfg);
	a = cs_config_action(&cfg, "ocr");
	assert_non_null(a);
	assert_true(a->deskew && a->despeckle && !a->split_blank);
	assert_int_equal(a->remove_blank, 9);
	assert_int_equal(a->split_every, 20);
	assert_string_equal(a->split_barcode, "PATCHT");
	assert_string_equal(a->ocr, "eng+deu");
	assert_int_equal(a->page_compression, CS_PAGE_COMP_JPEG);
	assert_int_equal(a->page_quality, 75);
	n = cs_action_filter_args(a, argv, 16, buf, sizeof(buf));
	assert_int_equal(n, 9);
	assert_string_equal(argv[0], "--deskew");
	assert_string_equal(argv[2], "--remove-blank=9");
	assert_string_equal(argv[3], "--split-every=20");
	assert_string_equal(argv[4], "--split-barcode=PATCHT");
	assert_string_equal(argv[5], "--ocr=eng+deu");
	assert_string_equal(argv[6], "--quality=70");
	assert_string_equal(argv[7], "--deliver-removed");
	assert_string_equal(argv[8], "--jobs=2");
	/* too small an argv or buffer is refused, never cut */
	assert_int_equal(cs_action_filter_args(a, argv, 8, buf, sizeof(buf)),
	    SIZE_MAX);
	assert_int_equal(cs_action_filter_args(a, argv, 16, small,
	    sizeof(small)), SIZE_MAX);
	a = cs_config_action(&cfg, "plain");
	n = cs_action_filter_args(a, argv, 16, buf, sizeof(buf));
	assert_int_equal(n, 2);
	assert_string_equal(argv[0], "--remove-blank=6");
	assert_string_equal(argv[1], "--split-barcode=SEPARATOR SHEET");
	assert_int_equal(a->page_compression, CS_PAGE_COMP_NONE);
	assert_int_equal(a->page_quality, 0);
	a = cs_config_action(&cfg, "archive");
	assert_null(a);
	cs_config_free(&cfg);
}

static void
missing_file_names_the_file_and_the_reason(void **state)
{
	struct cs_config cfg;
	char path[TEST_PATH_MAX], want[TEST_PATH_MAX + 64], err[512];

	(void)state;
	data_path(path, sizeof(path), "no-such-file.conf");
	assert_int_equal(cs_config_load(path, &cfg, err, sizeof(err)),
	    CS_ERR_NOTFOUND);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or "
	    "directory", path);
	assert_string_equal(err, want);
	assert_empty(&cfg);
}

static void
directory_is_not_a_config_file(void **state)
{
	struct cs_config cfg;
	char path[TEST_PATH_MAX], err[512];

	(void)state;
	data_path(path, sizeof(path), "");
	assert_int_not_equal(cs_config_load(path, &cfg, err, sizeof(err)),
	    CS_OK);
	assert_non_null(strstr(err, "not a regular file"));
	assert_empty(&cfg);
}

static void
error_buffer_may_be_small_or_absent(void **state)
{
	struct cs_config cfg;
	char path[TEST_PATH_MAX], err[8];

	(void)state;
	data_path(path, sizeof(path), "error-unknown-section.conf");
	assert_int_equal(cs_config_load(path, &cfg, err, sizeof(err)),
	    CS_ERR_CONFIG);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(cs_config_load(path, &cfg, NULL, 0), CS_ERR_CONFIG);
	assert_int_equal(cs_config_load(NULL, &cfg, NULL, 0), CS_ERR_INVAL);
}

static void
free_is_safe_on_zeroed_freed_and_null(void **state)
{
	struct cs_config cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cs_config_free(&cfg);
	cs_config_free(&cfg);
	cs_config_free(NULL);
	load_ok("good-full.conf", &cfg);
	cs_config_free(&cfg);
	cs_config_free(&cfg);
	assert_empty(&cfg);
}

static void
parse_size_takes_binary_units_and_optional_b(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 }, { "123", 123 }, { "123B", 123 }, { "64K", 65536 },
		{ "64k", 65536 }, { "64KB", 65536 }, { "64kb", 65536 },
		{ "200M", 200 << 20 }, { "2G", UINT64_C(2) << 30 },
		{ "3t", UINT64_C(3) << 40 },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215T", UINT64_C(16777215) << 40 },
	};
	size_t i;
	uint64_t v;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 1;
		assert_int_equal(cs_parse_size(ok[i].s, &v), CS_OK);
		assert_int_equal(v, ok[i].v);
	}
}

static void
parse_size_rejects_junk_and_overflow(void **state)
{
	static const char *const bad[] = {
		"", "K", "B", "-1", "+1", " 1", "1 ", "1 K", "1.5G", "1KK",
		"1KiB", "1P", "0x10", "1BB", "12X",
	};
	static const char *const big[] = {
		"18446744073709551616", "16777216T", "17179869184G",
		"99999999999999999999999999",
	};
	size_t i;
	uint64_t v = 42;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cs_parse_size(bad[i], &v) != CS_ERR_INVAL)
			fail_msg("size '%s' not rejected as invalid", bad[i]);
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		if (cs_parse_size(big[i], &v) != CS_ERR_TOOBIG)
			fail_msg("size '%s' not rejected as too big", big[i]);
	assert_int_equal(v, 42);	/* untouched on error */
	assert_int_equal(cs_parse_size(NULL, &v), CS_ERR_INVAL);
	assert_int_equal(cs_parse_size("1", NULL), CS_ERR_INVAL);
}

static void
parse_duration_takes_s_m_h_d(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 }, { "90", 90 }, { "90s", 90 }, { "30m", 1800 },
		{ "24h", 86400 }, { "2d", 172800 }, { "2D", 172800 },
		{ "18446744073709551615s", UINT64_MAX },
		{ "213503982334601d", UINT64_C(213503982334601) * 86400 },
	};
	size_t i;
	uint64_t v;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 1;
		assert_int_equal(cs_parse_duration(ok[i].s, &v), CS_OK);
		assert_int_equal(v, ok[i].v);
	}
}

static void
parse_duration_rejects_junk_and_overflow(void **state)
{
	static const char *const bad[] = {
		"", "h", "-5s", "+5s", "1.5h", "5 s", " 5", "1w", "1hs",
		"1h30m", "5sB", "xyz",
	};
	static const char *const big[] = {
		"18446744073709551616", "213503982334602d",
		"307445734561825861m", "5124095576030432h",
	};
	size_t i;
	uint64_t v = 42;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cs_parse_duration(bad[i], &v) != CS_ERR_INVAL)
			fail_msg("duration '%s' was not rejected as invalid",
			    bad[i]);
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		if (cs_parse_duration(big[i], &v) != CS_ERR_TOOBIG)
			fail_msg("duration '%s' was not rejected as too big",
			    big[i]);
	assert_int_equal(v, 42);
}

static void
permits_user_listed_by_name(void **state)
{
	char *users[] = { "daemon", "root" };
	struct cs_action a = { .name = "t", .users = users, .nusers = 2 };

	(void)state;
	assert_true(cs_action_permits(&a, "root"));
	assert_true(cs_action_permits(&a, "daemon"));
	assert_false(cs_action_permits(&a, "lp"));
	assert_false(cs_action_permits(&a, "roo"));
	assert_false(cs_action_permits(NULL, "root"));
	assert_false(cs_action_permits(&a, NULL));
}

static void
permits_member_of_listed_group(void **state)
{
	char *groups[] = { "cs-no-such-group", "root" };
	struct cs_action a = { .name = "t", .groups = groups, .ngroups = 2 };

	(void)state;
	/* root's primary group is root (gid 0) */
	assert_true(cs_action_permits(&a, "root"));
	assert_false(cs_action_permits(&a, "cs-no-such-user"));
	a.ngroups = 1;
	assert_false(cs_action_permits(&a, "root"));
}

static void
permits_everyone_with_star(void **state)
{
	char *users[] = { "*" };
	struct cs_action a = { .name = "t", .users = users, .nusers = 1 };

	(void)state;
	assert_true(cs_action_permits(&a, "root"));
	assert_true(cs_action_permits(&a, "cs-no-such-user"));
}

static void
permits_nobody_unlisted_or_without_users_and_groups(void **state)
{
	char *users[] = { "daemon" };
	char *groups[] = { "cs-no-such-group" };
	struct cs_action a = { .name = "t" };

	(void)state;
	assert_false(cs_action_permits(&a, "root"));
	a.users = users;
	a.nusers = 1;
	a.groups = groups;
	a.ngroups = 1;
	assert_false(cs_action_permits(&a, "root"));
}

static void
trusted_submitters_default_to_root_and_lp(void **state)
{
	struct cs_config cfg;

	(void)state;
	load_ok("good-empty.conf", &cfg);
	assert_true(cs_config_is_trusted(&cfg, "root"));
	assert_true(cs_config_is_trusted(&cfg, "lp"));
	assert_false(cs_config_is_trusted(&cfg, "alice"));
	assert_false(cs_config_is_trusted(&cfg, NULL));
	assert_false(cs_config_is_trusted(NULL, "root"));
	cs_config_free(&cfg);
	load_ok("good-full.conf", &cfg);
	assert_true(cs_config_is_trusted(&cfg, "cups-pdf"));
	assert_true(cs_action_permits(cs_config_action(&cfg, "everyone"),
	    "anyone"));
	assert_false(cs_action_permits(cs_config_action(&cfg, "Nobody_1.0"),
	    "root"));
	cs_config_free(&cfg);
}

/* error_case - *state is a bad file's path; it must fail as it expects */
static void
error_case(void **state)
{
	const char *path = *state;
	char line[512], want[TEST_PATH_MAX + 32], err[512], *text, *end;
	unsigned long at;
	struct cs_config cfg;
	FILE *fp;

	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_int_equal(fclose(fp), 0);
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "# expect: ", 10) != 0)
		fail_msg("%s: first line is not '# expect: LINE: text'", path);
	at = strtoul(line + 10, &end, 10);
	if (at == 0 || strncmp(end, ": ", 2) != 0)
		fail_msg("%s: first line is not '# expect: LINE: text'", path);
	text = end + 2;
	assert_int_equal(cs_config_load(path, &cfg, err, sizeof(err)),
	    CS_ERR_CONFIG);
	snprintf(want, sizeof(want), "%s:%lu: ", path, at);
	if (strncmp(err, want, strlen(want)) != 0 || strstr(err, text) == NULL)
		fail_msg("got   \"%s\"\nwant  \"%s...%s...\"", err, want, text);
	assert_empty(&cfg);
}

/* dest - the destination called name in cfg */
static const struct cs_destination *
dest(const struct cs_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ndestinations; i++)
		if (strcmp(cfg->destinations[i].name, name) == 0)
			return &cfg->destinations[i];
	fail_msg("no destination %s", name);
	return NULL;
}

static void
network_providers_load_with_least_privilege_defaults(void **state)
{
	struct cs_config cfg;

	(void)state;
	load_ok("good-cloud.conf", &cfg);
	assert_int_equal(cfg.ndestinations, 5);
	assert_string_equal(cs_destination_get(dest(&cfg, "nc"), "concurrency"),
	    "4");
	assert_string_equal(cs_destination_get(dest(&cfg, "nc"), "chunk_size"),
	    "10M");
	assert_string_equal(cs_destination_get(dest(&cfg, "archive"),
	    "region"), "us-east-1");
	assert_string_equal(cs_destination_get(dest(&cfg, "archive"),
	    "key_prefix"), "%u/");
	assert_string_equal(cs_destination_get(dest(&cfg, "drive"), "scope"),
	    "https://www.googleapis.com/auth/drive.file");
	assert_string_equal(cs_destination_get(dest(&cfg, "od"), "scope"),
	    "Files.ReadWrite.AppFolder offline_access");
	assert_null(cs_destination_get(dest(&cfg, "dbx"), "scope"));
	assert_null(cs_destination_get(dest(&cfg, "dbx"), "device_url"));
	assert_string_equal(cs_destination_get(dest(&cfg, "dbx"),
	    "content_url"), "https://content.dropboxapi.com");
	cs_config_free(&cfg);
}

static void
smtp_destinations_load_with_a_10M_limit_and_a_fallback(void **state)
{
	struct cs_config cfg;

	(void)state;
	load_ok("good-smtp.conf", &cfg);
	assert_int_equal(cfg.ndestinations, 3);
	assert_string_equal(cs_destination_get(dest(&cfg, "mail"),
	    "max_size"), "10M");
	assert_string_equal(cs_destination_get(dest(&cfg, "mail"),
	    "fallback"), "home");
	assert_string_equal(cs_destination_get(dest(&cfg, "mail"), "to"),
	    "%u@example.org");
	assert_null(cs_destination_get(dest(&cfg, "mail-job-address"), "to"));
	assert_string_equal(cs_destination_get(dest(&cfg,
	    "mail-job-address"), "max_size"), "20M");
	assert_false(cs_provider_is_oauth("smtp"));
	cs_config_free(&cfg);
}

static void
only_oauth_providers_need_consent(void **state)
{
	(void)state;
	assert_true(cs_provider_is_oauth("gdrive"));
	assert_true(cs_provider_is_oauth("onedrive"));
	assert_true(cs_provider_is_oauth("dropbox"));
	assert_false(cs_provider_is_oauth("webdav"));
	assert_false(cs_provider_is_oauth("s3"));
	assert_false(cs_provider_is_oauth("localdir"));
	assert_false(cs_provider_is_oauth(NULL));
}

/* is_error_case - scandir filter: error-*.conf */
static int
is_error_case(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return strncmp(e->d_name, "error-", 6) == 0 && n > 5 &&
	    strcmp(e->d_name + n - 5, ".conf") == 0;
}

/* run_error_cases - one test per error-*.conf file, in name order */
static int
run_error_cases(void)
{
	struct CMUnitTest *tests;
	struct dirent **ents;
	char dir[TEST_PATH_MAX];
	int i, n, failed;

	data_path(dir, sizeof(dir), "");
	if ((n = scandir(dir, &ents, is_error_case, alphasort)) <= 0) {
		fprintf(stderr, "no error-*.conf cases in %s (set "
		    "CS_TEST_DATA)\n", dir);
		return 1;
	}
	if ((tests = calloc((size_t)n, sizeof(*tests))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		tests[i].name = ents[i]->d_name;
		tests[i].test_func = error_case;
		tests[i].initial_state = malloc(TEST_PATH_MAX);
		if (tests[i].initial_state == NULL)
			return 1;
		data_path(tests[i].initial_state, TEST_PATH_MAX,
		    ents[i]->d_name);
	}
	failed = _cmocka_run_group_tests("config_error_cases", tests,
	    (size_t)n, NULL, NULL);
	for (i = 0; i < n; i++) {
		free(tests[i].initial_state);
		free(ents[i]);
	}
	free(tests);
	free(ents);
	return failed;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    full_file_sets_every_spool_and_retention_field),
		cmocka_unit_test(
		    full_file_sets_destinations_with_settings_and_lines),
		cmocka_unit_test(
		    full_file_sets_actions_resolved_to_destinations),
		cmocka_unit_test(absent_sections_give_the_documented_defaults),
		cmocka_unit_test(
		    byte_order_mark_crlf_and_header_comment_are_read),
		cmocka_unit_test(processing_keys_become_filter_arguments),
		cmocka_unit_test(missing_file_names_the_file_and_the_reason),
		cmocka_unit_test(directory_is_not_a_config_file),
		cmocka_unit_test(
		    network_providers_load_with_least_privilege_defaults),
		cmocka_unit_test(
		    smtp_destinations_load_with_a_10M_limit_and_a_fallback),
		cmocka_unit_test(only_oauth_providers_need_consent),
		cmocka_unit_test(error_buffer_may_be_small_or_absent),
		cmocka_unit_test(free_is_safe_on_zeroed_freed_and_null),
		cmocka_unit_test(parse_size_takes_binary_units_and_optional_b),
		cmocka_unit_test(parse_size_rejects_junk_and_overflow),
		cmocka_unit_test(parse_duration_takes_s_m_h_d),
		cmocka_unit_test(parse_duration_rejects_junk_and_overflow),
		cmocka_unit_test(permits_user_listed_by_name),
		cmocka_unit_test(permits_member_of_listed_group),
		cmocka_unit_test(permits_everyone_with_star),
		cmocka_unit_test(
		    permits_nobody_unlisted_or_without_users_and_groups),
		cmocka_unit_test(trusted_submitters_default_to_root_and_lp),
	};
	int failed;

	failed = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	failed += run_error_cases();
	return failed != 0;
}
