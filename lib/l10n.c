/*
 * l10n.c - per-message language through glibc's gettext and a thread
 * locale (see l10n.h).
 *
 * Why a thread locale and not setlocale: the daemon and authd serve many
 * users; setlocale would switch every thread at once. glibc's dgettext
 * reads the calling thread's LC_MESSAGES name, so uselocale() around the
 * one call picks the catalog for this message only. The locale object is
 * made and freed per message: mails and consent pages are rare, and glibc
 * caches the locale data itself, so there is nothing of ours to reset.
 */
#include <ctype.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l10n.h"

/* cs_l10n_init - see l10n.h */
void
cs_l10n_init(const char *localedir)
{
	(void)unsetenv("LANGUAGE");
	(void)bindtextdomain(CS_TEXTDOMAIN, localedir);
	/* the catalogs are UTF-8 and so are mails and pages; without this
	 * glibc would convert to the C locale's ASCII */
	(void)bind_textdomain_codeset(CS_TEXTDOMAIN, "UTF-8");
}

/* cs_l10n_locale_name - see l10n.h */
int
cs_l10n_locale_name(const char *lang, char *out, size_t cap)
{
	char ll[4] = "", cc[3] = "";
	size_t n = 0;
	int r;

	if (lang == NULL)
		return 0;
	while (n < 3 && isalpha((unsigned char)lang[n])) {
		ll[n] = (char)tolower((unsigned char)lang[n]);
		n++;
	}
	ll[n] = '\0';
	if (n < 2 || isalpha((unsigned char)lang[n]))
		return 0;
	if (lang[n] == '_' || lang[n] == '-') {
		if (!isalpha((unsigned char)lang[n + 1]) ||
		    !isalpha((unsigned char)lang[n + 2]) ||
		    isalpha((unsigned char)lang[n + 3]))
			return 0;
		cc[0] = (char)toupper((unsigned char)lang[n + 1]);
		cc[1] = (char)toupper((unsigned char)lang[n + 2]);
	} else if (lang[n] != '\0' && lang[n] != '.' && lang[n] != '@' &&
	    lang[n] != ';' && lang[n] != ',')
		return 0;
	else if (n == 2) {	/* "fr": the country of the same name */
		cc[0] = (char)toupper((unsigned char)ll[0]);
		cc[1] = (char)toupper((unsigned char)ll[1]);
	} else
		return 0;	/* three-letter codes need a country */
	if (strcmp(ll, "en") == 0)
		return 0;	/* the msgids are English */
	r = snprintf(out, cap, "%s_%s.UTF-8", ll, cc);
	return r > 0 && (size_t)r < cap;
}

/* l10n_home_country - "ll_CC.UTF-8" into "ll_LL.UTF-8" in place; 0 when
 * it already was, or the language has three letters */
static int
l10n_home_country(char *name)
{
	if (name[2] != '_' || (name[3] == toupper((unsigned char)name[0]) &&
	    name[4] == toupper((unsigned char)name[1])))
		return 0;
	name[3] = (char)toupper((unsigned char)name[0]);
	name[4] = (char)toupper((unsigned char)name[1]);
	return 1;
}

/* cs_l10n_text - see l10n.h */
const char *
cs_l10n_text(const char *lang, const char *msgid)
{
	char name[32];
	locale_t loc, old;
	const char *s;

	if (!cs_l10n_locale_name(lang, name, sizeof(name)))
		return msgid;
	/* LC_MESSAGES only, on top of "C": nothing else of the thread's
	 * behaviour (numbers, character classes) changes */
	loc = newlocale(LC_MESSAGES_MASK, name, (locale_t)0);
	/* "fr_CA" on a system with only fr_FR: the language's own country
	 * still finds the "fr" catalog, as the table this replaced did */
	if (loc == (locale_t)0 && l10n_home_country(name))
		loc = newlocale(LC_MESSAGES_MASK, name, (locale_t)0);
	if (loc == (locale_t)0)
		return msgid;	/* the system has no such locale: English */
	if ((old = uselocale(loc)) == (locale_t)0) {
		freelocale(loc);
		return msgid;
	}
	s = dgettext(CS_TEXTDOMAIN, msgid);
	(void)uselocale(old);
	freelocale(loc);
	return s;
}
