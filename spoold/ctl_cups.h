/*
 * ctl_cups.h - cloudspoolctl's "cups-queue" command (ctl_cups.c).
 */
#ifndef CS_CTL_CUPS_H
#define CS_CTL_CUPS_H

#include "ctl.h"

/* ctl_cups_queue - "cups-queue add NAME ACTION | remove NAME | list":
 * argv starts at the word after "cups-queue"; an exit status */
int ctl_cups_queue(struct ctl *c, int argc, char **argv);

#endif
