#!/usr/bin/env bash
# CI: build the Debian packages (debian/) from a clean clone of this
# commit, so the tree stays as it is, and check what debian/README.md
# promises: the collector never depends on GTK, the viewer never on Xen,
# and each package holds its files (and ringside-hosted, a test program,
# is in none). Every failure is one line starting "debs: FAIL:".
# Takes about a minute on two cores (the whole tree is built once more).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "debs: FAIL: $*" >&2; exit 1; }

# Before a minute of building: the tools and the Build-Depends.
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
	fail "dpkg-buildpackage or dh missing (make deps installs them)"
dpkg-checkbuilddeps 2>&1 || fail "Build-Depends of debian/control not installed"
# One version: the Makefile's VERSION (what --version prints) is the
# packages' too.
want=$(sed -n 's/^VERSION *:= *//p' Makefile)
have=$(dpkg-parsechangelog -S Version)
[ "$want" = "$have" ] ||
	fail "debian/changelog says $have, the Makefile's VERSION is $want"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/src"
if ! (cd "$work/src" && dpkg-buildpackage -b -us -uc -j2) >"$work/log" 2>&1; then
	tail -40 "$work/log" >&2
	fail "dpkg-buildpackage -b -us -uc failed (its last lines above)"
fi

deb() {
	local f=("$work/$1"_*_amd64.deb)
	[ -f "${f[0]}" ] || fail "package $1 was not built"
	echo "${f[0]}"
}
# $1 package, $2 grep -E pattern its Depends must match, $3 one it must not.
depends() {
	local d
	d=$(dpkg-deb -f "$(deb "$1")" Depends)
	echo "debs: $1 Depends: $d"
	grep -qE "$2" <<<"$d" || fail "$1 Depends lacks $2 (shlibs not computed?)"
	if grep -qE "$3" <<<"$d"; then fail "$1 depends on $3: $d"; fi
}
# $1 package, then every path (as dpkg-deb -c prints it) it must hold.
holds() {
	local p=$1 list
	shift
	list=$(dpkg-deb -c "$(deb "$p")" | awk '{print $6}')
	for f in "$@"; do
		grep -qxF "$f" <<<"$list" || fail "$p does not hold $f"
	done
	if grep -q ringside-hosted <<<"$list"; then fail "$p holds ringside-hosted"; fi
}

depends ringside 'libxen' 'gtk|adwaita'
depends ringside-viewer 'libgtk-4' 'libxen'
holds ringside ./usr/bin/ringside ./usr/lib/ringside/ringside-kernel.elf \
	./usr/lib/ringside/libringside_sqlite.so \
	./usr/share/man/man1/ringside.1.gz
holds ringside-viewer ./usr/bin/ringside-view \
	./usr/share/man/man1/ringside-view.1.gz
holds libguest-trace-dev ./usr/include/guest-trace/guest_trace.h \
	./usr/share/man/man3/guest-trace.3.gz \
	./usr/include/guest-trace/ringside_ring.h \
	./usr/include/guest-trace/rs_event_table.h \
	./usr/lib/x86_64-linux-gnu/libguest-trace.a \
	./usr/lib/x86_64-linux-gnu/pkgconfig/guest-trace.pc
echo "debs: ringside, ringside-viewer and libguest-trace-dev built and checked"
