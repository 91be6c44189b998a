/*
 * drop_pages.h - cloudspool-drop --pages: a page stream into PAGE sections.
 */
#ifndef CS_DROP_PAGES_H
#define CS_DROP_PAGES_H

#include <signal.h>
#include <stdint.h>

#include "spoolfmt.h"

struct drop_pages_limits {
	uint64_t max_bytes;		/* max_job_size: pixels and headers */
	uint64_t max_pages;		/* max_pages */
};

/* drop_pages_seal - read a page stream (pagestream.h) from in_fd and write
 * one PAGE section per page to w, never holding more than buf (cap bytes);
 * refuses a bad header, a stream cut short or without its end marker,
 * bytes after the end marker, and anything over a limit. *stop set by a
 * signal handler ends it with CS_ERR_TEMP. why gets a reason. */
cs_result drop_pages_seal(struct cs_spool_writer *w, int in_fd,
    const struct drop_pages_limits *lim, volatile sig_atomic_t *stop,
    uint8_t *buf, size_t cap, const char **why);

#endif
