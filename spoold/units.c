/*
 * units.c - what one job delivers: the filter's documents, one by one.
 *
 * A split batch becomes NAME-1.pdf, NAME-2.pdf ..., and an action may ask
 * for the removed blank pages as NAME-removed.pdf, so one job can mean
 * several deliveries. The filter returns them in one docset (lib/docset.h);
 * here each becomes its own memfd and name. The job record counts the
 * units delivered (units_done), and because the filter's output is
 * deterministic a job interrupted after unit k is filtered again and goes
 * on with unit k+1: nothing is delivered twice, nothing is skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "daemon.h"
#include "docset.h"
#include "safefile.h"

/* units_base - name without its extension (a leading dot is kept) */
static void
units_base(const char *name, char *base, size_t cap)
{
	const char *dot = strrchr(name, '.');
	size_t n = dot != NULL && dot != name ? (size_t)(dot - name) :
	    strlen(name);

	snprintf(base, cap, "%.*s", (int)n, name);
}

/* units_ext - the extension the bytes call for, or NULL to keep the name */
static const char *
units_ext(const uint8_t *p, size_t len)
{
	if (len >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return ".pdf";
	if (len >= 4 && (memcmp(p, "II*\0", 4) == 0 ||
	    memcmp(p, "MM\0*", 4) == 0))
		return ".tif";
	return NULL;
}

/* units_name - NAME.ext, NAME-k.ext or NAME-removed.ext */
static void
units_name(const char *orig, uint32_t kind, uint32_t k, uint32_t ndocs,
    const uint8_t *p, size_t len, char *out, size_t cap)
{
	const char *ext = units_ext(p, len);
	char base[CS_NAME_MAX + 1], suffix[32] = "";
	size_t room;

	if (ext == NULL) {
		/* not a format we made: the document as the user named it */
		snprintf(out, cap, "%s", orig);
		return;
	}
	units_base(orig, base, sizeof(base));
	if (kind == CS_DOCSET_REMOVED)
		snprintf(suffix, sizeof(suffix), "-removed");
	else if (ndocs > 1)
		snprintf(suffix, sizeof(suffix), "-%u", k);
	room = cap - strlen(suffix) - strlen(ext) - 1;
	snprintf(out, cap, "%.*s%s%s", (int)(room < strlen(base) ? room :
	    strlen(base)), base, suffix, ext);
}

/* units_add - one more unit holding len bytes from p */
static cs_result
units_add(struct delivery_units *u, const uint8_t *p, size_t len,
    const char *name)
{
	struct delivery_unit *v;
	int fd;

	if ((v = realloc(u->unit, (u->n + 1) * sizeof(*v))) == NULL)
		return CS_ERR_NOMEM;
	u->unit = v;
	if ((fd = memfd_create("cloudspool-unit", MFD_CLOEXEC)) < 0)
		return CS_ERR_TEMP;
	if (cs_write_all(fd, p, len) != CS_OK || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return CS_ERR_TEMP;
	}
	u->unit[u->n].fd = fd;
	snprintf(u->unit[u->n].name, sizeof(u->unit[u->n].name), "%s", name);
	u->n++;
	return CS_OK;
}

/* units_count_documents - how many kind-1 records the docset holds */
static uint32_t
units_count_documents(const uint8_t *p, size_t len)
{
	struct cs_docset_reader rd;
	struct cs_docset_record rec;
	uint32_t n = 0;

	if (cs_docset_open(&rd, p, len) != CS_OK)
		return 0;
	while (cs_docset_next(&rd, &rec) == CS_OK)
		if (rec.kind == CS_DOCSET_DOCUMENT)
			n++;
	return n;
}

/* units_from_docset - a unit per document, then the removed pages */
static cs_result
units_from_docset(const uint8_t *p, size_t len, const char *orig,
    struct delivery_units *u)
{
	struct cs_docset_reader rd;
	struct cs_docset_record rec;
	uint32_t ndocs = units_count_documents(p, len);
	char name[CS_NAME_MAX + 1];
	cs_result r;

	if ((r = cs_docset_open(&rd, p, len)) != CS_OK)
		return r;
	while ((r = cs_docset_next(&rd, &rec)) == CS_OK) {
		if (rec.kind == CS_DOCSET_REPORT) {
			json_decref(u->report);
			u->report = json_loadb((const char *)rec.data,
			    (size_t)rec.len, 0, NULL);
			continue;
		}
		units_name(orig, rec.kind, rec.index, ndocs, rec.data,
		    (size_t)rec.len, name, sizeof(name));
		if ((r = units_add(u, rec.data, (size_t)rec.len, name)) !=
		    CS_OK)
			return r;
	}
	/* the reader says NOTFOUND exactly at a well-formed end */
	return r == CS_ERR_NOTFOUND && u->n > 0 ? CS_OK : (r ==
	    CS_ERR_NOTFOUND ? CS_ERR_FORMAT : r);
}

/* units_from_output - see daemon.h */
cs_result
units_from_output(int out_fd, const char *orig, struct delivery_units *u)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t len;
	cs_result r;

	memset(u, 0, sizeof(*u));
	if (fstat(out_fd, &st) < 0)
		return CS_ERR_IO;
	len = (size_t)st.st_size;
	if (len > 0 && (p = mmap(NULL, len, PROT_READ, MAP_SHARED, out_fd,
	    0)) == MAP_FAILED)
		return CS_ERR_IO;
	if (len >= CS_DOCSET_MAGIC_LEN &&
	    memcmp(p, CS_DOCSET_MAGIC, CS_DOCSET_MAGIC_LEN) == 0)
		r = units_from_docset(p, len, orig, u);
	else {
		char name[CS_NAME_MAX + 1];

		units_name(orig, CS_DOCSET_DOCUMENT, 1, 1, p, len, name,
		    sizeof(name));
		r = units_add(u, p, len, name);
	}
	if (p != NULL)
		(void)munmap(p, len);
	if (r != CS_OK)
		units_free(u);
	return r;
}

/* units_free - see daemon.h */
void
units_free(struct delivery_units *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->unit[i].fd >= 0)
			close(u->unit[i].fd);
	free(u->unit);
	json_decref(u->report);
	memset(u, 0, sizeof(*u));
}
