/*
 * smp_fixture.h - a trace of a guest on four CPUs with exact timestamps,
 * for the suites that check what the host makes of several CPUs (info's
 * clock skew, the report, the exports, the viewer). The real writer
 * (guest-trace) puts every record in the ring of its CPU, in a ring file,
 * and the real `ringside collect file:` stores it. The story (µs after
 * SMP_BASE_US; tsc_hz is 1 GHz, so 1 tick = 1 ns):
 *
 *   cpu 0  thread 1 "main" runs 10..1000; at 100 it wakes thread 2
 *          ("wa", blocked at 9) and sends cpu 1 a wake IPI; at 300 wakes
 *          thread 3 ("wb", blocked at 9) and switches to it at 310, back
 *          at 400 (same-CPU wake: 10 µs)
 *   cpu 1  thread 2 at 8, blocks at 9, idle 10..106, IPI received at 105,
 *          runs thread 2 from 110 (cross-CPU wake: 10 µs), lock waits
 *          runq 3 µs at 200 and heap 1 µs at 250, blocks and idles
 *          500..1000
 *   cpu 2  idle 10..600 (wake IPI received at 205), thread 4 ("wc")
 *          migrates in from cpu 3 at 600, runs 601..800 (a runq lock wait
 *          of 5 µs at 700), idle 800..1000
 *   cpu 3  thread 4 runs 10..590 (sends cpu 2 a wake IPI at 200), idle
 *          590..1000
 *
 * cpu1_skew_ns moves every cpu 1 stamp that much earlier: a clock behind
 * cpu 0's. With 20000, the IPI sent at 100 is received at 85 and thread
 * 2 runs at 90: cpu 1 is seen >= 15000 ns behind cpu 0.
 */
#ifndef RS_SMP_FIXTURE_H
#define RS_SMP_FIXTURE_H

#include <stdint.h>

#define SMP_CPUS 4
#define SMP_BASE_US 1000
/* ns after boot of a story time in µs */
#define SMP_NS(us) (((int64_t)SMP_BASE_US + (us)) * 1000)

/* The database (dir/smp.db, malloc'd) holding the story, collected. */
char *rs_smp_fixture(const char *dir, int64_t cpu1_skew_ns);

#endif
