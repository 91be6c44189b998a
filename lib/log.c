/*
 * log.c - one line per diagnostic, to syslog, stderr or both.
 *
 * The only state is where lines go; cs_log_init resets it, so tests can.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static struct {
	const char *ident;
	int to_syslog;
	int to_stderr;
} cs_log_where = { "cloudspool", 0, 1 };

/* cs_log_init - set the program name and destinations */
void
cs_log_init(const char *ident, int to_syslog, int to_stderr)
{
	cs_log_where.ident = ident;
	cs_log_where.to_syslog = to_syslog;
	cs_log_where.to_stderr = to_stderr;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* cs_vlog - format once, send to each destination */
static void
cs_vlog(int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (cs_log_where.to_syslog)
		syslog(prio, "%s", line);
	if (cs_log_where.to_stderr)
		fprintf(stderr, "%s: %s\n", cs_log_where.ident, line);
}

/* cs_log - one line at a syslog priority */
void
cs_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cs_vlog(prio, fmt, ap);
	va_end(ap);
}

/* cs_die - log at LOG_ERR and exit */
void
cs_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cs_vlog(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(status);
}
