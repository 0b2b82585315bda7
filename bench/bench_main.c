/*
 * bench_main.c - runs every benchmark, prints one table of side-by-side
 * figures and their ratios, and writes build/bench/results.json.
 */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double bench_now(void)
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

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

int main(int argc, char **argv)
{
	struct bench_results r = { 0 };
	const char *json = argc > 1 ? argv[1] : "build/bench/results.json";

	bench_emit(&r);
	bench_decode(&r);
	bench_ingest(&r, argc > 2 ? argv[2] : "build/bench");

	printf("%-34s %14s %14s %9s\n", "benchmark", "ringside", "reference",
	       "ratio");
	printf("%-34s %11.2f ns %11.2f ns %9.3f   (target <= 1.25)\n",
	       "emit vs bare rdtsc+store", r.emit_ns, r.bare_ns,
	       r.emit_ns / r.bare_ns);
	printf("%-34s %10.1f M/s %14s\n", "decode (events/s)",
	       r.decode_eps / 1e6, "-");
	printf("%-34s %10.2f M/s %10.2f M/s %9.3f   (target >= 0.7, >= 3 M/s)\n",
	       "ingest vs bare prepared insert", r.ingest_eps / 1e6,
	       r.bare_insert_eps / 1e6, r.ingest_eps / r.bare_insert_eps);
	printf("%-34s %11.1f B %14s\n", "database bytes per event",
	       r.bytes_per_event, "-");

	FILE *f = fopen(json, "w");
	if (!f)
		bench_fail("cannot write %s", json);
	fprintf(f, "{\n  \"emit_ns\": %.3f,\n  \"bare_ns\": %.3f,\n"
		"  \"decode_eps\": %.0f,\n  \"decode_events\": %llu,\n"
		"  \"ingest_eps\": %.0f,\n  \"bare_insert_eps\": %.0f,\n"
		"  \"bytes_per_event\": %.1f\n}\n",
		r.emit_ns, r.bare_ns, r.decode_eps,
		(unsigned long long)r.decode_events, r.ingest_eps,
		r.bare_insert_eps, r.bytes_per_event);
	fclose(f);
	printf("results: %s\n", json);
	return 0;
}
