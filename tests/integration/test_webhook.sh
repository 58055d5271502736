#!/bin/bash
# test_webhook.sh - the webhook channel against a recording HTTP receiver
# on loopback (tests/integration/webhook_receiver.py): each flavour's body
# and signature, recomputed here with Python's hmac/base64 (not by calling
# herald); 429 retried no sooner than Retry-After; 500 retried with
# backoff; a slow receiver on one channel does not delay another; a long
# Chinese message split into parts within WeCom's limit that reassemble
# byte-exact; a vendor error code failing over to the contact's next
# channel; 10,000 deliveries, each arriving exactly once.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
ALLOWED='CLOCK NOT SYNCHRONIZED|transient|permanent|failed|fallback|retry|HTTP (429|500)|errcode'

if [ ! -f "$HERALD_PLUGIN_DIR/webhook.so" ]; then
	echo "1..0 # SKIP the webhook plugin was not built"
	exit 0
fi

q() { sqlite3 -batch -cmd '.timeout 3000' "$DB" "$1" 2>/dev/null; }
q_ge() { [ "$(q "$1")" -ge "$2" ] 2>/dev/null; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
lines_ge() { [ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "$3" ]; }

# start_receiver NAME -- a recording receiver logging to $T/NAME.jsonl.
start_receiver() {
	local name=$1
	start_bg "$T/$name.out" $PY "$RECEIVER" --port-file "$T/$name.port" \
	    --log "$T/$name.jsonl"
	if ! wait_until 15 test -s "$T/$name.port"; then
		not_ok "receiver $name starts" "$(cat "$T/$name.out")"
		done_testing
		exit 0
	fi
	RPORT=$(cat "$T/$name.port")
}

cd "$T" || exit 1
start_receiver hooks
P=$RPORT
printf 'SECd1ngTalk-测试-secret\n' >dingtalk.sec
printf 'feishu-s3cret\n' >feishu.sec
printf 'generic-key-不外传\n' >generic.sec
printf 'http://127.0.0.1:%s/ok/wecom/send?key=WECOM-KEY-SECRET-123\n' "$P" >wecom.url

# A long reminder for the split channel: 60 sentences, a line every 3.
SENT='请各地联络员于8月5日前报送联络员名单及重点活动安排，逾期未报视为无活动。'
LONG=
for i in $(seq 1 60); do
	LONG="$LONG$SENT"
	[ $((i % 3)) = 0 ] && LONG="$LONG\\n"
done

now=$(date +%s)
due=$((now + 120))	# reminders at now + 4; no overdue notice during the test
cat >hook.conf <<CONF
herald = {
  timezone = "Asia/Shanghai";
  store = "sqlite:hook.db";
  listen = "127.0.0.1:$(free_port)";
  engine = { workdays_only = [ ];
             retry = { attempts = 10; base = "1s"; cap = "4s"; max_age = "1h"; }; };
};
channels = (
  { name = "wecom"; plugin = "webhook"; flavour = "wecom"; url_file = "wecom.url";
    msgtype = "text"; mention = true; rate = "100/s"; },
  { name = "dingtalk"; plugin = "webhook"; flavour = "dingtalk";
    url = "http://127.0.0.1:$P/ok/dingtalk/robot/send?access_token=DT-TOKEN";
    secret_file = "dingtalk.sec"; msgtype = "markdown"; mention = true; rate = "100/s"; },
  { name = "feishu"; plugin = "webhook"; flavour = "feishu";
    url = "http://127.0.0.1:$P/ok/feishu/bot/v2/hook/FS-HOOK";
    secret_file = "feishu.sec"; msgtype = "post"; rate = "100/s"; },
  { name = "generic"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/generic";
    secret_file = "generic.sec"; rate = "100/s"; },
  { name = "g429"; plugin = "webhook"; url = "http://127.0.0.1:$P/429-3-1/g"; rate = "100/s"; },
  { name = "g500"; plugin = "webhook"; url = "http://127.0.0.1:$P/500-2/g"; rate = "100/s"; },
  { name = "slow"; plugin = "webhook"; url = "http://127.0.0.1:$P/slow-3/s"; rate = "100/s"; },
  { name = "fast"; plugin = "webhook"; url = "http://127.0.0.1:$P/ok/fast"; rate = "100/s"; },
  { name = "split"; plugin = "webhook"; flavour = "wecom";
    url = "http://127.0.0.1:$P/ok/split/send?key=K"; rate = "100/s"; },
  { name = "split2"; plugin = "webhook"; flavour = "wecom";
    url = "http://127.0.0.1:$P/fail-2/split2/send?key=K"; rate = "100/s"; },
  { name = "werr"; plugin = "webhook"; flavour = "wecom";
    url = "http://127.0.0.1:$P/err-93000/send?key=BAD"; rate = "100/s"; },
  { name = "audit"; plugin = "log"; file = "audit.log"; format = "json"; }
);
contacts = (
  { id = "c-wecom"; name = "王晓明"; phone = "13800138001"; prefer = [ "wecom" ]; },
  { id = "c-ding"; name = "李红"; phone = "13800138002"; prefer = [ "dingtalk" ]; },
  { id = "c-feishu"; name = "赵刚"; phone = "13800138003"; prefer = [ "feishu" ]; },
  { id = "c-generic"; name = "陈静"; phone = "13800138004"; prefer = [ "generic" ]; },
  { id = "c-429"; name = "钱伟"; phone = "13800138005"; prefer = [ "g429" ]; },
  { id = "c-500"; name = "孙丽"; phone = "13800138006"; prefer = [ "g500" ]; },
  { id = "c-slow"; name = "周强"; phone = "13800138007"; prefer = [ "slow" ]; },
  { id = "c-fast"; name = "吴敏"; phone = "13800138008"; prefer = [ "fast" ]; },
  { id = "c-split"; name = "郑洁"; phone = "13800138009"; prefer = [ "split" ]; },
  { id = "c-split2"; name = "何平"; phone = "13800138011"; prefer = [ "split2" ]; },
  { id = "c-err"; name = "冯军"; phone = "13800138010"; prefer = [ "werr", "audit" ]; }
);
campaigns = ( {
  id = "xfcjy-2023"; title = "2023年全国消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( {
    id = "liaison-list"; title = "报送联络机制名单";
    due = "$(sh_civil "$due")";
    audience = [ "c-wecom", "c-ding", "c-feishu", "c-generic", "c-429", "c-500",
                 "c-slow", "c-fast", "c-split", "c-split2", "c-err" ];
    remind = [ "116s" ];
  } );
} );
templates = {
  reminder = { default = "您好！请按时报送{{title}}。\\n联系人：消费促进司";
               subject = "【提醒】{{title}}"; split = "$LONG"; split2 = "$LONG"; };
  overdue = { default = "{{title}}已逾期，请尽快报送。"; };
};
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c hook.conf
HPID=$BG_PID
DB=$T/hook.db
if wait_until 10 log_has "$T/heraldd.log" 'ready: config generation 1'; then
	ok "heraldd starts with eleven webhook channels"
else
	not_ok "heraldd starts with eleven webhook channels" "$(cat "$T/heraldd.log")"
fi

# Everything settles: 8 deliveries besides the retried ones and the error.
settled() { q_ge "SELECT count(*) FROM jobs WHERE state IN ('delivered','failed')" 12; }
if wait_until 40 settled; then
	ok "every reminder reached an end state"
else
	not_ok "every reminder reached an end state" \
	    "$(q "SELECT contact, channel, state, attempts FROM jobs")" "$(tail -20 "$T/heraldd.log")"
fi

EXPECT_TEXT='您好！请按时报送报送联络机制名单。
联系人：消费促进司'
key_of() { q "SELECT key FROM jobs WHERE contact = '$1' AND kind = 'reminder' LIMIT 1"; }
export EXPECT_TEXT LONG
export K_WECOM=$(key_of c-wecom) K_DING=$(key_of c-ding) K_FEISHU=$(key_of c-feishu) \
    K_GENERIC=$(key_of c-generic)

# Everything below is recomputed from the receiver's records with Python's
# own hmac, base64 and urllib.
$PY - "$T/hooks.jsonl" >checks.out 2>&1 <<'PY'
import base64, hashlib, hmac, json, os, sys, urllib.parse
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
def on(prefix): return [r for r in recs if r["path"].startswith(prefix)]
def out(k, v): print("%s=%s" % (k, v))
exp = os.environ["EXPECT_TEXT"]

w = on("/ok/wecom/")
out("wecom.n", len(w))
if w:
    r = w[0]; b = json.loads(r["body"])
    out("wecom.query", r["query"])
    out("wecom.body", b == {"msgtype": "text", "text": {"content": exp,
        "mentioned_mobile_list": ["13800138001"]}})
    out("wecom.ctype", r["headers"].get("Content-Type", ""))

d = on("/ok/dingtalk/")
out("ding.n", len(d))
if d:
    r = d[0]; b = json.loads(r["body"])
    qs = urllib.parse.parse_qs(r["query"], strict_parsing=True)
    secret = "SECd1ngTalk-测试-secret"
    ts = qs["timestamp"][0]
    want = base64.b64encode(hmac.new(secret.encode(), (ts + "\n" + secret).encode(),
                                     hashlib.sha256).digest()).decode()
    out("ding.token", qs["access_token"][0])
    out("ding.sign", qs["sign"][0] == want)
    # Encoded exactly once: the raw query holds %2B/%2F/%3D, never a bare '+'.
    raw_sign = [p for p in r["query"].split("&") if p.startswith("sign=")][0][5:]
    out("ding.once", urllib.parse.quote(want, safe="") == raw_sign)
    out("ding.ts_ms", abs(int(ts) - r["t"] * 1000) < 10000)
    out("ding.body", b == {"msgtype": "markdown", "markdown": {
        "title": "【提醒】报送联络机制名单", "text": exp + "\n@13800138002"},
        "at": {"atMobiles": ["13800138002"], "isAtAll": False}})

f = on("/ok/feishu/")
out("feishu.n", len(f))
if f:
    r = f[0]; b = json.loads(r["body"])
    ts = b.pop("timestamp"); sign = b.pop("sign")
    key = (ts + "\n" + "feishu-s3cret").encode()
    want = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    out("feishu.sign", sign == want and isinstance(ts, str))
    out("feishu.ts_s", abs(int(ts) - r["t"]) < 10)
    out("feishu.body", b == {"msg_type": "post", "content": {"post": {"zh_cn": {
        "title": "【提醒】报送联络机制名单",
        "content": [[{"tag": "text", "text": exp}]]}}}})

g = on("/ok/generic")
out("generic.n", len(g))
if g:
    r = g[0]; raw = r["body"].encode("utf-8"); b = json.loads(raw)
    want = "sha256=" + hmac.new("generic-key-不外传".encode(), raw, hashlib.sha256).hexdigest()
    out("generic.sig", r["headers"].get("X-Herald-Signature") == want)
    out("generic.id", r["headers"].get("X-Herald-Id") == os.environ["K_GENERIC"] == b["key"])
    out("generic.fields", (b["kind"], b["campaign"], b["item"], b["contact"], b["body"],
        b["subject"]) == ("reminder", "xfcjy-2023", "liaison-list", "c-generic", exp,
        "【提醒】报送联络机制名单"))

a = on("/429-3-1/")
out("r429.n", len(a))
if len(a) >= 2:
    out("r429.status", "%d,%d" % (a[0]["status"], a[1]["status"]))
    # The store keeps retry times in whole seconds and the engine counts
    # from the second the 429 came back in: up to 1 s less than asked.
    out("r429.gap_ok", a[1]["t"] - a[0]["t"] >= 2.0)
    out("r429.gap", "%.2f" % (a[1]["t"] - a[0]["t"]))

e = on("/500-2/")
out("r500.n", len(e))
if len(e) >= 3:
    out("r500.status", ",".join(str(x["status"]) for x in e[:3]))
    g1, g2 = e[1]["t"] - e[0]["t"], e[2]["t"] - e[1]["t"]
    out("r500.gaps", "%.2f,%.2f" % (g1, g2))
    # base 1 s doubled per failure, +-20% jitter: >= 0.8 s, then >= 1.6 s
    out("r500.backoff", g1 >= 0.75 and g2 >= 1.5)

s, fa = on("/slow-3/"), on("/ok/fast")
if s and fa:
    out("slow.fast_lag", "%.2f" % (fa[0]["t"] - s[0]["t"]))
    out("slow.ok", fa[0]["t"] - s[0]["t"] < 1.0)

p = on("/ok/split/")
out("split.n", len(p))
contents = [json.loads(r["body"])["text"]["content"] for r in p]
out("split.exact", "".join(contents) == os.environ["LONG"].replace("\\n", "\n"))
out("split.maxbytes", max(len(c.encode()) for c in contents) if contents else 0)
out("split.lines", all(c.endswith("\n") or c.endswith("。") for c in contents))
out("err.n", len(on("/err-93000/")))
p2 = on("/fail-2/")
ok2 = [json.loads(r["body"])["text"]["content"] for r in p2 if r["status"] == 200]
out("split2.status", ",".join(str(r["status"]) for r in p2))
out("split2.exact", "".join(ok2) == os.environ["LONG"].replace("\\n", "\n")
    and len(ok2) == len(contents))
PY
field() { sed -n "s/^$1=//p" checks.out; }

is "$(field wecom.n) $(field wecom.body)" "1 True" \
    "wecom: one text message with the content and mentioned_mobile_list"
is "$(field wecom.query)" "key=WECOM-KEY-SECRET-123" "... to the URL read from url_file"
like "$(field wecom.ctype)" '^application/json' "... as JSON"
is "$(field ding.n) $(field ding.body)" "1 True" \
    "dingtalk: markdown with title, @mobile in the text and at.atMobiles"
is "$(field ding.token) $(field ding.sign) $(field ding.once) $(field ding.ts_ms)" \
    "DT-TOKEN True True True" "... signed: HMAC(secret, T\\nsecret) recomputed, URL-encoded once, T in ms"
is "$(field feishu.n) $(field feishu.body)" "1 True" "feishu: a post with title and text"
is "$(field feishu.sign) $(field feishu.ts_s)" "True True" \
    "... signed: HMAC(T\\nsecret, empty) recomputed, timestamp a string in seconds"
is "$(field generic.n) $(field generic.sig) $(field generic.id) $(field generic.fields)" \
    "1 True True True" "generic: X-Herald-Signature recomputed, X-Herald-Id = key, fields"
is "$(field r429.n) $(field r429.status) $(field r429.gap_ok)" "2 429,200 True" \
    "429 with Retry-After: 3 retried after it, to the store's second ($(field r429.gap) s)"
is "$(field r500.n) $(field r500.status) $(field r500.backoff)" "3 500,500,200 True" \
    "500 twice, retried with growing backoff ($(field r500.gaps) s)"
is "$(field slow.ok)" "True" \
    "a receiver taking 3 s on one channel does not delay another ($(field slow.fast_lag) s apart)"
is "$(field split.exact)" "True" "a long Chinese message arrives in parts that reassemble byte-exact"
like "$(field split.n) $(field split.maxbytes)" '^[3-9] (1[0-9]{3}|20[0-3][0-9]|204[0-8])$' \
    "... $(field split.n) parts, each within WeCom's 2048 bytes ($(field split.maxbytes) max)"
is "$(field split.lines)" "True" "... cut at line or sentence ends"
is "$(q "SELECT state FROM jobs WHERE contact = 'c-split' AND kind = 'reminder'")" \
    "delivered" "... and the job is delivered"
is "$(field split2.status) $(field split2.exact)" "200,500,200,200,200 True" \
    "part 2 failing (500): the retry sends only parts 2-4, no part twice"
is "$(q "SELECT state FROM jobs WHERE contact = 'c-split2' AND kind = 'reminder'")" \
    "delivered" "... and the job is delivered"
is "$(q "SELECT state FROM jobs WHERE contact = 'c-err' AND channel = 'werr' AND kind = 'reminder'") $(field err.n)" \
    "failed 1" "wecom errcode 93000 is permanent: one try, failed"
like "$(q "SELECT e.detail FROM events e JOIN jobs j ON j.key = e.key
    WHERE j.contact = 'c-err' AND j.channel = 'werr'")" 'errcode 93000' "... the store says why"
if wait_until 10 lines_ge audit.log '"contact":"c-err"' 1; then
	ok "... and the message falls back to the contact's next channel"
else
	not_ok "... and the message falls back to the contact's next channel" "$(cat audit.log 2>/dev/null)"
fi

kill -TERM "$HPID"
wait_exit "$HPID" 15
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
if grep -qE 'WECOM-KEY-SECRET|DT-TOKEN|d1ngTalk|feishu-s3cret|generic-key' \
    "$T/heraldd.log" "$DB" audit.log 2>/dev/null; then
	not_ok "no robot key or secret in the log or the store" \
	    "$(grep -E 'WECOM-KEY-SECRET|DT-TOKEN|d1ngTalk|feishu-s3cret|generic-key' "$T/heraldd.log" | head -3)"
else
	ok "no robot key or secret in the log or the store"
fi
is "$(unexpected_warnings "$T/heraldd.log" "$ALLOWED")" "" "no unexpected warnings"

# --- 10,000 deliveries --------------------------------------------------------
start_receiver bulk
mkdir -p "$T/bulk-run" && cd "$T/bulk-run" || exit 1
N_CONTACTS=2000
now=$(date +%s)
due=$((now + 60))	# reminders at now + 4 ... 8: slack for slow (ASan) builds
{
	cat <<CONF
herald = { timezone = "Asia/Shanghai"; store = "sqlite:bulk.db"; listen = "127.0.0.1:$(free_port)";
  engine = { workdays_only = [ ]; }; };
channels = ( { name = "hook"; plugin = "webhook"; url = "http://127.0.0.1:$RPORT/ok/bulk";
  concurrency = 64; rate = "100000/s"; burst = 10000; } );
contacts = (
CONF
	for i in $(seq 1 $N_CONTACTS); do
		sep=,; [ "$i" = $N_CONTACTS ] && sep=
		printf '  { id = "c%d"; name = "联络员%d"; phone = "1390%07d"; prefer = [ "hook" ]; }%s\n' \
		    "$i" "$i" "$i" "$sep"
	done
	cat <<CONF
);
groups = ( { id = "all"; members = [ $(for i in $(seq 1 $N_CONTACTS); do printf '"c%d",' "$i"; done | sed 's/,$//') ]; } );
campaigns = ( { id = "bulk"; title = "批量测试";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "d1"; title = "报送材料"; due = "$(sh_civil "$due")";
    audience = [ "all" ]; remind = [ "56s", "55s", "54s", "53s", "52s" ]; } ); } );
CONF
} >bulk.conf
start_bg "$T/bulk.log" "$HERALDD" -f -c bulk.conf
BPID=$BG_PID
t0=$(date +%s.%N)
if wait_until 60 lines_ge "$T/bulk.jsonl" '' 10000; then
	t1=$(date +%s.%N)
	ok "10,000 webhook deliveries arrived ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s from start)"
else
	not_ok "10,000 webhook deliveries arrived" "$(wc -l <"$T/bulk.jsonl") arrived" "$(tail -5 "$T/bulk.log")"
fi
DB=$T/bulk-run/bulk.db
wait_until 10 q_ge "SELECT count(*) FROM jobs WHERE state = 'delivered'" 10000
is "$($PY -c '
import json, sys
ids = [json.loads(l)["headers"].get("X-Herald-Id") for l in open(sys.argv[1])]
print(len(ids), len(set(ids)))' "$T/bulk.jsonl")" "10000 10000" "... each job key exactly once"
is "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'")" 10000 "... and the store says delivered"
kill -TERM "$BPID"
wait_exit "$BPID" 15
is "$EXIT_STATUS" 0 "the bulk daemon stops on SIGTERM"
is "$(unexpected_warnings "$T/bulk.log" 'CLOCK NOT SYNCHRONIZED')" "" "no warnings in the bulk run"

done_testing
