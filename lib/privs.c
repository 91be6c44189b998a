/*
 * privs.c - sanitizing a set-id process, dropping privileges, NSS look-ups.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/stat.h>
#include <linux/close_range.h>

#include "privs.h"

extern char **environ;

/* keep_env - rebuild environ with only the named variables */
static cs_result
keep_env(const char *const *keep)
{
	char *saved[16] = { NULL };
	const char *names[16];
	size_t n = 0, i;
	const char *v;
	cs_result r = CS_OK;

	for (i = 0; keep != NULL && keep[i] != NULL && n < 16; i++) {
		if ((v = getenv(keep[i])) == NULL)
			continue;
		if ((saved[n] = strdup(v)) == NULL) {
			r = CS_ERR_NOMEM;
			break;
		}
		names[n++] = keep[i];
	}
	if (r == CS_OK && clearenv() != 0)
		r = CS_ERR_IO;
	for (i = 0; i < n; i++) {
		if (r == CS_OK && setenv(names[i], saved[i], 1) != 0)
			r = CS_ERR_NOMEM;
		free(saved[i]);
	}
	return r;
}

/* cs_sanitize_process - umask, fds 0-2, close the rest, clean environment */
cs_result
cs_sanitize_process(mode_t umask_value, const char *const *keep)
{
	int fd;

	umask(umask_value);
	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			return CS_ERR_IO;
	}
	if (close_range(3, ~0U, 0) < 0)
		return CS_ERR_IO;
	return keep_env(keep);
}

/* cs_drop_privileges - setgroups, setgid, setuid; verify root is gone */
cs_result
cs_drop_privileges(uid_t uid, gid_t gid, gid_t extra_gid)
{
	gid_t groups[2] = { gid, extra_gid };

	if (setgroups(extra_gid == (gid_t)-1 ? 1 : 2, groups) < 0 ||
	    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return CS_ERR_PERM;
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return CS_ERR_PERM;
	return CS_OK;
}

/* cs_lookup_user - uid and primary gid of a user name */
cs_result
cs_lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return CS_ERR_NOTFOUND;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return CS_OK;
}

/* cs_lookup_group - gid of a group name */
cs_result
cs_lookup_group(const char *name, gid_t *gid)
{
	struct group gr, *res;
	char buf[8192];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return CS_ERR_NOTFOUND;
	*gid = gr.gr_gid;
	return CS_OK;
}

/* cs_user_name - name of uid */
cs_result
cs_user_name(uid_t uid, char *out, size_t cap)
{
	struct passwd pw, *res;
	char buf[4096];
	size_t n;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return CS_ERR_NOTFOUND;
	n = strlen(pw.pw_name);
	if (n >= cap)
		return CS_ERR_TOOBIG;
	memcpy(out, pw.pw_name, n + 1);
	return CS_OK;
}

/* cs_confine_child - see privs.h */
cs_result
cs_confine_child(uint64_t cpu_seconds, uint64_t memory_bytes)
{
	struct rlimit cpu = { cpu_seconds, cpu_seconds };
	struct rlimit mem = { memory_bytes, memory_bytes };
	struct rlimit core = { 0, 0 };

	if (setrlimit(RLIMIT_CPU, &cpu) < 0 || setrlimit(RLIMIT_AS, &mem) < 0 ||
	    setrlimit(RLIMIT_CORE, &core) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return CS_ERR_IO;
	return CS_OK;
}
