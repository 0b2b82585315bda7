#!/usr/bin/env bash
# run-fuzz.sh FUZZ_DIR SECONDS JOBS TARGET... - fuzz each target in turn
# for SECONDS with JOBS libFuzzer workers (fuzz.mk's fuzz-run), then print
# the executions each reached, summed over workers from libFuzzer's final
# stats, and any findings. Exit 1 if anything was found.
#
# Workers write fuzz-N.log in the target's log dir; -close_fd_mask=3 keeps
# the code under test's stdout/stderr (a line per bad input) out of them
# while libFuzzer and the sanitizers still report there.
set -uo pipefail

dir=$1 secs=$2 jobs=$3
shift 3
root=$(pwd)
found=0
summary=()
shm=/dev/shm
[ -d "$shm" ] || shm=${TMPDIR:-/tmp}
# Not "ringside-*": the test suite checks that nothing of that name is
# left in /dev/shm, and a fuzz run may be going on beside it.
export FUZZ_TMPDIR=$shm/fuzz-ringside-run.$$
trap 'rm -rf "$FUZZ_TMPDIR"' EXIT

for t in "$@"; do
	bin=$(cd "$root" && realpath "${FUZZ_BIN_DIR:-$dir/bin-address-undefined}")/fuzz-$t
	logs=$root/$dir/logs/$t
	art=$root/$dir/artifacts/$t
	corpus=$root/$dir/corpus/$t
	mkdir -p "$logs" "$art" "$corpus"
	rm -f "$logs"/fuzz-*.log
	inputs=("$corpus")
	for d in "$root/$dir/seeds/$t" "$root/fuzz/corpus/$t" "$root/fuzz/regressions/$t"; do
		[ -d "$d" ] && inputs+=("$d")
	done
	echo "fuzz: $t for ${secs}s with $jobs worker(s)"
	before=$(ls "$art" | wc -l)
	(cd "$logs" && "$bin" -jobs="$jobs" -workers="$jobs" \
		-max_total_time="$secs" -print_final_stats=1 -close_fd_mask=3 \
		-timeout=25 -rss_limit_mb=2048 -artifact_prefix="$art/" \
		"${inputs[@]}" >/dev/null 2>&1)
	execs=$(cat "$logs"/fuzz-*.log 2>/dev/null |
		awk '/stat::number_of_executed_units/ { n += $2 } END { print n + 0 }')
	rate=$(cat "$logs"/fuzz-*.log 2>/dev/null |
		awk '/stat::average_exec_per_sec/ { n += $2 } END { print n + 0 }')
	new=$(( $(ls "$art" | wc -l) - before ))
	[ "$new" -gt 0 ] && found=1
	summary+=("$(printf '%-9s %14s execs %8s exec/s %3d finding(s) %6d corpus' \
		"$t" "$execs" "$rate" "$new" "$(ls "$corpus" | wc -l)")")
done

echo
echo "fuzz: ${secs}s per target, $jobs worker(s), $(date -u +%Y-%m-%d) on $(uname -n) ($(nproc) cores)"
printf '  %s\n' "${summary[@]}"
if [ "$found" -ne 0 ]; then
	echo "fuzz: findings are in $dir/artifacts/TARGET/; once fixed, move each" \
		"reproducer to fuzz/regressions/TARGET/ so make check replays it"
	exit 1
fi
