#!/usr/bin/env bash
# setup.sh - set up cloudspool on a Debian 12 machine: dependencies, build,
# install, a demo, and the whole test run.
#
#   ./setup.sh deps      apt-get the build and test dependencies
#   ./setup.sh build     autoreconf, configure and make in build/
#   ./setup.sh install   system user and group, make install, config, spool
#   ./setup.sh demo      deps + build + install, then one document from an
#                        unprivileged user through the spool to its folder
#   ./setup.sh test      deps + build + install, then tests/run-tests.sh
#
# The build is out of tree (build/), so that tests/run-tests.sh can make a
# second, sanitizer build (build-asan/) from the same clean source tree:
# automake refuses an out-of-tree build of a tree configured in place.
# Every step is idempotent: running `demo` twice delivers a second copy.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=$SRC_DIR/build
CONF=/etc/cloudspool/cloudspool.conf
SCAN_ROOT=/srv/scans
DEMO_USER=csdemo
SBINDIR=/usr/sbin
BINDIR=/usr/bin

# Debian packages: build and unit tests, then what the end-to-end tests
# use: faketime/libfaketime move the daemon's clock, jq reads the audit
# trail, procps (ps), util-linux (runuser), passwd (useradd) and acl are the
# harness's tools. cups (cups-deviced for lpinfo), cups-daemon, cups-client
# (lp, lpadmin, lpstat) and cups-filters (other formats to PDF) run the
# CUPS backend's tests on a private cupsd; policy-rc.d or not, the tests
# never use the system's cupsd.
DEB_PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	nettle-dev libinih-dev libjansson-dev libcmocka-dev libseccomp-dev
	# scanning: build (libsane1 brings SANE's test backend; libpng and
	# libtiff read submit --pages' images), then the tests' scanimage,
	# tiffinfo and tiffcp, and /usr/bin/time (peak RSS)
	libsane-dev libtiff-dev libpng-dev sane-utils libtiff-tools time
	faketime libfaketime jq acl procps util-linux passwd
	cups cups-daemon cups-client cups-filters
	# delivery and consent: libcurl (GnuTLS flavour), GnuTLS, libmicrohttpd;
	# tests: rclone (WebDAV), gnutls-bin (gnutls-cli, certtool), softhsm2,
	# Node.js and npm (the OAuth2, SMTP and S3 servers and the fakes),
	# chromium (the browser the consent test drives)
	libcurl4-gnutls-dev libgnutls28-dev libmicrohttpd-dev
	# localization: gettext (msgfmt builds po/*.mo; xgettext, msgcmp for
	# tests/l10n), locales (localedef: the fr_FR.UTF-8 locale that
	# lib/l10n.c's per-message newlocale needs; ensure_locales)
	gettext locales
	rclone gnutls-bin softhsm2 chromium ca-certificates
	# tests/fakes/test-fakes.sh drives the cloud API fakes with the curl
	# command line and makes its TLS certificate with openssl
	curl openssl
	# document processing: Tesseract and Leptonica, zbar (barcodes),
	# libjpeg; the benchmark's peer (ocrmypdf) and pdftotext (poppler-utils)
	libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-eng
	tesseract-ocr-fra libzbar-dev libjpeg-dev poppler-utils ocrmypdf
	fonts-dejavu-core imagemagick
	# python3: the tests' helper scripts (standard library only);
	# qrencode: the PATCHT separator sheets of tests/filter/t-filter.sh;
	# qpdf: tests/e2e/t-ocr.sh checks the delivered PDF's structure
	python3 qrencode qpdf
	# the decoding path's libFuzzer harness (tests/fuzz/run.sh)
	clang
	# (not here: moto's S3 server for tests/upload/t-s3-moto.sh; Debian 12
	# has no python3-moto, and PyPI is not reachable; the test uses a
	# moto_server already on the machine and skips without one)
)

# heading - one visible line per step
heading() {
	printf '\n==> %s\n' "$*"
}

# die - a message and a failed exit
die() {
	printf 'setup.sh: %s\n' "$*" >&2
	exit 1
}

# require_root - install, demo and test change the system
require_root() {
	[ "$(id -u)" -eq 0 ] || die "'$1' must run as root (it creates users and installs into /usr)"
}

# print_usage - the subcommands
print_usage() {
	sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

# install_upload_test_deps - s3rver and smtp-server (the uploader's S3 and
# SMTP test servers) from the npm registry into tests/upload/node_modules
# (git-ignored)
install_upload_test_deps() {
	heading "npm packages for the uploader's tests (tests/upload)"
	(cd "$SRC_DIR/tests/upload" && npm ci --no-audit --no-fund)
}

# L10N_LOCALES - the system locales the catalogs in po/ need: a mail or
# page in a language whose locale is missing falls back to English
L10N_LOCALES=(fr_FR)

# ensure_locales - generate each missing LANG_COUNTRY.UTF-8 locale
# (localedef adds it to /usr/lib/locale/locale-archive; Debian's
# /etc/locale.gen is left to the admin)
ensure_locales() {
	local loc have
	have=$(locale -a 2>/dev/null)
	for loc in "${L10N_LOCALES[@]}"; do
		if grep -qixF "$loc.utf8" <<<"$have"; then
			echo "locale $loc.UTF-8 present"
		else
			echo "generating locale $loc.UTF-8"
			localedef -i "$loc" -f UTF-8 "$loc.UTF-8"
		fi
	done
}

# install_deps - apt-get update, then every package we need
install_deps() {
	heading "Dependencies (Debian packages)"
	require_root deps
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${DEB_PACKAGES[@]}"
	ensure_locales
	# Node.js may come from elsewhere (NodeSource ships npm inside its
	# nodejs package, and Debian's npm would conflict with it): only a
	# machine without node or npm gets Debian's.
	command -v node >/dev/null || apt-get install -y --no-install-recommends nodejs
	command -v npm >/dev/null || apt-get install -y --no-install-recommends npm
	install_upload_test_deps
}

# clean_in_tree_configuration - an in-place ./configure blocks VPATH builds
clean_in_tree_configuration() {
	if [ -f "$SRC_DIR/config.status" ]; then
		echo "note: the source tree was configured in place; running 'make distclean' there"
		echo "      (builds live in build/ and build-asan/)"
		make -C "$SRC_DIR" distclean >/dev/null 2>&1 || rm -f "$SRC_DIR/config.status"
	fi
}

# build_all - autoreconf in the source tree, configure and make in build/
build_all() {
	heading "Build (in $BUILD_DIR)"
	clean_in_tree_configuration
	# git keeps no empty folder: configure.ac's macro dir may be missing
	mkdir -p "$SRC_DIR/m4"
	(cd "$SRC_DIR" && autoreconf -fi)
	mkdir -p "$BUILD_DIR"
	(
		cd "$BUILD_DIR"
		"$SRC_DIR/configure" --prefix=/usr --sysconfdir=/etc \
			--localstatedir=/var
		make -j2
	)
}

# ensure_system_accounts - group cloudspool-drop, system user cloudspool in
# it, shell nologin. systemd-sysusers reads our sysusers.d file from the
# source tree (the one make install puts in /usr/lib/sysusers.d): the
# accounts must exist before make install, whose hook makes the drop helper
# setgid cloudspool-drop. groupadd/useradd cover machines without it.
ensure_system_accounts() {
	local sysusers_file=$SRC_DIR/doc/systemd/cloudspool-sysusers.conf
	if command -v systemd-sysusers >/dev/null 2>&1 && [ -f "$sysusers_file" ]; then
		echo "systemd-sysusers $sysusers_file"
		systemd-sysusers "$sysusers_file"
	fi
	if ! getent group cloudspool-drop >/dev/null; then
		groupadd --system cloudspool-drop
	fi
	if ! getent passwd cloudspool >/dev/null; then
		useradd --system --user-group --no-create-home \
			--home-dir /var/spool/cloudspool --shell /usr/sbin/nologin \
			--comment "cloudspool spool daemon" cloudspool
	fi
	if ! id -nG cloudspool | tr ' ' '\n' | grep -qx cloudspool-drop; then
		usermod -a -G cloudspool-drop cloudspool
	fi
	# cloudspool-authd (consent callback) runs as its own user
	if ! getent passwd cloudspool-auth >/dev/null; then
		useradd --system --user-group --no-create-home \
			--home-dir /var/lib/cloudspool-auth --shell /usr/sbin/nologin \
			--comment "cloudspool consent callback server" cloudspool-auth
	fi
	echo "user: $(id cloudspool)"
}

# write_config_if_absent - the demo config, never over an admin's file
write_config_if_absent() {
	install -d -m 0755 -o root -g root /etc/cloudspool
	if [ -e "$CONF" ]; then
		echo "$CONF exists: left as it is"
	else
		install -m 0644 -o root -g root "$SRC_DIR/doc/cloudspool.conf.example" "$CONF"
		echo "wrote $CONF from doc/cloudspool.conf.example"
	fi
}

# check_setgid_helper - make install's hook must have made it setgid
check_setgid_helper() {
	local got
	got=$(stat -c '%G %a' "$SBINDIR/cloudspool-drop")
	[ "$got" = "cloudspool-drop 2755" ] ||
		die "$SBINDIR/cloudspool-drop is '$got', expected 'cloudspool-drop 2755'"
	echo "$SBINDIR/cloudspool-drop: setgid cloudspool-drop"
}

# install_all - accounts first (make install's hook needs the group)
install_all() {
	heading "Install"
	require_root install
	[ -f "$BUILD_DIR/Makefile" ] || die "no build in $BUILD_DIR: run './setup.sh build' first"
	ensure_system_accounts
	ensure_locales
	make -C "$BUILD_DIR" install
	check_setgid_helper
	write_config_if_absent
	install -d -m 0755 -o root -g root "$SCAN_ROOT"
	"$SBINDIR/cloudspoolctl" -c "$CONF" check-config
	"$SBINDIR/cloudspoolctl" -c "$CONF" init
	if systemd_is_running; then
		systemctl daemon-reload
	fi
}

# systemd_is_running - PID 1 is systemd and systemctl can talk to it
systemd_is_running() {
	local state
	[ "$(ps -o comm= -p 1 2>/dev/null)" = systemd ] || return 1
	command -v systemctl >/dev/null 2>&1 || return 1
	state=$(systemctl is-system-running 2>/dev/null || true)
	case $state in
	running | degraded | starting) return 0 ;;
	*) return 1 ;;
	esac
}

# ensure_demo_user - an ordinary user with no cloudspool group
ensure_demo_user() {
	if ! getent passwd "$DEMO_USER" >/dev/null; then
		useradd --create-home --shell /bin/bash "$DEMO_USER"
		echo "created user $DEMO_USER"
	else
		echo "user $DEMO_USER exists"
	fi
}

# write_sample_pdf - a one-page PDF written by hand (scripts/pdf.sh)
write_sample_pdf() {
	local out=$1 text=$2
	# shellcheck source=scripts/pdf.sh
	source "$SRC_DIR/scripts/pdf.sh"
	pdf_write "$out" "BT /F1 18 Tf 72 720 Td ($text) Tj ET"
}

# wait_for_public_key - the daemon's first pass publishes the first epoch
wait_for_public_key() {
	local spool i
	spool=$(spool_directory)
	for i in $(seq 1 100); do
		[ -s "$spool/public/current" ] && return 0
		sleep 0.1
	done
	die "no public key in $spool/public after 10 s: is cloudspoold running?"
}

# spool_directory - [spool] directory of the installed config
spool_directory() {
	local dir
	dir=$(sed -n 's/^[[:space:]]*directory[[:space:]]*=[[:space:]]*//p' "$CONF" | tail -n 1)
	printf '%s\n' "${dir:-/var/spool/cloudspool}"
}

# wait_for_delivery - poll the demo user's folder for the file count to grow
wait_for_delivery() {
	local folder=$1 before=$2 i
	for i in $(seq 1 100); do
		if [ "$(count_files "$folder")" -gt "$before" ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# count_files - regular files in a folder (0 when it does not exist)
count_files() {
	[ -d "$1" ] || { echo 0; return; }
	find "$1" -maxdepth 1 -type f | wc -l
}

# run_demo - one document from csdemo through the spool into its folder
run_demo() {
	require_root demo
	install_deps
	build_all
	install_all

	heading "Demo user and sample document"
	ensure_demo_user
	local home doc folder before job_ids newest where
	home=$(getent passwd "$DEMO_USER" | cut -d: -f6)
	doc=$home/cloudspool-sample.pdf
	write_sample_pdf "$doc" "Hello from cloudspool, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	chown "$DEMO_USER:" "$doc"
	chmod 0600 "$doc"
	echo "sample document: $doc ($(stat -c %s "$doc") bytes)"
	folder=$SCAN_ROOT/$DEMO_USER
	before=$(count_files "$folder")

	if systemd_is_running; then
		heading "Daemon (systemd unit cloudspoold.service)"
		systemctl enable --now cloudspoold.service
		wait_for_public_key
		heading "Submit as $DEMO_USER"
		job_ids=$(runuser -u "$DEMO_USER" -- "$BINDIR/cloudspool" -c "$CONF" submit -a demo "$doc")
		echo "job: $job_ids"
		wait_for_delivery "$folder" "$before" ||
			die "the job was not delivered within 10 s (see: cloudspoolctl status)"
	else
		heading "Daemon (by hand: PID 1 is not systemd here, so cloudspoold --once)"
		echo "PID 1 is '$(ps -o comm= -p 1)'; in production: systemctl enable --now cloudspoold"
		echo "first pass: creates the spool's first key epoch"
		"$SBINDIR/cloudspoold" -c "$CONF" --once
		heading "Submit as $DEMO_USER"
		job_ids=$(runuser -u "$DEMO_USER" -- "$BINDIR/cloudspool" -c "$CONF" submit -a demo "$doc")
		echo "job: $job_ids"
		heading "Daemon pass: pickup, process, deliver, shred"
		"$SBINDIR/cloudspoold" -c "$CONF" --once
		wait_for_delivery "$folder" "$before" ||
			die "the job was not delivered by 'cloudspoold --once' (see: cloudspoolctl status)"
	fi

	heading "Delivered"
	ls -l "$folder/"
	# the audit trail says where this job went; the newest file otherwise
	where=$("$SBINDIR/cloudspoolctl" -c "$CONF" audit show 2>/dev/null |
		jq -r --arg id "$job_ids" 'select(.event == "delivered" and .job == $id) | .where' 2>/dev/null |
		tail -n 1) || where=
	if [ -z "$where" ]; then
		newest=$(find "$folder" -maxdepth 1 -type f -printf '%T@ %f\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
		where=$folder/$newest
	fi
	echo "the document is now $where (owned by $DEMO_USER)"

	heading "Audit trail (cloudspoolctl audit show | tail)"
	"$SBINDIR/cloudspoolctl" -c "$CONF" audit show | tail
	heading "Audit verification"
	"$SBINDIR/cloudspoolctl" -c "$CONF" audit verify
}

# install_consent_test_peers - npm packages of tests/consent (the OAuth2
# server, the SMTP sink, the browser driver), from its package-lock.json
install_consent_test_peers() {
	heading "Consent test peers (npm, tests/consent)"
	(cd "$SRC_DIR/tests/consent" && npm ci --no-audit --no-fund)
}

# run_tests - the whole set-up, then every test
run_tests() {
	require_root test
	install_deps
	build_all
	install_all
	install_consent_test_peers
	heading "Tests (tests/run-tests.sh)"
	"$SRC_DIR/tests/run-tests.sh"
}

main() {
	case "${1:-}" in
	deps) install_deps ;;
	build) build_all ;;
	install) install_all ;;
	demo) run_demo ;;
	test) run_tests ;;
	-h | --help | help) print_usage ;;
	"") print_usage ;;
	*) print_usage >&2; die "unknown command '$1'" ;;
	esac
}

main "$@"
