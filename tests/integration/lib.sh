# tests/integration/lib.sh - TAP helpers for herald's integration tests.
#
# Source it from a test script.  It gives: a private work dir ($T) removed
# at exit, TAP output (ok/not_ok/is/done_testing), bounded waits, and
# cleanup of every daemon started with start_bg.  Nothing here sleeps for a
# fixed time to "let things settle": waits poll a condition with a deadline.

set -u
: "${top_srcdir:?run through make check}"
: "${top_builddir:?run through make check}"
: "${HERALDD:=$top_builddir/core/heraldd}"
: "${HERALD_PLUGIN_DIR:=$top_builddir/plugins/.libs}"
export HERALD_PLUGIN_DIR
# Tests import helpers from $top_srcdir/tests/integration (example.py):
# no __pycache__ there, the source tree is read-only under distcheck.
export PYTHONDONTWRITEBYTECODE=1

T=$(mktemp -d "${TMPDIR:-/tmp}/herald-test.XXXXXX")
_tap_n=0
_tap_failed=0
_bg_pids=()

_lib_cleanup() {
	local p
	for p in "${_bg_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${_bg_pids[@]}"; do
		# bounded: at most 5 s per process, then SIGKILL
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap _lib_cleanup EXIT

# libfaketime, preloaded directly: the faketime(1) wrapper would stand
# between a test and the daemon's signals and exit status.
FAKETIME_LIB=
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 \
    /usr/local/lib/faketime/libfaketime.so.1; do
	[ -f "$f" ] && { FAKETIME_LIB=$f; break; }
done

# fake_at "YYYY-MM-DD HH:MM:SS" CMD... -- exec CMD with its clock starting
# there (Asia/Shanghai) and running at normal speed.  It execs, so use it
# only as start_bg's command: $BG_PID is then the daemon itself.
fake_at() {
	local start
	start=$(TZ=Asia/Shanghai date -d "$1" '+%Y-%m-%d %H:%M:%S') || return 1
	shift
	export TZ=Asia/Shanghai
	fake_clock "@$start" "$@"
}

# fake_clock SPEC CMD... -- exec CMD under libfaketime with FAKETIME=SPEC
# ("@2026-09-01 10:00:00" to start there, "+2" to run 2 s ahead); as
# fake_at, only as start_bg's command.
fake_clock() {
	local spec=$1
	shift
	# A sanitizer build wants its runtime first in the preload list;
	# libfaketime there is deliberate, so tell ASan not to object.
	exec env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$spec" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}

ok() {		# ok DESCRIPTION -- a passed test point
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $*"
}

not_ok() {	# not_ok DESCRIPTION [DIAGNOSTIC...]
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

check() {	# check DESCRIPTION COMMAND... -- ok when the command succeeds
	local desc=$1
	shift
	if "$@" >"$T/.check.out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc" "command failed: $*" "$(head -c 2000 "$T/.check.out")"
	fi
}

is() {		# is GOT EXPECTED DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3" "got:      $1" "expected: $2"
	fi
}

like() {	# like TEXT REGEX DESCRIPTION (grep -E)
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok "$3"
	else
		not_ok "$3" "no match for /$2/ in:" "$(printf '%s' "$1" | head -c 2000)"
	fi
}

done_testing() {
	echo "1..$_tap_n"
}

# wait_until SECONDS COMMAND... -- poll every 50 ms; 0 when it succeeded.
wait_until() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 20; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# start_bg LOGFILE COMMAND... -- run a daemon in the background; sets $BG_PID.
start_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	BG_PID=$!
	_bg_pids+=("$BG_PID")
}

# receiver_start -- the recording webhook receiver (webhook_receiver.py),
# logging every post to $T/hooks.jsonl; sets $P to its port.  When it
# does not come up, the test fails and exits here.
receiver_start() {
	start_bg "$T/receiver.out" /usr/bin/python3 \
	    "$top_srcdir/tests/integration/webhook_receiver.py" \
	    --port-file "$T/hooks.port" --log "$T/hooks.jsonl"
	if ! wait_until 15 test -s "$T/hooks.port"; then
		not_ok "the receiver starts" "$(cat "$T/receiver.out")"
		done_testing
		exit 1
	fi
	P=$(cat "$T/hooks.port")
}

# contacts_conf N DIGITS -- N contacts c0001... (ids DIGITS wide) on the
# channel "hook" and a group "all" of them, as a config fragment.
contacts_conf() {
	awk -v n="$1" -v w="$2" 'BEGIN {
	print "contacts = ("
	for (i = 1; i <= n; i++)
		printf "  { id = \"c%0*d\"; name = \"联络员%0*d\"; prefer = [ \"hook\" ]; }%s\n", w, i, w, i, i < n ? "," : ""
	print ");"
	print "groups = ( { id = \"all\"; members = ["
	for (i = 1; i <= n; i++)
		printf "  \"c%0*d\"%s\n", w, i, i < n ? "," : ""
	print "] } );"
}'
}

# wait_exit PID SECONDS -- wait for a background child to exit and set
# $EXIT_STATUS to its status ("timeout" when it did not).  Not in $(...):
# a subshell cannot wait for its parent's children.
wait_exit() {
	local pid=$1 limit=$2 i
	EXIT_STATUS=timeout
	for ((i = 0; i < limit * 20; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			EXIT_STATUS=$?
			return 0
		fi
		sleep 0.05
	done
	return 1
}

sh_civil() {	# sh_civil EPOCH -- Unix -> Asia/Shanghai "YYYY-MM-DD HH:MM:SS"
	TZ=Asia/Shanghai date -d "@$1" '+%Y-%m-%d %H:%M:%S'
}

lines() {	# lines FILE -- its line count, 0 when absent
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

log_has() {	# log_has FILE REGEX
	grep -Eq -- "$2" "$1"
}

# unexpected_warnings LOG [ALLOWED_REGEX] -- warning/err lines not allowed.
unexpected_warnings() {
	local allowed=${2:-'^$'}
	grep -E '\[(warning|err)\]' "$1" | grep -Ev -- "$allowed" || true
}

# wait_listen LOG [SECONDS] -- wait for heraldd's "http: listening on
# HOST:PORT" line (configs in tests use listen = "127.0.0.1:0") and set
# $API to "http://HOST:PORT".  Returns 1 on timeout.
wait_listen() {
	local log=$1 limit=${2:-20} addr
	API=
	wait_until "$limit" grep -q 'http: listening on ' "$log" || return 1
	addr=$(sed -n 's/.*http: listening on \([^ ]*\).*/\1/p' "$log" | head -1)
	API="http://$addr"
}
