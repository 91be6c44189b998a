/*
 * status.c - publish each user's job list for `cloudspool jobs`.
 *
 * Users never read the spool: the drop helper (setgid cloudspool-drop)
 * shows a user status/<uid>.json, which holds ids, states, actions and
 * times only, never a file name or anything of the document.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "daemon.h"
#include "log.h"
#include "safefile.h"

/* status_add - append one job to its user's list */
static void
status_add(json_t *users, uint32_t uid, json_t *job)
{
	char key[16];
	json_t *list;

	snprintf(key, sizeof(key), "%u", (unsigned)uid);
	if ((list = json_object_get(users, key)) == NULL) {
		list = json_array();
		json_object_set_new(users, key, list);
	}
	json_array_append_new(list, job);
}

/* status_collect - jobs of one state folder, from their records */
static void
status_collect(struct cs_daemon *d, enum cs_spool_dir dir, json_t *users)
{
	struct cs_jobstate js;
	struct stat st;
	char **names;
	size_t n, i;

	if (dir_list(d->sp.dir[dir], &names, &n) != CS_OK)
		return;
	for (i = 0; i < n; i++) {
		if (!cs_job_id_valid(names[i]))
			continue;
		if (dir == CS_DIR_INCOMING) {
			if (fstatat(d->sp.dir[dir], names[i], &st,
			    AT_SYMLINK_NOFOLLOW) == 0)
				status_add(users, (uint32_t)st.st_uid, json_pack(
				    "{s:s, s:s}", "job", names[i], "state",
				    "incoming"));
			continue;
		}
		if (jobstate_load(d->sp.dir[dir], names[i], &js) != CS_OK)
			continue;
		status_add(users, js.uid, json_pack("{s:s, s:s, s:s, s:I, s:I, "
		    "s:I}", "job", names[i], "state", cs_spool_dir_name(dir),
		    "action", js.action, "attempts", (json_int_t)js.attempts,
		    "next_try", (json_int_t)js.next_try, "deadline",
		    (json_int_t)js.deadline));
	}
	dir_list_free(names, n);
}

/* status_write - one user's file, atomically */
static void
status_write(struct cs_daemon *d, const char *uid, json_t *jobs)
{
	char name[32];
	char *text;
	json_t *o;

	snprintf(name, sizeof(name), "%s.json", uid);
	o = json_pack("{s:s, s:I, s:O}", "uid", uid, "updated",
	    (json_int_t)d->now, "jobs", jobs);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL ||
	    cs_write_file_atomic(d->sp.dir[CS_DIR_STATUS], name, text,
	    strlen(text), 0640) != CS_OK)
		cs_log(LOG_ERR, "status: cannot write %s", name);
	free(text);
}

/* status_publish - rewrite every user's list; remove lists gone empty */
void
status_publish(struct cs_daemon *d)
{
	json_t *users = json_object(), *jobs;
	const char *uid;
	char **names, key[32];
	size_t n, i, len;

	status_collect(d, CS_DIR_INCOMING, users);
	status_collect(d, CS_DIR_ACTIVE, users);
	status_collect(d, CS_DIR_DEFERRED, users);
	status_collect(d, CS_DIR_HOLD, users);
	json_object_foreach(users, uid, jobs)
		status_write(d, uid, jobs);
	if (dir_list(d->sp.dir[CS_DIR_STATUS], &names, &n) == CS_OK) {
		for (i = 0; i < n; i++) {
			len = strlen(names[i]);
			if (len < 6 || len > 20 ||
			    strcmp(names[i] + len - 5, ".json") != 0)
				continue;
			snprintf(key, sizeof(key), "%.*s", (int)(len - 5),
			    names[i]);
			if (json_object_get(users, key) == NULL)
				(void)unlinkat(d->sp.dir[CS_DIR_STATUS],
				    names[i], 0);
		}
		dir_list_free(names, n);
	}
	json_decref(users);
}
