#!/bin/bash
# test_examples.sh - every config we ship passes `heraldd -t`.
#
# conf/herald.conf and each conf/examples/*.conf must load with only the
# log plugin available, without a single error or warning, and the summary
# must show the campaign and the counts a reader of the file would expect.
# The expected counts below were counted by hand from the files (and the
# shared contacts/provinces.conf), not taken from heraldd.

. "$top_srcdir/tests/integration/lib.sh"

# count_of TEXT NOUN_REGEX -- the number the summary prints for a noun:
# "3 deadlines", "5 livestream slots" or "deadlines: 3".  Empty when the
# summary does not mention the noun.
count_of() {
	local text=$1 noun=$2 n
	n=$(printf '%s\n' "$text" |
	    grep -oE "(^|[^0-9A-Za-z_-])[0-9]+ ([a-z]+ )?$noun\\b" |
	    head -n 1 | grep -oE '[0-9]+' | head -n 1)
	if [ -z "$n" ]; then
		n=$(printf '%s\n' "$text" |
		    grep -oE "\\b$noun *[:=]? *[0-9]+" |
		    head -n 1 | grep -oE '[0-9]+$')
	fi
	printf '%s' "$n"
}

# expect FILE CAMPAIGN [NOUN=COUNT | ~REGEX ...] -- the checks for one file:
# NOUN=COUNT compares a count of the summary's totals, ~REGEX looks for a
# line of the per-campaign part (core/summary.c).
expect() {
	local file=$1 campaign=$2 name out rc pair noun want
	shift 2
	name=${file#"$top_srcdir"/}

	rc=0
	timeout 30 "$HERALDD" -t -c "$file" >"$T/out" 2>"$T/err" || rc=$?
	out=$(cat "$T/out")
	if [ "$rc" -eq 0 ] && ! grep -qiE 'error|warning' "$T/out" "$T/err"; then
		ok "$name: heraldd -t exits 0 without errors or warnings"
	else
		not_ok "$name: heraldd -t exits 0 without errors or warnings" \
		    "exit status $rc" "stderr:" "$(head -c 2000 "$T/err")" \
		    "stdout:" "$(head -c 1000 "$T/out")"
	fi
	like "$out" "(^|[^a-z0-9_-])$campaign([^a-z0-9_-]|\$)" \
	    "$name: summary names campaign $campaign"

	for pair in "$@"; do
		if [ "${pair#\~}" != "$pair" ]; then
			like "$out" "${pair#\~}" "$name: summary has /${pair#\~}/"
			continue
		fi
		noun=${pair%%=*}
		want=${pair#*=}
		is "$(count_of "$out" "$noun")" "$want" \
		    "$name: summary: ${noun//\?/} = $want"
	done
}

if [ ! -x "$HERALDD" ]; then
	not_ok "heraldd is built" "no executable at $HERALDD"
	done_testing
	exit 0
fi

# The quick-start config: 2 contacts, one log channel, one deadline, one plan.
expect "$top_srcdir/conf/herald.conf" demo \
    'contacts?=2' 'channels?=1' 'deadlines?=1' 'plans?=1'

# The examples.  provinces.conf: 8 units (消费促进司, 总台, six provinces)
# and 14 contacts (4 + 2 + 2 + 1 + 2 + 1 + 1 + 1).
for f in "$top_srcdir"/conf/examples/*.conf; do
	case ${f##*/} in
	xfcjy-2020.conf)
		# launch: provinces 6 + province-heads 2 + mofcom-desk 2 +
		# cmg's liaison 1; the safety plan the same without cmg.
		expect "$f" xfcjy-2020 'units?=8' 'contacts?=14' \
		    'channels?=5' 'deadlines?=2' 'plans?=2' 'slots?=5' \
		    'phases?=2' \
		    '~calendar: 2020 \(6 holidays, 6 make-up workdays\)' \
		    '~launch at 2020-09-08 10:00, 11 recipients, 3 countdown' \
		    '~plan safety level 1, 10 recipients, 1 escalation step'
		;;
	xfcjy-2023.conf)
		# a unit in an audience is its liaison: "provinces" is 6 people.
		expect "$f" xfcjy-2023 'units?=8' 'contacts?=14' \
		    'channels?=4' 'deadlines?=3' 'plans?=2' 'tasks?=4' \
		    '~calendar: 2023 \(6 holidays, 7 make-up workdays\)' \
		    '~deadline liaison-list due 2023-08-05 17:00, 6 recipients, 4 reminders' \
		    '~launch at 2023-09-09 10:00, 11 recipients, 3 countdown'
		;;
	xfpf-2020.conf)
		# contacts/xfpf-province.conf: 16 units (12 provincial, 4
		# cities) and 19 contacts (3 + 10 + 2 + 4).  Slots: the media
		# series' 20, the 832 series' 4 Saturdays (Nov 7, 14, 21, 28)
		# and the two 双十一 slots.  gov-procurement: cities 4 + czt.
		expect "$f" xfpf-2020 'units?=16' 'contacts?=19' \
		    'channels?=4' 'deadlines?=4' 'tasks?=6' 'phases?=3' \
		    'plans?=0' 'slots?=26' \
		    '~calendar: 2020 \(6 holidays, 6 make-up workdays\)' \
		    '~phase mobilise 2020-10-11 09:00 \(day_start\) \.\. 2020-10-31' \
		    '~deadline gov-procurement due 2020-11-30 17:30, 5 recipients, 3 reminders' \
		    '~deadline village-survey due 2020-11-30 17:30, 4 recipients, 2 reminders' \
		    '~digest daily at 09:00, 2 recipients'
		;;
	xfbf-2022.conf)
		# contacts/xfbf-2022.conf: 18 units (ndrc, 7 ministries, 6
		# regions, 4 platforms), 20 contacts (3 + 7 + 6 + 4).  The
		# launch: ministries 7 + regions 6 + platforms 4 + ndrc-desk 2;
		# a deadline: the three groups, 17.  Slots: 4 written + the
		# douyin series' 7.
		expect "$f" xfbf-2022 'units?=18' 'contacts?=20' \
		    'channels?=5' 'deadlines?=3' 'launch(es)?=1' 'tasks?=7' \
		    'phases?=4' 'plans?=0' 'slots?=11' \
		    '~calendar: 2022 \(7 holidays, 7 make-up workdays\)' \
		    '~launch at 2022-01-10 10:00, 19 recipients, 3 countdown' \
		    '~deadline results due 2022-02-25 17:30, 17 recipients, 3 reminders'
		;;
	tongjiang-2023.conf)
		# contacts/tongjiang.conf: 12 units, 16 contacts (3 leaders,
		# 2 office, 10 liaisons, 1 UnionPay).  Deadlines: the four
		# quarters of voucher-report + merchant-list.  A launch:
		# voucher-group's 5 liaisons + tj-hu (tj-zhao is both) +
		# UnionPay = 7; the plan: tj-office 2 + tj-li + up-jiang = 4.
		# Calendars 2023 and 2024: 6 + 7 holidays, 7 + 8 make-up days.
		expect "$f" tongjiang-2023 'units?=12' 'contacts?=16' \
		    'channels?=3' 'deadlines?=5' 'launch(es)?=4' 'tasks?=8' \
		    'plans?=1' 'phases?=0' \
		    '~calendar: 2023, 2024 \(13 holidays, 15 make-up workdays\)' \
		    '~launch wuyi at 2023-04-28 10:00, 7 recipients, 3 countdown' \
		    '~launch shuangshiyi at 2023-11-10 20:00, 7 recipients, 2 countdown' \
		    '~deadline voucher-report#2023Q1 due 2023-04-10 17:00, 3 recipients, 3 reminders' \
		    '~deadline voucher-report#2023Q4 due 2024-01-10 17:00, 3 recipients, 3 reminders' \
		    '~plan voucher-fraud level 3, 4 recipients, 1 escalation step' \
		    '~digest weekly on mon at 09:00, 2 recipients'
		;;
	*)
		# A new example gets the basic check until it is listed here.
		rc=0
		timeout 30 "$HERALDD" -t -c "$f" >/dev/null 2>&1 || rc=$?
		is "$rc" 0 "${f#"$top_srcdir"/}: heraldd -t exits 0"
		;;
	esac
done

done_testing
