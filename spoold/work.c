/*
 * work.c - document processing in the background, at most [spool] workers
 * filters at once.
 *
 * OCR of a long scan takes minutes, so the daemon never waits for a
 * filter: it starts one per job (worker.c), polls the filter's pidfd from
 * its main loop, and hands the output back to the job state machine when
 * the filter ends. The cap is global, across users and jobs: with two
 * slots on a two-core machine one long job leaves the other slot to the
 * short jobs queued behind it, which are picked oldest first. A filter
 * started alone runs a page per core (work_argv).
 */
#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "daemon.h"
#include "log.h"

#define WORK_ARGV_MAX 64

struct work_slot {
	struct worker_proc proc;
	struct work_result res;
};

/* work_busy - see daemon.h */
int
work_busy(const struct cs_daemon *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->nwork; i++)
		if (strcmp(d->work[i].res.id, id) == 0)
			return 1;
	return 0;
}

/* work_for_destination - see daemon.h */
size_t
work_for_destination(const struct cs_daemon *d, const char *dest)
{
	const struct cs_action *a;
	size_t i, n = 0;

	for (i = 0; i < d->nwork; i++) {
		a = cs_config_action(&d->cfg, d->work[i].res.js.action);
		if (a != NULL && a->destination != NULL &&
		    strcmp(a->destination->name, dest) == 0)
			n++;
	}
	return n;
}

/* work_room - see daemon.h */
int
work_room(const struct cs_daemon *d)
{
	return d->nwork < d->cfg.workers;
}

/* work_argv - the filter's command line: its mode for this input, then
 * the action's processing options (deskew, OCR, splitting, ...); strings
 * the options need live in buf */
static cs_result
work_argv(const struct cs_daemon *d, const char *action, uint64_t pages,
    const char **argv, size_t cap, char *buf, size_t bufcap)
{
	const struct cs_action *a = cs_config_action(&d->cfg, action);
	size_t n = 0, more = 0;

	argv[n++] = "cloudspool-filter";
	argv[n++] = pages > 0 ? "--worker-pages" : "--worker";
	if (a != NULL && (more = cs_action_filter_args(a, argv + n, cap - n - 2,
	    buf, bufcap - 16)) == SIZE_MAX)
		return CS_ERR_TOOBIG;
	n += more;
	/* Page-parallel within the global cap: without an action's own
	 * `jobs`, a filter gets the cores no other filter is using, so one
	 * long job alone uses the whole machine and a second one arriving
	 * still gets a core of its own. */
	if (a == NULL || a->jobs == 0) {
		snprintf(buf + bufcap - 16, 16, "--jobs=%u", (unsigned)(d->nwork <
		    d->cfg.workers ? d->cfg.workers - d->nwork : 1));
		argv[n++] = buf + bufcap - 16;
	}
	argv[n] = NULL;
	return CS_OK;
}

/* work_start - see daemon.h */
cs_result
work_start(struct cs_daemon *d, enum cs_spool_dir dir, const char *id,
    const struct cs_jobstate *js, const struct cs_job *j, const char *name,
    int doc_fd, uint64_t pages, uint64_t bytes, char *why, size_t whylen)
{
	const char *argv[WORK_ARGV_MAX];
	char argbuf[1024];
	struct work_slot *slots, *s;
	struct worker_proc proc;
	cs_result r;

	if ((slots = realloc(d->work, (d->nwork + 1) * sizeof(*slots))) ==
	    NULL) {
		snprintf(why, whylen, "out of memory");
		return CS_ERR_TEMP;
	}
	d->work = slots;
	if (work_argv(d, js->action, pages, argv, WORK_ARGV_MAX, argbuf,
	    sizeof(argbuf)) != CS_OK) {
		snprintf(why, whylen, "the action's filter options do not fit");
		return CS_ERR_CONFIG;
	}
	if ((r = worker_spawn(d, (char *const *)argv, doc_fd, &proc, why,
	    whylen)) != CS_OK)
		return r;
	s = &d->work[d->nwork++];
	memset(s, 0, sizeof(*s));
	s->proc = proc;
	s->res.dir = dir;
	snprintf(s->res.id, sizeof(s->res.id), "%s", id);
	s->res.js = *js;
	/* only what delivery needs: no file, no reader */
	s->res.job.fd = -1;
	s->res.job.meta = j->meta;
	memcpy(s->res.job.state_key, j->state_key, sizeof(j->state_key));
	snprintf(s->res.name, sizeof(s->res.name), "%s", name);
	s->res.pages = pages;
	s->res.bytes = bytes;
	s->res.out_fd = proc.out_fd;
	return CS_OK;
}

/* work_pollfds - see daemon.h */
size_t
work_pollfds(const struct cs_daemon *d, struct pollfd *pfd, size_t cap)
{
	size_t i, n = 0;

	for (i = 0; i < d->nwork; i++)
		daemon_pollfd_add(pfd, cap, &n, d->work[i].proc.pidfd);
	return n;
}

/* work_release - forget a slot, wiping what it knew of the job */
static void
work_release(struct cs_daemon *d, size_t i)
{
	cs_wipe(&d->work[i], sizeof(d->work[i]));
	memmove(&d->work[i], &d->work[i + 1],
	    (d->nwork - i - 1) * sizeof(d->work[i]));
	d->nwork--;
}

/* work_service - see daemon.h */
void
work_service(struct cs_daemon *d)
{
	struct work_result res;
	char why[256];
	size_t i = 0;
	cs_result r;

	while (i < d->nwork) {
		r = worker_finish(&d->work[i].proc, 0, why, sizeof(why));
		if (r == CS_ERR_TEMP) {
			i++;
			continue;
		}
		/* Copy out first: delivery may start other work and move
		 * the slots. */
		res = d->work[i].res;
		work_release(d, i);
		if (r == CS_OK)
			jobs_processed(d, &res);
		else if (r == CS_ERR_FORMAT) {
			/* a malformed (maybe hostile) image: retrying cannot
			 * help, and the file is kept for the admin to look at */
			close(res.out_fd);
			jobs_quarantine(d, res.dir, res.id, why);
		} else {
			close(res.out_fd);
			jobs_defer(d, res.dir, res.id, &res.js, why);
		}
		cs_wipe(&res, sizeof(res));
	}
}

/* work_stop_all - see daemon.h */
void
work_stop_all(struct cs_daemon *d)
{
	char why[64];

	while (d->nwork > 0) {
		(void)kill(d->work[0].proc.pid, SIGKILL);
		(void)worker_finish(&d->work[0].proc, 1, why, sizeof(why));
		close(d->work[0].res.out_fd);
		work_release(d, 0);
	}
	free(d->work);
	d->work = NULL;
}
