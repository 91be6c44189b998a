/*
 * up_xml.h - just enough XML for WebDAV multistatus and S3 answers: find
 * the next element by local name (any namespace prefix) and take its text.
 * No DTDs, no entities beyond the five predefined ones: the answers we
 * read are machine-made and small, and a wrong parse fails safe (a chunk
 * is re-sent, a part is re-uploaded).
 */
#ifndef CS_UP_XML_H
#define CS_UP_XML_H

#include <stddef.h>

/* up_xml_find - the next element called local in [p, end): *text and
 * *len its raw content, *after the position past its end tag. 0 found,
 * -1 not found. */
int up_xml_find(const char *p, const char *end, const char *local,
    const char **text, size_t *len, const char **after);

/* up_xml_text - the next element's content, entities decoded, into buf;
 * NULL when absent or too long */
const char *up_xml_text(const char *p, const char *end, const char *local,
    char *buf, size_t buflen);

#endif
