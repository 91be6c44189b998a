/*
 * sandbox.c - the worker's seccomp allow-list (libseccomp).
 *
 * An allow-list, not a deny-list: whatever a decoder bug makes the process
 * try beyond its fds and memory is refused. Denials return EPERM rather
 * than killing, so a test can observe them and the daemon sees a clean
 * failure status.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <seccomp.h>

#include "sandbox.h"

static const int cs_sandbox_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(close),
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(mprotect), SCMP_SYS(futex),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(getpid),
	SCMP_SYS(sched_yield), SCMP_SYS(ftruncate),
};

/* cs_sandbox_enter - install the allow-list */
cs_result
cs_sandbox_enter(void)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return CS_ERR_PERM;
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL)
		return CS_ERR_NOMEM;
	for (i = 0; i < sizeof(cs_sandbox_allowed) / sizeof(int) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, cs_sandbox_allowed[i], 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? CS_OK : CS_ERR_PERM;
}
