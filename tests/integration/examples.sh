# tests/integration/examples.sh - the shipped examples run against real
# peers, under libfaketime.  Source it after lib.sh.
#
#   FAKETIME_LIB, fake_at         from lib.sh: libfaketime, and a command
#                                 run with its clock starting at a time
#   example_copy DIR YEAR|FILE    conf/examples and conf/calendars under
#                                 DIR/conf, DIR/var for the store; sets
#                                 EXAMPLE (the copy of xfcjy-YEAR.conf, or
#                                 of FILE, e.g. tongjiang-2023.conf)
#   example_set FILE PY-EXPR...   edit the copy with Python: each argument
#                                 is an expression on s (the text), e.g.
#                                 's.replace("a", "b")'
#   example_channels FILE BLOCK   replace its channels = ( ... ); with BLOCK
#   example_herald FILE LINES     add LINES to its herald = { ... } block
#   example.py                    (tests/integration) reads a config's
#                                 values for the expected texts
# The copy listens on any free port (wait_listen).

# FAKETIME_LIB and fake_at come from lib.sh.

example_copy() {
	rm -rf "$1"
	mkdir -p "$1/conf" "$1/var"
	cp -R "$top_srcdir/conf/examples" "$top_srcdir/conf/calendars" "$1/conf/"
	chmod -R u+w "$1/conf"
	case $2 in
	*.conf) EXAMPLE=$1/conf/examples/$2 ;;
	*) EXAMPLE=$1/conf/examples/xfcjy-$2.conf ;;
	esac
	sed -i 's/listen *= *"127.0.0.1:8025"/listen = "127.0.0.1:0"/' "$EXAMPLE"
}

example_set() {
	local f=$1
	shift
	/usr/bin/python3 - "$f" "$@" <<'PY'
import sys
p = sys.argv[1]
s = open(p, encoding='utf-8').read()
for e in sys.argv[2:]:
    t = eval(e)
    if t == s:
        sys.exit('example_set: no change from ' + e)
    s = t
open(p, 'w', encoding='utf-8').write(s)
PY
}

example_channels() {
	example_set "$1" "__import__('re').sub(r'(?ms)^channels = \(.*?^\);', lambda m: '''channels = (
$2
);''', s, count=1)"
}

example_herald() {
	example_set "$1" "s.replace('herald = {', '''herald = {
$2''', 1)"
}
