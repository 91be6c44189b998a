/*
 * ctl_spool.c - the cloudspoolctl commands that look into the spool or
 * change it: status, jobs, keys list, keys rotate, shred.
 *
 * They run as the daemon user on the open spool (cloudspoolctl.c sees to
 * that). Reading stays away from job content: jobs are listed from their
 * scheduling records, keys from their headers. Changes take the spool lock
 * so they never interleave with a daemon pass, and are audited under it.
 * Every name found in the spool is printed through ctl_safe: a file name
 * is not trusted to be kind to the admin's terminal.
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

#include "ctl.h"
#include "daemon.h"
#include "keyring.h"
#include "log.h"
#include "privs.h"
#include "safefile.h"

enum ctl_filter {
	CTL_ALL,		/* every entry */
	CTL_VISIBLE,		/* not starting with '.' (temporaries) */
	CTL_JOBS		/* visible and not a .state record */
};

static const enum cs_spool_dir ctl_states[] = {
	CS_DIR_INCOMING, CS_DIR_ACTIVE, CS_DIR_DEFERRED, CS_DIR_HOLD,
	CS_DIR_CORRUPT
};

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
			grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL)
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

/* ctl_spool_status - "status" */
int
ctl_spool_status(struct ctl *c, int argc, char **argv)
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
			printf("%s: %s\n", cs_spool_dir_name(d),
			    cs_strerror(r));
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

/* ctl_spool_jobs - "jobs [--all]" */
int
ctl_spool_jobs(struct ctl *c, int argc, char **argv)
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

/* ctl_spool_keys_list - "keys list" */
int
ctl_spool_keys_list(struct ctl *c, int argc, char **argv)
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

/* ctl_spool_keys_rotate - "keys rotate": a new epoch, published at once */
int
ctl_spool_keys_rotate(struct ctl *c, int argc, char **argv)
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

/* ctl_shred_in - shred id's file and remove its record in one folder;
 * *found tells whether either was there. A crash between the two steps
 * (here or in the daemon) leaves a record alone: that is found too. */
static cs_result
ctl_shred_in(const struct ctl *c, enum cs_spool_dir d, const char *id,
    int *found)
{
	char rec[CS_JOB_ID_MAX + 8];
	struct stat st;
	int fd = c->sp.dir[d];
	cs_result r;

	snprintf(rec, sizeof(rec), "%s.state", id);
	*found = fstatat(fd, rec, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!*found && errno != ENOENT)
		return cs_errno_result(errno);
	r = cs_shred(fd, id);
	if (r == CS_OK)
		*found = 1;
	else if (r != CS_ERR_NOTFOUND)
		return r;
	return *found ? jobstate_remove(fd, id) : CS_OK;
}

/* ctl_spool_shred - "shred JOB": wherever it is; a job is in one folder,
 * but should a crash have left it in two, both copies go */
int
ctl_spool_shred(struct ctl *c, int argc, char **argv)
{
	enum cs_spool_dir d;
	cs_result r = CS_OK;
	size_t i;
	int lockfd, found, nfound = 0, st = EX_OK;

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
	for (i = 0; r == CS_OK && i < sizeof(ctl_states) /
	    sizeof(ctl_states[0]); i++) {
		d = ctl_states[i];
		if ((r = ctl_shred_in(c, d, argv[0], &found)) != CS_OK ||
		    !found)
			continue;
		nfound++;
		st = ctl_audit_event(c, "shredded", json_pack("{s:s, s:s, "
		    "s:s}", "job", argv[0], "reason", "admin request", "from",
		    cs_spool_dir_name(d)));
	}
	cs_spool_unlock(lockfd);
	if (r != CS_OK) {
		cs_log(LOG_ERR, "shred %s: %s", argv[0], cs_strerror(r));
		return ctl_exit_code(r);
	}
	if (nfound == 0) {
		cs_log(LOG_ERR, "no job %s", argv[0]);
		return 1;
	}
	printf("shredded %s\n", argv[0]);
	return st;
}
