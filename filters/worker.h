/*
 * worker.h - one confined run: input fd in, result container out.
 */
#ifndef CS_FILTER_WORKER_H
#define CS_FILTER_WORKER_H

#include "opts.h"

/* worker_run - load what must be loaded, enter the sandbox, read in_fd,
 * write the result container (lib/docset.h) to out_fd. Returns the exit
 * status: 0, 1 (input cannot be processed: one line on stderr), 3 (the
 * sandbox cannot be entered). cli is 1 when the input must be an image. */
int worker_run(const struct filter_opts *o, int in_fd, int out_fd, int cli);

#endif
