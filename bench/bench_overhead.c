/*
 * bench_overhead.c - what tracing costs a promise-heavy kernel workload:
 * the hosted kernel's pingpong (two threads handing promises back and
 * forth, about 20 trace records per round trip) built with tracing on and
 * with tracing compiled out (-DKERNEL_TRACE=0, bench.mk), side by side.
 *
 * The figure is instructions counted by callgrind, which repeats to the
 * instruction on a shared, noisy machine where wall time would not. Each
 * build runs at two round counts and the difference is used, so start-up
 * and ring initialisation (identical in both, but large next to a short
 * run) cancel out: overhead_pct is the cost per round trip. The timer
 * tick is off (--tick-hz 0) so no signal lands at a run-dependent point.
 * A wall-clock figure is taken too, for scale, not for the target.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS_1    20000
#define ROUNDS_2    60000
#define WALL_ROUNDS 1000000
#define WALL_RUNS   3
#define XWAKE_ROUNDS_1 2000
#define XWAKE_ROUNDS_2 6000

/* Instructions for one whole run of `workload` (with `opts`), from
 * callgrind's "summary:" line. */
static double count_ir_of(const char *bin, const char *dir, const char *tag,
			  const char *workload, const char *opts,
			  unsigned rounds)
{
	char out[1100], line[128];

	snprintf(out, sizeof(out), "%s/callgrind.%s.%u", dir, tag, rounds);
	if (bench_sh("valgrind --tool=callgrind --callgrind-out-file='%s' "
		     "'%s' --workload %s --ring '%s/overhead.ring' "
		     "--count %u %s --quiet >'%s/overhead.log' 2>&1",
		     out, bin, workload, dir, rounds, opts, dir) != 0 ||
	    bench_grep_last(out, "summary: ", line, sizeof(line)) != 0)
		return BENCH_NONE;
	return strtod(line + strlen("summary: "), NULL);
}

static double count_ir(const char *bin, const char *dir, const char *tag,
		       unsigned rounds)
{
	return count_ir_of(bin, dir, tag, "pingpong", "--tick-hz 0", rounds);
}

/*
 * The cross-CPU wake: pingpong on two hosted CPUs keeps ping on CPU 0 and
 * pong on CPU 1, so each resolution wakes a waiter on the other CPU (its
 * run queue, then an IPI when that CPU idles). The whole run's count is
 * not repeatable there (a CPU spins or idles for as long as the other
 * takes, which valgrind's scheduler decides), but sched_wake's inclusive
 * count is: it holds no wait. Its instructions for one run, from
 * callgrind_annotate's inclusive listing.
 */
static double count_wake_ir(const char *bin, const char *dir, const char *tag,
			    unsigned rounds)
{
	char out[1100], line[256];

	snprintf(out, sizeof(out), "%s/callgrind.xwake.%s.%u", dir, tag, rounds);
	/* the function's own line, not its callers' "=>" lines */
	if (bench_sh("valgrind --tool=callgrind --callgrind-out-file='%s' "
		     "'%s' --workload pingpong --ring '%s/overhead.ring' "
		     "--count %u --tick-hz 0 --cpus 2 --quiet >'%s/overhead.log'"
		     " 2>&1 && callgrind_annotate --inclusive=yes '%s' | awk"
		     " '/sched[.]c:sched_wake$/ && !/=>/ { gsub(\",\", \"\", $1);"
		     " print \"wake_ir \" $1 }' >'%s.txt'",
		     out, bin, dir, rounds, dir, out, out) != 0)
		return BENCH_NONE;
	char txt[1200];
	snprintf(txt, sizeof(txt), "%s.txt", out);
	if (bench_grep_last(txt, "wake_ir ", line, sizeof(line)) != 0)
		return BENCH_NONE;
	double v = strtod(line + strlen("wake_ir "), NULL);
	return v > 0 ? v : BENCH_NONE;
}

static double wall_ns_per_round(const char *bin, const char *dir)
{
	double t0 = bench_now();
	if (bench_sh("'%s' --workload pingpong --ring '%s/overhead.ring' "
		     "--count %u --tick-hz 0 --quiet", bin, dir,
		     WALL_ROUNDS) != 0)
		return BENCH_NONE;
	return (bench_now() - t0) * 1e9 / WALL_ROUNDS;
}

void bench_overhead(struct bench_results *res, const char *dir)
{
	char on[1024], off[1024];
	double won[WALL_RUNS], woff[WALL_RUNS];

	snprintf(on, sizeof(on), "%s/ringside-hosted", BENCH_BIN_DIR);
	snprintf(off, sizeof(off), "%s/ringside-hosted-notrace", BENCH_DIR);

	/* Wall clock first, interleaved so machine noise hits both. */
	for (int r = 0; r < WALL_RUNS; r++) {
		won[r] = wall_ns_per_round(on, dir);
		woff[r] = wall_ns_per_round(off, dir);
	}
	res->overhead_wall_on_ns = bench_median(won, WALL_RUNS);
	res->overhead_wall_off_ns = bench_median(woff, WALL_RUNS);
	res->overhead_wall_pct = (res->overhead_wall_on_ns -
				  res->overhead_wall_off_ns) /
				 res->overhead_wall_off_ns * 100;

	if (bench_sh("valgrind --version >/dev/null 2>&1") != 0) {
		bench_note(res, "overhead: valgrind not installed, no "
			   "instruction counts");
		return;
	}
	printf("overhead: pingpong under callgrind, tracing on and off\n");
	double on1 = count_ir(on, dir, "on", ROUNDS_1);
	double on2 = count_ir(on, dir, "on", ROUNDS_2);
	double off1 = count_ir(off, dir, "off", ROUNDS_1);
	double off2 = count_ir(off, dir, "off", ROUNDS_2);
	if (isnan(on1) || isnan(on2) || isnan(off1) || isnan(off2)) {
		bench_note(res, "overhead: a callgrind run failed (see %s/"
			   "overhead.log)", dir);
		return;
	}
	res->overhead_ir_on = (on2 - on1) / (ROUNDS_2 - ROUNDS_1);
	res->overhead_ir_off = (off2 - off1) / (ROUNDS_2 - ROUNDS_1);
	res->overhead_pct = (res->overhead_ir_on - res->overhead_ir_off) /
			    res->overhead_ir_off * 100;
}

void bench_xwake(struct bench_results *res, const char *dir)
{
	char on[1024], off[1024];

	snprintf(on, sizeof(on), "%s/ringside-hosted", BENCH_BIN_DIR);
	snprintf(off, sizeof(off), "%s/ringside-hosted-notrace", BENCH_DIR);
	if (bench_sh("valgrind --version >/dev/null 2>&1") != 0) {
		bench_note(res, "xwake: valgrind not installed");
		return;
	}
	/* Per cross-CPU wake: two per round trip (each side wakes the
	 * other); the difference of two round counts cancels start-up. */
	printf("overhead: cross-CPU wakes under callgrind, tracing on and off\n");
	double w_on1 = count_wake_ir(on, dir, "on", XWAKE_ROUNDS_1);
	double w_on2 = count_wake_ir(on, dir, "on", XWAKE_ROUNDS_2);
	double w_off1 = count_wake_ir(off, dir, "off", XWAKE_ROUNDS_1);
	double w_off2 = count_wake_ir(off, dir, "off", XWAKE_ROUNDS_2);
	if (isnan(w_on1) || isnan(w_on2) || isnan(w_off1) || isnan(w_off2)) {
		bench_note(res, "overhead: the cross-CPU wake count failed (see"
			   " %s/callgrind.xwake.*)", dir);
		return;
	}
	const double wakes = 2.0 * (XWAKE_ROUNDS_2 - XWAKE_ROUNDS_1);
	res->xwake_ir_on = (w_on2 - w_on1) / wakes;
	res->xwake_ir_off = (w_off2 - w_off1) / wakes;
}

/*
 * The demo workload (a small web server: a device interrupt every 8 ms,
 * a handler thread per request with timers, allocations, labelled
 * promise chains), tracing on against compiled out, in instructions per
 * request. Unlike pingpong it cannot run without its tick (the tick
 * drives its device and its timers), so its count is not repeatable to
 * the instruction: how many ticks find the CPU idle, and where a tick
 * lands, follow wall time. So each build runs DEMO_RUNS times at two
 * request counts (the difference cancels start-up), interleaved, and
 * the median per-request figures give the overhead; the smallest and
 * largest overhead over the runs paired in order show the spread.
 */
#define DEMO_REQ_1 20
#define DEMO_REQ_2 60
#define DEMO_RUNS  3

void bench_overhead_demo(struct bench_results *res, const char *dir)
{
	char on[1024], off[1024];
	double ir_on[DEMO_RUNS], ir_off[DEMO_RUNS], pct[DEMO_RUNS];
	const char *opts = "--tick-hz 1000";

	snprintf(on, sizeof(on), "%s/ringside-hosted", BENCH_BIN_DIR);
	snprintf(off, sizeof(off), "%s/ringside-hosted-notrace", BENCH_DIR);
	if (bench_sh("valgrind --version >/dev/null 2>&1") != 0) {
		bench_note(res, "overhead_demo: valgrind not installed");
		return;
	}
	printf("overhead: demo under callgrind, tracing on and off, %d runs\n",
	       DEMO_RUNS);
	for (int r = 0; r < DEMO_RUNS; r++) {
		double v[4] = {
			count_ir_of(on, dir, "demo.on", "demo", opts, DEMO_REQ_1),
			count_ir_of(on, dir, "demo.on", "demo", opts, DEMO_REQ_2),
			count_ir_of(off, dir, "demo.off", "demo", opts, DEMO_REQ_1),
			count_ir_of(off, dir, "demo.off", "demo", opts, DEMO_REQ_2),
		};
		for (int i = 0; i < 4; i++)
			if (isnan(v[i])) {
				bench_note(res, "overhead_demo: a callgrind run "
					   "failed (see %s/overhead.log)", dir);
				return;
			}
		ir_on[r] = (v[1] - v[0]) / (DEMO_REQ_2 - DEMO_REQ_1);
		ir_off[r] = (v[3] - v[2]) / (DEMO_REQ_2 - DEMO_REQ_1);
		pct[r] = (ir_on[r] - ir_off[r]) / ir_off[r] * 100;
	}
	res->overhead_demo_ir_on = bench_median(ir_on, DEMO_RUNS);
	res->overhead_demo_ir_off = bench_median(ir_off, DEMO_RUNS);
	res->overhead_demo_pct = (res->overhead_demo_ir_on -
				  res->overhead_demo_ir_off) /
				 res->overhead_demo_ir_off * 100;
	bench_median(pct, DEMO_RUNS);   /* sorts: first and last are the ends */
	res->overhead_demo_pct_min = pct[0];
	res->overhead_demo_pct_max = pct[DEMO_RUNS - 1];
	bench_note(res, "overhead_demo: %d runs, overhead %.1f-%.1f %%",
		   DEMO_RUNS, pct[0], pct[DEMO_RUNS - 1]);
}
