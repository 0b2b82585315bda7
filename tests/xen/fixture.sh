# tests/xen/fixture.sh - the `xl dump-core` check of `make check-xen`,
# sourced by run.sh after QEMU is done (it uses run.sh's $run, $rs, $BUILD,
# $fixture and its hpass/hfail markers).
#
# `xl dump-core` of a crashed PVH guest maps every gfn up to the special
# pages near 4 GiB one at a time: minutes under TCG (3 min here, over 7 on
# a 2.5x slower machine). So the default path reads a REAL dump instead,
# made by real Xen 4.17 with real `xl dump-core` in an earlier
# `make xen-fixture` run and committed as tests/xen/fixtures/pvh-crash.tar.xz
# (xz: the dump is mostly zeros). The tar holds
#   crash.core       `xl dump-core` of rs-crash (samples/xen/crash.cfg),
#                    preserved as ---sc- after its panic
#   crash-follow.db  `collect --follow xen:rs-crash` of that same domain,
#                    through the crash
#   crash.db         `collect xen:rs-crash`, a snapshot after it
#   MANIFEST         when, from which kernel ELF, Xen, dom0 and ringside
# and the check reads crash.core with today's `collect core:`, shows it
# with `info`, and compares it event for event (and verdict for verdict)
# with both live DBs. Regenerate it (`make xen-fixture`) before a change
# to the kernel, the ring format or the schema lands.
# shellcheck disable=SC2154  # run, rs, fixture, elf, elf_sum, image_sum, rs_commit: run.sh's

fixture_parts=(MANIFEST crash.core crash-follow.db crash.db)

# core_diff CORE.db LIVE.db: "N M X Y V L": the events in each, those
# (all columns but trace_id) only in CORE, only in LIVE (EXCEPT both
# ways), the trace rows whose verdict and identity columns differ, and
# the records CORE counts as lost (overwritten before the dump).
core_diff() {
	local cols="cpu, seq, ts_ns, type, ctx, a, b, c, str"
	local tcols="nonce, region_gpa, ncpus, tsc_hz, guest_state, panic_reason,"
	tcols+=" panic_vector, panic_cpu, panic_rip, panic_backtrace"
	local q="ATTACH '$2' AS o;
SELECT (SELECT count(*) FROM main.events) || ' ' ||
       (SELECT count(*) FROM o.events) || ' ' ||
       (SELECT count(*) FROM (SELECT $cols FROM main.events
                              EXCEPT SELECT $cols FROM o.events)) || ' ' ||
       (SELECT count(*) FROM (SELECT $cols FROM o.events
                              EXCEPT SELECT $cols FROM main.events)) || ' ' ||
       (SELECT count(*) FROM (SELECT $tcols FROM main.trace
                              EXCEPT SELECT $tcols FROM o.trace)) || ' ' ||
       (SELECT coalesce(sum(lost), 0) FROM main.trace_cpu);"
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

# compare_core CORE.db LIVE.db NAME [tail]: PASS/FAIL NAME; 0 when the
# dump holds exactly LIVE's events and verdict. With "tail", LIVE is a
# --follow that read every event as it was written, and the dump, taken
# after the guest ran on, holds the newest of them: the crash workload's
# ticks can wrap the 1 MiB overwrite ring when the host is slow. Then the
# dump's events must all be LIVE's and, with the ones it counts as lost,
# add up to LIVE's.
compare_core() {
	local core=$1 live=$2 name=$3 mode=${4:-exact} d
	if [ ! -s "$core" ] || [ ! -s "$live" ]; then
		hfail "$name" "missing $([ -s "$core" ] || echo "$core ")$([ -s "$live" ] || echo "$live")"
		return 1
	fi
	if ! d=$(core_diff "$core" "$live" 2>&1); then
		hfail "$name" "$d"
		return 1
	fi
	read -r nc nl only_core only_live trace_diff lost <<<"$d"
	if [ "$nc" -gt 0 ] && [ "$only_core" = 0 ] && [ "$trace_diff" = 0 ]; then
		if [ "$nc" = "$nl" ] && [ "$only_live" = 0 ]; then
			hpass "$name ($nc events and the verdict identical)"
			return 0
		fi
		if [ "$mode" = tail ] && [ $((nc + lost)) = "$nl" ] &&
			[ "$only_live" = "$lost" ]; then
			hpass "$name (the dump's $nc events are the newest of the follow's $nl; $lost overwritten before the dump, and counted lost; the verdict identical)"
			return 0
		fi
	fi
	hfail "$name" "core $nc events ($lost lost), live $nl; only in core $only_core, only live $only_live; trace rows that differ $trace_diff"
	return 1
}

# read_core CORE OUT.db NAME: `collect core:` then `info` (text) on it,
# which must say crashed with the guest's panic: PASS/FAIL NAME-collect
# and NAME-info. 0 when both passed.
read_core() {
	local core=$1 db=$2 name=$3 log=$run/results/$3-collect.log
	if ! "$rs" collect "core:$core" -o "$db" >"$log" 2>&1; then
		hfail "$name-collect" "$(tail -n 1 "$log") (if the ring format or schema changed on purpose: make xen-fixture)"
		return 1
	fi
	hpass "$name-collect"
	if ! "$rs" info "$db" >"$run/results/$name-info.txt" 2>&1; then
		hfail "$name-info" "$(tail -n 1 "$run/results/$name-info.txt")"
		return 1
	fi
	if grep -q 'crashed' "$run/results/$name-info.txt" &&
		grep -q 'deliberate panic after 100 rounds' "$run/results/$name-info.txt"; then
		hpass "$name-info (crashed, the guest's panic record)"
		return 0
	fi
	hfail "$name-info" "no crashed state or panic reason in: $(head -n 12 "$run/results/$name-info.txt" | tr '\n' ' ')"
	return 1
}

# fixture_check: the committed dump, read and compared here.
fixture_check() {
	local dir=$run/fixture db=$run/results/fixture-core.db part ok=1
	rm -rf "$dir" && mkdir -p "$dir"
	if [ ! -s "$fixture" ] || ! xz -dc "$fixture" | tar -x -C "$dir"; then
		hfail fixture-unpack "cannot unpack $fixture (make xen-fixture makes it)"
		return
	fi
	for part in "${fixture_parts[@]}"; do
		[ -s "$dir/$part" ] || { hfail fixture-unpack "$fixture has no $part"; ok=0; }
	done
	[ "$ok" = 1 ] || return
	hpass "fixture-unpack ($(stat -c %s "$fixture") bytes, $(grep '^made:' "$dir/MANIFEST"))"
	# Its kernel image's sum when the MANIFEST has one (path-independent),
	# else the ELF's.
	local was
	was=$(awk '/^kernel-image-sha256:/ { print $2 }' "$dir/MANIFEST")
	if [ -n "$was" ] && [ "$was" != "$image_sum" ]; then
		echo "check-xen: note: the fixture was dumped from another kernel than $elf (its loaded image differs); run make xen-fixture before a kernel change lands"
	elif [ -z "$was" ] &&
		[ "$(awk '/^kernel-elf-sha256:/ { print $2 }' "$dir/MANIFEST")" != "$elf_sum" ]; then
		echo "check-xen: note: the fixture was dumped from another kernel ELF than $elf; run make xen-fixture before a kernel change lands"
	fi
	read_core "$dir/crash.core" "$db" fixture-core || return
	compare_core "$db" "$dir/crash-follow.db" fixture-core-vs-live-crash-follow tail || true
	compare_core "$db" "$dir/crash.db" fixture-core-vs-live-crash || true
}

# this_run_core: RINGSIDE_XEN_DUMPCORE=1 made a dump in dom0 this run:
# compare it with this run's live reads. 0 when all passed.
this_run_core() {
	local r=$run/results rc=0
	if [ ! -s "$r/crash.core" ]; then
		hfail core-vs-live "RINGSIDE_XEN_DUMPCORE=1 but no crash.core came back"
		return 1
	fi
	read_core "$r/crash.core" "$r/crash-core-host.db" crash-core-host || rc=1
	compare_core "$r/crash-core-host.db" "$r/crash-follow.db" core-vs-live-crash-follow tail || rc=1
	compare_core "$r/crash-core-host.db" "$r/crash.db" core-vs-live-crash || rc=1
	return "$rc"
}

# fixture_pack OUT: this run's dump and live DBs become the new fixture.
fixture_pack() {
	local out=$1 r=$run/results tmp
	tmp=$(mktemp -d)
	{
		echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ) by make xen-fixture (tests/xen/run.sh)"
		echo "xen: $XEN_VER"
		echo "dom0-linux: $KVER"
		echo "kernel-elf-sha256: $elf_sum"
		echo "kernel-image-sha256: $image_sum (objcopy -O binary)"
		echo "ringside: $rs_commit (git describe when the run began)"
		echo "guest: samples/xen/crash.cfg (workload=crash, 100 rounds), preserved ---sc-"
		echo "crash.core: xl dump-core of that domain"
		echo "crash-follow.db: ringside collect --follow xen:rs-crash through the crash"
		echo "crash.db: ringside collect xen:rs-crash after it"
	} >"$tmp/MANIFEST"
	cp "$r/crash.core" "$r/crash-follow.db" "$r/crash.db" "$tmp/"
	mkdir -p "$(dirname "$out")"
	# Fixed order, owner and times: the same inputs give the same bytes.
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
		-C "$tmp" -cf - "${fixture_parts[@]}" | xz -9e -T1 >"$out.tmp" &&
		mv "$out.tmp" "$out"
	rm -rf "$tmp"
	echo "check-xen: new fixture $out ($(stat -c %s "$out") bytes); commit it"
}
