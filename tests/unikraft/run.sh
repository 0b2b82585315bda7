#!/usr/bin/env bash
# tests/unikraft/run.sh - `make check-unikraft`: ringside's tracer inside
# a real Unikraft (0.17), under QEMU TCG, collected live.
#
#   1. unpacks Unikraft from $PEERS/unikraft/ under $BUILD/unikraft/ and
#      applies guest-trace/ports/unikraft/patches/ (again only when the
#      archive or the patch changed);
#   2. builds tests/unikraft/app/ with the library (L=guest-trace/ports/unikraft);
#   3. per workload (clean, crash, fault, hang): boots it with its RAM in a
#      shared file (memory-backend-file,share=on), runs
#      `ringside collect file:RAM --follow` on it live, and checks the
#      database with sqlite3 and `ringside info --json`.
#
# Prints "PASS name" / "FAIL name: why" per check and one summary line;
# exits 1 on any FAIL. Without the peers directory it says so and exits 0.
# Env: PEERS (default ../shared/peers from the repository's root), BUILD
# (default build), QEMU (default qemu-system-x86_64), UK_ONLY="clean hang"
# (only those workloads).
#
# Timeouts are bounds, not expectations: here a workload takes about a
# second; each run may take RUN_SECS (default 300), the build BUILD_SECS
# (default 900), and the collector GRACE_SECS (10) after QEMU has exited
# (an exited or crashed guest's collector ends within one 5 ms poll).
# A hang is declared by the collector after HANG_SECS (3 s) without a
# heartbeat: the guest beats every 50 ms of its own time, and its longest
# stretch without a chance to beat (the emit timing) takes about 10 ms
# here, so a machine 2.5x slower stays far inside it, while a hung guest
# is still found within seconds.
set -uo pipefail
{
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
PEERS=${PEERS:-../shared/peers}
QEMU=${QEMU:-qemu-system-x86_64}
RUN_SECS=${RUN_SECS:-300}
BUILD_SECS=${BUILD_SECS:-900}
HANG_SECS=${HANG_SECS:-3}
GRACE_SECS=${GRACE_SECS:-10}
WORKLOADS=${UK_ONLY:-clean crash fault hang}
rs=$top/$BUILD/bin/ringside
port=$top/guest-trace/ports/unikraft
app=$top/tests/unikraft/app
work=$top/$BUILD/unikraft
pass=0
fail=0
t0=$SECONDS

ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
summary() {
	echo "unikraft: $pass passed, $fail failed ($((SECONDS - t0)) s)"
	[ "$fail" -eq 0 ]
	exit $?
}

shopt -s nullglob
uk_tar=("$PEERS"/unikraft/unikraft-*.tar.xz)
shopt -u nullglob
if [ ${#uk_tar[@]} -ne 1 ]; then
	echo "unikraft: SKIP: no Unikraft archive (unikraft-*.tar.xz) in" \
	     "$PEERS/unikraft; set PEERS=DIR to the peers directory" \
	     "(/work/shared/peers/README.md)"
	exit 0
fi
for tool in flex bison gcc make patch sqlite3 "$QEMU"; do
	if ! command -v "$tool" >/dev/null; then
		bad setup "$tool is missing (make deps installs it)"
		summary
	fi
done
if [ ! -x "$rs" ]; then
	bad setup "$rs is not built"
	summary
fi

# ---- 1. the source, patched ------------------------------------------
mkdir -p "$work"
patches=("$port"/patches/*.patch)
stamp=$(cat "${uk_tar[0]}" "${patches[@]}" | sha256sum | cut -c1-16)
if [ "$(cat "$work/src.stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$work/src" "$work/app-build"
	mkdir -p "$work/src"
	if ! tar -xJf "${uk_tar[0]}" -C "$work/src"; then
		bad unpack "tar failed on ${uk_tar[0]}"
		summary
	fi
	for p in "${patches[@]}"; do
		if ! patch -s -p1 -d "$work/src/unikraft" < "$p"; then
			bad patch "$(basename "$p") does not apply"
			summary
		fi
	done
	echo "$stamp" > "$work/src.stamp"
fi
ok unpack

# ---- 2. the app with the library -------------------------------------
# A Unikraft build writes .config, build files and kconfig output; C= and
# O= keep all of it under $BUILD so the source tree stays clean.
out=$work/app-build
mkdir -p "$out"
ukmake() {
	timeout "$BUILD_SECS" make -C "$work/src/unikraft" A="$app" L="$port" \
		O="$out" C="$out/.config" "$@"
}
if ! { [ -f "$out/.config" ] && [ "$out/.config" -nt "$app/defconfig" ]; }; then
	ukmake UK_DEFCONFIG="$app/defconfig" defconfig > "$work/config.log" 2>&1 ||
		{ bad build "defconfig failed (see $work/config.log)"; summary; }
fi
if grep -q '^CONFIG_LIBUKRANDOM=y' "$out/.config"; then
	bad build "LIBUKRANDOM is on: TCG has no RDSEED, boot would fail"
	summary
fi
if ! ukmake -j2 > "$work/build.log" 2>&1; then
	bad build "Unikraft build failed: $(grep -m1 -i 'error' "$work/build.log")"
	summary
fi
kernel=$out/ringside-test_qemu-x86_64
[ -f "$kernel" ] || { bad build "no $kernel"; summary; }
ok build

# ---- 3. boot, collect, check -----------------------------------------
# The events table is the ringside SQLite extension's virtual table.
ext=$top/$BUILD/lib/libringside_sqlite
q() { sqlite3 -readonly -cmd ".load $ext" "$1" "$2" 2>/dev/null; }
count() { q "$1" "SELECT coalesce(sum(t.count), 0) FROM type_counts t JOIN event_types e ON e.id = t.type WHERE e.name = '$2'"; }

# Boots workload $1 and collects it into $work/$1.db; sets $elapsed (s).
boot_and_collect() {
	local w=$1 ram=$work/$1.ram db=$work/$1.db log=$work/$1.console
	rm -f "$ram" "$db" "$db-wal" "$db-shm" "$log"
	# A fresh file every boot: a stale region from the last run must not
	# be there for the collector to find.
	truncate -s 64M "$ram"
	timeout "$RUN_SECS" "$QEMU" -accel tcg -cpu max -m 64M \
		-object memory-backend-file,id=mem,size=64M,mem-path="$ram",share=on \
		-machine pc,memory-backend=mem -nodefaults -display none \
		-serial file:"$log" -no-reboot \
		-kernel "$kernel" -append "$w" > "$work/$w.qemu" 2>&1 &
	local qpid=$! s=$SECONDS
	start_ms=$(date +%s%3N)
	# When the console first shows $marker (if set): the hang's start,
	# seen from here, to time the verdict against.
	rm -f "$work/$w.marker"
	local wpid=
	if [ -n "${marker:-}" ]; then
		( until grep -q "$marker" "$log" 2>/dev/null; do sleep 0.02; done
		  date +%s%3N > "$work/$w.marker" ) &
		wpid=$!
	fi
	timeout "$RUN_SECS" "$rs" collect file:"$ram" --follow \
		--wait-secs "$RUN_SECS" --hang-secs "$HANG_SECS" -o "$db" \
		> "$work/$w.collect" 2>&1 &
	local cpid=$! qend=
	# A guest that dies before its region exists (or without saying
	# how) leaves the collector waiting: once QEMU has gone, it gets
	# GRACE_SECS to read what the RAM file holds, then is stopped.
	while kill -0 "$cpid" 2>/dev/null; do
		if [ -z "$qend" ] && ! kill -0 "$qpid" 2>/dev/null; then
			qend=$SECONDS
		fi
		if [ -n "$qend" ] && [ $((SECONDS - qend)) -ge "$GRACE_SECS" ]; then
			kill "$cpid" 2>/dev/null
			echo "run.sh: collector stopped $GRACE_SECS s after QEMU exited;" \
			     "console: $(tail -c 300 "$log" | tr '\n' ' ')" >> "$work/$w.collect"
			break
		fi
		sleep 0.1
	done
	wait "$cpid"
	collect_rc=$?
	end_ms=$(date +%s%3N)
	[ -n "$wpid" ] && { kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null; }
	elapsed=$((SECONDS - s))
	echo "unikraft: $w: collected in $elapsed s: $(tail -1 "$work/$w.collect")"
	# Exited and crashed guests power QEMU off themselves; a hung one
	# spins until stopped.
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	info=$("$rs" info --json "$db" 2>/dev/null)
}

json() { printf '%s' "$info" | sed -n "s/.*\"$1\": \(\"[^\"]*\"\|[^,}]*\).*/\1/p" | tr -d '"'; }

check_clean() {
	local db=$work/clean.db
	boot_and_collect clean
	local st; st=$(json guest_state)
	if [ "$st" = exited ] && [ "$collect_rc" -eq 0 ]; then ok clean-exit
	else bad clean-exit "guest_state '$st', collector rc $collect_rc ($(tail -1 "$work/clean.collect"))"; fi
	local lost; lost=$(json lost_events)
	[ "$lost" = 0 ] && ok clean-no-loss || bad clean-no-loss "lost_events '$lost'"

	# The workload: 3 workers x 30 rounds, each a malloc, a tracepoint,
	# a sleep, a free and a yield; main joins by sleeping.
	local sw cr ex bl wk yi
	sw=$(count "$db" thread_switch); cr=$(count "$db" thread_create)
	ex=$(count "$db" thread_exit); bl=$(count "$db" thread_block)
	wk=$(count "$db" thread_wake); yi=$(count "$db" thread_yield)
	local workers unnamed
	workers=$(q "$db" "SELECT count(*) FROM threads WHERE name LIKE 'worker-%' AND exited_ns IS NOT NULL")
	# A thread the trace names only by number was never seen made: an
	# id handed out twice for one thread (say, as it switches away for
	# the last time after its exit).
	unnamed=$(q "$db" "SELECT count(*) FROM (SELECT a AS t FROM events WHERE type = 4 UNION SELECT b FROM events WHERE type = 4) WHERE t != 0 AND t NOT IN (SELECT tid FROM threads WHERE name != '')")
	if [ "$workers" = 3 ] && [ "$unnamed" = 0 ] && [ "$ex" -ge 3 ] && [ "$cr" -ge 4 ] &&
	   [ "$sw" -ge 180 ] && [ "$bl" -ge 90 ] && [ "$wk" -ge 90 ] && [ "$yi" -ge 90 ]; then
		ok clean-scheduler
	else
		bad clean-scheduler "workers made and gone $workers/3, threads switched to but never made $unnamed, create $cr, exit $ex, switch $sw, block $bl, wake $wk, yield $yi"
	fi
	local pa pf he
	pa=$(count "$db" page_alloc); pf=$(count "$db" page_free); he=$(count "$db" heap)
	if [ "$he" -ge 180 ] && [ "$pa" -ge 90 ] && [ "$pf" -ge 90 ]; then ok clean-allocator
	else bad clean-allocator "heap $he (want >= 180), page_alloc $pa, page_free $pf (want >= 90)"; fi
	local ie ix tf id
	ie=$(count "$db" irq_enter); ix=$(count "$db" irq_exit)
	tf=$(count "$db" timer_fire); id=$(count "$db" idle_enter)
	if [ "$ie" -ge 10 ] && [ "$ie" = "$ix" ] && [ "$tf" -ge 90 ] && [ "$id" -ge 10 ]; then
		ok clean-interrupts
	else
		bad clean-interrupts "irq_enter $ie, irq_exit $ix (equal, >= 10), timer_fire $tf (>= 90), idle_enter $id (>= 10)"
	fi
	# Exactly what each worker did, by the records it is the context or
	# the subject of: 30 mallocs and 30 frees (heap), 30 tracepoints,
	# 30 sleeps (block, reason 2) each ended by the timer, 30 yields.
	local per want="60 30 30 30 30" w_bad=
	per=$(q "$db" "SELECT t.name || ':' || (SELECT count(*) FROM events e WHERE e.type = 34 AND e.ctx = t.tid) || ' ' || (SELECT count(*) FROM events e WHERE e.type = 65 AND e.ctx = t.tid) || ' ' || (SELECT count(*) FROM events e WHERE e.type = 5 AND e.a = t.tid AND e.b = 2) || ' ' || (SELECT count(*) FROM events e WHERE e.type = 50 AND e.a = t.tid) || ' ' || (SELECT count(*) FROM events e WHERE e.type = 7 AND e.a = t.tid) FROM threads t WHERE t.name LIKE 'worker-%' ORDER BY t.name")
	for r in worker-0 worker-1 worker-2; do
		grep -qx "$r:$want" <<< "$per" || w_bad=1
	done
	[ -z "$w_bad" ] && ok clean-per-worker ||
		bad clean-per-worker "heap, marks, sleeps, timer fires, yields per worker (want $want): $(tr '\n' ';' <<< "$per")"
	local tp; tp=$(q "$db" "SELECT count(*) FROM events WHERE type = 65 AND str = 'trace_ringside_test_round'")
	[ "$tp" = 90 ] && ok clean-tracepoints || bad clean-tracepoints "$tp of 90 UK_TRACEPOINT marks"
	# Beats come from the heartbeat thread (every 50 ms) and from every
	# timer interrupt (the workers' sleeps arm the timer some 90 times).
	local beat ticks
	beat=$(q "$db" "SELECT count(*) FROM threads WHERE name = 'ringside-heartbeat'")
	ticks=$(q "$db" "SELECT heartbeat_ticks FROM trace")
	if [ "$beat" = 1 ] && [ "${ticks:-0}" -ge 10 ]; then ok clean-heartbeat
	else bad clean-heartbeat "heartbeat thread in the trace: $beat, heartbeat ticks '${ticks}' (>= 10)"; fi
	local cps; cps=$(q "$db" "SELECT a FROM events WHERE type = 65 AND str = 'emit_cps'")
	if [ -n "$cps" ]; then
		echo "unikraft: emit cost $((cps / 100)).$(printf '%02d' $((cps % 100))) ns/event" \
		     "(best of 5 x 40,000 gt_emit, Unikraft's clock, TCG)"
	fi
	echo "unikraft: clean run events by type: $(q "$db" "SELECT group_concat(e.name || ' ' || t.count, ', ') FROM type_counts t JOIN event_types e ON e.id = t.type")"
}

# $1 workload, $2 the reason's text, $3 the vector wanted
check_crash() {
	local w=$1 db=$work/$1.db
	boot_and_collect "$w"
	local st; st=$(json guest_state)
	local reason vec rip rsp bt
	reason=$(q "$db" "SELECT panic_reason FROM trace")
	vec=$(q "$db" "SELECT panic_vector FROM trace")
	rip=$(q "$db" "SELECT panic_rip FROM trace")
	rsp=$(q "$db" "SELECT json_extract(panic_regs, '\$.rsp') FROM trace")
	bt=$(q "$db" "SELECT json_array_length(panic_backtrace) FROM trace")
	if [ "$st" = crashed ] && [[ "$reason" == *"$2"* ]]; then ok "$w-reason"
	else bad "$w-reason" "guest_state '$st', reason '$reason' (want '$2')"; fi
	# The registers are the crash site's: rip inside the image (loaded
	# at 1 MiB, a few MiB long), a stack pointer that is not zero.
	if [ "$vec" = "$3" ] && [ "${rip:-0}" -ge 1048576 ] &&
	   [ "${rip:-0}" -lt 67108864 ] && [ -n "$rsp" ] && [ "$rsp" != 0x0 ]; then
		ok "$w-registers"
	else
		bad "$w-registers" "vector '$vec' (want $3), rip '$rip', rsp '$rsp'"
	fi
	[ "${bt:-0}" -ge 2 ] && ok "$w-backtrace" || bad "$w-backtrace" "backtrace of '${bt:-0}' frames"
	# After the fact: QEMU is gone, its RAM file stays; read once more
	# (no --follow) it gives the same crash and the same records.
	local after=$work/$w-after.db n1 n2 r2
	rm -f "$after" "$after-wal" "$after-shm"
	timeout "$RUN_SECS" "$rs" collect file:"$work/$w.ram" -o "$after" > "$work/$w-after.collect" 2>&1
	n1=$(q "$db" "SELECT sum(count) FROM type_counts")
	n2=$(q "$after" "SELECT sum(count) FROM type_counts")
	r2=$(q "$after" "SELECT panic_reason FROM trace")
	if [ -n "$n1" ] && [ "$n1" = "$n2" ] && [ "$r2" = "$reason" ]; then ok "$w-after"
	else bad "$w-after" "read after the crash: $n2 records (live: $n1), reason '$r2' ($(tail -1 "$work/$w-after.collect"))"; fi
	# Named from the image's symbols, the rip is in the app's main():
	# the registers are the crash site's, not the tracer's.
	local site; site=$("$rs" info --kernel "$kernel.dbg" "$db" 2>/dev/null | grep -m1 ' rip 0x')
	[[ "$site" == *" in main ("* ]] && ok "$w-site" || bad "$w-site" "panic rip not in main: '$site'"
}

check_hang() {
	local db=$work/hang.db
	marker='spinning with interrupts off' boot_and_collect hang
	local st; st=$(json guest_state)
	local seen; seen=$(cat "$work/hang.marker" 2>/dev/null)
	local hung_at; hung_at=$(json hung_at_ns)
	# hung_at_ns: the time of the last heartbeat, which must have beaten.
	if [ "$st" = hung ] && [ -n "$seen" ] && [ -n "$hung_at" ] &&
	   [ "$hung_at" != null ]; then ok hang-verdict
	else bad hang-verdict "guest_state '$st', last beat at '$hung_at' ns (console showed the spin: $([ -n "$seen" ] && echo yes || echo no))"; fi
	# The verdict must come from the heartbeat stopping at the spin: not
	# well before --hang-secs after it (half of it: the console line and
	# the last beat are each a little before the spin itself; a verdict
	# from some earlier stall would come at once), and not much later. "Much" is measured
	# on this machine: the boot up to the spin took `boot` ms, so the
	# collector is given twice that, and 4 s, on top (here the verdict
	# comes about 1 s after --hang-secs; on a host 2.5x slower the bound
	# still leaves 2x over that, and it stays below the 10 s after which
	# a collector is stopped because QEMU is gone).
	if [ -n "$seen" ] && [ "$st" = hung ]; then
		local boot=$((seen - start_ms)) took=$((end_ms - seen))
		local lo=$((HANG_SECS * 500)) hi=$((HANG_SECS * 1000 + 4000 + 2 * boot))
		echo "unikraft: hang: verdict $took ms after the spin (boot to spin $boot ms; bounds $lo..$hi ms)"
		if [ "$took" -ge "$lo" ] && [ "$took" -le "$hi" ]; then ok hang-within-hang-secs
		else bad hang-within-hang-secs "verdict $took ms after the spin, outside $lo..$hi ms"; fi
	else
		bad hang-within-hang-secs "no hung verdict to time"
	fi
}

for w in $WORKLOADS; do
	case $w in
	clean) check_clean ;;
	crash) check_crash crash "deliberate crash, code 42" 4294967295 ;;
	fault) check_crash fault "general protection" 13 ;;
	hang) check_hang ;;
	*) bad "$w" "no such workload" ;;
	esac
done
summary
}
