/*
 * secretfile.h - the admin's secret files (OAuth client secrets, WebDAV
 * passwords, S3 keys, SMTP passwords): one reader with one rule, so every
 * program refuses the same badly protected file with the same words.
 */
#ifndef CS_SECRETFILE_H
#define CS_SECRETFILE_H

#include <stddef.h>

#include "result.h"

/* cs_secret_file_read - read path (a regular file, no symlink) into buf as
 * a NUL-terminated string without its trailing newlines. Refused, with a
 * one-line reason in why: a file any user may read or that its group may
 * write (a secret must be 0600 or 0640), one over cap - 1 bytes, an empty
 * one. */
cs_result cs_secret_file_read(const char *path, char *buf, size_t cap,
    char *why, size_t whylen);

#endif
