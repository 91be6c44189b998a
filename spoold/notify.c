/*
 * notify.c - the emails cloudspoold sends users: consent needed (the link,
 * the deadline, the destination) and job shredded unconsented (the file
 * name and the reason, never content). English and French; the user's
 * language from [authorization] locale_map ("user locale" lines), else
 * default_locale. The address comes from the site's address_rule.
 *
 * The texts are a table here, not gettext catalogs: see ARCHITECTURE.md
 * (consent) for why and what is left.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>

#include "daemon.h"
#include "log.h"
#include "mail.h"
#include "privs.h"
#include "safefile.h"

struct notify_text {
	const char *subject;
	const char *body;	/* printf: destination, link or file, deadline
				 * or reason */
};

static const struct notify_text notify_texts[2][2] = {
	[0] = {
		[NOTIFY_CONSENT] = { "Scan waiting: authorize %s",
		    "Hello,\n\nA scan of yours is waiting to be sent to \"%s\".\n"
		    "Please authorize cloudspool to write there by opening this "
		    "link (it works once):\n\n%s\n\nIf you do not authorize by "
		    "%s, waiting scans will be deleted unread.\n" },
		[NOTIFY_SHREDDED] = { "Scan deleted: %s not authorized",
		    "Hello,\n\nYour scan was not delivered to \"%s\" and has "
		    "been deleted.\n\nFile: %s\nReason: not authorized (no consent "
		    "in time)\n" },
	},
	[1] = {
		[NOTIFY_CONSENT] = { "Num\xc3\xa9risation en attente : "
		    "autorisez %s",
		    "Bonjour,\n\nUne de vos num\xc3\xa9risations attend d'\xc3\xaatre "
		    "envoy\xc3\xa9" "e vers \xc2\xab %s \xc2\xbb.\nAutorisez "
		    "cloudspool \xc3\xa0 y \xc3\xa9" "crire en ouvrant ce lien "
		    "(valable une fois) :\n\n%s\n\nSans autorisation avant le "
		    "%s, les num\xc3\xa9risations en attente seront "
		    "supprim\xc3\xa9" "es sans avoir \xc3\xa9t\xc3\xa9 lues.\n" },
		[NOTIFY_SHREDDED] = { "Num\xc3\xa9risation supprim\xc3\xa9" "e : "
		    "%s non autoris\xc3\xa9",
		    "Bonjour,\n\nVotre num\xc3\xa9risation n'a pas \xc3\xa9t\xc3\xa9 "
		    "livr\xc3\xa9" "e vers \xc2\xab %s \xc2\xbb et a \xc3\xa9t\xc3\xa9 "
		    "supprim\xc3\xa9" "e.\n\nFichier : %s\nRaison : non "
		    "autoris\xc3\xa9" "e (pas d'autorisation \xc3\xa0 temps)\n" },
	},
};

/* notify_locale - 1 for French, 0 for English */
static int
notify_locale(struct cs_daemon *d, const char *user)
{
	const struct cs_auth_config *ac = &d->cfg.auth;
	char line[256], name[128], loc[16];
	int fr = ac->default_locale != NULL &&
	    strcmp(ac->default_locale, "fr") == 0;
	FILE *fp;

	if (ac->locale_map == NULL || (fp = fopen(ac->locale_map, "re")) ==
	    NULL)
		return fr;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%127s %15s", name, loc) == 2 &&
		    strcmp(name, user) == 0)
			fr = strncmp(loc, "fr", 2) == 0;
	fclose(fp);
	return fr;
}

/* The formats are the constant table above, chosen by index, never
 * built from input: -Wformat-nonliteral cannot see that. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/* notify_user - see daemon.h */
void
notify_user(struct cs_daemon *d, uint32_t uid, enum notify_kind kind,
    const char *destination, const char *link, int64_t deadline,
    const char *detail)
{
	const struct cs_auth_config *ac = &d->cfg.auth;
	struct cs_mail_server srv = { ac->smtp_url, ac->smtp_from,
	    ac->smtp_user, NULL, ac->smtp_ca_file };
	char user[256], to[CS_MAIL_ADDR_MAX + 1], subject[256], body[4096];
	char when[64], password[256] = "", why[256];
	const struct notify_text *t;
	time_t tt = (time_t)deadline;
	struct tm tm;
	size_t len;
	cs_result r;

	if (ac->smtp_url == NULL || cs_user_name(uid, user, sizeof(user)) !=
	    CS_OK)
		return;
	if (cs_mail_user_address(ac->address_rule, ac->address_map, user, to,
	    sizeof(to)) != CS_OK) {
		cs_log(LOG_WARNING, "no email address for %.64s", user);
		return;
	}
	t = &notify_texts[notify_locale(d, user)][kind];
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		(void)snprintf(when, sizeof(when), "?");
	(void)snprintf(subject, sizeof(subject), t->subject, destination);
	if (kind == NOTIFY_CONSENT)
		(void)snprintf(body, sizeof(body), t->body, destination, link,
		    when);
	else
		(void)snprintf(body, sizeof(body), t->body, destination,
		    detail != NULL ? detail : "-");
	if (ac->smtp_password_file != NULL && cs_read_small_file(AT_FDCWD,
	    ac->smtp_password_file, password, sizeof(password) - 1, &len) ==
	    CS_OK) {
		password[len] = '\0';
		password[strcspn(password, "\r\n")] = '\0';
		srv.password = password;
	}
	r = cs_mail_send(&srv, to, subject, body, NULL, why, sizeof(why));
	cs_wipe(password, sizeof(password));
	cs_wipe(body, sizeof(body));
	daemon_audit_job(d, r == CS_OK ? "mail-sent" : "mail-failed", NULL,
	    json_pack("{s:I, s:s, s:s, s:s?}", "uid", (json_int_t)uid, "kind",
	    kind == NOTIFY_CONSENT ? "consent-needed" : "shredded-unconsented",
	    "destination", destination, "reason", r == CS_OK ? NULL : why));
}

#pragma GCC diagnostic pop
