/*
 * cli.h - the standalone program: files in, files out.
 */
#ifndef CS_FILTER_CLI_H
#define CS_FILTER_CLI_H

#include "opts.h"

/* cli_run - run the confined worker in a child on the input, then write
 * the documents it returns where the options say; the exit status */
int cli_run(const struct filter_opts *o);

#endif
