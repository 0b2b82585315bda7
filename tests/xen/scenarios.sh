#!/bin/bash
# tests/xen/scenarios.sh - the Xen end-to-end scenarios, run by the test
# dom0's /init: PVH guests from /ringside/cfg/*.cfg (samples/xen/), checked
# with xl and xenstore, collected with /ringside/bin/ringside when it has a
# xen: source. Every check prints one serial-console marker:
#   RINGSIDE-XEN: PASS name | FAIL name: why | SKIP name: why
# and the last line is "RINGSIDE-XEN: DONE N passed, N failed, N skipped".
# Files for the host go in /results (collected DBs, dump-core, logs).
set -euo pipefail

R=/ringside
OUT=/results
RS=$R/bin/ringside
npass=0 nfail=0 nskip=0 id='' dump_pid=''
# Each marker ends with the seconds since the scenarios started.
pass() { echo "RINGSIDE-XEN: PASS $1 [t=${SECONDS}s]"; npass=$((npass + 1)); }
fail() { echo "RINGSIDE-XEN: FAIL $1: $2 [t=${SECONDS}s]"; nfail=$((nfail + 1)); }
skip() { echo "RINGSIDE-XEN: SKIP $1: $2 [t=${SECONDS}s]"; nskip=$((nskip + 1)); }

# The State column of `xl list NAME` (r, b, p, s, c, d flags), or "".
state() { { xl list "$1" 2>/dev/null || true; } | awk 'NR == 2 { print $5 }'; }

# wait_state NAME REGEX SECONDS: until the state matches; 1 on timeout.
wait_state() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		[[ $(state "$1") =~ $2 ]] && return 0
		sleep 0.2
	done
	return 1
}

# wait_key DOMID KEY SECONDS: prints the xenstore value once it exists.
wait_key() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		xenstore-read "/local/domain/$1/data/ringside/$2" 2>/dev/null &&
			return 0
		sleep 0.2
	done
	return 1
}

create() {                      # create NAME: sets $id, or FAILs
	local log=$OUT/xl-create-$1.log
	if ! xl create "$R/cfg/$1.cfg" >"$log" 2>&1; then
		fail "$1-create" "xl create: $(tail -n 3 "$log" | tr '\n' ' ')"
		return 1
	fi
	id=$(xl domid "rs-$1")
}

# Does this ringside know the xen: source? (Probed, not assumed.)
has_xen_source() {
	local out
	[ -x "$RS" ] || return 1
	out=$("$RS" collect xen:rs-none -o /tmp/probe.db 2>&1 || true)
	[[ $out != *"unknown source"* ]]
}

collect() {                     # collect NAME SPEC: ringside collect -> DB
	local db=$OUT/$1.db
	if "$RS" collect "$2" -o "$db" >"$OUT/collect-$1.log" 2>&1; then
		pass "collect-$1"
	else
		fail "collect-$1" "ringside collect $2: $(tail -n 2 \
			"$OUT/collect-$1.log" | tr '\n' ' ')"
	fi
}

xl list
xen_src=0
if has_xen_source; then
	xen_src=1
elif [ -x "$RS" ]; then
	skip collect-xen "ringside has no xen: source yet"
else
	skip collect-xen "no ringside binary in the initramfs (build/bin/ringside)"
fi

# 1. demo: the ring is published in xenstore; clean poweroff is kept.
if create demo; then
	if gfn=$(wait_key "$id" gfn 30); then
		pages=$(xenstore-read "/local/domain/$id/data/ringside/pages" || echo 0)
		nonce=$(xenstore-read "/local/domain/$id/data/ringside/nonce" || true)
		echo "demo: domain $id: gfn $gfn, pages $pages, nonce $nonce"
		want=$(xl dmesg | grep -o "(d$id) pvh: .* ring [0-9]* KiB at 0x[0-9a-f]*" |
			sed 's/.* at //' | tail -n 1 || true)
		if [ -n "$want" ] && [ "$((want >> 12))" = "$gfn" ] &&
			[ "$pages" -gt 0 ] && [ -n "$nonce" ]; then
			pass demo-xenstore
		else
			fail demo-xenstore "gfn $gfn, pages $pages, nonce $nonce; console says ring at '$want'"
		fi
	else
		fail demo-xenstore "no data/ringside/gfn for domain $id in 30 s"
	fi
	if [ $xen_src = 1 ]; then collect demo "xen:rs-demo"; fi
	if wait_state rs-demo '^---s--$' 60; then
		pass demo-poweroff
	else
		fail demo-poweroff "state '$(state rs-demo)' 60 s after start, want ---s--"
	fi
fi

# 2. crash: SCHEDOP_shutdown(SHUTDOWN_crash), preserved as ---sc-.
if create crash; then
	if wait_state rs-crash '^---sc-$' 60; then
		pass crash-state
		if [ -n "$(xenstore-read "/local/domain/$id/data/ringside/gfn" 2>/dev/null)" ]; then
			pass crash-xenstore-kept
		else
			fail crash-xenstore-kept "no data/ringside/gfn after the crash"
		fi
		if [ $xen_src = 1 ]; then collect crash "xen:rs-crash"; fi
		# 5. xl dump-core: minutes under TCG (xl maps every gfn up to
		# the special pages near 4 GiB one by one), so it runs in the
		# background while the other scenarios go on, or not at all
		# when the host has a dump of this very kernel ELF cached.
		if [ -s "$R/skip-dump-core" ]; then
			skip dump-core "$(cat "$R/skip-dump-core")"
		else
			(rc=0
			 xl dump-core "$id" "$OUT/crash.core" >"$OUT/dump-core.log" 2>&1 ||
				rc=$?
			 echo $rc >"$OUT/dump-core.rc") &
			dump_pid=$!
		fi
	else
		fail crash-state "state '$(state rs-crash)' 60 s after start, want ---sc-"
	fi
fi

# 3. hang: interrupts off and spinning, so the domain stays running.
if create hang; then
	hung=0
	for ((i = 0; i < 150; i++)); do
		xl dmesg | grep -q "(d$id) hang: disabling interrupts" && { hung=1; break; }
		sleep 0.2
	done
	sleep 2
	s=$(state rs-hang)
	if [ $hung = 1 ] && [[ $s =~ ^[rb-]+$ ]] && [[ $s != *s* ]]; then
		pass "hang-running ($s)"
	else
		fail hang-running "hang message seen: $hung, state '$s'"
	fi
	if [ $xen_src = 1 ]; then collect hang "xen:rs-hang"; fi
	xl destroy rs-hang || true      # it would spin on a CPU for ever
fi

# 4. triple fault: a reboot to Xen, preserved as ---sr-.
if create triple; then
	if wait_state rs-triple '^---sr-$' 60; then
		pass triple-state
	else
		fail triple-state "state '$(state rs-triple)' 60 s after start, want ---sr-"
	fi
	if [ $xen_src = 1 ]; then collect triple "xen:rs-triple"; fi
fi

# 5, continued: the dump-core of the crashed guest, then reading it back.
if [ -n "$dump_pid" ]; then
	wait "$dump_pid" || true
	if [ "$(cat "$OUT/dump-core.rc")" = 0 ] &&
		[ "$(head -c 4 "$OUT/crash.core" | od -An -c | tr -d ' ')" = '177ELF' ]; then
		pass "dump-core ($(stat -c %s "$OUT/crash.core") bytes)"
		if [ $xen_src = 1 ]; then
			collect crash-core "core:$OUT/crash.core"
		elif [ -x "$RS" ]; then
			if "$RS" collect "core:$OUT/crash.core" -o "$OUT/crash-core.db" \
				>"$OUT/collect-crash-core.log" 2>&1; then
				pass collect-crash-core
			else
				skip collect-crash-core "ringside cannot read xl dump-core yet: $(tail -n 1 "$OUT/collect-crash-core.log")"
			fi
		fi
	else
		fail dump-core "$(tail -n 2 "$OUT/dump-core.log" | tr '\n' ' ')"
	fi
fi

xl list
xl dmesg >"$OUT/xl-dmesg.log" 2>&1 || true
echo "RINGSIDE-XEN: DONE $npass passed, $nfail failed, $nskip skipped"
