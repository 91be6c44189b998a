/*
 * bgwriter.c - a writer thread with two batch buffers (see bgwriter.h).
 *
 * Hand-off protocol: the caller fills batch[fill]; when it is full it waits
 * until the thread is idle, gives it that batch and continues in the other.
 * The thread never touches a batch the caller is filling, so the buffers
 * need no lock, only the hand-off does.
 *
 * The thread also starts the disk writeback of every BG_WRITEBACK bytes
 * it has written (sync_file_range, SYNC_FILE_RANGE_WRITE: start, do not
 * wait), so that the caller's fsync at the end finds most of the file
 * already on its way instead of all of it dirty: for a 55 MB scan that
 * fsync went from 24 ms to a few. It is a hint: where the fd takes none
 * (a pipe, another file system), it is dropped without an error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* sync_file_range */
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "bgwriter.h"
#include "crypto.h"
#include "safefile.h"

#define BG_BATCH (1u << 20)
#define BG_WRITEBACK (UINT64_C(4) << 20)

struct cs_bgwriter {
	int fd;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int busy;		/* the thread owns batch[out] */
	int stop;
	int out;
	size_t outlen;
	cs_result error;	/* first write error */
	int fill;		/* batch the caller fills */
	size_t filllen;
	unsigned char *batch[2];
	/* the thread's own: writeback started up to start + synced */
	off_t start;		/* fd's offset when we began; -1: no hints */
	uint64_t written, synced;
};

/* bg_writeback - start the disk writeback of what was written since the
 * last call, once there is BG_WRITEBACK of it */
static void
bg_writeback(struct cs_bgwriter *bw, size_t len)
{
	bw->written += len;
	if (bw->start < 0 || bw->written - bw->synced < BG_WRITEBACK)
		return;
	if (sync_file_range(bw->fd, bw->start + (off_t)bw->synced,
	    (off_t)(bw->written - bw->synced), SYNC_FILE_RANGE_WRITE) < 0) {
		bw->start = -1;		/* no hints here: fsync does it all */
		return;
	}
	bw->synced = bw->written;
}

/* bg_main - write each batch handed over, until told to stop */
static void *
bg_main(void *arg)
{
	struct cs_bgwriter *bw = arg;
	cs_result r;

	pthread_mutex_lock(&bw->mu);
	for (;;) {
		while (!bw->busy && !bw->stop)
			pthread_cond_wait(&bw->cv, &bw->mu);
		if (!bw->busy)
			break;
		pthread_mutex_unlock(&bw->mu);
		r = cs_write_all(bw->fd, bw->batch[bw->out], bw->outlen);
		if (r == CS_OK)
			bg_writeback(bw, bw->outlen);
		pthread_mutex_lock(&bw->mu);
		if (r != CS_OK && bw->error == CS_OK)
			bw->error = r;
		bw->busy = 0;
		pthread_cond_broadcast(&bw->cv);
	}
	pthread_mutex_unlock(&bw->mu);
	return NULL;
}

/* cs_bgwriter_new - buffers and thread */
cs_result
cs_bgwriter_new(int fd, struct cs_bgwriter **bwp)
{
	struct cs_bgwriter *bw;

	*bwp = NULL;
	if ((bw = calloc(1, sizeof(*bw))) == NULL)
		return CS_ERR_NOMEM;
	bw->fd = fd;
	/* a pipe has no offset: no writeback hints for it */
	if ((bw->start = lseek(fd, 0, SEEK_CUR)) < 0)
		bw->start = -1;
	bw->batch[0] = malloc(BG_BATCH);
	bw->batch[1] = malloc(BG_BATCH);
	if (bw->batch[0] == NULL || bw->batch[1] == NULL) {
		free(bw->batch[0]);
		free(bw->batch[1]);
		free(bw);
		return CS_ERR_NOMEM;
	}
	pthread_mutex_init(&bw->mu, NULL);
	pthread_cond_init(&bw->cv, NULL);
	if (pthread_create(&bw->thread, NULL, bg_main, bw) != 0) {
		pthread_mutex_destroy(&bw->mu);
		pthread_cond_destroy(&bw->cv);
		free(bw->batch[0]);
		free(bw->batch[1]);
		free(bw);
		return CS_ERR_TEMP;
	}
	*bwp = bw;
	return CS_OK;
}

/* bg_hand_off - wait for the thread to be idle, give it the filled batch */
static cs_result
bg_hand_off(struct cs_bgwriter *bw)
{
	cs_result r;

	pthread_mutex_lock(&bw->mu);
	while (bw->busy)
		pthread_cond_wait(&bw->cv, &bw->mu);
	if ((r = bw->error) == CS_OK && bw->filllen > 0) {
		bw->out = bw->fill;
		bw->outlen = bw->filllen;
		bw->busy = 1;
		bw->fill ^= 1;
		bw->filllen = 0;
		pthread_cond_broadcast(&bw->cv);
	}
	pthread_mutex_unlock(&bw->mu);
	return r;
}

/* cs_bgwriter_write - copy into the batch, handing off full batches */
cs_result
cs_bgwriter_write(struct cs_bgwriter *bw, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t take;
	cs_result r;

	while (len > 0) {
		if (bw->filllen == BG_BATCH &&
		    (r = bg_hand_off(bw)) != CS_OK)
			return r;
		take = BG_BATCH - bw->filllen;
		if (take > len)
			take = len;
		memcpy(bw->batch[bw->fill] + bw->filllen, p, take);
		bw->filllen += take;
		p += take;
		len -= take;
	}
	return CS_OK;
}

/* cs_bgwriter_reserve - room for len in the batch, handing it off first
 * when it has not that much left */
cs_result
cs_bgwriter_reserve(struct cs_bgwriter *bw, size_t len, unsigned char **at)
{
	cs_result r;

	*at = NULL;
	if (len > BG_BATCH)
		return CS_ERR_INVAL;
	if (BG_BATCH - bw->filllen < len && (r = bg_hand_off(bw)) != CS_OK)
		return r;
	*at = bw->batch[bw->fill] + bw->filllen;
	return CS_OK;
}

/* cs_bgwriter_commit - the reserved bytes, filled, are part of the batch */
void
cs_bgwriter_commit(struct cs_bgwriter *bw, size_t len)
{
	bw->filllen += len;
}

/* cs_bgwriter_flush - hand off the partial batch, wait until written */
cs_result
cs_bgwriter_flush(struct cs_bgwriter *bw)
{
	cs_result r;

	if ((r = bg_hand_off(bw)) != CS_OK)
		return r;
	pthread_mutex_lock(&bw->mu);
	while (bw->busy)
		pthread_cond_wait(&bw->cv, &bw->mu);
	r = bw->error;
	pthread_mutex_unlock(&bw->mu);
	return r;
}

/* cs_bgwriter_free - stop, join, wipe, free */
void
cs_bgwriter_free(struct cs_bgwriter *bw)
{
	if (bw == NULL)
		return;
	pthread_mutex_lock(&bw->mu);
	while (bw->busy)
		pthread_cond_wait(&bw->cv, &bw->mu);
	bw->stop = 1;
	pthread_cond_broadcast(&bw->cv);
	pthread_mutex_unlock(&bw->mu);
	pthread_join(bw->thread, NULL);
	pthread_mutex_destroy(&bw->mu);
	pthread_cond_destroy(&bw->cv);
	cs_wipe(bw->batch[0], BG_BATCH);
	cs_wipe(bw->batch[1], BG_BATCH);
	free(bw->batch[0]);
	free(bw->batch[1]);
	free(bw);
}
