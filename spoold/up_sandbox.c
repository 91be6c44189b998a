/*
 * up_sandbox.c - cloudspool-upload's sandbox: PR_SET_NO_NEW_PRIVS, rlimits
 * (no core dumps: the process holds a token and the plaintext document; no
 * file writes; few fds), and a Landlock ruleset.
 *
 * Landlock: every file-system right the kernel knows is handled, and only
 * reading (files, folders) and executing (shared objects are mmap'd with
 * PROT_EXEC) are granted, beneath /etc (resolver, NSS, CA store, GnuTLS
 * config), /usr and /lib* (libraries, NSS modules, CA certificates),
 * /proc/self and /sys/devices/system/cpu (what the C library and GnuTLS
 * probe), /dev/urandom, and the destination's ca_file. Nothing is writable.
 * The network is not restricted: the uploader's job is to reach the
 * configured endpoint, whose address and port only the config knows.
 *
 * The document (fd 0) and the control socket (fd 3) were opened before,
 * so the ruleset does not affect them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "upload.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER	(1ULL << 13)
#endif
#define UP_LL_TRUNCATE			(1ULL << 14)	/* ABI 3 */
#define UP_LL_IOCTL_DEV			(1ULL << 15)	/* ABI 5 */

#define UP_LL_READ	(LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_EXECUTE)

static const char *const up_sandbox_read_paths[] = {
	"/etc", "/usr", "/lib", "/lib64", "/lib32", "/proc/self",
	"/sys/devices/system/cpu", "/dev/urandom", "/dev/random",
};

/* up_sandbox_limits - rlimits: no core, no file growth, few fds */
static cs_result
up_sandbox_limits(char *why, size_t whylen)
{
	static const struct {
		int res;
		rlim_t max;
		const char *name;
	} lim[] = {
		{ RLIMIT_CORE, 0, "RLIMIT_CORE" },
		{ RLIMIT_FSIZE, 0, "RLIMIT_FSIZE" },
		{ RLIMIT_NOFILE, 64, "RLIMIT_NOFILE" },
	};
	struct rlimit rl;
	size_t i;

	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		rl.rlim_cur = rl.rlim_max = lim[i].max;
		if (setrlimit(lim[i].res, &rl) < 0) {
			(void)snprintf(why, whylen, "setrlimit %s: %s",
			    lim[i].name, strerror(errno));
			return CS_ERR_PERM;
		}
	}
	return CS_OK;
}

/* up_sandbox_allow - grant read access beneath path (absent paths are
 * skipped: /lib32 need not exist) */
static cs_result
up_sandbox_allow(int ruleset, const char *path, uint64_t handled, char *why,
    size_t whylen)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return CS_OK;
		(void)snprintf(why, whylen, "sandbox: open %s: %s", path,
		    strerror(errno));
		return CS_ERR_IO;
	}
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = fd;
	pb.allowed_access = UP_LL_READ & handled;
	/* a file may only be granted file rights */
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= ~(uint64_t)LANDLOCK_ACCESS_FS_READ_DIR;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) < 0) {
		(void)snprintf(why, whylen, "sandbox: landlock rule for %s: %s",
		    path, strerror(errno));
		(void)close(fd);
		return CS_ERR_PERM;
	}
	(void)close(fd);
	return CS_OK;
}

/* up_sandbox_landlock - the ruleset; CS_ERR_NOTFOUND when the kernel has
 * no Landlock */
static cs_result
up_sandbox_landlock(const char *ca_file, char *why, size_t whylen)
{
	struct landlock_ruleset_attr attr;
	uint64_t handled;
	long abi;
	int rs;
	size_t i;
	cs_result r = CS_OK;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		(void)snprintf(why, whylen, "sandbox: no Landlock in this "
		    "kernel (%s)", strerror(errno));
		return CS_ERR_NOTFOUND;
	}
	handled = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;	/* ABI 1 */
	if (abi >= 2)
		handled |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		handled |= UP_LL_TRUNCATE;
	if (abi >= 5)
		handled |= UP_LL_IOCTL_DEV;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0) {
		(void)snprintf(why, whylen, "sandbox: landlock ruleset: %s",
		    strerror(errno));
		return CS_ERR_PERM;
	}
	for (i = 0; r == CS_OK && i < sizeof(up_sandbox_read_paths) /
	    sizeof(up_sandbox_read_paths[0]); i++)
		r = up_sandbox_allow(rs, up_sandbox_read_paths[i], handled,
		    why, whylen);
	if (r == CS_OK && ca_file != NULL)
		r = up_sandbox_allow(rs, ca_file, handled, why, whylen);
	if (r == CS_OK && syscall(SYS_landlock_restrict_self, rs, 0) < 0) {
		(void)snprintf(why, whylen, "sandbox: landlock restrict: %s",
		    strerror(errno));
		r = CS_ERR_PERM;
	}
	(void)close(rs);
	return r;
}

/* up_sandbox_enter - see upload.h */
cs_result
up_sandbox_enter(const char *ca_file, char *why, size_t whylen)
{
	cs_result r;

	why[0] = '\0';
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		(void)snprintf(why, whylen, "sandbox: no_new_privs: %s",
		    strerror(errno));
		return CS_ERR_PERM;
	}
	if ((r = up_sandbox_limits(why, whylen)) != CS_OK)
		return r;
	r = up_sandbox_landlock(ca_file, why, whylen);
	/* An old kernel still gets the rest; why says what is missing. */
	return r == CS_ERR_NOTFOUND ? CS_OK : r;
}
