/*
 * notify.c - the emails cloudspoold sends users: consent needed (the link,
 * the deadline, the destination) and job shredded unconsented (the file
 * name and the reason, never content). The texts are English msgids
 * here, translated by the gettext catalogs (po/, lib/l10n.c) into the
 * user's language: their [authorization] locale_map line ("user locale"),
 * else default_locale. The address comes from the site's address_rule.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>

#include "daemon.h"
#include "l10n.h"
#include "log.h"
#include "mail.h"
#include "privs.h"
#include "safefile.h"

struct notify_text {
	const char *subject;	/* printf: destination */
	const char *body;	/* printf: destination, link or file, deadline
				 * or reason */
};

/* English msgids; po/LANG.po translates them (TRANSLATORS comments go to
 * po/cloudspool.pot) */
static const struct notify_text notify_texts[] = {
	/* TRANSLATORS: %s is the destination's name */
	[NOTIFY_CONSENT] = { N_("Scan waiting: authorize %s"),
	    /* TRANSLATORS: destination, one-time link, deadline (UTC) */
	    N_("Hello,\n\nA scan of yours is waiting to be sent to \"%s\".\n"
	    "Please authorize cloudspool to write there by opening this "
	    "link (it works once):\n\n%s\n\nIf you do not authorize by "
	    "%s, waiting scans will be deleted unread.\n") },
	/* TRANSLATORS: %s is the destination's name */
	[NOTIFY_SHREDDED] = { N_("Scan deleted: %s not authorized"),
	    /* TRANSLATORS: the destination, then the scan's file name */
	    N_("Hello,\n\nYour scan was not delivered to \"%s\" and has "
	    "been deleted.\n\nFile: %s\nReason: not authorized (no consent "
	    "in time)\n") },
};

/* notify_locale - the user's language: their locale_map line, else
 * default_locale, else English; into loc */
static void
notify_locale(struct cs_daemon *d, const char *user, char *loc, size_t cap)
{
	const struct cs_auth_config *ac = &d->cfg.auth;
	char line[256], name[128], l[32];
	FILE *fp;

	(void)snprintf(loc, cap, "%s", ac->default_locale != NULL ?
	    ac->default_locale : "en");
	if (ac->locale_map == NULL || (fp = fopen(ac->locale_map, "re")) ==
	    NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%127s %31s", name, l) == 2 &&
		    strcmp(name, user) == 0)
			(void)snprintf(loc, cap, "%s", l);
	fclose(fp);
}

/* The formats are the constant table above or their translations, which
 * msgfmt --check holds to the same conversions (c-format), never built
 * from input: -Wformat-nonliteral cannot see that. */
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
	char when[64], password[256] = "", why[256], loc[32];
	const char *subject_fmt, *body_fmt;
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
	notify_locale(d, user, loc, sizeof(loc));
	subject_fmt = cs_l10n_text(loc, notify_texts[kind].subject);
	body_fmt = cs_l10n_text(loc, notify_texts[kind].body);
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		(void)snprintf(when, sizeof(when), "?");
	(void)snprintf(subject, sizeof(subject), subject_fmt, destination);
	if (kind == NOTIFY_CONSENT)
		(void)snprintf(body, sizeof(body), body_fmt, destination, link,
		    when);
	else
		(void)snprintf(body, sizeof(body), body_fmt, destination,
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
