#!/bin/bash
# contrib/quickstart.sh run|test|build|deb - herald's two quick-start commands.
#
#   run    install what is missing, build, run heraldd in the foreground on
#          conf/herald.conf (log channel, embedded SQLite store)
#   test   install what is missing, build, run every test, and end with the
#          line "N passed, N failed"
#   deb    install the packaging tools, build the .deb files into _deb/
#
# Idempotent: packages already installed are not reinstalled, a configured
# build is reused.  Builds out of tree in _build/ so the checkout stays clean.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${HERALD_BUILD_DIR:-$top/_build}
mode=${1:-run}

# Debian packages: build tools, libraries, and the test tools.
pkgs_build="build-essential autoconf automake libtool pkg-config
	libevent-dev libconfig-dev libesmtp-dev uuid-dev libsqlite3-dev libpq-dev
	libjansson-dev libcurl4-openssl-dev libssl-dev libcmocka-dev libical-dev
	libxlsxwriter-dev libcrypt-dev libsystemd-dev"
pkgs_test="faketime sqlite3 python3 procps python3-aiosmtpd swaks openssl kannel kannel-extras
	curl python3-icalendar chromium chromium-driver python3-selenium
	python3-prometheus-client e2fsprogs prometheus-alertmanager postgresql
	python3-openpyxl systemd dpkg-dev fonts-wqy-microhei"

# What contrib/build-deb.sh needs beyond pkgs_build (the deb mode).
pkgs_deb="debhelper dpkg-dev fakeroot lintian"

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
	cd "$top"
	heraldd=("$build/core/heraldd" -p "$build/plugins/.libs")
	echo "quickstart: heraldd -t -c conf/herald.conf" >&2
	"${heraldd[@]}" -t -c conf/herald.conf
	# conf/herald.conf's demo is dated; to see notices fire now, run the
	# same kind of campaign placed relative to this moment.
	demo=$top/var/quickstart
	rm -rf "$demo"
	mkdir -p "$demo"
	now=$(date +%s)
	while IFS= read -r line; do
		while [[ $line =~ @([TD])\+([0-9]+)@ ]]; do
			if [ "${BASH_REMATCH[1]}" = T ]; then
				v=$(TZ=Asia/Shanghai date -d "@$((now + BASH_REMATCH[2]))" '+%Y-%m-%d %H:%M:%S')
			else
				v=$(TZ=Asia/Shanghai date -d "@$((now + BASH_REMATCH[2] * 86400))" '+%Y-%m-%d')
			fi
			line=${line/"${BASH_REMATCH[0]}"/$v}
		done
		printf '%s\n' "$line"
	done <contrib/demo.conf.in >"$demo/herald.conf"
	# Secrets of the demo's API and acknowledgement links, made fresh.
	(umask 077
	 od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$demo/api.token"
	 od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$demo/ack.key")
	echo "quickstart: heraldd -f -c var/quickstart/herald.conf" \
		"(a live demo: notices start in 15 s, a drill of the stampede" \
		"plan at 60 s; Ctrl-C stops it)" >&2
	echo "quickstart: meanwhile, in another terminal:" \
		"$build/ctl/heraldctl -T var/quickstart/api.token agenda --state any" >&2
	# The drill a minute after the start, through the API as a venue's
	# liaison would; heraldd keeps this shell's pid (exec), so the drill
	# is skipped once it has stopped.
	(sleep "${HERALD_DEMO_DRILL_AFTER:-60}"
	 kill -0 $$ 2>/dev/null || exit 0
	 echo "quickstart: heraldctl incident trigger stampede 演示商场 --drill" >&2
	 "$build/ctl/heraldctl" -T "$demo/api.token" incident trigger stampede \
		演示商场 --note "演示：三楼扶梯口人群拥挤" --drill >&2 ||
		echo "quickstart: the drill could not be triggered" >&2) &
	exec "${heraldd[@]}" -f -c "$demo/herald.conf"
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
deb)
	# shellcheck disable=SC2086
	install_missing $pkgs_build $pkgs_deb
	"$top/contrib/build-deb.sh" "$top/_deb"
	;;
*)
	echo "usage: $0 run|test|build|deb" >&2
	exit 2
	;;
esac
