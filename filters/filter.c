/*
 * NAME
 *	cloudspool-filter - turn a job's document into what gets delivered
 * SYNOPSIS
 *	cloudspool-filter --worker < document > result
 *	cloudspool-filter --worker-pages < page-stream > result.tif
 *	cloudspool-filter --sandbox-selftest
 * DESCRIPTION
 *	Run by cloudspoold in a child that holds no keys, with the plaintext
 *	on standard input and the result on standard output (both memfds).
 *	For now documents pass through unchanged; cleanup, OCR and PDF
 *	output come with the document-processing work. --worker-pages reads
 *	a scan's page stream (lib/pagestream.h) and writes a multi-page TIFF
 *	(pages_tiff.c); standard output must be seekable (it is a memfd).
 * SECURITY
 *	Confines itself before reading a byte of input (sandbox.c): no
 *	network, no file opens, no exec.
 * DIAGNOSTICS
 *	Exit 0 on success; 1 when the input cannot be processed; 2 on usage;
 *	3 when the sandbox cannot be entered. --sandbox-selftest exits 0 when
 *	the sandbox refuses a socket and a file open, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "pages_tiff.h"
#include "safefile.h"
#include "sandbox.h"

/* filter_pass_through - copy standard input to standard output */
static int
filter_pass_through(void)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		if (n == 0)
			return 0;
		if (cs_write_all(STDOUT_FILENO, buf, (size_t)n) != CS_OK)
			return 1;
	}
}

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

int
main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "--worker") != 0 &&
	    strcmp(argv[1], "--worker-pages") != 0 &&
	    strcmp(argv[1], "--sandbox-selftest") != 0)) {
		fprintf(stderr, "usage: cloudspool-filter --worker | "
		    "--worker-pages | --sandbox-selftest\n");
		return 2;
	}
	if (cs_sandbox_enter() != CS_OK) {
		fprintf(stderr, "cloudspool-filter: cannot enter the sandbox\n");
		return 3;
	}
	if (strcmp(argv[1], "--sandbox-selftest") == 0)
		return filter_selftest();
	if (strcmp(argv[1], "--worker-pages") == 0)
		return pages_tiff_convert(STDIN_FILENO, STDOUT_FILENO);
	return filter_pass_through();
}
