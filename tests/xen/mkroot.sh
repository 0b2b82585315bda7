#!/usr/bin/env bash
# tests/xen/mkroot.sh - the dom0 root file system for the Xen end-to-end
# suite: a Debian bookworm minbase with xen-utils-4.17 (upgraded from the
# security suite to exactly the host's libxen-dev version, so binaries built
# on the host run there), stripped, plus the drivers/xen, virtio and
# virtio_blk modules of the dom0 kernel. Written as an uncompressed newc
# cpio, cached under a name keyed by every version that goes into it.
#
# Usage: mkroot.sh CACHE_DIR (after fetch.sh). Prints the cpio's path.
# Needs root (debootstrap, chroot). The run-specific files (/init, the
# scenarios, the guest kernel) go in a second cpio appended by run.sh.
set -euo pipefail

cache=$(cd "${1:?usage: mkroot.sh CACHE_DIR}" && pwd)
# shellcheck source=/dev/null
. "$cache/images.env"
here=$(cd "$(dirname "$0")" && pwd)

# The Debian mirror apt already uses (deb822 or one-line sources).
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
	awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }')
[ -n "$mirror" ] || mirror=$(awk '/^deb / && $0 !~ /security/ {
	print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
security=${mirror%/debian}/debian-security

# xen-utils must equal libxen-dev on the host; without it, the hypervisor.
utils_ver=$(dpkg-query -W -f='${Version}' libxen-dev 2>/dev/null || true)
utils_ver=${utils_ver:-$XEN_VER}

key=$(printf '%s\n' "$XEN_VER" "$KPKG_VER" "$KVER" "$utils_ver" "$mirror" |
	cat - "$here/mkroot.sh" | sha256sum | cut -c1-16)
out=$cache/dom0-root-$key.cpio
if [ -s "$out" ] && [ -s "$out.files" ]; then
	echo "$out"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "mkroot: needs root (debootstrap)" >&2; exit 1; }
for t in debootstrap cpio; do
	command -v "$t" >/dev/null ||
		{ echo "mkroot: $t is missing (make deps)" >&2; exit 1; }
done

# The chroot lives outside build/: the Makefile scans build/ for *.d
# files, and a Debian root is full of them (/etc/rc2.d, ...).
dir=$(mktemp -d)
cleanup() {
	umount "$dir/proc" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
echo "mkroot: debootstrap bookworm from $mirror (about a minute)" >&2
debootstrap --variant=minbase \
	--include=xen-utils-4.17,kmod,procps,iproute2,busybox-static \
	bookworm "$dir" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }

# Upgrade xen-utils to the exact host version from the security suite.
cat >"$dir/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SRC
printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
chmod +x "$dir/usr/sbin/policy-rc.d"
mount -t proc proc "$dir/proc"
chroot "$dir" apt-get update -qq >>"$cache/debootstrap.log" 2>&1
# shellcheck disable=SC2016  # dpkg-query's ${...}, not the shell's
pkgs=$(chroot "$dir" dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
	'libxen*' 'xen-utils*' | awk '$1 == "ii" && $2 != "xen-utils-common" {
	print $2 "='"$utils_ver"'" }')
# shellcheck disable=SC2086  # one word per package
DEBIAN_FRONTEND=noninteractive chroot "$dir" apt-get install -y -qq \
	--no-install-recommends $pkgs "xen-utils-common=$utils_ver" \
	>>"$cache/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
# shellcheck disable=SC2016
got=$(chroot "$dir" dpkg-query -W -f='${Version}' xen-utils-4.17)
[ "$got" = "$utils_ver" ] ||
	{ echo "mkroot: xen-utils-4.17 is $got, want $utils_ver" >&2; exit 1; }
umount "$dir/proc"

# Strip what a test run never reads.
rm -rf "$dir"/usr/share/{doc,man,info,locale,lintian,bash-completion} \
	"$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* \
	"$dir"/var/cache/debconf/*-old "$dir"/var/log/*
mkdir -p "$dir"/var/log/xen "$dir"/var/lib/xen "$dir"/var/run/xen

# The kernel modules: Xen's own, and virtio_blk for the results disk.
mdst=$dir/lib/modules/$KVER
msrc=$MODROOT/lib/modules/$KVER
rm -rf "$mdst" && mkdir -p "$(dirname "$mdst")"
cp -a "$msrc" "$mdst"           # fetch.sh kept only those
chroot "$dir" depmod "$KVER"

(cd "$dir" && find . -mindepth 1 | sort >"$out.files.tmp" &&
	cpio -o -H newc --quiet <"$out.files.tmp" >"$out.tmp")
mv "$out.files.tmp" "$out.files"
mv "$out.tmp" "$out"
# Roots for other versions are dead weight (155 MB each).
find "$cache" -maxdepth 1 -name 'dom0-root-*.cpio*' ! -name "$(basename "$out")*" \
	-delete
echo "mkroot: $(du -m "$out" | cut -f1) MB root in $out" >&2
echo "$out"
