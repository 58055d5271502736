#!/bin/bash
# test_completion.sh - contrib/bash-completion/heraldctl sourced in bash:
# COMPREPLY for commands, options and subcommands without a daemon, ids
# from a running heraldd (through heraldctl list), and nothing (quickly)
# when the daemon is not reachable.
. "$top_srcdir/tests/integration/lib.sh"
export LC_ALL=C.UTF-8
: "${HERALDCTL:=$top_builddir/ctl/heraldctl}"
cd "$T" || exit 1
mkdir bin
ln -s "$HERALDCTL" bin/heraldctl
export PATH="$T/bin:$PATH"

# comp LINE -- COMPREPLY, sorted, for the line typed so far (the cursor at
# its end), in a fresh bash without bash-completion's helpers.
comp() {
	bash --norc -c '
. "$1"
read -ra COMP_WORDS <<<"$2"
[[ $2 == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$2
_heraldctl heraldctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
[ ${#COMPREPLY[@]} -gt 0 ] && printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ \
	    "$top_srcdir/contrib/bash-completion/heraldctl" "$1"
}

is "$(comp 'heraldctl re')" "reload report " "commands: re -> reload report"
is "$(comp 'heraldctl --url http://x i')" "import incident " "commands after a global option"
is "$(comp 'heraldctl import ')" "contacts " "import -> contacts"
is "$(comp 'heraldctl import contacts --enc')" "--encoding " "import's options"
is "$(comp 'heraldctl import contacts --encoding ')" "gb18030 utf-8 " "--encoding values"
is "$(comp 'heraldctl report submissions --x')" "--xlsx " "report's options"
is "$(comp 'heraldctl incident ')" "ack list resolve show trigger " "incident verbs"

# No daemon: nothing offered, and quickly (connection refused).
export HERALD_URL=http://127.0.0.1:9
start=$(date +%s)
is "$(comp 'heraldctl agenda --campaign ')" "" "no daemon: no campaign ids"
check "no daemon: answered within 3 s" test $(( $(date +%s) - start )) -le 3

cat >h.conf <<'CONF'
herald = { listen = "127.0.0.1:0"; timezone = "Asia/Shanghai"; store = "sqlite:h.db"; };
channels = ( { name = "log"; plugin = "log"; file = "sent.log"; } );
units = ( { id = "hebei"; name = "河北省商务厅"; } );
contacts = ( { id = "hb-zhang"; name = "张伟"; unit = "hebei"; prefer = [ "log" ]; },
             { id = "hb-li"; name = "李娜"; unit = "hebei"; prefer = [ "log" ]; } );
campaigns = (
  { id = "xfcjy-2026"; title = "消费促进月"; period = [ "2026-01-01", "2027-12-31" ];
    deadlines = ( { id = "list"; title = "名单"; due = "2027-06-01 17:00"; audience = [ "hebei" ]; } ); },
  { id = "xfcjy-2027"; title = "消费促进月"; period = [ "2026-01-01", "2027-12-31" ];
    deadlines = ( { id = "plan"; title = "方案"; due = "2027-06-02 17:00"; audience = [ "hb-li" ]; } ); }
);
CONF
start_bg "$T/d.log" "$HERALDD" -f -c h.conf
if wait_listen "$T/d.log"; then ok "heraldd starts"; else not_ok "heraldd starts" "$(cat d.log)"; fi
export HERALD_URL=$API
is "$(comp 'heraldctl agenda --campaign ')" "xfcjy-2026 xfcjy-2027 " "campaign ids from the daemon"
is "$(comp 'heraldctl report submissions --campaign xfcjy-2027')" "xfcjy-2027 " "a campaign id by prefix"
is "$(comp 'heraldctl submit ')" "list plan " "submit: deadline ids"
is "$(comp 'heraldctl submit list h')" "hb-li hb-zhang hebei " "submit: contact and unit ids"
is "$(comp 'heraldctl -u http://127.0.0.1:9 agenda --contact ')" "" "-u on the line is used (a dead URL: nothing)"
done_testing
