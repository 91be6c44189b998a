#!/bin/sh
# scanbd-cloudspool.sh - scanbd action script: a scanner button runs
# `cloudspool scan` for the user and action the site maps to that device
# and button.
#
# scanbd runs it (as its own user, usually root) with SCANBD_DEVICE (the
# SANE device name) and SCANBD_ACTION (the action name from scanbd.conf,
# e.g. "scan", "email", "copy") in the environment. The map file, one rule a
# line, first match wins ('#' starts a comment):
#
#   DEVICE-GLOB  SCANBD-ACTION  USER  CLOUDSPOOL-ACTION  [scan options...]
#   airscan:e0:* scan           alice drive              --source ADF --batch --resolution 300
#   *            email          bob   mail
#
# The scan runs as USER (runuser), so the job is theirs as if they had
# typed the command; nothing runs as root but this lookup.
#
# Environment (for tests and unusual layouts): CLOUDSPOOL_SCANBD_MAP (default
# /etc/cloudspool/scanbd.map), CLOUDSPOOL_CONF (default
# /etc/cloudspool/cloudspool.conf), CLOUDSPOOL (default /usr/bin/cloudspool).
# Exit status: cloudspool's, 64 when no rule matches, 67 for an unknown user.
set -u
MAP=${CLOUDSPOOL_SCANBD_MAP:-/etc/cloudspool/scanbd.map}
CONF=${CLOUDSPOOL_CONF:-/etc/cloudspool/cloudspool.conf}
CLOUDSPOOL=${CLOUDSPOOL:-/usr/bin/cloudspool}
device=${SCANBD_DEVICE:-}
button=${SCANBD_ACTION:-}

log() {
	logger -t cloudspool-scanbd -- "$*" 2>/dev/null || true
	printf 'cloudspool-scanbd: %s\n' "$*" >&2
}

[ -n "$device" ] && [ -n "$button" ] || { log "SCANBD_DEVICE and SCANBD_ACTION must be set"; exit 64; }
[ -r "$MAP" ] || { log "cannot read $MAP"; exit 64; }

while read -r glob act user action opts; do
	case $glob in '' | '#'*) continue ;; esac
	# shellcheck disable=SC2254
	case $device in $glob) ;; *) continue ;; esac
	[ "$act" = "$button" ] || [ "$act" = '*' ] || continue
	id "$user" >/dev/null 2>&1 || { log "map: unknown user '$user'"; exit 67; }
	log "$device/$button: scanning for $user, action $action"
	# opts is split on purpose: the map's scan options are words
	# shellcheck disable=SC2086
	exec runuser -u "$user" -- "$CLOUDSPOOL" -c "$CONF" scan -a "$action" \
		-d "$device" --name "scan-$button" $opts
done <"$MAP"
log "no rule in $MAP for device '$device', button '$button'"
exit 64
