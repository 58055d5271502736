#!/bin/bash
# contrib/build-deb.sh [OUTDIR] - build herald's Debian packages.
#
# Copies the source (the files git knows, or the whole unpacked tarball)
# into a temporary directory and runs dpkg-buildpackage -us -uc -b there,
# so the checkout is never written to; the .deb files (herald and
# herald-dev) and the .buildinfo/.changes land in OUTDIR (default
# ./_deb).  DEB_BUILD_OPTIONS defaults to "nocheck parallel=2": the unit
# tests run in the suite anyway; set DEB_BUILD_OPTIONS= to run them here.
# Needs the build dependencies of debian/control, dpkg-dev, debhelper and
# fakeroot (contrib/quickstart.sh installs them).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$PWD/_deb}" && cd "${1:-$PWD/_deb}" && pwd)
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck parallel=2}

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/herald-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/herald-$version
mkdir -p "$src"
if git -C "$top" rev-parse --show-toplevel >/dev/null 2>&1 &&
    [ "$(git -C "$top" rev-parse --show-toplevel)" = "$top" ]; then
	# Tracked and new files, not build output or ignored files.
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] && printf '%s\0' "$f"
		done | tar --null -T - -cf -) | (cd "$src" && tar -xf -)
else
	(cd "$top" && tar --exclude='./_build*' --exclude='./debian/build' -cf - .) |
		(cd "$src" && tar -xf -)
fi
chmod -R u+w "$src"
t0=$SECONDS
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed" >&2
	exit 1
}
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
echo "build-deb: $(cd "$out" && ls -- *_"$version"_*.deb | tr '\n' ' ')in $out ($((SECONDS - t0)) s)"
