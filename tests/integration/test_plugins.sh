#!/bin/bash
# test_plugins.sh - plugins from the outside: install the build tree, build
# the contrib skeleton against the installed header the way a plugin author
# would, have heraldd -t load it, and refuse a plugin built for another ABI.
. "$top_srcdir/tests/integration/lib.sh"

: "${HERALD_TEST_PLUGIN_DIR:=$top_builddir/tests/plugins/.libs}"
DEST=$T/inst
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")

# --- 1. make install ---------------------------------------------------
# A clean environment: no jobserver or variables from the make running us.
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    timeout 300 make -C "$top_builddir" install DESTDIR="$DEST" \
    >"$T/install.log" 2>&1; then
	ok "make install DESTDIR works"
else
	not_ok "make install DESTDIR works" "$(tail -20 "$T/install.log")"
fi
check "installs heraldd" test -x "$DEST$prefix/sbin/heraldd"
check "installs heraldctl" test -x "$DEST$prefix/bin/heraldctl"
check "installs the log plugin" test -n "$(find "$DEST" -name log.so)"
check "installs the plugin header" \
	test -f "$DEST$prefix/include/herald/herald-plugin.h"
pc=$(find "$DEST" -name herald-plugin.pc | head -1)
check "installs herald-plugin.pc" test -n "$pc"

# --- 2. the skeleton, out of tree, against the installed header --------
cp -r "$top_srcdir/contrib/skeleton-plugin" "$T/skel"
chmod -R u+w "$T/skel"	# srcdir is read-only under distcheck
rm -f "$T/skel/skeleton.so"
export PKG_CONFIG_PATH=${pc%/*}
PKG_CONFIG="pkg-config --define-variable=prefix=$DEST$prefix"
cflags=$($PKG_CONFIG --cflags herald-plugin 2>&1)
like "$cflags" "^-I$DEST$prefix/include/herald( |\$)" \
	"pkg-config --cflags herald-plugin points at the installed header"
if timeout 60 make -C "$T/skel" PKG_CONFIG="$PKG_CONFIG" \
    CFLAGS="-O2 -Werror" >"$T/skel.log" 2>&1 && [ -f "$T/skel/skeleton.so" ]; then
	ok "skeleton builds out of tree into skeleton.so"
else
	not_ok "skeleton builds out of tree into skeleton.so" \
	    "$(tail -20 "$T/skel.log")"
fi

# --- 3. heraldd -t loads it and runs its validation --------------------
cat >"$T/skel.conf" <<'CONF'
herald = { listen = "127.0.0.1:0"; };
channels = (
  { name = "demo"; plugin = "skeleton"; target = "ops-room"; }
);
CONF
out=$(timeout 20 "$HERALDD" -t -c "$T/skel.conf" -p "$T/skel" 2>&1)
is "$?" 0 "heraldd -t accepts a channel of the skeleton plugin"
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'

cat >"$T/skel-bad.conf" <<'CONF'
herald = { listen = "127.0.0.1:0"; };
channels = (
  { name = "demo"; plugin = "skeleton"; targt = "ops-room"; }
);
CONF
out=$(timeout 20 "$HERALDD" -t -c "$T/skel-bad.conf" -p "$T/skel" 2>&1)
is "$?" 1 "heraldd -t refuses a bad skeleton block"
like "$out" ':[0-9]+: channel "demo": missing setting "target"' \
	"the plugin's own error comes with file:line"
like "$out" ':[0-9]+: unknown setting "targt" for plugin "skeleton" in channel "demo"' \
	"a setting the plugin did not ask for is reported as unknown"

# --- 4. a plugin built for another ABI is refused ----------------------
cat >"$T/badabi.conf" <<'CONF'
herald = { listen = "127.0.0.1:0"; };
channels = (
  { name = "old"; plugin = "badabi"; }
);
CONF
out=$(timeout 20 "$HERALDD" -t -c "$T/badabi.conf" -p "$HERALD_TEST_PLUGIN_DIR" 2>&1)
is "$?" 1 "heraldd -t exits 1 on a plugin built for another ABI"
like "$out" 'badabi\.conf:[0-9]+: channel "old": plugin "badabi": ABI 2 instead of 1' \
	"the ABI mismatch is explained with file:line"

done_testing
