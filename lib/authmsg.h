/*
 * authmsg.h - the lines `cloudspool authorize|revoke` and cloudspool-authd
 * exchange on authd's UNIX socket (device_socket in [authorization]).
 *
 * One JSON object per line, each at most CS_AUTHMSG_MAX bytes.
 *   CLI -> authd, once:  {"op":"authorize","destination":D}
 *                        {"op":"revoke","destination":D}
 *     Nothing else: a request naming a uid or a user, or any other key,
 *     is refused. authd learns who asks from SO_PEERCRED alone.
 *   authd -> CLI:
 *     {"verification_uri":U,"user_code":C,"expires_in":N
 *      [,"verification_uri_complete":V]}   authorize: show this, wait
 *     {"status":"granted"}                 authorize: tokens stored
 *     {"status":"revocation requested"}    revoke: handed to the daemon
 *     {"error":TEXT,"code":K}              K: denied, expired, busy,
 *                                          no_device, unknown, failed
 */
#ifndef CS_AUTHMSG_H
#define CS_AUTHMSG_H

#include <stddef.h>
#include <stdint.h>
#include "result.h"

#define CS_AUTHMSG_MAX 2048		/* one line, newline included */
#define CS_AUTHMSG_DEST_MAX 64		/* as a destination's name */

enum cs_authmsg_op {
	CS_AUTHMSG_AUTHORIZE,
	CS_AUTHMSG_REVOKE
};

struct cs_authmsg_req {
	enum cs_authmsg_op op;
	char destination[CS_AUTHMSG_DEST_MAX + 1];
};

enum cs_authmsg_kind {
	CS_AUTHMSG_CODE,		/* verification_uri and user_code */
	CS_AUTHMSG_STATUS,		/* status */
	CS_AUTHMSG_ERROR		/* error and code */
};

/* An answer as the CLI reads it; every string is a copy, NUL-terminated. */
struct cs_authmsg_answer {
	enum cs_authmsg_kind kind;
	char verification_uri[512];
	char verification_uri_complete[512];	/* "" when absent */
	char user_code[64];
	int64_t expires_in;
	char status[64];
	char error[256];
	char code[32];
};

/* cs_authmsg_dest_ok - 1 when name is [A-Za-z0-9_.-]{1,64} */
int cs_authmsg_dest_ok(const char *name);

/* cs_authmsg_request - the request line (newline-terminated) into out */
cs_result cs_authmsg_request(enum cs_authmsg_op op, const char *destination,
    char *out, size_t cap);

/* cs_authmsg_parse_request - one line (newline optional) into req;
 * CS_ERR_FORMAT with why for anything but the two requests above */
cs_result cs_authmsg_parse_request(const char *line, size_t len,
    struct cs_authmsg_req *req, char *why, size_t whylen);

/* cs_authmsg_code - authd's first answer to authorize, into out */
cs_result cs_authmsg_code(const char *uri, const char *uri_complete,
    const char *user_code, int64_t expires_in, char *out, size_t cap);

/* cs_authmsg_status - {"status":S} into out */
cs_result cs_authmsg_status(const char *status, char *out, size_t cap);

/* cs_authmsg_error - {"error":TEXT,"code":K} into out */
cs_result cs_authmsg_error(const char *code, const char *text, char *out,
    size_t cap);

/* cs_authmsg_parse_answer - one of authd's lines into a;
 * CS_ERR_FORMAT for anything else */
cs_result cs_authmsg_parse_answer(const char *line, size_t len,
    struct cs_authmsg_answer *a);

#endif
