/*
 * NAME
 *	cloudspool-drop - the only way into the cloudspool spool
 * SYNOPSIS
 *	cloudspool-drop [-c config] -a action [-n name] [-u user] [-e email]
 *	    [-l locale] [-o origin] [--pages] < document
 *	cloudspool-drop [-c config] --status
 * DESCRIPTION
 *	Reads a document on standard input and seals it, while it streams,
 *	to the spool's current public key (HPKE, then a chunked AES-256-GCM
 *	stream), under a temporary name in incoming/; renames it into place
 *	when complete and prints the job id. No plaintext byte reaches disk.
 *	--status prints the caller's own job list as published by cloudspoold.
 *	--pages reads a page stream (lib/pagestream.h, as `cloudspool scan`
 *	writes it) instead of a document and seals each page as its own PAGE
 *	section while it streams; a stream cut short, a bad page header, more
 *	than max_pages pages or more than max_job_size bytes leave nothing.
 * SECURITY
 *	Installed setgid cloudspool-drop, never setuid: the file it makes is
 *	owned by the caller's real uid, which is what cloudspoold trusts
 *	(the Postfix postdrop model). It holds no private key. It empties its
 *	environment, makes sure fds 0-2 are open, closes every other fd, sets
 *	its umask, caps every size, writes its own timestamp, and removes its
 *	half-written file on any error or signal. Only users named in
 *	trusted_submitters (root and lp by default) may use -u or -e. A config
 *	other than the default must be owned by root and not writable by others.
 * DIAGNOSTICS
 *	One line on stderr naming the problem; exit status from sysexits.h:
 *	EX_USAGE, EX_NOUSER (unknown user), EX_NOPERM (action not allowed),
 *	EX_DATAERR (over max_job_size or max_pages, a bad or truncated page
 *	stream), EX_TEMPFAIL (spool full, quota, no
 *	key yet: try later), EX_CONFIG, EX_IOERR.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sysexits.h>
#include <time.h>
#include <jansson.h>

#include "config.h"
#include "drop_pages.h"
#include "jobmeta.h"
#include "keyring.h"
#include "privs.h"
#include "safefile.h"
#include "spool.h"
#include "spoolfmt.h"

/* Big reads: fewer system calls and a pipe drained in one go. */
#define DROP_READ_SIZE (1u << 20)

struct drop_args {
	const char *config;
	const char *action;
	const char *name;
	const char *on_behalf;
	const char *email;
	const char *locale;
	const char *origin;
	int status;
	int pages;			/* --pages: stdin is a page stream */
};

/* What a signal handler may touch: a flag, nothing else. */
static volatile sig_atomic_t drop_signalled;

/* drop_on_signal - note the signal; the read loop sees EINTR and cleans up */
static void
drop_on_signal(int sig)
{
	drop_signalled = sig;
}

/* drop_fail - one line, then exit; the caller removed any partial file */
static void __attribute__((noreturn, format(printf, 2, 3)))
drop_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("cloudspool-drop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* drop_usage - the synopsis */
static void __attribute__((noreturn))
drop_usage(void)
{
	drop_fail(EX_USAGE, "usage: cloudspool-drop [-c config] -a action "
	    "[-n name] [-u user] [-e email] [-l locale] [-o origin] [--pages] "
	    "< file | --status");
}

/* drop_parse_args - getopt into args */
static void
drop_parse_args(int argc, char **argv, struct drop_args *a)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "action", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "user", required_argument, NULL, 'u' },
		{ "email", required_argument, NULL, 'e' },
		{ "locale", required_argument, NULL, 'l' },
		{ "origin", required_argument, NULL, 'o' },
		{ "status", no_argument, NULL, 's' },
		{ "pages", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->config = CS_CONFIG_DEFAULT_PATH;
	while ((c = getopt_long(argc, argv, "c:a:n:u:e:l:o:s", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'a': a->action = optarg; break;
		case 'n': a->name = optarg; break;
		case 'u': a->on_behalf = optarg; break;
		case 'e': a->email = optarg; break;
		case 'l': a->locale = optarg; break;
		case 'o': a->origin = optarg; break;
		case 's': a->status = 1; break;
		case 'P': a->pages = 1; break;
		default: drop_usage();
		}
	}
	if (optind != argc || (!a->status && a->action == NULL))
		drop_usage();
}

/* drop_check_config_owner - a non-root caller may only name a config that
 * root wrote and nobody else can change */
static void
drop_check_config_owner(const char *path)
{
	struct stat st;

	if (getuid() == 0 || strcmp(path, CS_CONFIG_DEFAULT_PATH) == 0)
		return;
	if (lstat(path, &st) < 0)
		drop_fail(EX_CONFIG, "%.200s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		drop_fail(EX_NOPERM, "%.200s: a config given with -c must be "
		    "owned by root and writable by root only", path);
}

/* drop_copy_field - bounded copy of an optional, length-checked field */
static void
drop_copy_field(const char *what, const char *in, char *out, size_t cap)
{
	size_t n;

	if (in == NULL) {
		out[0] = '\0';
		return;
	}
	n = strlen(in);
	if (n >= cap)
		drop_fail(EX_USAGE, "%s is too long (at most %zu bytes)", what,
		    cap - 1);
	memcpy(out, in, n + 1);
}

/* drop_clean_locale - keep [A-Za-z0-9_.@-] of the caller's locale */
static void
drop_clean_locale(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; in != NULL && *in != '\0' && o + 1 < cap; in++)
		if ((*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') ||
		    (*in >= '0' && *in <= '9') || strchr("_.@-", *in) != NULL)
			out[o++] = *in;
	out[o] = '\0';
}

/* drop_identity - fill user, uid, submitter from the real uid and -u/-e */
static void
drop_identity(const struct cs_config *cfg, const struct drop_args *a,
    struct cs_jobmeta *m)
{
	uid_t uid;
	gid_t gid;

	m->submitter_uid = (uint32_t)getuid();
	if (cs_user_name(getuid(), m->submitter, sizeof(m->submitter)) != CS_OK)
		drop_fail(EX_NOUSER, "uid %u has no user name", (unsigned)getuid());
	if ((a->on_behalf != NULL || a->email != NULL) &&
	    !cs_config_is_trusted(cfg, m->submitter))
		drop_fail(EX_NOPERM, "only trusted submitters (%s) may submit "
		    "for another user or set an email address",
		    cfg->ntrusted > 0 ? "see trusted_submitters" : "none");
	if (a->on_behalf == NULL) {
		memcpy(m->user, m->submitter, sizeof(m->user));
		m->uid = m->submitter_uid;
	} else {
		if (strlen(a->on_behalf) >= sizeof(m->user) ||
		    cs_lookup_user(a->on_behalf, &uid, &gid) != CS_OK)
			drop_fail(EX_NOUSER, "unknown user '%.64s'", a->on_behalf);
		drop_copy_field("user", a->on_behalf, m->user, sizeof(m->user));
		m->uid = (uint32_t)uid;
	}
	drop_copy_field("email", a->email, m->email, sizeof(m->email));
}

/* drop_count_jobs - the user's queued jobs as the daemon last published */
static size_t
drop_count_jobs(const struct cs_spool *sp, uint32_t uid)
{
	char name[32];
	json_t *st, *jobs;
	size_t n = 0;
	int fd;
	struct stat sb;
	FILE *f;

	snprintf(name, sizeof(name), "%u.json", (unsigned)uid);
	if (cs_safe_open_read(sp->dir[CS_DIR_STATUS], name, CS_ANY_OWNER, &sb,
	    &fd) != CS_OK)
		return 0;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return 0;
	}
	st = json_loadf(f, 0, NULL);
	fclose(f);
	jobs = json_object_get(st, "jobs");
	if (json_is_array(jobs))
		n = json_array_size(jobs);
	json_decref(st);
	return n;
}

/* drop_check_limits - free-space floor and per-user job count */
static void
drop_check_limits(const struct cs_config *cfg, const struct cs_spool *sp,
    uint32_t uid)
{
	struct statvfs vfs;
	uint64_t avail;

	if (fstatvfs(sp->dir[CS_DIR_INCOMING], &vfs) < 0)
		drop_fail(EX_IOERR, "spool: statvfs: %s", strerror(errno));
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail < cfg->min_free_space)
		drop_fail(EX_TEMPFAIL, "spool is full (%llu MiB free, floor "
		    "%llu MiB): try again later",
		    (unsigned long long)(avail >> 20),
		    (unsigned long long)(cfg->min_free_space >> 20));
	if (drop_count_jobs(sp, uid) >= cfg->max_jobs_per_user)
		drop_fail(EX_TEMPFAIL, "you have %llu jobs queued, the most "
		    "allowed (max_jobs_per_user): try again later",
		    (unsigned long long)cfg->max_jobs_per_user);
}

/* drop_seal - seal metadata and stdin into fd; on failure returns a result
 * and a reason for the caller to report after removing the file */
static cs_result
drop_seal(int fd, const struct cs_spool *sp, const struct cs_config *cfg,
    const struct cs_jobmeta *m, int pages, const char **why)
{
	struct drop_pages_limits lim = { cfg->max_job_size, cfg->max_pages };
	struct cs_spool_writer *w = NULL;
	uint8_t *buf;
	uint8_t pk[CS_X25519_LEN];
	char meta[CS_META_MAX];
	uint64_t epoch, total = 0;
	size_t mlen;
	ssize_t n;
	cs_result r;

	*why = "out of memory";
	if ((buf = malloc(DROP_READ_SIZE)) == NULL)
		return CS_ERR_NOMEM;
	*why = "spool has no public key yet (is cloudspoold running?)";
	if ((r = cs_keyring_public(sp->dir[CS_DIR_PUBLIC], &epoch, pk)) != CS_OK)
		goto out;
	*why = "metadata";
	if ((r = cs_jobmeta_encode(m, meta, sizeof(meta), &mlen)) != CS_OK)
		goto out;
	*why = "writing the spool file";
	if ((r = cs_spool_writer_new(fd, epoch, pk, &w)) != CS_OK ||
	    (r = cs_spool_section_begin(w, CS_SECTION_META)) != CS_OK ||
	    (r = cs_spool_section_write(w, meta, mlen)) != CS_OK ||
	    (r = cs_spool_section_end(w)) != CS_OK)
		goto out;
	if (pages) {
		r = drop_pages_seal(w, STDIN_FILENO, &lim, &drop_signalled, buf,
		    DROP_READ_SIZE, why);
		if (r != CS_OK)
			goto out;
		*why = "writing the spool file";
		if ((r = cs_spool_writer_finish(w)) == CS_OK && fsync(fd) < 0)
			r = cs_errno_result(errno);
		goto out;
	}
	if ((r = cs_spool_section_begin(w, CS_SECTION_DOCUMENT)) != CS_OK)
		goto out;
	for (;;) {
		n = read(STDIN_FILENO, buf, DROP_READ_SIZE);
		if (n < 0 && errno == EINTR && !drop_signalled)
			continue;
		if (drop_signalled) {
			*why = "interrupted by a signal";
			r = CS_ERR_TEMP;
			goto out;
		}
		if (n < 0) {
			*why = "reading standard input";
			r = CS_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > cfg->max_job_size) {
			*why = "document is larger than max_job_size";
			r = CS_ERR_TOOBIG;
			goto out;
		}
		if ((r = cs_spool_section_write(w, buf, (size_t)n)) != CS_OK)
			goto out;
	}
	if ((r = cs_spool_section_end(w)) != CS_OK ||
	    (r = cs_spool_writer_finish(w)) != CS_OK)
		goto out;
	if (fsync(fd) < 0)
		r = cs_errno_result(errno);
out:
	cs_wipe(buf, DROP_READ_SIZE);
	free(buf);
	cs_wipe(meta, sizeof(meta));
	cs_spool_writer_free(w);
	return r;
}

/* drop_show_status - print the caller's published job list */
static int
drop_show_status(const struct cs_spool *sp)
{
	char name[32], buf[65536];
	size_t len;
	cs_result r;

	snprintf(name, sizeof(name), "%u.json", (unsigned)getuid());
	r = cs_read_small_file(sp->dir[CS_DIR_STATUS], name, buf, sizeof(buf),
	    &len);
	if (r == CS_ERR_NOTFOUND) {
		puts("{\"jobs\":[]}");
		return EX_OK;
	}
	if (r != CS_OK)
		drop_fail(EX_IOERR, "status: %s", cs_strerror(r));
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
		return EX_IOERR;
	return EX_OK;
}

/* drop_exit_status - sysexits code for a sealing failure */
static int
drop_exit_status(cs_result r)
{
	switch (r) {
	case CS_ERR_TOOBIG:
	case CS_ERR_FORMAT:
	case CS_ERR_TRUNCATED:
	case CS_ERR_TRAILING:
		return EX_DATAERR;
	case CS_ERR_TEMP:
	case CS_ERR_NOSPACE:
	case CS_ERR_NOTFOUND:
		return EX_TEMPFAIL;
	default:
		return EX_IOERR;
	}
}

/* drop_install_signals - every terminating signal just sets the flag */
static void
drop_install_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
	    SIGXFSZ };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = drop_on_signal;	/* no SA_RESTART: read gets EINTR */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			drop_fail(EX_OSERR, "sigaction: %s", strerror(errno));
}

int
main(int argc, char **argv)
{
	static const char *const keep_env[] = { NULL };
	struct drop_args a;
	struct cs_config cfg;
	struct cs_jobmeta m;
	struct cs_spool sp;
	const struct cs_action *act;
	char err[512], tmp[CS_JOB_ID_MAX + 2];
	const char *lang, *why;
	cs_result r;
	int fd;

	memset(&m, 0, sizeof(m));
	lang = getenv("LC_ALL");
	if (lang == NULL || *lang == '\0')
		lang = getenv("LC_MESSAGES");
	if (lang == NULL || *lang == '\0')
		lang = getenv("LANG");
	drop_clean_locale(lang, m.locale, sizeof(m.locale));
	if (cs_sanitize_process(027, keep_env) != CS_OK)
		drop_fail(EX_OSERR, "cannot sanitize the process");
	drop_install_signals();
	drop_parse_args(argc, argv, &a);
	drop_check_config_owner(a.config);
	if (cs_config_load(a.config, &cfg, err, sizeof(err)) != CS_OK)
		drop_fail(EX_CONFIG, "%s", err);
	if (cs_spool_open_drop(&sp, cfg.spool_dir, err, sizeof(err)) != CS_OK)
		drop_fail(EX_CONFIG, "%s", err);
	if (a.status)
		return drop_show_status(&sp);
	if ((act = cs_config_action(&cfg, a.action)) == NULL)
		drop_fail(EX_USAGE, "no such action '%.64s' (see `cloudspool "
		    "actions`)", a.action);
	drop_identity(&cfg, &a, &m);
	if (!cs_action_permits(act, m.user))
		drop_fail(EX_NOPERM, "user '%s' may not use action '%s'",
		    m.user, act->name);
	drop_copy_field("action", act->name, m.action, sizeof(m.action));
	cs_sanitize_name(a.name != NULL ? a.name : "", m.name, sizeof(m.name),
	    "document");
	drop_copy_field("origin", a.origin, m.origin, sizeof(m.origin));
	m.submitted = (int64_t)time(NULL);
	drop_check_limits(&cfg, &sp, m.uid);
	if (cs_job_id_new(m.job_id) != CS_OK)
		drop_fail(EX_OSERR, "cannot make a job id");
	snprintf(tmp, sizeof(tmp), ".%s", m.job_id);
	if ((r = cs_safe_create(sp.dir[CS_DIR_INCOMING], tmp, 0640, &fd)) !=
	    CS_OK)
		drop_fail(EX_TEMPFAIL, "spool incoming/: %s", cs_strerror(r));
	r = drop_seal(fd, &sp, &cfg, &m, a.pages, &why);
	if (r == CS_OK) {
		r = cs_move(sp.dir[CS_DIR_INCOMING], tmp, sp.dir[CS_DIR_INCOMING],
		    m.job_id);
		/* Renamed but not durable: we are about to say "nothing was
		 * submitted", so make it true (EEXIST is another job's name). */
		if (r != CS_OK && r != CS_ERR_EXISTS)
			(void)unlinkat(sp.dir[CS_DIR_INCOMING], m.job_id, 0);
	}
	if (close(fd) < 0 && r == CS_OK)
		r = CS_ERR_IO;
	if (r != CS_OK) {
		(void)unlinkat(sp.dir[CS_DIR_INCOMING], tmp, 0);
		if (r == CS_ERR_TOOBIG && !a.pages)
			drop_fail(EX_DATAERR, "%s (%llu MiB): nothing was "
			    "submitted", why,
			    (unsigned long long)(cfg.max_job_size >> 20));
		drop_fail(drop_exit_status(r), "%s: %s: nothing was submitted",
		    why, cs_strerror(r));
	}
	printf("%s\n", m.job_id);
	cs_config_free(&cfg);
	cs_spool_close(&sp);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}
