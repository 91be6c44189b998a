/*
 * authd_sock.c - cloudspool-authd's UNIX socket (device_socket), where
 * `cloudspool authorize` and `cloudspool revoke` reach it (lib/authmsg.h
 * has the lines).
 *
 * Who asks is what the kernel says (SO_PEERCRED), never what the message
 * says: a request naming a uid or user is refused outright. The socket is
 * 0666 because every local user may ask for their own consent; nothing
 * here can act for another uid. One thread accepts and reads each
 * request line (2 s at most, so a silent client cannot hold it long);
 * device flows then run in threads of their own (authd_device.c) and
 * never block the HTTPS side, which has its own thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "authd.h"
#include "authmsg.h"
#include "consent.h"
#include "log.h"
#include "privs.h"
#include "revoke.h"

#define AUTHD_SOCK_BACKLOG 16
#define AUTHD_SOCK_READ_S 2		/* seconds to send the request line */

/* authd_send_line - see authd.h */
int
authd_send_line(int fd, const char *line)
{
	size_t off = 0, len = strlen(line);
	ssize_t n;

	while (off < len) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* authd_sock_error - one error line to the client */
static void
authd_sock_error(int fd, const char *code, const char *text)
{
	char line[CS_AUTHMSG_MAX];

	if (cs_authmsg_error(code, text, line, sizeof(line)) == CS_OK)
		(void)authd_send_line(fd, line);
}

/* authd_sock_open - see authd.h */
cs_result
authd_sock_open(struct authd *a, uid_t uid, gid_t gid, char *why,
    size_t whylen)
{
	const char *path = a->cfg.auth.device_socket;
	struct sockaddr_un sun;
	char dir[sizeof(sun.sun_path)];
	struct stat st;
	int fd;

	a->sock_fd = -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	(void)snprintf(dir, sizeof(dir), "%s", path);
	/* a folder we make is 0755: anyone may reach the socket in it */
	if (mkdir(dirname(dir), 0755) == 0 && chmod(dir, 0755) < 0) {
		(void)snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return CS_ERR_IO;
	}
	/* the path operations below (unlink, chmod, chown as root) are safe
	 * only in a folder nobody else can change */
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		(void)snprintf(why, whylen, "%s must be a folder owned by uid %u "
		    "that no one else can write", dir, (unsigned)geteuid());
		return CS_ERR_UNSAFE;
	}
	/* a socket left by an earlier run goes; anything else is an error */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			(void)snprintf(why, whylen, "%s exists and is not a "
			    "socket", path);
			return CS_ERR_UNSAFE;
		}
		if (unlink(path) < 0) {
			(void)snprintf(why, whylen, "cannot remove the old %s: "
			    "%s", path, strerror(errno));
			return CS_ERR_IO;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0666) < 0 ||
	    (geteuid() == 0 && chown(path, uid, gid) < 0) ||
	    listen(fd, AUTHD_SOCK_BACKLOG) < 0) {
		(void)snprintf(why, whylen, "cannot listen on %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return CS_ERR_IO;
	}
	if ((errno = pthread_mutex_init(&a->flows_lock, NULL)) != 0) {
		(void)snprintf(why, whylen, "mutex: %s", strerror(errno));
		close(fd);
		return CS_ERR_IO;
	}
	a->sock_fd = fd;
	return CS_OK;
}

/* authd_sock_read - the request line (newline-terminated) into buf */
static ssize_t
authd_sock_read(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1) {
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	buf[len] = '\0';
	return memchr(buf, '\n', len) != NULL ? (ssize_t)len : -1;
}

/* authd_sock_revoke - hand a user's own revocation to the daemon */
static void
authd_sock_revoke(struct authd *a, int fd, uint32_t uid, const char *user,
    const char *dest)
{
	char line[CS_AUTHMSG_MAX], *json;

	if (cs_consent_destination(&a->cfg, dest) == NULL) {
		authd_sock_error(fd, "unknown", "no destination of that name "
		    "needs consent");
		return;
	}
	if (cs_grant_revoke_json(uid, dest, &json) != CS_OK ||
	    cs_grant_drop(a->grants_dirfd, a->vault_pk, json) != CS_OK) {
		free(json);
		authd_sock_error(fd, "failed", "cannot hand the request to "
		    "cloudspoold");
		return;
	}
	free(json);
	authd_event(a, "consent-revoke-requested", "cloudspool revoke", user,
	    dest, "local socket");
	if (cs_authmsg_status("revocation requested", line, sizeof(line)) ==
	    CS_OK)
		(void)authd_send_line(fd, line);
}

/* authd_sock_serve - one connection: who, what, then act */
static void
authd_sock_serve(struct authd *a, int fd)
{
	struct timeval tv = { AUTHD_SOCK_READ_S, 0 };
	struct cs_authmsg_req req;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char buf[CS_AUTHMSG_MAX], why[128], user[256];
	ssize_t len;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    clen != sizeof(cred)) {
		cs_log(LOG_ERR, "device socket: no peer credentials: %s",
		    strerror(errno));
		close(fd);
		return;
	}
	if (cs_user_name(cred.uid, user, sizeof(user)) != CS_OK)
		(void)snprintf(user, sizeof(user), "uid %u",
		    (unsigned)cred.uid);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((len = authd_sock_read(fd, buf, sizeof(buf))) < 0 ||
	    cs_authmsg_parse_request(buf, (size_t)len, &req, why,
	    sizeof(why)) != CS_OK) {
		if (len < 0)
			(void)snprintf(why, sizeof(why), "no request line");
		authd_event(a, "consent-device-refused", why, user, NULL,
		    "local socket");
		authd_sock_error(fd, "failed", why);
		close(fd);
		return;
	}
	/* the flow waits for the user a long time: no read timeout there */
	tv.tv_sec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (req.op == CS_AUTHMSG_REVOKE) {
		authd_sock_revoke(a, fd, (uint32_t)cred.uid, user,
		    req.destination);
		close(fd);
		return;
	}
	authd_device_begin(a, fd, (uint32_t)cred.uid, req.destination);
}

/* authd_sock_loop - accept for ever */
static void *
authd_sock_loop(void *arg)
{
	struct authd *a = arg;
	int fd;

	for (;;) {
		fd = accept4(a->sock_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			authd_sock_serve(a, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		/* out of fds or memory: let the flows finish first */
		cs_log(LOG_ERR, "device socket: accept: %s", strerror(errno));
		sleep(1);
	}
	return NULL;
}

/* authd_sock_start - see authd.h */
cs_result
authd_sock_start(struct authd *a)
{
	pthread_t t;
	int e;

	if ((e = pthread_create(&t, NULL, authd_sock_loop, a)) != 0) {
		cs_log(LOG_ERR, "cannot start the socket thread: %s",
		    strerror(e));
		return CS_ERR_IO;
	}
	(void)pthread_detach(t);
	return CS_OK;
}
