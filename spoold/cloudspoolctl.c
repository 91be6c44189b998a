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
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ctl.h"
#include "daemon.h"
#include "keyring.h"
#include "log.h"
#include "privs.h"
#include "safefile.h"

#define CTL_SPOOL	0x1	/* runs as the daemon user on the open spool */
#define CTL_AUDIT	0x2	/* writes an "admin" line first, or refuses */
#define CTL_AUDIT_SOFT	0x4	/* writes one when it can (diagnostics) */

enum ctl_filter {
	CTL_ALL,		/* every entry */
	CTL_VISIBLE,		/* not starting with '.' (temporaries) */
	CTL_JOBS		/* visible and not a .state record */
};

struct ctl_cmd {
	const char *word;
	const char *sub;	/* second word, or NULL */
	int (*run)(struct ctl *, int, char **);
	unsigned flags;
};

static const enum cs_spool_dir ctl_states[] = {
	CS_DIR_INCOMING, CS_DIR_ACTIVE, CS_DIR_DEFERRED, CS_DIR_HOLD,
	CS_DIR_CORRUPT
};

/* ctl_usage - the one usage line */
static int
ctl_usage(void)
{
	fprintf(stderr, "usage: " CTL_NAME " [-c config] check-config | init | "
	    "status | jobs [--all] | audit verify | audit show [-n N] | "
	    "keys list | keys rotate | shred JOB\n");
	return EX_USAGE;
}

/* ctl_safe - printable-ASCII copy of an untrusted string for a terminal */
static const char *
ctl_safe(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < cap; i++)
		out[i] = in[i] > 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
	return out;
}

/* ctl_time - UTC ISO 8601 of a unix time */
static const char *
ctl_time(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "@%" PRId64, t);
	return buf;
}

/* ctl_keep - whether a folder entry passes a filter */
static int
ctl_keep(const char *name, enum ctl_filter f)
{
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	if (f == CTL_ALL)
		return 1;
	if (name[0] == '.')
		return 0;
	return f == CTL_VISIBLE || !jobstate_is_record(name);
}

/* ctl_names_free - free a list from ctl_names */
static void
ctl_names_free(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* ctl_cmp - qsort order of names; job ids start with their time */
static int
ctl_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ctl_names - the sorted names in a folder that pass a filter */
static cs_result
ctl_names(int dirfd, enum ctl_filter f, char ***out, size_t *n)
{
	char **names = NULL, **grown;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	*out = NULL;
	*n = 0;
	if ((fd = dup(dirfd)) < 0)
		return cs_errno_result(errno);
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return cs_errno_result(errno);
	}
	rewinddir(d);	/* the dup shares its offset with the spool's fd */
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!ctl_keep(de->d_name, f))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			if ((grown = realloc(names, cap * sizeof(*names))) == NULL)
				break;
			names = grown;
		}
		if ((names[*n] = strdup(de->d_name)) == NULL)
			break;
		(*n)++;
	}
	if (de != NULL || errno != 0) {
		ctl_names_free(names, *n);
		*n = 0;
		(void)closedir(d);
		return de != NULL ? CS_ERR_NOMEM : CS_ERR_IO;
	}
	(void)closedir(d);
	if (*n > 0)
		qsort(names, *n, sizeof(*names), ctl_cmp);
	*out = names;
	return CS_OK;
}

/* ctl_filter_of - what counts as a job in each state folder */
static enum ctl_filter
ctl_filter_of(enum cs_spool_dir d)
{
	if (d == CS_DIR_CORRUPT)
		return CTL_ALL;
	return d == CS_DIR_INCOMING ? CTL_VISIBLE : CTL_JOBS;
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
		cs_log(LOG_ERR, "cannot drop privileges to %.64s: %s",
		    c->cfg.daemon_user, strerror(errno));
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
		cs_log(LOG_ERR, "init: child killed by signal %d", WTERMSIG(st));
		return EX_SOFTWARE;
	}
	if (WEXITSTATUS(st) != 0)
		return WEXITSTATUS(st);
	printf("%s\n", c->cfg.spool_dir);
	return EX_OK;
}

/* ctl_status_keys - key epoch lines, the published epoch */
static void
ctl_status_keys(const struct ctl *c)
{
	struct cs_epoch_info ep[CS_KEYRING_MAX];
	uint8_t pk[CS_X25519_LEN];
	uint64_t pub;
	size_t n, i;
	char t[40];
	cs_result r;

	if ((r = cs_keyring_list(c->sp.dir[CS_DIR_KEYS], ep, CS_KEYRING_MAX,
	    &n)) != CS_OK)
		printf("keys: %s\n", cs_strerror(r));
	else if (n == 0)
		printf("keys: none\n");
	for (i = 0; r == CS_OK && i < n; i++)
		printf("key epoch %" PRIu64 ": created %s\n", ep[i].epoch,
		    ctl_time(ep[i].created, t, sizeof(t)));
	if ((r = cs_keyring_public(c->sp.dir[CS_DIR_PUBLIC], &pub, pk)) ==
	    CS_OK)
		printf("public: epoch %" PRIu64 "\n", pub);
	else
		printf("public: none (%s)\n", cs_strerror(r));
}

/* ctl_status - "status" */
static int
ctl_status(struct ctl *c, int argc, char **argv)
{
	char **names;
	size_t i, n;
	uint64_t lines;
	cs_result r;

	(void)argv;
	if (argc != 0)
		return ctl_usage();
	printf("spool: %s\n", c->cfg.spool_dir);
	for (i = 0; i < sizeof(ctl_states) / sizeof(ctl_states[0]); i++) {
		enum cs_spool_dir d = ctl_states[i];

		r = ctl_names(c->sp.dir[d], ctl_filter_of(d), &names, &n);
		if (r != CS_OK) {
			printf("%s: %s\n", cs_spool_dir_name(d), cs_strerror(r));
			continue;
		}
		printf("%s: %zu\n", cs_spool_dir_name(d), n);
		ctl_names_free(names, n);
	}
	ctl_status_keys(c);
	if ((r = ctl_audit_lines(c, &lines)) == CS_OK)
		printf("audit: %" PRIu64 " lines\n", lines);
	else
		printf("audit: %s\n", cs_strerror(r));
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/* ctl_jobs_line - one job's line from its record */
static void
ctl_jobs_line(int dirfd, const char *id, const char *state)
{
	struct cs_jobstate js;
	char sid[CS_NAME_MAX + 1], user[CS_USER_MAX], act[sizeof(js.action)];
	char t[40];
	cs_result r;

	ctl_safe(id, sid, sizeof(sid));
	if ((r = jobstate_load(dirfd, id, &js)) != CS_OK) {
		printf("%-27s %-8s (no record: %s)\n", sid, state,
		    cs_strerror(r));
		return;
	}
	if (cs_user_name(js.uid, user, sizeof(user)) != CS_OK)
		snprintf(user, sizeof(user), "%" PRIu32, js.uid);
	printf("%-27s %-8s %-12s %-16s %8" PRIu32 " %s\n", sid, state,
	    ctl_safe(user, user, sizeof(user)),
	    ctl_safe(js.action, act, sizeof(act)), js.attempts,
	    ctl_time(js.deadline, t, sizeof(t)));
}

/* ctl_jobs_folder - the lines of one state folder */
static int
ctl_jobs_folder(const struct ctl *c, enum cs_spool_dir d)
{
	const char *state = cs_spool_dir_name(d);
	char **names, sid[CS_NAME_MAX + 1];
	size_t i, n;
	cs_result r;

	if ((r = ctl_names(c->sp.dir[d], ctl_filter_of(d), &names, &n)) !=
	    CS_OK) {
		cs_log(LOG_ERR, "%s/: %s", state, cs_strerror(r));
		return ctl_exit_code(r);
	}
	for (i = 0; i < n; i++) {
		if (d == CS_DIR_INCOMING || d == CS_DIR_CORRUPT)
			printf("%-27s %s\n", ctl_safe(names[i], sid,
			    sizeof(sid)), state);
		else
			ctl_jobs_line(c->sp.dir[d], names[i], state);
	}
	ctl_names_free(names, n);
	return EX_OK;
}

/* ctl_jobs - "jobs [--all]" */
static int
ctl_jobs(struct ctl *c, int argc, char **argv)
{
	size_t i;
	int all = 0, st, worst = EX_OK;

	if (argc == 1 && strcmp(argv[0], "--all") == 0)
		all = 1;
	else if (argc != 0)
		return ctl_usage();
	printf("%-27s %-8s %-12s %-16s %8s %s\n", "ID", "STATE", "USER",
	    "ACTION", "ATTEMPTS", "DEADLINE");
	for (i = 0; i < sizeof(ctl_states) / sizeof(ctl_states[0]); i++) {
		if (!all && (ctl_states[i] == CS_DIR_INCOMING ||
		    ctl_states[i] == CS_DIR_CORRUPT))
			continue;
		if ((st = ctl_jobs_folder(c, ctl_states[i])) != EX_OK)
			worst = st;
	}
	if (fflush(stdout) != 0)
		return EX_IOERR;
	return worst;
}

/* ctl_keys_list - "keys list" */
static int
ctl_keys_list(struct ctl *c, int argc, char **argv)
{
	struct cs_epoch_info ep[CS_KEYRING_MAX];
	uint8_t pk[CS_X25519_LEN];
	uint64_t pub;
	size_t n, i;
	char t[40];
	cs_result r;
	int have_pub;

	(void)argv;
	if (argc != 0)
		return ctl_usage();
	if ((r = cs_keyring_list(c->sp.dir[CS_DIR_KEYS], ep, CS_KEYRING_MAX,
	    &n)) != CS_OK) {
		cs_log(LOG_ERR, "keys/: %s", cs_strerror(r));
		return ctl_exit_code(r);
	}
	have_pub = cs_keyring_public(c->sp.dir[CS_DIR_PUBLIC], &pub, pk) ==
	    CS_OK;
	if (n == 0)
		printf("no key epochs\n");
	for (i = 0; i < n; i++)
		printf("epoch %" PRIu64 "  created %s%s\n", ep[i].epoch,
		    ctl_time(ep[i].created, t, sizeof(t)),
		    have_pub && pub == ep[i].epoch ? "  (current)" : "");
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/* ctl_keys_newest - the highest epoch in keys/ or public/ (0 when none):
 * the next one must be above both, or it would replace a key in use */
static cs_result
ctl_keys_newest(const struct ctl *c, uint64_t *newest)
{
	struct cs_epoch_info ep[CS_KEYRING_MAX];
	uint8_t pk[CS_X25519_LEN];
	uint64_t pub;
	size_t n;
	cs_result r;

	*newest = 0;
	if ((r = cs_keyring_list(c->sp.dir[CS_DIR_KEYS], ep, CS_KEYRING_MAX,
	    &n)) != CS_OK)
		return r;
	if (n > 0)
		*newest = ep[n - 1].epoch;
	r = cs_keyring_public(c->sp.dir[CS_DIR_PUBLIC], &pub, pk);
	if (r == CS_OK && pub > *newest)
		*newest = pub;
	else if (r != CS_OK && r != CS_ERR_NOTFOUND)
		return r;
	return *newest == UINT64_MAX ? CS_ERR_TOOBIG : CS_OK;
}

/* ctl_keys_rotate - "keys rotate": a new epoch, published at once */
static int
ctl_keys_rotate(struct ctl *c, int argc, char **argv)
{
	uint64_t epoch;
	cs_result r;
	int lockfd, st;

	(void)argv;
	if (argc != 0)
		return ctl_usage();
	if ((r = cs_spool_lock(&c->sp, &lockfd)) != CS_OK) {
		cs_log(LOG_ERR, "spool lock: %s", cs_strerror(r));
		return ctl_exit_code(r);
	}
	if ((r = ctl_keys_newest(c, &epoch)) == CS_OK)
		r = cs_keyring_create(c->sp.dir[CS_DIR_KEYS],
		    c->sp.dir[CS_DIR_PUBLIC], ++epoch, (int64_t)time(NULL));
	if (r != CS_OK) {
		cs_spool_unlock(lockfd);
		cs_log(LOG_ERR, "keys rotate: %s", cs_strerror(r));
		return ctl_exit_code(r);
	}
	/* logged under the lock, so the trail's order is the spool's */
	st = ctl_audit_event(c, "key_created", json_pack("{s:I, s:s}",
	    "epoch", (json_int_t)epoch, "by", CTL_NAME));
	cs_spool_unlock(lockfd);
	printf("key epoch %" PRIu64 " created\n", epoch);
	return st;
}

/* ctl_find_job - the state folder holding id's file or record, or -1 */
static int
ctl_find_job(const struct ctl *c, const char *id, cs_result *r)
{
	char rec[CS_JOB_ID_MAX + 8];
	struct stat st;
	size_t i;
	int fd;

	*r = CS_OK;
	snprintf(rec, sizeof(rec), "%s.state", id);
	for (i = 0; i < sizeof(ctl_states) / sizeof(ctl_states[0]); i++) {
		fd = c->sp.dir[ctl_states[i]];
		/* a crash between shred and record removal leaves a record */
		if (fstatat(fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
		    fstatat(fd, rec, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return (int)i;
		if (errno != ENOENT) {
			*r = cs_errno_result(errno);
			return -1;
		}
	}
	return -1;
}

/* ctl_shred - "shred JOB" */
static int
ctl_shred(struct ctl *c, int argc, char **argv)
{
	enum cs_spool_dir d;
	cs_result r;
	int lockfd, i, st;

	if (argc != 1)
		return ctl_usage();
	if (!cs_job_id_valid(argv[0])) {
		cs_log(LOG_ERR, "not a job id");
		return EX_USAGE;
	}
	if ((r = cs_spool_lock(&c->sp, &lockfd)) != CS_OK) {
		cs_log(LOG_ERR, "spool lock: %s", cs_strerror(r));
		return ctl_exit_code(r);
	}
	if ((i = ctl_find_job(c, argv[0], &r)) < 0) {
		cs_spool_unlock(lockfd);
		if (r != CS_OK) {
			cs_log(LOG_ERR, "shred: %s", cs_strerror(r));
			return ctl_exit_code(r);
		}
		cs_log(LOG_ERR, "no job %s", argv[0]);
		return 1;
	}
	d = ctl_states[i];
	r = cs_shred(c->sp.dir[d], argv[0]);
	if (r == CS_OK || r == CS_ERR_NOTFOUND)
		r = jobstate_remove(c->sp.dir[d], argv[0]);
	if (r != CS_OK) {
		cs_spool_unlock(lockfd);
		cs_log(LOG_ERR, "shred %s: %s", argv[0], cs_strerror(r));
		return ctl_exit_code(r);
	}
	st = ctl_audit_event(c, "shredded", json_pack("{s:s, s:s, s:s}",
	    "job", argv[0], "reason", "admin request", "from",
	    cs_spool_dir_name(d)));
	cs_spool_unlock(lockfd);
	printf("shredded %s\n", argv[0]);
	return st;
}

static const struct ctl_cmd ctl_cmds[] = {
	{ "check-config", NULL, ctl_check_config, 0 },
	{ "init", NULL, ctl_init, 0 },
	{ "status", NULL, ctl_status, CTL_SPOOL | CTL_AUDIT_SOFT },
	{ "jobs", NULL, ctl_jobs, CTL_SPOOL | CTL_AUDIT },
	{ "audit", "verify", ctl_audit_verify, CTL_SPOOL },
	{ "audit", "show", ctl_audit_show, CTL_SPOOL },
	{ "keys", "list", ctl_keys_list, CTL_SPOOL | CTL_AUDIT },
	{ "keys", "rotate", ctl_keys_rotate, CTL_SPOOL | CTL_AUDIT },
	{ "shred", NULL, ctl_shred, CTL_SPOOL | CTL_AUDIT },
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
