/*
 * font.h - the glyphless font embedded in every text layer (font.c).
 */
#ifndef CS_FILTER_FONT_H
#define CS_FILTER_FONT_H

#include <stddef.h>

extern const unsigned char filter_glyphless_ttf[];
extern const size_t filter_glyphless_ttf_len;

#endif
