#!/bin/bash
# test_messages_doc.sh - doc/messages.md is what contrib/messages.sh makes
# of the shipped examples with this heraldd (heraldd -m): regenerated here
# and compared byte for byte, so a change to a template, a built-in text
# or the rendering that is not carried into the document fails.
. "$top_srcdir/tests/integration/lib.sh"

if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 not installed"
	exit 0
fi

if HERALDD=$HERALDD HERALD_PLUGIN_DIR=$HERALD_PLUGIN_DIR \
    "$top_srcdir/contrib/messages.sh" "$T/messages.md" 2>"$T/err"; then
	ok "contrib/messages.sh regenerates the document"
else
	not_ok "contrib/messages.sh regenerates the document" "$(cat "$T/err")"
fi
if diff -u "$top_srcdir/doc/messages.md" "$T/messages.md" >"$T/diff"; then
	ok "doc/messages.md is up to date (run contrib/messages.sh when it is not)"
else
	not_ok "doc/messages.md is up to date (run contrib/messages.sh when it is not)" \
	    "$(head -40 "$T/diff")"
fi
# What the document must show, whatever the templates say: an SMS signed
# once, an escalation naming units, a link under an overridden template.
sms=$(grep -A6 '### 截止提醒 · sms' "$T/messages.md" | grep '^【')
is "$(printf '%s' "$sms" | head -1 | grep -o '【' | wc -l)" 1 "the SMS reminder carries one 【】 block"
like "$sms" '回复1已收到，回复2已报送。确认请点：https://' "... the reply hint and the link"
like "$(grep -A8 '### 逾期督办 · mail' "$T/messages.md")" '尚未报送：河北省商务厅' \
    "the escalation names units"
done_testing
