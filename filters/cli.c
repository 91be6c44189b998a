/*
 * cli.c - cloudspool-filter as a command (cli.h).
 *
 * The decoding runs in a forked child that enters the same sandbox as the
 * daemon's worker and returns the same result container, in a memfd; the
 * parent, which never looks at the pixels, writes the documents: one PDF
 * to -o (or standard output), or, when splitting, NAME-1.pdf, NAME-2.pdf
 * ... in the output directory, and NAME-removed.pdf when asked. The
 * report goes to standard error as one line, so removed pages and OCR
 * timeouts are never silent.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "docset.h"
#include "safefile.h"
#include "worker.h"

/* cli_write_file - data into path (created or truncated) */
static int
cli_write_file(const char *path, const uint8_t *data, size_t len)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return cs_write_all(STDOUT_FILENO, data, len) == CS_OK ? 0 : -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0 || cs_write_all(fd, data, len) != CS_OK || close(fd) < 0) {
		fprintf(stderr, "cloudspool-filter: cannot write %.200s: %s\n",
		    path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 0;
}

/* cli_name - NAME for numbered outputs: -o's or the input's base name
 * without its extension, else "document" */
static void
cli_name(const struct filter_opts *o, char *name, size_t len)
{
	const char *from = o->output != NULL && strcmp(o->output, "-") != 0 ?
	    o->output : o->input != NULL && strcmp(o->input, "-") != 0 ?
	    o->input : "document";
	const char *base = strrchr(from, '/');
	char *dot;

	snprintf(name, len, "%s", base != NULL ? base + 1 : from);
	if ((dot = strrchr(name, '.')) != NULL && dot != name)
		*dot = '\0';
}

/* cli_dir - the directory numbered outputs go to */
static void
cli_dir(const struct filter_opts *o, char *dir, size_t len)
{
	char tmp[4096];

	if (o->output_dir != NULL) {
		snprintf(dir, len, "%s", o->output_dir);
	} else if (o->output != NULL && strcmp(o->output, "-") != 0) {
		snprintf(tmp, sizeof(tmp), "%s", o->output);
		snprintf(dir, len, "%s", dirname(tmp));
	} else {
		snprintf(dir, len, ".");
	}
}

/* cli_path - where record rec goes */
static void
cli_path(const struct filter_opts *o, const struct cs_docset_record *rec,
    char *path, size_t len)
{
	char dir[4096], name[1024];

	cli_dir(o, dir, sizeof(dir));
	cli_name(o, name, sizeof(name));
	if (rec->kind == CS_DOCSET_REMOVED)
		snprintf(path, len, "%s/%s-removed.pdf", dir, name);
	else if (filter_opts_splits(o))
		snprintf(path, len, "%s/%s-%u.pdf", dir, name, rec->index);
	else
		snprintf(path, len, "%s", o->output != NULL ? o->output : "-");
}

/* cli_deliver - each record of the container to its place */
static int
cli_deliver(const struct filter_opts *o, const uint8_t *buf, size_t len)
{
	struct cs_docset_reader r;
	struct cs_docset_record rec;
	char path[4096 + 1100];
	cs_result res;
	unsigned docs = 0;

	if (cs_docset_open(&r, buf, len) != CS_OK)
		goto bad;
	while ((res = cs_docset_next(&r, &rec)) == CS_OK) {
		if (rec.kind == CS_DOCSET_REPORT) {
			fprintf(stderr, "cloudspool-filter: report: %.*s\n",
			    (int)rec.len, (const char *)rec.data);
			continue;
		}
		docs += rec.kind == CS_DOCSET_DOCUMENT;
		cli_path(o, &rec, path, sizeof(path));
		if (cli_write_file(path, rec.data, (size_t)rec.len) < 0)
			return 1;
	}
	if (res != CS_ERR_NOTFOUND)
		goto bad;
	if (docs == 0) {
		fprintf(stderr, "cloudspool-filter: every page was removed; no "
		    "document written\n");
		return 1;
	}
	return 0;
bad:
	fprintf(stderr, "cloudspool-filter: the worker's result is malformed\n");
	return 1;
}

/* cli_child - the confined worker, reading in_fd, writing out_fd */
static int
cli_child(const struct filter_opts *o, int in_fd, int out_fd)
{
	return worker_run(o, in_fd, out_fd, 1);
}

/* cli_run - open, fork, wait, deliver */
int
cli_run(const struct filter_opts *o)
{
	int in_fd = STDIN_FILENO, out_fd, status, rc;
	struct stat st;
	void *m;
	pid_t pid;

	if (o->input != NULL && strcmp(o->input, "-") != 0 &&
	    (in_fd = open(o->input, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "cloudspool-filter: cannot open %.200s: %s\n",
		    o->input, strerror(errno));
		return 1;
	}
	if ((out_fd = memfd_create("cloudspool-filter", MFD_CLOEXEC)) < 0) {
		fprintf(stderr, "cloudspool-filter: memfd_create: %s\n",
		    strerror(errno));
		return 1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "cloudspool-filter: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0)
		_exit(cli_child(o, in_fd, out_fd));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (!WIFEXITED(status)) {
		fprintf(stderr, "cloudspool-filter: the worker died (signal "
		    "%d)\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		return 1;
	}
	if (WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);
	if (fstat(out_fd, &st) < 0 || st.st_size <= 0 ||
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, out_fd,
	    0)) == MAP_FAILED) {
		fprintf(stderr, "cloudspool-filter: the worker returned "
		    "nothing\n");
		return 1;
	}
	rc = cli_deliver(o, m, (size_t)st.st_size);
	munmap(m, (size_t)st.st_size);
	close(out_fd);
	return rc;
}
