#!/bin/bash
# test_broken.sh - every config in broken/ must fail `heraldd -t` with
# exit status 1 (or the expect-status given) and exactly the
# `file:line: message` lines its comments announce:
#   # expect: broken/NAME.conf:7: unknown setting "remnd" in ...
#       one line per expected error or warning, compared exactly;
#   # expect-prefix: broken/NAME.conf:4:
#       an error line starting so (for messages owned by another layer);
#   # expect-status: 0
#       for a config that is valid but must draw warnings (default 1).
# Every file:line line on stderr must be expected, and every expectation
# must be met.  Paths are relative to tests/integration/, where heraldd
# runs, so they read as a user would type them.

: "${top_srcdir:?}" "${HERALDD:?}"
cd "$top_srcdir/tests/integration" || exit 1

cases=(broken/*.conf)
echo "1..${#cases[@]}"

n=0
for conf in "${cases[@]}"; do
	n=$((n + 1))
	name=${conf#broken/}
	name=${name%.conf}
	err=$(mktemp)
	timeout 30 "$HERALDD" -t -c "$conf" >/dev/null 2>"$err"
	status=$?

	expect=$(sed -n 's/^# expect: //p' "$conf" | sort)
	prefixes=$(sed -n 's/^# expect-prefix: //p' "$conf")
	want=$(sed -n 's/^# expect-status: //p' "$conf")
	want=${want:-1}
	# Diagnostics: "file:line: msg", or "file: msg" when no line applies
	# (a missing top-level section); not main.c's "file: N errors" tally.
	actual=$(grep -E '^[^ ]+:([0-9]+:)? ' "$err" |
	    grep -v -E '^[^ ]+: [0-9]+ (errors?|warnings?)' | sort)
	problem=
	if [ "$status" -ne "$want" ]; then
		problem="exit status $status, not $want"
	elif [ -z "$expect" ] && [ -z "$prefixes" ]; then
		problem="no expectations in $conf"
	else
		rest=$actual
		while IFS= read -r p; do
			[ -n "$p" ] || continue
			line=
			while IFS= read -r l; do
				case $l in
				"$p"*) line=$l; break ;;
				esac
			done <<<"$rest"
			if [ -z "$line" ]; then
				problem="no error line starting with: $p"
				break
			fi
			rest=$(printf '%s\n' "$rest" | grep -v -x -F -- "$line")
		done <<<"$prefixes"
		if [ -z "$problem" ] && [ "$rest" != "$expect" ]; then
			problem="errors differ:
$(diff <(printf '%s\n' "$expect") <(printf '%s\n' "$rest"))"
		fi
	fi
	if [ -z "$problem" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		printf '%s\n' "$problem" | sed 's/^/# /'
		sed 's/^/# stderr: /' "$err"
	fi
	rm -f "$err"
done
