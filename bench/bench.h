/*
 * bench.h - shared pieces of `make bench`: the results every benchmark
 * fills, timing and medians. Benchmarks print and record; they never fail
 * a build on a figure (bench_fail is for a benchmark that measured the
 * wrong thing, e.g. decoded fewer events than it wrote).
 */
#ifndef RS_BENCH_H
#define RS_BENCH_H

#include <stdint.h>

struct bench_results {
	double emit_ns, bare_ns;
	double decode_eps;
	uint64_t decode_events;
	double ingest_eps, bare_insert_eps;
	double bytes_per_event;
};

double bench_now(void);
double bench_median(double *v, int n);
void bench_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

void bench_emit(struct bench_results *res);
void bench_decode(struct bench_results *res);
void bench_ingest(struct bench_results *res, const char *dir);

#endif
