/*
 * up_sigv4.h - AWS Signature Version 4 (header form) for the s3
 * provider, on the HMAC-SHA256 and SHA-256 of lib/crypto.h. Pure
 * functions of their inputs, so the unit test checks them against the
 * example in the S3 API reference.
 */
#ifndef CS_UP_SIGV4_H
#define CS_UP_SIGV4_H

#include <stddef.h>

#include "result.h"

#define UP_SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One signed header: a lower-case name and its trimmed value. */
struct up_sigv4_header {
	const char *name;
	const char *value;
};

struct up_sigv4_key {
	const char *access_key;
	const char *secret_key;
	const char *region;
	const char *service;		/* "s3" */
};

/* up_sigv4_authorization - the Authorization header value
 * ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...")
 * for a request. uri is the canonical (already encoded) path, query the
 * canonical query string (names sorted, encoded; "" when none), headers
 * sorted by name and including host, x-amz-date and
 * x-amz-content-sha256; amz_date is YYYYMMDDTHHMMSSZ. */
cs_result up_sigv4_authorization(const struct up_sigv4_key *key,
    const char *amz_date, const char *method, const char *uri,
    const char *query, const struct up_sigv4_header *headers, size_t nh,
    const char *payload_hash, char *out, size_t outlen);

/* up_sigv4_hex - lower-case hex of n bytes into out (2n + 1) */
void up_sigv4_hex(const unsigned char *p, size_t n, char *out);

#endif
