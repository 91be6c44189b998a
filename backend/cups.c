/*
 * NAME
 *	cloudspool - CUPS backend: print to a cloudspool scan action
 * SYNOPSIS
 *	cloudspool
 *	cloudspool job-id user title copies options [file]
 *	(installed as /usr/lib/cups/backend/cloudspool; DEVICE_URI is
 *	cloudspool:/ACTION)
 * DESCRIPTION
 *	With no argument, lists one device per scan action of the
 *	configuration, in the form `lpinfo -v` shows (backend(7)):
 *	    direct cloudspool:/ACTION "cloudspool ACTION"
 *	        "DESCRIPTION (DESTINATION)" "MFG:cloudspool;MDL:ACTION;" ""
 *	With six or seven arguments, submits the job (file, or standard
 *	input when there is none) through cloudspool-drop on behalf of the
 *	job's originating user: -u USER -a ACTION -o "cups job ID" and the
 *	title, sanitized, as the file name (".pdf" added to a PDF whose
 *	title does not end in it). Copies are not multiplied: one document
 *	is stored, and an INFO line says so. The configuration is
 *	$CLOUDSPOOL_CONF when set (cupsd's SetEnv) or the default.
 * SECURITY
 *	Installed mode 0755, so cupsd runs it as its unprivileged user
 *	(lp), which must be one of trusted_submitters to pass -u. It never
 *	writes the document anywhere: the drop helper reads it straight
 *	from the file or the pipe cupsd gave. The title is untrusted: it is
 *	sanitized here (no '/', no control characters, at most CS_NAME_MAX
 *	bytes) and again by the drop helper. SIGTERM only sets a flag and
 *	is passed on to the drop helper, which removes its partial file.
 * DIAGNOSTICS
 *	STATE:, INFO:, WARNING: and ERROR: lines on stderr (cupsd shows
 *	them in lpstat and writes them to its error_log). Exit status
 *	(cups/backend.h): CUPS_BACKEND_OK when the job is in the spool;
 *	CUPS_BACKEND_CANCEL when it can never be accepted (user not
 *	allowed the action, unknown user, document over max_job_size);
 *	CUPS_BACKEND_RETRY when the spool cannot take it now (full, quota,
 *	no key yet, any transient error), so cupsd holds it and tries
 *	again; CUPS_BACKEND_FAILED only for a misconfiguration, named in
 *	the ERROR line (cupsd then stops the queue by default).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>

#include "config.h"
#include "jobmeta.h"
#include "privs.h"
#include "safefile.h"

#ifndef CS_SBINDIR
#define CS_SBINDIR "/usr/sbin"
#endif
#define CUPS_DROP_PATH CS_SBINDIR "/cloudspool-drop"

/* The exit codes of cups/backend.h (CUPS 1.x and 2.x); defined here so
 * the backend needs neither libcups nor its headers. */
enum {
	CUPS_BACKEND_OK = 0,
	CUPS_BACKEND_FAILED = 1,
	CUPS_BACKEND_CANCEL = 5,
	CUPS_BACKEND_RETRY = 6
};

#define CUPS_SCHEME "cloudspool:"
#define CUPS_OUT_MAX 2048	/* what we keep of the drop helper's output */

struct cups_job {
	const char *id;		/* CUPS job id, argv[1] */
	const char *user;	/* job-originating-user-name, argv[2] */
	const char *title;	/* argv[3] */
	long copies;		/* argv[4] */
	const char *config;	/* NULL: the drop helper's default */
	char action[65];
	char name[CS_NAME_MAX + 1];
	int in_fd;		/* the document */
};

/* What the signal handler touches: the flag, and the child's pid to pass
 * the signal on (kill(2) is async-signal-safe). */
static volatile sig_atomic_t cups_signalled;
static volatile pid_t cups_child;

/* cups_on_signal - note the signal, pass it to the drop helper */
static void
cups_on_signal(int sig)
{
	cups_signalled = sig;
	if (cups_child > 0)
		(void)kill(cups_child, SIGTERM);
}

/* cups_install_signals - SIGTERM (a cancelled job) sets the flag; SIGPIPE
 * is ignored so a closed stderr cannot kill us mid-job */
static void
cups_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cups_on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
}

/* cups_quote - copy s for a discovery field: no '"', '\\' or control
 * characters, which would end or corrupt cupsd's quoted string */
static void
cups_quote(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 1 < cap; s++)
		out[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    *s == '"' || *s == '\\') ? '\'' : *s;
	out[o] = '\0';
}

/* cups_config_path - $CLOUDSPOOL_CONF, or NULL for the default */
static const char *
cups_config_path(void)
{
	const char *p = getenv("CLOUDSPOOL_CONF");

	return p != NULL && *p != '\0' ? p : NULL;
}

/* cups_load - the configuration; an ERROR line when it cannot be read */
static int
cups_load(const char *path, struct cs_config *cfg)
{
	char err[512];

	if (cs_config_load(path != NULL ? path : CS_CONFIG_DEFAULT_PATH, cfg,
	    err, sizeof(err)) == CS_OK)
		return 0;
	fprintf(stderr, "ERROR: cloudspool: configuration: %s\n", err);
	return -1;
}

/* cups_discover - one device line per configured action */
static int
cups_discover(void)
{
	struct cs_config cfg;
	const struct cs_action *a;
	char desc[256], dest[128];
	size_t i;

	if (cups_load(cups_config_path(), &cfg) < 0)
		return CUPS_BACKEND_FAILED;
	for (i = 0; i < cfg.nactions; i++) {
		a = &cfg.actions[i];
		cups_quote(a->description != NULL ? a->description :
		    "cloudspool scan action", desc, sizeof(desc));
		cups_quote(a->destination_name, dest, sizeof(dest));
		printf("direct " CUPS_SCHEME "/%s \"cloudspool %s\" "
		    "\"%s (%s)\" \"MFG:cloudspool;MDL:%s;\" \"\"\n", a->name,
		    a->name, desc, dest, a->name);
	}
	cs_config_free(&cfg);
	return fflush(stdout) == 0 ? CUPS_BACKEND_OK : CUPS_BACKEND_FAILED;
}

/* cups_action_from_uri - ACTION of cloudspool:/ACTION (or cloudspool:ACTION,
 * cloudspool://ACTION); -1 unless it is a valid action name */
static int
cups_action_from_uri(const char *uri, char *out, size_t cap)
{
	size_t n;

	if (uri == NULL || strncmp(uri, CUPS_SCHEME, strlen(CUPS_SCHEME)) != 0)
		return -1;
	uri += strlen(CUPS_SCHEME);
	while (*uri == '/')
		uri++;
	n = strcspn(uri, "/?#");
	if (n == 0 || n >= cap || uri[n] != '\0' ||
	    strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") != n)
		return -1;
	memcpy(out, uri, n);
	out[n] = '\0';
	return 0;
}

/* cups_is_pdf - the document is PDF: its first bytes when it is a file we
 * can read without consuming, else the type cupsd says it hands us */
static int
cups_is_pdf(int fd)
{
	const char *type;
	char magic[5];
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return pread(fd, magic, sizeof(magic), 0) ==
		    (ssize_t)sizeof(magic) &&
		    memcmp(magic, "%PDF-", sizeof(magic)) == 0;
	type = getenv("FINAL_CONTENT_TYPE");
	if (type == NULL || *type == '\0')
		type = getenv("CONTENT_TYPE");
	return type != NULL && (strcmp(type, "application/pdf") == 0 ||
	    strcmp(type, "application/vnd.cups-pdf") == 0);
}

/* cups_make_name - the file name: the sanitized title, ".pdf" added to a
 * PDF whose title does not already end in it */
static void
cups_make_name(struct cups_job *j, int pdf)
{
	size_t n;

	/* leave room for the extension: the result stays <= CS_NAME_MAX */
	cs_sanitize_name(j->title, j->name, sizeof(j->name) - 4, "document");
	n = strlen(j->name);
	if (pdf && (n < 4 || strcasecmp(j->name + n - 4, ".pdf") != 0))
		memcpy(j->name + n, ".pdf", 5);
}

/* cups_check_setup - what only the admin can fix, found before a job is
 * tried, so it is reported as FAILED with its name and not mistaken for
 * the user's fault: the drop helper, the config (readable, owned by root
 * and writable by root only when named), the action, the trusted caller */
static int
cups_check_setup(struct cups_job *j)
{
	struct cs_config cfg;
	struct stat st;
	char me[CS_USER_MAX];
	int bad = 1;

	if (access(CUPS_DROP_PATH, X_OK) < 0) {
		fprintf(stderr, "ERROR: cloudspool: %s: %s (is cloudspool "
		    "installed?)\n", CUPS_DROP_PATH, strerror(errno));
		return -1;
	}
	if (j->config != NULL && geteuid() != 0 && (stat(j->config, &st) < 0 ||
	    st.st_uid != 0 || (st.st_mode & 022) != 0)) {
		fprintf(stderr, "ERROR: cloudspool: %.200s (CLOUDSPOOL_CONF) "
		    "must exist, be owned by root and writable by root only\n",
		    j->config);
		return -1;
	}
	if (cups_load(j->config, &cfg) < 0)
		return -1;
	if (cs_user_name(getuid(), me, sizeof(me)) != CS_OK)
		fprintf(stderr, "ERROR: cloudspool: uid %u has no user name\n",
		    (unsigned)getuid());
	else if (!cs_config_is_trusted(&cfg, me))
		fprintf(stderr, "ERROR: cloudspool: the CUPS backend runs as "
		    "'%s', which is not in trusted_submitters of %s\n", me,
		    cfg.path);
	else if (cs_config_action(&cfg, j->action) == NULL)
		fprintf(stderr, "ERROR: cloudspool: the queue's device URI "
		    "names action '%s', which %s does not define\n",
		    j->action, cfg.path);
	else
		bad = 0;
	cs_config_free(&cfg);
	return bad ? -1 : 0;
}

/* cups_spawn - fork and exec the drop helper, stdin from the document,
 * stdout and stderr into a pipe; the child's pid, or -1 */
static pid_t
cups_spawn(const struct cups_job *j, int *out_fd)
{
	char origin[64];
	char *argv[16];
	sigset_t block, old;
	pid_t pid;
	int p[2], n = 0;

	snprintf(origin, sizeof(origin), "cups job %.40s", j->id);
	argv[n++] = "cloudspool-drop";
	if (j->config != NULL) {
		argv[n++] = "-c";
		argv[n++] = (char *)j->config;
	}
	argv[n++] = "-a";
	argv[n++] = (char *)j->action;
	argv[n++] = "-u";
	argv[n++] = (char *)j->user;
	argv[n++] = "-n";
	argv[n++] = (char *)j->name;
	argv[n++] = "-o";
	argv[n++] = origin;
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	/* block SIGTERM until cups_child holds the pid, so it is passed on */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &block, &old);
	if ((pid = fork()) == 0) {
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGPIPE, SIG_DFL);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		if (dup2(j->in_fd, STDIN_FILENO) < 0 ||
		    dup2(p[1], STDOUT_FILENO) < 0 ||
		    dup2(p[1], STDERR_FILENO) < 0)
			_exit(EX_OSERR);
		execv(CUPS_DROP_PATH, argv);
		_exit(EX_UNAVAILABLE);
	}
	if (pid > 0)
		cups_child = pid;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	(void)close(p[1]);
	if (pid < 0) {
		(void)close(p[0]);
		return -1;
	}
	*out_fd = p[0];
	return pid;
}

/* cups_collect - read the helper's output to its end (keeping the first
 * CUPS_OUT_MAX bytes), then its exit status; a signal ends it as 75 */
static int
cups_collect(pid_t pid, int fd, char *out, size_t cap)
{
	int status;

	(void)cs_read_capped(fd, out, cap);
	(void)close(fd);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	cups_child = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return EX_TEMPFAIL;
}

/* cups_drop_message - the helper's own reason: its last line without the
 * program prefix, cut to one safe line */
static void
cups_drop_message(const char *out, char *msg, size_t cap)
{
	const char *line = out, *p;
	size_t o = 0;

	for (p = out; *p != '\0'; p++)
		if (*p == '\n' && p[1] != '\0')
			line = p + 1;
	if (strncmp(line, "cloudspool-drop: ", 17) == 0)
		line += 17;
	for (; *line != '\0' && *line != '\n' && o + 1 < cap; line++)
		msg[o++] = ((unsigned char)*line < 0x20 || *line == 0x7f) ?
		    '?' : *line;
	msg[o] = '\0';
}

/* cups_report - STATE/INFO/ERROR lines for the helper's exit status, and
 * the backend's own exit status */
static int
cups_report(const struct cups_job *j, int st, const char *out)
{
	char msg[512];

	cups_drop_message(out, msg, sizeof(msg));
	fprintf(stderr, "STATE: -connecting-to-device\n");
	switch (st) {
	case EX_OK:
		fprintf(stderr, "INFO: cloudspool: queued for %s (action %s) "
		    "as job %.40s\n", j->user, j->action, msg);
		return CUPS_BACKEND_OK;
	case EX_NOPERM:
		fprintf(stderr, "ERROR: cloudspool: job cancelled: user '%s' "
		    "may not use action '%s'\n", j->user, j->action);
		return CUPS_BACKEND_CANCEL;
	case EX_NOUSER:
		fprintf(stderr, "ERROR: cloudspool: job cancelled: '%s' is not "
		    "a user of this print server\n", j->user);
		return CUPS_BACKEND_CANCEL;
	case EX_DATAERR:
		fprintf(stderr, "ERROR: cloudspool: job cancelled: the "
		    "document is over the spool's size limit (%s)\n", msg);
		return CUPS_BACKEND_CANCEL;
	case EX_USAGE:
	case EX_CONFIG:
		fprintf(stderr, "ERROR: cloudspool: misconfiguration: %s "
		    "(exit %d)\n", msg, st);
		return CUPS_BACKEND_FAILED;
	case EX_TEMPFAIL:
		fprintf(stderr, "WARNING: cloudspool: the spool cannot take "
		    "the job now, CUPS will retry it: %s\n", msg);
		return CUPS_BACKEND_RETRY;
	default:
		fprintf(stderr, "WARNING: cloudspool: cloudspool-drop failed "
		    "(exit %d), CUPS will retry the job: %s\n", st, msg);
		return CUPS_BACKEND_RETRY;
	}
}

/* cups_parse_job - the job arguments and the device URI; -1 when the
 * queue itself is wrong */
static int
cups_parse_job(int argc, char **argv, struct cups_job *j)
{
	const char *uri = getenv("DEVICE_URI");
	char *end;

	memset(j, 0, sizeof(*j));
	j->id = argv[1];
	j->user = argv[2];
	j->title = argv[3];
	errno = 0;
	j->copies = strtol(argv[4], &end, 10);
	if (errno != 0 || end == argv[4] || *end != '\0' || j->copies < 1)
		j->copies = 1;
	j->config = cups_config_path();
	if (uri == NULL || *uri == '\0')
		uri = argv[0];
	if (cups_action_from_uri(uri, j->action, sizeof(j->action)) < 0) {
		fprintf(stderr, "ERROR: cloudspool: device URI '%.200s' is not "
		    "cloudspool:/ACTION\n", uri);
		return -1;
	}
	if (*j->user == '\0' || strlen(j->user) >= CS_USER_MAX) {
		fprintf(stderr, "ERROR: cloudspool: job %.40s has no usable "
		    "user name: job cancelled\n", j->id);
		return -2;
	}
	j->in_fd = STDIN_FILENO;
	if (argc == 7 && (j->in_fd = open(argv[6], O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "ERROR: cloudspool: %.200s: %s\n", argv[6],
		    strerror(errno));
		return -3;
	}
	return 0;
}

/* cups_print - one job through the drop helper */
static int
cups_print(int argc, char **argv)
{
	struct cups_job j;
	char out[CUPS_OUT_MAX];
	pid_t pid;
	int fd, st;

	if ((st = cups_parse_job(argc, argv, &j)) < 0)
		return st == -2 ? CUPS_BACKEND_CANCEL : st == -3 ?
		    CUPS_BACKEND_RETRY : CUPS_BACKEND_FAILED;
	if (cups_check_setup(&j) < 0)
		return CUPS_BACKEND_FAILED;
	cups_make_name(&j, cups_is_pdf(j.in_fd));
	if (j.copies > 1)
		fprintf(stderr, "INFO: cloudspool: %ld copies requested; the "
		    "cloud folder gets one document\n", j.copies);
	fprintf(stderr, "STATE: +connecting-to-device\n");
	fprintf(stderr, "INFO: cloudspool: submitting to action %s\n",
	    j.action);
	if (cups_signalled)
		return CUPS_BACKEND_RETRY;
	if ((pid = cups_spawn(&j, &fd)) < 0) {
		fprintf(stderr, "WARNING: cloudspool: cannot start %s: %s; "
		    "CUPS will retry the job\n", CUPS_DROP_PATH,
		    strerror(errno));
		return CUPS_BACKEND_RETRY;
	}
	st = cups_collect(pid, fd, out, sizeof(out));
	return cups_report(&j, st, out);
}

int
main(int argc, char **argv)
{
	/* stdout carries discovery lines only; every message is a line */
	setvbuf(stderr, NULL, _IOLBF, 0);
	cups_install_signals();
	if (argc == 1)
		return cups_discover();
	if (argc < 6 || argc > 7) {
		fprintf(stderr, "Usage: %s job-id user title copies options "
		    "[file]\n", argv[0]);
		return CUPS_BACKEND_FAILED;
	}
	return cups_print(argc, argv);
}
