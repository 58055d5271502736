#!/bin/bash
# test_nodes.sh - this heraldd as a node (core/node.c) on the SQLite store:
# /v1/status names the node (a UUID, this host, the daemon's pid) and
# lists it as the one live node, its heartbeat fresh and advancing; the
# store's nodes table agrees (read with the sqlite3 shell); the jobs it
# claims are held under its UUID; heraldctl status prints the Nodes
# section; /metrics has its gauges with a node label; a restart is a new
# node with a new UUID, and the first one, stopped cleanly, has left the
# list; a node killed stays listed until its beat ages out.
. "$top_srcdir/tests/integration/lib.sh"

: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
PY=/usr/bin/python3

q() { sqlite3 -batch -cmd '.timeout 3000' "$T/n.db" "$1" 2>/dev/null; }
q_is() { [ "$(q "$1")" = "$2" ]; }	# q_is SQL VALUE -- for wait_until
q_gt() { [ "$(q "$1")" -gt "$2" ] 2>/dev/null; }
status() { curl -sS "$API/v1/status" >"$T/status.json"; }
jv() {		# jv EXPR -- a Python expression over j, the last status
	$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); v='"$1"'
print(str(v).lower() if isinstance(v, bool) else v)' "$T/status.json"
}

cd "$T" || exit 1
now=$(date +%s)
# Reminders an hour ahead: claimed only inside the prefetch window, so a
# short prefetch keeps them pending; one reminder a day ahead.
cat >n.conf <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:n.db";
  engine = { workdays_only = [ ]; prefetch = "2h"; }; };
channels = ( { name = "audit"; plugin = "log"; file = "audit.log"; } );
contacts = ( { id = "a1"; name = "甲"; prefer = [ "audit" ]; },
             { id = "a2"; name = "乙"; prefer = [ "audit" ]; } );
campaigns = ( {
  id = "n"; title = "节点测试";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 3 * 86400)))" ];
  deadlines = ( { id = "d1"; title = "报送"; due = "$(sh_civil $((now + 86400 + 3600)))";
    audience = [ "a1", "a2" ]; remind = [ "1d" ]; } );
} );
CONF

start_bg "$T/d1.log" "$HERALDD" -f -c n.conf
pid1=$BG_PID
if ! wait_listen "$T/d1.log"; then
	not_ok "heraldd listens" "$(cat "$T/d1.log")"
	done_testing
	exit 0
fi
ok "heraldd listens on $API"
wait_until 10 q_is "SELECT count(*) FROM jobs WHERE state = 'inflight'" 2 &&
    ok "both reminders (due within the prefetch window) claimed" ||
    not_ok "both reminders claimed" "$(q 'SELECT state, count(*) FROM jobs GROUP BY 1')"

status
id1=$(jv 'j["node"]["id"]')
like "$id1" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
    "status: node id is a version-4 UUID"
is "$(jv 'j["node"]["host"]')" "$(hostname)" "status: node host is this host"
is "$(jv 'j["node"]["pid"]')" "$pid1" "status: node pid is the daemon's"
is "$(jv 'j["node"]["generation"]')" 1 "status: node generation 1"
is "$(jv 'len(j["nodes"])')" 1 "status: one live node"
is "$(jv 'j["nodes"][0]["id"]')" "$id1" "status: the live node is this one"
is "$(jv 'j["nodes"][0]["self"]')" true "status: marked self"
is "$(jv 'j["nodes"][0]["differs"]')" false "status: runs the same config"
is "$(q "SELECT id || ' ' || pid FROM nodes")" "$id1 $pid1" "store: one nodes row, this id and pid"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'inflight' AND owner = '$id1'")" 2 \
    "store: the claimed jobs are held under the node's UUID"
lease=$(q "SELECT min(lease_until) FROM jobs WHERE state = 'inflight'")
check "store: the claims hold a lease in the future" test "$lease" -gt "$(date +%s)"

beat1=$(q "SELECT last_beat FROM nodes WHERE id = '$id1'")
t=$(date +%s)
check "store: the last beat is fresh" test $((t - beat1)) -le 6
wait_until 15 q_gt "SELECT last_beat FROM nodes WHERE id = '$id1'" "$beat1" &&
    ok "the heartbeat advances within 15 s" ||
    not_ok "the heartbeat advances" "beat $beat1, now $(date +%s)"
status
beat2=$(jv 'j["nodes"][0]["last_beat"]')
beat2_unix=$(q "SELECT last_beat FROM nodes WHERE id = '$id1'")
is "$(TZ=Asia/Shanghai date -d "@$beat2_unix" '+%Y-%m-%dT%H:%M:%S')" "${beat2:0:19}" \
    "status: last_beat is the row's, in the config's zone"
is "$(jv 'j["nodes"][0]["in_flight"]')" 2 "status: the node holds the 2 claimed jobs"

"$HERALDCTL" -u "$API" status >"$T/ctl.out" 2>&1
is "$?" 0 "heraldctl status exits 0"
like "$(cat "$T/ctl.out")" "^node: +$id1 on $(hostname), pid $pid1\$" "heraldctl status: node line"
like "$(cat "$T/ctl.out")" '^Nodes \(1 live\):$' "heraldctl status: Nodes section"
like "$(cat "$T/ctl.out")" "^$id1 +$(hostname) +$pid1 +[0-9-]+ [0-9:]+ +2 +1 +[0-9a-f]{16} +\\(this node\\)\$" \
    "heraldctl status: the node's row"

curl -sS "$API/metrics" >"$T/metrics.txt"
like "$(cat "$T/metrics.txt")" "^herald_node_in_flight\\{node=\"$id1\",host=\"$(hostname)\"\\} 2\$" \
    "metrics: herald_node_in_flight with the node label"
like "$(cat "$T/metrics.txt")" "^herald_node_last_beat_seconds\\{node=\"$id1\",host=\"[^\"]*\"\\} [0-9]{10}\$" \
    "metrics: herald_node_last_beat_seconds"
like "$(cat "$T/metrics.txt")" '^herald_nodes_live 1$' "metrics: one live node"

# A restart is a new node: a new UUID, the jobs recovered and claimed
# again under it.
kill -TERM "$pid1"
wait_exit "$pid1" 10
is "$EXIT_STATUS" 0 "heraldd stops cleanly"
start_bg "$T/d2.log" "$HERALDD" -f -c n.conf
pid2=$BG_PID
if ! wait_listen "$T/d2.log"; then
	not_ok "heraldd listens again" "$(cat "$T/d2.log")"
	done_testing
	exit 0
fi
status
id2=$(jv 'j["node"]["id"]')
like "$id2" '^[0-9a-f]{8}-' "restart: a node id"
check "restart: a new UUID" test "$id2" != "$id1"
is "$(jv 'j["node"]["pid"]')" "$pid2" "restart: the new pid"
# The first node stopped cleanly and left: its row went with it, so
# the new node is the only one live at once (not when the old beat ages
# out), and claims the whole window, not half of it.
is "$(jv '" ".join(n["id"] for n in j["nodes"])')" "$id2" \
    "restart: only the new node listed (the first one left)"
is "$(jv '[n["self"] for n in j["nodes"] if n["id"] == "'"$id2"'"][0]')" true \
    "restart: the new node is marked self"
is "$(q "SELECT id FROM nodes")" "$id2" "store: the stopped node's row is gone"
wait_until 10 q_is "SELECT count(*) FROM jobs WHERE state = 'inflight' AND owner = '$id2'" 2 &&
    ok "restart: the jobs are held under the new UUID" ||
    not_ok "restart: jobs under the new UUID" "$(q 'SELECT owner, state FROM jobs')"

# A node killed leaves its row behind: listed live until its beat is
# NODE_LIVE_SECONDS old.
kill -KILL "$pid2"
wait_exit "$pid2" 10
start_bg "$T/d3.log" "$HERALDD" -f -c n.conf
pid3=$BG_PID
if wait_listen "$T/d3.log"; then
	status
	id3=$(jv 'j["node"]["id"]')
	is "$(jv '" ".join(sorted(n["id"] for n in j["nodes"]))')" \
	    "$(printf '%s\n' "$id2" "$id3" | sort | tr '\n' ' ' | sed 's/ $//')" \
	    "kill -9: the killed node stays listed while its beat is under 30 s old"
	is "$(q "SELECT count(*) FROM nodes")" 2 "store: the killed node's row stays"
	kill -TERM "$pid3"
	wait_exit "$pid3" 10
else
	not_ok "heraldd listens after kill -9" "$(cat "$T/d3.log")"
fi

is "$(unexpected_warnings "$T/d1.log" 'CLOCK NOT SYNCHRONIZED|cannot check clock')" "" "no unexpected warnings (first run)"
is "$(unexpected_warnings "$T/d2.log" 'CLOCK NOT SYNCHRONIZED|cannot check clock')" "" "no unexpected warnings (second run)"
done_testing
