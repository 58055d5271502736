#!/bin/bash
# tests/tally.sh BUILDDIR - sum every test point of the last `make check`
# and print the one closing line: "N passed, N failed" (", N skipped").
#
# Each TAP test point is one :test-result: line in a .trs file (automake's
# tap-driver), so unit cases and integration checks all count.  Failed
# tests' logs are shown so a CI log says why.
set -u
dir=${1:-.}
passed=0 failed=0 skipped=0
while IFS= read -r -d '' trs; do
	while IFS= read -r line; do
		case $line in
		":test-result: PASS"* | ":test-result: XFAIL"*) passed=$((passed + 1)) ;;
		":test-result: SKIP"*) skipped=$((skipped + 1)) ;;
		":test-result: "*) failed=$((failed + 1))
			echo "FAILED: ${trs%.trs}: ${line#:test-result: }" ;;
		esac
	done <"$trs"
done < <(find "$dir" -name '*.trs' -print0 | sort -z)
if [ $((passed + failed + skipped)) -eq 0 ]; then
	echo "no test results found under $dir" >&2
	failed=1
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
