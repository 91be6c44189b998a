/*
 * upload.h - internals of cloudspool-upload shared by its main file
 * (upload.c), the control socket (up_ctl.c), the sandbox (up_sandbox.c)
 * and the token refresh operation (up_refresh.c). Providers use
 * provider.h only.
 */
#ifndef CS_UPLOAD_H
#define CS_UPLOAD_H

#include <jansson.h>

#include "result.h"

#define UP_MSG_MAX	(64u << 10)	/* one control message, either way */
#define UP_CTL_FD	3

/* up_ctl_send - one JSON message on the control socket */
cs_result up_ctl_send(int fd, json_t *msg);

/* up_ctl_recv - one JSON object from the control socket; CS_ERR_IO when
 * the peer closed it, CS_ERR_TOOBIG over UP_MSG_MAX */
cs_result up_ctl_recv(int fd, json_t **out);

/* up_sandbox_enter - no_new_privs, rlimits, and a Landlock ruleset that
 * leaves read-only access to what libcurl and GnuTLS need (/etc, /usr,
 * /lib*, /proc/self, /dev/urandom, ca_file) and no write anywhere.
 * A kernel without Landlock is reported in *why but not fatal. */
cs_result up_sandbox_enter(const char *ca_file, char *why, size_t whylen);


/* up_refresh_run - the "refresh" operation on request req (up_refresh.c):
 * sandbox, one refresh_token grant, one answer; the exit status */
int up_refresh_run(json_t *req);

#endif
