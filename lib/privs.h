/*
 * privs.h - process hygiene for privileged programs.
 */
#ifndef CS_PRIVS_H
#define CS_PRIVS_H

#include <stdint.h>
#include <sys/types.h>
#include "result.h"

/* cs_sanitize_process - what a set-id program does first: umask, fds 0-2
 * open (on /dev/null when closed), every other fd closed, environment
 * emptied but for the names in keep (NULL-terminated, may be NULL) */
cs_result cs_sanitize_process(mode_t umask_value, const char *const *keep);

/* cs_drop_privileges - become user (and its primary group plus extra_gid
 * when not (gid_t)-1): setgroups, setgid, setuid, then check that root
 * cannot be regained. Fatal-grade failure returns CS_ERR_PERM. */
cs_result cs_drop_privileges(uid_t uid, gid_t gid, gid_t extra_gid);

/* cs_confine_child - in a freshly forked child about to exec a helper:
 * CPU and address-space limits, no core file, no_new_privs, and death
 * with the parent (so no helper outlives a killed daemon) */
cs_result cs_confine_child(uint64_t cpu_seconds, uint64_t memory_bytes);

/* cs_lookup_user - uid and primary gid of a user name */
cs_result cs_lookup_user(const char *name, uid_t *uid, gid_t *gid);

/* cs_lookup_group - gid of a group name */
cs_result cs_lookup_group(const char *name, gid_t *gid);

/* cs_user_name - name of uid into buf */
cs_result cs_user_name(uid_t uid, char *buf, size_t cap);

#endif
