#!/bin/bash
# test_examples_seeds.sh - issue 16: the three examples written from the
# seed campaigns (conf/examples/xfpf-2020.conf, xfbf-2022.conf,
# tongjiang-2023.conf) run as the quick start runs an example (plain
# `heraldd -f -c FILE` from the copy's root, log channels writing under
# var/), under libfaketime a little before each campaign, and
# `heraldctl agenda --json` holds the instants this test computes from the
# seeds' dates, written below, with Python's zoneinfo (Asia/Shanghai):
#   - xfpf-2020 (seed 004): the 20-session media series and the 832
#     platform's Saturdays in November on two stages (on_air, off_air,
#     next_up, each stage's schedule), the audience's reminders, the two
#     deadlines of Nov 30 (reminders moved off the weekend, overdue);
#   - xfbf-2022 (seed 002): the launch and its countdowns, the platform
#     sessions, a reminder moved over the Spring Festival to a make-up
#     workday, one daily digest per workday of the 2022 calendar;
#   - tongjiang-2023 (seed 003): each voucher round's launch and
#     countdowns under its own item, the four quarterly report instances
#     with distinct ids, a Q1 submission cancelling Q1's notices and not
#     Q2's, and the weekly digest: one per week per recipient and channel
#     (the Mondays counted here), moved off the Monday holidays.
# Then xfpf-2020 again with its live channel switched to the livestream
# plugin, as the example's comment tells a coordinator, against the
# recording HTTP receiver: both stages' schedules and the first next_up.
# The weekly digest count: a helper once saw 164 digests for 2 recipients
# over ~41 weeks and suspected planning per day or per campaign.  Counted
# per recipient and channel the planner is right: a recipient with an
# `always` copy (mail) has a job per channel, so 41 weeks x 2 recipients x
# 2 channels = 164.  Here tj-zhao has wecom + mail, tj-hu wecom only.
# Holidays and make-up workdays are typed here from the State Council's
# notices for 2022, 2023 and 2024, not read from conf/calendars.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/examples.sh"
export LC_ALL=C.UTF-8

: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
PY=/usr/bin/python3
TOKEN='tok-examples-seeds-5c2a'
printf '%s\n' "$TOKEN" >"$T/api.token"
chmod 600 "$T/api.token"

if [ -z "$FAKETIME_LIB" ]; then
	echo "1..0 # SKIP libfaketime is not installed"
	exit 0
fi

# start FILE AT -- the example FILE copied to $T/NAME and started with its
# clock at AT; sets DIR, PID and API, or reports and returns 1.
start() {
	local name=${1%.conf}
	DIR=$T/$name
	example_copy "$DIR" "$1"
	example_herald "$EXAMPLE" "	api_token_file = \"$T/api.token\";"
	cd "$DIR" || exit 1
	start_bg "$DIR/heraldd.log" fake_at "$2" "$HERALDD" -f -c "$EXAMPLE"
	PID=$BG_PID
	if wait_listen "$DIR/heraldd.log" &&
	    wait_until 20 log_has "$DIR/heraldd.log" 'ready: config generation 1'; then
		ok "$name: starts as shipped (log channels under var/) at $2"
	else
		not_ok "$name: starts as shipped (log channels under var/) at $2" \
		    "$(tail -20 "$DIR/heraldd.log")"
		cd "$T" || exit 1
		return 1
	fi
}

stop() {
	kill -TERM "$PID"
	wait_exit "$PID" 10
	is "$EXIT_STATUS" 0 "${DIR##*/}: stops cleanly"
	# The machine's clock may be unsynchronised: that is no example's doing.
	is "$(unexpected_warnings "$DIR/heraldd.log" 'CLOCK NOT SYNCHRONIZED')" "" \
	    "${DIR##*/}: no warning in the daemon's log"
	cd "$T" || exit 1
}

# agenda CAMPAIGN OUT -- the pending agenda as JSON
agenda() {
	"$HERALDCTL" -u "$API" --json agenda --campaign "$1" >"$2" 2>"$2.err" ||
	    not_ok "heraldctl agenda --campaign $1" "$(cat "$2.err")"
}

# checks NAME AGENDA... -- run the Python checks for NAME; each prints
# "1|0 TAB description TAB diagnostic" lines, turned into TAP here.
checks() {
	$PY - "$@" >"$T/results" 2>"$T/results.err" <<'EOF'
import json, sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
name, files = sys.argv[1], sys.argv[2:]
jobs = [json.load(open(f, encoding="utf-8"))["jobs"] for f in files]

def tap(ok, what, diag=""):
    print("%d\t%s: %s\t%s" % (1 if ok else 0, name, what,
                              str(diag).replace("\n", " ")[:1500]))

def at(y, mo, d, h=0, mi=0):
    return int(datetime(y, mo, d, h, mi, tzinfo=SH).timestamp())

def due(j):
    return int(datetime.fromisoformat(j["due"]).timestamp())

def show(ts):
    return sorted(datetime.fromtimestamp(t, SH).strftime("%m-%d %H:%M")
                  for t in ts)

def sel(js, **kw):
    return [j for j in js if all(j[k] == v for k, v in kw.items())]

def people(js, t):
    """True when every job is due at t; the number of distinct contacts
    (a contact with an always copy has a job per channel)."""
    return all(due(j) == t for j in js) and len({j["contact"] for j in js})

def same(got, want, what):
    tap(sorted(got) == sorted(want), what,
        "got %s want %s" % (show(got), show(want)))

def days(a, b):  # a .. b inclusive
    return [a + timedelta(n) for n in range((b - a).days + 1)]

def workday(d, holidays, makeup):
    return d in makeup or (d.weekday() < 5 and d not in holidays)

if name == "xfpf-2020":
    ag, = jobs
    # Seed 004, 四（九）: the media livestream series in November.  The
    # example: media, 县长直播带货 nightly 20:00-21:30 from Nov 2, 20
    # sessions, Nov 11 skipped (not counted) for the 双十一 special
    # (19:30-23:00); 832, Saturdays 10:00-12:00 from Nov 7 to Nov 30, and
    # its own 双十一 special.
    series = [d for d in days(date(2020, 11, 2), date(2020, 11, 30))
              if d != date(2020, 11, 11)][:20]
    media = [(at(d.year, d.month, d.day, 20), at(d.year, d.month, d.day, 21, 30))
             for d in series]
    sat = [d for d in days(date(2020, 11, 7), date(2020, 11, 30))
           if d.weekday() == 5]
    p832 = [(at(d.year, d.month, d.day, 10), at(d.year, d.month, d.day, 12))
            for d in sat]
    special = (at(2020, 11, 11, 19, 30), at(2020, 11, 11, 23))
    media.append(special)
    p832.append(special)
    for stage, want in (("media", media), ("832", p832)):
        c = "stage:xfpf-2020/" + stage
        same([due(j) for j in sel(ag, contact=c, kind="on_air")],
             [f for f, t in want], "stage %s: on_air at each session's start" % stage)
        same([due(j) for j in sel(ag, contact=c, kind="off_air")],
             [t for f, t in want], "stage %s: off_air at each session's end" % stage)
        same([due(j) for j in sel(ag, contact=c, kind="next_up")],
             [f - 600 for f, t in want], "stage %s: next_up 10 minutes before each" % stage)
        sched = sel(ag, contact=c, kind="schedule")
        same([due(j) for j in sched], [min(want)[0] - 7 * 86400],
             "stage %s: the schedule 7 days before its first session" % stage)
        tap(all(j["channel"] == "live" for j in sel(ag, contact=c)),
            "stage %s: every event on the live channel" % stage)
    nov = [j for j in ag if j["kind"] == "on_air" and
           at(2020, 11, 1) <= due(j) < at(2020, 12, 1)]
    stages = Counter(j["contact"] for j in nov)
    tap(len(nov) >= 20 and len(stages) == 2,
        "at least 20 sessions go on air in November, on two stages", stages)
    # The audience (live-audience: the 4 cities' liaisons, 宣传部, 网信办)
    # hears 2 h before each series session, 1 d and 2 h before each special.
    want = [f - 7200 for f, t in media[:-1] + p832[:-1]] + \
        [special[0] - 86400, special[0] - 7200] * 2
    for who in ("hf-ye", "fy-pan", "la-du", "aq-jin", "xcb-guo", "wxb-ma"):
        same([due(j) for j in sel(ag, contact=who, kind="slot")], want,
             "%s (audience) is reminded before every session" % who)
    # The host of the media series hears 2 h before each of its sessions;
    # tv-dong, host of the special, also hears when the session before it
    # (Nov 10's) starts that she is next.
    # tv-qiao: 2 h before each series session, and told she is next when
    # the special before Nov 12's session starts.
    same([due(j) for j in sel(ag, contact="tv-qiao", kind="slot")],
         [f - 7200 for f, t in media[:-1]] + [special[0]],
         "tv-qiao is reminded before each series session, and told she is next when the special starts")
    same([due(j) for j in sel(ag, contact="tv-dong", kind="slot")],
         [special[0] - 86400, special[0] - 7200, at(2020, 11, 10, 20)],
         "tv-dong: the special's reminders and the next-up notice when Nov 10's session starts")
    # Seed 004, 四（六） and 四（七）: done by Nov 30 (17:30 in the example).
    # Reminders 7d, 3d, 1d before: Nov 23 (Mon), Nov 27 (Fri), Nov 29 is a
    # Sunday and moves to Friday Nov 27, where the 3d one is: one reminder.
    nov30 = at(2020, 11, 30, 17, 30)
    for item, who, rem in (
            ("gov-procurement", ["hf-ye", "fy-pan", "la-du", "aq-jin", "czt-he"],
             [at(2020, 11, 23, 17, 30), at(2020, 11, 27, 17, 30)]),
            ("village-survey", ["hf-ye", "fy-pan", "la-du", "aq-jin"],
             [at(2020, 11, 23, 17, 30), at(2020, 11, 27, 17, 30)])):
        od = sel(ag, item=item, kind="overdue")
        same([due(j) for j in od], [nov30] * len(who),
             "%s: the overdue notice on Nov 30 17:30 to each unit" % item)
        tap(sorted(j["contact"] for j in od) == sorted(who),
            "%s: ... to %s" % (item, " ".join(who)),
            sorted(j["contact"] for j in od))
        same([due(j) for j in sel(ag, item=item, kind="reminder", contact="hf-ye")],
             rem, "%s: hf-ye's reminders on Nov 23 and Nov 27" % item)
        tap(people(sel(ag, item=item, kind="escalation"), nov30 + 86400) == 2,
            "%s: escalated a day later to the office (2 people)" % item)
    # Seed 004, 五: the phases (10月中下旬 = from Oct 11), told at day_start.
    for ph, d in (("mobilise", date(2020, 10, 11)), ("implement", date(2020, 11, 1)),
                  ("showcase", date(2020, 12, 1))):
        same([due(j) for j in sel(ag, item=ph, kind="phase", contact="hf-ye")],
             [at(d.year, d.month, d.day, 9)], "phase %s begins on %s" % (ph, d))

elif name == "xfbf-2022":
    ag, = jobs
    # 2022 (国办发明电〔2021〕11号): 元旦 Jan 1-3, 春节 Jan 31-Feb 6, Jan
    # 29 and 30 worked; 清明 Apr 3-5 (after this campaign).
    hol = set(days(date(2022, 1, 1), date(2022, 1, 3)) +
              days(date(2022, 1, 31), date(2022, 2, 6)))
    mk = {date(2022, 1, 29), date(2022, 1, 30)}
    go = at(2022, 1, 10, 10)
    everyone = 19
    tap(people(sel(ag, item="launch", kind="launch"), go) == everyone,
        "the launch at 2022-01-10 10:00 reaches 19 people")
    cd = Counter(t for c, t in {(j["contact"], due(j))
                                for j in sel(ag, item="launch", kind="countdown")})
    tap(cd == Counter({go - 3 * 86400: everyone, go - 86400: everyone,
                       go - 3600: everyone}),
        "countdowns 3 days, 1 day (a Sunday: countdowns keep their instant) and 1 hour before",
        {k: v for k, v in cd.items()})
    # Platform sessions.
    for stage, want in (
            ("jd", [at(2022, 1, 15, 20), at(2022, 1, 22, 20)]),
            ("tmall", [at(2022, 1, 16, 20)]),
            ("douyin", [at(2022, 1, d, 19) for d in (17, 18, 19, 21, 22, 23, 24)] +
             [at(2022, 1, 20, 19, 30)])):
        c = "stage:xfbf-2022/" + stage
        same([due(j) for j in sel(ag, contact=c, kind="on_air")], want,
             "stage %s: on_air at each session" % stage)
        same([due(j) for j in sel(ag, contact=c, kind="next_up")],
             [t - 900 for t in want], "stage %s: next_up 15 minutes before" % stage)
        tap({j["channel"] for j in sel(ag, contact=c)} == {"live-" + stage},
            "stage %s: its events on channel live-%s" % (stage, stage))
    # pre-festival, due Feb 7 17:30: 5 days before is Feb 2 (春节); the
    # closest earlier workday is Sunday Jan 30 (make-up).
    d = date(2022, 2, 2)
    while not workday(d, hol, mk):
        d -= timedelta(1)
    tap(d == date(2022, 1, 30), "the rule by hand: Feb 2 moves to Jan 30", d)
    same([due(j) for j in sel(ag, item="pre-festival", kind="reminder", contact="pbj-gao")],
         [at(2022, 1, 30, 17, 30), at(2022, 2, 7, 16, 30)],
         "pre-festival: the 5-day reminder moved over the Spring Festival to Jan 30, the 1-hour one on Feb 7")
    tap(people(sel(ag, item="results", kind="overdue"), at(2022, 2, 25, 17, 30)) == 17,
        "results: the overdue notice on Feb 25 17:30 to the 17 units' liaisons")
    # The daily digest to ndrc-desk (ndrc-zhu: sms and a mail copy;
    # ndrc-ren the same): every workday from the period's start (Jan 5,
    # before any notice) to its end (Mar 15, after the last escalation).
    wd = [d for d in days(date(2022, 1, 5), date(2022, 3, 15)) if workday(d, hol, mk)]
    for who in ("ndrc-zhu", "ndrc-ren"):
        for ch in ("sms", "mail"):
            same([due(j) for j in sel(ag, kind="digest", contact=who, channel=ch)],
                 [at(d.year, d.month, d.day, 9) for d in wd],
                 "daily digest to %s on %s: 09:00 on each of the %d workdays" % (who, ch, len(wd)))

elif name == "tongjiang-2023":
    ag, after = jobs
    # 2023 (国办发明电〔2022〕7号) and 2024 (国办发明电〔2023〕7号), the
    # parts this campaign meets.
    hol = set([date(2023, 4, 5)] + days(date(2023, 4, 29), date(2023, 5, 3)) +
              days(date(2023, 6, 22), date(2023, 6, 24)) +
              days(date(2023, 9, 29), date(2023, 10, 6)) + [date(2024, 1, 1)])
    mk = {date(2023, 4, 23), date(2023, 5, 6), date(2023, 6, 25),
          date(2023, 10, 7), date(2023, 10, 8)}
    # Seed 003: rounds at 五一, 国庆, 双十一, 元旦 (instants of the example).
    rounds = {"wuyi": (at(2023, 4, 28, 10), ["3d", "1d", "1h"]),
              "guoqing": (at(2023, 9, 28, 10), ["3d", "1d", "1h"]),
              "shuangshiyi": (at(2023, 11, 10, 20), ["1d", "1h"]),
              "yuandan": (at(2023, 12, 29, 10), ["3d", "1d", "1h"])}
    sec = {"3d": 3 * 86400, "1d": 86400, "1h": 3600}
    for r, (t, cds) in rounds.items():
        tap(people(sel(ag, item=r, kind="launch"), t) == 7,
            "round %s: its launch at its instant, to 7 people" % r)
        same(list(set(due(j) for j in sel(ag, item=r, kind="countdown"))),
             [t - sec[c] for c in cds], "round %s: countdowns %s" % (r, ", ".join(cds)))
    tap(not sel(ag, item="launch"), "no job under the one-launch item")
    # Quarterly reports: due the 10th after each quarter, 17:00.
    q = {"voucher-report#2023Q1": at(2023, 4, 10, 17), "voucher-report#2023Q2": at(2023, 7, 10, 17),
         "voucher-report#2023Q3": at(2023, 10, 10, 17), "voucher-report#2023Q4": at(2024, 1, 10, 17)}
    ids = sorted({j["item"] for j in ag if j["item"].startswith("voucher-report")})
    tap(ids == sorted(q), "four quarterly instances with distinct ids", ids)
    for i, t in q.items():
        tap(people(sel(ag, item=i, kind="overdue"), t) == 3,
            "%s: overdue at its due to the 3 units" % i)
    # Q3's reminders (5d, 3d, 1d before Oct 10): Oct 5 is 国庆 -> Sep 28;
    # Oct 7 is a make-up Saturday; Oct 9.
    d = date(2023, 10, 5)
    while not workday(d, hol, mk):
        d -= timedelta(1)
    same([due(j) for j in sel(ag, item="voucher-report#2023Q3", kind="reminder", contact="tj-chen")],
         [at(d.year, d.month, d.day, 17), at(2023, 10, 7, 17), at(2023, 10, 9, 17)],
         "Q3: reminders on %s (moved over 国庆), Oct 7 (make-up Saturday) and Oct 9" % d)
    # After heraldctl submit voucher-report#2023Q1 for the three units:
    # Q1's pending notices are gone, Q2's are all there.
    def of(js, i):
        return sorted((j["kind"], j["contact"], due(j)) for j in js if j["item"] == i)
    # (The escalation stays planned: it is decided when it is due, and
    # dropped then when every unit has submitted.)
    def notices(js, i):
        return [k for k in of(js, i) if k[0] in ("reminder", "overdue")]
    tap(notices(ag, "voucher-report#2023Q1") and not notices(after, "voucher-report#2023Q1"),
        "Q1 submitted by all three units: none of Q1's reminders and overdue notices left pending",
        notices(after, "voucher-report#2023Q1"))
    # Q2 (due Mon Jul 10): reminders Jul 5 and Jul 7 (Jul 9, a Sunday,
    # moves to Jul 7 and merges), to tj-zhao (wecom and a mail copy),
    # tj-chen and up-jiang: 2 x 4 jobs.
    q2 = of(ag, "voucher-report#2023Q2")
    tap(q2 and of(after, "voucher-report#2023Q2") == q2 and
        sorted(t for k, c, t in q2 if k == "reminder") ==
        sorted([at(2023, 7, 5, 17)] * 4 + [at(2023, 7, 7, 17)] * 4),
        "Q2's 8 reminders (Jul 5, Jul 7), overdue and escalation stay pending",
        of(after, "voucher-report#2023Q2"))
    # The weekly digest (on = "mon", 09:00) to tj-office: tj-zhao on wecom
    # with a mail copy, tj-hu on wecom.  From the week of the campaign's
    # start (Tue Apr 4, no notice earlier: its Monday is Apr 3) to the
    # period's end (Mon 2024-01-15, after the last escalation, Jan 11):
    # every Monday, or the week's first workday when Monday is a holiday.
    mondays = [d for d in days(date(2023, 4, 3), date(2024, 1, 15)) if d.weekday() == 0]
    sends = []
    for m in mondays:
        d = m
        while not workday(d, hol, mk):
            d += timedelta(1)
        sends.append(at(d.year, d.month, d.day, 9))
    moved = [(m, datetime.fromtimestamp(s, SH).date()) for m, s in zip(mondays, sends)
             if datetime.fromtimestamp(s, SH).date() != m]
    tap([str(b) for a, b in moved] == ["2023-05-04", "2023-10-07", "2024-01-02"],
        "by hand: three Monday holidays move the digest (May 4, Oct 7, Jan 2)", moved)
    per = Counter((j["contact"], j["channel"]) for j in sel(ag, kind="digest"))
    tap(per == Counter({("tj-zhao", "wecom"): len(mondays), ("tj-zhao", "mail"): len(mondays),
                        ("tj-hu", "wecom"): len(mondays)}),
        "weekly digest: %d jobs per recipient and channel, one per week (%d Mondays), "
        "%d in all" % (len(mondays), len(mondays), 3 * len(mondays)), per)
    for who, ch in (("tj-zhao", "wecom"), ("tj-zhao", "mail"), ("tj-hu", "wecom")):
        same([due(j) for j in sel(ag, kind="digest", contact=who, channel=ch)], sends,
             "weekly digest to %s on %s at 09:00 each Monday (or the week's first workday)" % (who, ch))
EOF
	[ -s "$T/results" ] || not_ok "$1: the checks ran" "$(cat "$T/results.err")"
	while IFS=$'\t' read -r pass what diag; do
		if [ "$pass" = 1 ]; then ok "$what"; else not_ok "$what" "$diag"; fi
	done <"$T/results"
}

# --- xfpf-2020: 消费扶贫月 (seed 004), before the first notice (Oct 9) ---
if start xfpf-2020.conf '2020-10-09 09:00:00'; then
	agenda xfpf-2020 "$T/xfpf.json"
	checks xfpf-2020 "$T/xfpf.json"
	stop
fi

# --- xfpf-2020 with its live channel on the livestream plugin ---------------
# What the example's comment tells a coordinator to change, against the
# recording HTTP receiver, ten seconds before the first session's next_up
# (Nov 2 19:50): both stages' schedules (due Oct 26 and Oct 31, never
# missed) go out at once with every session, then the next_up.  The
# notices due before the clock's start are recorded missed.
RECEIVER=$top_srcdir/tests/integration/webhook_receiver.py
if [ -f "$HERALD_PLUGIN_DIR/livestream.so" ]; then
	start_bg "$T/recv.out" $PY "$RECEIVER" --port-file "$T/recv.port" --log "$T/recv.jsonl"
	RPID=$BG_PID
	wait_until 15 test -s "$T/recv.port" || not_ok "the receiver starts" "$(cat "$T/recv.out")"
	printf 'live-tok-seeds-41\n' >"$T/live.token"
	chmod 600 "$T/live.token"
	DIR=$T/xfpf-live
	example_copy "$DIR" xfpf-2020.conf
	example_set "$EXAMPLE" "__import__('re').sub(r'\\{ name = \"live\";[^}]*\\}',
	    '{ name = \"live\"; plugin = \"livestream\"; url = \"http://127.0.0.1:$(cat "$T/recv.port")/ok/api/v1\"; token_file = \"$T/live.token\"; }', s)"
	out=$("$HERALDD" -t -c "$EXAMPLE" 2>&1)
	is "$?" 0 "xfpf-2020 with plugin = \"livestream\" on its live channel passes heraldd -t"
	cd "$DIR" || exit 1
	start_bg "$DIR/heraldd.log" fake_at '2020-11-02 19:49:50' "$HERALDD" -f -c "$EXAMPLE"
	PID=$BG_PID
	got_next() { grep -q '/stages/media/events' "$T/recv.jsonl"; }
	if wait_until 30 got_next; then
		ok "xfpf-live: the media stage's next_up reaches the platform"
	else
		not_ok "xfpf-live: the media stage's next_up reaches the platform" \
		    "$(tail -5 "$DIR/heraldd.log")" "$(cat "$T/recv.jsonl" 2>/dev/null | head -c 1500)"
	fi
	kill -TERM "$PID"
	wait_exit "$PID" 10
	$PY - "$T/recv.jsonl" >"$T/results" 2>&1 <<'EOF2'
import json, sys
from datetime import date, datetime, timedelta
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
def tap(ok, what, diag=""):
    print("%d\txfpf-live: %s\t%s" % (1 if ok else 0, what, str(diag)[:1500]))
def starts(path):
    bodies = [json.loads(r["body"]) for r in recs if r["path"] == path]
    return len(bodies), [s["from"] for b in bodies for s in b["slots"]]
# The sessions, from the seed's November and the example's rule.
media = ["2020-11-%02dT20:00:00+08:00" % d for d in range(2, 23) if d != 11]
media.insert(9, "2020-11-11T19:30:00+08:00")
p832 = ["2020-11-07T10:00:00+08:00", "2020-11-11T19:30:00+08:00",
        "2020-11-14T10:00:00+08:00", "2020-11-21T10:00:00+08:00",
        "2020-11-28T10:00:00+08:00"]
n, got = starts("/ok/api/v1/stages/media/schedule")
tap(n == 1 and got == media, "media's schedule, posted once, lists its 21 sessions by start", got)
n, got = starts("/ok/api/v1/stages/832/schedule")
tap(n == 1 and got == p832, "832's schedule, posted once, lists its 5 sessions by start", got)
ev = [json.loads(r["body"]) for r in recs if r["path"] == "/ok/api/v1/stages/media/events"]
tap(len(ev) == 1 and ev[0]["event"] == "next_up" and
    ev[0]["slot"]["slot"] == "media@2020-11-02 20:00" and
    ev[0]["slot"]["host"]["id"] == "tv-qiao",
    "media's first event is the next_up of Nov 2's session, hosted by tv-qiao", ev)
tap(all(r["headers"].get("Authorization") == "Bearer live-tok-seeds-41" for r in recs)
    and recs, "every request carries the token from token_file")
EOF2
	while IFS=$'\t' read -r pass what diag; do
		if [ "$pass" = 1 ]; then ok "$what"; else not_ok "$what" "$diag"; fi
	done <"$T/results"
	is "$(unexpected_warnings "$DIR/heraldd.log" 'CLOCK NOT SYNCHRONIZED|missed')" "" \
	    "xfpf-live: no warning but the notices missed before the clock's start"
	kill -TERM "$RPID"
	cd "$T" || exit 1
else
	ok "# SKIP the livestream plugin was not built"
fi

# --- xfbf-2022: 消费帮扶新春行动 (seed 002), before the period (Jan 5) ----
if start xfbf-2022.conf '2022-01-04 12:00:00'; then
	agenda xfbf-2022 "$T/xfbf.json"
	checks xfbf-2022 "$T/xfbf.json"
	stop
fi

# --- tongjiang-2023: 同江消费券 (seed 003), before the first digest ------
if start tongjiang-2023.conf '2023-04-02 12:00:00'; then
	agenda tongjiang-2023 "$T/tj.json"
	for u in tj-commerce tj-stats unionpay-hlj; do
		"$HERALDCTL" -u "$API" -T "$T/api.token" submit 'voucher-report#2023Q1' "$u" \
		    >"$T/submit.out" 2>&1 ||
		    not_ok "heraldctl submit voucher-report#2023Q1 $u" "$(cat "$T/submit.out")"
	done
	agenda tongjiang-2023 "$T/tj-after.json"
	checks tongjiang-2023 "$T/tj.json" "$T/tj-after.json"
	stop
fi

done_testing
