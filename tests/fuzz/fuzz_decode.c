/*
 * fuzz_decode.c - libFuzzer entry point for the filter's decoding path:
 * format detection, every decoder behind source_next (Leptonica's TIFF,
 * PNG, JPEG and PNM readers, our page stream reader with its G4, Deflate
 * and JPEG pages: filters/source_pages.c) and the
 * normalisation of what they return, then the cheap cleanup steps that
 * walk every pixel (gray, binarize, count marks). The bytes arrive
 * through a memfd, as they do in the worker.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>

#include "clean.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PAGES 4

/* fuzz_page - what the worker does first with every page */
static void
fuzz_page(PIX *pix)
{
	PIX *gray, *bin;

	if ((gray = clean_to_gray(pix)) == NULL)
		return;
	if ((bin = clean_binarize(gray, NULL)) != NULL) {
		(void)clean_count_marks(bin);
		pixDestroy(&bin);
	}
	pixDestroy(&gray);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source s;
	PIX *pix;
	int fd, pages = 0;

	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	if (lseek(fd, 0, SEEK_SET) == 0 && source_open(&s, fd) == 0) {
		while (pages++ < FUZZ_MAX_PAGES && source_next(&s, &pix) == 1) {
			/* small pages only: the fuzzer looks for bugs, not
			 * for how long a 256-Mpixel page takes */
			if ((uint64_t)pixGetWidth(pix) * pixGetHeight(pix) <
			    (1u << 22))
				fuzz_page(pix);
			pixDestroy(&pix);
		}
		source_close(&s);
	}
	close(fd);
	return 0;
}
