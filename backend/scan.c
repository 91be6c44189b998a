/*
 * scan.c - `cloudspool scan`: scan with SANE straight into the spool.
 *
 * Each page goes to cloudspool-drop --pages while the scanner delivers it
 * (a 32-byte page header, then the scanlines: lib/pagestream.h), so this
 * process holds one read buffer whatever the page count, and no page ever
 * touches a disk unsealed. Errors end the scan with one line and an exit
 * status of their own (scan.h); a batch cut short leaves nothing in the
 * spool unless --keep-partial asks for the pages already scanned. A page
 * that was half sent cannot be taken back from the drop helper, so with
 * --keep-partial each page is held here until it is whole (memory: one
 * page, not one buffer) and only whole pages reach the helper.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "config.h"
#include "pagestream.h"
#include "privs.h"
#include "scan.h"

#define SCAN_BUF (256 * 1024)

/* One scan in progress. */
struct scan_run {
	const struct scan_args *a;
	SANE_Handle h;
	struct scan_feed feed;
	int feeding;			/* the drop helper is running */
	int feed_failed;		/* it went away: it says why */
	int tty;			/* progress lines on stderr */
	int said;			/* the error is already on stderr */
	unsigned long pages;
	unsigned res;			/* dpi, read before the scan starts */
	char device[1024];		/* the device's SANE name */
	struct timespec t0;
	unsigned char *buf;
	unsigned char *page;		/* --keep-partial: the page so far */
	size_t plen, pcap;
};

/* scan_status_exit - the exit status of a SANE status */
int
scan_status_exit(SANE_Status st)
{
	switch (st) {
	case SANE_STATUS_DEVICE_BUSY:
		return SCAN_EX_BUSY;
	case SANE_STATUS_NO_DOCS:
		return SCAN_EX_NODOCS;
	case SANE_STATUS_COVER_OPEN:
		return SCAN_EX_COVER;
	case SANE_STATUS_JAMMED:
		return SCAN_EX_JAMMED;
	case SANE_STATUS_ACCESS_DENIED:
		return EX_NOPERM;
	case SANE_STATUS_NO_MEM:
		return EX_OSERR;
	default:
		return SCAN_EX_IOERR;
	}
}

/* scan_status_text - one clear line for a SANE status */
static const char *
scan_status_text(SANE_Status st)
{
	switch (st) {
	case SANE_STATUS_DEVICE_BUSY:
		return "the scanner is busy: try again later";
	case SANE_STATUS_NO_DOCS:
		return "no documents in the feeder";
	case SANE_STATUS_COVER_OPEN:
		return "the scanner's cover is open";
	case SANE_STATUS_JAMMED:
		return "paper jam in the feeder";
	case SANE_STATUS_IO_ERROR:
		return "I/O error talking to the scanner";
	case SANE_STATUS_ACCESS_DENIED:
		return "access to the scanner denied";
	default:
		return sane_strstatus(st);
	}
}

/* scan_elapsed - seconds since the scan started */
static double
scan_elapsed(const struct scan_run *s)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - s->t0.tv_sec) +
	    (double)(t.tv_nsec - s->t0.tv_nsec) / 1e9;
}

/* scan_progress - "page N: P%" on a terminal, a JSON line per page */
static void
scan_progress(struct scan_run *s, uint64_t done, uint64_t total, int end,
    const struct cs_page_hdr *h)
{
	double secs = scan_elapsed(s);
	double ppm = secs > 0 ? (double)s->pages * 60.0 / secs : 0;

	if (s->tty)
		fprintf(stderr, "\rpage %lu: %3u%%, %.1f pages/min%s",
		    s->pages + (end ? 0 : 1), (unsigned)(total ? done * 100 /
		    total : 100), ppm, end ? "\n" : "");
	if (end && s->a->json)
		printf("{\"event\":\"page\",\"page\":%lu,\"width\":%u,"
		    "\"height\":%u,\"depth\":%u,\"channels\":%u,"
		    "\"resolution\":%u}\n", s->pages, h->width, h->height,
		    h->depth, h->channels, h->xres);
	if (end && s->a->json)
		(void)fflush(stdout);	/* a reader follows the pages live */
}

/* scan_send - to the drop helper; -1 when it went away */
static int
scan_send(struct scan_run *s, const void *buf, size_t len)
{
	if (scan_feed_write(&s->feed, buf, len) < 0) {
		s->feed_failed = 1;
		return -1;
	}
	return 0;
}

/* scan_emit - page bytes: held until the page is whole (--keep-partial),
 * else straight to the drop helper; -1 when it went away */
static int
scan_emit(struct scan_run *s, const void *buf, size_t len)
{
	if (!s->feeding || s->feed_failed)
		return s->feed_failed ? -1 : 0;
	if (!s->a->keep_partial)
		return scan_send(s, buf, len);
	if (len > s->pcap - s->plen)
		return -1;		/* scan_header sized it */
	memcpy(s->page + s->plen, buf, len);
	s->plen += len;
	return 0;
}

/* scan_page_hold - --keep-partial: room for this page, header included */
static int
scan_page_hold(struct scan_run *s, const struct cs_page_hdr *h)
{
	uint64_t need = CS_PAGE_HDR_LEN + cs_page_data_len(h);

	s->plen = 0;
	if (!s->a->keep_partial || !s->feeding || need <= s->pcap)
		return 0;
	if (need > SIZE_MAX)
		return -1;
	free(s->page);
	s->pcap = 0;
	if ((s->page = malloc((size_t)need)) == NULL)
		return -1;
	s->pcap = (size_t)need;
	return 0;
}

/* scan_page_done - --keep-partial: the whole page goes on now */
static int
scan_page_done(struct scan_run *s)
{
	int rc = 0;

	if (s->a->keep_partial && s->feeding && !s->feed_failed)
		rc = scan_send(s, s->page, s->plen);
	if (s->page != NULL)
		memset(s->page, 0, s->plen);
	s->plen = 0;
	return rc;
}

/* scan_header - the page header from SANE's parameters */
static SANE_Status
scan_header(struct scan_run *s, const SANE_Parameters *p,
    struct cs_page_hdr *h)
{
	uint8_t raw[CS_PAGE_HDR_LEN];
	const uint16_t one = 1;
	unsigned res = s->res;

	memset(h, 0, sizeof(*h));
	if (p->lines <= 0) {
		fprintf(stderr, "cloudspool: the device does not know the page "
		    "length (hand scanner): not supported yet\n");
		s->said = 1;
		return SANE_STATUS_UNSUPPORTED;
	}
	h->channels = p->format == SANE_FRAME_GRAY ? 1 : 3;
	h->depth = (uint8_t)p->depth;
	if (p->format == SANE_FRAME_RED)
		h->flags |= CS_PAGE_PLANAR;
	if (*(const uint8_t *)&one == 1 && p->depth == 16)
		h->flags |= CS_PAGE_NATIVE_LE;
	h->width = (uint32_t)p->pixels_per_line;
	h->height = (uint32_t)p->lines;
	h->bytes_per_line = (uint32_t)p->bytes_per_line;
	h->xres = h->yres = res > 0 ? res : 72;
	cs_page_encode(h, raw);
	if ((p->format != SANE_FRAME_GRAY && p->format != SANE_FRAME_RGB &&
	    !(p->format == SANE_FRAME_RED && !p->last_frame)) ||
	    p->pixels_per_line <= 0 || p->bytes_per_line <= 0 ||
	    cs_page_decode(raw, h) != CS_OK) {
		fprintf(stderr, "cloudspool: the device sends a frame this "
		    "front end does not take (format %d, depth %d)\n",
		    (int)p->format, p->depth);
		s->said = 1;
		return SANE_STATUS_UNSUPPORTED;
	}
	if (scan_page_hold(s, h) < 0) {
		fprintf(stderr, "cloudspool: no memory to hold a page for "
		    "--keep-partial\n");
		s->said = 1;
		return SANE_STATUS_NO_MEM;
	}
	return scan_emit(s, raw, sizeof(raw)) < 0 ? SANE_STATUS_CANCELLED :
	    SANE_STATUS_GOOD;
}

/* scan_frame - read one frame: exactly bytes_per_line * lines go on,
 * padded or cut if the device sends another amount */
static SANE_Status
scan_frame(struct scan_run *s, const struct cs_page_hdr *h, int plane)
{
	uint64_t want = (uint64_t)h->bytes_per_line * h->height, got = 0, k;
	uint64_t total = want * ((h->flags & CS_PAGE_PLANAR) ? 3 : 1);
	SANE_Status st;
	SANE_Int len;

	for (;;) {
		st = sane_read(s->h, s->buf, SCAN_BUF, &len);
		if (scan_signalled)
			return SANE_STATUS_CANCELLED;
		if (st == SANE_STATUS_EOF)
			break;
		if (st != SANE_STATUS_GOOD)
			return st;
		k = (uint64_t)len < want - got ? (uint64_t)len : want - got;
		if (scan_emit(s, s->buf, (size_t)k) < 0)
			return SANE_STATUS_CANCELLED;
		got += k;
		scan_progress(s, want * (uint64_t)plane + got, total, 0, h);
	}
	memset(s->buf, 0, SCAN_BUF);
	while (got < want) {
		k = want - got < SCAN_BUF ? want - got : SCAN_BUF;
		if (scan_emit(s, s->buf, (size_t)k) < 0)
			return SANE_STATUS_CANCELLED;
		got += k;
	}
	return SANE_STATUS_GOOD;
}

/* scan_page - one page, started: one frame, or three (three-pass) */
static SANE_Status
scan_page(struct scan_run *s)
{
	static const SANE_Frame order[] = { SANE_FRAME_RED, SANE_FRAME_GREEN,
	    SANE_FRAME_BLUE };
	struct cs_page_hdr h;
	SANE_Parameters p;
	SANE_Status st;
	int plane;

	if ((st = sane_get_parameters(s->h, &p)) != SANE_STATUS_GOOD ||
	    (st = scan_header(s, &p, &h)) != SANE_STATUS_GOOD)
		return st;
	for (plane = 0; ; plane++) {
		if ((st = scan_frame(s, &h, plane)) != SANE_STATUS_GOOD)
			return st;
		if (!(h.flags & CS_PAGE_PLANAR) || plane == 2)
			break;
		st = sane_start(s->h);
		if (st != SANE_STATUS_GOOD ||
		    (st = sane_get_parameters(s->h, &p)) != SANE_STATUS_GOOD)
			return scan_signalled ? SANE_STATUS_CANCELLED : st;
		if (p.format != order[plane + 1] ||
		    p.lines != (SANE_Int)h.height ||
		    p.bytes_per_line != (SANE_Int)h.bytes_per_line) {
			fprintf(stderr, "cloudspool: three-pass frames must "
			    "come red, green, blue with one size\n");
			s->said = 1;
			return SANE_STATUS_UNSUPPORTED;
		}
	}
	if (scan_page_done(s) < 0)
		return SANE_STATUS_CANCELLED;
	s->pages++;
	scan_progress(s, 1, 1, 1, &h);
	return SANE_STATUS_GOOD;
}

/* scan_pages - until the feeder is empty (batch), the count, or an error */
static SANE_Status
scan_pages(struct scan_run *s)
{
	SANE_Status st;

	for (;;) {
		if (s->a->batch_count > 0 && s->pages >= s->a->batch_count)
			return SANE_STATUS_GOOD;
		st = sane_start(s->h);
		if (scan_signalled)
			return SANE_STATUS_CANCELLED;
		if (st == SANE_STATUS_NO_DOCS && s->a->batch && s->pages > 0)
			return SANE_STATUS_GOOD;
		if (st != SANE_STATUS_GOOD)
			return st;
		if ((st = scan_page(s)) != SANE_STATUS_GOOD)
			return st;
		if (!s->a->batch)
			return SANE_STATUS_GOOD;
	}
}

/* scan_list - -L: every device SANE finds */
static int
scan_list(void)
{
	const SANE_Device **list;
	SANE_Status st;
	size_t i;

	if ((st = sane_get_devices(&list, SANE_FALSE)) != SANE_STATUS_GOOD) {
		fprintf(stderr, "cloudspool: listing devices: %s\n",
		    sane_strstatus(st));
		return SCAN_EX_IOERR;
	}
	for (i = 0; list[i] != NULL; i++)
		printf("device `%s' is a %s %s %s\n", list[i]->name,
		    list[i]->vendor, list[i]->model, list[i]->type);
	if (i == 0)
		fprintf(stderr, "cloudspool: no scanners were identified\n");
	return i == 0 ? SCAN_EX_NODEVICE : EX_OK;
}

/* scan_open - -d DEVICE, the action's device, or the only device there
 * is; its name into s->device */
static int
scan_open(const struct scan_args *a, struct scan_run *s)
{
	SANE_Handle *h = &s->h;
	const SANE_Device **list;
	const char *name = a->device;
	SANE_Status st;

	if (name == NULL) {
		if (sane_get_devices(&list, SANE_FALSE) != SANE_STATUS_GOOD ||
		    list[0] == NULL) {
			fprintf(stderr, "cloudspool: no scanner found\n");
			return SCAN_EX_NODEVICE;
		}
		if (list[1] != NULL) {
			fprintf(stderr, "cloudspool: several scanners found: "
			    "choose one with -d or the action's device key "
			    "(see cloudspool scan -L)\n");
			return EX_USAGE;
		}
		name = list[0]->name;
	}
	snprintf(s->device, sizeof(s->device), "%s", name);
	if ((st = sane_open(name, h)) == SANE_STATUS_GOOD)
		return EX_OK;
	if (st == SANE_STATUS_INVAL) {
		fprintf(stderr, "cloudspool: no such scanner '%.200s'\n", name);
		return SCAN_EX_NODEVICE;
	}
	fprintf(stderr, "cloudspool: opening scanner '%.200s': %s\n", name,
	    scan_status_text(st));
	return scan_status_exit(st);
}

/* scan_check_action - refuse early what the drop helper would refuse
 * after the scan: an unknown action, or one this user may not use; the
 * action's device (or "") into dev */
static int
scan_check_action(struct scan_args *a, char *where, size_t cap,
    char *dev, size_t devcap)
{
	const struct cs_action *act;
	struct cs_config cfg;
	char err[512], user[64];
	int rc = EX_OK;

	if (cs_config_load(a->config, &cfg, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "cloudspool: %s\n", err);
		return EX_CONFIG;
	}
	if ((act = cs_config_action(&cfg, a->action)) == NULL) {
		fprintf(stderr, "cloudspool: no such action '%.64s' (see "
		    "`cloudspool actions`)\n", a->action);
		rc = EX_USAGE;
	} else if (cs_user_name(getuid(), user, sizeof(user)) != CS_OK ||
	    !cs_action_permits(act, user)) {
		fprintf(stderr, "cloudspool: you may not use action '%.64s'\n",
		    a->action);
		rc = EX_NOPERM;
	} else if (act->device != NULL &&
	    strlen(act->device) >= devcap) {
		fprintf(stderr, "cloudspool: action '%.64s': device name too "
		    "long\n", a->action);
		rc = EX_CONFIG;
	} else {
		a->page_compression = act->page_compression;
		a->page_quality = (unsigned)act->page_quality;
		snprintf(where, cap, "%s (%s)", act->destination->name,
		    act->destination->provider);
		snprintf(dev, devcap, "%s", act->device != NULL ?
		    act->device : "");
	}
	cs_config_free(&cfg);
	return rc;
}

/* scan_report - the end: job id (stdout), where it goes, or the error */
static void
scan_report(struct scan_run *s, const char *job, const char *where)
{
	json_t *o;
	char *txt;

	if (s->a->json) {
		o = json_pack("{s:s, s:I, s:b, s:s}", "event", job != NULL ?
		    "submitted" : "scanned", "pages", (json_int_t)s->pages,
		    "dry_run", s->a->dry_run, "device", s->device);
		if (o != NULL && job != NULL)
			(void)json_object_set_new(o, "job", json_string(job));
		if (o != NULL && job != NULL)
			(void)json_object_set_new(o, "destination",
			    json_string(where));
		if (o != NULL && (txt = json_dumps(o, JSON_COMPACT)) != NULL) {
			puts(txt);
			free(txt);
		}
		json_decref(o);
		return;
	}
	if (job != NULL)
		puts(job);
	else
		printf("%lu pages\n", s->pages);
	if (s->tty && job != NULL)
		fprintf(stderr, "job %s: %lu pages from %s, action %s, to "
		    "%s\n", job, s->pages, s->device, s->a->action, where);
}

/* scan_finish - after the pages: submit, keep partial, or discard */
static int
scan_finish(struct scan_run *s, SANE_Status st, const char *where)
{
	char job[128];
	int rc = EX_OK, frc;

	if (st != SANE_STATUS_GOOD && !s->feed_failed) {
		if (scan_signalled) {
			fprintf(stderr, "%scloudspool: scan cancelled\n",
			    s->tty ? "\n" : "");
			rc = SCAN_EX_SIGNAL + scan_signalled;
		} else if (!s->said) {
			fprintf(stderr, "%scloudspool: %s (after %lu pages)\n",
			    s->tty ? "\n" : "", scan_status_text(st), s->pages);
			rc = scan_status_exit(st);
		} else
			rc = EX_UNAVAILABLE;
	}
	if (!s->feeding) {
		if (rc == EX_OK)
			scan_report(s, NULL, where);
		return rc;
	}
	if (rc != EX_OK && !(s->a->keep_partial && s->pages > 0)) {
		scan_feed_abort(&s->feed);
		fprintf(stderr, "cloudspool: nothing was submitted\n");
		return rc;
	}
	/* a gone helper's own message says why; its status is ours */
	if ((frc = scan_feed_finish(&s->feed, job, sizeof(job))) != EX_OK)
		return frc;
	if (rc != EX_OK)
		fprintf(stderr, "cloudspool: --keep-partial: the %lu pages "
		    "scanned before are submitted\n", s->pages);
	scan_report(s, job, where);
	return rc;
}

/* scan_main - `cloudspool [-c config] scan ...` */
int
scan_main(const char *config, int argc, char **argv)
{
	struct scan_args a;
	struct scan_run s;
	char where[256] = "", dev[1024] = "";
	SANE_Status st;
	SANE_Int version;
	int rc;

	memset(&s, 0, sizeof(s));
	a.config = config;
	if ((rc = scan_parse_args(argc, argv, &a)) != EX_OK)
		goto out;
	/* a dry run may name no action; one it names is checked too */
	if (!a.list && (!a.dry_run || a.action != NULL) &&
	    (rc = scan_check_action(&a, where, sizeof(where), dev,
	    sizeof(dev))) != EX_OK)
		goto out;
	if (a.device == NULL && dev[0] != '\0')
		a.device = dev;		/* the action's own scanner */
	if (a.action == NULL)
		a.action = "-";
	/* before libsane or the drop helper: every thread after this one
	 * inherits the blocked signals (scan_sig.c says why) */
	if (scan_sig_start() < 0) {
		fprintf(stderr, "cloudspool: cannot set up signal handling: "
		    "%s\n", strerror(errno));
		rc = EX_OSERR;
		goto out;
	}
	s.a = &a;
	/* the drop helper starts while libsane loads and opens the device:
	 * its start-up is not added to the scan's; on an error before the
	 * first page it is sent away with nothing (scan_main's end) */
	if (!a.list && !a.dry_run) {
		if ((rc = scan_feed_start(&s.feed, &a)) != EX_OK)
			goto out;
		s.feeding = 1;
	}
	if ((st = sane_init(&version, NULL)) != SANE_STATUS_GOOD) {
		fprintf(stderr, "cloudspool: SANE: %s\n", sane_strstatus(st));
		rc = SCAN_EX_IOERR;
		goto out;
	}
	if (a.list) {
		rc = scan_list();
		goto out_sane;
	}
	s.tty = isatty(STDERR_FILENO) && !a.json;
	if ((s.buf = malloc(SCAN_BUF)) == NULL) {
		rc = EX_OSERR;
		goto out_sane;
	}
	if ((rc = scan_open(&a, &s)) != EX_OK)
		goto out_sane;
	if ((rc = scan_apply_settings(s.h, &a)) != EX_OK)
		goto out_close;
	/* devices refuse option reads while scanning (the test backend) */
	s.res = scan_resolution(s.h);
	(void)clock_gettime(CLOCK_MONOTONIC, &s.t0);
	st = scan_pages(&s);
	sane_cancel(s.h);
	rc = scan_finish(&s, st, where);
out_close:
	sane_close(s.h);
out_sane:
	sane_exit();
out:
	if (s.feeding && s.feed.pid > 0)
		scan_feed_abort(&s.feed);	/* no page went: nothing stays */
	free(s.buf);
	if (s.page != NULL)
		memset(s.page, 0, s.pcap);
	free(s.page);
	scan_free_args(&a);
	return rc;
}
