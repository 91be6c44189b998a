/*
 * authorize.c - `cloudspool authorize DESTINATION` and `cloudspool revoke
 * DESTINATION`: a user's own consent, through cloudspool-authd's UNIX
 * socket (device_socket in [authorization]; lib/authmsg.h has the lines).
 *
 * authorize is the device grant (RFC 8628) for sites whose users'
 * browsers cannot reach the consent callback: authd asks the provider for
 * a user code, we print it with the address to enter it at, and wait
 * while authd polls. The CLI never sees the client secret or a token;
 * Ctrl-C closes the socket, which ends the flow at authd. revoke asks
 * the daemon (through authd) to revoke the caller's token at the provider
 * and shred it; it prints "revocation requested" and does not wait.
 *
 * Neither sends who the caller is: authd takes it from the kernel.
 * Exit: 0 done; EX_NOPERM declined; EX_TEMPFAIL code expired or authd
 * busy; EX_CONFIG destination unknown or without the device grant;
 * EX_UNAVAILABLE authd unreachable or failed; 130 cancelled.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "authmsg.h"
#include "authorize.h"
#include "config.h"

#define AUTHZ_CANCELLED 130		/* as a shell reports SIGINT */

static volatile sig_atomic_t authz_interrupted;

/* authz_on_signal - Ctrl-C: note it; the blocked read returns EINTR */
static void
authz_on_signal(int sig)
{
	(void)sig;
	authz_interrupted = 1;
}

/* authz_connect - a connection to authd's socket from config; -1 and a
 * line on stderr when there is none */
static int
authz_connect(const char *config)
{
	struct cs_config cfg;
	struct sockaddr_un sun;
	char err[512];
	int fd;

	if (cs_config_load(config, &cfg, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "cloudspool: %s\n", err);
		return -1;
	}
	if (!cfg.auth.present) {
		fprintf(stderr, "cloudspool: consent is not set up on this "
		    "server (no [authorization] in %s)\n", config);
		cs_config_free(&cfg);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    cfg.auth.device_socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "cloudspool: cannot reach cloudspool-authd at "
		    "%s: %s\n", sun.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	cs_config_free(&cfg);
	return fd;
}

/* authz_read_line - the next line from fd into buf; 0 ok, -1 on EOF or
 * error (errno EINTR after Ctrl-C) */
static int
authz_read_line(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < cap - 1) {
		/* one byte at a time: a second line must stay in the socket */
		n = read(fd, buf + *len, 1);
		if (n < 0 && errno == EINTR && !authz_interrupted)
			continue;
		if (n <= 0)
			return -1;
		if (buf[(*len)++] == '\n') {
			buf[*len] = '\0';
			return 0;
		}
	}
	errno = EMSGSIZE;
	return -1;
}

/* authz_clean - control characters (a terminal's escapes) become '?':
 * the texts come from authd, and some of them from the provider */
static void
authz_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* authz_error_exit - the exit status for an error code from authd */
static int
authz_error_exit(const char *code)
{
	if (strcmp(code, "denied") == 0 || strcmp(code, "not_permitted") == 0)
		return EX_NOPERM;
	if (strcmp(code, "expired") == 0 || strcmp(code, "busy") == 0)
		return EX_TEMPFAIL;
	if (strcmp(code, "unknown") == 0 || strcmp(code, "no_device") == 0)
		return EX_CONFIG;
	return EX_UNAVAILABLE;
}

/* authz_answer - read and parse one answer; an exit status when the
 * conversation is over (printed), -1 when a is to be acted on */
static int
authz_answer(int fd, const char *dest, struct cs_authmsg_answer *a)
{
	char line[CS_AUTHMSG_MAX];
	size_t len;

	if (authz_read_line(fd, line, sizeof(line), &len) != 0) {
		if (authz_interrupted) {
			fprintf(stderr, "cloudspool: cancelled: %s was not "
			    "authorized\n", dest);
			return AUTHZ_CANCELLED;
		}
		fprintf(stderr, "cloudspool: cloudspool-authd closed the "
		    "connection without an answer\n");
		return EX_UNAVAILABLE;
	}
	if (cs_authmsg_parse_answer(line, len, a) != CS_OK) {
		fprintf(stderr, "cloudspool: cloudspool-authd answered "
		    "something unexpected\n");
		return EX_PROTOCOL;
	}
	authz_clean(a->verification_uri);
	authz_clean(a->verification_uri_complete);
	authz_clean(a->user_code);
	authz_clean(a->status);
	authz_clean(a->error);
	if (a->kind == CS_AUTHMSG_ERROR) {
		fprintf(stderr, "cloudspool: %s: %s\n", dest, a->error);
		return authz_error_exit(a->code);
	}
	return -1;
}

/* authz_request - connect and send the request line; the fd or -1 */
static int
authz_request(const char *config, enum cs_authmsg_op op, const char *dest)
{
	char line[CS_AUTHMSG_MAX];
	size_t off = 0, len;
	ssize_t n;
	int fd;

	if (cs_authmsg_request(op, dest, line, sizeof(line)) != CS_OK) {
		fprintf(stderr, "cloudspool: '%.64s' is not a destination "
		    "name\n", dest);
		return -1;
	}
	if ((fd = authz_connect(config)) < 0)
		return -1;
	len = strlen(line);
	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "cloudspool: cannot talk to "
			    "cloudspool-authd: %s\n", strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return fd;
}

/* authz_signals - Ctrl-C and SIGTERM interrupt the wait (no SA_RESTART) */
static void
authz_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = authz_on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

/* cli_authorize - see authorize.h */
int
cli_authorize(const char *config, const char *dest)
{
	struct cs_authmsg_answer a;
	int fd, rc;

	authz_signals();
	if ((fd = authz_request(config, CS_AUTHMSG_AUTHORIZE, dest)) < 0)
		return EX_UNAVAILABLE;
	if ((rc = authz_answer(fd, dest, &a)) >= 0 ||
	    a.kind != CS_AUTHMSG_CODE) {
		close(fd);
		return rc >= 0 ? rc : EX_PROTOCOL;
	}
	printf("To let cloudspool deliver your scans to %s, open\n\n    %s\n\n"
	    "in a browser and enter the code\n\n    %s\n\n", dest,
	    a.verification_uri, a.user_code);
	if (a.verification_uri_complete[0] != '\0')
		printf("(or open %s)\n", a.verification_uri_complete);
	printf("The code expires in %lld minutes. Waiting... (Ctrl-C "
	    "cancels)\n", (long long)((a.expires_in + 59) / 60));
	(void)fflush(stdout);
	rc = authz_answer(fd, dest, &a);
	close(fd);
	if (rc >= 0)
		return rc;
	if (a.kind != CS_AUTHMSG_STATUS || strcmp(a.status, "granted") != 0) {
		fprintf(stderr, "cloudspool: cloudspool-authd answered "
		    "something unexpected\n");
		return EX_PROTOCOL;
	}
	printf("authorized: your scans to %s will now be delivered\n", dest);
	return EX_OK;
}

/* cli_revoke - see authorize.h */
int
cli_revoke(const char *config, const char *dest)
{
	struct cs_authmsg_answer a;
	int fd, rc;

	authz_signals();
	if ((fd = authz_request(config, CS_AUTHMSG_REVOKE, dest)) < 0)
		return EX_UNAVAILABLE;
	rc = authz_answer(fd, dest, &a);
	close(fd);
	if (rc >= 0)
		return rc;
	if (a.kind != CS_AUTHMSG_STATUS) {
		fprintf(stderr, "cloudspool: cloudspool-authd answered "
		    "something unexpected\n");
		return EX_PROTOCOL;
	}
	printf("%s: %s\n", dest, a.status);
	return EX_OK;
}
