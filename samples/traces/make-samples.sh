#!/bin/sh
# make-samples.sh - remake the sample traces and their pictures with the
# real tools (see README.md). Run from the repository root after `make`.
# The databases follow the store's schema, so a schema change means
# running this again.
set -eu
BIN=${BIN:-build/bin}
OUT=samples/traces
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT

collect() {  # name, then the collector's extra arguments
	name=$1; shift
	rm -f "$OUT/$name.db"
	"$BIN/ringside" collect "file:$TMP/$name.ring" "$@" -o "$OUT/$name.db"
	sqlite3 "$OUT/$name.db" 'PRAGMA journal_mode=DELETE' >/dev/null
	"$BIN/ringside-view" --render "$OUT/$name.png" "$OUT/$name.db"
}

"$BIN/ringside-hosted" --workload pingpong --count 20 --ring "$TMP/pingpong.ring" --quiet
collect pingpong

# crash dies in panic(), as it should
"$BIN/ringside-hosted" --workload crash --count 20 --ring "$TMP/crash.ring" --quiet || true
collect crash

# hang stops its heartbeat; the collector follows until it calls it hung
"$BIN/ringside-hosted" --workload hang --seconds 0.03 --ring "$TMP/hang.ring" --quiet &
guest=$!
sleep 0.5
collect hang --follow --hang-secs 1
kill "$guest" 2>/dev/null || true
wait "$guest" 2>/dev/null || true
