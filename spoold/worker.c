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
#include <sys/wait.h>
#include <linux/close_range.h>

#include "daemon.h"

#define WORKER_CPU_SECONDS 600
#define WORKER_MEMORY (4ULL << 30)

/* worker_child - set limits, wire the memfds to 0 and 1, exec the filter */
static void __attribute__((noreturn))
worker_child(const char *path, const char *mode, int in_fd, int out_fd)
{
	struct rlimit cpu = { WORKER_CPU_SECONDS, WORKER_CPU_SECONDS };
	struct rlimit mem = { WORKER_MEMORY, WORKER_MEMORY };
	struct rlimit core = { 0, 0 };
	char *const argv[] = { "cloudspool-filter", (char *)mode, NULL };
	char *const envp[] = { NULL };

	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    lseek(STDIN_FILENO, 0, SEEK_SET) < 0 ||
	    close_range(3, ~0U, 0) < 0 ||
	    setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_AS, &mem) < 0 ||
	    setrlimit(RLIMIT_CORE, &core) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(126);
	execve(path, argv, envp);
	_exit(127);
}

/* worker_run - filter a document in_fd into a new memfd */
cs_result
worker_run(struct cs_daemon *d, int in_fd, int *out_fd, char *why,
    size_t whylen)
{
	return worker_run_mode(d, "--worker", in_fd, out_fd, why, whylen);
}

/* worker_run_mode - the same with the filter's mode argument */
cs_result
worker_run_mode(struct cs_daemon *d, const char *mode, int in_fd, int *out_fd,
    char *why, size_t whylen)
{
	pid_t pid;
	int status, out;

	*out_fd = -1;
	if ((out = memfd_create("cloudspool-out", MFD_CLOEXEC)) < 0) {
		snprintf(why, whylen, "memfd_create: %s", strerror(errno));
		return CS_ERR_TEMP;
	}
	if ((pid = fork()) < 0) {
		close(out);
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return CS_ERR_TEMP;
	}
	if (pid == 0)
		worker_child(d->filter_path, mode, in_fd, out);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			close(out);
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return CS_ERR_TEMP;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		close(out);
		if (WIFSIGNALED(status))
			snprintf(why, whylen, "filter killed by signal %d",
			    WTERMSIG(status));
		else
			snprintf(why, whylen, "filter exited with status %d",
			    WEXITSTATUS(status));
		return CS_ERR_CHILD;
	}
	if (lseek(out, 0, SEEK_SET) < 0) {
		close(out);
		return CS_ERR_IO;
	}
	*out_fd = out;
	return CS_OK;
}
