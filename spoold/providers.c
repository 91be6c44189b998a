/*
 * providers.c - the one table of network upload providers. Adding a
 * provider adds its file (spoold/up_NAME.c), one row here, and its key
 * table in lib/config_provider.c.
 */
#include <string.h>

#include "provider.h"

static const struct up_provider *const up_provider_table[] = {
	&up_webdav_provider,
	&up_s3_provider,
	&up_gdrive_provider,
	&up_onedrive_provider,
	&up_dropbox_provider,
	&up_smtp_provider,
};

/* up_provider_find - see provider.h */
const struct up_provider *
up_provider_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(up_provider_table) /
	    sizeof(up_provider_table[0]); i++)
		if (strcmp(up_provider_table[i]->name, name) == 0)
			return up_provider_table[i];
	return NULL;
}
