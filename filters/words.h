/*
 * words.h - the recognised words of one page, as the text layer needs them.
 */
#ifndef CS_FILTER_WORDS_H
#define CS_FILTER_WORDS_H

#include <stddef.h>

struct word {
	int x0, y0, x1, y1;		/* box in image pixels, y down */
	int baseline;			/* the line's baseline at x0, y down */
	int line_height;		/* the line's height in pixels */
	char *text;			/* UTF-8 */
};

struct words {
	struct word *w;
	size_t n, cap;
};

/* words_add - append a copy of text with its box; 0 or -1 */
int words_add(struct words *ws, const struct word *w, const char *text);

/* words_free - release */
void words_free(struct words *ws);

#endif
