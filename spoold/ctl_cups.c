/*
 * ctl_cups.c - "cloudspoolctl cups-queue add | remove | list": CUPS print
 * queues that feed the cloudspool backend, made with CUPS's own tools.
 *
 *	cups-queue add NAME ACTION
 *		lpadmin -p NAME -E -v cloudspool:/ACTION -P PPDFILE
 *		    -D "cloudspool: DESCRIPTION" -o printer-is-shared=true
 *		after checking that ACTION exists in the configuration. The
 *		PPD (backend/cloudspool.ppd, installed in $(pkgdatadir))
 *		keeps PDF end to end: a PDF reaches the backend unchanged.
 *	cups-queue remove NAME
 *		lpadmin -x NAME, only when NAME's device is cloudspool:/...
 *	cups-queue list
 *		"NAME ACTION" for each queue whose device is cloudspool:/...,
 *		with "(no such action)" when the configuration lacks it.
 *
 * lpadmin and lpstat run with the caller's environment, so CUPS_SERVER
 * picks the cupsd (the tests use a private one); their output is parsed
 * in the C locale. NAME must be [A-Za-z0-9_.-], starting with a letter or
 * digit, at most 127 bytes (CUPS's own limit; no option look-alikes).
 * Nothing here touches the spool, so it writes no audit line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ctl_cups.h"
#include "log.h"
#include "safefile.h"

#ifndef CS_PKGDATADIR
#define CS_PKGDATADIR "/usr/share/cloudspool"
#endif
#define CUPS_PPD CS_PKGDATADIR "/cloudspool.ppd"
#define CUPS_URI_PREFIX "cloudspool:/"
#define CUPS_LIST_MAX 65536

/* ctl_cups_name_ok - a queue name we are willing to pass to lpadmin */
static int
ctl_cups_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 127 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n &&
	    strchr("_.-", s[0]) == NULL;
}

/* ctl_cups_run - run a CUPS tool (found in PATH) in the C locale; its
 * stdout into out (cut at cap - 1) when out is not NULL; its exit status,
 * or -1 when it could not run */
static int
ctl_cups_run(char *const argv[], char *out, size_t cap)
{
	pid_t pid;
	int p[2], st;

	if (out != NULL && pipe2(p, O_CLOEXEC) < 0)
		return -1;
	(void)fflush(NULL);
	if ((pid = fork()) == 0) {
		if (out != NULL && dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		(void)setenv("LC_ALL", "C", 1);
		execvp(argv[0], argv);
		fprintf(stderr, CTL_NAME ": %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (out != NULL) {
		(void)close(p[1]);
		if (pid > 0)
			(void)cs_read_capped(p[0], out, cap);
		else
			out[0] = '\0';
		(void)close(p[0]);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ctl_cups_devices - `lpstat -v` into buf; 0, or an exit status */
static int
ctl_cups_devices(char *buf, size_t cap)
{
	char *argv[] = { "lpstat", "-v", NULL };
	int st;

	st = ctl_cups_run(argv, buf, cap);
	if (st == 0)
		return EX_OK;
	/* lpstat -v with no queue at all says so and exits 1 */
	if (st == 1 && buf[0] == '\0')
		return EX_OK;
	cs_log(LOG_ERR, "lpstat -v failed (exit %d): is cupsd running? "
	    "(CUPS_SERVER=%.200s)", st, getenv("CUPS_SERVER") != NULL ?
	    getenv("CUPS_SERVER") : "default");
	return EX_UNAVAILABLE;
}

/* ctl_cups_next - the next "device for NAME: cloudspool:/ACTION" line of
 * lpstat -v output at *pos: name and action (pointers into buf, which is
 * cut at each end); 0 when there is none left */
static int
ctl_cups_next(char **pos, char **name, char **action)
{
	char *line, *nl, *colon;

	while (**pos != '\0') {
		line = *pos;
		if ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			*pos = nl + 1;
		} else
			*pos = line + strlen(line);
		if (strncmp(line, "device for ", 11) != 0 ||
		    (colon = strstr(line + 11, ": ")) == NULL)
			continue;
		*colon = '\0';
		if (strncmp(colon + 2, CUPS_URI_PREFIX,
		    strlen(CUPS_URI_PREFIX)) != 0)
			continue;
		*name = line + 11;
		*action = colon + 2 + strlen(CUPS_URI_PREFIX);
		*action += strspn(*action, "/");
		return 1;
	}
	return 0;
}

/* ctl_cups_add - "cups-queue add NAME ACTION" */
static int
ctl_cups_add(struct ctl *c, char *name, char *action)
{
	const struct cs_action *a;
	char uri[128], desc[256];
	char *argv[] = { "lpadmin", "-p", name, "-E", "-v", uri, "-P",
	    CUPS_PPD, "-D", desc, "-o", "printer-is-shared=true", NULL };
	int st;

	if ((a = cs_config_action(&c->cfg, action)) == NULL) {
		cs_log(LOG_ERR, "%s defines no action '%.64s'", c->cfg.path,
		    action);
		return EX_CONFIG;
	}
	if (access(CUPS_PPD, R_OK) < 0) {
		cs_log(LOG_ERR, "%s: %s", CUPS_PPD, strerror(errno));
		return EX_OSFILE;
	}
	snprintf(uri, sizeof(uri), CUPS_URI_PREFIX "%s", a->name);
	snprintf(desc, sizeof(desc), "cloudspool: %.200s", a->description !=
	    NULL ? a->description : a->name);
	if ((st = ctl_cups_run(argv, NULL, 0)) != 0) {
		cs_log(LOG_ERR, "lpadmin failed (exit %d)", st);
		return EX_UNAVAILABLE;
	}
	printf("queue %s: %s\n", name, uri);
	if (strcmp(c->cfg.path, CS_CONFIG_DEFAULT_PATH) != 0)
		printf("note: the backend reads %s only when cupsd's "
		    "cups-files.conf has: SetEnv CLOUDSPOOL_CONF %s\n",
		    c->cfg.path, c->cfg.path);
	return EX_OK;
}

/* ctl_cups_remove - "cups-queue remove NAME": ours only */
static int
ctl_cups_remove(char *name)
{
	char *buf, *pos, *qname, *action;
	char *argv[] = { "lpadmin", "-x", name, NULL };
	int st, found = 0;

	if ((buf = malloc(CUPS_LIST_MAX)) == NULL)
		return EX_OSERR;
	if ((st = ctl_cups_devices(buf, CUPS_LIST_MAX)) == EX_OK) {
		pos = buf;
		while (!found && ctl_cups_next(&pos, &qname, &action))
			found = strcmp(qname, name) == 0;
	}
	free(buf);
	if (st != EX_OK)
		return st;
	if (!found) {
		cs_log(LOG_ERR, "no cloudspool queue named %s", name);
		return 1;
	}
	if ((st = ctl_cups_run(argv, NULL, 0)) != 0) {
		cs_log(LOG_ERR, "lpadmin -x %s failed (exit %d)", name, st);
		return EX_UNAVAILABLE;
	}
	printf("removed queue %s\n", name);
	return EX_OK;
}

/* ctl_cups_list - "cups-queue list" */
static int
ctl_cups_list(struct ctl *c)
{
	char *buf, *pos, *name, *action;
	int st;

	if ((buf = malloc(CUPS_LIST_MAX)) == NULL)
		return EX_OSERR;
	if ((st = ctl_cups_devices(buf, CUPS_LIST_MAX)) == EX_OK) {
		pos = buf;
		while (ctl_cups_next(&pos, &name, &action))
			printf("%s %s%s\n", name, action,
			    cs_config_action(&c->cfg, action) != NULL ? "" :
			    " (no such action)");
	}
	free(buf);
	return st;
}

/* ctl_cups_usage - this command's usage line */
static int
ctl_cups_usage(void)
{
	fprintf(stderr, "usage: " CTL_NAME " [-c config] cups-queue "
	    "add NAME ACTION | remove NAME | list\n");
	return EX_USAGE;
}

/* ctl_cups_queue - "cups-queue add NAME ACTION | remove NAME | list" */
int
ctl_cups_queue(struct ctl *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return ctl_cups_list(c);
	if (argc < 2 || !ctl_cups_name_ok(argv[1])) {
		if (argc >= 2)
			cs_log(LOG_ERR, "bad queue name (want [A-Za-z0-9_.-], "
			    "at most 127 bytes)");
		return ctl_cups_usage();
	}
	if (argc == 3 && strcmp(argv[0], "add") == 0)
		return ctl_cups_add(c, argv[1], argv[2]);
	if (argc == 2 && strcmp(argv[0], "remove") == 0)
		return ctl_cups_remove(argv[1]);
	return ctl_cups_usage();
}
