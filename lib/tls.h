/*
 * tls.h - the project's one TLS policy, for every connection it makes or
 * accepts: the callback server (GnuTLS directly) and every outbound
 * connection (libcurl on GnuTLS).
 *
 * TLS 1.2 and 1.3 only; forward-secret key exchange (ECDHE, or DHE in 1.3
 * groups) with AEAD ciphers only; certificates always verified. There is
 * no switch to turn verification off: a test that needs a private CA
 * passes its CA file (a destination's ca_file), never "insecure".
 */
#ifndef CS_TLS_H
#define CS_TLS_H

#include "result.h"

/*
 * The GnuTLS priority string. SECURE192/SECURE128 alone still admit
 * CBC suites and static-RSA key exchange in TLS 1.2, so both are taken out:
 * what remains is ECDHE with AES-GCM, ChaCha20-Poly1305 (and AES-CCM) in
 * 1.2, and the 1.3 suites, which are all AEAD and forward secret.
 */
#define CS_TLS_PRIORITY \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" \
	":-RSA:-DHE-RSA:-DHE-DSS:-AES-128-CBC:-AES-256-CBC:-CAMELLIA-128-CBC" \
	":-CAMELLIA-256-CBC:-3DES-CBC:-ARCFOUR-128:-SHA1:-MD5" \
	":+AEAD:%SAFE_RENEGOTIATION"

#ifdef CS_TLS_WITH_CURL
#include <curl/curl.h>

/* cs_tls_curl - apply the policy to an easy handle: TLS 1.2 minimum, the
 * priority string, peer and host verification on, and ca_file (may be
 * NULL: the system store) as the trust anchors. Also restricts the handle
 * to the protocols in protocols (e.g. "https" or "smtp,smtps"), so a
 * redirect can never downgrade to plain HTTP. */
cs_result cs_tls_curl(CURL *curl, const char *ca_file, const char *protocols);
#endif

#endif
