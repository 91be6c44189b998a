/*
 * agent.c - the privileged delivery agent and the daemon's side of it.
 *
 * The agent serves one request at a time: a child per request resolves the
 * folder as root, then drops to the user for every file operation, and
 * sends the reply itself. See agent.h for why this process exists.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "agent.h"
#include "log.h"
#include "privs.h"

/* agent_reply - send a reply on the socket */
static void
agent_reply_full(int sock, cs_result r, int permanent, const char *detail,
    int earlier, uint64_t ino)
{
	struct agent_rep rep;

	memset(&rep, 0, sizeof(rep));
	rep.earlier = earlier;
	rep.ino = ino;
	rep.result = r;
	rep.permanent = permanent;
	snprintf(rep.detail, sizeof(rep.detail), "%s", detail);
	(void)send(sock, &rep, sizeof(rep), MSG_NOSIGNAL);
}

/* agent_reply - a reply with no COMMIT or STAGE details */
static void
agent_reply(int sock, cs_result r, int permanent, const char *detail)
{
	agent_reply_full(sock, r, permanent, detail, 0, 0);
}

/* agent_do - the per-request child: resolve, become the user, act */
static void __attribute__((noreturn))
agent_do(const struct cs_config *cfg, int sock, const struct agent_req *req,
    int data_fd)
{
	const struct cs_destination *d = NULL;
	char user[CS_USER_MAX], path[4096], why[512], final[CS_NAME_MAX + 16];
	const char *mode_s;
	uint64_t ino = 0;
	int earlier;
	uid_t uid;
	gid_t gid;
	cs_result r;
	size_t i;
	int dirfd;

	for (i = 0; i < cfg->ndestinations; i++)
		if (strcmp(cfg->destinations[i].name, req->dest) == 0)
			d = &cfg->destinations[i];
	if (d == NULL || strcmp(d->provider, "localdir") != 0) {
		agent_reply(sock, CS_ERR_CONFIG, 1, "no such localdir destination");
		_exit(0);
	}
	if (req->uid == 0 || cs_user_name(req->uid, user, sizeof(user)) != CS_OK ||
	    cs_lookup_user(user, &uid, &gid) != CS_OK) {
		agent_reply(sock, CS_ERR_PERM, 1, "refusing to deliver for uid 0 "
		    "or an unknown uid");
		_exit(0);
	}
	why[0] = '\0';
	r = localdir_resolve(d, uid, gid, user, &dirfd, path, sizeof(path),
	    why, sizeof(why));
	if (r != CS_OK) {
		/* An unsafe folder may be an admin's mistake, fixed within
		 * the hour: retry until the job's deadline, do not shred. */
		agent_reply(sock, r, r == CS_ERR_CONFIG, why);
		_exit(0);
	}
	if (geteuid() == 0 && cs_drop_privileges(uid, gid, (gid_t)-1) != CS_OK) {
		agent_reply(sock, CS_ERR_PERM, 0, "cannot become the user");
		_exit(0);
	}
	mode_s = cs_destination_get(d, "mode");
	switch (req->op) {
	case AGENT_STAGE:
		r = localdir_stage(dirfd, req->job, data_fd,
		    mode_s != NULL ? (mode_t)strtoul(mode_s, NULL, 8) : 0600,
		    &ino, why, sizeof(why));
		agent_reply_full(sock, r, 0, r == CS_OK ? path : why, 0, ino);
		break;
	case AGENT_COMMIT:
		r = localdir_commit(dirfd, req->job, req->name, req->ino, final,
		    sizeof(final), &earlier);
		if (strcmp(final, CS_LOCALDIR_EARLIER) == 0)
			snprintf(why, sizeof(why), "%s", final);
		else
			snprintf(why, sizeof(why), "%.280s/%.200s", path, final);
		agent_reply_full(sock, r, 0, r == CS_OK ? why : cs_strerror(r),
		    earlier, 0);
		break;
	case AGENT_ABORT:
		r = localdir_abort(dirfd, req->job);
		agent_reply(sock, r, 0, cs_strerror(r));
		break;
	default:
		agent_reply(sock, CS_ERR_INVAL, 1, "unknown request");
	}
	_exit(0);
}

/* agent_recv - one request and its optional fd */
static ssize_t
agent_recv(int sock, struct agent_req *req, int *data_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { req, sizeof(*req) };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	*data_fd = -1;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(data_fd, CMSG_DATA(c), sizeof(int));
	return n;
}

/* agent_serve - the agent's loop; ends when the daemon closes the socket */
static void __attribute__((noreturn))
agent_serve(const struct cs_config *cfg, int sock)
{
	struct agent_req req;
	pid_t pid;
	ssize_t n;
	int data_fd, status;

	for (;;) {
		n = agent_recv(sock, &req, &data_fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		if ((size_t)n != sizeof(req) || memchr(req.dest, '\0',
		    sizeof(req.dest)) == NULL || memchr(req.job, '\0',
		    sizeof(req.job)) == NULL || memchr(req.name, '\0',
		    sizeof(req.name)) == NULL || !cs_job_id_valid(req.job)) {
			agent_reply(sock, CS_ERR_INVAL, 1, "malformed request");
			if (data_fd >= 0)
				close(data_fd);
			continue;
		}
		if ((pid = fork()) < 0)
			agent_reply(sock, CS_ERR_TEMP, 0, "fork failed");
		else if (pid == 0)
			agent_do(cfg, sock, &req, data_fd);
		else {
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				agent_reply(sock, CS_ERR_CHILD, 0,
				    "delivery child failed");
		}
		if (data_fd >= 0)
			close(data_fd);
	}
}

/* agent_start - fork the agent with one end of a seqpacket socketpair */
cs_result
agent_start(const struct cs_config *cfg, int *fd, pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return CS_ERR_IO;
	if ((*pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return CS_ERR_IO;
	}
	if (*pid == 0) {
		close(sv[0]);
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_IGN);
		agent_serve(cfg, sv[1]);
	}
	close(sv[1]);
	*fd = sv[0];
	return CS_OK;
}

/* agent_call - send a request (with an fd for STAGE), wait for the reply */
cs_result
agent_call(int fd, const struct agent_req *req, int data_fd,
    struct agent_rep *rep)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)req, sizeof(*req) };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (data_fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &data_fd, sizeof(int));
	}
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) != (ssize_t)sizeof(*req))
		return CS_ERR_TEMP;
	do
		n = recv(fd, rep, sizeof(*rep), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*rep))
		return CS_ERR_TEMP;
	rep->detail[sizeof(rep->detail) - 1] = '\0';
	return CS_OK;
}
