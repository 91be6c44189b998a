/*
 * feed_queue.c - a bounded ring of buffers and the thread that drains it
 * (feed_queue.h).
 *
 * Why a thread: compressing a 300 dpi page costs about as much CPU as
 * libsane takes to deliver it, and done inline in the scan loop it
 * doubled `cloudspool scan`'s time (bench/bench-scan.sh: 1.84x scanimage
 * against 1.26x for raw pages). On its own thread it runs while the
 * main thread waits in sane_read. The thread is started after the
 * signals are blocked (scan_sig.c), so it inherits the mask and never
 * takes SIGINT or SIGTERM itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "feed_queue.h"

/* fq_run - the consumer: oldest slot first, until closing and empty,
 * cancelled, or consume fails */
static void *
fq_run(void *arg)
{
	struct feed_queue *q = arg;
	unsigned i;
	int rc;

	(void)pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->count == 0 && !q->closing && !q->cancel) {
			q->cons_waits = 1;
			(void)pthread_cond_wait(&q->filled, &q->mu);
			q->cons_waits = 0;
		}
		if (q->cancel || q->count == 0)
			break;
		i = q->head;
		(void)pthread_mutex_unlock(&q->mu);
		rc = q->consume(q->ctx, q->slot[i], q->len[i]);
		(void)pthread_mutex_lock(&q->mu);
		q->head = (q->head + 1) % FQ_SLOTS;
		q->count--;
		if (rc != 0)
			q->failed = rc;
		if (q->prod_waits)
			(void)pthread_cond_signal(&q->freed);
		if (rc != 0)
			break;
	}
	(void)pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* fq_start - slots, locks, thread */
int
fq_start(struct feed_queue *q, fq_consume consume, void *ctx)
{
	int e, i;

	memset(q, 0, sizeof(*q));
	q->consume = consume;
	q->ctx = ctx;
	for (i = 0; i < FQ_SLOTS; i++)
		if ((q->slot[i] = malloc(FQ_SLOT)) == NULL) {
			fq_free(q);
			errno = ENOMEM;
			return -1;
		}
	(void)pthread_mutex_init(&q->mu, NULL);
	(void)pthread_cond_init(&q->filled, NULL);
	(void)pthread_cond_init(&q->freed, NULL);
	if ((e = pthread_create(&q->thread, NULL, fq_run, q)) != 0) {
		fq_free(q);
		errno = e;
		return -1;
	}
	q->running = 1;
	return 0;
}

/* fq_hand - the open slot to the consumer (under the lock) */
static void
fq_hand(struct feed_queue *q)
{
	q->len[(q->head + q->count) % FQ_SLOTS] = q->open;
	q->open = 0;
	q->count++;
	if (q->cons_waits)
		(void)pthread_cond_signal(&q->filled);
}

/* fq_put - into the open slot, handing it over when full. The open slot
 * is the first one past the handed-over ones: the consumer does not
 * touch it until count covers it, so it is filled without the lock. */
int
fq_put(struct feed_queue *q, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t *slot;
	size_t k;
	int rc = 0;

	while (len > 0) {
		(void)pthread_mutex_lock(&q->mu);
		while (q->count == FQ_SLOTS && q->failed == 0) {
			q->prod_waits = 1;
			(void)pthread_cond_wait(&q->freed, &q->mu);
			q->prod_waits = 0;
		}
		rc = q->failed;
		slot = q->slot[(q->head + q->count) % FQ_SLOTS];
		(void)pthread_mutex_unlock(&q->mu);
		if (rc != 0)
			return rc;
		k = FQ_SLOT - q->open < len ? FQ_SLOT - q->open : len;
		memcpy(slot + q->open, b, k);
		q->open += k;
		b += k;
		len -= k;
		if (q->open == FQ_SLOT) {
			(void)pthread_mutex_lock(&q->mu);
			fq_hand(q);
			(void)pthread_mutex_unlock(&q->mu);
		}
	}
	(void)pthread_mutex_lock(&q->mu);
	rc = q->failed;
	(void)pthread_mutex_unlock(&q->mu);
	return rc;
}

/* fq_end - set closing or cancel, wake the consumer, join it */
static void
fq_end(struct feed_queue *q, int cancel)
{
	if (!q->running)
		return;
	(void)pthread_mutex_lock(&q->mu);
	if (cancel) {
		q->cancel = 1;
	} else {
		/* the last, partly filled slot; there is room: a full ring
		 * leaves no open slot with bytes in it */
		if (q->open > 0 && q->failed == 0)
			fq_hand(q);
		q->closing = 1;
	}
	(void)pthread_cond_signal(&q->filled);
	(void)pthread_mutex_unlock(&q->mu);
	(void)pthread_join(q->thread, NULL);
	q->running = 0;
}

/* fq_finish - drain and join */
int
fq_finish(struct feed_queue *q)
{
	fq_end(q, 0);
	return q->failed;
}

/* fq_cancel - drop and join */
void
fq_cancel(struct feed_queue *q)
{
	fq_end(q, 1);
}

/* fq_free - wipe and free the slots */
void
fq_free(struct feed_queue *q)
{
	int i;

	for (i = 0; i < FQ_SLOTS; i++) {
		if (q->slot[i] != NULL)
			memset(q->slot[i], 0, FQ_SLOT);
		free(q->slot[i]);
		q->slot[i] = NULL;
	}
}
