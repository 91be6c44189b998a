/*
 * authorize.h - the user's own consent commands of cloudspool (authorize.c).
 */
#ifndef CS_AUTHORIZE_H
#define CS_AUTHORIZE_H

/* cli_authorize - `cloudspool authorize DEST`: the device grant through
 * authd; an exit status (sysexits.h) */
int cli_authorize(const char *config, const char *dest);

/* cli_revoke - `cloudspool revoke DEST`: revocation of the caller's own
 * token, handed to the daemon through authd; an exit status */
int cli_revoke(const char *config, const char *dest);

#endif
