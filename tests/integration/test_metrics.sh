#!/bin/bash
# test_metrics.sh - GET /metrics against a daemon that has delivered,
# retried and failed real sends: the text follows the exposition format
# 0.0.4 line by line (a parser written here, and prometheus_client's when
# installed), every histogram is cumulative and ends at +Inf = _count, and
# the values agree with sources outside the daemon: job counts by state
# with the store read by Python's sqlite3, deliveries with the log
# channel's file, sends, retries and failures with the requests a webhook
# receiver recorded, send latency with a receiver that answers after 1 s,
# firing lateness with the number of hand-offs, the clock gauge with
# adjtimex(2) asked through ctypes.  Then metrics_auth = true by reload
# (401 without the token, 403 with a wrong one) and a broken reload
# (last_reload_success 0, generation kept).
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
CT='text/plain; version=0.0.4; charset=utf-8'
ALLOWED='CLOCK NOT SYNCHRONIZED|cannot check clock|failed: reminder m/d1 for b[0-9] via bad|channel bad: failing: |reload: m.conf:[0-9]+: syntax error|reload failed: keeping'

if [ ! -f "$HERALD_PLUGIN_DIR/webhook.so" ]; then
	echo "1..0 # SKIP the webhook plugin was not built"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$T/m.db" "$1" 2>/dev/null; }
q_ge() { [ "$(q "$1")" -ge "$2" ] 2>/dev/null; }

cd "$T" || exit 1
start_bg "$T/recv.out" $PY "$RECEIVER" --port-file "$T/recv.port" --log "$T/recv.jsonl"
if ! wait_until 15 test -s "$T/recv.port"; then
	not_ok "the receiver starts" "$(cat "$T/recv.out")"
	done_testing
	exit 0
fi
P=$(cat "$T/recv.port")

NAUDIT=4 NBAD=3 NSLOW=2 NREM=2
contacts() {	# contacts PREFIX N CHANNEL
	awk -v p="$1" -v n="$2" -v ch="$3" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "  { id = \"%s%d\"; name = \"联络员%s%d\"; phone = \"1380013%04d\"; prefer = [ \"%s\" ]; },\n",
	    p, i, p, i, i, ch }'
}
ids() {		# ids PREFIX N
	awk -v p="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "%s\"%s%d\"", (i > 1 ? ", " : ""), p, i }'
}

# Reminders at now + 3 and now + 4; the deadline itself (and its overdue
# notices) five minutes on, so those stay pending.  The "bad" receiver
# path answers 500 every time: three attempts, two retries, then failed.
# A launch two days ahead makes the engine check the clock at start.
now=$(date +%s)
due=$((now + 300))
write_conf() {	# write_conf EXTRA_HERALD_SETTINGS
	cat >m.conf <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:m.db";
  $1
  engine = { workdays_only = [ ];
             retry = { attempts = 3; base = "1s"; cap = "2s"; max_age = "1h"; }; };
};
channels = (
  { name = "audit"; plugin = "log"; file = "audit.log"; format = "json"; },
  { name = "bad"; plugin = "webhook"; url = "http://127.0.0.1:$P/500-1000000/bad"; rate = "100/s"; },
  { name = "slow"; plugin = "webhook"; url = "http://127.0.0.1:$P/slow-1/slow"; rate = "100/s"; }
);
contacts = (
$(contacts a $NAUDIT audit)$(contacts b $NBAD bad)$(contacts s $NSLOW slow)
  { id = "lead"; name = "组长"; prefer = [ "audit" ]; }
);
campaigns = ( {
  id = "m"; title = "指标测试";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 3 * 86400)))" ];
  launch = { title = "启动"; at = "$(sh_civil $((now + 2 * 86400)))";
             countdown = [ "1d" ]; audience = [ "lead" ]; };
  deadlines = ( {
    id = "d1"; title = "报送材料"; due = "$(sh_civil "$due")";
    audience = [ $(ids a $NAUDIT), $(ids b $NBAD), $(ids s $NSLOW) ];
    remind = [ "297s", "296s" ];
  } );
} );
CONF
}
write_conf ""

t_start=$(date +%s)
start_bg "$T/d.log" "$HERALDD" -f -c m.conf
HPID=$BG_PID
if wait_listen "$T/d.log" && wait_until 10 log_has "$T/d.log" 'ready: config generation 1'; then
	ok "heraldd starts with a log channel and two webhook channels"
else
	not_ok "heraldd starts with a log channel and two webhook channels" "$(cat "$T/d.log")"
	done_testing
	exit 0
fi
t_ready=$(date +%s)

NREMINDERS=$(((NAUDIT + NBAD + NSLOW) * NREM))
settled() { q_ge "SELECT count(*) FROM jobs WHERE kind = 'reminder'
    AND state IN ('delivered', 'failed')" "$NREMINDERS"; }
if wait_until 60 settled; then
	ok "all $NREMINDERS reminders reached an end state"
else
	not_ok "all $NREMINDERS reminders reached an end state" \
	    "$(q "SELECT channel, state, attempts FROM jobs WHERE kind = 'reminder'")"
fi

# --- the scrape ---------------------------------------------------------------
code=$(curl -s -o metrics.txt -D metrics.hdr -w '%{http_code}' "$API/metrics")
is "$code" 200 "GET /metrics answers 200 without a token (metrics_auth off)"
is "$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' metrics.hdr | tr -d '\r')" "$CT" \
    "... as $CT"

# clock: what the kernel says, by ctypes, not by herald's code.
clock=$($PY - <<'PY'
import ctypes, ctypes.util
class Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long),
                ("freq", ctypes.c_long), ("maxerror", ctypes.c_long),
                ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("rest", ctypes.c_char * 256)]
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
t = Timex()
state = libc.adjtimex(ctypes.byref(t))
if state < 0:
    print("absent")
else:
    print(0 if state == 5 or t.status & 0x40 else 1)	# TIME_ERROR, STA_UNSYNC
PY
)

VERSION=$("$HERALDD" -V | awk '{ print $2 }')
export VERSION T_START=$t_start T_READY=$t_ready T_NOW=$(date +%s)

# The checker: a strict line parser for the 0.0.4 text format, the
# histogram rules, then the values next to what other sources say.
cat >check.py <<'PY'
import json, math, os, re, sqlite3, sys

text = open(sys.argv[1], encoding="utf-8").read()
out = lambda k, v: print("%s=%s" % (k, v))
errs = []

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LNAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
LVAL = r'"((?:[^"\\\n]|\\[\\"n])*)"'
VALUE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN"
SAMPLE = re.compile(r"^(%s)(?:\{((?:%s=%s)(?:,%s=%s)*,?)?\})? (%s)(?: -?[0-9]+)?$"
                    % (NAME, LNAME, LVAL, LNAME, LVAL, VALUE))
LABEL = re.compile(r"(%s)=%s,?" % (LNAME, LVAL))
HELP = re.compile(r"^# HELP (%s) ((?:[^\\\n]|\\[\\n])*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)

def unesc(s):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), s)

if not text.endswith("\n"):
    errs.append("no final newline")
types, helps, done, series = {}, set(), set(), {}
current = None
order = []		# (family, name, labels dict, value) in text order
for n, line in enumerate(text.split("\n")[:-1], 1):
    m = HELP.match(line)
    if m:
        if m.group(1) in helps:
            errs.append("line %d: second HELP for %s" % (n, m.group(1)))
        helps.add(m.group(1))
        continue
    m = TYPE.match(line)
    if m:
        if m.group(1) in types:
            errs.append("line %d: second TYPE for %s" % (n, m.group(1)))
        types[m.group(1)] = m.group(2)
        continue
    m = SAMPLE.match(line)
    if not m:
        errs.append("line %d does not match the grammar: %r" % (n, line))
        continue
    name, value = m.group(1), m.group(m.lastindex)
    labels = {}
    if m.group(2) is not None:
        for lm in LABEL.finditer(m.group(2)):
            if lm.group(1) in labels:
                errs.append("line %d: label %s twice" % (n, lm.group(1)))
            labels[lm.group(1)] = unesc(lm.group(2))
    fam = name
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and types.get(name[:-len(suf)]) == "histogram":
            fam = name[:-len(suf)]
    if fam not in types or fam not in helps:
        errs.append("line %d: %s without HELP and TYPE before it" % (n, name))
    if fam != current:
        if fam in done:
            errs.append("line %d: family %s is not contiguous" % (n, fam))
        if current is not None:
            done.add(current)
        current = fam
    if types.get(fam) == "histogram" and name == fam:
        errs.append("line %d: bare sample of histogram %s" % (n, fam))
    if types.get(fam) == "counter" and not name.endswith("_total"):
        errs.append("line %d: counter %s not named *_total" % (n, name))
    key = (name, tuple(sorted(labels.items())))
    if key in series:
        errs.append("line %d: duplicate series %s" % (n, key))
    v = float(value)
    if types.get(fam) in ("counter", "histogram") and not v >= 0:
        errs.append("line %d: negative %s" % (n, name))
    series[key] = v
    order.append((fam, name, labels, v))
for fam in helps | set(types):
    if fam not in helps or fam not in types:
        errs.append("family %s lacks HELP or TYPE" % fam)

# Histograms: per label set, le ascending, counts cumulative, +Inf last
# and equal to _count, a _sum.
hists = {}
for fam, name, labels, v in order:
    if types.get(fam) != "histogram":
        continue
    rest = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
    h = hists.setdefault((fam, rest), {"b": [], "sum": None, "count": None})
    if name == fam + "_bucket":
        if "le" not in labels:
            errs.append("%s bucket without le" % fam)
        else:
            h["b"].append((float(labels["le"]), v, labels["le"]))
    elif name == fam + "_sum":
        h["sum"] = v
    elif name == fam + "_count":
        h["count"] = v
for (fam, rest), h in hists.items():
    b = h["b"]
    what = "%s%s" % (fam, dict(rest))
    if not b or b[-1][2] != "+Inf":
        errs.append("%s: no final +Inf bucket" % what)
    if any(b[i][0] >= b[i + 1][0] for i in range(len(b) - 1)):
        errs.append("%s: le not ascending" % what)
    if any(b[i][1] > b[i + 1][1] for i in range(len(b) - 1)):
        errs.append("%s: buckets not cumulative" % what)
    if h["count"] is None or h["sum"] is None:
        errs.append("%s: _count or _sum missing" % what)
    elif b and b[-1][1] != h["count"]:
        errs.append("%s: +Inf %s != _count %s" % (what, b[-1][1], h["count"]))
out("grammar.errors", len(errs))
for e in errs[:10]:
    out("grammar.error", e)
out("hist.n", len(hists))

# prometheus_client's own parser, when Debian's python3-prometheus-client
# is installed, must read the same series.
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    out("promclient", "absent")
else:
    theirs = {}
    try:
        for f in text_string_to_metric_families(text):
            for s in f.samples:
                theirs[(s.name, tuple(sorted(s.labels.items())))] = s.value
        out("promclient", "same" if theirs == series else
            "differs: %s" % sorted(set(theirs.items()) ^ set(series.items()))[:4])
    except Exception as e:
        out("promclient", "error: %s" % e)

def val(name, **labels):
    return series.get((name, tuple(sorted(labels.items()))))
def num(v):
    return "absent" if v is None else ("%d" % v if v == int(v) else "%g" % v)

# Sources outside the daemon.
db = sqlite3.connect(sys.argv[2], timeout=5)
states = ["pending", "inflight", "delivered", "failed", "missed", "cancelled",
          "superseded"]
by = dict(db.execute("SELECT state, count(*) FROM jobs GROUP BY state"))
out("jobs.sqlite", " ".join("%s:%d" % (s, by.get(s, 0)) for s in states))
out("jobs.metrics", " ".join("%s:%s" % (s, num(val("herald_jobs", state=s))) for s in states))
failed_bad = db.execute("SELECT count(*) FROM jobs WHERE channel = 'bad' "
                        "AND state = 'failed'").fetchone()[0]
recs = [json.loads(l) for l in open(sys.argv[3], encoding="utf-8")]
req = {"bad": sum(r["path"] == "/500-1000000/bad" for r in recs),
       "slow": sum(r["path"] == "/slow-1/slow" for r in recs)}
audit = [json.loads(l) for l in open(sys.argv[4], encoding="utf-8") if l.strip()]
out("audit.lines", len(audit))
out("audit.deliveries", num(val("herald_deliveries_total", channel="audit")))
out("audit.sent", num(val("herald_channel_sent_total", channel="audit")))
out("bad.requests", req["bad"])
out("bad.sent", num(val("herald_channel_sent_total", channel="bad")))
out("bad.failed.sqlite", failed_bad)
out("bad.failures", num(val("herald_failures_total", channel="bad")))
# Each failed job: one failure, every other request a retry.
out("bad.retries.expected", req["bad"] - failed_bad)
out("bad.retries", num(val("herald_retries_total", channel="bad")))
out("bad.deliveries", num(val("herald_deliveries_total", channel="bad")))
out("slow.requests", req["slow"])
out("slow.deliveries", num(val("herald_deliveries_total", channel="slow")))
fired = len(audit) + req["bad"] + req["slow"]
out("fired", fired)
out("lateness.count", num(val("herald_firing_lateness_seconds_count")))
chans = ["audit", "bad", "slow"]
out("latency.counts", " ".join(num(val("herald_send_latency_seconds_count", channel=c))
                               for c in chans))
out("sent.counts", " ".join(num(val("herald_channel_sent_total", channel=c)) for c in chans))
# The slow receiver sleeps 1 s before answering: no sample at or under 1 s.
out("slow.le1", num(val("herald_send_latency_seconds_bucket", channel="slow", le="1")))
s = val("herald_send_latency_seconds_sum", channel="slow")
out("slow.sum_ok", s is not None and s >= req["slow"] * 1.0)
s = val("herald_send_latency_seconds_sum", channel="audit")
out("audit.sum_ok", s is not None and 0 <= s < len(audit) * 1.0)
out("idle", " ".join(num(val(m, channel=c)) for m in
    ("herald_channel_queued", "herald_channel_in_flight", "herald_channel_saturated")
    for c in chans))
out("zero.counters", " ".join(num(val(m, channel=c)) for m in
    ("herald_deferred_total", "herald_cancelled_total") for c in chans))
t0, t1 = int(os.environ["T_START"]), int(os.environ["T_NOW"])
def within(v): return v is not None and t0 <= v <= t1
out("last.delivery", "%s %s %s" % (within(val("herald_channel_last_delivery_timestamp_seconds", channel="audit")),
    within(val("herald_channel_last_delivery_timestamp_seconds", channel="slow")),
    num(val("herald_channel_last_delivery_timestamp_seconds", channel="bad"))))
out("last.failure", "%s %s" % (within(val("herald_channel_last_failure_timestamp_seconds", channel="bad")),
    num(val("herald_channel_last_failure_timestamp_seconds", channel="audit"))))
st = val("herald_start_time_seconds")
out("start.ok", st is not None and t0 <= st <= int(os.environ["T_READY"]))
out("build", num(val("herald_build_info", version=os.environ["VERSION"])))
out("generation", num(val("herald_config_generation")))
out("reload.success", num(val("herald_config_last_reload_success")))
out("reload.at", num(val("herald_config_last_reload_timestamp_seconds")))
out("clock", num(val("herald_clock_synchronized")))
# The log's length cannot exceed what its file holds: a 32-byte header,
# then frames of a 24-byte header and a page.
page = db.execute("PRAGMA page_size").fetchone()[0]
frames = (os.path.getsize(sys.argv[2] + "-wal") - 32) // (24 + page)
wal = val("herald_store_wal_pages")
out("wal", "absent" if wal is None else "%s" % (0 <= wal <= frames))
out("ckpt", "%s %s" % (num(val("herald_store_checkpoints_total")),
    num(val("herald_store_checkpoint_failures_total"))))
PY
$PY check.py metrics.txt "$T/m.db" "$T/recv.jsonl" "$T/audit.log" >c1.out 2>&1
field() { sed -n "s/^$1=//p" "$2"; }
f() { field "$1" c1.out; }

G="every line follows the 0.0.4 grammar; families contiguous, HELP and TYPE first; histograms cumulative, +Inf = _count"
if [ "$(f grammar.errors)" = 0 ]; then
	ok "$G"
else
	not_ok "$G" "$(grep -E '^grammar|Error|Traceback' c1.out)" "$(head -c 1500 metrics.txt)"
fi
is "$(f hist.n)" 8 "... eight histograms: lateness, send latency for three channels, time to first alert and to acknowledgement by drill"
case $(f promclient) in
absent)	ok "# SKIP python3-prometheus-client not installed" ;;
*)	is "$(f promclient)" same "prometheus_client's parser reads the same series" ;;
esac
is "$(f jobs.metrics)" "$(f jobs.sqlite)" "herald_jobs by state = the store's counts (sqlite3)"
is "$(f wal)" True "herald_store_wal_pages: no more than the -wal file holds"
like "$(f ckpt)" '^[1-9][0-9]* 0$' "herald_store_checkpoints_total counts the thread's checkpoints (one at start at least), none failed"
like "$(f jobs.metrics)" 'pending:[1-9].*delivered:[1-9].*failed:[1-9]' \
    "... with pending, delivered and failed jobs among them"
is "$(f audit.deliveries)" "$(f audit.lines)" "log channel: deliveries_total = lines in its file"
is "$(f audit.lines)" $(((NAUDIT) * NREM)) "... one per reminder"
is "$(f bad.sent)" "$(f bad.requests)" "failing channel: sent_total = requests the receiver saw"
is "$(f bad.failures)" "$(f bad.failed.sqlite)" "... failures_total = failed jobs in the store"
is "$(f bad.failed.sqlite)" $((NBAD * NREM)) "... every one of its jobs"
is "$(f bad.retries)" "$(f bad.retries.expected)" "... retries_total = requests minus failed jobs"
like "$(f bad.retries) $(f bad.failures) $(f bad.deliveries)" '^[1-9][0-9]* [1-9][0-9]* 0$' \
    "... both above zero, no delivery"
is "$(f slow.deliveries)" "$(f slow.requests)" "slow channel: deliveries_total = requests"
is "$(f latency.counts)" "$(f sent.counts)" "send latency _count = sent_total on every channel"
is "$(f slow.le1) $(f slow.sum_ok)" "0 True" \
    "... a receiver answering after 1 s: no sample at or under 1 s, _sum >= 1 s each"
is "$(f audit.sum_ok)" True "... the log channel's sum under 1 s per message"
is "$(f lateness.count)" "$(f fired)" "firing lateness _count = hand-offs (log lines + requests)"
is "$(f idle)" "0 0 0 0 0 0 0 0 0" "queued, in_flight, saturated 0 once settled"
is "$(f zero.counters)" "0 0 0 0 0 0" "deferred and cancelled 0 (nothing was)"
is "$(f last.delivery)" "True True 0" "last delivery timestamps: now-ish, 0 for the failing channel"
is "$(f last.failure)" "True 0" "last failure timestamps: now-ish for the failing channel, 0 for the log"
is "$(f build)" 1 "herald_build_info{version=\"$VERSION\"} 1 (heraldd -V)"
is "$(f start.ok) $(f generation) $(f reload.success)" "True 1 1" \
    "start time between launch and ready; generation 1; last reload ok"
is "$(f reload.at)" "$(awk '/^herald_start_time_seconds /{ print $2 }' metrics.txt)" \
    "... never reloaded: reload timestamp = start time"
is "$(f clock)" "$clock" "herald_clock_synchronized = adjtimex(2) by ctypes ($clock)"

# --- metrics_auth by reload ----------------------------------------------------
printf 'tok-metrics-不外传\n' >api.token
chmod 600 api.token
write_conf 'api_token_file = "api.token"; metrics_auth = true;'
t_hup=$(date +%s)
kill -HUP "$HPID"
code_is() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$@")" = "$want" ]; }
want=401
if wait_until 10 code_is "$API/metrics"; then
	ok "after a reload with metrics_auth = true: 401 without a token"
else
	not_ok "after a reload with metrics_auth = true: 401 without a token" "$(tail -5 "$T/d.log")"
fi
curl -s -D h401 -o b401 "$API/metrics"
like "$(tr -d '\r' <h401)" '^WWW-Authenticate: Bearer' "... with WWW-Authenticate: Bearer"
is "$($PY -c 'import json,sys; print("error" in json.load(open(sys.argv[1])))' b401)" True \
    "... and a JSON error"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "$API/metrics")" \
    403 "403 with a wrong token"
code=$(curl -s -o metrics2.txt -w '%{http_code}' \
    -H "Authorization: Bearer tok-metrics-不外传" "$API/metrics")
is "$code" 200 "200 with the token"
export T_START=$t_hup T_NOW=$(date +%s)
$PY check.py metrics2.txt "$T/m.db" "$T/recv.jsonl" "$T/audit.log" >c2.out 2>&1
is "$(field grammar.errors c2.out) $(field generation c2.out) $(field reload.success c2.out)" \
    "0 2 1" "... generation 2, last reload ok"
ra=$(field reload.at c2.out)
if [ "$ra" -ge "$t_hup" ] 2>/dev/null && [ "$ra" -le "$T_NOW" ]; then
	ok "... reload timestamp $ra at the SIGHUP"
else
	not_ok "... reload timestamp at the SIGHUP" "got $ra, SIGHUP at $t_hup"
fi

echo 'this is not a config' >>m.conf
kill -HUP "$HPID"
scrape_success() {
	curl -s -H "Authorization: Bearer tok-metrics-不外传" "$API/metrics" >metrics3.txt &&
	    grep -qx 'herald_config_last_reload_success 0' metrics3.txt
}
if wait_until 10 scrape_success; then
	ok "a broken reload: herald_config_last_reload_success 0"
else
	not_ok "a broken reload: herald_config_last_reload_success 0" "$(grep reload metrics3.txt)"
fi
is "$(awk '/^herald_config_generation /{ print $2 }' metrics3.txt)" 2 "... generation still 2"

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
is "$(unexpected_warnings "$T/d.log" "$ALLOWED")" "" "no unexpected warnings"

done_testing
