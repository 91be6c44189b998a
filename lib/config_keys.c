/*
 * config_keys.c - the keys of [spool], [retention] and [action NAME] as
 * tables (key, type, where the value goes), so a new key is one row.
 * config_check.c applies them; the provider keys of [destination NAME]
 * are config_provider.c's.
 */
#include <stddef.h>

#include "config_int.h"

const struct check_field check_spool_fields[] = {
	CONF("directory", CHECK_PATH, spool_dir, 0),
	CONF("daemon_user", CHECK_WORD, daemon_user, 0),
	CONF("drop_group", CHECK_WORD, drop_group, 0),
	LIST("trusted_submitters", struct cs_config, trusted_submitters,
	    ntrusted),
	CONF("max_job_size", CHECK_SIZE, max_job_size, 1),
	CONF("max_jobs_per_user", CHECK_COUNT, max_jobs_per_user, 1),
	CONF("max_pages", CHECK_COUNT, max_pages, 1),
	CONF("min_free_space", CHECK_SIZE, min_free_space, 0),
	CONF("tick", CHECK_DURATION, tick, 1),
	CONF("workers", CHECK_COUNT, workers, 1),
};

const struct check_field check_retention_fields[] = {
	CONF("authorization_hold", CHECK_DURATION, authorization_hold, 1),
	CONF("delivery_window", CHECK_DURATION, delivery_window, 1),
	CONF("key_rotation", CHECK_DURATION, key_rotation, 1),
	CONF("retry_initial", CHECK_DURATION, retry_initial, 1),
	CONF("retry_max", CHECK_DURATION, retry_max, 1),
	CONF("stale_incoming", CHECK_DURATION, stale_incoming, 1),
};

/*
 * An action with neither users nor groups permits nobody. That is a fair
 * way to switch an action off, so it is not an error.
 */
const struct check_field check_action_fields[] = {
	FIELD("destination", CHECK_WORD, struct cs_action, destination_name,
	    0),
	FIELD("description", CHECK_TEXT, struct cs_action, description, 0),
	LIST("users", struct cs_action, users, nusers),
	LIST("groups", struct cs_action, groups, ngroups),
	/* SANE names may hold blanks ("airscan:e0:Canon MF740") */
	FIELD("device", CHECK_LINE, struct cs_action, device, 0),
	/* document processing: cs_action_filter_args renders them */
	FIELD("deskew", CHECK_YESNO, struct cs_action, deskew, 0),
	FIELD("despeckle", CHECK_YESNO, struct cs_action, despeckle, 0),
	FIELD("remove_blank", CHECK_BLANK, struct cs_action, remove_blank, 0),
	FIELD("split_blank", CHECK_YESNO, struct cs_action, split_blank, 0),
	RANGE("split_every", struct cs_action, split_every, 1, 1000000),
	FIELD("split_barcode", CHECK_BARCODE, struct cs_action, split_barcode,
	    0),
	FIELD("ocr", CHECK_LANG, struct cs_action, ocr, 0),
	RANGE("quality", struct cs_action, quality, 1, 100),
	FIELD("deliver_removed", CHECK_YESNO, struct cs_action,
	    deliver_removed, 0),
	RANGE("jobs", struct cs_action, jobs, 1, 64),
	/* how pages are stored in the spool (cloudspool scan) */
	FIELD("page_compression", CHECK_PAGECOMP, struct cs_action,
	    page_compression, 0),
	RANGE("page_quality", struct cs_action, page_quality, 1, 100),
};


const struct check_section check_sections[] = {
	{ "spool", CHECK_SPOOL, check_spool_fields,
	    NITEMS(check_spool_fields) },
	{ "retention", CHECK_RETENTION, check_retention_fields,
	    NITEMS(check_retention_fields) },
	{ "destination", CHECK_DESTINATION, NULL, 0 },
	{ "action", CHECK_ACTION, check_action_fields,
	    NITEMS(check_action_fields) },
	{ "authorization", CHECK_AUTHORIZATION, NULL, 0 },
};


const size_t check_nsections = NITEMS(check_sections);
