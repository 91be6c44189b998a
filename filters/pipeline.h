/*
 * pipeline.h - pages through worker threads, back out in input order.
 */
#ifndef CS_FILTER_PIPELINE_H
#define CS_FILTER_PIPELINE_H

#include <stddef.h>

#include "ocr.h"
#include "opts.h"
#include "page.h"
#include "source.h"

/* pipeline_sink - takes each finished page, in input order; it owns the
 * page afterwards. Returns 0, or -1 to stop the run. */
typedef int (*pipeline_sink)(void *ctx, struct page_out *p);

/* pipeline_run - read every page of src, process it on o->jobs threads
 * (engines: one per thread, or NULL without OCR), hand it to sink; 0, or
 * -1 with one line in err */
int pipeline_run(struct source *src, const struct filter_opts *o,
    struct ocr_engine *engines, pipeline_sink sink, void *ctx, char *err,
    size_t errlen);

#endif
