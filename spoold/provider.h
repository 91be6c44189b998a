/*
 * provider.h - the interface between cloudspool-upload and its network
 * providers (webdav, s3, gdrive, onedrive, dropbox, smtp).
 *
 * A provider is one file (spoold/up_NAME.c) exporting one struct
 * up_provider, listed in the table in spoold/providers.c. Its deliver
 * operation gets a struct up_ctx: the parsed request from the daemon, the
 * document (fd 0), and the calls that talk back to the daemon
 * (up_checkpoint, up_progress) and set the single final outcome (up_done,
 * up_fail). The protocol itself is doc/UPLOAD-PROTOCOL.md.
 *
 * Rule every provider keeps: no byte whose placement relies on a remote
 * session, upload id or offset is sent before that state was checkpointed
 * (up_checkpoint returns only once the daemon has acknowledged it).
 */
#ifndef CS_PROVIDER_H
#define CS_PROVIDER_H

#include <stdint.h>
#include <jansson.h>

#include "result.h"

struct up_http;

enum up_class {
	UP_TEMPORARY,	/* retry later: 5xx, 429, network and TLS failures */
	UP_PERMANENT,	/* never retry: 400, 403, 404 folder gone, 413, 507 */
	UP_AUTH,	/* 401 / token invalid: refresh the token, run again */
	UP_FALLBACK	/* smtp: over max_size; deliver to the fallback */
};

/* The outcome a provider leaves in its context: exactly one of done/fail. */
struct up_outcome {
	int set;		/* 0 until up_done or up_fail */
	int done;		/* 1 done, 0 fail */
	char remote_id[1024];
	char where[1024];
	int earlier;		/* done: found complete on resume */
	enum up_class cls;	/* fail */
	long retry_after;	/* fail: seconds, -1 when none */
	long http_status;	/* fail: 0 when no HTTP answer */
	char reason[512];	/* fail: one line */
};

struct up_ctx {
	/* the request (doc/UPLOAD-PROTOCOL.md), owned by upload.c */
	json_t *request;
	const char *provider;
	const char *destination;
	const char *user;
	long uid;
	const char *job;
	const char *name;
	uint64_t size;
	const char *sha256;
	const char *access_token;	/* NULL when the request had none */
	json_t *state;			/* borrowed; NULL when none */
	int abandon;			/* "abandon": true: clean up only */
	int doc_fd;			/* the document: pread only */
	int ctl_fd;			/* the control socket */
	struct up_http *http;		/* one connection cache per run */
	uint64_t last_progress;
	struct up_outcome out;
};

struct up_provider {
	const char *name;
	/* deliver - upload ctx->doc_fd, checkpointing as it goes; leaves the
	 * outcome in ctx->out. Returns CS_OK when an outcome was set, an
	 * error only for internal failures (out of memory, the daemon
	 * gone), which make the uploader exit non-zero. */
	cs_result (*deliver)(struct up_ctx *ctx);
	/* abandon - the job is being shredded undelivered (request field
	 * "abandon": true, with its last state): remove what the job left
	 * on the server, send nothing of the document, answer done. NULL
	 * when the provider leaves nothing behind, or cannot remove it. */
	cs_result (*abandon)(struct up_ctx *ctx);
};

/* up_provider_find - the provider called name, or NULL (providers.c) */
const struct up_provider *up_provider_find(const char *name);

/* The providers (one file each). */
extern const struct up_provider up_webdav_provider;
extern const struct up_provider up_s3_provider;
extern const struct up_provider up_gdrive_provider;
extern const struct up_provider up_onedrive_provider;
extern const struct up_provider up_dropbox_provider;
extern const struct up_provider up_smtp_provider;

/* --- the daemon side (up_ctl.c) --- */

/* up_setting - the destination's key as a string, or dflt when absent */
const char *up_setting(const struct up_ctx *ctx, const char *key,
    const char *dflt);

/* up_setting_size - a size key ("8M") into *out, dflt when absent */
cs_result up_setting_size(const struct up_ctx *ctx, const char *key,
    uint64_t dflt, uint64_t *out);

/* up_secret - a secret from the request's "secrets", or NULL */
const char *up_secret(const struct up_ctx *ctx, const char *key);

/* up_checkpoint - send {"type":"state","state":state,"bytes":bytes} and
 * wait for the daemon's ack; steals no reference. CS_ERR_IO when the
 * daemon went away (the uploader must stop sending at once). */
cs_result up_checkpoint(struct up_ctx *ctx, json_t *state, uint64_t bytes);

/* up_progress - {"type":"progress","bytes":N}, no ack; best effort */
void up_progress(struct up_ctx *ctx, uint64_t bytes);

/* up_done - the final outcome: delivered */
void up_done(struct up_ctx *ctx, const char *remote_id, const char *where,
    int earlier);

/* up_fail - the final outcome: failed, with a one-line reason */
void up_fail(struct up_ctx *ctx, enum up_class cls, long retry_after,
    long http_status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* up_expand_user - template with %u (user name, URL-encoded when
 * url_encode) and %% expanded; malloc'd, NULL on no memory */
char *up_expand_user(const char *tmpl, const char *user, int url_encode);

/* up_url_encode - percent-encode all but RFC 3986 unreserved characters
 * (and '/' when keep_slash); malloc'd */
char *up_url_encode(const char *s, int keep_slash);

/* up_name_variant - "stem-N.ext" for n > 0, name itself for n == 0 */
char *up_name_variant(const char *name, unsigned n);

#endif
