/*
 * NAME
 *	cloudspool-authd - the HTTPS callback server of user consent
 *
 * SYNOPSIS
 *	cloudspool-authd [-c CONFIG] [-e]
 *
 * DESCRIPTION
 *	Serves the links cloudspoold emails to users (/authorize) and the
 *	OAuth redirect back from providers (/callback), as described in
 *	authd_flow.c, on [authorization] listen:port with cert_file and
 *	key_file. What it obtains is sealed to the vault's public key
 *	(SPOOL/consent/vault.pub) and dropped in SPOOL/grants/ for the daemon.
 *	It also listens on a UNIX socket, device_socket (default
 *	/run/cloudspool/authd.sock, 0666), for `cloudspool authorize` (the
 *	device grant, authd_device.c) and `cloudspool revoke` (authd_sock.c).
 *	-e logs to stderr as well as syslog.
 *
 * SECURITY
 *	Started as root, it reads its TLS key, creates or repairs the two
 *	folders it shares with the daemon (consent/ 2750 and grants/ 3770,
 *	owner daemon_user, group auth_user's group) and its own state_dir
 *	(0700), opens them, binds the device socket, and becomes auth_user
 *	for good before serving. Who uses the socket is known from
 *	SO_PEERCRED only.
 *	It never holds a spool or vault private key.
 *
 * DIAGNOSTICS
 *	One line per problem; exit status from sysexits.h.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "authd.h"
#include "l10n.h"
#include "log.h"
#include "privs.h"
#include "safefile.h"
#include "vault.h"

#define AUTHD_PEM_MAX (64 * 1024)
#define AUTHD_STATE_LIFETIME 900	/* seconds from link to callback */

/* authd_clock - the wall clock */
static int64_t
authd_clock(void)
{
	return (int64_t)time(NULL);
}

/* authd_mkdir - make path (if absent) and give it owner, group and mode */
static int
authd_mkdir(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode & 0777) < 0 && errno != EEXIST)
		return -1;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (geteuid() == 0 && chown(path, uid, gid) < 0)
		return -1;
	return chmod(path, mode);
}

/* authd_read_pem - a PEM file into a NUL-terminated malloc'd buffer */
static char *
authd_read_pem(const char *path)
{
	char *buf = malloc(AUTHD_PEM_MAX + 1);
	size_t len;

	if (buf == NULL)
		return NULL;
	if (cs_read_small_file(AT_FDCWD, path, buf, AUTHD_PEM_MAX, &len) !=
	    CS_OK) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* authd_open_dir - open path as a directory fd, or die */
static int
authd_open_dir(const char *path)
{
	int fd;

	if (cs_safe_open_dir(AT_FDCWD, path, &fd) != CS_OK)
		cs_die(EX_OSERR, "cannot open folder %s", path);
	return fd;
}

/* authd_folders - shared folders and the state folder, then open them */
static void
authd_folders(struct authd *a, uid_t auth_uid, gid_t auth_gid)
{
	const struct cs_auth_config *ac = &a->cfg.auth;
	char path[4096];
	uid_t duid = geteuid();
	gid_t dgid;

	if (geteuid() == 0 && cs_lookup_user(a->cfg.daemon_user, &duid,
	    &dgid) != CS_OK)
		cs_die(EX_NOUSER, "no daemon user %s", a->cfg.daemon_user);
	(void)snprintf(path, sizeof(path), "%s/consent", a->cfg.spool_dir);
	if (authd_mkdir(path, duid, auth_gid, 02750) < 0)
		cs_die(EX_OSERR, "cannot set up %s: %s", path, strerror(errno));
	a->consent_dirfd = authd_open_dir(path);
	/* sticky: one grant can never unlink another; the daemon owns it */
	(void)snprintf(path, sizeof(path), "%s/grants", a->cfg.spool_dir);
	if (authd_mkdir(path, duid, auth_gid, 03770) < 0)
		cs_die(EX_OSERR, "cannot set up %s: %s", path, strerror(errno));
	a->grants_dirfd = authd_open_dir(path);
	if (authd_mkdir(ac->state_dir, auth_uid, auth_gid, 0700) < 0)
		cs_die(EX_OSERR, "cannot set up %s: %s", ac->state_dir,
		    strerror(errno));
	(void)snprintf(path, sizeof(path), "%s/used", ac->state_dir);
	if (authd_mkdir(path, auth_uid, auth_gid, 0700) < 0)
		cs_die(EX_OSERR, "cannot set up %s", path);
	a->used_dirfd = authd_open_dir(path);
	(void)snprintf(path, sizeof(path), "%s/pending", ac->state_dir);
	if (authd_mkdir(path, auth_uid, auth_gid, 0700) < 0)
		cs_die(EX_OSERR, "cannot set up %s", path);
	a->pending_dirfd = authd_open_dir(path);
	(void)snprintf(path, sizeof(path), "%s/claimed", ac->state_dir);
	if (authd_mkdir(path, auth_uid, auth_gid, 0700) < 0)
		cs_die(EX_OSERR, "cannot set up %s", path);
	a->claimed_dirfd = authd_open_dir(path);
}

/* authd_wait_vault_pk - the daemon publishes vault.pub at its start */
static void
authd_wait_vault_pk(struct authd *a)
{
	int tries;

	for (tries = 0; tries < 600; tries++) {
		if (cs_vault_read_public(a->consent_dirfd, CS_VAULT_PUB_FILE,
		    a->vault_pk) == CS_OK)
			return;
		if (tries == 0)
			cs_log(LOG_NOTICE, "waiting for cloudspoold to publish "
			    "consent/%s", CS_VAULT_PUB_FILE);
		sleep(1);
	}
	cs_die(EX_UNAVAILABLE, "no consent/%s: is cloudspoold running with "
	    "an [authorization] section?", CS_VAULT_PUB_FILE);
}

int
main(int argc, char **argv)
{
	static const char *const keep_env[] = { "TZ", "FAKETIME",
	    "FAKETIME_TIMESTAMP_FILE", "FAKETIME_NO_CACHE",
	    "FAKETIME_DONT_FAKE_MONOTONIC", "LD_PRELOAD", "SOFTHSM2_CONF",
	    NULL };
	const char *conf = CS_CONFIG_DEFAULT_PATH;
	struct authd a;
	char err[512], *cert, *key;
	uid_t auth_uid = geteuid();
	gid_t auth_gid = getegid();
	int opt, to_stderr = 0, status;
	sigset_t sigs;

	/* 022, not 077: grant files (sealed) must be readable by the daemon,
	 * which is not their owner; everything private is made with an
	 * explicit mode (state files 0600, folders 0700) */
	if (cs_sanitize_process(022, keep_env) != CS_OK)
		return EX_OSERR;
	while ((opt = getopt(argc, argv, "c:e")) != -1) {
		if (opt == 'c')
			conf = optarg;
		else if (opt == 'e')
			to_stderr = 1;
		else {
			fprintf(stderr, "usage: cloudspool-authd [-c CONFIG] "
			    "[-e]\n");
			return EX_USAGE;
		}
	}
	cs_log_init("cloudspool-authd", 1, to_stderr);
	/* mails and pages in the reader's language (po/, lib/l10n.c) */
	cs_l10n_init(CS_LOCALEDIR);
	memset(&a, 0, sizeof(a));
	a.now = authd_clock;
	a.state_lifetime = AUTHD_STATE_LIFETIME;
	if (cs_config_load(conf, &a.cfg, err, sizeof(err)) != CS_OK)
		cs_die(EX_CONFIG, "%s", err);
	if (!a.cfg.auth.present || a.cfg.auth.cert_file == NULL)
		cs_die(EX_CONFIG, "%s: [authorization] with cert_file and "
		    "key_file is needed to serve consent", conf);
	if ((cert = authd_read_pem(a.cfg.auth.cert_file)) == NULL ||
	    (key = authd_read_pem(a.cfg.auth.key_file)) == NULL)
		cs_die(EX_NOINPUT, "cannot read cert_file or key_file");
	if (geteuid() == 0 && cs_lookup_user(a.cfg.auth.auth_user, &auth_uid,
	    &auth_gid) != CS_OK)
		cs_die(EX_NOUSER, "no user %s (auth_user)", a.cfg.auth.auth_user);
	if (authd_load_secrets(&a, err, sizeof(err)) != CS_OK)
		cs_die(EX_CONFIG, "%s", err);
	authd_folders(&a, auth_uid, auth_gid);
	if (authd_sock_open(&a, auth_uid, auth_gid, err, sizeof(err)) != CS_OK)
		cs_die(EX_OSERR, "device socket: %s", err);
	if (geteuid() == 0 && cs_drop_privileges(auth_uid, auth_gid,
	    (gid_t)-1) != CS_OK)
		cs_die(EX_OSERR, "cannot become %s", a.cfg.auth.auth_user);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		cs_die(EX_SOFTWARE, "cannot initialize libcurl");
	authd_wait_vault_pk(&a);
	/* SIGTERM and SIGINT go to authd_http_run's sigwait, never to the
	 * threads started here (they inherit this mask) */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0 ||
	    authd_sock_start(&a) != CS_OK)
		cs_die(EX_OSERR, "cannot serve the device socket");
	status = authd_http_run(&a, cert, key);
	cs_wipe(key, strlen(key));
	free(key);
	free(cert);
	curl_global_cleanup();
	authd_free_secrets(&a);
	cs_config_free(&a.cfg);
	return status;
}
