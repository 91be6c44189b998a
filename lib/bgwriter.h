/*
 * bgwriter.h - write to an fd from a second thread, double-buffered.
 *
 * Sealing is CPU work and writing is a copy into the page cache: done one
 * after the other they add up, done on two threads they overlap. The
 * caller fills one 1 MiB batch while the thread writes the other.
 */
#ifndef CS_BGWRITER_H
#define CS_BGWRITER_H

#include <stddef.h>
#include "result.h"

struct cs_bgwriter;

/* cs_bgwriter_new - start the writing thread for fd */
cs_result cs_bgwriter_new(int fd, struct cs_bgwriter **bwp);

/* cs_bgwriter_write - queue len bytes; returns the first write error seen */
cs_result cs_bgwriter_write(struct cs_bgwriter *bw, const void *data,
    size_t len);

/* cs_bgwriter_reserve - room for len bytes (at most 1 MiB) in the batch
 * being filled, at *at: fill them there (no copy), then commit; returns
 * the first write error seen */
cs_result cs_bgwriter_reserve(struct cs_bgwriter *bw, size_t len,
    unsigned char **at);

/* cs_bgwriter_commit - queue len bytes of what reserve gave (len no more
 * than reserved) */
void cs_bgwriter_commit(struct cs_bgwriter *bw, size_t len);

/* cs_bgwriter_flush - write everything queued and wait for it */
cs_result cs_bgwriter_flush(struct cs_bgwriter *bw);

/* cs_bgwriter_free - stop the thread (dropping anything not flushed),
 * wipe the buffers and free; NULL is fine */
void cs_bgwriter_free(struct cs_bgwriter *bw);

#endif
