/*
 * NAME
 *	cloudspoold - the cloudspool spool daemon
 * SYNOPSIS
 *	cloudspoold [-c config] [--once] [--foreground]
 * DESCRIPTION
 *	Picks up sealed jobs from the spool's incoming/ folder, checks them,
 *	runs the document filter in a confined child, delivers the result and
 *	shreds the job; expires what is not delivered in time, rotates the
 *	spool key every key_rotation and destroys each old key once no job
 *	can still be sealed to it. One loop: wake on inotify (incoming/) or on
 *	the tick, run one pass. --once runs one pass and exits (cron, timers,
 *	tests); --foreground stays attached (systemd); the default detaches.
 * SECURITY
 *	Started as root, it forks the delivery agent (agent.h), then drops to
 *	daemon_user with drop_group as its only extra group, and checks that
 *	root cannot be regained. Deadlines come from the wall clock, so a
 *	daemon that was down shreds what expired as soon as it starts.
 * DIAGNOSTICS
 *	syslog (LOG_DAEMON) and, in the foreground, stderr. Exit status
 *	EX_USAGE, EX_CONFIG, EX_OSERR, EX_NOPERM (another daemon holds the
 *	spool), or 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <sysexits.h>

#include "agent.h"
#include "daemon.h"
#include "l10n.h"
#include "log.h"
#include "privs.h"

#ifndef CS_PKGLIBEXECDIR
#define CS_PKGLIBEXECDIR "/usr/libexec/cloudspool"
#endif

struct daemon_args {
	const char *config;
	int once;
	int foreground;
};

static volatile sig_atomic_t daemon_stop;

/* daemon_on_signal - ask the loop to stop after the current pass */
static void
daemon_on_signal(int sig)
{
	(void)sig;
	daemon_stop = 1;
}

/* daemon_parse_args - getopt */
static void
daemon_parse_args(int argc, char **argv, struct daemon_args *a)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, '1' },
		{ "foreground", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	a->config = CS_CONFIG_DEFAULT_PATH;
	a->once = a->foreground = 0;
	while ((c = getopt_long(argc, argv, "c:f", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case '1': a->once = 1; break;
		case 'f': a->foreground = 1; break;
		default:
			fprintf(stderr, "usage: cloudspoold [-c config] [--once] "
			    "[--foreground]\n");
			exit(EX_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: cloudspoold [-c config] [--once] "
		    "[--foreground]\n");
		exit(EX_USAGE);
	}
}

/* daemon_become_user - fork the agent while root, then drop to the daemon
 * user; without root, run as we are and deliver as ourselves */
static gid_t
daemon_become_user(struct cs_daemon *d)
{
	uid_t uid;
	gid_t gid, drop_gid;
	pid_t pid;

	if (cs_lookup_user(d->cfg.daemon_user, &uid, &gid) != CS_OK)
		cs_die(EX_CONFIG, "no such daemon_user '%s'", d->cfg.daemon_user);
	if (cs_lookup_group(d->cfg.drop_group, &drop_gid) != CS_OK)
		cs_die(EX_CONFIG, "no such drop_group '%s'", d->cfg.drop_group);
	if (agent_start(&d->cfg, &d->agent_fd, &pid) != CS_OK)
		cs_die(EX_OSERR, "cannot start the delivery agent");
	if (geteuid() == 0 && cs_drop_privileges(uid, gid, drop_gid) != CS_OK)
		cs_die(EX_OSERR, "cannot drop privileges to %s",
		    d->cfg.daemon_user);
	return drop_gid;
}

/* daemon_single_instance - hold ROOT/cloudspoold.pid locked for life */
static int
daemon_single_instance(struct cs_daemon *d)
{
	char pid[32];
	int fd;

	fd = openat(d->sp.root, "cloudspoold.pid", O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		cs_die(EX_OSERR, "pid file: %s", strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		cs_die(EX_NOPERM, "another cloudspoold is running on %s",
		    d->cfg.spool_dir);
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) < 0)
		cs_log(LOG_WARNING, "cannot write the pid file");
	return fd;
}

/* daemon_watch_incoming - an inotify descriptor on incoming/, or -1 */
static int
daemon_watch_incoming(struct cs_daemon *d)
{
	char path[4096];
	int ino;

	/* The drop helper renames a finished job into incoming/: IN_MOVED_TO
	 * wakes us at once, which is what keeps submit-to-delivered short. */
	snprintf(path, sizeof(path), "%s/incoming", d->cfg.spool_dir);
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino >= 0 && inotify_add_watch(ino, path, IN_MOVED_TO) < 0) {
		cs_log(LOG_WARNING, "inotify: %s: relying on the tick",
		    strerror(errno));
		close(ino);
		ino = -1;
	}
	return ino;
}

/* daemon_now_ms - a monotonic clock for the tick */
static int64_t
daemon_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* daemon_service_children - act on the uploaders' messages and the
 * filters that ended, under the lock; 1 when a slot came free (room for
 * another job) */
static int
daemon_service_children(struct cs_daemon *d)
{
	size_t before = d->nuploads + d->nwork;
	int lockfd, refreshed;

	if (cs_spool_lock(&d->sp, &lockfd) != CS_OK) {
		cs_log(LOG_ERR, "cannot take the spool lock");
		return 0;
	}
	d->now = (int64_t)time(NULL);
	uploads_service(d);
	work_service(d);
	uploads_service(d);
	/* a refresh that ended lets the jobs waiting for it go on */
	refreshed = refresh_service(d);
	cs_spool_unlock(lockfd);
	return d->nuploads + d->nwork < before || refreshed;
}

/* daemon_pollfd_add - see daemon.h */
void
daemon_pollfd_add(struct pollfd *pfd, size_t cap, size_t *n, int fd)
{
	if (fd < 0 || *n >= cap)
		return;
	pfd[*n].fd = fd;
	pfd[*n].events = POLLIN;
	pfd[*n].revents = 0;
	(*n)++;
}

/* daemon_wait - sleep until inotify, an uploader's message or timeout_ms;
 * 1 when a pass is wanted now */
static int
daemon_wait(struct cs_daemon *d, int ino, int timeout_ms)
{
	struct pollfd pfd[1 + 256];
	char evbuf[4096];
	size_t n = 0, i;
	int want = 0, ready;

	if (ino >= 0) {
		pfd[n].fd = ino;
		pfd[n].events = POLLIN;
		n++;
	}
	n += uploads_pollfds(d, pfd + n, sizeof(pfd) / sizeof(pfd[0]) - n);
	n += work_pollfds(d, pfd + n, sizeof(pfd) / sizeof(pfd[0]) - n);
	n += refresh_pollfds(d, pfd + n, sizeof(pfd) / sizeof(pfd[0]) - n);
	ready = poll(pfd, n, timeout_ms);
	if (ready <= 0)
		return ready == 0;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == ino) {
			while (read(ino, evbuf, sizeof(evbuf)) > 0)
				;
			want = 1;
		}
	}
	if (n > (ino >= 0 ? 1u : 0u) && daemon_service_children(d))
		want = 1;
	return want;
}

/* daemon_loop - a pass at each tick or event; uploaders serviced between */
static void
daemon_loop(struct cs_daemon *d)
{
	int64_t next_pass = 0, now;
	int ino = daemon_watch_incoming(d), want = 1;

	while (!daemon_stop) {
		now = daemon_now_ms();
		if (want || now >= next_pass) {
			daemon_pass(d);
			next_pass = daemon_now_ms() + (int64_t)d->cfg.tick * 1000;
			want = 0;
			continue;
		}
		want = daemon_wait(d, ino, (int)(next_pass - now));
	}
	if (ino >= 0)
		close(ino);
}

/* daemon_once - one pass, then see the uploads it started through */
static void
daemon_once(struct cs_daemon *d)
{
	daemon_pass(d);
	while (d->nuploads + d->nwork + refresh_running(d) > 0 && !daemon_stop)
		if (daemon_wait(d, -1, 1000))
			daemon_pass(d);
}

/* daemon_signals - SIGTERM/SIGINT stop; SIGPIPE ignored; children reaped */
static void
daemon_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		cs_die(EX_OSERR, "sigaction: %s", strerror(errno));
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		cs_die(EX_OSERR, "signal: %s", strerror(errno));
}

int
main(int argc, char **argv)
{
	struct daemon_args a;
	struct cs_daemon d;
	char err[512];
	gid_t drop_gid;
	int pidfd;

	daemon_parse_args(argc, argv, &a);
	cs_log_init("cloudspoold", 1, a.foreground || a.once);
	/* mails and pages in the reader's language (po/, lib/l10n.c) */
	cs_l10n_init(CS_LOCALEDIR);
	memset(&d, 0, sizeof(d));
	d.agent_fd = -1;
	d.filter_path = CS_PKGLIBEXECDIR "/cloudspool-filter";
	if (getenv("CLOUDSPOOL_FILTER") != NULL && geteuid() != 0)
		d.filter_path = getenv("CLOUDSPOOL_FILTER");
	d.upload_path = CS_PKGLIBEXECDIR "/cloudspool-upload";
	if (getenv("CLOUDSPOOL_UPLOAD") != NULL && geteuid() != 0)
		d.upload_path = getenv("CLOUDSPOOL_UPLOAD");
	if (cs_config_load(a.config, &d.cfg, err, sizeof(err)) != CS_OK)
		cs_die(EX_CONFIG, "%s", err);
	daemon_signals();
	if (!a.once && !a.foreground && daemon(0, 0) < 0)
		cs_die(EX_OSERR, "daemon: %s", strerror(errno));
	drop_gid = daemon_become_user(&d);
	/* The folder modes are the boundary between users: repair, don't trust. */
	if (cs_spool_init(d.cfg.spool_dir, drop_gid, err, sizeof(err)) != CS_OK)
		cs_die(EX_CONFIG, "spool: %s (run `cloudspoolctl init`)", err);
	if (cs_spool_open(&d.sp, d.cfg.spool_dir, err, sizeof(err)) != CS_OK)
		cs_die(EX_CONFIG, "%s (run `cloudspoolctl init`)", err);
	pidfd = daemon_single_instance(&d);
	if (cs_audit_open(&d.audit, d.sp.root, 1, err, sizeof(err)) != CS_OK)
		cs_die(EX_CONFIG, "audit: %s", err);
	/* consent (issue 6): the vault and the folders shared with authd */
	if (consent_open(&d, err, sizeof(err)) != CS_OK)
		cs_die(EX_CONFIG, "consent: %s", err);
	if (a.once)
		daemon_once(&d);
	else
		daemon_loop(&d);
	work_stop_all(&d);
	uploads_stop_all(&d);
	refresh_stop_all(&d);
	consent_close(&d);
	cs_audit_close(&d.audit);
	cs_spool_close(&d.sp);
	close(d.agent_fd);
	close(pidfd);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	cs_config_free(&d.cfg);
	return EX_OK;
}
