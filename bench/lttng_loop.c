/*
 * lttng_loop.c - ringside-bench-lttng: times the ringside_bench:record
 * LTTng-UST tracepoint, the reference side of the emit row.
 *
 * A program of its own because liblttng-ust registers with the session
 * daemon from its constructor: bench_lttng.c starts the daemon and the
 * session first, then runs this, so the tracepoint is enabled before
 * main() and every timed event is really written to a ring buffer. The
 * method is bench_emit.c's: the same record payload, a warm-up run, then
 * the median ns/event of several runs.
 *
 * Prints one line, "lttng_ust_ns <median> events <n>", or exits 3 with a
 * reason when the tracepoint is not enabled (timing it would measure a
 * predicted-not-taken branch, not LTTng).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lttng_tp.h"

#define EVENTS (1u << 21)
#define RUNS   9

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Type 7 (thread block), ctx 7, three arguments: bench_emit.c's record. */
__attribute__((noinline)) static void lttng_loop(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		lttng_ust_tracepoint(ringside_bench, record, 7, 7, i,
				     ~(uint64_t)i, 3);
}

int main(void)
{
	double ns[RUNS];

	if (!lttng_ust_tracepoint_enabled(ringside_bench, record)) {
		fprintf(stderr, "ringside_bench:record is not enabled (no "
			"session daemon registration?)\n");
		return 3;
	}
	lttng_loop(EVENTS);
	for (int r = 0; r < RUNS; r++) {
		double t0 = now();
		lttng_loop(EVENTS);
		ns[r] = (now() - t0) * 1e9 / EVENTS;
	}
	qsort(ns, RUNS, sizeof(ns[0]), cmp_double);
	printf("lttng_ust_ns %.3f events %u\n", ns[RUNS / 2],
	       EVENTS * (RUNS + 1));
	return 0;
}
