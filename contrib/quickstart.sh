#!/bin/bash
# contrib/quickstart.sh run|test|build - herald's two quick-start commands.
#
#   run    install what is missing, build, run heraldd in the foreground on
#          conf/herald.conf (log channel, embedded SQLite store)
#   test   install what is missing, build, run every test, and end with the
#          line "N passed, N failed"
#
# Idempotent: packages already installed are not reinstalled, a configured
# build is reused.  Builds out of tree in _build/ so the checkout stays clean.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${HERALD_BUILD_DIR:-$top/_build}
mode=${1:-run}

# Debian packages: build tools, libraries, and the test tools.
pkgs_build="build-essential autoconf automake libtool pkg-config
	libevent-dev libconfig-dev libesmtp-dev uuid-dev libsqlite3-dev
	libjansson-dev libcurl4-openssl-dev libssl-dev libcmocka-dev"
pkgs_test="faketime sqlite3 python3 procps"

install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "quickstart: installing ${missing[*]}" >&2
	local sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	# No init system on CI boxes: keep postinst scripts from starting servers.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod 755 /usr/sbin/policy-rc.d
	fi
	$sudo apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >/dev/null
}

build() {
	cd "$top"
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		./autogen.sh >/dev/null 2>&1 || { ./autogen.sh; exit 1; }
	fi
	mkdir -p "$build"
	cd "$build"
	if [ ! -f config.status ] || [ "$top/configure" -nt config.status ]; then
		"$top/configure" --enable-werror ${HERALD_CONFIGURE_FLAGS:-} >configure.out 2>&1 ||
			{ tail -20 configure.out; exit 1; }
	fi
	make -j"$(nproc)" >make.out 2>&1 || { grep -E 'error|Error' make.out | head -40; exit 1; }
}

case $mode in
run)
	# shellcheck disable=SC2086
	install_missing $pkgs_build
	build
	mkdir -p "$top/var"
	echo "quickstart: heraldd -f -c conf/herald.conf (Ctrl-C stops it)" >&2
	cd "$top"
	exec "$build/core/heraldd" -f -c conf/herald.conf -p "$build/plugins/.libs"
	;;
test)
	# shellcheck disable=SC2086
	install_missing $pkgs_build $pkgs_test
	build
	cd "$build"
	find . -name '*.trs' -delete
	make -j"$(nproc)" check >check.out 2>&1 || true
	grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' check.out | grep -v '^PASS' || true
	exec "$top/tests/tally.sh" "$build"
	;;
build)
	# shellcheck disable=SC2086
	install_missing $pkgs_build
	build
	;;
*)
	echo "usage: $0 run|test|build" >&2
	exit 2
	;;
esac
