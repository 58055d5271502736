#!/bin/bash
# test_examples_plans.sh - issue 14: the emergency plans of the shipped
# examples (conf/examples/xfcjy-2020.conf, xfcjy-2023.conf and
# tongjiang-2023.conf) and of the
# quick-start demo (contrib/demo.conf.in) can be triggered.  Each example
# runs with its channels swapped for log channels of the same names (JSON
# lines in a file each); every plan is triggered as a drill over the API
# and must reach each person of its alert audience, every message marked
# 【演练】.  The audiences were counted by hand from the files (see
# test_examples.sh): provinces 6 + province-heads 2 + mofcom-desk 2 = 10
# for safety, stampede and fire; provinces 6 + mofcom-desk 2 = 8 for
# epidemic.  The demo's config must pass heraldd -t without a warning and
# carry its three plans.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/examples.sh"
export LC_ALL=C.UTF-8

PY=/usr/bin/python3
TOKEN='tok-examples-plans-9d1e'
printf '%s\n' "$TOKEN" >"$T/api.token"
chmod 600 "$T/api.token"

# drilled DIR TITLE -- "N ok" for N distinct contacts that got an alert of
# the plan titled TITLE (any log file of DIR), "ok" when every such message
# starts with 【演练】, "unmarked" otherwise.
drilled() {
	$PY - "$1" "$2" <<'PY' 2>&1
import glob, json, sys
who, marked = set(), True
for f in glob.glob(sys.argv[1] + "/ch-*.log"):
    for line in open(f, encoding="utf-8"):
        m = json.loads(line)
        if m.get("kind") == "emergency" and sys.argv[2] in m["body"]:
            who.add(m["contact"])
            marked = marked and m["body"].startswith("【演练】")
print(len(who), "ok" if marked else "unmarked")
PY
}

# run YEAR PLAN=COUNT... -- the example with each plan drilled
run() {
	local year=$1 dir=$T/$1 block pair plan want title code pid
	shift
	example_copy "$dir" "$year"
	block=$($PY - "$EXAMPLE" "$dir" <<'PY'
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
chans = re.search(r"(?ms)^channels = \((.*?)^\);", s).group(1)
names = re.findall(r'name\s*=\s*"([^"]+)"', chans)
print(",\n".join('{ name = "%s"; plugin = "log"; file = "%s/ch-%s.log"; format = "json"; }'
                 % (n, sys.argv[2], n) for n in names))
PY
)
	example_channels "$EXAMPLE" "$block"
	example_herald "$EXAMPLE" "	api_token_file = \"$T/api.token\";"
	cd "$dir" || exit 1
	start_bg "$dir/heraldd.log" "$HERALDD" -f -c "$EXAMPLE"
	pid=$BG_PID
	if ! wait_listen "$dir/heraldd.log"; then
		not_ok "$year: the example starts with log channels" "$(tail -20 "$dir/heraldd.log")"
		return
	fi
	ok "$year: the example starts with log channels"
	for pair in "$@"; do
		plan=${pair%%=*}
		want=${pair#*=}
		title=$($PY -c 'import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
print(re.search(r"id\s*=\s*\"%s\";\s*title\s*=\s*\"([^\"]+)\"" % sys.argv[2], s).group(1))' "$EXAMPLE" "$plan")
		code=$(curl -sS -o "$dir/body" -w '%{http_code}' \
		    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		    --data-binary "{\"plan\": \"$plan\", \"venue\": \"演练场馆\", \"note\": \"季度演练\", \"drill\": true}" \
		    "$API/v1/incidents" 2>&1)
		is "$code" 201 "$year: plan $plan is triggered as a drill"
		wait_until 15 test "$(drilled "$dir" "$title" | cut -d' ' -f1)" -ge "$want"
		is "$(drilled "$dir" "$title")" "$want ok" \
		    "$year: plan $plan ($title) alerts its $want people through the log channels, marked 【演练】"
	done
	kill -TERM "$pid"
	wait_exit "$pid" 10
	cd "$T" || exit 1
}

run 2020 safety=10 epidemic=8
run 2023 stampede=10 fire=10
# tongjiang-2023.conf (seed 003): the fraud-report plan alerts tj-office
# (tj-zhao, tj-hu), tj-market's liaison tj-li and UnionPay's up-jiang.
run tongjiang-2023.conf voucher-fraud=4

# The quick-start demo's config, its placeholders filled as quickstart.sh
# does (any instant will do for -t).
sed -e "s/@T+[0-9]*@/$(sh_civil $(($(date +%s) + 600)))/g" \
    -e "s/@D+0@/$(TZ=Asia/Shanghai date +%Y-%m-%d)/g" \
    -e "s/@D+1@/$(TZ=Asia/Shanghai date -d tomorrow +%Y-%m-%d)/g" \
    "$top_srcdir/contrib/demo.conf.in" >"$T/demo.conf"
rc=0
(cd "$T" && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >ack.key && chmod 600 ack.key &&
    timeout 30 "$HERALDD" -t -c demo.conf >demo.out 2>demo.err) || rc=$?
is "$rc $(grep -ciE 'error|warning' "$T/demo.out" "$T/demo.err" | awk -F: '{s += $NF} END {print s}')" "0 0" \
    "the quick-start demo's config passes heraldd -t without a warning"
like "$(cat "$T/demo.out")" '(^|[^0-9])3 plans?' "... with the three plans of the examples"
done_testing
