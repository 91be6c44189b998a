/*
 * NAME
 *	cloudspoolctl - administer the cloudspool spool
 *
 * SYNOPSIS
 *	cloudspoolctl [-c config] command [arguments]
 *
 * DESCRIPTION
 *	The administrator's view of the spool that cloudspoold runs. The
 *	configuration is read from config (default
 *	/etc/cloudspool/cloudspool.conf). Commands:
 *
 *	check-config	load the configuration; print "FILE: ok (N
 *			destinations, M actions)" or the loader's FILE:LINE
 *			error.
 *	init		(root) create the spool directory if missing (its
 *			parent must exist), give it to the daemon user and
 *			the drop group, then, as the daemon user, create or
 *			repair every folder and the audit key. Idempotent.
 *			Prints the spool path.
 *	status		job count of each state folder, key epochs, the
 *			published epoch and the audit trail's length.
 *	jobs [--all]	one line per job in active/, deferred/ and hold/:
 *			id, state, user, action, attempts, deadline (UTC);
 *			--all adds incoming/ and corrupt/. Reads the
 *			scheduling records only, never a job's content.
 *	audit verify	check the audit trail's MAC chain and head record.
 *	audit show [-n N]  print the last N (default all) audit lines.
 *	keys list	key epochs and when each was made; "(current)"
 *			marks the one the drop helper seals to.
 *	keys rotate	make and publish a new epoch now.
 *	shred JOB	crypto-shred one job wherever it is: overwrite and
 *			unlink its file, remove its record.
 *	revoke USER DESTINATION
 *			end a user's consent: revoke the refresh token at
 *			the provider, shred the vault record.
 *	vault-wrap --pkcs11-url URL [--pin-file F] [--keep-key-file]
 *			wrap the token vault's secret (keys/vault.key) under
 *			the PKCS#11 private key URL into keys/vault.wrapped,
 *			check it unwraps, then shred keys/vault.key (unless
 *			--keep-key-file). URL and F default to pkcs11_url
 *			and pkcs11_pin_file of [authorization]. Refuses when
 *			keys/vault.wrapped exists.
 *	cups-queue add NAME ACTION | remove NAME | list
 *			CUPS queues feeding the cloudspool backend
 *			(doc/PRINTING.md); honours CUPS_SERVER.
 *
 * SECURITY
 *	Run as root or as the daemon user. As root, everything but
 *	check-config and the first half of init runs after dropping to the
 *	daemon user (its primary group plus the drop group), so whatever
 *	it creates in the spool (audit lines, keys, the lock) belongs to
 *	the daemon. The tool must not be installed set-id: -c names any
 *	file and the caller would be trusted with it.
 *
 *	Every command that opens the spool writes an "admin" audit line
 *	naming the command and the real caller before it runs; "audit
 *	verify" and "audit show" do not (see ctl_audit.c). keys rotate and
 *	shred also write "key_created" and "shredded". Changes hold the
 *	spool lock, so they never interleave with a daemon pass.
 *
 *	Names found in the spool are printed with every byte outside
 *	printable ASCII shown as '?', so a hostile name cannot drive the
 *	admin's terminal.
 *
 * DIAGNOSTICS
 *	Errors are one line on stderr, "cloudspoolctl: ..."; check-config
 *	prints the loader's line as is. Exit status (sysexits.h): 0 done;
 *	64 usage; 67 daemon user or drop group unknown; 77 wrong caller;
 *	78 configuration error; 66, 65, 74, 70, 71 for spool, data, I/O,
 *	internal and system failures. "audit verify" exits 1 when the
 *	trail is damaged or its key is missing and prints its finding on
 *	stdout; "shred" exits 1 when there is no such job.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ctl.h"
#include "ctl_cups.h"
#include "log.h"
#include "privs.h"

#define CTL_SPOOL	0x1	/* runs as the daemon user on the spool */
#define CTL_AUDIT	0x2	/* writes an "admin" line first, or fails */
#define CTL_AUDIT_SOFT	0x4	/* writes one if it can (status) */

struct ctl_cmd {
	const char *word;
	const char *sub;	/* second word, or NULL */
	int (*run)(struct ctl *, int, char **);
	unsigned flags;
};

/* ctl_usage - the one usage line */
int
ctl_usage(void)
{
	fprintf(stderr, "usage: " CTL_NAME " [-c config] check-config | init | "
	    "status | jobs [--all] | audit verify | audit show [-n N] | "
	    "keys list | keys rotate | shred JOB | revoke USER DESTINATION | "
	    "vault-wrap --pkcs11-url URL [--pin-file F] [--keep-key-file] | "
	    "cups-queue add NAME ACTION | cups-queue remove NAME | "
	    "cups-queue list\n");
	return EX_USAGE;
}

/* ctl_check_config - the configuration loaded: say so */
static int
ctl_check_config(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return ctl_usage();
	printf("%s: ok (%zu destinations, %zu actions)\n", c->cfg.path,
	    c->cfg.ndestinations, c->cfg.nactions);
	return EX_OK;
}

/* ctl_ids - the daemon user's uid and gid, and the drop group */
static int
ctl_ids(const struct ctl *c, uid_t *uid, gid_t *gid, gid_t *drop)
{
	if (cs_lookup_user(c->cfg.daemon_user, uid, gid) != CS_OK) {
		cs_log(LOG_ERR, "no such user: %.64s", c->cfg.daemon_user);
		return EX_NOUSER;
	}
	if (drop != NULL && cs_lookup_group(c->cfg.drop_group, drop) != CS_OK) {
		cs_log(LOG_ERR, "no such group: %.64s", c->cfg.drop_group);
		return EX_NOUSER;
	}
	return EX_OK;
}

/* ctl_become_daemon - as root, drop to the daemon user; otherwise be it */
static int
ctl_become_daemon(const struct ctl *c)
{
	uid_t uid;
	gid_t gid, drop;
	int st;

	if (geteuid() != 0) {
		if ((st = ctl_ids(c, &uid, &gid, NULL)) != EX_OK)
			return st;
		if (getuid() == uid && geteuid() == uid)
			return EX_OK;
		cs_log(LOG_ERR, "must be run as root or as %.64s",
		    c->cfg.daemon_user);
		return EX_NOPERM;
	}
	if ((st = ctl_ids(c, &uid, &gid, &drop)) != EX_OK)
		return st;
	if (cs_drop_privileges(uid, gid, drop) != CS_OK) {
		cs_log(LOG_ERR, "cannot drop privileges to %.64s",
		    c->cfg.daemon_user);
		return EX_OSERR;
	}
	return EX_OK;
}

/* ctl_init_root - as root: the spool directory exists, is not a symlink,
 * and belongs to the daemon user and the drop group */
static int
ctl_init_root(const char *path, uid_t uid, gid_t drop)
{
	int fd;

	if (mkdir(path, 0710) < 0 && errno != EEXIST) {
		cs_log(LOG_ERR, "%s: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	/* chown through the fd: the name could be swapped after the check */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		cs_log(LOG_ERR, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		return EX_CANTCREAT;
	}
	if (fchown(fd, uid, drop) < 0 || fchmod(fd, 0710) < 0) {
		cs_log(LOG_ERR, "%s: %s", path, strerror(errno));
		(void)close(fd);
		return EX_OSERR;
	}
	(void)close(fd);
	return EX_OK;
}

/* ctl_init_child - as the daemon user: folders, audit key, audit line */
static int
ctl_init_child(struct ctl *c, uid_t uid, gid_t gid, gid_t drop)
{
	char err[512];
	cs_result r;

	if (cs_drop_privileges(uid, gid, drop) != CS_OK) {
		cs_log(LOG_ERR, "cannot drop privileges to %.64s",
		    c->cfg.daemon_user);
		return EX_OSERR;
	}
	r = cs_spool_init(c->cfg.spool_dir, drop, err, sizeof(err));
	if (r == CS_OK)
		r = cs_spool_open(&c->sp, c->cfg.spool_dir, err, sizeof(err));
	/* the key is made here so it belongs to the daemon user from the
	 * start; a deleted key is then an event, never silently replaced */
	if (r == CS_OK)
		r = cs_audit_open(&c->audit, c->sp.root, 1, err, sizeof(err));
	if (r != CS_OK) {
		cs_log(LOG_ERR, "%s", err);
		return ctl_exit_code(r);
	}
	c->audit_ok = 1;
	return ctl_audit_admin(c);
}

/* ctl_init - "init": root prepares the directory, a child the rest */
static int
ctl_init(struct ctl *c, int argc, char **argv)
{
	uid_t uid;
	gid_t gid, drop;
	pid_t pid;
	int st;

	(void)argv;
	if (argc != 0)
		return ctl_usage();
	if (geteuid() != 0) {
		cs_log(LOG_ERR, "init must be run as root");
		return EX_NOPERM;
	}
	if ((st = ctl_ids(c, &uid, &gid, &drop)) != EX_OK ||
	    (st = ctl_init_root(c->cfg.spool_dir, uid, drop)) != EX_OK)
		return st;
	(void)fflush(NULL);
	if ((pid = fork()) < 0) {
		cs_log(LOG_ERR, "fork: %s", strerror(errno));
		return EX_OSERR;
	}
	if (pid == 0) {
		st = ctl_init_child(c, uid, gid, drop);
		cs_audit_close(&c->audit);
		_exit(st);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			cs_log(LOG_ERR, "waitpid: %s", strerror(errno));
			return EX_OSERR;
		}
	}
	if (!WIFEXITED(st)) {
		cs_log(LOG_ERR, "init: child killed by signal %d",
		    WTERMSIG(st));
		return EX_SOFTWARE;
	}
	if (WEXITSTATUS(st) != 0)
		return WEXITSTATUS(st);
	printf("%s\n", c->cfg.spool_dir);
	return EX_OK;
}

static const struct ctl_cmd ctl_cmds[] = {
	{ "check-config", NULL, ctl_check_config, 0 },
	{ "init", NULL, ctl_init, 0 },
	{ "status", NULL, ctl_spool_status, CTL_SPOOL | CTL_AUDIT_SOFT },
	{ "jobs", NULL, ctl_spool_jobs, CTL_SPOOL | CTL_AUDIT },
	{ "audit", "verify", ctl_audit_verify, CTL_SPOOL },
	{ "audit", "show", ctl_audit_show, CTL_SPOOL },
	{ "keys", "list", ctl_spool_keys_list, CTL_SPOOL | CTL_AUDIT },
	{ "keys", "rotate", ctl_spool_keys_rotate, CTL_SPOOL | CTL_AUDIT },
	{ "shred", NULL, ctl_spool_shred, CTL_SPOOL | CTL_AUDIT },
	{ "revoke", NULL, ctl_revoke, CTL_SPOOL | CTL_AUDIT },
	{ "vault-wrap", NULL, ctl_vault_wrap, CTL_SPOOL | CTL_AUDIT },
	{ "cups-queue", NULL, ctl_cups_queue, 0 },
};

/* ctl_find - the command named by the first one or two words */
static const struct ctl_cmd *
ctl_find(int argc, char **argv)
{
	size_t i;

	for (i = 0; argc > 0 && i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);
	    i++) {
		if (strcmp(argv[0], ctl_cmds[i].word) != 0)
			continue;
		if (ctl_cmds[i].sub == NULL ||
		    (argc > 1 && strcmp(argv[1], ctl_cmds[i].sub) == 0))
			return &ctl_cmds[i];
	}
	return NULL;
}

/* ctl_words - the command line, space-joined and cut to fit, for the
 * trail (cs_audit_str makes it safe) */
static void
ctl_words(int argc, char **argv, char *buf, size_t cap)
{
	size_t o = 0, n;
	int i;

	buf[0] = '\0';
	for (i = 0; i < argc && o + 1 < cap; i++) {
		if (i > 0)
			buf[o++] = ' ';
		n = strlen(argv[i]);
		if (n > cap - 1 - o)
			n = cap - 1 - o;
		memcpy(buf + o, argv[i], n);
		o += n;
		buf[o] = '\0';
	}
}

/* ctl_prepare - load the configuration; become the daemon user and open
 * the spool and the trail when the command needs them */
static int
ctl_prepare(struct ctl *c, const struct ctl_cmd *cmd, const char *path)
{
	char err[512];
	cs_result r;
	int st;

	if (cs_config_load(path, &c->cfg, err, sizeof(err)) != CS_OK) {
		if (cmd->run == ctl_check_config)
			fprintf(stderr, "%s\n", err);
		else
			cs_log(LOG_ERR, "%s", err);
		return EX_CONFIG;
	}
	if (!(cmd->flags & CTL_SPOOL))
		return EX_OK;
	if ((st = ctl_become_daemon(c)) != EX_OK)
		return st;
	if ((r = cs_spool_open(&c->sp, c->cfg.spool_dir, err, sizeof(err))) !=
	    CS_OK) {
		cs_log(LOG_ERR, "%s", err);
		return ctl_exit_code(r);
	}
	st = EX_OK;
	if (cmd->flags & (CTL_AUDIT | CTL_AUDIT_SOFT))
		st = ctl_audit_admin(c);
	/* status must work on a spool whose trail is broken: it is how the
	 * admin finds out (the error is already on stderr) */
	return (cmd->flags & CTL_AUDIT_SOFT) ? EX_OK : st;
}

/* main - parse, prepare, dispatch, clean up */
int
main(int argc, char **argv)
{
	const char *path = CS_CONFIG_DEFAULT_PATH;
	const struct ctl_cmd *cmd;
	struct ctl c;
	int ch, st, i;

	/* public/current must stay readable by the drop group */
	umask(027);
	cs_log_init(CTL_NAME, 0, 1);
	if (getuid() != geteuid() || getgid() != getegid()) {
		cs_log(LOG_ERR, "must not be installed set-id");
		return EX_NOPERM;
	}
	opterr = 0;	/* the usage line says it all: one line of error */
	while ((ch = getopt(argc, argv, "+c:")) != -1) {
		if (ch != 'c')
			return ctl_usage();
		path = optarg;
	}
	argc -= optind;
	argv += optind;
	if ((cmd = ctl_find(argc, argv)) == NULL)
		return ctl_usage();
	memset(&c, 0, sizeof(c));
	c.sp.root = -1;
	for (i = 0; i < CS_DIR__COUNT; i++)
		c.sp.dir[i] = -1;
	c.audit.audit_dirfd = -1;
	ctl_words(argc, argv, c.command, sizeof(c.command));
	if (cs_user_name(getuid(), c.admin, sizeof(c.admin)) != CS_OK)
		snprintf(c.admin, sizeof(c.admin), "uid %ju",
		    (uintmax_t)getuid());
	i = cmd->sub != NULL ? 2 : 1;
	if ((st = ctl_prepare(&c, cmd, path)) == EX_OK)
		st = cmd->run(&c, argc - i, argv + i);
	if (c.audit_ok)
		cs_audit_close(&c.audit);
	cs_spool_close(&c.sp);
	cs_config_free(&c.cfg);
	if (fflush(stdout) != 0 && st == EX_OK)
		st = EX_IOERR;
	return st;
}

