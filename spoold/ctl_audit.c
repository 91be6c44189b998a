/*
 * ctl_audit.c - cloudspoolctl and the audit trail: the lines it writes
 * about itself, "audit verify" and "audit show".
 *
 * Which commands write an "admin" line: every command that opens the spool
 * except "audit verify" and "audit show". Those two only read the trail; a
 * line of their own would change what they report (show -n 1 would always
 * show itself) and, when the trail is broken or its key gone, there is
 * nothing trustworthy to append to. They run as the daemon user, who could
 * read audit.log directly anyway. check-config never touches the spool.
 *
 * audit.log is meant to be pure ASCII (the writer escapes everything else),
 * so "show" prints any other byte as '?': a tampered log must not reach the
 * admin's terminal as an escape sequence.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "ctl.h"
#include "log.h"
#include "safefile.h"

#define CTL_AUDIT_BUF 8192

/* ctl_exit_code - the sysexits.h status for a result */
int
ctl_exit_code(cs_result r)
{
	switch (r) {
	case CS_OK:
		return EX_OK;
	case CS_ERR_NOMEM:
		return EX_OSERR;
	case CS_ERR_PERM:
		return EX_NOPERM;
	case CS_ERR_NOTFOUND:
		return EX_NOINPUT;
	case CS_ERR_CONFIG:
		return EX_CONFIG;
	case CS_ERR_FORMAT:
	case CS_ERR_VERSION:
	case CS_ERR_AUTH:
	case CS_ERR_UNSAFE:
		return EX_DATAERR;
	case CS_ERR_IO:
	case CS_ERR_NOSPACE:
		return EX_IOERR;
	case CS_ERR_TEMP:
		return EX_TEMPFAIL;
	default:
		return EX_SOFTWARE;
	}
}

/* ctl_audit_open - open the trail; the key must already exist */
int
ctl_audit_open(struct ctl *c)
{
	char err[256];
	cs_result r;

	if (c->audit_ok)
		return EX_OK;
	r = cs_audit_open(&c->audit, c->sp.root, 0, err, sizeof(err));
	if (r != CS_OK) {
		cs_log(LOG_ERR, "audit trail: %s%s", err, r == CS_ERR_NOTFOUND ?
		    " (run \"" CTL_NAME " init\" or start cloudspoold)" : "");
		return ctl_exit_code(r);
	}
	c->audit_ok = 1;
	return EX_OK;
}

/* ctl_audit_event - add who we are, then append the line */
int
ctl_audit_event(struct ctl *c, const char *event, json_t *fields)
{
	cs_result r;
	int st;

	if ((st = ctl_audit_open(c)) != EX_OK) {
		json_decref(fields);
		return st;
	}
	if (fields == NULL && (fields = json_object()) == NULL)
		return EX_OSERR;
	/* the name comes from the password database, yet is still capped:
	 * whoever edits it is not necessarily whoever reads the trail */
	if (json_object_set_new(fields, "admin",
	    cs_audit_str(c->admin, CS_USER_MAX)) != 0) {
		json_decref(fields);
		return EX_OSERR;
	}
	if ((r = cs_audit_log(&c->audit, event, fields)) != CS_OK) {
		cs_log(LOG_ERR, "audit trail: cannot log %s: %s", event,
		    cs_strerror(r));
		return ctl_exit_code(r);
	}
	return EX_OK;
}

/* ctl_audit_admin - record the command before it runs, so a command that
 * fails half-way is on the trail too */
int
ctl_audit_admin(struct ctl *c)
{
	json_t *f;

	if ((f = json_object()) == NULL ||
	    json_object_set_new(f, "command",
	    cs_audit_str(c->command, CTL_COMMAND_MAX)) != 0) {
		json_decref(f);
		return EX_OSERR;
	}
	return ctl_audit_event(c, "admin", f);
}

/* ctl_log_open - open audit.log for reading under a shared lock, so no
 * append is seen half-written; *fd is -1 when there is no log yet */
static cs_result
ctl_log_open(const struct ctl *c, int *fd)
{
	struct stat st;
	cs_result r;

	r = cs_safe_open_read(c->sp.dir[CS_DIR_AUDIT], CS_AUDIT_LOG,
	    geteuid(), &st, fd);
	if (r == CS_ERR_NOTFOUND) {
		*fd = -1;
		return CS_OK;
	}
	if (r != CS_OK)
		return r;
	while (flock(*fd, LOCK_SH) < 0) {
		if (errno != EINTR) {
			(void)close(*fd);
			*fd = -1;
			return CS_ERR_IO;
		}
	}
	return CS_OK;
}

/* ctl_count_lines - lines from the current offset to the end; a last line
 * without its newline (a crash mid-append) counts too */
static cs_result
ctl_count_lines(int fd, uint64_t *n)
{
	char buf[CTL_AUDIT_BUF];
	size_t got, i;
	char last = '\n';
	cs_result r;

	*n = 0;
	for (;;) {
		if ((r = cs_read_full(fd, buf, sizeof(buf), &got)) != CS_OK)
			return r;
		if (got == 0)
			break;
		for (i = 0; i < got; i++)
			if (buf[i] == '\n')
				(*n)++;
		last = buf[got - 1];
	}
	if (last != '\n')
		(*n)++;
	return CS_OK;
}

/* ctl_audit_lines - how many lines audit/audit.log has */
cs_result
ctl_audit_lines(const struct ctl *c, uint64_t *n)
{
	cs_result r;
	int fd;

	*n = 0;
	if ((r = ctl_log_open(c, &fd)) != CS_OK || fd < 0)
		return r;
	r = ctl_count_lines(fd, n);
	(void)close(fd);
	return r;
}

/* ctl_audit_verify - "audit verify" */
int
ctl_audit_verify(struct ctl *c, int argc, char **argv)
{
	struct cs_audit_report rep;
	struct cs_audit a;
	char err[256];
	cs_result r;

	(void)argv;
	if (argc != 0) {
		cs_log(LOG_ERR, "usage: audit verify");
		return EX_USAGE;
	}
	/* no key, no verification: that is a failed check, not a usage error */
	if ((r = cs_audit_open(&a, c->sp.root, 0, err, sizeof(err))) != CS_OK) {
		printf("audit: cannot verify: %s\n", err);
		return 1;
	}
	a.use_syslog = 0;
	r = cs_audit_verify(&a, &rep);
	cs_audit_close(&a);
	if (r == CS_OK) {
		printf("audit: ok (%" PRIu64 " lines)\n", rep.lines);
		/* e.g. a head left one line behind by a crash: fine, but say so */
		if (rep.why[0] != '\0')
			printf("audit: note: %s\n", rep.why);
		return 0;
	}
	if (rep.why[0] != '\0')
		printf("audit: %s\n", rep.why);
	else if (rep.bad_line != 0)
		printf("audit: line %" PRIu64 ": %s\n", rep.bad_line,
		    cs_strerror(r));
	else
		printf("audit: %s\n", cs_strerror(r));
	return 1;
}

/* ctl_show_parse - "-n N" or nothing; UINT64_MAX means all lines */
static int
ctl_show_parse(int argc, char **argv, uint64_t *want)
{
	unsigned long long v;
	char *end;

	*want = UINT64_MAX;
	if (argc == 0)
		return 0;
	if (argc != 2 || strcmp(argv[0], "-n") != 0 ||
	    argv[1][0] < '0' || argv[1][0] > '9')
		return -1;
	errno = 0;
	v = strtoull(argv[1], &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*want = v;
	return 0;
}

/* ctl_show_copy - copy fd to stdout from line skip+1 on, non-ASCII and
 * control bytes but '\n' shown as '?' */
static cs_result
ctl_show_copy(int fd, uint64_t skip)
{
	char in[CTL_AUDIT_BUF], out[CTL_AUDIT_BUF];
	size_t got, i, o;
	uint64_t seen = 0;
	char last = '\n';
	cs_result r;

	for (;;) {
		if ((r = cs_read_full(fd, in, sizeof(in), &got)) != CS_OK)
			return r;
		if (got == 0)
			break;
		for (i = o = 0; i < got; i++) {
			if (seen >= skip) {
				out[o++] = (in[i] == '\n' || (in[i] >= 0x20 &&
				    in[i] < 0x7f)) ? in[i] : '?';
				last = in[i];
			}
			if (in[i] == '\n')
				seen++;
		}
		if (o > 0 && fwrite(out, 1, o, stdout) != o)
			return CS_ERR_IO;
	}
	if (last != '\n' && putchar('\n') == EOF)
		return CS_ERR_IO;
	return fflush(stdout) == 0 ? CS_OK : CS_ERR_IO;
}

/* ctl_audit_show - "audit show [-n N]": the last N lines, all by default */
int
ctl_audit_show(struct ctl *c, int argc, char **argv)
{
	uint64_t want, total;
	cs_result r;
	int fd;

	if (ctl_show_parse(argc, argv, &want) < 0) {
		cs_log(LOG_ERR, "usage: audit show [-n N]");
		return EX_USAGE;
	}
	if ((r = ctl_log_open(c, &fd)) != CS_OK) {
		cs_log(LOG_ERR, "audit/%s: %s", CS_AUDIT_LOG, cs_strerror(r));
		return ctl_exit_code(r);
	}
	if (fd < 0 || want == 0) {
		if (fd >= 0)
			(void)close(fd);
		return EX_OK;
	}
	r = ctl_count_lines(fd, &total);
	if (r == CS_OK && lseek(fd, 0, SEEK_SET) < 0)
		r = CS_ERR_IO;
	if (r == CS_OK)
		r = ctl_show_copy(fd, total > want ? total - want : 0);
	(void)close(fd);
	if (r != CS_OK) {
		cs_log(LOG_ERR, "audit/%s: %s", CS_AUDIT_LOG, cs_strerror(r));
		return ctl_exit_code(r);
	}
	return EX_OK;
}
