#!/usr/bin/env bash
# tests/l10n/t-catalog.sh - the gettext catalogs against the sources (TAP):
# po/fr.po is well formed with formats that match their msgids (msgfmt
# --check), fully translated (no fuzzy, no untranslated entry: msgfmt
# --statistics), and has every msgid the code marks with N_() (a template
# made now from the sources, compared with msgcmp); po/cloudspool.pot is
# that same template; no user-facing text is left hard-coded in another
# language; the build made the catalog from the current fr.po.
#
#   tests/l10n/t-catalog.sh [BUILD_DIR]   (default build/)
set -uo pipefail

SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${1:-${CS_BUILD_DIR:-$SRC_DIR/build}}
PO=$SRC_DIR/po/fr.po
POT=$SRC_DIR/po/cloudspool.pot
MO=$BUILD_DIR/po/fr/LC_MESSAGES/cloudspool.mo
# the files whose N_() strings users read (Makefile.am POT_INPUTS)
INPUTS=(spoold/notify.c spoold/authd_http.c)
N=0
FAILS=0

ok() { N=$((N + 1)); printf 'ok %d - %s\n' "$N" "$1"; }
not_ok() {
	N=$((N + 1)); FAILS=$((FAILS + 1))
	printf 'not ok %d - %s\n' "$N" "$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
}

echo "1..7"
for tool in msgfmt xgettext msgcmp; do
	command -v "$tool" >/dev/null || { echo "Bail out! $tool missing (Debian package gettext)"; exit 1; }
done
TMP=$(mktemp -d /tmp/cs_l10n_XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT

if out=$(msgfmt --check -o /dev/null "$PO" 2>&1); then
	ok "po/fr.po passes msgfmt --check (headers, c-format conversions)"
else
	not_ok "po/fr.po passes msgfmt --check" "$out"
fi

stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$PO" 2>&1)
if [[ $stats =~ ^[0-9]+\ translated\ messages?\.$ ]]; then
	ok "po/fr.po is fully translated ($stats)"
else
	not_ok "po/fr.po is fully translated, nothing fuzzy" "$stats"
fi

(cd "$SRC_DIR" && xgettext --from-code=UTF-8 --keyword=N_ \
	--add-comments=TRANSLATORS --package-name=cloudspool --no-location \
	--sort-output -o "$TMP/now.pot" "${INPUTS[@]}") 2>"$TMP/xgettext.err"
count=$(grep -c '^msgid ' "$TMP/now.pot" 2>/dev/null || echo 0)
if [ "$count" -ge 20 ]; then
	ok "xgettext finds the N_() msgids of the sources ($((count - 1)))"
else
	not_ok "xgettext finds the N_() msgids of the sources" "found $count" "$(cat "$TMP/xgettext.err")"
fi

if out=$(msgcmp "$PO" "$TMP/now.pot" 2>&1); then
	ok "every msgid in the code is in po/fr.po"
else
	not_ok "every msgid in the code is in po/fr.po" "$out"
fi

# the committed template has exactly the code's msgids (make update-pot)
if out1=$(msgcmp --use-untranslated "$POT" "$TMP/now.pot" 2>&1) &&
	out2=$(msgcmp --use-untranslated "$TMP/now.pot" "$POT" 2>&1); then
	ok "po/cloudspool.pot matches the sources"
else
	not_ok "po/cloudspool.pot matches the sources (run make update-pot)" "${out1:-}" "${out2:-}"
fi

# a text table in another language would bypass the catalogs: the
# sources stay ASCII (French is only in po/fr.po)
if out=$(cd "$SRC_DIR" && grep -nE '\\x[cC][0-9a-fA-F]|[^[:print:][:space:]]' "${INPUTS[@]}" spoold/authd_flow.c lib/l10n.c); then
	not_ok "no non-ASCII text hard-coded in the localized sources" "$out"
else
	ok "no non-ASCII text hard-coded in the localized sources"
fi

if [ -s "$MO" ] && [ ! "$MO" -ot "$PO" ] &&
	msgunfmt "$MO" 2>/dev/null | grep -q 'Autorisation enregistr'; then
	ok "the build made $MO from the current po/fr.po"
else
	not_ok "the build made $MO from the current po/fr.po (make in $BUILD_DIR)"
fi
[ "$FAILS" -eq 0 ]
