#!/bin/bash
# test_ical.sh - GET /v1/agenda.ics against the real heraldd: the calendar
# is read with Python's icalendar module and checked independently of
# herald.  The items are defined once, in the Python below, which writes
# the config from them and computes every expected value itself: instants
# with zoneinfo from the config's civil times, alarm offsets from the
# config's duration texts, and the UTC offsets of the output's own
# VTIMEZONE components with dateutil's RFC 5545 zone reader (tzical).
# Also: CRLF line endings and lines of at most 75 octets (RFC 5545 3.1),
# the campaign filter, 404/400/401 as JSON.
# Issue 11 point 6: every event has a DTEND after its DTSTART; alarms fire
# at the instants herald's reminders go out, moved off weekends as the
# planner moves them (recomputed here from the calendar rule: Saturday
# and Sunday are not workdays, reminders and task reminders move to the
# previous workday at the same wall time, one that lands at or after the
# item is dropped, two on one instant are one); phases and tasks are
# events too; UIDs are "<campaign>/<item>@herald" percent-encoded, with
# no space.
. "$top_srcdir/tests/integration/lib.sh"

PY=/usr/bin/python3
ALLOWED='CLOCK NOT SYNCHRONIZED'

if ! command -v curl >/dev/null || ! $PY -c 'import icalendar, zoneinfo, dateutil' 2>/dev/null; then
	echo "1..0 # SKIP curl or python3-icalendar not installed"
	exit 0
fi

cd "$T" || exit 1
TOKEN='ical-读取-token'
printf '%s\n' "$TOKEN" >token
chmod 600 token

cat >ical_check.py <<'PY'
import datetime, io, json, re, sys
from zoneinfo import ZoneInfo

# Far enough ahead that no notice falls due while the test runs.  The
# New York items sit on both sides of the 2030 DST changes (10 March,
# 3 November).
SH_TITLE = "2030年全国消费促进月"
NY_TITLE = "纽约消费品推介会"
CAMPAIGNS = [
    {"id": "xfcjy-2030", "title": SH_TITLE, "zone": "Asia/Shanghai",
     "launch": {"title": "2030年全国消费促进月启动仪式", "at": "2030-09-09 10:00",
                "countdown": ["1d", "1h", "10m"]},
     "deadlines": [
         {"id": "liaison-list", "title": "报送联络机制名单（附件1）",
          "due": "2030-08-05 17:00", "remind": ["7d", "3d", "1d", "2h"]},
         {"id": "key-lists",
          "title": "报送重点城市、重点活动、重点企业数量及启动仪式当天同步活动方案（附件2），"
                   "并说明线上线下配套措施、预计参与企业数量和消费券发放安排",
          "due": "2030-08-15 17:00", "remind": ["3d", "1d12h", "2h"]},
         {"id": "final-report", "title": "报送本地区消费促进月全面情况和量化成效",
          "due": "2030-10-15 17:00", "remind": ["1w", "90m"]},
         # Due on a Saturday: the 7-day reminder falls on a Saturday too
         # and moves to Friday, the 2-hour one as well (DESIGN.md §9.2).
         {"id": "sat-report", "title": "报送周末活动安排",
          "due": "2030-08-17 17:00", "remind": ["7d", "2h"]},
     ],
     "phases": [
         {"id": "publicity", "title": "宣传发动阶段", "from": "2030-08-20", "to": "2030-08-31"},
         {"id": "implement", "title": "集中实施阶段", "from": "2030-09-09 09:00",
          "to": "2030-10-08 18:00"},
     ],
     "tasks": [
         {"id": "venue", "title": "启动仪式现场筹备与直播保障", "start": "2030-08-20",
          "due": "2030-09-07 17:00", "remind": ["3d", "1d"]},
     ],
     "stages": [{"id": "cctv", "title": "总台直播间"}],
     "slots": [
         {"stage": "cctv", "title": "启动仪式现场直播", "from": "2030-09-09 10:00",
          "to": "2030-09-09 11:00", "remind": ["1h", "10m"]},
         {"stage": "cctv", "title": "重点活动跟踪报道：步行街夜经济",
          "from": "2030-09-12 19:30", "to": "2030-09-12 20:30", "remind": []},
     ]},
    {"id": "ny-2030", "title": NY_TITLE, "zone": "America/New_York",
     "deadlines": [
         {"id": "spring", "title": "提交展位申请", "due": "2030-03-12 09:00",
          "remind": ["3d"]},
         {"id": "autumn", "title": "提交签证材料", "due": "2030-11-04 09:00",
          "remind": ["7d", "1h"]},
     ],
     "stages": [{"id": "hall", "title": "推介会场"}],
     "slots": [{"stage": "hall", "title": "线上推介", "from": "2030-11-05 20:00",
                "to": "2030-11-05 21:30", "remind": ["1d"]}]},
]


def q(s):
    return json.dumps(s, ensure_ascii=False)


def offsets(texts):
    return "[ " + ", ".join(q(t) for t in texts) + " ]"


def write_conf(path):
    out = ['herald = { timezone = "Asia/Shanghai"; store = "sqlite:h.db";',
           '  listen = "127.0.0.1:0"; api_token_file = "token"; api_read_auth = true; };',
           'channels = ( { name = "log"; plugin = "log"; file = "msgs.log"; } );',
           'calendar = { weekend = [ "sat", "sun" ]; };',
           'units = ( { id = "office"; name = "办公室"; liaison = "wang"; } );',
           'contacts = ( { id = "wang"; name = "王"; unit = "office"; prefer = [ "log" ]; } );',
           'campaigns = (']
    for i, c in enumerate(CAMPAIGNS):
        out.append('  { id = %s; title = %s; timezone = %s;' % (q(c["id"]), q(c["title"]), q(c["zone"])))
        out.append('    period = [ "2030-01-01", "2030-12-31" ];')
        if "launch" in c:
            l = c["launch"]
            out.append('    launch = { title = %s; at = %s; countdown = %s; audience = [ "wang" ]; };'
                       % (q(l["title"]), q(l["at"]), offsets(l["countdown"])))
        if c.get("phases"):
            out.append('    phases = ( %s );' % ", ".join(
                '{ id = %s; title = %s; from = %s; to = %s; }'
                % (q(p["id"]), q(p["title"]), q(p["from"]), q(p["to"])) for p in c["phases"]))
        if c.get("tasks"):
            out.append('    tasks = ( %s );' % ", ".join(
                '{ id = %s; title = %s; lead = "office"; start = %s; due = %s; remind = %s; }'
                % (q(t["id"]), q(t["title"]), q(t["start"]), q(t["due"]), offsets(t["remind"]))
                for t in c["tasks"]))
        out.append('    deadlines = ( %s );' % ", ".join(
            '{ id = %s; title = %s; due = %s; remind = %s; audience = [ "wang" ]; }'
            % (q(d["id"]), q(d["title"]), q(d["due"]), offsets(d["remind"]))
            for d in c["deadlines"]))
        out.append('    livestream = { stages = ( %s );' % ", ".join(
            '{ id = %s; title = %s; }' % (q(s["id"]), q(s["title"])) for s in c["stages"]))
        out.append('      slots = ( %s ); };' % ", ".join(
            '{ stage = %s; title = %s; from = %s; to = %s; host = "wang"; remind = %s; }'
            % (q(s["stage"]), q(s["title"]), q(s["from"]), q(s["to"]), offsets(s["remind"]))
            for s in c["slots"]))
        out.append('  }' + (',' if i + 1 < len(CAMPAIGNS) else ''))
    out.append(');')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def instant(text, zone):
    """The config's civil time in zone, as Unix seconds (zoneinfo)."""
    dt = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M")
    return int(dt.replace(tzinfo=ZoneInfo(zone)).timestamp())


def uid(campaign, item):
    """RFC 3986 percent-encoding of everything but letters, digits, -._~/."""
    from urllib.parse import quote
    return "%s/%s@herald" % (quote(campaign, safe="-._~/"), quote(item, safe="-._~/"))


def alarm_instants(at_text, zone, texts, moves):
    """When the reminders of an item at at_text go out: each offset back
    in civil days and exact seconds; with moves, a Saturday or Sunday goes
    back to the Friday at the same wall time; at or after the item is no
    reminder; two on one instant are one."""
    tz = ZoneInfo(zone)
    item = instant(at_text, zone)
    local = datetime.datetime.strptime(at_text, "%Y-%m-%d %H:%M")
    got = set()
    for t in texts:
        days, secs = offset(t)
        at = int((local - datetime.timedelta(days=days)).replace(tzinfo=tz).timestamp()) - secs
        keep = at < item
        if moves:
            l = datetime.datetime.fromtimestamp(at, tz).replace(tzinfo=None)
            while l.weekday() >= 5:
                l -= datetime.timedelta(days=1)
            at = int(l.replace(tzinfo=tz).timestamp())
        if keep and at < item:
            got.add(at)
    return sorted(got)


def offset(text):
    """A config duration ("1d12h", "1w", "90m"): (civil days, seconds)."""
    days = secs = 0
    for n, u in re.findall(r"(\d+)([smhdw])", text):
        n = int(n)
        if u == "w":
            days += 7 * n
        elif u == "d":
            days += n
        else:
            secs += n * {"s": 1, "m": 60, "h": 3600}[u]
    return days, secs


def expected(only=None):
    """UID -> what the event must say."""
    ev = {}
    for c in CAMPAIGNS:
        if only is not None and c["id"] != only:
            continue
        z = c["zone"]
        for d in c["deadlines"]:
            ev[uid(c["id"], d["id"])] = dict(
                c=c, title=d["title"], cat="deadline", zone=z, start=d["due"],
                end="instant", alarms=alarm_instants(d["due"], z, d["remind"], True))
        if "launch" in c:
            l = c["launch"]
            ev[uid(c["id"], "launch")] = dict(
                c=c, title=l["title"], cat="launch", zone=z, start=l["at"],
                end="instant", alarms=alarm_instants(l["at"], z, l["countdown"], False))
        for s in c["slots"]:
            # The planner's slot item: "<stage>@<from as written>".
            ev[uid(c["id"], "%s@%s" % (s["stage"], s["from"]))] = dict(
                c=c, title=s["title"], cat="livestream", zone=z,
                start=s["from"], end=s["to"],
                alarms=alarm_instants(s["from"], z, s["remind"], False))
        for p in c.get("phases", []):
            ev[uid(c["id"], p["id"])] = dict(
                c=c, title=p["title"], cat="phase", zone=z, start=p["from"],
                end=p["to"], alarms=[])
        for t in c.get("tasks", []):
            ev[uid(c["id"], t["id"])] = dict(
                c=c, title=t["title"], cat="task", zone=z, start=t["start"],
                end=t["due"], alarms=alarm_instants(t["due"], z, t["remind"], True))
    return ev


def report(ok, desc, diag=""):
    print("%s\t%s\t%s" % ("PASS" if ok else "FAIL", desc,
                           diag.replace("\n", " | ").replace("\t", " ")))


def vtimezones(text):
    """The output's VTIMEZONEs as dateutil tzinfos (its own RFC 5545
    reader, which needs X- properties removed)."""
    from dateutil import tz
    text = re.sub(r"\r\n[ \t]", "", text)
    blocks = re.findall(r"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", text, re.S)
    blocks = [re.sub(r"^X-[^\r\n]*\r\n", "", b, flags=re.M) for b in blocks]
    if not blocks:
        return {}
    t = tz.tzical(io.StringIO("".join(blocks)))
    return {k: t.get(k) for k in t.keys()}


def check(path, only):
    import icalendar
    raw = open(path, "rb").read()

    # RFC 5545 3.1: CRLF, at most 75 octets a line, UTF-8 kept whole.
    bare = len(re.findall(rb"\r(?!\n)|(?<!\r)\n", raw))
    report(raw.endswith(b"\r\n") and bare == 0, "every line ends in CRLF",
           "%d bare CR or LF" % bare)
    lines = raw.split(b"\r\n")[:-1]
    long_ = [l for l in lines if len(l) > 75]
    report(not long_, "every line is at most 75 octets (%d lines, longest %d)"
           % (len(lines), max(len(l) for l in lines)),
           repr(long_[:1]))
    broken = []
    for l in lines:
        try:
            l.decode("utf-8")
        except UnicodeDecodeError:
            broken.append(l)
    report(not broken, "no fold splits a UTF-8 character", repr(broken[:1]))
    report(not any(l == b" " for l in lines), "no empty continuation lines")
    folded = sum(1 for l in lines if l.startswith(b" "))
    report(folded > 0, "long Chinese titles are folded (%d continuation lines)" % folded)

    cal = icalendar.Calendar.from_ical(raw)
    report(str(cal.get("VERSION")) == "2.0" and
           str(cal.get("PRODID")).startswith("-//herald//herald ") and
           str(cal.get("PRODID")).endswith("//ZH") and
           str(cal.get("METHOD")) == "PUBLISH" and
           str(cal.get("CALSCALE")) == "GREGORIAN",
           "VERSION, PRODID, METHOD:PUBLISH, CALSCALE:GREGORIAN",
           "%s %s %s" % (cal.get("VERSION"), cal.get("PRODID"), cal.get("METHOD")))
    name = str(cal.get("X-WR-CALNAME"))
    want_name = {None: "herald", "xfcjy-2030": SH_TITLE, "ny-2030": NY_TITLE}[only]
    report(name == want_name, "X-WR-CALNAME is %s" % want_name, name)

    want = expected(only)
    events = cal.walk("VEVENT")
    # UIDs as written (icalendar's reader decodes some %XX of a UID).
    raw_uids = re.findall(r"^UID:([^\r\n]*)", re.sub(r"\r\n[ \t]", "", raw.decode("utf-8")),
                          re.M)
    got = dict(zip(raw_uids, events)) if len(raw_uids) == len(events) else {}
    report(len(events) == len(want) and set(got) == set(want),
           "one VEVENT per deadline, launch, slot, phase and task, UIDs "
           "<campaign>/<item>@herald percent-encoded (%d)" % len(want),
           "got %s" % sorted(got))
    spaced = [u for u in got if re.search(r"\s", u)]
    report(got and not spaced, "no UID has a space", repr(spaced))

    zones = vtimezones(raw.decode("utf-8"))
    want_zones = sorted({w["zone"] for w in want.values()})
    report(sorted(zones) == want_zones, "a VTIMEZONE for each zone used: %s"
           % ", ".join(want_zones), "got %s" % sorted(zones))

    bad_start, bad_end, bad_alarm, bad_text, bad_vtz = [], [], [], [], []
    for uid, w in want.items():
        e = got.get(uid)
        if e is None:
            continue
        ds, de = e.get("DTSTART"), e.get("DTEND")
        if de is None or ds is None:
            bad_end.append("%s: no DTEND" % uid)
        elif isinstance(ds.dt, datetime.datetime) != isinstance(de.dt, datetime.datetime) \
                or not de.dt > ds.dt:
            bad_end.append("%s: DTEND %s not after DTSTART %s" % (uid, de.dt, ds.dt))
        if len(w["start"]) == 10 and len(w["end"]) == 10:
            # A date-only span: all-day, DTEND the day after the last.
            first = datetime.date.fromisoformat(w["start"])
            last = datetime.date.fromisoformat(w["end"]) + datetime.timedelta(days=1)
            if ds is None or ds.dt != first or ds.params.get("VALUE") != "DATE":
                bad_start.append("%s: DTSTART %s, want the date %s" % (
                    uid, ds and ds.to_ical(), first))
            if de is None or de.dt != last:
                bad_end.append("%s: DTEND %s, want %s" % (uid, de and de.dt, last))
        spans = [] if len(w["start"]) == 10 and len(w["end"]) == 10 else \
            [("DTSTART", w["start"]), ("DTEND", w["end"])]
        for prop, text in spans:
            p = e.get(prop)
            if text == "instant":
                continue
            if len(text) == 10:
                text += " 00:00"	# a date-only start of a timed span: its midnight
            at = instant(text, w["zone"])
            bad = bad_start if prop == "DTSTART" else bad_end
            if p is None:
                bad.append("%s: no %s" % (uid, prop))
                continue
            tzid = p.params.get("TZID")
            # The instant as icalendar reads it (TZID through pytz) ...
            if tzid != w["zone"] or int(p.dt.timestamp()) != at:
                bad.append("%s %s %s %s != %s" % (uid, prop, tzid, p.dt, at))
            # ... and through the output's own VTIMEZONE.
            vtz = zones.get(tzid)
            naive = p.dt.replace(tzinfo=None)
            if vtz is None or int(naive.replace(tzinfo=vtz).timestamp()) != at:
                bad_vtz.append("%s %s local %s via VTIMEZONE %s != %s" % (
                    uid, prop, naive, tzid,
                    vtz and int(naive.replace(tzinfo=vtz).timestamp()), at))
        # Alarms: DISPLAY, at the instants herald's own reminders go out
        # (moved off weekends), whatever form the TRIGGER takes.
        alarms = e.walk("VALARM")
        fired = []
        for a in alarms:
            t = a.get("TRIGGER")
            if t is None or str(a.get("ACTION")) != "DISPLAY" or not a.get("DESCRIPTION"):
                bad_alarm.append("%s: alarm without TRIGGER, ACTION or DESCRIPTION" % uid)
                continue
            if isinstance(t.dt, datetime.datetime):
                fired.append(int(t.dt.timestamp()))
            else:
                base = e["DTEND" if t.params.get("RELATED") == "END" else "DTSTART"].dt
                fired.append(int((base + t.dt).timestamp()))
        if sorted(fired) != w["alarms"]:
            bad_alarm.append("%s: alarms at %s, want %s" % (uid, sorted(fired), w["alarms"]))
        summary = str(e.get("SUMMARY"))
        if (w["c"]["title"] not in summary or w["title"] not in summary or
                [str(x) for x in e["CATEGORIES"].cats] != [w["cat"]] or
                e.get("DTSTAMP") is None or e["DTSTAMP"].dt.utcoffset() != datetime.timedelta(0) or
                not e.get("DESCRIPTION")):
            bad_text.append("%s: %s %s" % (uid, summary, e.get("CATEGORIES").to_ical()))
    report(not bad_start, "DTSTART with TZID = the campaign zone equals the config's "
           "time (zoneinfo)", "; ".join(bad_start))
    report(not bad_end, "every event has a DTEND after its DTSTART; slots and tasks end at "
           "their 'to'/'due', date-only phases the day after their last",
           "; ".join(bad_end))
    report(not bad_vtz, "local times through the output's VTIMEZONE give the same instants",
           "; ".join(bad_vtz))
    report(not bad_alarm, "VALARM DISPLAY triggers fire at the reminders' instants, moved "
           "off weekends as the planner moves them (zoneinfo, weekday rule)",
           "; ".join(bad_alarm))
    report(not bad_text, "SUMMARY has campaign and item title; CATEGORIES; DTSTAMP in UTC",
           "; ".join(bad_text))

    # Asia/Shanghai: +08:00 in every observance, no daylight time.
    for vtz in cal.walk("VTIMEZONE"):
        if str(vtz["TZID"]) != "Asia/Shanghai":
            continue
        subs = vtz.subcomponents
        eight = datetime.timedelta(hours=8)
        report(subs and all(s.name == "STANDARD" and s["TZOFFSETTO"].td == eight and
                            s["TZOFFSETFROM"].td == eight for s in subs),
               "VTIMEZONE Asia/Shanghai: +0800, no DAYLIGHT",
               "; ".join("%s %s->%s" % (s.name, s.get("TZOFFSETFROM").to_ical(),
                                        s.get("TZOFFSETTO").to_ical()) for s in subs))


if __name__ == "__main__":
    if sys.argv[1] == "conf":
        write_conf(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
PY

# run_checks DESCRIPTION-PREFIX ARGS... -- the Python's PASS/FAIL lines as TAP.
run_checks() {
	local prefix=$1 status desc diag
	shift
	if ! $PY ical_check.py check "$@" >checks.out 2>checks.err; then
		not_ok "$prefix: the checker ran" "$(tail -5 checks.err)"
	fi
	while IFS=$'\t' read -r status desc diag; do
		if [ "$status" = PASS ]; then
			ok "$prefix: $desc"
		else
			not_ok "$prefix: $desc" "$diag"
		fi
	done <checks.out
}

# get PATH OUT -- GET with the token; sets CODE, headers in OUT.h.
get() {
	CODE=$(curl -s -o "$2" -D "$2.h" -w '%{http_code}' \
	    -H "Authorization: Bearer $TOKEN" "$API$1")
}
header() { sed -n "s/^$2: *//Ip" "$1" | tr -d '\r'; }
jerr() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["error"])' "$1" 2>/dev/null; }

$PY ical_check.py conf h.conf
start_bg heraldd.log "$HERALDD" -f -c h.conf
if ! wait_listen heraldd.log; then
	not_ok "heraldd listens" "$(tail -5 heraldd.log)"
	done_testing
	exit 0
fi
ok "heraldd listens on $API"

get /v1/agenda.ics all.ics
is "$CODE" 200 "GET /v1/agenda.ics -> 200"
is "$(header all.ics.h Content-Type)" "text/calendar; charset=utf-8" "Content-Type text/calendar; charset=utf-8"
is "$(header all.ics.h Content-Disposition)" 'inline; filename="herald.ics"' "Content-Disposition inline, herald.ics"
run_checks all all.ics

get '/v1/agenda.ics?campaign=xfcjy-2030' sh.ics
is "$CODE" 200 "GET /v1/agenda.ics?campaign=xfcjy-2030 -> 200"
run_checks xfcjy-2030 sh.ics xfcjy-2030
get '/v1/agenda.ics?campaign=ny-2030' ny.ics
is "$CODE" 200 "GET /v1/agenda.ics?campaign=ny-2030 -> 200"
run_checks ny-2030 ny.ics ny-2030

get '/v1/agenda.ics?campaign=nope' nope.json
is "$CODE $(header nope.json.h Content-Type)" "404 application/json" "unknown campaign -> 404 JSON"
like "$(jerr nope.json)" 'nope' "the 404 names the campaign"
get '/v1/agenda.ics?campaign=' empty.json
is "$CODE $(jerr empty.json >/dev/null && echo json)" "400 json" "empty campaign -> 400 JSON"
get '/v1/agenda.ics?from=2030-01-01' bad.json
is "$CODE $(jerr bad.json >/dev/null && echo json)" "400 json" "unknown parameter -> 400 JSON"
CODE=$(curl -s -o noauth.json -w '%{http_code}' "$API/v1/agenda.ics")
is "$CODE $(jerr noauth.json >/dev/null && echo json)" "401 json" "api_read_auth and no token -> 401 JSON"
CODE=$(curl -s -o post.json -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" "$API/v1/agenda.ics")
is "$CODE" 405 "POST /v1/agenda.ics -> 405"

# Stable UIDs and content across requests (subscribed calendars update
# events in place): only DTSTAMP may differ.
get /v1/agenda.ics again.ics
is "$(grep -av '^DTSTAMP:' again.ics | md5sum)" "$(grep -av '^DTSTAMP:' all.ics | md5sum)" \
    "a second fetch is the same calendar"

kill -TERM "$BG_PID"
wait_exit "$BG_PID" 15
is "$EXIT_STATUS" 0 "heraldd exits 0 on SIGTERM"
is "$(unexpected_warnings heraldd.log "$ALLOWED")" "" "no unexpected warnings in the log"

done_testing
