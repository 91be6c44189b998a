/*
 * agent.h - the delivery agent: the one part of cloudspoold that keeps root.
 *
 * Like Postfix's local(8), delivering into a user's own folder needs that
 * user's identity. cloudspoold forks the agent before it drops to the
 * cloudspool user; the agent holds no spool key, reads no spool file, and
 * serves three requests over a SOCK_SEQPACKET socket. For each it forks a
 * child that resolves the destination folder (creating the user's part of
 * the path owned by the user), then becomes the user for the file work.
 * It takes the destination's path from its own copy of the configuration,
 * never from the request, and refuses uid 0.
 */
#ifndef CS_AGENT_H
#define CS_AGENT_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "jobmeta.h"
#include "result.h"

enum agent_op {
	AGENT_STAGE = 1,	/* write the data fd to a hidden part file */
	AGENT_COMMIT,		/* link the part file to a free name, unlink it */
	AGENT_ABORT		/* remove any part file */
};

struct agent_req {
	uint32_t op;
	uint32_t uid;
	char dest[65];
	char job[CS_JOB_ID_MAX];
	char name[CS_NAME_MAX + 1];
	uint64_t ino;		/* COMMIT: the staged file's inode, 0 if unknown */
};

struct agent_rep {
	int32_t result;		/* cs_result */
	int32_t permanent;	/* retrying cannot help */
	int32_t earlier;	/* COMMIT: it had been committed before */
	uint64_t ino;		/* STAGE: the staged file's inode */
	char detail[512];	/* delivered path, or why not */
};

/* agent_start - fork the agent; *fd is the daemon's end of the socket */
cs_result agent_start(const struct cs_config *cfg, int *fd, pid_t *pid);

/* agent_call - one request (data_fd is sent with AGENT_STAGE, else -1) */
cs_result agent_call(int fd, const struct agent_req *req, int data_fd,
    struct agent_rep *rep);

/* localdir_resolve - open the destination folder for uid, creating the
 * user's components (owned by the user when we are root) without following
 * symlinks; path receives the folder's path */
cs_result localdir_resolve(const struct cs_destination *d, uid_t uid,
    gid_t gid, const char *user, int *dirfd, char *path, size_t pathcap,
    char *why, size_t whylen);

/* localdir_stage - copy data_fd into ".cloudspool-<job>.part"; *ino
 * receives its inode, so a resumed commit can name the delivered file */
cs_result localdir_stage(int dirfd, const char *job, int data_fd, mode_t mode,
    uint64_t *ino, char *why, size_t whylen);

/* what localdir_commit names when it cannot find the file it committed */
#define CS_LOCALDIR_EARLIER "(committed before a restart)"

/* localdir_commit - give the part file a free name (never replacing one)
 * and remove the part name; safe to repeat after a crash at any point */
cs_result localdir_commit(int dirfd, const char *job, const char *name,
    uint64_t ino, char *final, size_t finalcap, int *earlier);

/* localdir_abort - remove the part file */
cs_result localdir_abort(int dirfd, const char *job);

#endif
