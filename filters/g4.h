/*
 * g4.h - CCITT G4 (one strip, K -1) through libtiff in memory, for the PDF
 * writer, the spool's G4 pages and the front end's page encoder.
 */
#ifndef CS_FILTER_G4_H
#define CS_FILTER_G4_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* g4_encode_rows - h rows of bpl bytes (w pixels packed most significant
 * bit first, 1 = black) as raw G4 data appended to strip; 0 or -1. Every
 * intermediate buffer is zeroed before release (pages are plaintext). */
int g4_encode_rows(const uint8_t *rows, uint32_t w, uint32_t h, size_t bpl,
    struct buf *strip);

/* g4_wrap_tiff - raw G4 data of a w x h page as a one-strip TIFF appended
 * to tiff, for a TIFF decoder; 0 or -1 */
int g4_wrap_tiff(const uint8_t *strip, size_t len, uint32_t w, uint32_t h,
    struct buf *tiff);

#endif
