/*
 * jobstate.c - a job's scheduling record beside it in its state folder.
 *
 * It holds only times, counts, the uid and the action: nothing of the
 * document and nothing the user typed, so it may be plain JSON. The one
 * exception, an uploader's resumable state (a session URI can be a bearer
 * credential), is sealed under the job's own key (upstate.c) first.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "daemon.h"
#include "safefile.h"

#define STATE_SUFFIX ".state"
#define STATE_MAX (CS_UPSTATE_B64 + 1024)

/* state_name - "<id>.state" */
static int
state_name(const char *id, char *buf, size_t cap)
{
	return (size_t)snprintf(buf, cap, "%s" STATE_SUFFIX, id) < cap ? 0 : -1;
}

/* jobstate_is_record - names ending in .state are records */
int
jobstate_is_record(const char *name)
{
	size_t n = strlen(name), s = sizeof(STATE_SUFFIX) - 1;

	return n > s && strcmp(name + n - s, STATE_SUFFIX) == 0;
}

/* jobstate_load - parse a record strictly */
cs_result
jobstate_load(int dirfd, const char *id, struct cs_jobstate *js)
{
	char name[96], *buf;
	json_t *o;
	const char *action, *upload = "", *over = "";
	json_int_t dl, nt, at, uid, ph, ino = 0, units = 0;
	size_t len;
	cs_result r;

	memset(js, 0, sizeof(*js));
	if (state_name(id, name, sizeof(name)) < 0)
		return CS_ERR_INVAL;
	if ((buf = malloc(STATE_MAX)) == NULL)
		return CS_ERR_NOMEM;
	r = cs_read_small_file(dirfd, name, buf, STATE_MAX, &len);
	o = r == CS_OK ? json_loadb(buf, len, 0, NULL) : NULL;
	free(buf);
	if (r != CS_OK)
		return r;
	if (json_unpack(o, "{s:I, s:I, s:I, s:I, s:s, s:I, s?I, s?s, s?I, s?s}",
	    "deadline", &dl, "next_try", &nt, "attempts", &at, "uid", &uid,
	    "action", &action, "phase", &ph, "ino", &ino, "upload", &upload,
	    "units_done", &units, "dest_override", &over) != 0 ||
	    units < 0 || units > UINT32_MAX ||
	    at < 0 || at > UINT32_MAX || uid < 0 || uid > UINT32_MAX ||
	    ph < CS_PHASE_NONE || ph > CS_PHASE_UPLOADING ||
	    strlen(action) >= sizeof(js->action) ||
	    strlen(upload) >= sizeof(js->upload) ||
	    strlen(over) >= sizeof(js->dest_override)) {
		json_decref(o);
		return CS_ERR_FORMAT;
	}
	js->deadline = dl;
	js->next_try = nt;
	js->attempts = (uint32_t)at;
	js->uid = (uint32_t)uid;
	memcpy(js->action, action, strlen(action) + 1);
	js->phase = (enum cs_phase)ph;
	js->ino = (uint64_t)ino;
	memcpy(js->upload, upload, strlen(upload) + 1);
	js->units_done = (uint32_t)units;
	memcpy(js->dest_override, over, strlen(over) + 1);
	json_decref(o);
	return CS_OK;
}

/* jobstate_save - write a record atomically */
cs_result
jobstate_save(int dirfd, const char *id, const struct cs_jobstate *js)
{
	char name[96], *buf;
	json_t *o;
	size_t len;
	cs_result r;

	if (state_name(id, name, sizeof(name)) < 0)
		return CS_ERR_INVAL;
	o = json_pack("{s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:s, s:I}",
	    "deadline", (json_int_t)js->deadline,
	    "next_try", (json_int_t)js->next_try,
	    "attempts", (json_int_t)js->attempts,
	    "uid", (json_int_t)js->uid, "action", js->action,
	    "phase", (json_int_t)js->phase, "ino", (json_int_t)js->ino,
	    "upload", js->upload, "units_done", (json_int_t)js->units_done);
	/* optional: absent in records of jobs that never fell back */
	if (o != NULL && js->dest_override[0] != '\0' &&
	    json_object_set_new(o, "dest_override",
	    json_string(js->dest_override)) != 0) {
		json_decref(o);
		return CS_ERR_NOMEM;
	}
	if (o == NULL)
		return CS_ERR_INVAL;
	if ((buf = malloc(STATE_MAX)) == NULL) {
		json_decref(o);
		return CS_ERR_NOMEM;
	}
	len = json_dumpb(o, buf, STATE_MAX, JSON_COMPACT);
	json_decref(o);
	r = len == 0 || len >= STATE_MAX ? CS_ERR_TOOBIG :
	    cs_write_file_atomic(dirfd, name, buf, len, 0600);
	free(buf);
	return r;
}

/* jobstate_remove - unlink a record; absent is fine */
cs_result
jobstate_remove(int dirfd, const char *id)
{
	char name[96];

	if (state_name(id, name, sizeof(name)) < 0)
		return CS_ERR_INVAL;
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return cs_errno_result(errno);
	return cs_fsync_dir(dirfd);
}
