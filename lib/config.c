/*
 * config.c - read /etc/cloudspool/cloudspool.conf, free it, answer
 * questions about it (which action, which setting, who may use what), and
 * parse the size and duration syntaxes it shares with command lines.
 *
 * The file decides who may send documents where, so a typo must never turn
 * quietly into a default: unknown sections and keys, bad values, duplicates
 * and dangling references are all errors naming FILE:LINE.
 *
 * Loading has two steps. Here libinih turns the text into tokens (struct
 * cs_setting; a section header is a token with key NULL and the text between
 * the brackets as value), then config_check.c gives them meaning. The
 * packaged inih (55) calls its handler without a line number, truncates
 * section names to 49 bytes (a 64-byte destination name would not fit),
 * never reports a section without keys, and parses the tail of a line longer
 * than its buffer as a line of its own. So inih reads through config_read
 * (ini_parse_stream), which counts lines, refuses over-long ones and records
 * section headers itself; the handler only sees keys. An indented line after
 * a key continues its value (inih follows Python's configparser there); the
 * pieces are joined with a space, so a long users list may wrap.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE		/* reallocarray, strndup, getgrouplist */
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <ini.h>

#include "config_int.h"

#define CONFIG_NSS_BUFMAX	(1024 * 1024)	/* largest passwd/group entry */
#define CONFIG_GROUPS_MAX	65536		/* most groups of one user */

struct config_read {
	const char *path;
	FILE *fp;
	char *err;
	size_t errlen;
	cs_result rc;		/* first failure: reading stops there */
	unsigned errline;	/* its line, to order it against inih's */
	unsigned line;		/* of the line config_read returned last */
	int indented;		/* that line began with white space */
	int after_key;		/* inih continues values only after a key */
	struct cs_setting *tok;
	size_t ntok;
};

/* config_error - keep the first problem as "FILE:LINE: problem" */
static void __attribute__((format(printf, 4, 5)))
config_error(struct config_read *r, cs_result rc, unsigned line,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->rc != CS_OK)
		return;
	r->rc = rc;
	r->errline = line;
	if (r->err == NULL || r->errlen == 0)
		return;
	if (line > 0)
		n = snprintf(r->err, r->errlen, "%s:%u: ", r->path, line);
	else
		n = snprintf(r->err, r->errlen, "%s: ", r->path);
	if (n < 0 || (size_t)n >= r->errlen)
		return;
	/* A truncated message still tells the administrator where to look. */
	va_start(ap, fmt);
	(void)vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* config_isspace - white space as inih sees it, whatever the locale */
static int
config_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* config_skip - s past leading white space */
static const char *
config_skip(const char *s)
{
	while (config_isspace((unsigned char)*s))
		s++;
	return s;
}

/* config_token - append a token; key NULL marks a section header */
static void
config_token(struct config_read *r, const char *key, const char *value,
    size_t vlen)
{
	struct cs_setting *t;

	if ((t = reallocarray(r->tok, r->ntok + 1, sizeof(*t))) == NULL) {
		config_error(r, CS_ERR_NOMEM, 0, "out of memory");
		return;
	}
	r->tok = t;
	t = &t[r->ntok++];
	t->line = r->line;
	t->key = NULL;
	t->value = strndup(value, vlen);
	if (t->value == NULL || (key != NULL && (t->key = strdup(key)) == NULL))
		config_error(r, CS_ERR_NOMEM, 0, "out of memory");
}

/* config_header - record a section header line as inih will read it */
static void
config_header(struct config_read *r, const char *s)
{
	const char *e, *rest;
	int was_space = 0;

	/* Where inih looks for ']': an inline " ;" comment ends the search. */
	for (e = s + 1; *e != '\0' && *e != ']'; e++) {
		if (was_space && *e == ';')
			break;
		was_space = config_isspace((unsigned char)*e);
	}
	if (*e != ']') {
		config_error(r, CS_ERR_CONFIG, r->line, "section header "
		    "without ']'");
		return;
	}
	/* inih ignores what follows ']'; a stray word there is a mistake. */
	rest = config_skip(e + 1);
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		config_error(r, CS_ERR_CONFIG, r->line, "unexpected text after "
		    "section header: '%.*s'", (int)strcspn(rest, "\r\n"),
		    rest);
		return;
	}
	s = config_skip(s + 1);
	while (e > s && config_isspace((unsigned char)e[-1]))
		e--;
	config_token(r, NULL, s, (size_t)(e - s));
	r->after_key = 0;
}

/* config_line - note indentation; catch a section header before inih */
static void
config_line(struct config_read *r, const char *buf)
{
	const unsigned char *u = (const unsigned char *)buf;
	const char *s = buf;

	if (r->line == 1 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		s += 3;		/* inih skips a UTF-8 byte order mark */
	r->indented = config_isspace((unsigned char)*s);
	s = config_skip(s);
	/* inih reads an indented line after a key as more of its value. */
	if (*s == '[' && !(r->indented && r->after_key))
		config_header(r, s);
}

/* config_read - ini_reader: one line, counted, at most len - 2 bytes */
static char *
config_read(char *buf, int len, void *arg)
{
	struct config_read *r = arg;
	size_t n = 0;
	int c;

	if (r->rc != CS_OK || len < 3)
		return NULL;
	while ((c = getc(r->fp)) != EOF) {
		if (c == '\0' || (c != '\n' && n >= (size_t)len - 2)) {
			/* inih would read the rest as a line of its own */
			config_error(r, CS_ERR_CONFIG, r->line + 1, c != '\0' ?
			    "line longer than %d bytes" : "NUL byte in line",
			    len - 2);
			return NULL;
		}
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (ferror(r->fp)) {
		config_error(r, CS_ERR_IO, 0, "read error: %s",
		    strerror(errno));
		return NULL;
	}
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	r->line++;
	config_line(r, buf);
	return r->rc == CS_OK ? buf : NULL;
}

/* config_handler - ini_handler: a key, or the continuation of the last */
static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct config_read *r = arg;
	struct cs_setting *t;
	size_t olen, vlen;
	char *v;

	(void)section;		/* truncated by inih; config_line tracks it */
	if (r->rc != CS_OK)
		return 0;
	if (!(r->indented && r->after_key)) {
		config_token(r, name, value, strlen(value));
		r->after_key = 1;
		return r->rc == CS_OK;
	}
	t = &r->tok[r->ntok - 1];
	olen = strlen(t->value);
	vlen = strlen(value);
	if ((v = realloc(t->value, olen + vlen + 2)) == NULL) {
		config_error(r, CS_ERR_NOMEM, 0, "out of memory");
		return 0;
	}
	v[olen] = ' ';
	memcpy(v + olen + 1, value, vlen + 1);
	t->value = v;
	return 1;
}

/* config_open - open path without blocking on a FIFO; a regular file only */
static void
config_open(struct config_read *r)
{
	struct stat st;
	int fd, e;

	fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		config_error(r, e == ENOENT ? CS_ERR_NOTFOUND : CS_ERR_IO, 0,
		    "cannot open: %s", strerror(e));
		return;
	}
	if (fstat(fd, &st) != 0) {
		config_error(r, CS_ERR_IO, 0, "cannot stat: %s",
		    strerror(errno));
		(void)close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		config_error(r, CS_ERR_CONFIG, 0, "not a regular file");
		(void)close(fd);
		return;
	}
	if ((r->fp = fdopen(fd, "r")) == NULL) {
		config_error(r, CS_ERR_NOMEM, 0, "out of memory");
		(void)close(fd);
	}
}

/* config_syntax - turn inih's verdict into an error, the earliest first */
static void
config_syntax(struct config_read *r, int ret)
{
	if (ret == -2)
		config_error(r, CS_ERR_NOMEM, 0, "out of memory");
	if (ret <= 0)
		return;
	/* inih goes on past a bad line; config_read stops at its own. */
	if (r->rc != CS_OK &&
	    (r->rc != CS_ERR_CONFIG || (unsigned)ret >= r->errline))
		return;
	r->rc = CS_OK;
	config_error(r, CS_ERR_CONFIG, (unsigned)ret, "syntax error (expected "
	    "[section], key = value or a comment)");
}

/* cs_config_load - parse and validate path into cfg (zeroed first) */
cs_result
cs_config_load(const char *path, struct cs_config *cfg, char *err,
    size_t errlen)
{
	struct config_read r;
	char why[256];
	unsigned line = 0;
	cs_result rc;
	size_t i;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || cfg == NULL)
		return CS_ERR_INVAL;
	memset(cfg, 0, sizeof(*cfg));
	memset(&r, 0, sizeof(r));
	r.path = path;
	r.err = err;
	r.errlen = errlen;
	config_open(&r);
	if (r.rc == CS_OK)
		config_syntax(&r, ini_parse_stream(config_read, &r,
		    config_handler, &r));
	if (r.rc == CS_OK && (cfg->path = strdup(path)) == NULL)
		config_error(&r, CS_ERR_NOMEM, 0, "out of memory");
	if (r.rc == CS_OK) {
		rc = config_check_build(cfg, r.tok, r.ntok, &line, why,
		    sizeof(why));
		if (rc != CS_OK)
			config_error(&r, rc, line, "%s", why);
	}
	/* Nothing was written through fp, so closing it cannot lose data. */
	if (r.fp != NULL)
		(void)fclose(r.fp);
	for (i = 0; i < r.ntok; i++) {
		free(r.tok[i].key);
		free(r.tok[i].value);
	}
	free(r.tok);
	if (r.rc != CS_OK)
		cs_config_free(cfg);
	return r.rc;
}

/* config_digits - the decimal number at s; *end is what follows it */
static cs_result
config_digits(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	int over = 0;

	/* By hand: strtoull would take blanks, a sign, and "-1" as huge. */
	for (*end = s; **end >= '0' && **end <= '9'; (*end)++) {
		if (v > (UINT64_MAX - (uint64_t)(**end - '0')) / 10)
			over = 1;
		v = v * 10 + (uint64_t)(**end - '0');
	}
	if (*end == s)
		return CS_ERR_INVAL;
	*out = v;
	return over ? CS_ERR_TOOBIG : CS_OK;
}

/* config_scaled - a number and an optional unit, times the unit's factor */
static cs_result
config_scaled(const char *s, const char *units, const uint64_t *factor,
    int trailing_b, uint64_t *out)
{
	const char *end, *u;
	uint64_t v = 0, f = 1;
	cs_result r;

	if (s == NULL || out == NULL)
		return CS_ERR_INVAL;
	r = config_digits(s, &v, &end);
	if (r == CS_ERR_INVAL)
		return r;
	if (*end != '\0' && (u = strchr(units, *end)) != NULL) {
		/* units lists each unit twice, lower then upper case */
		f = factor[(size_t)(u - units) % (strlen(units) / 2)];
		end++;
	}
	if (trailing_b && (*end == 'b' || *end == 'B'))
		end++;
	if (*end != '\0')
		return CS_ERR_INVAL;
	if (r == CS_ERR_TOOBIG || v > UINT64_MAX / f)
		return CS_ERR_TOOBIG;
	*out = v * f;
	return CS_OK;
}

/* cs_parse_size - "123", "64K", "200M", "2G" (binary units) into bytes */
cs_result
cs_parse_size(const char *s, uint64_t *out)
{
	static const uint64_t f[] = {
		UINT64_C(1) << 10, UINT64_C(1) << 20, UINT64_C(1) << 30,
		UINT64_C(1) << 40
	};

	return config_scaled(s, "kmgtKMGT", f, 1, out);
}

/* cs_parse_duration - "90", "90s", "30m", "24h", "2d" into seconds */
cs_result
cs_parse_duration(const char *s, uint64_t *out)
{
	static const uint64_t f[] = { 1, 60, 3600, 86400 };

	return config_scaled(s, "smhdSMHD", f, 0, out);
}

/* config_free_list - free n strings and their array */
static void
config_free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* cs_config_free - release everything cs_config_load allocated */
void
cs_config_free(struct cs_config *cfg)
{
	struct cs_destination *d;
	struct cs_action *a;
	size_t i, j;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->spool_dir);
	free(cfg->daemon_user);
	free(cfg->drop_group);
	config_free_list(cfg->trusted_submitters, cfg->ntrusted);
	for (i = 0; i < cfg->ndestinations; i++) {
		d = &cfg->destinations[i];
		free(d->name);
		free(d->provider);
		for (j = 0; j < d->nsettings; j++) {
			free(d->settings[j].key);
			free(d->settings[j].value);
		}
		free(d->settings);
	}
	free(cfg->destinations);
	for (i = 0; i < cfg->nactions; i++) {
		a = &cfg->actions[i];
		free(a->name);
		free(a->description);
		free(a->destination_name);
		free(a->device);
		free(a->split_barcode);
		free(a->ocr);
		config_free_list(a->users, a->nusers);
		config_free_list(a->groups, a->ngroups);
	}
	free(cfg->actions);
	config_auth_free(&cfg->auth);
	memset(cfg, 0, sizeof(*cfg));
}

/* config_listed - 1 when name is one of the n strings in list */
static int
config_listed(char *const *list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

/* cs_config_action - the action named name, or NULL */
const struct cs_action *
cs_config_action(const struct cs_config *cfg, const char *name)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->nactions; i++)
		if (strcmp(cfg->actions[i].name, name) == 0)
			return &cfg->actions[i];
	return NULL;
}

/* cs_destination_get - a provider setting's value, or NULL when unset */
const char *
cs_destination_get(const struct cs_destination *d, const char *key)
{
	size_t i;

	if (d == NULL || key == NULL)
		return NULL;
	for (i = 0; i < d->nsettings; i++)
		if (strcmp(d->settings[i].key, key) == 0)
			return d->settings[i].value;
	return NULL;
}

/* cs_config_is_trusted - 1 when user may submit on behalf of others */
int
cs_config_is_trusted(const struct cs_config *cfg, const char *user)
{
	if (cfg == NULL || user == NULL)
		return 0;
	return config_listed(cfg->trusted_submitters, cfg->ntrusted, user);
}

/* config_user_gid - user's primary group, through NSS */
static int
config_user_gid(const char *user, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL, *nbuf;
	size_t len;
	int e = ERANGE;

	for (len = 1024; e == ERANGE && len <= CONFIG_NSS_BUFMAX; len *= 2) {
		if ((nbuf = realloc(buf, len)) == NULL)
			break;
		buf = nbuf;
		e = getpwnam_r(user, &pw, buf, len, &res);
	}
	if (e == 0 && res != NULL)
		*gid = pw.pw_gid;
	free(buf);
	return e == 0 && res != NULL ? 0 : -1;
}

/* config_group_listed - 1 when group gid's name is among a's groups */
static int
config_group_listed(const struct cs_action *a, gid_t gid)
{
	struct group gr, *res = NULL;
	char *buf = NULL, *nbuf;
	size_t len;
	int e = ERANGE, found = 0;

	for (len = 1024; e == ERANGE && len <= CONFIG_NSS_BUFMAX; len *= 2) {
		if ((nbuf = realloc(buf, len)) == NULL)
			break;
		buf = nbuf;
		e = getgrgid_r(gid, &gr, buf, len, &res);
	}
	if (e == 0 && res != NULL)
		found = config_listed(a->groups, a->ngroups, gr.gr_name);
	free(buf);
	return found;
}

/* config_user_groups - user's primary and supplementary groups, or NULL */
static gid_t *
config_user_groups(const char *user, gid_t primary, int *ngroups)
{
	gid_t *gids = NULL, *ng;
	int n = 32, want;

	while (n <= CONFIG_GROUPS_MAX) {
		if ((ng = reallocarray(gids, (size_t)n, sizeof(*ng))) == NULL)
			break;
		gids = ng;
		want = n;
		if (getgrouplist(user, primary, gids, &want) >= 0) {
			*ngroups = want;
			return gids;
		}
		/* glibc says how many it needs; others may not */
		n = want > n ? want : n * 2;
	}
	free(gids);
	return NULL;
}

/* cs_action_permits - 1 when user may use the action, 0 otherwise */
int
cs_action_permits(const struct cs_action *a, const char *user)
{
	gid_t primary, *gids;
	int i, n = 0, ok = 0;

	/* Neither users nor groups permits nobody: a way to switch off. */
	if (a == NULL || user == NULL)
		return 0;
	if (config_listed(a->users, a->nusers, "*") ||
	    config_listed(a->users, a->nusers, user))
		return 1;
	if (a->ngroups == 0 || config_user_gid(user, &primary) != 0)
		return 0;
	/* An NSS failure denies: the safe answer for a permission check. */
	if ((gids = config_user_groups(user, primary, &n)) == NULL)
		return 0;
	for (i = 0; i < n && !ok; i++)
		ok = config_group_listed(a, gids[i]);
	free(gids);
	return ok;
}
