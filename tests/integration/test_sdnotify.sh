#!/bin/bash
# test_sdnotify.sh - heraldd speaks sd_notify(3) as herald.service
# (Type=notify, WatchdogSec=) expects: a datagram listener stands in for
# systemd at $NOTIFY_SOCKET.  READY=1 comes once the API answers (the
# listener probes /healthz when it gets READY=1); WATCHDOG=1 every half
# $WATCHDOG_USEC; RELOADING=1 then READY=1 around SIGHUP; STOPPING=1 on
# SIGTERM.  Skips when heraldd was built without libsystemd.
. "$top_srcdir/tests/integration/lib.sh"

if ! grep -q '^#define HAVE_SYSTEMD 1' "$top_builddir/config.h"; then
	echo "1..0 # SKIP heraldd built without libsystemd (configure --with-systemd)"
	exit 0
fi

cat >"$T/h.conf" <<'CONF'
herald = { listen = "127.0.0.1:0";
  timezone = "Asia/Shanghai";
  store = "sqlite:herald.db";
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; } );
contacts = (
  { id = "bj-wang"; name = "王晓明"; phone = "13800138000"; prefer = [ "log" ]; }
);
CONF

sock=$T/notify.sock
start_bg "$T/listener.log" python3 "$top_srcdir/tests/integration/notify_listener.py" \
    "$sock" "$T/notify.out" "$T/heraldd.log"
wait_until 10 test -S "$sock" || not_ok "the notify listener binds" "$(cat "$T/listener.log")"

# 400 ms: a ping every 200 ms.  No WATCHDOG_PID: sd_watchdog_enabled()
# checks it only when set (systemd sets it to the main pid).
WD_USEC=400000
cd "$T" || exit 1
start_bg "$T/heraldd.log" env NOTIFY_SOCKET="$sock" WATCHDOG_USEC=$WD_USEC \
    "$HERALDD" -f -c h.conf
pid=$BG_PID

if wait_until 20 grep -q 'READY=1' "$T/notify.out"; then
	ok "READY=1 is sent"
else
	not_ok "READY=1 is sent" "$(cat "$T/heraldd.log" "$T/notify.out" 2>/dev/null)"
fi
wait_until 10 grep -q ' PROBE ' "$T/notify.out"
is "$(sed -n 's/^[0-9.]* PROBE //p' "$T/notify.out" | head -1)" 200 \
	"when READY=1 arrives, the API already answers /healthz (200)"
like "$(grep -m1 'READY=1' "$T/notify.out")" \
	'READY=1\|STATUS=ready: config generation 1, 0 campaigns, 1 contacts, 1 channels$' \
	"READY=1 carries the ready line as STATUS="
# Nothing but watchdog pings before READY=1.
before=$(sed -n '/READY=1/q;p' "$T/notify.out" | grep -v ' WATCHDOG=1$')
is "$before" "" "nothing but watchdog pings comes before READY=1"

# The pings: those in the 2 s after READY=1 (the pings go on meanwhile).
wait_until 10 sh -c "awk '/READY=1/ { r = \$1 } r && \$1 > r + 2.2 { f = 1 } END { exit !f }' '$T/notify.out'"
pings=$(awk '/READY=1/ { r = $1 } r && $2 == "WATCHDOG=1" && $1 > r && $1 <= r + 2 { print $1 }' "$T/notify.out")
n=$(printf '%s\n' "$pings" | grep -c .)
# Every 200 ms: 10 in 2 s (one fewer or more by phase or a late timer).
if [ "$n" -ge 9 ] && [ "$n" -le 11 ]; then
	ok "WATCHDOG=1 every half WATCHDOG_USEC ($n pings in 2 s)"
else
	not_ok "WATCHDOG=1 every half WATCHDOG_USEC ($n pings in 2 s, want 9-11)" "$(cat "$T/notify.out")"
fi
gaps=$(printf '%s\n' "$pings" | awk 'NR > 1 { g = ($1 - p) * 1000; if (g > max) max = g; s += g; k++ } { p = $1 } END { if (k) printf "%d %d", s / k, max }')
mean=${gaps% *}
max=${gaps#* }
if [ -n "$gaps" ] && [ "$mean" -ge 170 ] && [ "$mean" -le 240 ] && [ "$max" -lt 400 ]; then
	ok "pings ${mean} ms apart on average (want 200), none ${max} ms or more late"
else
	not_ok "pings ${mean:-?} ms apart on average (want 200), the longest gap ${max:-?} ms (< 400)"
fi
grep -q 'systemd watchdog: a ping every 200 ms' "$T/heraldd.log"
is "$?" 0 "heraldd logs the ping interval"

# SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1.
mark=$(wc -l <"$T/notify.out")
kill -HUP "$pid"
wait_until 10 sh -c "tail -n +$((mark + 1)) '$T/notify.out' | grep -q 'READY=1'"
after=$(tail -n +$((mark + 1)) "$T/notify.out" | grep -v ' WATCHDOG=1$' | cut -d' ' -f2-)
like "$(printf '%s\n' "$after" | sed -n 1p)" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+\|STATUS=reloading the config$' \
	"SIGHUP: RELOADING=1 with MONOTONIC_USEC first"
is "$(printf '%s\n' "$after" | sed -n 2p)" 'READY=1|STATUS=ready: config generation 2 (reloaded)' \
	"... then READY=1 once generation 2 is in use"

# A broken file: still READY=1 (the old config serves), the status says so.
mark=$(wc -l <"$T/notify.out")
echo 'remnd = "1d";' >>"$T/h.conf"
kill -HUP "$pid"
wait_until 10 sh -c "tail -n +$((mark + 1)) '$T/notify.out' | grep -q 'READY=1'"
is "$(tail -n +$((mark + 1)) "$T/notify.out" | grep 'READY=1' | cut -d' ' -f2-)" \
	'READY=1|STATUS=ready: reload failed, config generation 2 kept' \
	"a broken reload: READY=1, generation 2 kept"

# SIGTERM: STOPPING=1, then the process exits 0.
kill -TERM "$pid"
wait_exit "$pid" 20
is "$EXIT_STATUS" 0 "SIGTERM: heraldd exits 0"
grep -q 'STOPPING=1|STATUS=stopping after sends in flight' "$T/notify.out"
is "$?" 0 "SIGTERM: STOPPING=1 is sent"
last=$(grep -v ' WATCHDOG=1$' "$T/notify.out" | tail -1 | cut -d' ' -f2-)
is "$last" 'STOPPING=1|STATUS=stopping after sends in flight' "STOPPING=1 is the last message"

# Outside systemd (no NOTIFY_SOCKET) nothing changes: the same config runs.
cp "$T/h.conf.ok" "$T/h.conf" 2>/dev/null || sed -i '/^remnd/d' "$T/h.conf"
start_bg "$T/plain.log" "$HERALDD" -f -c h.conf
if wait_until 20 log_has "$T/plain.log" 'ready: config generation 1'; then
	ok "without NOTIFY_SOCKET heraldd starts as before"
else
	not_ok "without NOTIFY_SOCKET heraldd starts as before" "$(cat "$T/plain.log")"
fi
grep -q 'systemd watchdog' "$T/plain.log"
is "$?" 1 "... with no watchdog"
done_testing
