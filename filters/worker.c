/*
 * worker.c - the confined part of cloudspool-filter (worker.h).
 *
 * Before the sandbox: Tesseract engines (one per thread) load their
 * traineddata; that is every file the run will ever open. After it: read,
 * decode, clean, recognise, encode, write, with no open, no socket and no
 * exec. A document that is not an image (a PDF from CUPS, say) goes back
 * unchanged as document 1.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#include "assemble.h"
#include "docset.h"
#include "pipeline.h"
#include "sandbox.h"
#include "source.h"
#include "worker.h"

/* where our one-line messages go: standard error, while fd 2 itself is
 * pointed at /dev/null so the libraries' own chatter about a broken file
 * (libjpeg, libpng) does not turn one clear line into several */
static FILE *worker_err;

#define WORKER_PASS_REPORT "{\"pages_in\":0,\"pages_out\":0,\"documents\":1," \
	"\"removed\":[],\"ocr_timeouts\":[],\"deskew\":[],\"passed_through\":true}"

/* worker_engines - one OCR engine per thread, or NULL without OCR */
static struct ocr_engine *
worker_engines(const struct filter_opts *o, int *failed)
{
	struct ocr_engine *e;
	char err[200];
	unsigned i;

	*failed = 0;
	if (o->ocr_lang[0] == '\0')
		return NULL;
	if ((e = calloc(o->jobs, sizeof(*e))) == NULL) {
		*failed = 1;
		fprintf(worker_err, "cloudspool-filter: out of memory\n");
		return NULL;
	}
	for (i = 0; i < o->jobs; i++) {
		if (ocr_engine_init(&e[i], o->tessdata, o->ocr_lang, err,
		    sizeof(err)) < 0) {
			fprintf(worker_err, "cloudspool-filter: %s\n", err);
			while (i-- > 0)
				ocr_engine_free(&e[i]);
			free(e);
			*failed = 1;
			return NULL;
		}
	}
	return e;
}

/* worker_free_engines - end them */
static void
worker_free_engines(const struct filter_opts *o, struct ocr_engine *e)
{
	unsigned i;

	for (i = 0; e != NULL && i < o->jobs; i++)
		ocr_engine_free(&e[i]);
	free(e);
}

/* worker_pass_through - the input as the one document */
static int
worker_pass_through(const struct source *s, int out_fd)
{
	if (cs_docset_begin(out_fd) != CS_OK ||
	    cs_docset_put(out_fd, CS_DOCSET_DOCUMENT, 1, s->data, s->len) !=
	    CS_OK ||
	    cs_docset_put(out_fd, CS_DOCSET_REPORT, 0, WORKER_PASS_REPORT,
	    sizeof(WORKER_PASS_REPORT) - 1) != CS_OK ||
	    cs_docset_finish(out_fd) != CS_OK) {
		fprintf(worker_err, "cloudspool-filter: cannot write the result\n");
		return 1;
	}
	return 0;
}

/* worker_process - pages through the pipeline into the container */
static int
worker_process(const struct filter_opts *o, struct source *src,
    struct ocr_engine *engines, int out_fd)
{
	struct assembly a;
	char err[200];
	int rc = 1;

	assembly_init(&a, o);
	if (pipeline_run(src, o, engines, assembly_page, &a, err,
	    sizeof(err)) < 0)
		fprintf(worker_err, "cloudspool-filter: %s\n", err);
	else if (assembly_finish(&a) < 0)
		fprintf(worker_err, "cloudspool-filter: out of memory writing the "
		    "PDF\n");
	else if (assembly_write(&a, out_fd) < 0)
		fprintf(worker_err, "cloudspool-filter: cannot write the result\n");
	else
		rc = 0;
	assembly_free(&a);
	return rc;
}

/* worker_quiet_libraries - keep a stream on the real stderr for our
 * messages, then fd 2 to /dev/null; on any failure keep stderr as it is */
static void
worker_quiet_libraries(void)
{
	int keep, null;

	worker_err = stderr;
	if ((keep = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) < 0)
		return;
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0 ||
	    (worker_err = fdopen(keep, "w")) == NULL) {
		worker_err = stderr;
		close(keep);
		if (null >= 0)
			close(null);
		return;
	}
	setvbuf(worker_err, NULL, _IOLBF, 0);
#ifdef __SANITIZE_ADDRESS__
	/* sanitizer reports must still be seen */
	__sanitizer_set_report_fd((void *)(intptr_t)keep);
#endif
	if (dup2(null, STDERR_FILENO) < 0) {
		fclose(worker_err);
		worker_err = stderr;
	}
	close(null);
}

/* worker_run - engines, sandbox, then the input */
int
worker_run(const struct filter_opts *o, int in_fd, int out_fd, int cli)
{
	struct ocr_engine *engines;
	struct source src;
	int failed, rc;

	worker_quiet_libraries();
	engines = worker_engines(o, &failed);
	if (failed)
		return 1;
	if (cs_sandbox_enter() != CS_OK) {
		fprintf(worker_err, "cloudspool-filter: cannot enter the sandbox\n");
		worker_free_engines(o, engines);
		return 3;
	}
	if (source_open(&src, in_fd) < 0) {
		fprintf(worker_err, "cloudspool-filter: %s\n", src.err);
		worker_free_engines(o, engines);
		return 1;
	}
	if (src.format == SRC_OTHER && !cli)
		rc = worker_pass_through(&src, out_fd);
	else
		rc = worker_process(o, &src, engines, out_fd);
	source_close(&src);
	worker_free_engines(o, engines);
	return rc;
}
