/*
 * words.c - the list of a page's recognised words (words.h).
 */
#include <stdlib.h>
#include <string.h>

#include "words.h"

/* words_add - append a word, copying its text */
int
words_add(struct words *ws, const struct word *w, const char *text)
{
	struct word *p;
	size_t cap;

	if (ws->n == ws->cap) {
		cap = ws->cap ? ws->cap * 2 : 256;
		if ((p = realloc(ws->w, cap * sizeof(*p))) == NULL)
			return -1;
		ws->w = p;
		ws->cap = cap;
	}
	ws->w[ws->n] = *w;
	if ((ws->w[ws->n].text = strdup(text)) == NULL)
		return -1;
	ws->n++;
	return 0;
}

/* words_free - release */
void
words_free(struct words *ws)
{
	size_t i;

	for (i = 0; i < ws->n; i++)
		free(ws->w[i].text);
	free(ws->w);
	memset(ws, 0, sizeof(*ws));
}
