/*
 * NAME
 *	cloudspool - send documents to cloud storage through the local spool
 * SYNOPSIS
 *	cloudspool [-c config] submit -a action [--name name] file... | -
 *	cloudspool [-c config] submit -a action --pages [--resolution dpi]
 *	    [--name name] file... | -
 *	cloudspool [-c config] scan -a action [scanimage options] (scan.c)
 *	cloudspool [-c config] actions
 *	cloudspool [-c config] jobs
 *	cloudspool [-c config] authorize destination (authorize.c)
 *	cloudspool [-c config] revoke destination (authorize.c)
 * DESCRIPTION
 *	submit opens each file with the caller's own permissions and hands it
 *	to cloudspool-drop on standard input, one job per file, printing the
 *	job id. With --pages the files (or stdin) are PNM images (one or
 *	more pages each), PNG images or TIFF files (each directory a page),
 *	told by their first bytes, and all of them become one scan job of
 *	pages, delivered like `cloudspool scan` as NAME.tif (--resolution,
 *	default 300, for a file that does not say its own). actions lists
 *	the scan actions the caller may use. jobs shows
 *	the caller's queued jobs, as the daemon publishes them. scan runs a
 *	SANE scanner and streams its pages into one job (doc/SCANNING.md).
 *	authorize gives consent for a destination by the device grant (a
 *	code to enter in any browser); revoke ends the caller's consent.
 * SECURITY
 *	Runs with the caller's privileges only; the spool is reached through
 *	the setgid drop helper and never read directly.
 * DIAGNOSTICS
 *	One line per problem on stderr; exit status of the first failing
 *	drop (sysexits.h), EX_NOINPUT for a file that cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <jansson.h>

#include "authorize.h"
#include "config.h"
#include "pagestream.h"
#include "privs.h"
#include "scan.h"

#ifndef CS_SBINDIR
#define CS_SBINDIR "/usr/sbin"
#endif
#define DROP_PATH CS_SBINDIR "/cloudspool-drop"

/* cli_usage - the synopsis, then exit */
static void __attribute__((noreturn))
cli_usage(void)
{
	fprintf(stderr, "usage: cloudspool [-c config] submit -a action "
	    "[--name name] file... | -\n"
	    "       cloudspool [-c config] submit -a action --pages "
	    "[--resolution dpi] [--name name] image... | -\n"
	    "       cloudspool [-c config] scan -a action [options] "
	    "(scan --help)\n"
	    "       cloudspool [-c config] actions\n"
	    "       cloudspool [-c config] jobs\n"
	    "       cloudspool [-c config] authorize destination\n"
	    "       cloudspool [-c config] revoke destination\n");
	exit(EX_USAGE);
}

/* cli_run_drop - run the drop helper with stdin from in_fd; its exit code */
static int
cli_run_drop(char *const argv[], int in_fd)
{
	pid_t pid;
	int status;

	if ((pid = fork()) < 0) {
		fprintf(stderr, "cloudspool: fork: %s\n", strerror(errno));
		return EX_OSERR;
	}
	if (pid == 0) {
		if (in_fd >= 0 && dup2(in_fd, STDIN_FILENO) < 0)
			_exit(EX_OSERR);
		execv(DROP_PATH, argv);
		fprintf(stderr, "cloudspool: %s: %s\n", DROP_PATH,
		    strerror(errno));
		_exit(EX_UNAVAILABLE);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
}

/* cli_pages_fd - the pages of one file or stream onto the feed: PNM,
 * PNG or TIFF, told by its first bytes; as pnm_pages */
static int
cli_pages_fd(int fd, const char *what, unsigned dpi, struct scan_feed *f,
    unsigned long *pages)
{
	static const uint8_t png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n' };
	uint8_t pre[8];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(pre)) {
		n = read(fd, pre + len, sizeof(pre) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "cloudspool: %.200s: %s\n", what,
			    strerror(errno));
			return EX_IOERR;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(pre) && memcmp(pre, png, sizeof(png)) == 0)
		return pngin_pages(fd, pre, len, what, dpi, f, pages);
	if (len >= 4 && (memcmp(pre, "II*\0", 4) == 0 ||
	    memcmp(pre, "MM\0*", 4) == 0 || memcmp(pre, "II+\0", 4) == 0 ||
	    memcmp(pre, "MM\0+", 4) == 0))
		return tiffin_pages(fd, pre, len, what, dpi, f, pages);
	return pnm_pages(fd, pre, len, what, dpi, f, pages);
}

/* cli_submit_pages - every file's pages as one job of pages */
static int
cli_submit_pages(const char *config, const char *action, const char *name,
    unsigned dpi, int argc, char **argv)
{
	struct scan_args a;
	struct scan_feed f;
	unsigned long pages = 0;
	char job[128];
	int i, fd, rc = EX_OK;

	memset(&a, 0, sizeof(a));
	a.config = config;
	a.action = action;
	a.name = name != NULL ? name : "pages";
	scan_action_pages(config, action, &a);
	(void)signal(SIGPIPE, SIG_IGN);	/* a gone helper is EPIPE */
	if ((rc = scan_feed_start(&f, &a)) != EX_OK)
		return rc;
	for (i = 0; i < argc && rc == EX_OK; i++) {
		if (strcmp(argv[i], "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			fprintf(stderr, "cloudspool: %s: %s\n", argv[i],
			    strerror(errno));
			rc = EX_NOINPUT;
			break;
		}
		rc = cli_pages_fd(fd, argv[i], dpi, &f, &pages);
		if (fd != STDIN_FILENO)
			(void)close(fd);
	}
	if (rc != EX_OK && rc != -1) {
		scan_feed_abort(&f);
		fprintf(stderr, "cloudspool: nothing was submitted\n");
		return rc;
	}
	/* finished even when the helper went away: its message, its status */
	if ((rc = scan_feed_finish(&f, job, sizeof(job))) == EX_OK)
		printf("%s\n", job);
	return rc;
}

/* cli_submit - one drop per file */
static int
cli_submit(const char *config, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "action", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "pages", no_argument, NULL, 'P' },
		{ "resolution", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *action = NULL, *name = NULL;
	char *dargv[10], namebuf[4096], *end;
	int c, i, fd, rc, worst = EX_OK, pages = 0;
	unsigned long dpi = 300;

	optind = 1;
	while ((c = getopt_long(argc, argv, "a:n:", longopts, NULL)) != -1) {
		if (c == 'a')
			action = optarg;
		else if (c == 'n')
			name = optarg;
		else if (c == 'P')
			pages = 1;
		else if (c == 'r') {
			errno = 0;
			dpi = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || dpi == 0 ||
			    dpi > CS_PAGE_MAX_RES)
				cli_usage();
		} else
			cli_usage();
	}
	if (action == NULL || optind == argc)
		cli_usage();
	if (pages)
		return cli_submit_pages(config, action, name, (unsigned)dpi,
		    argc - optind, argv + optind);
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			fprintf(stderr, "cloudspool: %s: %s\n", argv[i],
			    strerror(errno));
			worst = worst ? worst : EX_NOINPUT;
			continue;
		}
		snprintf(namebuf, sizeof(namebuf), "%s", name != NULL ? name :
		    strcmp(argv[i], "-") == 0 ? "document" : argv[i]);
		dargv[0] = "cloudspool-drop";
		dargv[1] = "-c";
		dargv[2] = (char *)config;
		dargv[3] = "-a";
		dargv[4] = (char *)action;
		dargv[5] = "-n";
		dargv[6] = basename(namebuf);
		dargv[7] = NULL;
		rc = cli_run_drop(dargv, fd);
		if (fd != STDIN_FILENO)
			close(fd);
		if (rc != EX_OK && worst == EX_OK)
			worst = rc;
	}
	return worst;
}

/* cli_actions - the actions this user may use */
static int
cli_actions(const char *config)
{
	struct cs_config cfg;
	char err[512], user[64];
	size_t i;

	if (cs_config_load(config, &cfg, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "cloudspool: %s\n", err);
		return EX_CONFIG;
	}
	if (cs_user_name(getuid(), user, sizeof(user)) != CS_OK) {
		fprintf(stderr, "cloudspool: uid %u has no name\n",
		    (unsigned)getuid());
		cs_config_free(&cfg);
		return EX_NOUSER;
	}
	for (i = 0; i < cfg.nactions; i++)
		if (cs_action_permits(&cfg.actions[i], user))
			printf("%-16s %-10s %s\n", cfg.actions[i].name,
			    cfg.actions[i].destination->provider,
			    cfg.actions[i].description ?
			    cfg.actions[i].description : "");
	cs_config_free(&cfg);
	return EX_OK;
}

/* cli_jobs - the caller's job list through the drop helper */
static int
cli_jobs(const char *config)
{
	char *dargv[] = { "cloudspool-drop", "-c", (char *)config, "--status",
	    NULL };

	return cli_run_drop(dargv, -1);
}

int
main(int argc, char **argv)
{
	const char *config = CS_CONFIG_DEFAULT_PATH;
	int argi = 1;

	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		config = argv[2];
		argi = 3;
	}
	if (argi >= argc)
		cli_usage();
	if (strcmp(argv[argi], "submit") == 0)
		return cli_submit(config, argc - argi, argv + argi);
	if (strcmp(argv[argi], "scan") == 0)
		return scan_main(config, argc - argi, argv + argi);
	if (strcmp(argv[argi], "actions") == 0 && argi + 1 == argc)
		return cli_actions(config);
	if (strcmp(argv[argi], "jobs") == 0 && argi + 1 == argc)
		return cli_jobs(config);
	if (strcmp(argv[argi], "authorize") == 0 && argi + 2 == argc)
		return cli_authorize(config, argv[argi + 1]);
	if (strcmp(argv[argi], "revoke") == 0 && argi + 2 == argc)
		return cli_revoke(config, argv[argi + 1]);
	cli_usage();
}
