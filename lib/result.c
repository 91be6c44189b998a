/* result.c - the table of result texts. */
#include "result.h"

static const char *const cs_result_text[CS_ERR__COUNT] = {
	[CS_OK] = "success",
	[CS_ERR_NOMEM] = "out of memory",
	[CS_ERR_IO] = "input/output error",
	[CS_ERR_INVAL] = "invalid argument",
	[CS_ERR_FORMAT] = "malformed data",
	[CS_ERR_VERSION] = "unsupported format version",
	[CS_ERR_AUTH] = "authentication failed (data tampered or from elsewhere)",
	[CS_ERR_TRUNCATED] = "data truncated",
	[CS_ERR_TRAILING] = "unexpected data after the end",
	[CS_ERR_CRYPTO] = "cryptographic operation refused",
	[CS_ERR_UNSAFE] = "unsafe file (symlink, link count, owner or type)",
	[CS_ERR_EXISTS] = "already exists",
	[CS_ERR_NOTFOUND] = "not found",
	[CS_ERR_PERM] = "not permitted",
	[CS_ERR_TOOBIG] = "over the size limit",
	[CS_ERR_NOSPACE] = "not enough free space in the spool",
	[CS_ERR_QUOTA] = "too many jobs queued for this user",
	[CS_ERR_CONFIG] = "configuration error",
	[CS_ERR_CHILD] = "child process failed",
	[CS_ERR_TEMP] = "temporary failure",
	[CS_ERR_REVOKED] = "authorization revoked or expired (invalid_grant)",
	[CS_ERR_BUSY] = "under way, not finished yet",
};

/* cs_strerror - fixed English text for a result code */
const char *
cs_strerror(cs_result r)
{
	if ((unsigned)r >= CS_ERR__COUNT)
		return "unknown error";
	return cs_result_text[r];
}
