/*
 * lag.c - measuring emit -> row latency for `ringside run --lag-report`.
 *
 * Under QEMU TCG the guest's RDTSC is the host's TSC minus the host TSC
 * at the moment the VM started running (QEMU enables its tick counter on
 * `cont`), so host and guest timestamps differ by one constant T0. We do
 * not know T0 exactly, but every event was emitted before the batch that
 * holds it was committed, so for each event d = host_tsc_at_commit -
 * guest_tsc >= T0, and the smallest d bounds T0 from above. A busy guest
 * emits right before most reads, so min(d) is within a microsecond or so
 * of T0; lag = d - min(d) then slightly underestimates (never overstates)
 * the true latency. As a cross-check we also print min(d) against the host
 * TSC read when `cont` was sent: they should agree to well under a ms.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "lag.h"
#include "mono.h"

#define MAX_SAMPLES (8u << 20)

struct rs_lag {
	double qemu_started, first_event_at;
	uint64_t tsc_at_start, tsc_cont;
	double mono_at_start;
	uint64_t *d;
	size_t n, cap;
	uint64_t total, min_tsc, max_tsc;
};

struct rs_lag *rs_lag_new(double qemu_started)
{
	struct rs_lag *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->qemu_started = qemu_started;
	l->tsc_at_start = __rdtsc();
	l->mono_at_start = rs_mono_now();
	l->min_tsc = UINT64_MAX;
	return l;
}

void rs_lag_vm_started(struct rs_lag *l)
{
	if (l)
		l->tsc_cont = __rdtsc();
}

void rs_lag_committed(void *opaque, const uint64_t *tsc, size_t n)
{
	struct rs_lag *l = opaque;
	uint64_t now = __rdtsc();

	if (!l->first_event_at)
		l->first_event_at = rs_mono_now();
	for (size_t i = 0; i < n; i++) {
		l->total++;
		if (tsc[i] < l->min_tsc)
			l->min_tsc = tsc[i];
		if (tsc[i] > l->max_tsc)
			l->max_tsc = tsc[i];
		if (l->n == l->cap) {
			if (l->cap >= MAX_SAMPLES)
				continue;
			size_t cap = l->cap ? l->cap * 2 : 65536;
			uint64_t *p = realloc(l->d, cap * sizeof(*p));
			if (!p)
				continue;
			l->d = p;
			l->cap = cap;
		}
		l->d[l->n++] = now - tsc[i];
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void rs_lag_report(struct rs_lag *l, FILE *out)
{
	/* Host TSC rate, calibrated over the run against CLOCK_MONOTONIC. */
	double secs = rs_mono_now() - l->mono_at_start;
	double hz = secs > 0 ? (double)(__rdtsc() - l->tsc_at_start) / secs : 0;

	if (!l->n || hz <= 0) {
		fprintf(out, "lag: no events collected\n");
		return;
	}
	qsort(l->d, l->n, sizeof(l->d[0]), cmp_u64);
	uint64_t t0 = l->d[0];
	double us = 1e6 / hz;
	fprintf(out, "lag: QEMU start -> first event stored: %.1f ms\n",
		(l->first_event_at - l->qemu_started) * 1e3);
	if (l->max_tsc > l->min_tsc)
		fprintf(out, "lag: guest emitted %llu events in %.3f s of guest time:"
			" %.0f events/s\n", (unsigned long long)l->total,
			(double)(l->max_tsc - l->min_tsc) / hz,
			(double)(l->total - 1) * hz / (double)(l->max_tsc - l->min_tsc));
	fprintf(out, "lag: emit -> committed row over %zu events: p50 %.0f us,"
		" p99 %.0f us, max %.0f us\n", l->n,
		(double)(l->d[l->n / 2] - t0) * us,
		(double)(l->d[(size_t)((double)l->n * 0.99)] - t0) * us,
		(double)(l->d[l->n - 1] - t0) * us);
	if (l->tsc_cont)
		fprintf(out, "lag: clock check: estimated VM start is %.0f us after"
			" `cont` was sent (expect 0..a few hundred)\n",
			((double)t0 - (double)l->tsc_cont) * us);
}

void rs_lag_free(struct rs_lag *l)
{
	if (l)
		free(l->d);
	free(l);
}
