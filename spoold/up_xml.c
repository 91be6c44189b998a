/*
 * up_xml.c - element lookup by local name in small machine-made XML
 * answers (see up_xml.h).
 */
#include <string.h>

#include "up_xml.h"

/* up_xml_open_tag - does [p, end) start a tag <prefix:local ...> or
 * <local ...>? Returns the position past '>' or NULL */
static const char *
up_xml_open_tag(const char *p, const char *end, const char *local)
{
	const char *q = p + 1, *colon = NULL, *name;
	size_t n = strlen(local);

	if (*p != '<' || q >= end || *q == '/' || *q == '?' || *q == '!')
		return NULL;
	for (name = q; q < end && *q != '>' && *q != ' ' && *q != '/' &&
	    *q != '\t' && *q != '\r' && *q != '\n'; q++)
		if (*q == ':')
			colon = q;
	if (colon != NULL)
		name = colon + 1;
	if ((size_t)(q - name) != n || strncmp(name, local, n) != 0)
		return NULL;
	while (q < end && *q != '>')
		q++;
	if (q >= end)
		return NULL;
	/* <x/> is an empty element: the caller sees empty text */
	return q + 1;
}

/* up_xml_find - see up_xml.h */
int
up_xml_find(const char *p, const char *end, const char *local,
    const char **text, size_t *len, const char **after)
{
	const char *start, *q, *close;
	size_t n = strlen(local);

	for (; p < end; p++) {
		if (*p != '<' || (start = up_xml_open_tag(p, end, local)) ==
		    NULL)
			continue;
		if (start[-2] == '/') {
			*text = start;
			*len = 0;
			*after = start;
			return 0;
		}
		/* the matching end tag: </...local> (no nesting of the same
		 * name in the answers we read) */
		for (q = start; q < end; q++) {
			if (q[0] != '<' || q + 1 >= end || q[1] != '/')
				continue;
			close = memchr(q, '>', (size_t)(end - q));
			if (close == NULL)
				return -1;
			if ((size_t)(close - q) >= n + 2 &&
			    strncmp(close - n, local, n) == 0 &&
			    (close[-(long)n - 1] == '/' ||
			    close[-(long)n - 1] == ':')) {
				*text = start;
				*len = (size_t)(q - start);
				*after = close + 1;
				return 0;
			}
		}
		return -1;
	}
	return -1;
}

/* up_xml_text - see up_xml.h */
const char *
up_xml_text(const char *p, const char *end, const char *local, char *buf,
    size_t buflen)
{
	static const struct { const char *ent; char ch; } ents[] = {
		{ "&quot;", '"' }, { "&amp;", '&' }, { "&lt;", '<' },
		{ "&gt;", '>' }, { "&apos;", '\'' }, { "&#34;", '"' },
	};
	const char *t, *after;
	size_t len, i, o = 0, k;

	if (up_xml_find(p, end, local, &t, &len, &after) < 0)
		return NULL;
	for (i = 0; i < len; ) {
		if (o + 1 >= buflen)
			return NULL;
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
			if (len - i >= strlen(ents[k].ent) &&
			    strncmp(t + i, ents[k].ent, strlen(ents[k].ent)) ==
			    0)
				break;
		if (k < sizeof(ents) / sizeof(ents[0])) {
			buf[o++] = ents[k].ch;
			i += strlen(ents[k].ent);
		} else
			buf[o++] = t[i++];
	}
	buf[o] = '\0';
	return buf;
}
