/*
 * test_l10n.c - the gettext catalogs through lib/l10n.c: the catalog built
 * from po/fr.po (CS_TEST_LOCALEDIR, the build tree's po/) gives the
 * French mail and page texts; unknown, English or malformed languages
 * give the English msgid; LANGUAGE in the environment does not override
 * the reader's language; the language is per call and per thread, never
 * the process's (setlocale stays "C" and two threads asking for French and
 * English at once each get their own). The installed catalog
 * (CS_LOCALEDIR) is checked the same way when it is there.
 *
 * Needs the fr_FR.UTF-8 system locale (setup.sh deps generates it): the
 * first test says so plainly when it is missing.
 */
#include <locale.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "l10n.h"

#define MAIL_SUBJECT "Scan waiting: authorize %s"
#define MAIL_SUBJECT_FR "Num\xc3\xa9risation en attente : autorisez %s"
#define PAGE_DONE "Authorization recorded"
#define PAGE_DONE_FR "Autorisation enregistr\xc3\xa9" "e"
#define SHRED_BODY "Hello,\n\nYour scan was not delivered to \"%s\" and " \
	"has been deleted.\n\nFile: %s\nReason: not authorized (no consent " \
	"in time)\n"

/* setup - every test starts from the built catalog */
static int
setup(void **state)
{
	(void)state;
	cs_l10n_init(CS_TEST_LOCALEDIR);
	return 0;
}

/* french_system_locale_is_installed - what the rest relies on */
static void
french_system_locale_is_installed(void **state)
{
	locale_t loc = newlocale(LC_MESSAGES_MASK, "fr_FR.UTF-8", (locale_t)0);

	(void)state;
	if (loc == (locale_t)0)
		fail_msg("the fr_FR.UTF-8 locale is not generated: run "
		    "'./setup.sh deps' or 'localedef -i fr_FR -f UTF-8 "
		    "fr_FR.UTF-8'");
	freelocale(loc);
}

/* built_catalog_gives_french - mail subject, mail body, page title */
static void
built_catalog_gives_french(void **state)
{
	const char *body;

	(void)state;
	assert_string_equal(cs_l10n_text("fr", MAIL_SUBJECT), MAIL_SUBJECT_FR);
	assert_string_equal(cs_l10n_text("fr", PAGE_DONE), PAGE_DONE_FR);
	body = cs_l10n_text("fr", SHRED_BODY);
	assert_non_null(strstr(body, "Fichier : %s\n"));
	assert_non_null(strstr(body, "\xc2\xab %s \xc2\xbb"));	/* « %s » */
}

/* french_variants_find_the_french_catalog - region, case, codeset */
static void
french_variants_find_the_french_catalog(void **state)
{
	static const char *const variants[] = { "fr_FR", "FR", "fr-fr",
	    "fr_FR.UTF-8", "fr_FR.utf8", "fr_CA", "fr-BE", "fr;q=0.9" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		assert_string_equal(cs_l10n_text(variants[i], PAGE_DONE),
		    PAGE_DONE_FR);
}

/* unknown_or_english_gives_english - the msgid itself, same pointer */
static void
unknown_or_english_gives_english(void **state)
{
	static const char *const langs[] = { "en", "en_GB", "EN-us", "xx",
	    "de", "zz_ZZ", "", "f", "fren", "fr_", "fr_F", "../fr",
	    "fr/../../etc", "fr_FRA", "1r" };
	size_t i;

	(void)state;
	assert_ptr_equal(cs_l10n_text(NULL, MAIL_SUBJECT), MAIL_SUBJECT);
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		assert_ptr_equal(cs_l10n_text(langs[i], MAIL_SUBJECT),
		    MAIL_SUBJECT);
	/* a msgid no catalog has stays as it is, in French too */
	assert_string_equal(cs_l10n_text("fr", "no such msgid"),
	    "no such msgid");
}

/* locale_names_are_built_from_tags - and refused otherwise */
static void
locale_names_are_built_from_tags(void **state)
{
	char name[32];

	(void)state;
	assert_int_equal(cs_l10n_locale_name("fr", name, sizeof(name)), 1);
	assert_string_equal(name, "fr_FR.UTF-8");
	assert_int_equal(cs_l10n_locale_name("pt-br", name, sizeof(name)), 1);
	assert_string_equal(name, "pt_BR.UTF-8");
	assert_int_equal(cs_l10n_locale_name("ast_ES", name, sizeof(name)), 1);
	assert_string_equal(name, "ast_ES.UTF-8");
	assert_int_equal(cs_l10n_locale_name("en", name, sizeof(name)), 0);
	assert_int_equal(cs_l10n_locale_name("ast", name, sizeof(name)), 0);
	assert_int_equal(cs_l10n_locale_name("fr\n", name, sizeof(name)), 0);
	assert_int_equal(cs_l10n_locale_name("fr", name, 8), 0);
}

/* language_variable_does_not_override - an admin's LANGUAGE=de:en shell
 * must not turn French users' mails English */
static void
language_variable_does_not_override(void **state)
{
	(void)state;
	assert_int_equal(setenv("LANGUAGE", "en_US:en", 1), 0);
	cs_l10n_init(CS_TEST_LOCALEDIR);
	assert_null(getenv("LANGUAGE"));
	assert_string_equal(cs_l10n_text("fr", PAGE_DONE), PAGE_DONE_FR);
}

struct lang_thread {
	const char *lang;
	const char *want;
	int wrong;
};

/* lang_thread_run - many lookups in one language */
static void *
lang_thread_run(void *arg)
{
	struct lang_thread *t = arg;
	int i;

	for (i = 0; i < 2000; i++)
		if (strcmp(cs_l10n_text(t->lang, PAGE_DONE), t->want) != 0)
			t->wrong++;
	return NULL;
}

/* language_is_per_thread - the process locale never moves */
static void
language_is_per_thread(void **state)
{
	struct lang_thread fr = { "fr", PAGE_DONE_FR, 0 };
	struct lang_thread en = { "en", PAGE_DONE, 0 };
	pthread_t a, b;

	(void)state;
	assert_int_equal(pthread_create(&a, NULL, lang_thread_run, &fr), 0);
	assert_int_equal(pthread_create(&b, NULL, lang_thread_run, &en), 0);
	assert_int_equal(pthread_join(a, NULL), 0);
	assert_int_equal(pthread_join(b, NULL), 0);
	assert_int_equal(fr.wrong, 0);
	assert_int_equal(en.wrong, 0);
	assert_string_equal(setlocale(LC_MESSAGES, NULL), "C");
	assert_string_equal(setlocale(LC_ALL, NULL), "C");
	assert_true(uselocale((locale_t)0) == LC_GLOBAL_LOCALE);
}

/* no_catalog_gives_english - a localedir without cloudspool.mo */
static void
no_catalog_gives_english(void **state)
{
	(void)state;
	cs_l10n_init("/nonexistent/cloudspool-locale");
	assert_ptr_equal(cs_l10n_text("fr", PAGE_DONE), PAGE_DONE);
}

#define INSTALLED_MO CS_LOCALEDIR "/fr/LC_MESSAGES/" CS_TEXTDOMAIN ".mo"

/* installed_catalog_gives_french - after make install (main leaves it
 * out before: cmocka's skip() prints "not ok ... # SKIP", which the
 * runner would count as a failure) */
static void
installed_catalog_gives_french(void **state)
{
	(void)state;
	cs_l10n_init(CS_LOCALEDIR);
	assert_string_equal(cs_l10n_text("fr", MAIL_SUBJECT), MAIL_SUBJECT_FR);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(french_system_locale_is_installed),
		T(built_catalog_gives_french),
		T(french_variants_find_the_french_catalog),
		T(unknown_or_english_gives_english),
		T(locale_names_are_built_from_tags),
		T(language_variable_does_not_override),
		T(language_is_per_thread),
		T(no_catalog_gives_english),
		T(installed_catalog_gives_french),	/* last */
	};
	size_t n = sizeof(tests) / sizeof(tests[0]);

	if (access(INSTALLED_MO, R_OK) != 0) {
		printf("# %s absent (not installed): not checked\n",
		    INSTALLED_MO);
		n--;
	}
	return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}
