/*
 * assemble.h - finished pages into documents, removed pages and a report.
 */
#ifndef CS_FILTER_ASSEMBLE_H
#define CS_FILTER_ASSEMBLE_H

#include <stddef.h>

#include "buf.h"
#include "opts.h"
#include "page.h"
#include "pdf.h"

struct numlist {
	unsigned *v;
	size_t n, cap;
};

struct assembly {
	const struct filter_opts *o;
	struct pdf_doc *docs;
	size_t ndocs, capdocs;
	unsigned cur_pages;		/* pages in docs[ndocs - 1]; 0: none open */
	struct pdf_doc removed;
	int removed_open;
	unsigned pages_in, pages_out;
	struct numlist removed_pages, timeouts;
	float *skews;
	size_t capskews;
	int failed;
};

/* assembly_init - nothing assembled yet */
void assembly_init(struct assembly *a, const struct filter_opts *o);

/* assembly_page - a pipeline_sink: place one page (in input order) */
int assembly_page(void *ctx, struct page_out *p);

/* assembly_finish - close every document; 0 or -1 */
int assembly_finish(struct assembly *a);

/* assembly_report - the report JSON into out */
void assembly_report(const struct assembly *a, struct buf *out);

/* assembly_write - the whole result container to fd; 0 or -1 */
int assembly_write(struct assembly *a, int fd);

/* assembly_free - release */
void assembly_free(struct assembly *a);

#endif
