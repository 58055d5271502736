#!/bin/bash
# test_import.sh - heraldctl import contacts: liaison tables (附件1) as
# Excel writes them (UTF-8 with and without a BOM, GB18030) become an
# include file that heraldd -t accepts; bad tables are refused with every
# bad row as FILE:ROW: message and nothing written.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C.UTF-8
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
cd "$T" || exit 1

imp() {		# imp ARGS... -- RC, stdout in out, stderr in err
	"$HERALDCTL" import contacts "$@" >out 2>err
	RC=$?
}

# A table of 20 contacts in 4 units (rows 2..21), Chinese headers.
table() {	# table [BAD_PHONE_ROW] -- the CSV on stdout (UTF-8, CRLF)
	printf '序号,单位,姓名,职务,手机号码,电子邮箱\r\n'
	for i in $(seq 1 20); do
		u=$(( (i - 1) % 4 ))
		units=(河北省商务厅 北京市商务局 "上海市商务委员会" "广东省商务厅")
		phone=$(printf '138 0013 %04d' "$i")
		[ "$((i + 1))" = "${1:-0}" ] && phone=12345678901
		printf '%d,%s,联络员%d,"处长, 值班",%s,p%d@example.gov.cn\r\n' \
		    "$i" "${units[u]}" "$i" "$phone" "$i"
	done
}
table >plain.csv
{ printf '\xef\xbb\xbf'; cat plain.csv; } >bom.csv
iconv -f UTF-8 -t GB18030 plain.csv >gb.csv

# Expected: units in first-seen order, contacts numbered within them.
expect_ids() {
	for i in $(seq 1 20); do
		u=$(( (i - 1) % 4 + 1 )); n=$(( (i - 1) / 4 + 1 ))
		printf 'u%02d-%d 联络员%d +8613800130%03d\n' "$u" "$n" "$i" "$i"
	done
}
expect_ids >want.txt
cat >h.conf <<'CONF'
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:h.db"; };
channels = ( { name = "sms"; plugin = "log"; file = "s.log"; },
             { name = "mail"; plugin = "log"; file = "m.log"; } );
@include "contacts.conf"
CONF

for f in plain bom gb; do
	rm -f contacts.conf
	imp "$f.csv" -o contacts.conf
	is "$RC $(cat err)" "0 " "$f.csv: imported"
	got=$(sed -n 's/.*id = "\(u[0-9]*-[0-9]*\)"; name = "\([^"]*\)"; unit = "[^"]*"; phone = "\([^"]*\)".*/\1 \2 \3/p' contacts.conf)
	is "$got" "$(cat want.txt)" "$f.csv: 20 contacts, ids, names and normalised numbers"
	is "$(grep -c '^	{ id = "u0[1-4]"; name' contacts.conf)" 4 "$f.csv: 4 units"
	check "$f.csv: heraldd -t accepts the include" "$HERALDD" -t -c h.conf
done
check "the GB18030 file differs from the UTF-8 one (the test is real)" \
    bash -c '! cmp -s plain.csv gb.csv'
imp gb.csv --encoding utf-8
is "$RC $(cat err)" "1 gb.csv: not UTF-8 text (try --encoding gb18030)" "--encoding utf-8 on GB18030: refused"

# Quotes and backslashes survive into libconfig; English headers.
printf 'Unit,Name,Title,Mobile,Email\n"A ""quoted"" unit",back\\slash,,13800138001,\n' >q.csv
imp q.csv -o contacts.conf
is "$RC" 0 "English headers, quotes and a backslash: imported"
check "heraldd -t accepts it" "$HERALDD" -t -c h.conf
is "$(grep -o 'name = "[^;]*;' contacts.conf | tr '\n' ' ')" \
    'name = "A \"quoted\" unit"; name = "back\\slash"; ' "quotes escaped for libconfig"

# --- refusals: exact messages, nothing written --------------------------
table 17 >bad17.csv
printf 'x\n' >keep.conf
imp bad17.csv -o keep.conf
is "$RC" 1 "a bad phone on row 17: exit 1"
is "$(cat err)" 'bad17.csv:17: phone "12345678901" is not a mainland mobile number
heraldctl: 1 error, nothing written' "row 17 named with the phone module's message"
is "$(cat keep.conf)" x "the output file is untouched"
is "$(ls | grep -c 'keep.conf.tmp')" 0 "no temporary file left"

printf '单位,姓名,手机,编号\n河北,张三,13800138001,hb-zhang\n河北,李四,13800138002,hb-li\n北京,王五,1380013800,bj-wang\n北京,赵六,13800138004,hb-zhang\n' >dup.csv
imp dup.csv --id-column 编号 -o new.conf
is "$RC $(cat err)" '1 dup.csv:4: phone "1380013800" is not a mainland mobile number
dup.csv:5: duplicate id "hb-zhang" (row 2 has it)
heraldctl: 2 errors, nothing written' "a duplicate id and a bad phone: both reported at once"
check "nothing written" test ! -e new.conf
imp dup.csv -o new.conf
is "$RC" 1 "编号 is recognised as the id column without --id-column"

: >empty.csv
imp empty.csv -o new.conf
is "$RC $(cat err)" "1 empty.csv: empty file: no header row" "an empty file"
head -c 3000 "$HERALDD" >binary.csv
imp binary.csv -o new.conf
like "$(cat err)" '^binary.csv: not a CSV text file \(binary data: a NUL byte at offset [0-9]+\)$' "a binary file"
is "$RC" 1 "a binary file: exit 1"
printf 'name,mobile\nx,13800138001\n' >nounit.csv
imp nounit.csv -o new.conf
is "$(cat err)" 'nounit.csv:1: no unit (单位) column (name it with --unit-column)
heraldctl: 1 error, nothing written' "no unit column"
printf '报送部门,name,mobile\nx,y,13800138001\n' >unitcol.csv
imp unitcol.csv --unit-column 报送部门
is "$RC" 0 "--unit-column names the unit column"
printf '单位,姓名,手机\n河北,张三,13800138001\n河北,"李四,13800138002\n北京,王五,13800138003\n' >quote.csv
imp quote.csv -o new.conf
is "$RC $(cat err)" '1 quote.csv:3: a quoted field is not closed' "an unclosed quote: its row"
check "nothing was ever written for a refused table" test ! -e new.conf
done_testing
