/*
 * result.h - the one result type every fallible cloudspool function returns.
 *
 * Callers propagate a cs_result; the text for each code lives in one table
 * (result.c) so messages stay consistent across programs.
 */
#ifndef CS_RESULT_H
#define CS_RESULT_H

typedef enum {
	CS_OK = 0,
	CS_ERR_NOMEM,		/* out of memory */
	CS_ERR_IO,		/* a system call failed; errno-based detail in why */
	CS_ERR_INVAL,		/* bad argument or value */
	CS_ERR_FORMAT,		/* malformed input (spool file, config, record) */
	CS_ERR_VERSION,		/* unsupported format version */
	CS_ERR_AUTH,		/* authentication tag / MAC did not verify */
	CS_ERR_TRUNCATED,	/* stream ended before its final chunk */
	CS_ERR_TRAILING,	/* data after the final chunk */
	CS_ERR_CRYPTO,		/* a crypto primitive refused (e.g. low-order point) */
	CS_ERR_UNSAFE,		/* symlink, hard link, wrong owner/mode, not regular */
	CS_ERR_EXISTS,		/* target exists */
	CS_ERR_NOTFOUND,	/* no such file, user, action, ... */
	CS_ERR_PERM,		/* not permitted */
	CS_ERR_TOOBIG,		/* over a size or count limit */
	CS_ERR_NOSPACE,		/* under the free-space floor */
	CS_ERR_QUOTA,		/* per-user job count reached */
	CS_ERR_CONFIG,		/* configuration error */
	CS_ERR_CHILD,		/* a child process failed */
	CS_ERR_TEMP,		/* transient failure: retry later */
	CS_ERR_REVOKED,		/* OAuth invalid_grant: the user's grant is gone */
	CS_ERR_BUSY,		/* under way in another process: ask again soon */
	CS_ERR__COUNT
} cs_result;

/* cs_strerror - fixed English text for a result code */
const char *cs_strerror(cs_result r);

#endif
