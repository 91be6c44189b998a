/*
 * scan_opts.c - `cloudspool scan` options: scanimage's vocabulary, and any
 * --OPTION=VALUE passed through to the device (sane_control_option).
 *
 * Options are set in command-line order, as scanimage does, because a
 * device's options depend on each other (--three-pass is inactive until
 * --mode Color). -x and -y are the width and height of the area in mm:
 * the device's br-x and br-y are its tl-x and tl-y plus those.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan.h"

/* scan_usage - the synopsis, then EX_USAGE */
static int
scan_usage(void)
{
	fprintf(stderr, "usage: cloudspool [-c config] scan -a action "
	    "[-d device] [--source S] [--mode M]\n"
	    "           [--resolution DPI] [-l MM] [-t MM] [-x MM] [-y MM] "
	    "[--batch] [--batch-count N]\n"
	    "           [--name NAME] [--dry-run] [--json] [--keep-partial] "
	    "[--OPTION[=VALUE]]...\n"
	    "       cloudspool scan -L\n");
	return EX_USAGE;
}

/* scan_add - append one setting */
static int
scan_add(struct scan_args *a, const char *name, const char *value, char area)
{
	struct scan_setting *n;

	n = realloc(a->set, (a->nset + 1) * sizeof(*n));
	if (n == NULL) {
		fprintf(stderr, "cloudspool: out of memory\n");
		return EX_OSERR;
	}
	a->set = n;
	a->set[a->nset].name = name;
	a->set[a->nset].value = value;
	a->set[a->nset].area = area;
	a->nset++;
	return EX_OK;
}

/* scan_value - the value of option argv[*i]: after '=' or the next word */
static const char *
scan_value(int argc, char **argv, int *i)
{
	const char *eq = strchr(argv[*i], '=');

	if (argv[*i][1] == '-' && eq != NULL)
		return eq + 1;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* scan_is(arg, short, long) - arg names this option (with or without =) */
static int
scan_is(const char *arg, const char *s, const char *l)
{
	size_t n;

	if (s != NULL && strcmp(arg, s) == 0)
		return 1;
	if (l == NULL)
		return 0;
	n = strlen(l);
	return strncmp(arg, l, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* scan_count - a whole number of at least 1 */
static int
scan_count(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *s != '-' && *out > 0;
}

/* scan_passthrough - --OPTION[=VALUE] or --OPTION VALUE for the device */
static int
scan_passthrough(struct scan_args *a, int argc, char **argv, int *i)
{
	char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	const char *value = NULL;

	if (eq != NULL) {
		*eq = '\0';		/* argv is ours to cut */
		value = eq + 1;
	} else if (*i + 1 < argc && argv[*i + 1][0] != '-')
		value = argv[++*i];
	if (*arg == '\0')
		return scan_usage();
	return scan_add(a, arg, value, 0);
}

/* scan_parse_one - one known option, or a pass-through; EX_OK or usage */
static int
scan_parse_one(struct scan_args *a, int argc, char **argv, int *i)
{
	static const struct { const char *s, *l, *sane; char area; } dev[] = {
		{ NULL, "--source", "source", 0 },
		{ NULL, "--mode", "mode", 0 },
		{ NULL, "--resolution", "resolution", 0 },
		{ "-l", NULL, "tl-x", 0 }, { "-t", NULL, "tl-y", 0 },
		{ "-x", NULL, "br-x", 'x' }, { "-y", NULL, "br-y", 'y' },
	};
	const char *arg = argv[*i], *v;
	size_t k;

	for (k = 0; k < sizeof(dev) / sizeof(dev[0]); k++)
		if (scan_is(arg, dev[k].s, dev[k].l)) {
			if ((v = scan_value(argc, argv, i)) == NULL)
				return scan_usage();
			return scan_add(a, dev[k].sane, v, dev[k].area);
		}
	if (scan_is(arg, "-a", "--action") ||
	    scan_is(arg, "-d", "--device-name") ||
	    scan_is(arg, NULL, "--device") || scan_is(arg, NULL, "--name")) {
		if ((v = scan_value(argc, argv, i)) == NULL)
			return scan_usage();
		if (arg[1] == 'a' || strncmp(arg, "--a", 3) == 0)
			a->action = v;
		else if (arg[1] == 'd' || strncmp(arg, "--d", 3) == 0)
			a->device = v;
		else
			a->name = v;
		return EX_OK;
	}
	if (scan_is(arg, NULL, "--batch-count")) {
		if ((v = scan_value(argc, argv, i)) == NULL ||
		    !scan_count(v, &a->batch_count))
			return scan_usage();
		a->batch = 1;
		return EX_OK;
	}
	if (strcmp(arg, "-L") == 0 || strcmp(arg, "--list-devices") == 0)
		a->list = 1;
	else if (strcmp(arg, "-b") == 0 || strcmp(arg, "--batch") == 0)
		a->batch = 1;
	else if (strcmp(arg, "--dry-run") == 0)
		a->dry_run = 1;
	else if (strcmp(arg, "--json") == 0)
		a->json = 1;
	else if (strcmp(arg, "--keep-partial") == 0)
		a->keep_partial = 1;
	else if (strncmp(arg, "--", 2) == 0 && strcmp(arg, "--help") != 0)
		return scan_passthrough(a, argc, argv, i);
	else
		return scan_usage();
	return EX_OK;
}

/* scan_parse_args - every argument after "scan" */
int
scan_parse_args(int argc, char **argv, struct scan_args *a)
{
	const char *config = a->config;
	int i, rc;

	memset(a, 0, sizeof(*a));
	a->config = config;
	a->name = "scan";
	for (i = 1; i < argc; i++)
		if ((rc = scan_parse_one(a, argc, argv, &i)) != EX_OK)
			return rc;
	if (!a->list && a->action == NULL && !a->dry_run)
		return scan_usage();
	return EX_OK;
}

/* scan_free_args - the settings array */
void
scan_free_args(struct scan_args *a)
{
	free(a->set);
	a->set = NULL;
	a->nset = 0;
}

/* scan_find - an option's index and descriptor by name; 0 when none */
static SANE_Int
scan_find(SANE_Handle h, const char *name, const SANE_Option_Descriptor **dp)
{
	const SANE_Option_Descriptor *d;
	SANE_Int i, n = 0;

	/* option 0 is the number of options (the test backend refuses a
	 * GET_VALUE until a front end has read it) */
	if (sane_control_option(h, 0, SANE_ACTION_GET_VALUE, &n, NULL) !=
	    SANE_STATUS_GOOD)
		return 0;
	for (i = 1; i < n && (d = sane_get_option_descriptor(h, i)) != NULL;
	    i++)
		if (d->name != NULL && strcmp(d->name, name) == 0) {
			*dp = d;
			return i;
		}
	return 0;
}

/* scan_number - a number with an optional unit word after it */
static int
scan_number(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	return (*end == '\0' || strcmp(end, "dpi") == 0 ||
	    strcmp(end, "mm") == 0 || strcmp(end, "%") == 0) ? 0 : -1;
}

/* scan_bool - yes/no in scanimage's spellings; NULL is yes */
static int
scan_bool(const char *s, SANE_Word *w)
{
	if (s == NULL || strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") ==
	    0 || strcmp(s, "1") == 0)
		*w = SANE_TRUE;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
	    strcmp(s, "0") == 0)
		*w = SANE_FALSE;
	else
		return -1;
	return 0;
}

/* scan_word - value for an INT or FIXED option; area adds the tl side */
static int
scan_word(SANE_Handle h, const SANE_Option_Descriptor *d,
    const struct scan_setting *s, SANE_Word *w)
{
	const SANE_Option_Descriptor *td;
	SANE_Word tl = 0;
	SANE_Int ti;
	double v;

	if (s->value == NULL || scan_number(s->value, &v) < 0)
		return -1;
	if (s->area != 0 && (ti = scan_find(h, s->area == 'x' ? "tl-x" :
	    "tl-y", &td)) != 0 && td->type == d->type &&
	    sane_control_option(h, ti, SANE_ACTION_GET_VALUE, &tl, NULL) !=
	    SANE_STATUS_GOOD)
		return -1;
	*w = tl + (d->type == SANE_TYPE_FIXED ? SANE_FIX(v) : (SANE_Word)v);
	return 0;
}

/* scan_set_one - one setting on the device */
static int
scan_set_one(SANE_Handle h, const struct scan_setting *s)
{
	const SANE_Option_Descriptor *d;
	SANE_Word w = 0, *arr = NULL;
	char *str = NULL;
	void *val = &w;
	SANE_Status st;
	SANE_Int i, info, k;
	int bad = 0;

	if ((i = scan_find(h, s->name, &d)) == 0) {
		fprintf(stderr, "cloudspool: the device has no option "
		    "--%.64s\n", s->name);
		return EX_USAGE;
	}
	if (!SANE_OPTION_IS_ACTIVE(d->cap) ||
	    !SANE_OPTION_IS_SETTABLE(d->cap)) {
		fprintf(stderr, "cloudspool: option --%.64s is inactive or "
		    "read-only here (set --mode or --source first?)\n",
		    s->name);
		return EX_USAGE;
	}
	switch (d->type) {
	case SANE_TYPE_BOOL:
		bad = scan_bool(s->value, &w);
		break;
	case SANE_TYPE_INT:
	case SANE_TYPE_FIXED:
		if ((bad = scan_word(h, d, s, &w)) == 0 &&
		    d->size > (SANE_Int)sizeof(SANE_Word)) {
			/* a vector option: every element gets the value */
			if ((arr = calloc((size_t)d->size, 1)) == NULL)
				return EX_OSERR;
			for (k = 0; k < d->size /
			    (SANE_Int)sizeof(SANE_Word); k++)
				arr[k] = w;
			val = arr;
		}
		break;
	case SANE_TYPE_STRING:
		if (s->value == NULL || (SANE_Int)strlen(s->value) >= d->size ||
		    (str = calloc((size_t)d->size, 1)) == NULL) {
			bad = 1;
			break;
		}
		memcpy(str, s->value, strlen(s->value));
		val = str;
		break;
	case SANE_TYPE_BUTTON:
		val = NULL;
		break;
	default:
		bad = 1;
	}
	st = bad ? SANE_STATUS_INVAL : sane_control_option(h, i,
	    SANE_ACTION_SET_VALUE, val, &info);
	free(arr);
	free(str);
	if (st != SANE_STATUS_GOOD) {
		fprintf(stderr, "cloudspool: option --%.64s: %s '%.64s'\n",
		    s->name, bad ? "bad value" : sane_strstatus(st),
		    s->value != NULL ? s->value : "");
		return EX_USAGE;
	}
	return EX_OK;
}

/* scan_apply_settings - in command-line order */
int
scan_apply_settings(SANE_Handle h, const struct scan_args *a)
{
	size_t i;
	int rc;

	for (i = 0; i < a->nset; i++)
		if ((rc = scan_set_one(h, &a->set[i])) != EX_OK)
			return rc;
	return EX_OK;
}

/* scan_resolution - the "resolution" option, INT or FIXED */
unsigned
scan_resolution(SANE_Handle h)
{
	const SANE_Option_Descriptor *d;
	SANE_Word w;
	SANE_Int i;

	if ((i = scan_find(h, "resolution", &d)) == 0 ||
	    d->size != (SANE_Int)sizeof(SANE_Word) ||
	    sane_control_option(h, i, SANE_ACTION_GET_VALUE, &w, NULL) !=
	    SANE_STATUS_GOOD)
		return 0;
	if (d->type == SANE_TYPE_FIXED)
		return w > 0 ? (unsigned)(SANE_UNFIX(w) + 0.5) : 0;
	return d->type == SANE_TYPE_INT && w > 0 ? (unsigned)w : 0;
}
