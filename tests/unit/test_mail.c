/*
 * test_mail.c - what the mail code decides without a server: which
 * addresses it will put in a header, the RFC 2047 subject, the user's
 * address by each site rule, and that a plain-text SMTP URL scheme or a
 * header-injecting recipient is refused before any connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mail.h"

/* addresses_are_checked - no header injection through an address */
static void
addresses_are_checked(void **state)
{
	(void)state;
	assert_true(cs_mail_address_ok("alice@example.org"));
	assert_true(cs_mail_address_ok("a.b+c@sub.example.org"));
	assert_false(cs_mail_address_ok("alice@example.org\r\nBcc: x@y"));
	assert_false(cs_mail_address_ok("alice"));
	assert_false(cs_mail_address_ok("@example.org"));
	assert_false(cs_mail_address_ok("a@b@c"));
	assert_false(cs_mail_address_ok("Alice <alice@example.org>"));
	assert_false(cs_mail_address_ok("a,b@example.org"));
}

/* subject_is_encoded_when_not_ascii - RFC 2047 B */
static void
subject_is_encoded_when_not_ascii(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(cs_mail_encode_header("Scan ready", out, sizeof(out)),
	    CS_OK);
	assert_string_equal(out, "Scan ready");
	assert_int_equal(cs_mail_encode_header("Autorisation n\xc3\xa9" "cessaire",
	    out, sizeof(out)), CS_OK);
	assert_string_equal(out, "=?UTF-8?B?QXV0b3Jpc2F0aW9uIG7DqWNlc3NhaXJl?=");
	assert_int_equal(cs_mail_encode_header("a\r\nBcc: x", out, sizeof(out)),
	    CS_OK);
	assert_null(strchr(out, '\n'));
	assert_int_equal(cs_mail_encode_header("\xc3\xa9", out, 8),
	    CS_ERR_TOOBIG);
}

/* address_rules_find_the_user - domain, map and their failures */
static void
address_rules_find_the_user(void **state)
{
	char out[CS_MAIL_ADDR_MAX + 1], map[] = "/tmp/cs_mailmap_XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(cs_mail_user_address("domain:example.org", NULL,
	    "alice", out, sizeof(out)), CS_OK);
	assert_string_equal(out, "alice@example.org");
	assert_true((fd = mkstemp(map)) >= 0);
	assert_true(write(fd, "# comment\nbob  bob.smith@example.com\n"
	    "eve not-an-address\n", 56) == 56);
	close(fd);
	assert_int_equal(cs_mail_user_address("map", map, "bob", out,
	    sizeof(out)), CS_OK);
	assert_string_equal(out, "bob.smith@example.com");
	assert_int_equal(cs_mail_user_address("map", map, "eve", out,
	    sizeof(out)), CS_ERR_NOTFOUND);
	assert_int_equal(cs_mail_user_address("map", map, "nobody-here", out,
	    sizeof(out)), CS_ERR_NOTFOUND);
	unlink(map);
	assert_int_equal(cs_mail_user_address("map", map, "bob", out,
	    sizeof(out)), CS_ERR_CONFIG);
	assert_int_equal(cs_mail_user_address("bogus", NULL, "bob", out,
	    sizeof(out)), CS_ERR_CONFIG);
	/* root's GECOS ("root") holds no address */
	assert_int_equal(cs_mail_user_address("gecos", NULL, "root", out,
	    sizeof(out)), CS_ERR_NOTFOUND);
}

/* send_refuses_plain_schemes_and_bad_recipients - before connecting */
static void
send_refuses_plain_schemes_and_bad_recipients(void **state)
{
	struct cs_mail_server srv = { .url = "http://127.0.0.1:1",
	    .from = "cloudspool@example.org" };
	char why[200];

	(void)state;
	assert_int_equal(cs_mail_send(&srv, "a@example.org", "s", "b", NULL,
	    why, sizeof(why)), CS_ERR_CONFIG);
	srv.url = "smtp://127.0.0.1:1";
	assert_int_equal(cs_mail_send(&srv, "a@example.org\r\nRCPT TO:<x@y>",
	    "s", "b", NULL, why, sizeof(why)), CS_ERR_INVAL);
	/* nothing listens on port 1: a transient failure, with a reason */
	assert_int_equal(cs_mail_send(&srv, "a@example.org", "s", "b", NULL,
	    why, sizeof(why)), CS_ERR_TEMP);
	assert_non_null(strstr(why, "smtp://127.0.0.1:1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_are_checked),
		cmocka_unit_test(subject_is_encoded_when_not_ascii),
		cmocka_unit_test(address_rules_find_the_user),
		cmocka_unit_test(send_refuses_plain_schemes_and_bad_recipients),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
