/*
 * feed_queue.h - hand page stream bytes to a thread that encodes and
 * writes them, so compressing a page overlaps reading the next part of
 * it from the scanner (feed_queue.c).
 *
 * A bounded ring of FQ_SLOTS buffers of FQ_SLOT bytes: the producer
 * fills the first free slot and hands it over when it is full (or at
 * fq_finish), waiting when all are taken (memory stays FQ_SLOTS *
 * FQ_SLOT whatever the scan); the consumer thread calls consume() on
 * each handed-over slot in order. Each side wakes the other only when
 * it waits, so a 55 MB scan costs a few hundred wake-ups, not one per
 * sane_read. A consume() failure stops the consumer; the producer's next
 * put returns it.
 */
#ifndef CS_FEED_QUEUE_H
#define CS_FEED_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define FQ_SLOTS 8
#define FQ_SLOT (256 * 1024)

/* What the consumer does with each slot: 0, or a negative code. */
typedef int (*fq_consume)(void *ctx, const uint8_t *p, size_t len);

struct feed_queue {
	pthread_mutex_t mu;
	pthread_cond_t filled;		/* a slot was filled, or closing */
	pthread_cond_t freed;		/* a slot was freed, or failed */
	uint8_t *slot[FQ_SLOTS];
	size_t len[FQ_SLOTS];
	unsigned head, count;		/* oldest filled slot, filled slots */
	size_t open;			/* bytes in the slot being filled */
	int cons_waits, prod_waits;	/* who sleeps on a condition */
	int closing;			/* no more puts: drain, then end */
	int cancel;			/* drop what is queued, end now */
	int failed;			/* consume's code, once it failed */
	fq_consume consume;
	void *ctx;
	pthread_t thread;
	int running;
};

/* fq_start - allocate the slots and start the consumer; 0, or -1 with
 * errno (nothing to free then) */
int fq_start(struct feed_queue *q, fq_consume consume, void *ctx);

/* fq_put - copy len bytes into the queue, waiting for room; 0, or the
 * consumer's failure code */
int fq_put(struct feed_queue *q, const void *p, size_t len);

/* fq_finish - let the consumer write everything queued, then join it;
 * 0, or its failure code */
int fq_finish(struct feed_queue *q);

/* fq_cancel - drop what is queued, join the consumer; then free */
void fq_cancel(struct feed_queue *q);

/* fq_free - the slots, wiped (they held page plaintext); after finish or
 * cancel */
void fq_free(struct feed_queue *q);

#endif
