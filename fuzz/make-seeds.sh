#!/usr/bin/env bash
# make-seeds.sh BUILD OUT - seed corpora for the fuzz targets, from real
# runs of the kernel (fuzz.mk's fuzz-seeds). Each target gets OUT/TARGET/.
#
#   decode    ring files of ringside-hosted workloads (small rings, so
#             they wrap and lose records), and the rings cut out of the
#             QEMU and xl dumps below
#   region    the same memory with its guest-physical address in front
#   qemucore  `ringside run --dump` cores of the bare-metal kernel under
#             QEMU, trimmed (seed_trim.c)
#   xlcore    the Xen harness's real xl dump-core, trimmed, when cached
#   db        samples/traces/*.db, databases collected from the runs
#             above, and the Xen harness's databases when cached
#   viewer    each of those databases' trace row and first records, in
#             the viewer target's row description (seed-trim viewer)
#
# A missing ingredient (no QEMU, no kernel, no Xen fixture) skips those
# seeds with a note; the committed fuzz/corpus/ still seeds every target.
set -euo pipefail

build=$1
out=$2
bin=$build/bin
trim=$build/fuzz/seed-trim
work=$(mktemp -d "${TMPDIR:-/tmp}/ringside-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT

rm -rf "$out"
mkdir -p "$out"/{decode,region,qemucore,xlcore,xenrefs,db,viewer}

# A region seed: 8-byte little-endian gpa, then memory.
with_gpa() {  # GPA FILE OUT
	perl -e 'print pack("Q<", $ARGV[0])' "$1" > "$3"
	cat "$2" >> "$3"
}

# Hosted workloads: 4 ring pages (two chunks' worth of wrapping for the
# chatty ones), both modes.
for spec in demo:overwrite pingpong:overwrite fanout:overwrite \
	    alloc:discard crash:overwrite deadlock:overwrite; do
	w=${spec%%:*} mode=${spec##*:}
	ring=$work/$w.ring
	# crash dies in panic() on purpose; its ring is the point.
	timeout 20 "$bin/ringside-hosted" --workload "$w" --ring "$ring" \
		--ring-pages 4 --count 40 --seconds 0.05 --mode "$mode" \
		--quiet >/dev/null 2>&1 || true
	[ -s "$ring" ] || { echo "make-seeds: no ring from $w" >&2; continue; }
	cp "$ring" "$out/decode/hosted-$w.ring"
	with_gpa 0 "$ring" "$out/region/hosted-$w.mem"
	"$bin/ringside" collect "file:$ring" -o "$work/$w.db" >/dev/null 2>&1 &&
		cp "$work/$w.db" "$out/db/hosted-$w.db"
done

# QEMU: the bare-metal kernel dumped after a panic, a page fault and a
# hang (a guest that exits cleanly leaves no QEMU to dump).
if [ -f "$build/kernel/ringside-kernel.elf" ] && command -v qemu-system-x86_64 >/dev/null; then
	for w in crash pagefault hang; do
		core=$work/$w.core
		if timeout 60 "$bin/ringside" run --workload "$w" --memory 16 \
			--ring-pages 4 --count 30 --hang-secs 0.5 --dump "$core" \
			-o "$work/qemu-$w.db" >/dev/null 2>&1 || [ -s "$core" ]; then
			"$trim" qemu "$core" "$out/qemucore/qemu-$w.core" \
				"$out/decode/qemu-$w.ring" "$out/region/qemu-$w.mem" ||
				echo "make-seeds: cannot trim the $w core" >&2
			[ -s "$work/qemu-$w.db" ] && cp "$work/qemu-$w.db" "$out/db/qemu-$w.db"
		fi
		if [ ! -s "$core" ]; then
			echo "make-seeds: ringside run --workload $w failed; no QEMU seed" >&2
		fi
	done
else
	echo "make-seeds: no kernel or QEMU; qemucore seeds only from fuzz/corpus" >&2
fi

# Xen: the fixture tests/xen keeps committed (a real xl dump-core of a
# crashed PVH guest, and the databases collected from it). Its ring is 1 MiB, which
# would slow every iteration and every mutation, so the seeds are its
# Xen container (notes, vCPU contexts, the page before the ring) around
# the few-page ring of the QEMU crash run instead; the full-size trim is
# kept only if it is small.
small() { [ "$(stat -c %s "$1")" -le 262144 ]; }
mkdir -p "$work/xen"
xz -dc tests/xen/fixtures/pvh-crash.tar.xz 2>/dev/null |
	tar -x -O crash.core >"$work/xen/xl-dump-core-pvh-crash.core" 2>/dev/null ||
	rm -f "$work/xen/xl-dump-core-pvh-crash.core"
for core in "$work"/xen/*.core; do
	[ -f "$core" ] || continue
	b=$(basename "$core" .core)
	if "$trim" xl "$core" "$work/$b.core" "$work/$b.ring" "$work/$b.mem"; then
		for f in core:xlcore ring:decode mem:region; do
			small "$work/$b.${f%%:*}" && cp "$work/$b.${f%%:*}" "$out/${f##*:}/"
		done
	else
		echo "make-seeds: cannot trim $core" >&2
	fi
	if [ -f "$out/decode/qemu-crash.ring" ]; then
		"$trim" xl "$core" "$out/xlcore/$b-qemuring.core" \
			"$work/$b-qemuring.ring" "$out/region/$b-qemuring.mem" \
			"$out/decode/qemu-crash.ring" ||
			echo "make-seeds: cannot re-ring $core" >&2
	fi
	for db in "$core".*.db; do
		[ -f "$db" ] && cp "$db" "$out/db/$(basename "$db")"
	done
done
[ -n "$(ls "$out/xlcore")" ] ||
	echo "make-seeds: no cached xl dump-core; xlcore seeds only from fuzz/corpus" >&2

cp samples/traces/*.db "$out/db/"
for db in "$out"/db/*.db; do
	"$trim" viewer "$db" "$out/viewer/$(basename "$db" .db).seed" ||
		echo "make-seeds: no viewer seed from $db" >&2
done
for t in decode region qemucore xlcore xenrefs db viewer; do
	printf 'make-seeds: %-9s %3d seeds\n' "$t" "$(ls "$out/$t" | wc -l)"
done
