/*
 * scan_sig.c - SIGINT, SIGTERM and SIGHUP for `cloudspool scan`, taken
 * synchronously by a thread of our own.
 *
 * Why not handlers: libsane's backends reset signal dispositions
 * process-wide from their reader threads (the test backend's reader_task
 * sets SIGTERM to SIG_DFL each time a page starts). Whatever we set
 * again afterwards, a SIGTERM that lands between that reset and our next
 * look kills the process outright: no "cancelled" line, no sane_cancel,
 * and t-scan's "SIGTERM mid-batch" failed about one run in eight. A
 * disposition only matters for a signal some thread can take, so the
 * three are blocked in the main thread before libsane starts any thread
 * (its threads inherit the mask), and only the waiter thread here takes
 * them, with sigwaitinfo. It records the signal in scan_signalled and
 * pokes the main thread once with SCAN_SIG_WAKE (a no-op handler without
 * SA_RESTART), so a sane_start or sane_read blocked in a system call
 * returns and the loop sees the flag. SIGPIPE stays blocked too: a write
 * to a drop helper that went away fails with EPIPE instead.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "scan.h"

volatile sig_atomic_t scan_signalled;

static pthread_t scan_sig_main;		/* the thread to wake */

/* scan_sig_set - the signals that cancel a scan */
static void
scan_sig_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

/* scan_sig_nothing - the wake-up's handler: its only job is EINTR */
static void
scan_sig_nothing(int sig)
{
	(void)sig;
}

/* scan_sig_wait - the waiter: the first cancelling signal wins */
static void *
scan_sig_wait(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	scan_sig_set(&set);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig < 0)
			continue;	/* EINTR: nothing arrived */
		if (scan_signalled == 0) {
			scan_signalled = sig;
			(void)pthread_kill(scan_sig_main, SCAN_SIG_WAKE);
		}
	}
	return NULL;
}

/* scan_sig_start - block the signals here (inherited by every thread
 * libsane starts later), install the wake-up and start the waiter */
int
scan_sig_start(void)
{
	struct sigaction sa;
	sigset_t set;
	pthread_attr_t attr;
	pthread_t t;
	int e;

	scan_signalled = 0;
	scan_sig_main = pthread_self();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = scan_sig_nothing;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SCAN_SIG_WAKE, &sa, NULL) < 0)
		return -1;
	scan_sig_set(&set);
	sigaddset(&set, SIGPIPE);
	if ((e = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0) {
		errno = e;
		return -1;
	}
	if ((e = pthread_attr_init(&attr)) != 0) {
		errno = e;
		return -1;
	}
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void)pthread_attr_setstacksize(&attr, 64 * 1024);
	e = pthread_create(&t, &attr, scan_sig_wait, NULL);
	(void)pthread_attr_destroy(&attr);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}
