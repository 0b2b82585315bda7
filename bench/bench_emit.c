/*
 * bench_emit.c - guest-trace emit cost against a bare rdtsc-plus-store
 * loop, measured side by side in one run.
 *
 * The bare loop is the floor any in-memory tracer pays: read the TSC and
 * store a record of the same size into a ring, with no reservation, no
 * nesting safety and no publication. The ratio emit/bare is the price of
 * the protocol. Each figure is the median of several runs, interleaved so
 * that machine noise hits both alike.
 */
#include "bench.h"

#include <stdlib.h>

#include "guest_trace.h"

#define EVENTS  (1u << 21)
#define RUNS    9
#define RING    (1u << 20)

/* Not static: the stores must not be optimised away. */
uint64_t *bare_ring;

__attribute__((noinline)) static void bare_loop(uint32_t n)
{
	uint64_t pos = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t *w = bare_ring + ((pos / 8) & (RING / 8 - 1));
		pos += 40;
		w[0] = (uint64_t)RS_EV_THREAD_BLOCK | (40ull << 16) | (7ull << 32);
		w[1] = gt_rdtsc();
		w[2] = i;
		w[3] = ~(uint64_t)i;
		w[4] = 3;
		__asm__ __volatile__("" ::: "memory");
	}
}

__attribute__((noinline)) static void emit_loop(struct rs_header *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		gt_emit(h, 0, RS_EV_THREAD_BLOCK, 7, RS_EV_NARGS(THREAD_BLOCK),
			i, ~(uint64_t)i, 3);
}

void bench_emit(struct bench_results *res)
{
	double bare[RUNS], emit[RUNS];
	struct rs_header *h = aligned_alloc(RS_PAGE_SIZE, RS_HEADER_SIZE + RING);
	struct gt_config cfg = {
		.region_size = RS_HEADER_SIZE + RING, .ncpus = 1,
		.tsc_hz = 1000000000, .boot_tsc = 1, .nonce = 1,
	};

	/* A record at the ring's last offsets runs up to 32 bytes past it
	 * (40 does not divide RING): slack, so it stays in the allocation. */
	bare_ring = aligned_alloc(RS_PAGE_SIZE, RING + RS_PAGE_SIZE);
	if (!h || !bare_ring || gt_region_init(h, &cfg) != 0)
		abort();
	/* Warm both rings and the branch predictors. */
	bare_loop(EVENTS);
	emit_loop(h, EVENTS);
	for (int r = 0; r < RUNS; r++) {
		double t0 = bench_now();
		bare_loop(EVENTS);
		double t1 = bench_now();
		emit_loop(h, EVENTS);
		double t2 = bench_now();
		bare[r] = (t1 - t0) * 1e9 / EVENTS;
		emit[r] = (t2 - t1) * 1e9 / EVENTS;
	}
	res->bare_ns = bench_median(bare, RUNS);
	res->emit_ns = bench_median(emit, RUNS);
	free(h);
	free(bare_ring);
}
