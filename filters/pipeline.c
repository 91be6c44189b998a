/*
 * pipeline.c - page-parallel processing (pipeline.h).
 *
 * Workers take the next page from the source under the lock (decoding is
 * sequential: a page stream can only be read in order) and process it
 * outside the lock. Finished pages land in a ring of slots; the calling
 * thread takes them out in input order. A worker may run at most WINDOW
 * pages ahead of the oldest page not yet taken, so one slow page holds
 * back memory use, not correctness: a 200-page job holds a few pages at a
 * time, whatever its length.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

struct pipeline {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct source *src;
	const struct filter_opts *o;
	struct page_out *slots;		/* window of them, by number % window */
	int *ready;
	unsigned window;
	unsigned taken;			/* pages read from the source */
	unsigned consumed;		/* pages handed to the sink */
	int eof, failed;
	char err[200];
};

struct pipeline_worker {
	struct pipeline *p;
	struct ocr_engine *eng;
	pthread_t thread;
};

/* pipeline_fail - the first error wins; call with the lock held */
static void
pipeline_fail(struct pipeline *p, const char *why)
{
	if (!p->failed)
		snprintf(p->err, sizeof(p->err), "%s", why);
	p->failed = 1;
	pthread_cond_broadcast(&p->cond);
}

/* pipeline_take - the next page to work on: 1, or 0 when there is none */
static int
pipeline_take(struct pipeline *p, PIX **pix, unsigned *number)
{
	int rc;

	while (!p->eof && !p->failed && p->taken - p->consumed >= p->window)
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->eof || p->failed)
		return 0;
	rc = source_next(p->src, pix);
	if (rc < 0)
		pipeline_fail(p, p->src->err);
	if (rc <= 0) {
		p->eof = 1;
		pthread_cond_broadcast(&p->cond);
		return 0;
	}
	*number = ++p->taken;
	return 1;
}

/* pipeline_work - a worker thread's loop */
static void *
pipeline_work(void *arg)
{
	struct pipeline_worker *w = arg;
	struct pipeline *p = w->p;
	struct page_out out;
	char err[200];
	unsigned number, slot;
	PIX *pix;
	int rc;

	pthread_mutex_lock(&p->lock);
	while (pipeline_take(p, &pix, &number)) {
		pthread_mutex_unlock(&p->lock);
		memset(&out, 0, sizeof(out));
		out.number = number;
		rc = page_process(pix, p->o, w->eng, &out, err, sizeof(err));
		pthread_mutex_lock(&p->lock);
		if (rc < 0) {
			page_out_free(&out);
			pipeline_fail(p, err);
			break;
		}
		slot = number % p->window;
		p->slots[slot] = out;
		p->ready[slot] = 1;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* pipeline_drain - hand pages to the sink in order until all are done */
static void
pipeline_drain(struct pipeline *p, pipeline_sink sink, void *ctx)
{
	struct page_out out;
	unsigned slot;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		slot = (p->consumed + 1) % p->window;
		while (!p->ready[slot] && !p->failed &&
		    !(p->eof && p->consumed == p->taken))
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->ready[slot])
			break;
		out = p->slots[slot];
		p->ready[slot] = 0;
		p->consumed++;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		if (sink(ctx, &out) < 0) {
			pthread_mutex_lock(&p->lock);
			pipeline_fail(p, "cannot assemble the output");
			break;
		}
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
}

/* pipeline_cleanup - free pages left in slots after a failure */
static void
pipeline_cleanup(struct pipeline *p)
{
	unsigned i;

	for (i = 0; i < p->window; i++)
		if (p->ready[i])
			page_out_free(&p->slots[i]);
	free(p->slots);
	free(p->ready);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

/* pipeline_run - start the workers, drain in order, join */
int
pipeline_run(struct source *src, const struct filter_opts *o,
    struct ocr_engine *engines, pipeline_sink sink, void *ctx, char *err,
    size_t errlen)
{
	struct pipeline p;
	struct pipeline_worker w[FILTER_JOBS_MAX];
	unsigned i, started = 0;

	memset(&p, 0, sizeof(p));
	p.src = src;
	p.o = o;
	p.window = 2 * o->jobs + 1;
	p.slots = calloc(p.window, sizeof(*p.slots));
	p.ready = calloc(p.window, sizeof(*p.ready));
	if (p.slots == NULL || p.ready == NULL ||
	    pthread_mutex_init(&p.lock, NULL) != 0 ||
	    pthread_cond_init(&p.cond, NULL) != 0) {
		free(p.slots);
		free(p.ready);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < o->jobs && i < FILTER_JOBS_MAX; i++) {
		w[i].p = &p;
		w[i].eng = engines != NULL ? &engines[i] : NULL;
		if (pthread_create(&w[i].thread, NULL, pipeline_work, &w[i]) != 0)
			break;
		started++;
	}
	if (started == 0) {
		pthread_mutex_lock(&p.lock);
		pipeline_fail(&p, "cannot start a worker thread");
		pthread_mutex_unlock(&p.lock);
	}
	pipeline_drain(&p, sink, ctx);
	for (i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	if (p.failed)
		snprintf(err, errlen, "%s", p.err);
	pipeline_cleanup(&p);
	return p.failed ? -1 : 0;
}
