#!/bin/bash
# test_webhook_mention.sh - issue 11 point 3: robots @-mention the right
# people in each vendor's own form (VENDORS.md), and ack links in rich
# text are links.  Expected bodies are computed here from the config:
# the mention lists from the contacts' phones and address entries, the
# ack links from the secret and the job keys (acklink.h's token, redone
# with Python's hmac and base64).
#  - DingTalk: a user id goes into at.atUserIds, a phone into at.atMobiles
#    (without +86), and the text carries "@" + each of them;
#  - a merged DingTalk post mentions every contact in it, not the first;
#  - WeCom markdown mentions a user id inline as <@id>;
#  - Feishu text mentions as <at user_id="ou_...">name</at>, a post as an
#    {"tag":"at"} node;
#  - in DingTalk and WeCom markdown the ack URL is [label](URL), in a
#    Feishu post an {"tag":"a","href":URL} node, never bare text.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
q() { sqlite3 -batch -cmd '.timeout 3000' "$T/m.db" "$1" 2>/dev/null; }

cd "$T" || exit 1
start_bg "$T/receiver.out" $PY "$RECEIVER" --port-file "$T/hooks.port" \
    --log "$T/hooks.jsonl"
if ! wait_until 15 test -s "$T/hooks.port"; then
	not_ok "the receiver starts" "$(cat "$T/receiver.out")"
	done_testing
	exit 0
fi
P=$(cat "$T/hooks.port")
printf 'ack-mention-不外传-%s\n' "$RANDOM$RANDOM" >ack.key
chmod 600 ack.key

now=$(date +%s)
due=$((now + 300))	# reminders at now + 4; nothing else during the test
cat >m.conf <<CONF
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:m.db";
  public_url = "https://herald.example.gov.cn/"; ack_secret_file = "ack.key";
  engine = { workdays_only = [ ]; }; };
channels = (
  { name = "dt-text"; plugin = "webhook"; flavour = "dingtalk"; mention = true;
    url = "http://127.0.0.1:$P/ok/dt-text/robot/send?access_token=T1"; rate = "100/s"; },
  { name = "dt-md"; plugin = "webhook"; flavour = "dingtalk"; mention = true;
    msgtype = "markdown";
    url = "http://127.0.0.1:$P/ok/dt-md/robot/send?access_token=T2"; rate = "100/s"; },
  { name = "dt-merge"; plugin = "webhook"; flavour = "dingtalk"; mention = true;
    url = "http://127.0.0.1:$P/ok/dt-merge/robot/send?access_token=T3";
    rate = "6/m"; burst = 1; merge_after = "5s"; },
  { name = "wc-md"; plugin = "webhook"; flavour = "wecom"; mention = true;
    msgtype = "markdown"; url = "http://127.0.0.1:$P/ok/wc-md/send?key=K"; rate = "100/s"; },
  { name = "fs-text"; plugin = "webhook"; flavour = "feishu"; mention = true;
    url = "http://127.0.0.1:$P/ok/fs-text/bot/v2/hook/H1"; rate = "100/s"; },
  { name = "fs-post"; plugin = "webhook"; flavour = "feishu"; mention = true;
    msgtype = "post"; url = "http://127.0.0.1:$P/ok/fs-post/bot/v2/hook/H2"; rate = "100/s"; }
);
contacts = (
  { id = "d-phone"; name = "王晓明"; phone = "13800138101"; prefer = [ "dt-text" ]; },
  { id = "d-uid"; name = "李红"; phone = "13800138102"; address = { dt-text = "manager4521"; };
    prefer = [ "dt-text" ]; },
  { id = "m-phone"; name = "赵刚"; phone = "+8613800138103"; prefer = [ "dt-md" ]; },
  { id = "mg1"; name = "联络员1"; phone = "13800138111"; prefer = [ "dt-merge" ]; },
  { id = "mg2"; name = "联络员2"; address = { dt-merge = "user-0002"; }; prefer = [ "dt-merge" ]; },
  { id = "mg3"; name = "联络员3"; phone = "13800138113"; prefer = [ "dt-merge" ]; },
  { id = "mg4"; name = "联络员4"; phone = "13800138114"; address = { dt-merge = "user-0004"; };
    prefer = [ "dt-merge" ]; },
  { id = "w-uid"; name = "陈静"; phone = "13800138104"; address = { wc-md = "ChenJing"; };
    prefer = [ "wc-md" ]; },
  { id = "f-text"; name = "钱伟"; address = { fs-text = "ou_0f1e2d3c4b5a"; }; prefer = [ "fs-text" ]; },
  { id = "f-post"; name = "孙丽"; address = { fs-post = "ou_a1b2c3d4e5f6"; }; prefer = [ "fs-post" ]; }
);
campaigns = ( { id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil "$now")", "$(sh_civil $((now + 86400)))" ];
  deadlines = ( { id = "list"; title = "报送联络员名单";
    due = "$(sh_civil "$due")";
    audience = [ "d-phone", "d-uid", "m-phone", "mg1", "mg2", "mg3", "mg4",
                 "w-uid", "f-text", "f-post" ];
    remind = [ "296s" ]; overdue = false; } ); } );
templates = { reminder = { default = "请报送{{title}}。已报送请点：{{ack_url}}"; subject = "【提醒】{{title}}"; }; };
CONF

start_bg "$T/heraldd.log" "$HERALDD" -f -c m.conf
pid=$BG_PID
settled() { [ "$(q "SELECT count(*) FROM jobs WHERE state IN ('delivered','failed')")" = 10 ]; }
if wait_until 40 settled; then
	ok "every reminder reached an end state"
else
	not_ok "every reminder reached an end state" \
	    "$(q "SELECT contact, channel, state FROM jobs")" "$(tail -20 "$T/heraldd.log")"
fi
is "$(q "SELECT count(*) FROM jobs WHERE state = 'delivered'")" 10 "... all delivered"
q "SELECT contact, key FROM jobs" | tr '|' ' ' >keys.txt

$PY - "$T/hooks.jsonl" keys.txt ack.key >checks.out 2>&1 <<'PY'
import base64, hashlib, hmac, json, sys, uuid
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
keys = dict(l.split() for l in open(sys.argv[2]))
secret = open(sys.argv[3], encoding="utf-8").read().split("\n")[0].encode()
def b64(b): return base64.urlsafe_b64encode(b).decode().rstrip("=")
def ack(contact):
    k = keys[contact]
    return ("https://herald.example.gov.cn/a/" + b64(uuid.UUID(k).bytes) +
            b64(hmac.new(secret, k.encode(), hashlib.sha256).digest()[:12]))
def on(p): return [json.loads(r["body"]) for r in recs if r["path"].startswith("/ok/%s/" % p)]
def out(k, v): print("%s=%s" % (k, v))
def text(c): return "请报送报送联络员名单。已报送请点：" + ack(c)
def linked(s, c):
    """The ack URL of c appears in s only as a markdown link target."""
    u = ack(c)
    return s.count(u) >= 1 and s.count(u) == s.count("](" + u + ")") and "[" in s

# DingTalk text, one per contact: the phone in atMobiles, the user id in
# atUserIds, the text mentioning each.
dt = on("dt-text")
out("dt.n", len(dt))
by_at = {}
for b in dt:
    at = b.get("at", {})
    by_at[tuple(at.get("atMobiles", [])) + ("|",) + tuple(at.get("atUserIds", []))] = b
b = by_at.get(("13800138101", "|"))
out("dt.phone", b is not None and b["msgtype"] == "text" and
    b["text"]["content"].startswith(text("d-phone")) and
    "@13800138101" in b["text"]["content"] and not b["at"].get("isAtAll"))
b = by_at.get(("|", "manager4521"))
out("dt.uid", b is not None and b["text"]["content"].startswith(text("d-uid")) and
    "@manager4521" in b["text"]["content"] and "13800138102" not in json.dumps(b))
out("dt.keys", sorted(by_at))

# DingTalk markdown: the ack URL as a link; +86 dropped.
md = on("dt-md")
b = md[0] if md else {}
t = b.get("markdown", {}).get("text", "")
out("dtmd.at", len(md) == 1 and b.get("at", {}).get("atMobiles") == ["13800138103"] and
    "@13800138103" in t)
out("dtmd.link", linked(t, "m-phone"))

# The merged post: everyone in it is mentioned.
mg = on("dt-merge")
out("mg.n", len(mg))
want_m = {"mg1": ("13800138111", None), "mg2": (None, "user-0002"),
          "mg3": ("13800138113", None), "mg4": (None, "user-0004")}
merged = [b for b in mg if b["text"]["content"].startswith("【汇总】")]
out("mg.merged", len(merged))
seen_m, seen_u, ok_text = set(), set(), True
for b in mg:
    at = b["at"]; c = b["text"]["content"]
    seen_m |= set(at.get("atMobiles", [])); seen_u |= set(at.get("atUserIds", []))
    for x in at.get("atMobiles", []) + at.get("atUserIds", []):
        ok_text = ok_text and ("@" + x) in c
if merged:
    at = merged[0]["at"]
    n_in = merged[0]["text"]["content"].count("请报送")
    out("mg.all_in_merged", len(at.get("atMobiles", [])) + len(at.get("atUserIds", [])) == n_in)
out("mg.mobiles", sorted(seen_m))
out("mg.userids", sorted(seen_u))
out("mg.text", ok_text)

# WeCom markdown: <@userid> inline, the ack URL a link.
wc = on("wc-md")
c = wc[0]["markdown"]["content"] if wc else ""
out("wc.mention", len(wc) == 1 and "<@ChenJing>" in c)
out("wc.link", linked(c, "w-uid"))

# Feishu text: <at user_id="...">name</at>.
ft = on("fs-text")
c = ft[0]["content"]["text"] if ft else ""
out("fst.mention", len(ft) == 1 and '<at user_id="ou_0f1e2d3c4b5a">钱伟</at>' in c
    and c.count(ack("f-text")) == 1)

# Feishu post: an "at" node and an "a" node for the ack URL.
fp = on("fs-post")
nodes = [n for para in fp[0]["content"]["post"]["zh_cn"]["content"] for n in para] if fp else []
out("fsp.at", {"tag": "at", "user_id": "ou_a1b2c3d4e5f6"} in
    [{k: n[k] for k in ("tag", "user_id") if k in n} for n in nodes])
out("fsp.link", any(n.get("tag") == "a" and n.get("href") == ack("f-post") for n in nodes)
    and not any(n.get("tag") == "text" and ack("f-post") in n.get("text", "") for n in nodes))
PY
field() { sed -n "s/^$1=//p" checks.out; }

is "$(field dt.n)" 2 "dingtalk text: two posts"
is "$(field dt.phone)" True "... a phone goes into at.atMobiles, the text names @phone"
is "$(field dt.uid)" True "... a user id goes into at.atUserIds (not atMobiles), the text names @id" \
    "$(field dt.keys)"
is "$(field dtmd.at)" True "dingtalk markdown: at.atMobiles without +86, @mobile in the text"
is "$(field dtmd.link)" True "... the ack URL is a markdown link, not bare text"
is "$(field mg.merged)" 1 "dingtalk merge: one merged post"
is "$(field mg.all_in_merged)" True "... the merged post mentions as many people as it carries notices"
is "$(field mg.mobiles)" "['13800138111', '13800138113']" "... every phone of the merged contacts in at.atMobiles"
is "$(field mg.userids)" "['user-0002', 'user-0004']" "... every user id in at.atUserIds"
is "$(field mg.text)" True "... and the text names each of them with @"
is "$(field wc.mention)" True "wecom markdown: the user id mentioned inline as <@id>"
is "$(field wc.link)" True "... the ack URL is a markdown link"
is "$(field fst.mention)" True "feishu text: <at user_id=\"ou_...\">name</at>"
is "$(field fsp.at)" True "feishu post: an at node with the user id"
is "$(field fsp.link)" True "... and the ack URL as an a node with href"
if [ "$(grep -c . checks.out)" -lt 10 ]; then
	not_ok "the checker ran" "$(cat checks.out)"
fi

kill -TERM "$pid"
wait_exit "$pid" 10
is "$EXIT_STATUS" 0 "heraldd stops on SIGTERM"
is "$(unexpected_warnings "$T/heraldd.log" 'CLOCK NOT SYNCHRONIZED')" "" "no unexpected warnings"
done_testing
