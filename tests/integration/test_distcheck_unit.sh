#!/bin/bash
# test_distcheck_unit.sh - `make distcheck` itself, with the unit tests
# only (make distcheck-unit): the tarball builds read-only out of tree,
# check_includes.sh and every unit test pass there, it installs, the
# skeleton plugin builds against the installed SDK (installcheck-local),
# and uninstall and distclean leave nothing.  The integration tests run
# once, in this suite: with them distcheck would double CI's time.
# Skips outside a git checkout (under `make distcheck` this test would
# start another distcheck inside the tarball's build).
. "$top_srcdir/tests/integration/lib.sh"

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}
command -v git >/dev/null 2>&1 || skip_all "git not installed"
gittop=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null) ||
	skip_all "$top_srcdir is not a git checkout (a tarball build)"
[ "$(cd "$gittop" && pwd -P)" = "$(cd "$top_srcdir" && pwd -P)" ] ||
	skip_all "$top_srcdir is not the top of a git checkout (a tarball build)"

# distcheck unpacks its tarball in the build directory: a name of this
# run's own, so two runs (or test_distcheck.sh) never meet.
name=herald-unit-$$
t0=$SECONDS
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u top_srcdir -u top_builddir \
    -u HERALDD -u HERALDCTL -u HERALD_PLUGIN_DIR -u HERALD_TEST_PLUGIN_DIR \
    timeout 1500 nice -n 10 make -C "$top_builddir" distcheck-unit distdir="$name" \
    -j2 >"$T/distcheck.log" 2>&1
rc=$?
echo "# make distcheck-unit: $((SECONDS - t0)) s"
if [ "$rc" = 0 ]; then
	ok "make distcheck (unit tests) passes"
else
	not_ok "make distcheck (unit tests) passes" \
	    "$(grep -E '^(FAIL|ERROR)|rror' "$T/distcheck.log" | head -20)" \
	    "$(tail -20 "$T/distcheck.log")"
fi
like "$(grep -E "^$name archives ready for distribution" "$T/distcheck.log")" 'ready for distribution' \
	"... to its last step"
# Every unit test ran in the tarball's build (the count from Makefile.inc).
want=$(sed -n 's|^\ttests/unit/\(test_[a-z0-9_]*\).*|\1|p' "$top_srcdir/tests/unit/Makefile.inc" | sort -u | wc -l)
ran=$(sed -n 's/^# TOTAL: *//p' "$T/distcheck.log" | tail -1)
check "the unit tests ran there ($want programs, ${ran:-0} test points)" test "${ran:-0}" -gt "$want"
like "$(grep -B1 -E -- '-shared -o skeleton\.so skeleton\.c' "$T/distcheck.log")" \
	"-I[^ ]*/$name/_inst/include/herald " \
	"the skeleton plugin built against the installed SDK"
rm -f "$top_builddir/$name.tar.gz"
if [ -d "$top_builddir/$name" ]; then
	chmod -R u+w "$top_builddir/$name"
	rm -rf "${top_builddir:?}/$name"
fi
done_testing
