/*
 * l10n.h - the texts users read (consent mails, authd's pages) in their
 * language, from gettext catalogs of the "cloudspool" domain
 * ($(localedir)/LANG/LC_MESSAGES/cloudspool.mo, built from po/LANG.po).
 *
 * The language is chosen per message, never for the process: the lookup
 * runs under a thread locale (newlocale + uselocale) that only sets
 * LC_MESSAGES, so one thread can mail a French user while another answers
 * an English browser. A language whose system locale or catalog is missing
 * gives the English msgid.
 */
#ifndef CS_L10N_H
#define CS_L10N_H

#include <stddef.h>

#define CS_TEXTDOMAIN "cloudspool"

/* N_ - marks an English msgid for xgettext (--keyword=N_) where it is
 * defined; the lookup happens later, in the reader's language */
#define N_(s) (s)

/* cs_l10n_init - bind the domain to localedir with UTF-8 output. Once at
 * start, before threads (bindtextdomain is process-wide); again with
 * another folder in tests. Also drops LANGUAGE from the environment:
 * glibc lets it override the locale, so an admin's shell would otherwise
 * decide what language users get. */
void cs_l10n_init(const char *localedir);

/* cs_l10n_text - msgid in language lang ("fr", "fr_FR", "en"; NULL or an
 * unknown or unavailable language: msgid itself). The result is msgid or
 * a string in the loaded catalog, valid for the life of the process. */
const char *cs_l10n_text(const char *lang, const char *msgid);

/* cs_l10n_locale_name - the locale cs_l10n_text uses for lang: "fr" ->
 * "fr_FR.UTF-8", "pt-br" or "pt_BR.UTF-8" -> "pt_BR.UTF-8". Returns 1,
 * or 0 (nothing to look up) for English and for anything that is not a
 * language tag ([a-z]{2,3}, then optionally [_-] and two letters). */
int cs_l10n_locale_name(const char *lang, char *out, size_t cap);

#endif
