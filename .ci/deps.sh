#!/usr/bin/env bash
# Installs every Debian package ringside needs to build, test, demo and
# benchmark. Idempotent: it asks dpkg first and only calls apt-get for what
# is missing. Uses sudo when not root. `make deps` runs this.
set -euo pipefail

# Everything, with apt's recommended packages.
PACKAGES=(
	build-essential pkg-config git
	libcmocka-dev                 # the test framework
	libsqlite3-dev sqlite3        # the trace store
	libzstd-dev                   # compressed event chunks in the store
	libdw-dev                     # crash frames with function and file:line (elfutils)
	libxen-dev                    # the dom0 collector (xen: source)
	libgtk-4-dev                  # the viewer
	babeltrace2                   # checks our CTF export
	xvfb xauth                    # the viewer's window tests
	clang valgrind                # fuzzing, instruction-count benchmarks
	liblttng-ust-dev lttng-tools  # the LTTng-UST side of the emit benchmark
	libclang-rt-dev               # libFuzzer and the sanitizer runtimes (make fuzz)
	debootstrap cpio              # the dom0 root for make check-xen
	flex bison patch xz-utils python3  # make check-unikraft: Unikraft's kconfig and boot-info script, its patch, its archive
	debhelper dpkg-dev fakeroot   # dpkg-buildpackage for debian/ (.ci/debs.sh)
	groff-base man-db             # test_cli renders the man pages
	librsvg2-bin libxml2-utils    # the viewer's SVG test rasterizes (rsvg-convert) and parses (xmllint) it
	nodejs                        # DevTools' trace engine reads our Chrome JSON (tests/chrome)
)
# Debian's npm, unless npm is already there: a nodejs from elsewhere
# (NodeSource's) ships its own npm and conflicts with Debian's.
if ! command -v npm >/dev/null 2>&1; then
	PACKAGES+=(npm)
fi
# Without recommends: qemu-system-x86's recommends pull in a GTK UI, and
# then QEMU without -display none fails (ANCHORS.md, section 2).
PACKAGES_NO_RECOMMENDS=(
	qemu-system-x86
)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi

# tests/chrome's npm packages (DevTools' trace engine, at the version
# package-lock.json pins), again whenever the lock file is newer.
npm_deps() {
	local dir
	dir="$(cd "$(dirname "$0")/.." && pwd)/tests/chrome"
	if [ ! -d "$dir/node_modules/@paulirish/trace_engine" ] ||
	   [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
		echo "deps: npm ci in tests/chrome"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	fi
}

need=($(missing "${PACKAGES[@]}"))
need_nr=($(missing "${PACKAGES_NO_RECOMMENDS[@]}"))
if [ ${#need[@]} -eq 0 ] && [ ${#need_nr[@]} -eq 0 ]; then
	echo "deps: all packages present"
	npm_deps
	exit 0
fi

echo "deps: installing ${need[*]} ${need_nr[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
	$SUDO apt-get install -y -qq "${need[@]}"
fi
if [ ${#need_nr[@]} -gt 0 ]; then
	$SUDO apt-get install -y -qq --no-install-recommends "${need_nr[@]}"
fi
npm_deps
echo "deps: done"
