/*
 * worker.c - run the document filter in a child that holds no keys.
 *
 * The child execs the filter program at once, so no key material from the
 * daemon's memory survives into it; the filter then confines itself
 * (seccomp: no network, no file opens). Plaintext crosses in memfds: RAM,
 * never a file system.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/close_range.h>

#include "daemon.h"
#include "log.h"
#include "privs.h"

#define WORKER_CPU_SECONDS 600
#define WORKER_MEMORY (4ULL << 30)

/* worker_child - set limits, wire the memfds to 0 and 1, exec the filter */
static void __attribute__((noreturn))
worker_child(const char *path, char *const argv[], int in_fd, int out_fd,
    int err_fd)
{
	char *const envp[] = { NULL };

	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0 ||
	    lseek(STDIN_FILENO, 0, SEEK_SET) < 0 ||
	    close_range(3, ~0U, 0) < 0 ||
	    cs_confine_child(WORKER_CPU_SECONDS, WORKER_MEMORY) != CS_OK)
		_exit(126);
	execve(path, argv, envp);
	_exit(127);
}

/* worker_spawn - start the filter on in_fd; see daemon.h */
cs_result
worker_spawn(struct cs_daemon *d, char *const argv[], int in_fd,
    struct worker_proc *w, char *why, size_t whylen)
{
	w->pid = -1;
	w->pidfd = -1;
	w->err_fd = -1;
	if ((w->out_fd = memfd_create("cloudspool-out", MFD_CLOEXEC)) < 0 ||
	    (w->err_fd = memfd_create("cloudspool-err", MFD_CLOEXEC)) < 0) {
		snprintf(why, whylen, "memfd_create: %s", strerror(errno));
		if (w->out_fd >= 0)
			close(w->out_fd);
		return CS_ERR_TEMP;
	}
	if ((w->pid = fork()) < 0) {
		close(w->out_fd);
		close(w->err_fd);
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return CS_ERR_TEMP;
	}
	if (w->pid == 0)
		worker_child(d->filter_path, argv, in_fd, w->out_fd, w->err_fd);
	/* A pidfd lets the daemon loop poll for the filter's exit. */
	if ((w->pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0)) < 0)
		cs_log(LOG_WARNING, "pidfd_open: %s: polling at the tick",
		    strerror(errno));
	return CS_OK;
}

/* worker_error_line - the filter's first line of standard error, only
 * printable ASCII (it names a problem, never document content, but it is
 * untrusted text going into the audit trail) */
static void
worker_error_line(int fd, char *why, size_t whylen)
{
	char buf[256];
	ssize_t n;
	size_t i, j = 0;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	for (i = 0; n > 0 && i < (size_t)n && buf[i] != '\n' && j + 1 < whylen;
	    i++)
		if (buf[i] >= 0x20 && buf[i] < 0x7f)
			why[j++] = buf[i];
	why[j] = '\0';
	if (j == 0)
		snprintf(why, whylen, "the filter cannot process the input");
}

/* worker_finish - reap the filter (blocking only when wait says so);
 * CS_ERR_TEMP while it still runs */
cs_result
worker_finish(struct worker_proc *w, int wait, char *why, size_t whylen)
{
	pid_t got;
	int status;

	do
		got = waitpid(w->pid, &status, wait ? 0 : WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		return CS_ERR_TEMP;
	if (w->pidfd >= 0)
		close(w->pidfd);
	w->pidfd = -1;
	w->pid = -1;
	if (got >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1)
		worker_error_line(w->err_fd, why, whylen);
	close(w->err_fd);
	w->err_fd = -1;
	if (got < 0) {
		snprintf(why, whylen, "waitpid: %s", strerror(errno));
		return CS_ERR_CHILD;
	}
	/* exit 1: this input cannot be processed, now or later */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		return CS_ERR_FORMAT;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			snprintf(why, whylen, "filter killed by signal %d",
			    WTERMSIG(status));
		else
			snprintf(why, whylen, "filter exited with status %d",
			    WEXITSTATUS(status));
		return CS_ERR_CHILD;
	}
	if (lseek(w->out_fd, 0, SEEK_SET) < 0) {
		snprintf(why, whylen, "lseek: %s", strerror(errno));
		return CS_ERR_IO;
	}
	return CS_OK;
}
