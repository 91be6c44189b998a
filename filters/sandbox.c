/*
 * sandbox.c - the worker's seccomp allow-list (libseccomp).
 *
 * An allow-list, not a deny-list: whatever a decoder bug makes the process
 * try beyond its fds and memory is refused. Denials return EPERM rather
 * than killing, so a test can observe them and the daemon sees a clean
 * failure status.
 *
 * Threads: pages are processed in parallel, so clone is allowed, but only
 * with CLONE_THREAD set (a new thread of this process, never a new process
 * that could exec: execve is refused anyway). clone3 passes its flags in
 * memory, where a seccomp filter cannot look, so it fails with ENOSYS and
 * glibc falls back to clone. The rest is what a thread needs to start and
 * end: its robust futex list, rseq, its signal mask, and its stack (mmap,
 * mprotect for the guard page, madvise and munmap at exit).
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <unistd.h>
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
	/* threads */
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(gettid),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	/* a thread's alternate signal stack (sanitizer builds set one up);
	 * abort() resets SIGABRT's handler before raising it */
	SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction),
};

/* sandbox_threads - clone only for threads, clone3 reports ENOSYS,
 * tgkill only to this process */
static int
sandbox_threads(scmp_filter_ctx ctx)
{
	int rc;

	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	/* signals to this process only: abort() and a crash must be able
	 * to end it (else a failed abort spins), nothing else can be hit */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
		    SCMP_SYS(clone3), 0);
	return rc;
}

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
		rc = sandbox_threads(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc == 0 ? CS_OK : CS_ERR_PERM;
}
