/*
 * assemble.c - decide where each page goes, in input order (assemble.h).
 *
 * A page carrying the separator barcode, or a blank page with
 * --split-blank, ends the current document and is itself dropped; a
 * blank page with --remove-blank is dropped; --split-every N starts a new
 * document after N pages. Dropped pages are never silently lost: the
 * report lists them, and with --deliver-removed they form one more PDF.
 * Separators in a row, or at the start, never make an empty document.
 */
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "docset.h"

/* numlist_add - append; failure sets *failed */
static void
numlist_add(struct numlist *l, unsigned v, int *failed)
{
	unsigned *p;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 16;
		if ((p = realloc(l->v, cap * sizeof(*p))) == NULL) {
			*failed = 1;
			return;
		}
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = v;
}

/* assembly_init - empty */
void
assembly_init(struct assembly *a, const struct filter_opts *o)
{
	memset(a, 0, sizeof(*a));
	a->o = o;
}

/* assembly_new_doc - open the next document */
static struct pdf_doc *
assembly_new_doc(struct assembly *a)
{
	struct pdf_doc *d;
	size_t cap;

	if (a->ndocs == a->capdocs) {
		cap = a->capdocs ? a->capdocs * 2 : 4;
		if ((d = realloc(a->docs, cap * sizeof(*d))) == NULL)
			return NULL;
		a->docs = d;
		a->capdocs = cap;
	}
	d = &a->docs[a->ndocs++];
	pdf_doc_begin(d, a->o->have_date, a->o->date);
	a->cur_pages = 0;
	return d;
}

/* assembly_drop - a page that is not delivered */
static void
assembly_drop(struct assembly *a, struct page_out *p)
{
	numlist_add(&a->removed_pages, p->number, &a->failed);
	if (!a->o->deliver_removed)
		return;
	if (!a->removed_open) {
		pdf_doc_begin(&a->removed, a->o->have_date, a->o->date);
		a->removed_open = 1;
	}
	pdf_doc_add_page(&a->removed, &p->pdf);
}

/* assembly_skew - remember the page's measured skew */
static void
assembly_skew(struct assembly *a, const struct page_out *p)
{
	float *s;
	size_t cap;

	if (p->number > a->capskews) {
		cap = a->capskews ? a->capskews * 2 : 64;
		while (cap < p->number)
			cap *= 2;
		if ((s = realloc(a->skews, cap * sizeof(*s))) == NULL) {
			a->failed = 1;
			return;
		}
		a->skews = s;
		a->capskews = cap;
	}
	a->skews[p->number - 1] = p->skew;
}

/* assembly_page - separators end documents, blanks go, the rest is added */
int
assembly_page(void *ctx, struct page_out *p)
{
	struct assembly *a = ctx;
	const struct filter_opts *o = a->o;
	struct pdf_doc *d = a->cur_pages > 0 ? &a->docs[a->ndocs - 1] : NULL;

	a->pages_in++;
	assembly_skew(a, p);
	if (p->ocr_timeout)
		numlist_add(&a->timeouts, p->number, &a->failed);
	if ((o->split_barcode && p->barcode) || (o->split_blank && p->blank)) {
		a->cur_pages = 0;	/* the next page opens a new document */
		assembly_drop(a, p);
	} else if (o->remove_blank && p->blank) {
		assembly_drop(a, p);
	} else {
		if (d == NULL || (o->split_every > 0 &&
		    a->cur_pages >= o->split_every))
			d = assembly_new_doc(a);
		if (d == NULL) {
			a->failed = 1;
		} else {
			pdf_doc_add_page(d, &p->pdf);
			a->cur_pages++;
			a->pages_out++;
		}
	}
	page_out_free(p);
	return a->failed ? -1 : 0;
}

/* assembly_finish - trailers */
int
assembly_finish(struct assembly *a)
{
	size_t i;

	for (i = 0; i < a->ndocs; i++)
		if (pdf_doc_finish(&a->docs[i]) < 0)
			a->failed = 1;
	if (a->removed_open && pdf_doc_finish(&a->removed) < 0)
		a->failed = 1;
	return a->failed ? -1 : 0;
}

/* assembly_numbers - a JSON array of page numbers */
static void
assembly_numbers(struct buf *out, const struct numlist *l)
{
	size_t i;

	buf_str(out, "[");
	for (i = 0; i < l->n; i++)
		buf_printf(out, "%s%u", i ? "," : "", l->v[i]);
	buf_str(out, "]");
}

/* assembly_report - {"pages_in":...} */
void
assembly_report(const struct assembly *a, struct buf *out)
{
	unsigned i;

	buf_printf(out, "{\"pages_in\":%u,\"pages_out\":%u,\"documents\":%zu,"
	    "\"removed\":", a->pages_in, a->pages_out, a->ndocs);
	assembly_numbers(out, &a->removed_pages);
	buf_str(out, ",\"ocr_timeouts\":");
	assembly_numbers(out, &a->timeouts);
	buf_str(out, ",\"deskew\":[");
	for (i = 0; i < a->pages_in && a->skews != NULL; i++)
		buf_printf(out, "%s%.2f", i ? "," : "", (double)a->skews[i]);
	buf_str(out, "]}");
}

/* assembly_write - magic, documents, removed pages, report, end */
int
assembly_write(struct assembly *a, int fd)
{
	struct buf report = { 0 };
	size_t i;
	int rc = -1;

	assembly_report(a, &report);
	if (report.failed || cs_docset_begin(fd) != CS_OK)
		goto out;
	for (i = 0; i < a->ndocs; i++)
		if (cs_docset_put(fd, CS_DOCSET_DOCUMENT, (uint32_t)i + 1,
		    a->docs[i].out.p, a->docs[i].out.len) != CS_OK)
			goto out;
	if (a->removed_open && cs_docset_put(fd, CS_DOCSET_REMOVED, 1,
	    a->removed.out.p, a->removed.out.len) != CS_OK)
		goto out;
	if (cs_docset_put(fd, CS_DOCSET_REPORT, 0, report.p, report.len) !=
	    CS_OK || cs_docset_finish(fd) != CS_OK)
		goto out;
	rc = 0;
out:
	buf_free(&report);
	return rc;
}

/* assembly_free - release */
void
assembly_free(struct assembly *a)
{
	size_t i;

	for (i = 0; i < a->ndocs; i++)
		pdf_doc_free(&a->docs[i]);
	free(a->docs);
	if (a->removed_open)
		pdf_doc_free(&a->removed);
	free(a->removed_pages.v);
	free(a->timeouts.v);
	free(a->skews);
	memset(a, 0, sizeof(*a));
}
