#!/usr/bin/env bash
# t-drive-folder.sh - two uploaders of one user racing to create the
# gdrive provider's app folder (Drive allows many folders of one name)
# converge on one: the Drive fake holds every files.list 1.5 s (fault
# "delay"), so both uploaders' look-ups find no folder and both create
# one; each then looks again, takes the oldest and deletes its own if that
# is not it. Afterwards: one folder, both files in it, and a later job
# uses the same folder.
. "$(dirname "$0")/lib.sh"
need_built
command -v node >/dev/null || { skip "node not installed"; exit 0; }
FAKES=${CS_FAKES_DIR:-$UP_SRC/tests/fakes}
UP_PROVIDER=gdrive
echo good-token >"$UP_TMP/tokens"
PORT=$(free_port)
mkdir -p "$UP_TMP/store"
start_bg "$UP_TMP/drive.log" node "$FAKES/drive.js" --port "$PORT" --store "$UP_TMP/store" --tokens "$UP_TMP/tokens"
wait_port "$PORT"; ok $? "the Drive fake listens"
BASE=http://127.0.0.1:$PORT
SET="{\"api_url\":\"$BASE\",\"upload_url\":\"$BASE/upload\",\"client_id\":\"c\"}"
ctl() {
	curl -sf -X "$1" ${3:+-H 'Content-Type: application/json' --data "$3"} "$BASE$2"
}
# folders - the live folders named cloudspool, as a JSON list of ids
folders() {
	ctl GET /__fake/files | jq -c '[.[] | select(.mimeType == "application/vnd.google-apps.folder" and .name == "cloudspool" and (.trashed | not)) | .id]'
}
# parent_of NAME - the parent folder id of the file NAME
parent_of() {
	ctl GET /__fake/files | jq -r ".[] | select(.name == \"$1\") | .parents[0]"
}

make_doc "$UP_TMP/a" 1
make_doc "$UP_TMP/b" 1
request "$UP_TMP/ra" "$SET" '{}' "$UP_TMP/a" a.pdf job-a good-token
request "$UP_TMP/rb" "$SET" '{}' "$UP_TMP/b" b.pdf job-b good-token
ctl POST /__fake/faults '[{"match":"lookup","action":"delay","every":true,"ms":1500}]' >/dev/null
"$UP_DRIVER" "$UP_TMP/ra" "$UP_TMP/a" "$UP_TMP/sa" >"$UP_TMP/outa" 2>>"$UP_TMP/driver.err" &
PA=$!
"$UP_DRIVER" "$UP_TMP/rb" "$UP_TMP/b" "$UP_TMP/sb" >"$UP_TMP/outb" 2>>"$UP_TMP/driver.err" &
PB=$!
wait $PA; SA=$?
wait $PB; SB=$?
echo "# a: $(cat "$UP_TMP/outa")"
echo "# b: $(cat "$UP_TMP/outb")"
[ $SA -eq 0 ] && [ $SB -eq 0 ]; ok $? "both concurrent uploads are delivered"
ctl DELETE /__fake/faults >/dev/null
CREATES=$(ctl GET /__fake/stats | jq '.by_kind["create-session"]')
[ "$CREATES" -ge 4 ]; ok $? "the race happened: both created a folder ($CREATES creates: 2 folders + 2 sessions)"
F=$(folders)
[ "$(jq length <<<"$F")" -eq 1 ]; ok $? "one app folder is left ($F)"
ID=$(jq -r '.[0]' <<<"$F")
[ "$(parent_of a.pdf)" = "$ID" ] && [ "$(parent_of b.pdf)" = "$ID" ]; ok $? "both files are in it"
make_doc "$UP_TMP/c" 1
request "$UP_TMP/rc" "$SET" '{}' "$UP_TMP/c" c.pdf job-c good-token
drive "$UP_TMP/rc" "$UP_TMP/c" "$UP_TMP/sc" && [ "$(parent_of c.pdf)" = "$ID" ] && [ "$(folders)" = "$F" ]
ok $? "a later job uses the same folder"
