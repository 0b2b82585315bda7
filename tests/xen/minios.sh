#!/bin/bash
# tests/xen/minios.sh - the minios-* scenarios of `make check-xen`, sourced
# by scenarios.sh (whose helpers, markers and variables they use): the
# traced Mini-OS (guest-trace/ports/mini-os) as PV guests, read through
# the grant references they publish. See scenarios.sh's header for the
# names and tests/xen/README.md for what each checks.
# shellcheck disable=SC2154  # xen_src, cur, id, nolost...: set by scenarios.sh

# 13-17. The traced Mini-OS (guest-trace/ports/mini-os) as a PV guest,
# beside the ringside kernel's PVH ones: it grants its ring's pages to
# dom0 and writes the references to data/ringside/ring-ref, the only way
# a PV guest's ring is read. Each guest is rs-minios-NAME (minios.cfg),
# destroyed once read. Its app (app.c) says what the test needs in
# xenstore (data/ringside-app/) and on its console log
# (/var/log/xen/console/guest-NAME.log, kept in /results).
MINIOS_N=4                      # worker threads (app.c)
# minios_checks N: every Mini-OS DB's checks, into mc: its clocks as the
# port sets them, and the events its hooks write for N workers (each
# allocates and frees 10 pages). Threads: Idle, xenstore, shutdown, app,
# and the N workers, which exit.
minios_checks() {
	mc=("j['tsc_source'] == 'xen-pvclock'" "j['tick_method'] == 'xen-timer'"
		"j['tick_hz'] == 1000" "j['cpus'] == 1" "t['thread_switch'] > 0"
		"t['thread_create'] == 4+$1" "t['thread_exit'] == $1"
		"t['page_alloc'] >= 10*$1" "t['page_free'] >= 10*$1"
		"t['irq_enter'] > 0" "t['idle_enter'] > 0")
}
minios_ok() {
	if [ -s "$R/mini-os.gz" ]; then
		return 0
	fi
	skip "$1" "no traced Mini-OS in the initramfs (make mini-os needs the peers)"
	return 1
}
# minios_keep NAME: its console log into /results; a NOTE with its events
# by type (for the record: what the real Mini-OS wrote).
minios_keep() {
	cp "/var/log/xen/console/guest-rs-$1.log" "$OUT/console-$1.log" 2>/dev/null || true
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print("RINGSIDE-XEN: NOTE %s: %d events: %s" % (sys.argv[2], j["events"],
    " ".join("%s=%d" % kv for kv in sorted((j.get("by_type") or {}).items()))))' \
		"$OUT/$1.dom0-info.json" "$1" 2>/dev/null || true
}
appkey() { xenstore-read "/local/domain/$1/data/ringside-app/$2" 2>/dev/null; }

# 13. minios-exit: followed from before it runs to its clean exit; the
# follow maps it by grant references; the emit cost it measured.
if [ "$xen_src" = 1 ] && want minios-exit && minios_ok minios-exit &&
	create minios 1 'name="rs-minios-exit"' "cmdline=\"workload=exit count=$MINIOS_N\""; then
	follow_start minios-exit "xen:$cur"
	xl unpause "$cur"
	if follow_end minios-exit; then
		if grep -q 'PV domain .* mapped through 129 grant references' "$OUT/collect-minios-exit.log"; then
			pass minios-exit-grants
		else
			fail minios-exit-grants "the follow did not say it mapped grant references: $(head -n 3 "$OUT/collect-minios-exit.log" | tr '\n' ' ')"
		fi
		minios_checks "$MINIOS_N"
		info_check minios-exit "j['guest_state'] == 'exited'" "$nolost" \
			"${mc[@]}" || true
	fi
	if wait_state "$cur" '^---s--$'; then
		pass minios-exit-poweroff
	else
		fail minios-exit-poweroff "state '$(state "$cur")', want ---s--"
	fi
	if e=$(appkey "$id" emit); then
		pass "minios-emit-cost ($e)"
		echo "RINGSIDE-XEN: NOTE minios emit cost: $(grep -a -o 'emit cost: .*' "/var/log/xen/console/guest-$cur.log" | head -n 1)"
	else
		fail minios-emit-cost "no data/ringside-app/emit from domain $id"
	fi
	minios_keep minios-exit
	xl destroy "$cur" 2>/dev/null || true
fi

# 14. minios-grant: the ring-ref layout in xenstore (collector/README.md:
# `pages` distinct decimal references, single spaces), and a snapshot of
# the powered-off, preserved domain read through them.
if [ "$xen_src" = 1 ] && want minios-grant && minios_ok minios-grant &&
	create minios 1 'name="rs-minios-grant"' 'cmdline="workload=exit count=1"'; then
	xl unpause "$cur"
	if wait_for "$WAIT_SECS" "$cur to finish" appkey "$id" "done" >/dev/null &&
		wait_state "$cur" '^---s--$'; then
		refs=$(key_read "$id" ring-ref || true)
		pages=$(key_read "$id" pages || echo 0)
		gfn=$(key_read "$id" gfn || true)
		if [ "$pages" = 129 ] && refs_layout_ok "$refs" 129 && [ -n "$gfn" ]; then
			pass "minios-grant-xenstore (129 refs, gfn $gfn)"
		else
			fail minios-grant-xenstore "pages '$pages', ring-ref '${refs:0:80}...', gfn '$gfn'"
		fi
		collect minios-grant "xen:$cur"
		if grep -q 'mapped through 129 grant references' "$OUT/collect-minios-grant.log"; then
			pass minios-grant-mapped
		else
			fail minios-grant-mapped "$(head -n 3 "$OUT/collect-minios-grant.log" | tr '\n' ' ')"
		fi
		minios_checks 1
		info_check minios-grant "j['guest_state'] == 'exited'" "${mc[@]}" || true
	else
		fail minios-grant-xenstore "domain $id did not finish (state '$(state "$cur")')"
	fi
	minios_keep minios-grant
	xl destroy "$cur" 2>/dev/null || true
fi

# minios_dump_core: `xl dump-core` of the crashed rs-minios-crash (a PV
# dump: pages indexed by .xen_p2m), read back with core: and held to the
# live follow of the same domain: the same verdict and reason, and the
# same events type by type (the 512 KiB ring did not wrap). The dump
# (32 MB) is removed once read: the results disk is slow under TCG.
minios_dump_core() {
	local t0=$SECONDS core=$OUT/minios-crash.core want
	if ! timeout "$WAIT_SECS" xl dump-core "$id" "$core" >"$OUT/minios-dump-core.log" 2>&1; then
		fail minios-dump-core "$(tail -n 2 "$OUT/minios-dump-core.log" | tr '\n' ' ')"
		return
	fi
	pass "minios-dump-core ($(stat -c %s "$core") bytes in $((SECONDS - t0)) s)"
	collect minios-crash-core "core:$core"
	want=$(python3 -c 'import json, sys
print(dict(json.load(open(sys.argv[1]))["by_type"]))' "$OUT/minios-crash.dom0-info.json" 2>/dev/null || echo None)
	info_check minios-crash-core "${crashed[@]}" "j['panic_by'] == 'guest'" \
		"j['panic_reason'][:36] == 'mini-os: page fault at 0xdeadbeef000'" \
		"j['events']+j['lost_events'] == $(total_of minios-crash)" \
		"dict(t) == $want" || true
	rm -f "$core"
}

# 15. minios-crash: a write to an unmapped address: Mini-OS's page-fault
# handler (the port's hook writes the panic record with the trap frame's
# registers) and SHUTDOWN_crash; the vCPU's registers from Xen
# (xc_vcpu_getcontext: PV); then its dump-core (minios_dump_core).
# 16. minios-bug: BUG_ON(), the assertion hook and do_exit.
for w in crash bug; do
	if [ "$xen_src" = 1 ] && want "minios-$w" && minios_ok "minios-$w" &&
		create minios 1 "name=\"rs-minios-$w\"" "cmdline=\"workload=$w count=2\""; then
		follow_start "minios-$w" "xen:$cur"
		xl unpause "$cur"
		if follow_end "minios-$w"; then
			if [ $w = crash ]; then
				why=("j['panic_reason'][:36] == 'mini-os: page fault at 0xdeadbeef000'"
					"j['panic_vector'] == 14" "j['panic_fault_addr'] == '0xdeadbeef000'"
					"j['panic_regs']['rip'] != '0x0'" "j['panic_regs']['rsp'] != '0x0'")
			else
				why=("j['panic_reason'][:41] == 'mini-os: assertion failed: !(workers_done'"
					"j['panic_regs']['rip'] != '0x0'")
			fi
			minios_checks 2
			info_check "minios-$w" "${crashed[@]}" "$nolost" "j['panic_by'] == 'guest'" \
				"${why[@]}" "${mc[@]}" || true
		fi
		if wait_state "$cur" '^---sc-$'; then
			pass "minios-$w-state"
			[ $w = crash ] && minios_dump_core
		else
			fail "minios-$w-state" "state '$(state "$cur")', want ---sc-"
		fi
		minios_keep "minios-$w"
		xl destroy "$cur" 2>/dev/null || true
	fi
done

# 17. minios-hang: events masked and a spin (app.c): the heartbeat stops
# while the domain runs on; --follow --hang-secs 1 must say hung within
# STOP_SECS of the app's data/ringside-app/hang key, with the vCPU's
# registers read from Xen.
minios_hang_over() {
	if [ -z "$t_hang" ] && appkey "$id" hang >/dev/null; then
		t_hang=$(now)
	fi
	[ -s "$OUT/collect-minios-hang.end" ]
}
if [ "$xen_src" = 1 ] && want minios-hang && minios_ok minios-hang &&
	create minios 1 'name="rs-minios-hang"' 'cmdline="workload=hang count=2"'; then
	follow_start minios-hang "xen:$cur" --hang-secs 1
	xl unpause "$cur"
	t_hang=''
	wait_for "$WAIT_SECS" "$cur to hang and its follow to end" minios_hang_over || true
	if [ -n "$t_hang" ]; then
		follow_stopped minios-hang-timely minios-hang "$t_hang" "the hang key" || true
	else
		fail minios-hang-timely "no data/ringside-app/hang from domain $id (state '$(state "$cur")')"
	fi
	s=$(state "$cur")
	if [ -n "$t_hang" ] && [[ $s =~ ^[rb-]+$ ]] && [[ $s != *s* ]]; then
		pass "minios-hang-running ($s)"
	else
		fail minios-hang-running "hang key seen: ${t_hang:-no}, state '$s'"
	fi
	xl destroy "$cur" 2>/dev/null || true  # it would spin on a CPU for ever
	if follow_end minios-hang; then
		info_check minios-hang "j['guest_state'] == 'hung'" "j['hung_at_ns'] isnot None" \
			"len(j['vcpus']) == 1" "j['vcpus'][0]['regs']['rip'] != '0x0'" \
			"t['thread_exit'] == 2" "t['thread_create'] == 6" || true
	fi
	minios_keep minios-hang
fi


# 18. minios-pvh: a probe, run only when RINGSIDE_XEN_ONLY names it (it
# does not pass yet): Mini-OS's PVH build (make mini-os-pvh, the same
# app) booted, and what became of it: pass once the app finished; else a
# FAIL, with xl's state, the guest's console (its port 0xe9 echo) and Xen's
# lines in xl dmesg, and the vCPU as Xen's HVM save record has it.
if [[ " $only " == *" minios-pvh "* ]] && [ -s "$R/mini-os-pvh" ] &&
	create minios 1 'name="rs-minios-pvh"' 'type="pvh"' 'kernel="/ringside/mini-os-pvh"' \
		'cmdline="workload=exit count=1"'; then
	xl unpause "$cur"
	pvh_over() { [[ $(state "$cur") == *s* ]] || appkey "$id" "done" >/dev/null; }
	wait_for 60 "$cur to finish or stop" pvh_over || true
	s=$(state "$cur")
	if appkey "$id" "done" >/dev/null; then
		pass "minios-pvh ($s)"
	else
		fail minios-pvh "state '$s' and no data/ringside-app/done"
		{ /usr/lib/xen-4.17/bin/xen-hvmctx "$id" 2>&1 || true; } |
			grep -a -E '^ +(CPU|rip|rsp|cr0|cr3|event|idtr|gdtr|tr) |^ +[a-z0-9]+ 0x' |
			head -n 16 | sed 's/^/RINGSIDE-XEN: |   hvm save record: /' || true
	fi
	xl destroy "$cur" 2>/dev/null || true
fi
