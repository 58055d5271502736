#!/bin/bash
# tests/check_includes.sh - the include rules of the tree, as TAP:
#
#  1. a plugin (plugins/**, tests/plugins, the skeleton) includes only
#     the installed headers of include/ (herald-plugin.h,
#     herald-plugin-conf.h), its own and plugins/common/'s, and for the
#     sms plugin lib/'s: plugins see the daemon only through the host's
#     table (STYLE.md, "Plugin ABI"), never a core header;
#  2. core/ has no include cycle between modules.  A module is a .c file
#     with its header and its private header (core/X.c, X.h, X_internal.h
#     are module X); module X depends on Y when a file of X includes a
#     header of Y.  tsort(1) finds the loops;
#  3. the files of one module family are layered.  A family is X.c and
#     the X_*.c files beside it (dispatch.c, dispatch_check.c,
#     dispatch_merge.c...; a file that has X_*.c files of its own, like
#     store_sqlite.c, heads a family too).  They share one private header,
#     so #include lines cannot show which file calls which; the
#     definitions can: a function's name starts its line where it is
#     defined (STYLE.md), so `^name(` says which file owns it.  File A
#     depends on file B of its family when A calls a function B defines;
#     there must be no loop (B calling back up into A, directly or around
#     a chain).  Handing a function over as a callback (an event, a
#     plugin's completion) is not a call: it is how a lower layer reports
#     back without knowing who is above it.  Comments and strings are not
#     read;
#  4. heraldctl (ctl/) includes only its own headers and lib/'s, and
#     lib/ only its own: the client shares no daemon code.
#
# Only `#include "..."` lines are read; system headers are not ours.
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 1
echo "1..4"

# core/ has folders per part (api/, conf/, store/) compiled with -iquote
# for each, so a header is named by its file name alone: map it to its path.
declare -A core_h
while IFS= read -r f; do
	core_h[${f##*/}]=$f
done < <(find core -name '*.h' | sort)
core_c=$(find core -name '*.c' | sort)

# 1. Plugins.
# What a plugin's include path holds (PLUGIN_CPPFLAGS in Makefile.am):
# include/ (the installed headers) and plugins/common/; lib/ for the sms
# plugin alone, which links lib/libheraldutil.la.  Any other header of
# the tree, core's first, is refused, however the path is spelled.
# Known exceptions, as file:header patterns; none today.
allowed=''
bad=
while IFS= read -r f; do
	d=$(dirname "$f")
	while IFS= read -r h; do
		# Where the compiler finds it: beside the file, then the path.
		w=
		for c in "$d/$h" "include/$h" "plugins/common/$h" "lib/$h"; do
			[ -e "$c" ] && { w=$(realpath --relative-to=. "$c"); break; }
		done
		[ -n "$w" ] || w=${core_h[${h##*/}]:-}
		[ -n "$w" ] || continue		# not ours
		case $w in
		include/* | plugins/*) continue ;;
		lib/*) case $f in plugins/sms/*) continue ;; esac ;;
		esac
		ok=
		for a in $allowed; do
			# shellcheck disable=SC2053 # a is a glob pattern
			[[ $f:$h == $a ]] && ok=1
		done
		[ -n "$ok" ] || bad="$bad $f:$h"
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find plugins tests/plugins contrib/skeleton-plugin -name '*.[ch]' | sort)
if [ -z "$bad" ]; then
	echo "ok 1 - plugins include only include/, plugins/common/ (lib/: sms)"
else
	echo "not ok 1 - plugins include headers outside their path"
	for b in $bad; do echo "# $b"; done
fi

# 2. Core headers.
incs() {
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}
# Headers that include each other, directly or around a loop.
loops=$(for f in "${core_h[@]}"; do
	# tsort needs every header named, even one with no edge.
	echo "${f##*/} ${f##*/}"
	incs "$f" | while IFS= read -r h; do
		[ -n "${core_h[$h]:-}" ] && echo "${f##*/} $h"
	done
done | tsort 2>&1 >/dev/null)
# A private header is one only its own module's sources include
# (dispatch_internal.h by dispatch*.c, store_sqlite.h by store_sqlite*.c):
# one including another ties two modules' insides together.
private=
for f in "${core_h[@]}"; do
	h=${f##*/} stem=${h%.h}
	stem=${stem%_internal}
	# Sources only: a header that includes it is what is judged.
	# shellcheck disable=SC2086 # core_c is a list of paths
	users=$(grep -l "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"$h\"" \
	    $core_c)
	[ -n "$users" ] || continue
	printf '%s\n' "$users" | sed 's,.*/,,' | grep -qv "^$stem[._]" ||
		private="$private $h"
done
for h in $private; do
	for g in $(incs "${core_h[$h]}"); do
		case " $private " in
		*" $g "*) loops="${loops:+$loops
}private header $h includes private header $g" ;;
		esac
	done
done
if [ -z "$loops" ]; then
	echo "ok 2 - no include cycle among core/ headers (private:$private)"
else
	echo "not ok 2 - include cycle among core/ headers"
	printf '%s\n' "$loops" | sed 's/^/# /'
fi

# 3. Calls inside a module family.
# Known loops, as pairs of paths without ".c" ("a:b", space-separated);
# calls between the two are not counted.  None today: keep it that way.
allowed_calls=''
calls=$(perl - "$allowed_calls" <<'EOF'
use strict;
use warnings;
my %allowed = map { my ($a, $b) = split /:/; ("$a $b" => 1, "$b $a" => 1) }
    split ' ', shift;
# core/ and its folders (core/store/...): a family lives in one folder,
# so a file is named by its path without ".c".
my @files = sort(glob('core/*.c'), glob('core/*/*.c'));
my %have = map { (m{^(.*)\.c$})[0] => 1 } @files;
my (%root, %text, %fams);
for my $f (@files) {
	my ($dir, $base) = $f =~ m{^(.*/)([^/]*)\.c$};
	my $stem = "$dir$base";
	my @p = split /_/, $base;
	# The longest X such that X.c exists beside it and it is X_something.
	my $root = $stem;
	for (my $i = $#p; $i >= 1; $i--) {
		my $pre = $dir . join '_', @p[0 .. $i - 1];
		if ($have{$pre}) { $root = $pre; last; }
	}
	$root{$stem} = $root;
	open my $fh, '<', $f or die "$f: $!";
	my $t = do { local $/; <$fh> };
	$t =~ s{/\*.*?\*/}{ }gs;
	$t =~ s{//[^\n]*}{}g;
	$t =~ s{"(?:[^"\\\n]|\\.)*"}{""}g;
	$text{$stem} = $t;
}
# A file is in its root's family and, when files hang off it, heads its own.
for my $stem (keys %text) {
	push @{$fams{$root{$stem}}}, $stem;
	push @{$fams{$stem}}, $stem if $root{$stem} ne $stem;
}
for my $r (sort keys %fams) {
	my @m = sort @{$fams{$r}};
	next if @m < 2;
	my %owner;
	for my $stem (@m) {
		$owner{$1} = $stem while $text{$stem} =~ /^([A-Za-z_]\w*)\(/mg;
	}
	for my $stem (@m) {
		my %to;
		print "$stem $stem\n";	# tsort needs every file named
		# A name and "(" not starting its line (that is a definition)
		# nor after "." or "->" (a call through a pointer).
		while ($text{$stem} =~ /(?<!^)(?<![\w.>])([A-Za-z_]\w*)\s*\(/mg) {
			my $o = $owner{$1};
			$to{$o} = 1 if defined $o && $o ne $stem &&
			    !$allowed{"$stem $o"};
		}
		print "$stem $_\n" for sort keys %to;
	}
}
EOF
)
st=$?
loops=$(printf '%s\n' "$calls" | tsort 2>&1 >/dev/null)
if [ $st -ne 0 ] || [ -z "$calls" ]; then
	echo "not ok 3 - files of a module family are layered # calls not read"
elif [ -z "$loops" ]; then
	echo "ok 3 - files of a module family are layered (no call loop)"
else
	echo "not ok 3 - files of a module family call each other around a loop"
	printf '%s\n' "$loops" | sed 's/^/# /'
fi

# 4. heraldctl and lib/.  heraldctl is a client of the API: it shares
# with the daemon only lib/ (xmalloc, suggest), never a core header, so a
# change inside the daemon cannot reach it.  lib/ is below everyone: its
# files include only each other.
bad=
while IFS= read -r f; do
	while IFS= read -r h; do
		case $f in
		ctl/*) [ -e "ctl/$h" ] || [ -e "lib/$h" ] || bad="$bad $f:$h" ;;
		lib/*) [ -e "lib/$h" ] || bad="$bad $f:$h" ;;
		esac
	done < <(incs "$f")
done < <(find ctl lib -name '*.[ch]' | sort)
if [ -z "$bad" ]; then
	echo "ok 4 - heraldctl includes only ctl/ and lib/, lib/ only itself"
else
	echo "not ok 4 - heraldctl or lib/ includes a header of the daemon"
	for b in $bad; do echo "# $b"; done
fi
