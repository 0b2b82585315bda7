#!/usr/bin/env bash
# tests/xen/fetch.sh - the Xen hypervisor and the dom0 Linux kernel for the
# Xen end-to-end suite, taken from Debian's own packages without installing
# them on the host: `apt-get download` into a cache, `dpkg-deb -x`, then the
# hypervisor gunzipped (QEMU's -kernel loads the 32-bit multiboot ELF).
#
# Usage: fetch.sh CACHE_DIR. Writes CACHE_DIR/images.env (sourced by run.sh):
# XEN_IMG, VMLINUZ, KVER, MODROOT and the package versions. Idempotent.
set -euo pipefail

cache=${1:?usage: fetch.sh CACHE_DIR}
mkdir -p "$cache/debs"
cache=$(cd "$cache" && pwd)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

candidate() {
	apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }'
}

# The hypervisor must match the host's libxen-dev (and so the dom0 tools).
xen_pkg=xen-hypervisor-4.17-amd64
xen_ver=$(candidate "$xen_pkg")
if [ -z "$xen_ver" ] || [ "$xen_ver" = "(none)" ]; then
	echo "fetch: no apt candidate for $xen_pkg; running apt-get update" >&2
	$SUDO apt-get update -qq
	xen_ver=$(candidate "$xen_pkg")
fi
# linux-image-amd64 is a metapackage: follow it to the versioned image.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$kpkg" ] || { echo "fetch: cannot resolve linux-image-amd64" >&2; exit 1; }
kver=$(candidate "$kpkg")
for v in "$xen_ver" "$kver"; do
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then
		echo "fetch: no apt candidate for $xen_pkg or $kpkg" >&2
		exit 1
	fi
done

get() {                         # get PKG VERSION -> path of the .deb
	local f
	f=$(find "$cache/debs" -name "${1}_*.deb" | head -n1)
	if [ -z "$f" ] || [ "$(dpkg-deb -f "$f" Version)" != "$2" ]; then
		rm -f "$cache/debs/${1}"_*.deb
		(cd "$cache/debs" && apt-get download -q "$1=$2" >&2)
		f=$(find "$cache/debs" -name "${1}_*.deb" | head -n1)
	fi
	echo "$f"
}

xdir=$cache/xen-$xen_ver
if [ ! -s "$xdir/xen.elf" ]; then
	deb=$(get "$xen_pkg" "$xen_ver")
	rm -rf "$xdir" && mkdir -p "$xdir/x"
	dpkg-deb -x "$deb" "$xdir/x"
	gz=$(find "$xdir/x/boot" -name 'xen-4.17*.gz' | head -n1)
	gunzip -c "$gz" >"$xdir/xen.elf.tmp" && mv "$xdir/xen.elf.tmp" "$xdir/xen.elf"
	rm -rf "$xdir/x"
fi

# Only what the dom0 root needs: vmlinuz, and the modules for Xen's
# devices and the results disk (nothing else under build/: the Makefile
# scans build/ for *.d files).
ldir=$cache/$kpkg-$kver
if [ ! -s "$ldir/vmlinuz" ]; then
	deb=$(get "$kpkg" "$kver")
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp"
	rm -rf "$ldir" && mkdir -p "$ldir"
	m=$(find "$tmp/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)
	d=$ldir/root/lib/modules/$(basename "$m")
	mkdir -p "$d/kernel/drivers/block"
	cp -a "$m/kernel/drivers/xen" "$m/kernel/drivers/virtio" "$d/kernel/drivers/"
	cp -a "$m/kernel/drivers/block/virtio_blk.ko"* "$d/kernel/drivers/block/"
	cp -a "$m"/modules.builtin* "$m"/modules.order "$d/"
	cp "$(find "$tmp/boot" -name 'vmlinuz-*' | head -n1)" "$ldir/vmlinuz.tmp"
	rm -rf "$tmp"
	mv "$ldir/vmlinuz.tmp" "$ldir/vmlinuz"
fi
uname_r=$(basename "$(find "$ldir/root/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)")

cat >"$cache/images.env.tmp" <<ENV
XEN_VER='$xen_ver'
XEN_IMG='$xdir/xen.elf'
KPKG='$kpkg'
KPKG_VER='$kver'
KVER='$uname_r'
VMLINUZ='$ldir/vmlinuz'
MODROOT='$ldir/root'
ENV
mv "$cache/images.env.tmp" "$cache/images.env"
echo "fetch: xen $xen_ver, $kpkg $kver ($uname_r)" >&2
