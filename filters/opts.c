/*
 * opts.c - parse cloudspool-filter's command line (opts.h).
 *
 * Every number is checked for range and trailing junk; a language list is
 * letters, digits and underscores joined by '+', so it can never name a path
 * when Tesseract turns it into LANG.traineddata.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

enum {
	OPT_WORKER = 256, OPT_WORKER_PAGES, OPT_SELFTEST, OPT_DESKEW,
	OPT_DESPECKLE, OPT_BILEVEL, OPT_REMOVE_BLANK, OPT_SPLIT_BLANK,
	OPT_SPLIT_EVERY, OPT_SPLIT_BARCODE, OPT_OCR, OPT_OCR_TIMEOUT, OPT_JOBS,
	OPT_QUALITY, OPT_OUTPUT_DIR, OPT_DELIVER_REMOVED, OPT_DATE,
	OPT_TESSDATA,
};

static const struct option opts_long[] = {
	{ "worker", no_argument, NULL, OPT_WORKER },
	{ "worker-pages", no_argument, NULL, OPT_WORKER_PAGES },
	{ "sandbox-selftest", no_argument, NULL, OPT_SELFTEST },
	{ "deskew", no_argument, NULL, OPT_DESKEW },
	{ "despeckle", no_argument, NULL, OPT_DESPECKLE },
	{ "bilevel", no_argument, NULL, OPT_BILEVEL },
	{ "remove-blank", optional_argument, NULL, OPT_REMOVE_BLANK },
	{ "split-blank", no_argument, NULL, OPT_SPLIT_BLANK },
	{ "split-every", required_argument, NULL, OPT_SPLIT_EVERY },
	{ "split-barcode", optional_argument, NULL, OPT_SPLIT_BARCODE },
	{ "ocr", required_argument, NULL, OPT_OCR },
	{ "ocr-timeout", required_argument, NULL, OPT_OCR_TIMEOUT },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "quality", required_argument, NULL, OPT_QUALITY },
	{ "output-dir", required_argument, NULL, OPT_OUTPUT_DIR },
	{ "deliver-removed", no_argument, NULL, OPT_DELIVER_REMOVED },
	{ "date", required_argument, NULL, OPT_DATE },
	{ "tessdata", required_argument, NULL, OPT_TESSDATA },
	{ NULL, 0, NULL, 0 },
};

/* opts_uint - a decimal in [lo, hi] */
static int
opts_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* opts_defaults - what a run does when asked nothing */
static void
opts_defaults(struct filter_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = FILTER_CLI;
	o->blank_level = FILTER_DEFAULT_BLANK_LEVEL;
	o->ocr_timeout = FILTER_DEFAULT_OCR_TIMEOUT;
	o->quality = FILTER_DEFAULT_QUALITY;
	o->jobs = 1;
	o->tessdata = FILTER_TESSDATA;
	memcpy(o->barcode_text, "PATCHT", sizeof("PATCHT"));
}

/* opts_one - apply one option; -1 with err set when its value is bad */
static int
opts_one(int c, const char *arg, struct filter_opts *o, char *err,
    size_t errlen)
{
	int64_t d;
	char *end;

	switch (c) {
	case OPT_WORKER: o->mode = FILTER_WORKER; return 0;
	case OPT_WORKER_PAGES: o->mode = FILTER_WORKER_PAGES; return 0;
	case OPT_SELFTEST: o->mode = FILTER_SELFTEST; return 0;
	case OPT_DESKEW: o->deskew = 1; return 0;
	case OPT_DESPECKLE: o->despeckle = 1; o->bilevel = 1; return 0;
	case OPT_BILEVEL: o->bilevel = 1; return 0;
	case OPT_SPLIT_BLANK: o->split_blank = 1; return 0;
	case OPT_DELIVER_REMOVED: o->deliver_removed = 1; return 0;
	case OPT_OUTPUT_DIR: o->output_dir = arg; return 0;
	case OPT_TESSDATA: o->tessdata = arg; return 0;
	case 'o': o->output = arg; return 0;
	case OPT_REMOVE_BLANK:
		o->remove_blank = 1;
		if (arg != NULL && opts_uint(arg, 1, 10000, &o->blank_level) < 0)
			goto bad;
		return 0;
	case OPT_SPLIT_EVERY:
		if (opts_uint(arg, 1, 1000000, &o->split_every) < 0)
			goto bad;
		return 0;
	case OPT_SPLIT_BARCODE:
		o->split_barcode = 1;
		if (arg != NULL) {
			if (*arg == '\0' || strlen(arg) >= FILTER_BARCODE_MAX)
				goto bad;
			memcpy(o->barcode_text, arg, strlen(arg) + 1);
		}
		return 0;
	case OPT_OCR:
		/* the configuration's rule for the ocr key: the names become
		 * LANG.traineddata, so no dot or slash can get in */
		if (!cs_config_ocr_ok(arg))
			goto bad;
		memcpy(o->ocr_lang, arg, strlen(arg) + 1);
		return 0;
	case OPT_OCR_TIMEOUT:
		return opts_uint(arg, 1, 3600, &o->ocr_timeout) < 0 ? -1 : 0;
	case OPT_JOBS:
		if (opts_uint(arg, 1, FILTER_JOBS_MAX, &o->jobs) < 0)
			goto bad;
		return 0;
	case OPT_QUALITY:
		if (opts_uint(arg, 1, 100, &o->quality) < 0)
			goto bad;
		return 0;
	case OPT_DATE:
		errno = 0;
		d = strtoll(arg, &end, 10);
		if (errno != 0 || *end != '\0' || end == arg || d < 0 ||
		    d > INT64_C(253402300799))	/* 9999-12-31 */
			goto bad;
		o->have_date = 1;
		o->date = d;
		return 0;
	default:
		snprintf(err, errlen, "unknown option (see the synopsis in "
		    "filters/filter.c)");
		return -1;
	}
bad:
	snprintf(err, errlen, "bad value \"%.40s\" for an option", arg ? arg :
	    "");
	return -1;
}

/* filter_opts_parse - options, then at most one input */
int
filter_opts_parse(int argc, char **argv, struct filter_opts *o, char *err,
    size_t errlen)
{
	int c;

	opts_defaults(o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", opts_long, NULL)) != -1) {
		if (c == '?' || c == ':') {
			snprintf(err, errlen, "unknown option or missing value: "
			    "%.60s", argv[optind - 1]);
			return -1;
		}
		if (opts_one(c, optarg, o, err, errlen) < 0)
			return -1;
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc) {
		snprintf(err, errlen, "more than one input: %.60s", argv[optind]);
		return -1;
	}
	if (o->mode != FILTER_CLI && (o->input != NULL || o->output != NULL ||
	    o->output_dir != NULL)) {
		snprintf(err, errlen, "worker modes read standard input and "
		    "write standard output only");
		return -1;
	}
	return 0;
}

/* filter_opts_splits - any way of starting a new document */
int
filter_opts_splits(const struct filter_opts *o)
{
	return o->split_blank || o->split_every > 0 || o->split_barcode;
}

/* filter_opts_processes - anything beyond conversion */
int
filter_opts_processes(const struct filter_opts *o)
{
	return o->deskew || o->despeckle || o->bilevel || o->remove_blank ||
	    filter_opts_splits(o) || o->ocr_lang[0] != '\0';
}
