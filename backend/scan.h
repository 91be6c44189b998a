/*
 * scan.h - `cloudspool scan`: the SANE front end (scan.c), its options
 * (scan_opts.c) and the page feed into cloudspool-drop --pages (scan_feed.c).
 */
#ifndef CS_SCAN_H
#define CS_SCAN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sysexits.h>
#include <sane/sane.h>

#include "feed_queue.h"
#include "page_enc.h"

#ifndef CS_SBINDIR
#define CS_SBINDIR "/usr/sbin"
#endif
#define SCAN_DROP_PATH CS_SBINDIR "/cloudspool-drop"

/* Exit statuses (doc/SCANNING.md): sysexits.h where one fits */
#define SCAN_EX_NODEVICE EX_UNAVAILABLE	/* 69: no such device, none found */
#define SCAN_EX_BUSY EX_TEMPFAIL	/* 75: device busy: try again */
#define SCAN_EX_NODOCS EX_NOINPUT	/* 66: no documents in the feeder */
#define SCAN_EX_IOERR EX_IOERR		/* 74: I/O error with the device */
#define SCAN_EX_COVER 80		/* cover open */
#define SCAN_EX_JAMMED 81		/* paper jam */
#define SCAN_EX_SIGNAL 128		/* + the signal: 130 Ctrl-C, 143 TERM */

/* One device option to set, in command-line order (scanimage does so). */
struct scan_setting {
	const char *name;		/* SANE option name */
	const char *value;		/* NULL: bool yes, or a button */
	char area;			/* 'x' or 'y': br = tl + value (mm) */
};

struct scan_args {
	const char *config;
	const char *action;
	const char *device;
	const char *name;
	int list, batch, dry_run, json, keep_partial;
	unsigned long batch_count;	/* 0: until the feeder is empty */
	int page_compression;		/* the action's (config.h CS_PAGE_COMP_*) */
	unsigned page_quality;		/* the action's page_quality, or 0 */
	struct scan_setting *set;
	size_t nset;
};

/* The drop helper that seals pages as they come. */
struct scan_feed {
	pid_t pid;
	int in_fd;			/* its standard input (page stream) */
	int out_fd;			/* its standard output (job id) */
	int err_fd;			/* its standard error (its message) */
	struct page_enc enc;		/* raw pages in, encoded pages out */
	struct feed_queue q;		/* to the thread that runs enc */
};

/* The signal that cancelled the scan (SIGINT, SIGTERM, SIGHUP), or 0;
 * set by scan_sig.c's waiter thread. */
extern volatile sig_atomic_t scan_signalled;

/* The signal the waiter sends the main thread to end a blocked call. */
#define SCAN_SIG_WAKE SIGUSR1

/* scan_sig_start - block SIGINT, SIGTERM, SIGHUP and SIGPIPE in this
 * thread (and so in every thread started after), and take the first
 * three on a waiter thread of our own; 0, or -1 with errno */
int scan_sig_start(void);

/* scan_main - `cloudspool [-c config] scan ...`: argv[0] is "scan" */
int scan_main(const char *config, int argc, char **argv);

/* scan_parse_args - argv after "scan" into a; EX_OK or EX_USAGE (said) */
int scan_parse_args(int argc, char **argv, struct scan_args *a);

/* scan_free_args - what scan_parse_args allocated */
void scan_free_args(struct scan_args *a);

/* scan_apply_settings - set every option on the open device; EX_OK or
 * EX_USAGE with one line said */
int scan_apply_settings(SANE_Handle h, const struct scan_args *a);

/* scan_resolution - the device's current resolution in dpi, or 0 */
unsigned scan_resolution(SANE_Handle h);

/* scan_feed_start - fork cloudspool-drop --pages for the action; EX_OK or
 * EX_OSERR (said) */
int scan_feed_start(struct scan_feed *f, const struct scan_args *a);

/* scan_action_pages - the action's page_compression and page_quality
 * into a (lossless when the config or action cannot be read: the drop
 * helper then says why it refuses the job) */
void scan_action_pages(const char *config, const char *action,
    struct scan_args *a);

/* scan_feed_write - len bytes of a raw page stream to the drop helper,
 * its pages encoded on the way (page_enc.h); 0, or -1 when it has
 * gone (it said why) */
int scan_feed_write(struct scan_feed *f, const void *buf, size_t len);

/* scan_feed_finish - the end marker, then its job id into job; the drop
 * helper's exit status */
int scan_feed_finish(struct scan_feed *f, char *job, size_t cap);

/* scan_feed_abort - close the stream without its end marker: the drop
 * helper removes its file; waits for it */
void scan_feed_abort(struct scan_feed *f);

/* pnm_pages - every PBM/PGM/PPM image read from in_fd (named what in
 * messages; its first prelen bytes already read into pre) onto the feed
 * at dpi; *pages counts them. EX_OK, EX_DATAERR for a bad image (said),
 * or -1 when the drop helper went away */
int pnm_pages(int in_fd, const uint8_t *pre, size_t prelen, const char *what,
    unsigned dpi, struct scan_feed *f, unsigned long *pages);

/* pngin_pages - the PNG image of in_fd (its 8-byte signature in pre) as
 * one page, at its own resolution or dpi; as pnm_pages (submit_png.c) */
int pngin_pages(int in_fd, const uint8_t *pre, size_t prelen,
    const char *what, unsigned dpi, struct scan_feed *f,
    unsigned long *pages);

/* tiffin_pages - every directory of the TIFF in_fd (its first prelen
 * bytes in pre) as a page, at its own resolution or dpi; as pnm_pages,
 * and EX_OSERR (submit_tiff.c) */
int tiffin_pages(int in_fd, const uint8_t *pre, size_t prelen,
    const char *what, unsigned dpi, struct scan_feed *f,
    unsigned long *pages);

/* scan_status_exit - exit status for a SANE status */
int scan_status_exit(SANE_Status st);

#endif
