/*
 * config_check.c - give the tokens config.c read from cloudspool.conf their
 * meaning: sections, names, keys, values, defaults, and the destination
 * each action names.
 *
 * The keys of [spool], [retention] and [action NAME] are tables in
 * config_keys.c, so a new key is one row. The provider keys of
 * [destination NAME] are checked by the provider's table, config_provider.c.
 * The first problem stops the check; its line and text go back to config.c.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE		/* reallocarray, strndup */
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"

#define CHECK_NAME_MAX		64	/* destination and action names */

struct check {
	struct cs_config *cfg;
	cs_result rc;
	unsigned *line;		/* where the first problem is */
	char *why;
	size_t whylen;
	const struct check_section *sect;	/* NULL before the first */
	const struct cs_setting *hdr;		/* its header token */
	unsigned spool_line, retention_line;	/* each section once */
	unsigned auth_line;
	unsigned *dline;	/* per action: line of its destination key */
};

/* check_error - keep the first problem and where it is */
static void __attribute__((format(printf, 4, 5)))
check_error(struct check *c, cs_result rc, unsigned line, const char *fmt,
    ...)
{
	va_list ap;

	if (c->rc != CS_OK)
		return;
	c->rc = rc;
	*c->line = line;
	va_start(ap, fmt);
	/* A truncated message still tells the administrator where to look. */
	(void)vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
}

/* check_nomem - record an allocation failure */
static void
check_nomem(struct check *c)
{
	check_error(c, CS_ERR_NOMEM, 0, "out of memory");
}

/* check_isspace - white space, whatever the locale */
static int
check_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* check_grow - arr with room for n + 1 elements, the last one zeroed */
static void *
check_grow(void *arr, size_t n, size_t size)
{
	char *a;

	if ((a = reallocarray(arr, n + 1, size)) == NULL)
		return NULL;
	memset(a + n * size, 0, size);
	return a;
}

/* check_set_string - replace *at (a default, say) with a copy of value */
static void
check_set_string(struct check *c, char **at, const char *value)
{
	char *s;

	if ((s = strdup(value)) == NULL) {
		check_nomem(c);
		return;
	}
	free(*at);
	*at = s;
}

/* check_set_list - replace *list with the blank-separated words of value */
static void
check_set_list(struct check *c, char ***list, size_t *n, const char *value)
{
	char **v = NULL, **nv;
	const char *s = value;
	size_t i, cnt = 0, len;

	for (;;) {
		while (check_isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		for (len = 0; s[len] != '\0' &&
		    !check_isspace((unsigned char)s[len]); len++)
			continue;
		if ((nv = reallocarray(v, cnt + 1, sizeof(*v))) == NULL)
			goto nomem;
		v = nv;
		if ((v[cnt] = strndup(s, len)) == NULL)
			goto nomem;
		cnt++;
		s += len;
	}
	for (i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = v;
	*n = cnt;
	return;
nomem:
	for (i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	check_nomem(c);
}

/* check_word - 0 when value suits string field f, else say why */
static int
check_word(struct check *c, const struct check_field *f, const char *value,
    unsigned line)
{
	const char *s;

	if (f->type == CHECK_TEXT)
		return 0;
	if (*value == '\0') {
		check_error(c, CS_ERR_CONFIG, line, "empty value for %s",
		    f->key);
		return -1;
	}
	if (f->type == CHECK_PATH && *value != '/') {
		check_error(c, CS_ERR_CONFIG, line, "%s '%s' must be an "
		    "absolute path", f->key, value);
		return -1;
	}
	for (s = value; f->type == CHECK_WORD && *s != '\0'; s++) {
		if (!check_isspace((unsigned char)*s))
			continue;
		check_error(c, CS_ERR_CONFIG, line, "bad value '%s' for %s "
		    "(one name, no blanks)", value, f->key);
		return -1;
	}
	return 0;
}

/* check_count - a plain decimal number: digits only, no unit */
static cs_result
check_count(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull alone would take blanks, a sign, and "-1" as huge. */
	if (*s < '0' || *s > '9')
		return CS_ERR_INVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return CS_ERR_INVAL;
	if (errno == ERANGE || v > UINT64_MAX)
		return CS_ERR_TOOBIG;
	*out = v;
	return CS_OK;
}

/* check_set_number - parse a size, count or duration into its field */
static void
check_set_number(struct check *c, void *base, const struct check_field *f,
    const char *value, unsigned line)
{
	static const char *const what[] = {
		[CHECK_SIZE] = "size",
		[CHECK_COUNT] = "integer",
		[CHECK_DURATION] = "duration",
	};
	static const char *const hint[] = {
		[CHECK_SIZE] = "use e.g. 512K, 256M, 2G",
		[CHECK_COUNT] = "use a whole number, e.g. 100",
		[CHECK_DURATION] = "use e.g. 90s, 30m, 24h, 2d",
	};
	uint64_t v = 0;
	cs_result r;

	if (f->type == CHECK_SIZE)
		r = cs_parse_size(value, &v);
	else if (f->type == CHECK_DURATION)
		r = cs_parse_duration(value, &v);
	else
		r = check_count(value, &v);
	if (r == CS_ERR_TOOBIG)
		check_error(c, CS_ERR_CONFIG, line, "%s '%s' for %s is too "
		    "large", what[f->type], value, f->key);
	else if (r != CS_OK)
		check_error(c, CS_ERR_CONFIG, line, "bad %s '%s' for %s (%s)",
		    what[f->type], value, f->key, hint[f->type]);
	else if (v < f->min)
		check_error(c, CS_ERR_CONFIG, line, "%s must be at least "
		    "%" PRIu64 "%s", f->key, f->min,
		    f->type == CHECK_DURATION ? "s" : "");
	else if (f->max != 0 && v > f->max)
		check_error(c, CS_ERR_CONFIG, line, "%s must be at most "
		    "%" PRIu64, f->key, f->max);
	else
		*(uint64_t *)(void *)((char *)base + f->off) = v;
}

/* check_set_filter - a processing key: yes/no, blank level, barcode
 * text or OCR languages */
static void
check_set_filter(struct check *c, void *base, const struct check_field *f,
    const char *value, unsigned line)
{
	char *at = (char *)base + f->off;
	int yes = 0, isyesno = cs_config_parse_yesno(value, &yes) == CS_OK;
	uint64_t level;

	if (f->type == CHECK_YESNO && isyesno) {
		*(int *)(void *)at = yes;
	} else if (f->type == CHECK_BLANK && (isyesno ||
	    (check_count(value, &level) == CS_OK && level >= 1 &&
	    level <= 10000))) {
		*(uint64_t *)(void *)at = isyesno ? (yes ?
		    CS_FILTER_BLANK_LEVEL : 0) : level;
	} else if (f->type == CHECK_BARCODE && *value != '\0' &&
	    strlen(value) < 128) {
		if (!isyesno || yes)
			check_set_string(c, (char **)(void *)at, isyesno ?
			    "PATCHT" : value);
	} else if (f->type == CHECK_LANG && cs_config_ocr_ok(value)) {
		check_set_string(c, (char **)(void *)at, value);
	} else if (f->type == CHECK_PAGECOMP && (strcmp(value, "none") == 0 ||
	    strcmp(value, "lossless") == 0 || strcmp(value, "jpeg") == 0)) {
		*(int *)(void *)at = value[0] == 'n' ? CS_PAGE_COMP_NONE :
		    value[0] == 'j' ? CS_PAGE_COMP_JPEG : CS_PAGE_COMP_LOSSLESS;
	} else {
		check_error(c, CS_ERR_CONFIG, line, "bad value '%s' for %s "
		    "(%s)", value, f->key, f->type == CHECK_YESNO ? "yes or "
		    "no" : f->type == CHECK_BLANK ? "yes, no or a level "
		    "1-10000" : f->type == CHECK_BARCODE ? "yes, no or the "
		    "separator's text" : f->type == CHECK_PAGECOMP ? "none, "
		    "lossless or jpeg" : "languages like eng or eng+deu");
	}
}

/* check_set_field - check value and store it in base's field f */
static void
check_set_field(struct check *c, void *base, const struct check_field *f,
    const char *value, unsigned line)
{
	char *at = (char *)base + f->off;

	switch (f->type) {
	case CHECK_TEXT:
	case CHECK_LINE:
	case CHECK_WORD:
	case CHECK_PATH:
		if (check_word(c, f, value, line) == 0)
			check_set_string(c, (char **)(void *)at, value);
		break;
	case CHECK_YESNO:
	case CHECK_BLANK:
	case CHECK_BARCODE:
	case CHECK_LANG:
	case CHECK_PAGECOMP:
		check_set_filter(c, base, f, value, line);
		break;
	case CHECK_LIST:
		check_set_list(c, (char ***)(void *)at,
		    (size_t *)(void *)((char *)base + f->noff), value);
		break;
	default:
		check_set_number(c, base, f, value, line);
		break;
	}
}

/* check_find - the first token with key in [from, to), or NULL */
static const struct cs_setting *
check_find(const struct cs_setting *from, const struct cs_setting *to,
    const char *key)
{
	for (; from < to; from++)
		if (strcmp(from->key, key) == 0)
			return from;
	return NULL;
}

/* check_add_setting - keep a provider key of the current destination */
static void
check_add_setting(struct check *c, const struct cs_setting *t)
{
	struct cs_destination *d =
	    &c->cfg->destinations[c->cfg->ndestinations - 1];
	struct cs_setting *s;

	if (strcmp(t->key, "provider") == 0) {
		check_set_string(c, &d->provider, t->value);
		return;
	}
	if ((s = check_grow(d->settings, d->nsettings, sizeof(*s))) == NULL) {
		check_nomem(c);
		return;
	}
	d->settings = s;
	s = &s[d->nsettings++];
	s->line = t->line;
	if ((s->key = strdup(t->key)) == NULL ||
	    (s->value = strdup(t->value)) == NULL)
		check_nomem(c);
}

/* check_key - apply key token t to the current section */
static void
check_key(struct check *c, const struct cs_setting *t)
{
	const struct cs_setting *prev;
	const struct check_field *f = NULL;
	struct cs_config *cfg = c->cfg;
	void *base = cfg;
	size_t i;

	if (c->sect == NULL) {
		check_error(c, CS_ERR_CONFIG, t->line, "key '%s' outside any "
		    "section", t->key);
		return;
	}
	if ((prev = check_find(c->hdr + 1, t, t->key)) != NULL) {
		check_error(c, CS_ERR_CONFIG, t->line, "duplicate key '%s' in "
		    "[%s] (first at line %u)", t->key, c->hdr->value,
		    prev->line);
		return;
	}
	/* Provider keys are checked once the provider is known. */
	if (c->sect->kind == CHECK_DESTINATION) {
		check_add_setting(c, t);
		return;
	}
	if (c->sect->kind == CHECK_AUTHORIZATION) {
		char bad[200];

		if (config_auth_key(&cfg->auth, t->key, t->value, bad,
		    sizeof(bad)) != 0)
			check_error(c, CS_ERR_CONFIG, t->line, "%s", bad);
		return;
	}
	if (c->sect->kind == CHECK_ACTION)
		base = &cfg->actions[cfg->nactions - 1];
	for (i = 0; i < c->sect->nfields && f == NULL; i++)
		if (strcmp(c->sect->fields[i].key, t->key) == 0)
			f = &c->sect->fields[i];
	if (f == NULL)
		check_error(c, CS_ERR_CONFIG, t->line, "unknown key '%s' in "
		    "[%s]", t->key, c->hdr->value);
	else
		check_set_field(c, base, f, t->value, t->line);
}

/* check_name_ok - 1 when name is [A-Za-z0-9_.-]{1,64} */
static int
check_name_ok(const char *name)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-";
	size_t len = strlen(name);

	return len > 0 && len <= CHECK_NAME_MAX && strspn(name, ok) == len;
}

/* check_new_destination - append a destination called name */
static void
check_new_destination(struct check *c, const char *name)
{
	struct cs_config *cfg = c->cfg;
	struct cs_destination *d;

	d = check_grow(cfg->destinations, cfg->ndestinations, sizeof(*d));
	if (d == NULL) {
		check_nomem(c);
		return;
	}
	cfg->destinations = d;
	d = &d[cfg->ndestinations++];
	d->line = c->hdr->line;
	if ((d->name = strdup(name)) == NULL)
		check_nomem(c);
}

/* check_new_action - append an action called name */
static void
check_new_action(struct check *c, const char *name)
{
	struct cs_config *cfg = c->cfg;
	struct cs_action *a;
	unsigned *dl;

	if ((dl = check_grow(c->dline, cfg->nactions, sizeof(*dl))) == NULL) {
		check_nomem(c);
		return;
	}
	c->dline = dl;
	if ((a = check_grow(cfg->actions, cfg->nactions, sizeof(*a))) == NULL) {
		check_nomem(c);
		return;
	}
	cfg->actions = a;
	a = &a[cfg->nactions++];
	a->line = c->hdr->line;
	if ((a->name = strdup(name)) == NULL)
		check_nomem(c);
}

/* check_new_named - start [destination NAME] or [action NAME], once */
static void
check_new_named(struct check *c, const char *name)
{
	const struct cs_config *cfg = c->cfg;
	unsigned first = 0;
	size_t i;

	if (c->sect->kind == CHECK_DESTINATION) {
		for (i = 0; i < cfg->ndestinations; i++)
			if (strcmp(cfg->destinations[i].name, name) == 0)
				first = cfg->destinations[i].line;
	} else {
		for (i = 0; i < cfg->nactions; i++)
			if (strcmp(cfg->actions[i].name, name) == 0)
				first = cfg->actions[i].line;
	}
	if (first != 0)
		check_error(c, CS_ERR_CONFIG, c->hdr->line, "duplicate %s '%s' "
		    "(first at line %u)", c->sect->word, name, first);
	else if (c->sect->kind == CHECK_DESTINATION)
		check_new_destination(c, name);
	else
		check_new_action(c, name);
}

/* check_section - begin the section of header token t: "[word name]" */
static void
check_section(struct check *c, const struct cs_setting *t)
{
	const char *name;
	size_t i, wlen;
	unsigned *first;

	wlen = strcspn(t->value, " \t\n\r\v\f");
	for (name = t->value + wlen; check_isspace((unsigned char)*name);)
		name++;
	c->sect = NULL;
	c->hdr = t;
	for (i = 0; i < check_nsections; i++)
		if (strlen(check_sections[i].word) == wlen &&
		    strncmp(check_sections[i].word, t->value, wlen) == 0)
			c->sect = &check_sections[i];
	if (c->sect == NULL) {
		check_error(c, CS_ERR_CONFIG, t->line, "unknown section [%s]",
		    t->value);
		return;
	}
	if (c->sect->kind == CHECK_SPOOL || c->sect->kind == CHECK_RETENTION ||
	    c->sect->kind == CHECK_AUTHORIZATION) {
		first = c->sect->kind == CHECK_SPOOL ? &c->spool_line :
		    c->sect->kind == CHECK_RETENTION ? &c->retention_line :
		    &c->auth_line;
		c->cfg->auth.present |= c->sect->kind == CHECK_AUTHORIZATION;
		if (*name != '\0')
			check_error(c, CS_ERR_CONFIG, t->line, "section [%s] "
			    "takes no name", c->sect->word);
		else if (*first != 0)
			check_error(c, CS_ERR_CONFIG, t->line, "duplicate "
			    "section [%s] (first at line %u)", c->sect->word,
			    *first);
		*first = t->line;
	} else if (*name == '\0')
		check_error(c, CS_ERR_CONFIG, t->line, "section [%s] needs a "
		    "name, e.g. [%s scans]", c->sect->word, c->sect->word);
	else if (!check_name_ok(name))
		check_error(c, CS_ERR_CONFIG, t->line, "bad %s name '%s' (use "
		    "1 to %d of A-Z a-z 0-9 _ . -)", c->sect->word, name,
		    CHECK_NAME_MAX);
	else
		check_new_named(c, name);
}

/* check_section_end - checks on the section as a whole, up to end */
static void
check_section_end(struct check *c, const struct cs_setting *end)
{
	const struct cs_setting *t;
	struct cs_config *cfg = c->cfg;
	cs_result r;
	size_t n;

	if (c->sect == NULL || c->rc != CS_OK)
		return;
	if (c->sect->kind == CHECK_RETENTION &&
	    cfg->retry_initial > cfg->retry_max) {
		/* blame retry_initial, unless only retry_max was set here */
		t = check_find(c->hdr + 1, end, "retry_initial");
		if (t == NULL)
			t = check_find(c->hdr + 1, end, "retry_max");
		check_error(c, CS_ERR_CONFIG, t != NULL ? t->line :
		    c->hdr->line, "retry_initial (%" PRIu64 "s) must not "
		    "exceed retry_max (%" PRIu64 "s)", cfg->retry_initial,
		    cfg->retry_max);
	} else if (c->sect->kind == CHECK_DESTINATION) {
		t = check_find(c->hdr + 1, end, "provider");
		r = config_provider_check(
		    &cfg->destinations[cfg->ndestinations - 1],
		    t != NULL ? t->line : 0, c->line, c->why, c->whylen);
		if (r != CS_OK)
			c->rc = r;
	} else if (c->sect->kind == CHECK_AUTHORIZATION) {
		char bad[200];

		if (config_auth_check(&cfg->auth, bad, sizeof(bad)) != 0)
			check_error(c, CS_ERR_CONFIG, c->hdr->line, "%s", bad);
	} else if (c->sect->kind == CHECK_ACTION) {
		n = cfg->nactions - 1;
		if ((t = check_find(c->hdr + 1, end, "destination")) == NULL)
			check_error(c, CS_ERR_CONFIG, c->hdr->line, "action "
			    "'%s' has no destination", cfg->actions[n].name);
		else
			c->dline[n] = t->line;
		/* a quality for lossless pages would be silently ignored */
		t = check_find(c->hdr + 1, end, "page_quality");
		if (t != NULL && c->rc == CS_OK &&
		    cfg->actions[n].page_compression != CS_PAGE_COMP_JPEG)
			check_error(c, CS_ERR_CONFIG, t->line, "page_quality "
			    "needs page_compression = jpeg");
	}
}

/* check_defaults - what an absent key means (see config.h) */
static void
check_defaults(struct check *c)
{
	struct cs_config *cfg = c->cfg;

	cfg->max_job_size = UINT64_C(256) << 20;
	cfg->max_jobs_per_user = 100;
	cfg->max_pages = 1000;
	cfg->min_free_space = UINT64_C(64) << 20;
	cfg->tick = 5;
	/* one filter process per core: OCR is CPU-bound */
	cfg->workers = sysconf(_SC_NPROCESSORS_ONLN) > 0 ?
	    (uint64_t)sysconf(_SC_NPROCESSORS_ONLN) : 1;
	cfg->authorization_hold = 24 * 3600;
	cfg->delivery_window = 24 * 3600;
	cfg->key_rotation = 24 * 3600;
	cfg->retry_initial = 60;
	cfg->retry_max = 3600;
	cfg->stale_incoming = 3600;
	check_set_string(c, &cfg->spool_dir, "/var/spool/cloudspool");
	check_set_string(c, &cfg->daemon_user, "cloudspool");
	check_set_string(c, &cfg->drop_group, "cloudspool-drop");
	check_set_list(c, &cfg->trusted_submitters, &cfg->ntrusted, "root lp");
}

/* check_resolve - point each action at the destination it names */
static void
check_resolve(struct check *c)
{
	struct cs_config *cfg = c->cfg;
	struct cs_action *a;
	size_t i, j;

	for (i = 0; i < cfg->nactions && c->rc == CS_OK; i++) {
		a = &cfg->actions[i];
		for (j = 0; j < cfg->ndestinations; j++)
			if (strcmp(cfg->destinations[j].name,
			    a->destination_name) == 0)
				a->destination = &cfg->destinations[j];
		if (a->destination == NULL)
			check_error(c, CS_ERR_CONFIG, c->dline[i], "action "
			    "'%s' names undefined destination '%s'", a->name,
			    a->destination_name);
	}
}

/* check_fallbacks - an smtp destination's fallback must name another
 * destination that is not smtp (it takes what mail cannot carry) */
static void
check_fallbacks(struct check *c)
{
	struct cs_config *cfg = c->cfg;
	const struct cs_destination *d, *f;
	size_t i, j, k;

	for (i = 0; i < cfg->ndestinations && c->rc == CS_OK; i++) {
		d = &cfg->destinations[i];
		for (k = 0; k < d->nsettings; k++)
			if (strcmp(d->settings[k].key, "fallback") == 0)
				break;
		if (k == d->nsettings)
			continue;
		f = NULL;
		for (j = 0; j < cfg->ndestinations; j++)
			if (strcmp(cfg->destinations[j].name,
			    d->settings[k].value) == 0)
				f = &cfg->destinations[j];
		if (f == NULL)
			check_error(c, CS_ERR_CONFIG, d->settings[k].line,
			    "fallback '%s' of [destination %s] is not a "
			    "destination", d->settings[k].value, d->name);
		else if (f == d || strcmp(f->provider, "smtp") == 0)
			check_error(c, CS_ERR_CONFIG, d->settings[k].line,
			    "fallback '%s' of [destination %s] must not be an "
			    "smtp destination", f->name, d->name);
	}
}

/* config_check_build - fill cfg from tokens; else the first problem */
cs_result
config_check_build(struct cs_config *cfg, const struct cs_setting *tok,
    size_t ntok, unsigned *line, char *why, size_t whylen)
{
	struct check c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.line = line;
	c.why = why;
	c.whylen = whylen;
	*line = 0;
	if (whylen > 0)
		why[0] = '\0';
	check_defaults(&c);
	for (i = 0; i < ntok && c.rc == CS_OK; i++) {
		if (tok[i].key != NULL) {
			check_key(&c, &tok[i]);
			continue;
		}
		check_section_end(&c, &tok[i]);
		if (c.rc == CS_OK)
			check_section(&c, &tok[i]);
	}
	check_section_end(&c, tok + ntok);
	check_resolve(&c);
	check_fallbacks(&c);
	free(c.dline);
	return c.rc;
}
