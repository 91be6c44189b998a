/*
 * jobfile.c - open a spool file and read its sealed metadata; list folders.
 *
 * Shared by pickup (first contact with an untrusted file) and the job
 * runner, so both apply the same checks in the same order.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "keyring.h"
#include "safefile.h"
#include "stream.h"

/* job_max_file_size - the largest spool file a max_job_size job makes;
 * a scan has a section per page, each with its own last chunk, so up to
 * max_pages more chunks and section headers than a document */
static uint64_t
job_max_file_size(const struct cs_config *cfg)
{
	uint64_t chunks = cfg->max_job_size / CS_STREAM_CHUNK + 8 +
	    cfg->max_pages;

	return cfg->max_job_size + CS_META_MAX + CS_SPOOL_HEADER_LEN +
	    chunks * (CS_STREAM_FRAME_LEN + CS_AEAD_TAG_LEN +
	    CS_SPOOL_SECTION_HDR_LEN);
}

/* job_read_meta - the META section must come first and fit */
static cs_result
job_read_meta(struct cs_job *j)
{
	enum cs_section_kind kind;
	char buf[CS_META_MAX + 1];
	size_t got, len = 0;
	cs_result r;

	if ((r = cs_spool_next_section(j->rd, &kind)) != CS_OK)
		return r;
	if (kind != CS_SECTION_META)
		return CS_ERR_FORMAT;
	do {
		r = cs_spool_section_read(j->rd, buf + len, sizeof(buf) - len,
		    &got);
		len += got;
	} while (r == CS_OK && got > 0 && len < sizeof(buf));
	if (r == CS_OK && len >= sizeof(buf))
		r = CS_ERR_TOOBIG;
	if (r == CS_OK)
		r = cs_jobmeta_decode(buf, len, &j->meta);
	cs_wipe(buf, sizeof(buf));
	return r;
}

/* job_open - safe open, size, header, key, metadata */
cs_result
job_open(struct cs_daemon *d, int dirfd, const char *name, struct cs_job *j,
    char *why, size_t whylen)
{
	struct cs_epoch_key key;
	cs_result r;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	if ((r = cs_safe_open_read(dirfd, name, CS_ANY_OWNER, &j->st, &j->fd)) !=
	    CS_OK) {
		snprintf(why, whylen, "cannot open safely: %s", cs_strerror(r));
		return r;
	}
	if ((uint64_t)j->st.st_size > job_max_file_size(&d->cfg)) {
		snprintf(why, whylen, "file of %jd bytes is over max_job_size",
		    (intmax_t)j->st.st_size);
		return CS_ERR_TOOBIG;
	}
	if ((r = cs_spool_read_header(j->fd, &j->hdr)) != CS_OK) {
		snprintf(why, whylen, "bad header: %s", cs_strerror(r));
		return r;
	}
	if ((r = cs_keyring_load(d->sp.dir[CS_DIR_KEYS], j->hdr.epoch, &key)) !=
	    CS_OK) {
		snprintf(why, whylen, "no private key for epoch %" PRIu64
		    " (destroyed or never made)", j->hdr.epoch);
		return CS_ERR_AUTH;
	}
	r = cs_spool_reader_new(j->fd, &j->hdr, key.sk, &j->rd);
	upstate_key(key.sk, name, j->state_key);
	cs_wipe(&key, sizeof(key));
	if (r == CS_OK)
		r = job_read_meta(j);
	if (r != CS_OK)
		snprintf(why, whylen, "sealed metadata: %s", cs_strerror(r));
	return r;
}

/* job_close - release an open job */
void
job_close(struct cs_job *j)
{
	cs_spool_reader_free(j->rd);
	j->rd = NULL;
	if (j->fd >= 0)
		(void)close(j->fd);
	j->fd = -1;
	cs_wipe(&j->meta, sizeof(j->meta));
	cs_wipe(j->state_key, sizeof(j->state_key));
}

/* name_cmp - for qsort */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir_list - every entry but "." and "..", sorted */
cs_result
dir_list(int dirfd, char ***names, size_t *n)
{
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cap = 0;
	DIR *dir;
	int fd;

	*names = NULL;
	*n = 0;
	if ((fd = dup(dirfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return CS_ERR_IO;
	}
	rewinddir(dir);
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		if ((v[*n] = strdup(de->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(dir);
	if (de != NULL) {
		dir_list_free(v, *n);
		*n = 0;
		return CS_ERR_NOMEM;
	}
	if (*n > 0)
		qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return CS_OK;
}

/* dir_list_free - free a list */
void
dir_list_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
