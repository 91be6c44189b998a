/*
 * pages_tiff.h - a page stream (pagestream.h) into a multi-page TIFF.
 */
#ifndef CS_PAGES_TIFF_H
#define CS_PAGES_TIFF_H

/* pages_tiff_convert - read a page stream from in_fd, write one TIFF page
 * per page to out_fd (which must be seekable: a memfd or a file); 0 on
 * success, 1 when the stream is bad or the TIFF cannot be written */
int pages_tiff_convert(int in_fd, int out_fd);

#endif
