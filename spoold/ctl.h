/*
 * ctl.h - what cloudspoolctl's files share: one context that holds the
 * configuration, the open spool and the audit trail, so nothing is global.
 *
 * cloudspoolctl.c parses the command line, drops privileges, runs
 * check-config and init and dispatches the rest; ctl_spool.c has the
 * commands that look into the spool (status, jobs, keys, shred);
 * ctl_audit.c writes cloudspoolctl's own audit lines and runs "audit
 * verify" and "audit show". A command returns its exit status.
 */
#ifndef CS_CTL_H
#define CS_CTL_H

#include <stdint.h>
#include <jansson.h>

#include "audit.h"
#include "config.h"
#include "jobmeta.h"
#include "spool.h"

#define CTL_NAME "cloudspoolctl"
#define CTL_COMMAND_MAX 128

struct ctl {
	struct cs_config cfg;
	struct cs_spool sp;
	struct cs_audit audit;
	int audit_ok;			/* audit is open */
	char admin[CS_USER_MAX];	/* the real caller, before any drop */
	char command[CTL_COMMAND_MAX];	/* the command words */
};

/* ctl_audit_open - open the trail without creating its key (only init and
 * the daemon make it, so a deleted key shows up instead of being replaced) */
int ctl_audit_open(struct ctl *c);

/* ctl_audit_admin - the "admin" line every auditable command writes first */
int ctl_audit_admin(struct ctl *c);

/* ctl_audit_event - one audit line; fields (consumed, may be NULL) get the
 * "admin" member added */
int ctl_audit_event(struct ctl *c, const char *event, json_t *fields);

/* ctl_audit_lines - how many lines audit/audit.log has (0 when absent) */
cs_result ctl_audit_lines(const struct ctl *c, uint64_t *n);

/* ctl_audit_verify - "audit verify": exit status 0 intact, 1 otherwise */
int ctl_audit_verify(struct ctl *c, int argc, char **argv);

/* ctl_audit_show - "audit show [-n N]": exit status */
int ctl_audit_show(struct ctl *c, int argc, char **argv);

/* ctl_exit_code - the sysexits.h status for a result */
int ctl_exit_code(cs_result r);

/* ctl_usage - print the usage line; EX_USAGE */
int ctl_usage(void);

/* ctl_revoke - "revoke USER DESTINATION" (ctl_revoke.c) */
int ctl_revoke(struct ctl *c, int argc, char **argv);

/* ctl_vault_wrap - "vault-wrap --pkcs11-url URL --pin-file F
 * [--keep-key-file]" (ctl_vault.c) */
int ctl_vault_wrap(struct ctl *c, int argc, char **argv);

/* ctl_spool_status - "status" */
int ctl_spool_status(struct ctl *c, int argc, char **argv);

/* ctl_spool_jobs - "jobs [--all]" */
int ctl_spool_jobs(struct ctl *c, int argc, char **argv);

/* ctl_spool_keys_list - "keys list" */
int ctl_spool_keys_list(struct ctl *c, int argc, char **argv);

/* ctl_spool_keys_rotate - "keys rotate" */
int ctl_spool_keys_rotate(struct ctl *c, int argc, char **argv);

/* ctl_spool_shred - "shred JOB" */
int ctl_spool_shred(struct ctl *c, int argc, char **argv);

#endif
