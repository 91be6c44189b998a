/*
 * opts.h - what one run of cloudspool-filter is asked to do.
 */
#ifndef CS_FILTER_OPTS_H
#define CS_FILTER_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum filter_mode {
	FILTER_CLI,			/* files on the command line */
	FILTER_WORKER,			/* the daemon's worker: a document */
	FILTER_WORKER_PAGES,		/* the daemon's worker: a page stream */
	FILTER_SELFTEST,		/* --sandbox-selftest */
};

#define FILTER_LANG_MAX CS_OCR_LANG_MAX
#define FILTER_BARCODE_MAX 128
#define FILTER_JOBS_MAX 64
#define FILTER_DEFAULT_QUALITY 80
#define FILTER_DEFAULT_BLANK_LEVEL CS_FILTER_BLANK_LEVEL
#define FILTER_DEFAULT_OCR_TIMEOUT 60	/* seconds per page */
#define FILTER_TESSDATA "/usr/share/tesseract-ocr/5/tessdata"

struct filter_opts {
	enum filter_mode mode;
	int deskew;
	int despeckle;
	int bilevel;			/* deliver the cleaned bilevel page (G4) */
	int remove_blank;
	unsigned blank_level;		/* fewer character marks than this: blank */
	int split_blank;
	unsigned split_every;
	int split_barcode;
	char barcode_text[FILTER_BARCODE_MAX];
	char ocr_lang[FILTER_LANG_MAX];	/* empty: no OCR */
	unsigned ocr_timeout;		/* seconds per page */
	unsigned jobs;
	unsigned quality;
	int deliver_removed;
	int have_date;
	int64_t date;			/* seconds since the epoch */
	const char *input;		/* NULL or "-": standard input */
	const char *output;		/* NULL: standard output */
	const char *output_dir;
	const char *tessdata;
};

/* filter_opts_parse - argv into o; on error one line in err, -1 */
int filter_opts_parse(int argc, char **argv, struct filter_opts *o,
    char *err, size_t errlen);

/* filter_opts_splits - 1 when the run may produce several documents */
int filter_opts_splits(const struct filter_opts *o);

/* filter_opts_processes - 1 when any processing beyond conversion is on */
int filter_opts_processes(const struct filter_opts *o);

#endif
