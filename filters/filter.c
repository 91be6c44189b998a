/*
 * NAME
 *	cloudspool-filter - scanned pages into a clean, searchable PDF
 * SYNOPSIS
 *	cloudspool-filter [OPTIONS] [INPUT|-] [-o OUTPUT.pdf]
 *	cloudspool-filter --worker [OPTIONS] < document > result-container
 *	cloudspool-filter --worker-pages [OPTIONS] < page-stream > result-container
 *	cloudspool-filter --sandbox-selftest
 * OPTIONS
 *	--deskew  --despeckle  --bilevel  --remove-blank[=LEVEL]
 *	--split-blank  --split-every N  --split-barcode[=TEXT]
 *	--ocr LANG[+LANG]  --ocr-timeout SECONDS  --jobs N  --quality Q
 *	--output-dir DIR  --deliver-removed  --date EPOCH  --tessdata DIR
 * DESCRIPTION
 *	Reads a multi-page TIFF, PNG, JPEG, PNM or the spool's page stream
 *	(told apart by their first bytes) and writes a PDF: bilevel pages as
 *	CCITT G4, gray and colour pages as JPEG at --quality (default 80),
 *	each page at the size its resolution gives, with an invisible text
 *	layer when --ocr is given. The same input and options always give
 *	the same bytes (no clock, no random /ID; --date sets the PDF dates).
 *	--despeckle delivers the cleaned bilevel page (implies --bilevel).
 *	--remove-blank drops pages with fewer than LEVEL (default 6)
 *	character-sized marks. Splitting writes NAME-1.pdf, NAME-2.pdf ...
 *	into --output-dir (default: -o's directory, else "."); separator
 *	pages are dropped. --deliver-removed also writes NAME-removed.pdf.
 *	A page whose OCR passes --ocr-timeout (default 60 s) is delivered as
 *	image only, and the report says so.
 *
 *	In the worker modes, run by cloudspoold with memfds on standard
 *	input and output, the output is a result container (lib/docset.h):
 *	the documents, the removed pages and a JSON report. A --worker input
 *	that is not an image (a PDF from CUPS) comes back unchanged.
 * SECURITY
 *	Everything that opens a file (the traineddata) happens first; then
 *	the process confines itself (sandbox.c: no open, no network, no
 *	exec) before reading a byte of input. On the command line the
 *	confined part is a child; the parent only writes what it returns.
 * ENVIRONMENT
 *	With --ocr the program re-executes itself once with
 *	OMP_THREAD_LIMIT=1: Tesseract's OpenMP reads it only at load time,
 *	and on two cores its threads make OCR several times slower.
 * DIAGNOSTICS
 *	Exit 0 on success; 1 when the input cannot be processed (one line on
 *	stderr); 2 on usage; 3 when the sandbox cannot be entered.
 *	--sandbox-selftest exits 0 when the sandbox refuses a socket and a
 *	file open, 1 otherwise. On success the command line prints the
 *	report as one line on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "cli.h"
#include "opts.h"
#include "sandbox.h"
#include "worker.h"

/* filter_selftest - prove the sandbox holds */
static int
filter_selftest(void)
{
	int s, f;

	s = socket(AF_INET, SOCK_STREAM, 0);
	f = open("/etc/passwd", O_RDONLY);
	if (s >= 0 || f >= 0) {
		fprintf(stderr, "cloudspool-filter: sandbox is NOT holding\n");
		return 1;
	}
	fprintf(stderr, "cloudspool-filter: sandbox holds (socket and open "
	    "refused)\n");
	return 0;
}

/* filter_single_threaded_omp - re-exec with OMP_THREAD_LIMIT=1 unless it
 * is set; on failure carry on (slower, still correct) */
static void
filter_single_threaded_omp(char **argv)
{
	const char *v = getenv("OMP_THREAD_LIMIT");

	if (v != NULL && strcmp(v, "1") == 0)
		return;
	if (setenv("OMP_THREAD_LIMIT", "1", 1) != 0)
		return;
	execv("/proc/self/exe", argv);
	fprintf(stderr, "cloudspool-filter: warning: cannot re-execute with "
	    "OMP_THREAD_LIMIT=1: %s\n", strerror(errno));
}

/* filter_default_jobs - the command line uses the machine's cores */
static unsigned
filter_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > FILTER_JOBS_MAX ? FILTER_JOBS_MAX : (unsigned)n;
}

int
main(int argc, char **argv)
{
	struct filter_opts o;
	char err[200];
	int i, jobs_given = 0;

	if (filter_opts_parse(argc, argv, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "cloudspool-filter: %s\n", err);
		return 2;
	}
	for (i = 1; i < argc; i++)
		jobs_given |= strncmp(argv[i], "--jobs", 6) == 0;
	if (o.mode == FILTER_SELFTEST) {
		if (cs_sandbox_enter() != CS_OK) {
			fprintf(stderr, "cloudspool-filter: cannot enter the "
			    "sandbox\n");
			return 3;
		}
		return filter_selftest();
	}
	if (o.ocr_lang[0] != '\0')
		filter_single_threaded_omp(argv);
	if (o.mode == FILTER_CLI) {
		if (!jobs_given)
			o.jobs = filter_default_jobs();
		return cli_run(&o);
	}
	return worker_run(&o, STDIN_FILENO, STDOUT_FILENO, 0);
}
