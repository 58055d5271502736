#!/bin/bash
# test_distcheck.sh - the release tarball, cheaply, in the normal suite.
#
# `make distcheck` is the real gate (README, "Releases"), but it builds and
# tests the whole tree a second time (~12 minutes here), so a file missing
# from Makefile.am is found late.  This test does the parts of it that
# catch that kind of mistake, in about two minutes:
#   1. `make distdir` ships every file git tracks (but the exclusions below,
#      each with its reason) and nothing else but autotools' own output;
#   2. the distdir, made read-only, configures out of tree at -O0, builds,
#      and passes a few tests there (check_includes.sh and some unit tests
#      that read the tree or load the built plugins);
#   3. `make install DESTDIR=` installs the daemon, heraldctl, every plugin,
#      every man page, the plugin header with its pkg-config file (the
#      skeleton plugin compiles against them) and a config the installed
#      daemon accepts with the installed plugins;
#   4. `make uninstall` leaves no file, `make distclean` leaves no file in
#      the build directory.
# It needs the git checkout to know what "every file" is: from a tarball
# (no .git) it skips.  It never writes into the source tree.
. "$top_srcdir/tests/integration/lib.sh"

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}
command -v git >/dev/null 2>&1 || skip_all "git not installed"
# The checkout's top must be $top_srcdir itself: under `make distcheck`
# the unpacked tarball sits inside the build directory, and git would
# answer for the checkout around it.
gittop=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null) ||
	skip_all "$top_srcdir is not a git checkout (a tarball build)"
[ "$(cd "$gittop" && pwd -P)" = "$(cd "$top_srcdir" && pwd -P)" ] ||
	skip_all "$top_srcdir is not the top of a git checkout (a tarball build)"

# Tracked files the tarball leaves out on purpose, with the reason.
declare -A EXCLUDED=(
	[.gitignore]="git's own; a tarball is not a checkout"
	[.ci/run]="the CI entry point, runs contrib/quickstart.sh in a git checkout"
)
# What autotools adds to a tarball that git does not track (autogen.sh
# makes it in a checkout).
GENERATED='^(configure|aclocal\.m4|config\.h\.in|Makefile\.in|build-aux/[^/]+|m4/[^/]+)$'

D=$T/dist		# the distdir, read-only once made
B=$T/build		# its out-of-tree build
DEST=$T/inst		# DESTDIR
PREFIX=/opt/herald-distcheck	# never written: everything goes under DESTDIR
I=$DEST$PREFIX
# lib.sh removes $T at exit; the read-only distdir must be writable again
# first, or rm -rf leaves it behind.
_dist_cleanup() {
	chmod -R u+w "$T" 2>/dev/null
	_lib_cleanup
}
trap _dist_cleanup EXIT

# mk DIR LOG SECONDS ARGS... -- make in DIR, bounded, without the jobserver
# or the variables of the make running this test, niced so the tests
# running beside this one keep their timing.
mk() {
	local dir=$1 log=$2 limit=$3
	shift 3
	local t0=$SECONDS rc
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u top_srcdir -u top_builddir \
	    -u HERALDD -u HERALDCTL -u HERALD_PLUGIN_DIR -u HERALD_TEST_PLUGIN_DIR \
	    timeout "$limit" nice -n 10 make -C "$dir" "$@" >"$log" 2>&1
	rc=$?
	echo "# make $*: $((SECONDS - t0)) s"
	return $rc
}
# files DIR -- the files (and symlinks) under DIR, relative, sorted.
files() {
	(cd "$1" && find . \( -type f -o -type l \) -print | sed 's|^\./||' | LC_ALL=C sort)
}

# --- 1. the tarball's file list against git ------------------------------
if mk "$top_builddir" "$T/distdir.log" 120 distdir distdir="$D"; then
	ok "make distdir"
else
	not_ok "make distdir" "$(tail -20 "$T/distdir.log")"
	done_testing
	exit 0
fi
files "$D" >"$T/shipped"
# Tracked files, less those deleted in the work tree but not yet committed.
git -C "$top_srcdir" -c core.quotepath=off ls-files --deleted | LC_ALL=C sort >"$T/deleted"
git -C "$top_srcdir" -c core.quotepath=off ls-files --cached | LC_ALL=C sort |
	LC_ALL=C comm -23 - "$T/deleted" >"$T/tracked"
missing=
while IFS= read -r f; do
	[ -n "${EXCLUDED[$f]+x}" ] && continue
	missing+="$f"$'\n'
done < <(LC_ALL=C comm -23 "$T/tracked" "$T/shipped")
if [ -z "$missing" ]; then
	ok "every tracked file is in the tarball (${#EXCLUDED[@]} excluded on purpose)"
else
	not_ok "every tracked file is in the tarball (${#EXCLUDED[@]} excluded on purpose)" \
	    "not shipped (add to EXTRA_DIST or a _SOURCES, or to EXCLUDED here with a reason):" \
	    "$missing"
fi
for f in "${!EXCLUDED[@]}"; do
	grep -qxF -- "$f" "$T/tracked" ||
		not_ok "excluded file $f is still tracked" "drop it from EXCLUDED"
done
# A new file not yet `git add`ed counts as source; an ignored one (a build
# output picked up by a wildcard) does not.
git -C "$top_srcdir" -c core.quotepath=off ls-files --others --exclude-standard | LC_ALL=C sort |
	LC_ALL=C sort -m - "$T/tracked" >"$T/source"
extra=$(LC_ALL=C comm -13 "$T/source" "$T/shipped" | grep -Ev "$GENERATED")
is "$extra" "" "the tarball holds only source files and autotools' output"
for f in configure Makefile.in build-aux/tap-driver.sh; do
	grep -qxF "$f" "$T/shipped" || not_ok "the tarball holds $f"
done
for f in "${!EXCLUDED[@]}"; do
	grep -qxF -- "$f" "$T/shipped" && not_ok "$f is shipped though EXCLUDED"
done

# --- 2. configure and build the read-only distdir out of tree ------------
chmod -R a-w "$D"
# root ignores the mode bits (and so does `make distcheck` run as root):
# what was written into the distdir is looked for after the tests instead.
touch "$T/stamp"
mkdir -p "$B"
t0=$SECONDS
(cd "$B" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL timeout 180 \
    "$D/configure" --prefix="$PREFIX" CFLAGS="-O0" >"$T/configure.log" 2>&1)
rc=$?
echo "# configure: $((SECONDS - t0)) s"
if [ "$rc" = 0 ]; then
	ok "the tarball configures out of tree, read-only"
else
	not_ok "the tarball configures out of tree, read-only" \
	    "$(tail -20 "$T/configure.log")"
	done_testing
	exit 0
fi
if mk "$B" "$T/build.log" 600 -j2; then
	ok "the tarball builds (-O0)"
else
	not_ok "the tarball builds (-O0)" "$(grep -E 'error|Error' "$T/build.log" | head -20)"
	done_testing
	exit 0
fi

# A few tests, built and run in the tarball's build: the include rules
# over the shipped tree, the config loader and the store, and the built
# plugins driven through a fake host.  check_PROGRAMS is narrowed so the
# other unit tests are not built.
SUBSET="tests/unit/test_civil tests/unit/test_conf tests/unit/test_store tests/unit/test_plugin_send"
if mk "$B" "$T/check.log" 300 -j2 check TESTS="tests/check_includes.sh $SUBSET" \
    check_PROGRAMS="$SUBSET" check_LTLIBRARIES=; then
	ok "tests pass in the tarball's build (check_includes.sh, ${SUBSET//tests\/unit\//})"
else
	not_ok "tests pass in the tarball's build (check_includes.sh, ${SUBSET//tests\/unit\//})" \
	    "$(grep -E '^(FAIL|ERROR)' "$T/check.log")" "$(tail -20 "$T/check.log")"
fi
for t in tests/check_includes.sh $SUBSET; do
	t=${t%.sh}	# TEST_EXTENSIONS: the log of x.sh is x.log
	grep -q '^:test-result: PASS' "$B/$t.trs" 2>/dev/null ||
		not_ok "$t ran and passed" "$(tail -5 "$B/$t.log" 2>/dev/null)"
done

written=$(cd "$D" && find . -newer "$T/stamp" -print | sed 's|^\./||')
is "$written" "" "nothing wrote into the source tree (configure, build, tests)"

# --- 3. make install ------------------------------------------------------
if mk "$B" "$T/install.log" 120 install DESTDIR="$DEST"; then
	ok "make install DESTDIR"
else
	not_ok "make install DESTDIR" "$(tail -20 "$T/install.log")"
fi
check "installs heraldd" test -x "$I/sbin/heraldd"
check "installs heraldctl" test -x "$I/bin/heraldctl"
version=$(sed -n 's/^AC_INIT(\[herald\], \[\([^]]*\)\].*/\1/p' "$D/configure.ac")
like "$("$I/sbin/heraldd" -V 2>&1)" "^heraldd $version " \
	"the installed heraldd runs and is version $version"
# Every plugin the tree builds (plugins/*/Makefile.inc), into LIBDIR/herald.
plugins=$(sed -n 's|^plugin_LTLIBRARIES += plugins/\([a-z0-9_]*\)\.la.*|\1|p' \
    "$D"/plugins/*/Makefile.inc | LC_ALL=C sort)
got=$(cd "$I/lib/herald" 2>/dev/null && ls -- *.so 2>/dev/null | sed 's/\.so$//' | LC_ALL=C sort)
is "$(echo $got)" "$(echo $plugins)" "installs every plugin into LIBDIR/herald"
# Every man page shipped in man/, into its section.
for m in "$D"/man/*.[1-9]; do
	m=${m##*/}
	check "installs man page $m" test -f "$I/share/man/man${m##*.}/$m"
done
# The plugin header, wherever the tree keeps it, under INCLUDEDIR, and a
# pkg-config file that points at it: the skeleton plugin compiles.
hdr=$(find "$I/include" -name herald-plugin.h 2>/dev/null | head -1)
check "installs herald-plugin.h under INCLUDEDIR" test -n "$hdr"
pc=$(find "$I" -name herald-plugin.pc 2>/dev/null | head -1)
check "installs herald-plugin.pc" test -n "$pc"
if [ -n "$pc" ] && [ -n "$hdr" ]; then
	cflags=$(PKG_CONFIG_PATH=${pc%/*} pkg-config --define-variable=prefix="$I" \
	    --cflags herald-plugin 2>&1)
	cflags=${cflags%% }
	is "$cflags" "-I${hdr%/*}" "pkg-config --cflags herald-plugin names the header's directory"
	# shellcheck disable=SC2086
	check "the skeleton plugin compiles against the installed headers" \
	    cc -fsyntax-only -Wall -Werror $cflags "$D/contrib/skeleton-plugin/skeleton.c"
fi
# The installed config, read by the installed daemon with the installed
# plugins (its calendars are installed beside it).
check "installs herald.conf" test -f "$I/etc/herald/herald.conf"
out=$(timeout 20 "$I/sbin/heraldd" -t -c "$I/etc/herald/herald.conf" -p "$I/lib/herald" 2>&1)
rc=$?
is "$rc" 0 "the installed heraldd accepts the installed herald.conf"
[ "$rc" = 0 ] || printf '%s\n' "$out" | head -10 | sed 's/^/# /'
n=$(ls "$D"/conf/examples/*.conf | wc -l)
is "$(ls "$I/share/doc/herald/examples/"*.conf 2>/dev/null | wc -l)" "$n" \
	"installs the $n example configs"

# --- 4. uninstall and distclean leave nothing -----------------------------
if mk "$B" "$T/uninstall.log" 120 uninstall DESTDIR="$DEST"; then
	ok "make uninstall"
else
	not_ok "make uninstall" "$(tail -20 "$T/uninstall.log")"
fi
is "$(files "$DEST")" "" "make uninstall leaves no file"
if mk "$B" "$T/distclean.log" 120 distclean; then
	ok "make distclean"
else
	not_ok "make distclean" "$(tail -20 "$T/distclean.log")"
fi
is "$(files "$B")" "" "make distclean leaves no file in the build directory"
done_testing
