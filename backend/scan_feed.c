/*
 * scan_feed.c - feed scanned pages to cloudspool-drop --pages as they come.
 *
 * The drop helper runs in its own process group, so a Ctrl-C at the
 * terminal reaches this front end only: it decides what happens to the
 * pages (cancel: close the stream without its end marker, and the helper
 * removes its half-written file; --keep-partial: end the stream after the
 * last whole page). If this process dies, the stream ends short all the
 * same, and the helper still removes its file. The helper's own message
 * is passed on only when the scan did not fail first, so the user reads
 * one line about what went wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "config.h"
#include "feed_queue.h"
#include "pagestream.h"
#include "safefile.h"
#include "scan.h"

/* scan_action_pages - read the action's page keys; quiet on failure */
void
scan_action_pages(const char *config, const char *action,
    struct scan_args *a)
{
	const struct cs_action *act;
	struct cs_config cfg;
	char err[512];

	a->page_compression = CS_PAGE_COMP_LOSSLESS;
	a->page_quality = 0;
	if (action == NULL ||
	    cs_config_load(config, &cfg, err, sizeof(err)) != CS_OK)
		return;
	if ((act = cs_config_action(&cfg, action)) != NULL) {
		a->page_compression = act->page_compression;
		a->page_quality = (unsigned)act->page_quality;
	}
	cs_config_free(&cfg);
}

/* scan_feed_out - the encoder's output: into the pipe */
static int
scan_feed_out(void *ctx, const void *p, size_t len)
{
	struct scan_feed *f = ctx;

	return cs_write_all(f->in_fd, p, len) == CS_OK ? 0 : -1;
}

/* scan_feed_consume - on the queue's thread: encode and write a slot; a
 * page that cannot be encoded is said here (the helper then sees its
 * stream cut and keeps nothing) */
static int
scan_feed_consume(void *ctx, const uint8_t *p, size_t len)
{
	struct scan_feed *f = ctx;
	int rc = page_enc_write(&f->enc, p, len);

	if (rc == -2)
		fprintf(stderr, "cloudspool: %s\n", f->enc.err);
	return rc;
}

/* scan_feed_child - become cloudspool-drop --pages on the three pipes */
static void __attribute__((noreturn))
scan_feed_child(const struct scan_args *a, int in[2], int out[2],
    int err[2])
{
	char *argv[] = { "cloudspool-drop", "-c", (char *)a->config, "-a",
	    (char *)a->action, "-n", (char *)a->name, "--pages", NULL };
	sigset_t none;

	/* the front end blocks SIGPIPE: the helper must not inherit it */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0 || setpgid(0, 0) < 0 ||
	    dup2(in[0], STDIN_FILENO) < 0 ||
	    dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
		_exit(EX_OSERR);
	(void)close(in[0]);
	(void)close(in[1]);
	(void)close(out[0]);
	(void)close(out[1]);
	(void)close(err[0]);
	(void)close(err[1]);
	execv(SCAN_DROP_PATH, argv);
	fprintf(stderr, "cloudspool: %s: %s\n", SCAN_DROP_PATH,
	    strerror(errno));
	_exit(EX_UNAVAILABLE);
}

/* scan_feed_close_pipes - both ends of n pipes */
static void
scan_feed_close_pipes(int p[][2], int n)
{
	int i;

	for (i = 0; i < n; i++) {
		(void)close(p[i][0]);
		(void)close(p[i][1]);
	}
}

/* scan_feed_start - three pipes and the child */
int
scan_feed_start(struct scan_feed *f, const struct scan_args *a)
{
	int p[3][2], n;

	f->pid = -1;
	f->in_fd = f->out_fd = f->err_fd = -1;
	(void)page_enc_init(&f->enc, a->page_compression, a->page_quality,
	    scan_feed_out, f);
	if (fq_start(&f->q, scan_feed_consume, f) < 0)
		goto fail;
	for (n = 0; n < 3; n++)
		if (pipe2(p[n], O_CLOEXEC) < 0) {
			scan_feed_close_pipes(p, n);
			goto fail_queue;
		}
	if ((f->pid = fork()) < 0) {
		scan_feed_close_pipes(p, 3);
		goto fail_queue;
	}
	if (f->pid == 0)
		scan_feed_child(a, p[0], p[1], p[2]);
	(void)close(p[0][0]);
	(void)close(p[1][1]);
	(void)close(p[2][1]);
	/* a deeper pipe: fewer switches between scanning and sealing */
	(void)fcntl(p[0][1], F_SETPIPE_SZ, 1 << 20);
	f->in_fd = p[0][1];
	f->out_fd = p[1][0];
	f->err_fd = p[2][0];
	return EX_OK;
fail_queue:
	fq_cancel(&f->q);
	fq_free(&f->q);
fail:
	fprintf(stderr, "cloudspool: cannot start the drop helper: %s\n",
	    strerror(errno));
	return EX_OSERR;
}

/* scan_feed_write - all of buf to the encoding thread, or -1 when it
 * stopped (EPIPE: the helper gave up; or a page it could not encode,
 * which it said) */
int
scan_feed_write(struct scan_feed *f, const void *buf, size_t len)
{
	if (f->in_fd < 0)
		return -1;
	return fq_put(&f->q, buf, len) == 0 ? 0 : -1;
}

/* scan_feed_drain - let the thread write what is queued, or drop it;
 * then the encoder's and the queue's memory; the thread's failure */
static int
scan_feed_drain(struct scan_feed *f, int cancel)
{
	int rc = 0;

	if (cancel)
		fq_cancel(&f->q);
	else
		rc = fq_finish(&f->q);
	fq_free(&f->q);
	page_enc_free(&f->enc);
	return rc;
}

/* scan_feed_wait - the helper's exit status */
static int
scan_feed_wait(struct scan_feed *f)
{
	int status;

	if (f->pid <= 0)
		return EX_SOFTWARE;
	while (waitpid(f->pid, &status, 0) < 0)
		if (errno != EINTR)
			return EX_OSERR;
	f->pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
}

/* scan_feed_slurp - what fd says until end of file, at most cap - 1
 * bytes kept, NUL-terminated; then close it */
static void
scan_feed_slurp(int *fd, char *buf, size_t cap)
{
	(void)cs_read_capped(*fd, buf, cap);
	(void)close(*fd);
	*fd = -1;
}

/* scan_feed_finish - end marker, close, read the job id, wait; pass on
 * the helper's message when it failed */
int
scan_feed_finish(struct scan_feed *f, char *job, size_t cap)
{
	uint8_t end[CS_PAGE_HDR_LEN];
	char err[1024];
	int rc;

	cs_page_encode_end(end);
	(void)scan_feed_write(f, end, sizeof(end));
	/* on a failure the end marker never went: the helper keeps nothing */
	(void)scan_feed_drain(f, 0);
	if (f->in_fd >= 0)
		(void)close(f->in_fd);
	f->in_fd = -1;
	scan_feed_slurp(&f->out_fd, job, cap);
	job[strcspn(job, "\n")] = '\0';
	scan_feed_slurp(&f->err_fd, err, sizeof(err));
	rc = scan_feed_wait(f);
	if (rc == EX_OK && job[0] == '\0')
		rc = EX_SOFTWARE;
	if (rc != EX_OK)
		fputs(err, stderr);
	return rc;
}

/* scan_feed_abort - a stream without its end marker is never queued; the
 * helper removes its file before it exits, and we wait for that */
void
scan_feed_abort(struct scan_feed *f)
{
	(void)scan_feed_drain(f, 1);
	if (f->in_fd >= 0)
		(void)close(f->in_fd);
	if (f->out_fd >= 0)
		(void)close(f->out_fd);
	if (f->err_fd >= 0)
		(void)close(f->err_fd);
	f->in_fd = f->out_fd = f->err_fd = -1;
	if (f->pid > 0)
		(void)scan_feed_wait(f);
}
