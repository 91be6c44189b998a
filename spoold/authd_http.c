/*
 * authd_http.c - cloudspool-authd's HTTPS side: libmicrohttpd on GnuTLS
 * with the project's one priority string (tls.h), so TLS 1.0/1.1, static
 * RSA key exchange, CBC suites and plain HTTP are refused at the
 * handshake. GET /authorize and GET /callback only; every answer is a
 * short page in the browser's first language (Accept-Language) when there
 * is a catalog for it (lib/l10n.c), else English, with headers that keep
 * the link out of caches and Referer headers.
 *
 * One polling thread serves requests one at a time: consent is rare, and
 * single use never depends on it (authd_flow.c claims with O_EXCL and
 * rename).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "authd.h"
#include "l10n.h"
#include "log.h"
#include "tls.h"

#define AUTHD_PAGE_MAX 2048

struct authd_page_text {
	const char *title;		/* English msgids (po/) */
	const char *text;
};

static const struct authd_page_text authd_pages[] = {
	[AUTHD_PAGE_REDIRECT] = { N_("Redirecting"),
	    N_("Continue at your provider.") },
	[AUTHD_PAGE_DONE] = { N_("Authorization recorded"),
	    N_("Thank you. Your scans to this destination will now be "
	    "delivered. You can close this page.") },
	[AUTHD_PAGE_BAD_LINK] = { N_("Unknown link"),
	    N_("This authorization link is not valid.") },
	[AUTHD_PAGE_LINK_USED] = { N_("Link already used"),
	    N_("This authorization link has already been used. Each link "
	    "works once; a new one is sent while your scans wait.") },
	[AUTHD_PAGE_LINK_EXPIRED] = { N_("Link expired"),
	    N_("This authorization link has expired.") },
	[AUTHD_PAGE_BAD_STATE] = { N_("Invalid request"),
	    N_("This answer from the provider does not belong to an "
	    "authorization started here.") },
	[AUTHD_PAGE_STATE_USED] = { N_("Already completed"),
	    N_("This authorization step was already completed.") },
	[AUTHD_PAGE_STATE_EXPIRED] = { N_("Too late"),
	    N_("This authorization took too long. Open the link from the "
	    "email again if it is still valid.") },
	[AUTHD_PAGE_DECLINED] = { N_("Not authorized"),
	    N_("You did not authorize access. Waiting scans will not be "
	    "delivered.") },
	[AUTHD_PAGE_FAILED] = { N_("Authorization failed"),
	    N_("The authorization could not be completed.") },
	[AUTHD_PAGE_NOT_FOUND] = { N_("Not found"),
	    N_("There is nothing here.") },
};

/* authd_page_title - see authd.h */
const char *
authd_page_title(enum authd_page p, const char *lang)
{
	return cs_l10n_text(lang, authd_pages[p].title);
}

/* authd_page_text - see authd.h */
const char *
authd_page_text(enum authd_page p, const char *lang)
{
	return cs_l10n_text(lang, authd_pages[p].text);
}

/* authd_lang - "fr" when Accept-Language prefers French, else "en" */
static const char *
authd_lang(struct MHD_Connection *conn)
{
	const char *al = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT_LANGUAGE);

	while (al != NULL && (*al == ' ' || *al == '\t'))
		al++;
	return al != NULL && (strncmp(al, "fr", 2) == 0 ||
	    strncmp(al, "FR", 2) == 0) ? "fr" : "en";
}

/* authd_remote - the client's address, for events */
static void
authd_remote(struct MHD_Connection *conn, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	(void)snprintf(out, cap, "?");
	if (sa != NULL && sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, out, (socklen_t)cap);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, out, (socklen_t)cap);
}

/* authd_respond - the page, the security headers, and the status */
static enum MHD_Result
authd_respond(struct MHD_Connection *conn, const struct authd_answer *ans,
    const char *lang)
{
	struct MHD_Response *resp;
	char page[AUTHD_PAGE_MAX];
	const char *title = authd_page_title(ans->page, lang);
	enum MHD_Result ret;
	int n;

	/* an untranslated title (no catalog or locale): the page is English */
	if (title == authd_pages[ans->page].title)
		lang = "en";
	n = snprintf(page, sizeof(page), "<!DOCTYPE html>\n<html lang=\"%s\">"
	    "<head><meta charset=\"utf-8\"><title>%s</title></head><body>"
	    "<h1>%s</h1><p>%s</p></body></html>\n", lang, title, title,
	    authd_page_text(ans->page, lang));
	if (n < 0 || (size_t)n >= sizeof(page))
		return MHD_NO;
	resp = MHD_create_response_from_buffer((size_t)n, page,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(resp, "Content-Type",
	    "text/html; charset=utf-8");
	(void)MHD_add_response_header(resp, "Cache-Control", "no-store");
	(void)MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	(void)MHD_add_response_header(resp, "X-Content-Type-Options",
	    "nosniff");
	(void)MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'none'; frame-ancestors 'none'");
	(void)MHD_add_response_header(resp, "Strict-Transport-Security",
	    "max-age=31536000");
	if (ans->location != NULL)
		(void)MHD_add_response_header(resp, "Location", ans->location);
	ret = MHD_queue_response(conn, ans->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* authd_handle - the MHD access handler: route, run, answer */
static enum MHD_Result
authd_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct authd *a = cls;
	struct authd_answer ans = { 404, AUTHD_PAGE_NOT_FOUND, NULL };
	const char *lang = authd_lang(conn);
	char remote[64];
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {		/* headers only, first call */
		*req_cls = (void *)1;
		return MHD_YES;
	}
	if (*upload_data_size != 0)	/* GET only: any body is ignored */
		*upload_data_size = 0;
	authd_remote(conn, remote, sizeof(remote));
	if (strcmp(method, "GET") != 0)
		ans.status = 405;
	else if (strcmp(url, "/authorize") == 0)
		authd_authorize(a, MHD_lookup_connection_value(conn,
		    MHD_GET_ARGUMENT_KIND, "t"), remote, &ans);
	else if (strcmp(url, "/callback") == 0)
		authd_callback(a, MHD_lookup_connection_value(conn,
		    MHD_GET_ARGUMENT_KIND, "code"),
		    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		    "state"), MHD_lookup_connection_value(conn,
		    MHD_GET_ARGUMENT_KIND, "error"), remote, &ans);
	ret = authd_respond(conn, &ans, lang);
	free(ans.location);
	return ret;
}

/* authd_http_run - serve until SIGTERM or SIGINT */
int
authd_http_run(struct authd *a, const char *cert_pem, const char *key_pem)
{
	struct sockaddr_storage ss;
	struct MHD_Daemon *mhd;
	socklen_t sslen;
	sigset_t set;
	int sig;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, a->cfg.auth.listen,
	    &((struct sockaddr_in *)(void *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)(void *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)(void *)&ss)->sin_port =
		    htons((uint16_t)a->cfg.auth.port);
		sslen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, a->cfg.auth.listen,
	    &((struct sockaddr_in6 *)(void *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)(void *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)(void *)&ss)->sin6_port =
		    htons((uint16_t)a->cfg.auth.port);
		sslen = sizeof(struct sockaddr_in6);
	} else {
		cs_log(LOG_ERR, "listen '%.64s' is not an IP address",
		    a->cfg.auth.listen);
		return 78;	/* EX_CONFIG */
	}
	(void)sslen;
	/* signals are taken with sigwait below, in this thread only */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return 71;
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, authd_handle, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, key_pem,
	    MHD_OPTION_HTTPS_PRIORITIES, CS_TLS_PRIORITY,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_END);
	if (mhd == NULL) {
		cs_log(LOG_ERR, "cannot serve HTTPS on %.64s port %u",
		    a->cfg.auth.listen, (unsigned)a->cfg.auth.port);
		return 71;	/* EX_OSERR */
	}
	cs_log(LOG_INFO, "serving https on %.64s port %u", a->cfg.auth.listen,
	    (unsigned)a->cfg.auth.port);
	while (sigwait(&set, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
		continue;
	MHD_stop_daemon(mhd);
	return 0;
}
