/*
 * log.h - diagnostics: one line per event to syslog and/or stderr.
 * User-controlled strings must be capped by the caller ("%.200s").
 */
#ifndef CS_LOG_H
#define CS_LOG_H

#include <syslog.h>

/* cs_log_init - set the program name and destinations; may be called again */
void cs_log_init(const char *ident, int to_syslog, int to_stderr);

/* cs_log - one line at a syslog priority */
void cs_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* cs_die - log at LOG_ERR and exit with status */
void cs_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#endif
