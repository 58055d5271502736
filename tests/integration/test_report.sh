#!/bin/bash
# test_report.sh - heraldctl report submissions against a real heraldd:
# submissions made through the API (one with "via": "sms", one by a unit
# through heraldctl submit --via heraldctl), one deadline past due; the
# xlsx read back with openpyxl and the CSV must equal what the store holds
# (sqlite3 read here, times converted here), with Chinese intact, a
# frozen header and column widths.  heraldctl list feeds the completion.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C.UTF-8
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
PY=/usr/bin/python3
TOKEN=tok-report-51a7
cd "$T" || exit 1
printf '%s\n' "$TOKEN" >token
chmod 600 token

now=$(date +%s)
past=$((now - 3600))
later=$((now + 10 * 86400))
cat >h.conf <<CONF
herald = {
  listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:h.db";
  api_token_file = "token"; engine = { workdays_only = [ ]; };
};
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; } );
units = ( { id = "hebei"; name = "河北省商务厅"; },
          { id = "beijing"; name = "北京市商务局"; },
          { id = "guangdong"; name = "广东省商务厅"; } );
contacts = (
  { id = "hb-zhang"; name = "张伟"; unit = "hebei"; prefer = [ "log" ]; },
  { id = "bj-wang"; name = "王芳"; unit = "beijing"; prefer = [ "log" ]; },
  { id = "gd-liang"; name = "梁敏"; unit = "guangdong"; prefer = [ "log" ]; },
  { id = "free-li"; name = "李自由"; prefer = [ "log" ]; }
);
campaigns = ( {
  id = "xfcjy"; title = "消费促进月";
  period = [ "$(sh_civil $((now - 86400)))", "$(sh_civil $((now + 30 * 86400)))" ];
  deadlines = (
    { id = "list"; title = "报送名单"; due = "$(sh_civil $past)";
      audience = [ "hebei", "beijing", "guangdong", "free-li" ]; },
    { id = "plan"; title = "活动方案"; due = "$(sh_civil $later)";
      audience = [ "hebei", "beijing", "guangdong" ]; remind = [ "1d" ]; }
  );
} );
CONF
start_bg "$T/d.log" "$HERALDD" -f -c h.conf
if wait_listen "$T/d.log" && wait_until 10 log_has "$T/d.log" 'ready: config generation 1'; then
	ok "heraldd starts"
else
	not_ok "heraldd starts" "$(cat "$T/d.log")"
	done_testing
	exit 0
fi
ctl() { "$HERALDCTL" -u "$API" -T token "$@" >ctl.out 2>ctl.err; RC=$?; }
post() {
	curl -sS -o body -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	    -H 'Content-Type: application/json' --data-binary "$1" "$API/v1/submissions"
}
is "$(post '{"campaign": "xfcjy", "deadline": "list", "contact": "hb-zhang"}')" 200 "API: 张伟 submits list (late)"
is "$(post '{"campaign": "xfcjy", "deadline": "plan", "contact": "bj-wang", "via": "sms"}')" 200 "API: 王芳 submits plan, via sms"
ctl submit --campaign xfcjy --unit --via heraldctl plan hebei
is "$RC $(cat ctl.err)" "0 " "heraldctl submit: hebei submits plan"

ctl report submissions --campaign xfcjy --xlsx r.xlsx
is "$RC $(cat ctl.err)" "0 " "report --xlsx"
ctl report submissions --campaign xfcjy --csv r.csv
is "$RC $(cat ctl.err)" "0 " "report --csv"

# The expected table, from the config above and the store.
cat >expect.py <<'PY'
import datetime, sqlite3, sys, zoneinfo
tz = zoneinfo.ZoneInfo("Asia/Shanghai")
past, later = int(sys.argv[1]), int(sys.argv[2])
t = lambda s: datetime.datetime.fromtimestamp(s, tz).strftime("%Y-%m-%d %H:%M")
db = sqlite3.connect("h.db")
sub = {}
for dl, unit, contact, at, via in db.execute("SELECT deadline, unit, contact, at, via FROM submissions"):
    sub[(dl, unit or {"hb-zhang": "hebei", "bj-wang": "beijing"}.get(contact, contact))] = (at, via)
door = {"api": "API", "sms": "短信回复", "heraldctl": "heraldctl"}
dues = {"list": past, "plan": later}
def cell(dl, row):
    if dl == "plan" and row == "free-li":
        return ""
    if (dl, row) in sub:
        at, via = sub[(dl, row)]
        s = datetime.datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %H:%M:%S") + " " + door[via]
        return s + ("（逾期报送）" if at > dues[dl] else "")
    return "逾期" if dl == "list" else "未报送"
want = [["单位代码", "单位", "报送名单\n截止 " + t(past), "活动方案\n截止 " + t(later)]]
for row, name in [("hebei", "河北省商务厅"), ("beijing", "北京市商务局"),
                  ("guangdong", "广东省商务厅"), ("free-li", "李自由")]:
    want.append([row, name, cell("list", row), cell("plan", row)])
assert len(sub) == 3, sub
PY
check "xlsx: cells equal the store's submissions, header frozen, widths set" $PY -c '
import sys, openpyxl
exec(open("expect.py").read())
ws = openpyxl.load_workbook("r.xlsx").active
got = [[c if c is not None else "" for c in r] for r in ws.iter_rows(values_only=True)]
assert got == want, (got, want)
assert ws.freeze_panes == "C2", ws.freeze_panes
assert ws["A1"].font.b, "bold header"
assert ws.column_dimensions["B"].width >= 12, ws.column_dimensions["B"].width
assert ws["C4"].font.color is not None and ws["C4"].value == "逾期"
' "$past" "$later"
check "csv (UTF-8 with a BOM): the same cells" $PY -c '
import csv, sys
exec(open("expect.py").read())
raw = open("r.csv", "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), raw[:8]
got = list(csv.reader(open("r.csv", encoding="utf-8-sig", newline="")))
assert got == want, (got, want)
' "$past" "$later"
ctl report submissions --campaign xfcjy --json
check "--json: the board of GET /v1/submissions" $PY -c '
import json
j = json.load(open("ctl.out"))
assert [c["id"] for c in j["campaigns"]] == ["xfcjy"]
assert j["campaigns"][0]["rows"][0]["cells"][0]["via"] == "api"'
ctl report submissions --campaign nosuch --csv x.csv
is "$RC" 1 "an unknown campaign: the server's 404, exit 1"
check "no file for an unknown campaign" test ! -e x.csv
ctl report submissions --campaign xfcjy
is "$RC" 2 "no format: usage error"
ctl list campaigns
is "$RC $(cat ctl.out)" "0 xfcjy" "list campaigns"
ctl list units
is "$(cat ctl.out | tr '\n' ' ')" "hebei beijing guangdong " "list units"
done_testing
