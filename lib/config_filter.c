/*
 * config_filter.c - an action's document processing keys, as values and as
 * cloudspool-filter arguments (config.h).
 *
 * The daemon execs the filter with an empty environment and an argv it
 * builds here, so every value was validated when the file was loaded and
 * each option is rendered as one "--key=value" argument: no value can
 * split into two arguments or start a new option.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

/* cs_config_parse_yesno - yes or no, nothing else */
cs_result
cs_config_parse_yesno(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0)
		*out = 1;
	else if (strcmp(s, "no") == 0)
		*out = 0;
	else
		return CS_ERR_INVAL;
	return CS_OK;
}

/* cs_config_ocr_ok - [a-z_]+ joined by single '+', under 64 bytes (the
 * names become LANG.traineddata: no dot, no slash can get in) */
int
cs_config_ocr_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= CS_OCR_LANG_MAX || s[0] == '+' || s[n - 1] == '+')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '+' && s[i + 1] == '+')
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		    s[i] == '+'))
			return 0;
	}
	return 1;
}

struct filter_args {
	const char **argv;
	size_t n, cap;
	char *buf;
	size_t used, bufcap;
	int full;
};

/* filter_args_add - one argument, formatted into the buffer */
static void __attribute__((format(printf, 2, 3)))
filter_args_add(struct filter_args *f, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (f->full || f->n >= f->cap) {
		f->full = 1;
		return;
	}
	va_start(ap, fmt);
	len = vsnprintf(f->buf + f->used, f->bufcap - f->used, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= f->bufcap - f->used) {
		f->full = 1;
		return;
	}
	f->argv[f->n++] = f->buf + f->used;
	f->used += (size_t)len + 1;
}

/* cs_action_filter_args - render the keys, in the order of the file's
 * documentation */
size_t
cs_action_filter_args(const struct cs_action *a, const char **argv,
    size_t cap, char *buf, size_t bufcap)
{
	struct filter_args f = { argv, 0, cap, buf, 0, bufcap, 0 };

	if (bufcap == 0)
		return a->deskew || a->despeckle || a->remove_blank ||
		    a->split_blank || a->split_every || a->split_barcode ||
		    a->ocr || a->quality || a->deliver_removed || a->jobs ?
		    SIZE_MAX : 0;
	if (a->deskew)
		filter_args_add(&f, "--deskew");
	if (a->despeckle)
		filter_args_add(&f, "--despeckle");
	if (a->remove_blank)
		filter_args_add(&f, "--remove-blank=%llu",
		    (unsigned long long)a->remove_blank);
	if (a->split_blank)
		filter_args_add(&f, "--split-blank");
	if (a->split_every)
		filter_args_add(&f, "--split-every=%llu",
		    (unsigned long long)a->split_every);
	if (a->split_barcode != NULL)
		filter_args_add(&f, "--split-barcode=%s", a->split_barcode);
	if (a->ocr != NULL)
		filter_args_add(&f, "--ocr=%s", a->ocr);
	if (a->quality)
		filter_args_add(&f, "--quality=%llu",
		    (unsigned long long)a->quality);
	if (a->deliver_removed)
		filter_args_add(&f, "--deliver-removed");
	if (a->jobs)
		filter_args_add(&f, "--jobs=%llu", (unsigned long long)a->jobs);
	return f.full ? SIZE_MAX : f.n;
}
