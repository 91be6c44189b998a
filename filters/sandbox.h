/*
 * sandbox.h - confine a filter process that parses untrusted bytes.
 */
#ifndef CS_SANDBOX_H
#define CS_SANDBOX_H

#include "result.h"

/* cs_sandbox_enter - no new privileges, then a seccomp allow-list: reading
 * and writing open fds, memory, time and exit. Opening files, sockets,
 * exec and everything else fail with EPERM from then on. */
cs_result cs_sandbox_enter(void);

#endif
