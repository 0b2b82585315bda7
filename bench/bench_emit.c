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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_trace.h"

#define EVENTS  (1u << 21)
#define RUNS    9
#define RING    (1u << 20)

/* Not static: the stores must not be optimised away. */
uint64_t *bare_ring;

/* `tsc` is a constant at each call site, so each loop is compiled once
 * with rdtsc and once with the index standing in for it. */
static inline void bare_body(uint32_t n, int tsc)
{
	uint64_t pos = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t *w = bare_ring + ((pos / 8) & (RING / 8 - 1));
		pos += 40;
		w[0] = (uint64_t)RS_EV_THREAD_BLOCK | (40ull << 16) | (7ull << 32);
		w[1] = tsc ? gt_rdtsc() : i + 1;
		w[2] = i;
		w[3] = ~(uint64_t)i;
		w[4] = 3;
		__asm__ __volatile__("" ::: "memory");
	}
}

static inline void emit_body(struct rs_header *h, uint32_t n, int tsc)
{
	for (uint32_t i = 0; i < n; i++)
		gt_emit_tsc(h, 0, tsc ? GT_TSC_NOW : i + 1, RS_EV_THREAD_BLOCK,
			    7, RS_EV_NARGS(THREAD_BLOCK), i, ~(uint64_t)i, 3);
}

__attribute__((noinline)) static void bare_loop(uint32_t n)
{
	bare_body(n, 1);
}

__attribute__((noinline)) static void emit_loop(struct rs_header *h, uint32_t n)
{
	emit_body(h, n, 1);
}

/* The same without rdtsc: what the protocol costs when the TSC read is
 * not there to hide it (bench/README.md, "Emit"). */
__attribute__((noinline)) static void bare_loop_notsc(uint32_t n)
{
	bare_body(n, 0);
}

__attribute__((noinline)) static void emit_loop_notsc(struct rs_header *h,
						      uint32_t n)
{
	emit_body(h, n, 0);
}

/* The emit's region and the bare loop's ring, both fresh. */
static struct rs_header *setup(void)
{
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
	return h;
}

void bench_emit(struct bench_results *res)
{
	double bare[RUNS], emit[RUNS], bare0[RUNS], emit0[RUNS];
	struct rs_header *h = setup();
	/* Warm both rings and the branch predictors. */
	bare_loop(EVENTS);
	emit_loop(h, EVENTS);
	for (int r = 0; r < RUNS; r++) {
		double t0 = bench_now();
		bare_loop(EVENTS);
		double t1 = bench_now();
		emit_loop(h, EVENTS);
		double t2 = bench_now();
		bare_loop_notsc(EVENTS);
		double t3 = bench_now();
		emit_loop_notsc(h, EVENTS);
		double t4 = bench_now();
		bare[r] = (t1 - t0) * 1e9 / EVENTS;
		emit[r] = (t2 - t1) * 1e9 / EVENTS;
		bare0[r] = (t3 - t2) * 1e9 / EVENTS;
		emit0[r] = (t4 - t3) * 1e9 / EVENTS;
	}
	res->bare_ns = bench_median(bare, RUNS);
	res->emit_ns = bench_median(emit, RUNS);
	res->bare_notsc_ns = bench_median(bare0, RUNS);
	res->emit_notsc_ns = bench_median(emit0, RUNS);
	free(h);
	free(bare_ring);
}

/* `ringside-bench --emit-loops N`: each loop once, N records, for
 * callgrind to count (bench_emit_ir). */
int bench_emit_loops(uint32_t n)
{
	struct rs_header *h = setup();
	bare_loop(n);
	emit_loop(h, n);
	free(h);
	free(bare_ring);
	return 0;
}

/* Instructions one loop function ran, inclusive, from callgrind_annotate
 * (the function's own line, not its callers' "=>" lines). */
static double loop_ir(const char *out, const char *fn)
{
	char txt[1200], line[256], prefix[64];

	snprintf(txt, sizeof(txt), "%s.%s.txt", out, fn);
	snprintf(prefix, sizeof(prefix), "%s ", fn);
	if (bench_sh("callgrind_annotate --inclusive=yes '%s' | awk"
		     " '/bench_emit[.]c:%s( |$)/ && !/=>/ { gsub(\",\", \"\");"
		     " print \"%s \" $1 }' >'%s'", out, fn, fn, txt) != 0 ||
	    bench_grep_last(txt, prefix, line, sizeof(line)) != 0)
		return BENCH_NONE;
	double v = strtod(line + strlen(prefix), NULL);
	return v > 0 ? v : BENCH_NONE;
}

/*
 * Instructions per record of the emit and of the bare loop, counted by
 * callgrind (repeatable to the instruction, unlike the ns figures on a
 * shared machine). Two record counts, and the difference is used, so
 * each loop's entry and exit cancel.
 */
void bench_emit_ir(struct bench_results *res, const char *self,
		   const char *dir)
{
	static const uint32_t n[2] = { 1u << 16, 1u << 18 };
	double bare[2], emit[2];

	if (bench_sh("valgrind --version >/dev/null 2>&1") != 0) {
		bench_note(res, "emit_ir: valgrind not installed");
		return;
	}
	printf("emit: instructions per record under callgrind\n");
	for (int i = 0; i < 2; i++) {
		char out[1100];
		snprintf(out, sizeof(out), "%s/callgrind.emit.%u", dir, n[i]);
		if (bench_sh("valgrind --tool=callgrind --dump-instr=yes "
			     "--callgrind-out-file='%s' '%s' --emit-loops %u "
			     ">'%s/emit-ir.log' 2>&1", out, self, n[i],
			     dir) != 0) {
			bench_note(res, "emit_ir: callgrind failed (see %s/"
				   "emit-ir.log)", dir);
			return;
		}
		bare[i] = loop_ir(out, "bare_loop");
		emit[i] = loop_ir(out, "emit_loop");
	}
	if (isnan(bare[0]) || isnan(bare[1]) || isnan(emit[0]) ||
	    isnan(emit[1])) {
		bench_note(res, "emit_ir: no count for a loop in %s/"
			   "callgrind.emit.*", dir);
		return;
	}
	res->bare_ir = (bare[1] - bare[0]) / (n[1] - n[0]);
	res->emit_ir = (emit[1] - emit[0]) / (n[1] - n[0]);
}
