/*
 * tls.c - apply the TLS policy (tls.h) to libcurl handles.
 */
#define CS_TLS_WITH_CURL
#include "tls.h"

/* cs_tls_curl - see tls.h */
cs_result
cs_tls_curl(CURL *curl, const char *ca_file, const char *protocols)
{
	/* With the GnuTLS backend, libcurl hands the cipher list to
	 * gnutls_priority_set_direct as a whole priority string. */
	if (curl_easy_setopt(curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_CIPHER_LIST, CS_TLS_PRIORITY) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK)
		return CS_ERR_CONFIG;
	if (ca_file != NULL && curl_easy_setopt(curl, CURLOPT_CAINFO,
	    ca_file) != CURLE_OK)
		return CS_ERR_CONFIG;
	if (protocols != NULL && (curl_easy_setopt(curl,
	    CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, protocols) !=
	    CURLE_OK))
		return CS_ERR_CONFIG;
	return CS_OK;
}
