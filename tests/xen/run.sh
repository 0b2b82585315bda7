#!/usr/bin/env bash
# tests/xen/run.sh - `make check-xen`: a real Xen 4.17 host inside QEMU
# (TCG, no Xen on this machine) running the ringside kernel as PVH guests.
#
#   1. fetch.sh: Debian's hypervisor and dom0 kernel (cached);
#   2. mkroot.sh: the dom0 root as a cpio (cached, about a minute cold);
#   3. a small second cpio with /init, scenarios.sh, samples/xen/*.cfg, the
#      kernel ELF and build/bin/ringside with the libraries dom0 lacks;
#   4. QEMU boots Xen + dom0; scenarios.sh prints RINGSIDE-XEN markers on
#      the serial console and leaves files in a raw tar on a virtio disk;
#   5. here: markers counted, files unpacked to build/xen/run/results; the
#      crash dump-core (or the cached one, read here with core:) compared
#      event for event with the live reads of the same crashed domain
#      (core-vs-live-*); `ringside info --json` on every DB; a new dump-core
#      kept as a fixture in build/xen/cache/fixtures/ with those live DBs.
# Env: BUILD (default build), QEMU_TIMEOUT (default 420 s), XEN_RUN (the
# run directory, default $BUILD/xen/run; runs sharing one take turns).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
xdir=$BUILD/xen
cache=$xdir/cache
run=${XEN_RUN:-$xdir/run}
elf=$BUILD/kernel/ringside-kernel.elf
rs=$BUILD/bin/ringside
here=tests/xen
t0=$SECONDS

die() { echo "RINGSIDE-XEN: FAIL $1: $2"; exit 1; }

command -v qemu-system-x86_64 >/dev/null ||
	die setup "qemu-system-x86_64 is missing (make deps)"
[ -f "$elf" ] || die setup "$elf is not built"
if [ "$(id -u)" -ne 0 ]; then
	die setup "needs root for debootstrap/chroot (the dom0 root); CI runs as root"
fi
for t in debootstrap cpio apt-get dpkg-deb; do
	command -v "$t" >/dev/null || die setup "$t is missing (make deps)"
done

mkdir -p "$cache" "$run"
# Two runs in one directory would overwrite each other's results disk and
# serial log: the second waits (two TCG guests on this machine would also
# skew every timing).
exec 9>"$run.lock"
if ! flock -n 9; then
	echo "check-xen: another run is using $run; waiting for it"
	flock 9
fi
"$here/fetch.sh" "$cache" || die fetch "could not get the Xen/Linux packages"
root=$("$here/mkroot.sh" "$cache") || die mkroot "could not build the dom0 root"
# shellcheck source=/dev/null
. "$cache/images.env"
echo "check-xen: images and dom0 root ready after $((SECONDS - t0)) s"

# The per-run overlay, appended to the cached root (Linux unpacks
# concatenated cpio archives in order).
ov=$(mktemp -d)
trap 'rm -rf "$ov"' EXIT
mkdir -p "$ov/ringside/cfg" "$ov/ringside/bin" "$ov/usr/lib/x86_64-linux-gnu"
install -m 755 "$here/init" "$ov/init"
install -m 755 "$here/scenarios.sh" "$ov/ringside/scenarios.sh"
install -m 644 samples/xen/*.cfg "$ov/ringside/cfg/"
install -m 644 "$elf" "$ov/ringside/ringside-kernel.elf"
if [ -x "$rs" ]; then
	install -m 755 "$rs" "$ov/ringside/bin/ringside"
	# Libraries the dom0 root lacks (libsqlite3, ...); libxen* match.
	ldd "$rs" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
		while read -r lib; do
			grep -q "/$(basename "$lib")\$" "$root.files" ||
				cp -L "$lib" "$ov/usr/lib/x86_64-linux-gnu/"
		done
fi
# The dump-core takes minutes under TCG: skipped (declared) when the cache
# holds one of this very kernel ELF, unless RINGSIDE_XEN_DUMPCORE=1.
fixture=$cache/fixtures/xl-dump-core-pvh-crash.core
elf_sum=$(sha256sum "$elf" | cut -d' ' -f1)
if [ "${RINGSIDE_XEN_DUMPCORE:-0}" != 1 ] && [ -s "$fixture" ] &&
	[ "$(cat "$fixture.elf-sha256" 2>/dev/null)" = "$elf_sum" ]; then
	echo "$fixture is a dump of this kernel ELF; RINGSIDE_XEN_DUMPCORE=1 redoes it" \
		>"$ov/ringside/skip-dump-core"
fi
(cd "$ov" && find . -mindepth 1 | cpio -o -H newc --quiet) >"$run/overlay.cpio"
cat "$root" "$run/overlay.cpio" >"$run/initrd.cpio"

rm -f "$run/results.img"
truncate -s 256M "$run/results.img"

# Multiboot module arguments: a comma inside one is written ",,".
initrd=$(readlink -f "$run/initrd.cpio")
# shellcheck disable=SC2153  # VMLINUZ comes from images.env
vmlinuz=${VMLINUZ//,/,,}
xen_args="dom0_mem=768M,max:768M dom0_max_vcpus=2 bootscrub=0 console=com1"
xen_args+=" com1=115200,8n1 loglvl=all guest_loglvl=all"
echo "check-xen: booting Xen $XEN_VER + Linux $KVER in QEMU (TCG); serial log in $run/serial.log"
set +e
timeout "${QEMU_TIMEOUT:-420}" qemu-system-x86_64 -accel tcg \
	-cpu qemu64,+svm,+npt -m 1280M -smp 2 \
	-serial stdio -nographic -monitor none -no-reboot \
	-kernel "$XEN_IMG" -append "$xen_args" \
	-initrd "$vmlinuz console=hvc0 earlyprintk=xen,${initrd//,/,,}" \
	-drive "file=$run/results.img,format=raw,if=virtio" \
	</dev/null 2>&1 | tr -d '\r' | tee "$run/serial.log" |
	grep --line-buffered -a -E 'RINGSIDE-XEN|\(d[1-9][0-9]*\) |^demo: '
qemu_rc=${PIPESTATUS[0]}
set -e
echo "check-xen: QEMU exited $qemu_rc after $((SECONDS - t0)) s"

fails=0
[ "$qemu_rc" -eq 0 ] || { echo "RINGSIDE-XEN: FAIL qemu: exit status $qemu_rc (124: timeout)"; fails=1; }
grep -q 'RINGSIDE-XEN: DONE' "$run/serial.log" ||
	{ echo "RINGSIDE-XEN: FAIL dom0: the scenarios did not finish (see $run/serial.log)"; fails=1; }
npass=$(grep -c 'RINGSIDE-XEN: PASS' "$run/serial.log" || true)
nfail=$(grep -c 'RINGSIDE-XEN: FAIL' "$run/serial.log" || true)
nskip=$(grep -c 'RINGSIDE-XEN: SKIP' "$run/serial.log" || true)

# Files back from dom0, and the host's view of each collected DB.
rm -rf "$run/results" && mkdir -p "$run/results"
if tar -xf "$run/results.img" -C "$run/results" 2>/dev/null &&
	{ ! compgen -G "$run/results/*.core.gz" >/dev/null ||
	  gunzip "$run"/results/*.core.gz; } &&
	nfiles=$(find "$run/results" -type f | wc -l) && [ "$nfiles" -gt 0 ]; then
	npass=$((npass + 1)); echo "RINGSIDE-XEN: PASS results-disk ($nfiles files)"
else
	nfail=$((nfail + 1)); echo "RINGSIDE-XEN: FAIL results-disk: no tar on the results disk"
fi
# events_diff A.db B.db: "N M X Y": the events in each, and those (all
# columns but trace_id) only in A, only in B (EXCEPT both ways).
events_diff() {
	local cols="cpu, seq, ts_ns, type, ctx, a, b, c, str"
	local q="ATTACH '$2' AS o;
SELECT (SELECT count(*) FROM main.events) || ' ' ||
       (SELECT count(*) FROM o.events) || ' ' ||
       (SELECT count(*) FROM (SELECT $cols FROM main.events
                              EXCEPT SELECT $cols FROM o.events)) || ' ' ||
       (SELECT count(*) FROM (SELECT $cols FROM o.events
                              EXCEPT SELECT $cols FROM main.events));"
	# `events` decodes chunks through ringside's SQLite module.
	local ext=$BUILD/lib/libringside_sqlite
	if command -v sqlite3 >/dev/null; then
		sqlite3 -readonly -cmd ".load $ext" "$1" "$q"
	else
		python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.enable_load_extension(True)
c.load_extension(sys.argv[3])
a, q = sys.argv[2].split(";", 1)
c.execute(a)
print(c.execute(q).fetchone()[0])' "$1" "$q" "$ext"
	fi
}

# core-vs-live-NAME: the dump-core's events equal a live read's of the same
# crashed domain (NAME.db: the --follow read, or the snapshot after).
compare_core() {
	local core=$1 live=$2 name=$3 d
	if ! d=$(events_diff "$core" "$live" 2>&1); then
		nfail=$((nfail + 1)); echo "RINGSIDE-XEN: FAIL $name: $d"
		return
	fi
	read -r nc nl only_core only_live <<<"$d"
	if [ "$nc" -gt 0 ] && [ "$nc" = "$nl" ] && [ "$only_core" = 0 ] &&
		[ "$only_live" = 0 ]; then
		npass=$((npass + 1)); echo "RINGSIDE-XEN: PASS $name ($nc events, identical)"
	else
		nfail=$((nfail + 1)); echo "RINGSIDE-XEN: FAIL $name: core $nc events, live $nl; only in core $only_core, only live $only_live"
	fi
}

live_dbs=(crash-follow crash)
if [ -s "$run/results/crash.core" ]; then
	# Dumped in this run: kept as the fixture, with the live reads of the
	# same domain so a later warm run can still compare.
	mkdir -p "$cache/fixtures"
	cp "$run/results/crash.core" "$fixture"
	for n in "${live_dbs[@]}"; do
		rm -f "$fixture.$n.db"
		if [ -s "$run/results/$n.db" ]; then cp "$run/results/$n.db" "$fixture.$n.db"; fi
	done
	echo "$elf_sum" >"$fixture.elf-sha256"
	echo "check-xen: dump-core fixture: $fixture"
	core_db=$run/results/crash-core.db live_dir=$run/results/ why="this run's dump"
elif [ -s "$fixture" ] && [ -x "$rs" ]; then
	# Not redone in dom0: read the cached one here instead.
	core_db=$run/results/crash-core-host.db live_dir=$fixture. why="the cached dump"
	if "$rs" collect "core:$fixture" -o "$core_db" \
		>"$run/results/collect-core-host.log" 2>&1; then
		npass=$((npass + 1)); echo "RINGSIDE-XEN: PASS host-collect-core"
	else
		nfail=$((nfail + 1)); echo "RINGSIDE-XEN: FAIL host-collect-core: $(tail -n 1 "$run/results/collect-core-host.log")"
	fi
else
	core_db='' live_dir='' why=''
fi
# (f) the dump-core holds the same events as the live reads.
for n in "${live_dbs[@]}"; do
	if [ -z "$core_db" ]; then
		nskip=$((nskip + 1)); echo "RINGSIDE-XEN: SKIP core-vs-live-$n: no dump-core in this run or the cache"
	elif [ ! -s "$core_db" ]; then
		nfail=$((nfail + 1)); echo "RINGSIDE-XEN: FAIL core-vs-live-$n: no DB read from $why"
	elif [ ! -s "$live_dir$n.db" ]; then
		if [ "$live_dir" = "$fixture." ]; then
			nskip=$((nskip + 1)); echo "RINGSIDE-XEN: SKIP core-vs-live-$n: no live DB cached with the dump (RINGSIDE_XEN_DUMPCORE=1 redoes both)"
		else
			nfail=$((nfail + 1)); echo "RINGSIDE-XEN: FAIL core-vs-live-$n: no $n.db came back"
		fi
	else
		compare_core "$core_db" "$live_dir$n.db" "core-vs-live-$n"
	fi
done

# (g) the host's `ringside info --json` on every DB that came back or was
# read here.
for db in "$run"/results/*.db; do
	[ -e "$db" ] || continue
	n=$(basename "$db" .db)
	if "$rs" info --json "$db" >"$run/results/$n.json" 2>&1; then
		npass=$((npass + 1)); echo "RINGSIDE-XEN: PASS host-info-$n"
	else
		nfail=$((nfail + 1)); echo "RINGSIDE-XEN: FAIL host-info-$n: $(tail -n 1 "$run/results/$n.json")"
	fi
done

echo "check-xen: $((SECONDS - t0)) s in all"
echo "xen: $npass passed, $nfail failed, $nskip skipped"
[ "$fails" -eq 0 ] && [ "$nfail" -eq 0 ]
