/*
 * export_walk.h - what the two timeline exporters (Chrome JSON and FXT)
 * follow alike along the event stream: which context runs on each CPU
 * since when (so that a switch or an idle change ends a span), the names
 * of the CPUs' instants and of the promise events, and where a loss
 * starts and ends. Not part of export.h's interface.
 */
#ifndef RS_EXPORT_WALK_H
#define RS_EXPORT_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "trace_read.h"

/* ctx 0 (boot, idle, interrupts) of CPU n has a track of its own: every
 * CPU has its own ctx 0. Its id is XW_CTX0 + n. */
#define XW_CTX0 0x40000000u

static inline uint32_t xw_ctx(uint32_t ctx, unsigned cpu)
{
	return ctx ? ctx : XW_CTX0 + cpu;
}

struct xw_cpus {
	uint32_t running[RS_MAX_CPUS];   /* the context switched to */
	int64_t since[RS_MAX_CPUS];
	int idle[RS_MAX_CPUS];
	int seen[RS_MAX_CPUS];           /* any event on it yet */
};

/* A CPU's span that ended: [from, to) with `run` (0: ctx 0) on it, or
 * idle; cpu_name is "thread N" or "idle", thread_name what the thread's
 * own track calls it ("running", or on ctx 0 "idle" or "ctx 0"). */
struct xw_span {
	unsigned cpu;
	int64_t from, to;
	uint32_t run;
	int idle;
	char cpu_name[32];
	const char *thread_name;
};

typedef void (*xw_span_cb)(void *opaque, const struct xw_span *s);

/* Follows one event: its CPU's first event starts what is known of it; a
 * switch or an idle change ends the CPU's span (cb). */
void xw_event(struct xw_cpus *c, const struct rs_row *r, xw_span_cb cb,
	      void *opaque);
/* Ends every CPU's span at `ts` (the trace's, or the window's, end). */
void xw_end(struct xw_cpus *c, int64_t ts, xw_span_cb cb, void *opaque);
/* The start of the span the event's context is in on its CPU, or its own
 * ts when that is not known (another context runs there, or idle). */
int64_t xw_slice_start(const struct xw_cpus *c, const struct rs_row *r);

/* "migrate thread 4 from cpu 3", "ipi to cpu 1 (wake)", "ipi received
 * (wake)". */
void xw_cpu_instant_name(const struct rs_row *r, char *buf, size_t len);
/* "create", "read", "resolve", "fail", "becomes" for the promise events
 * both exporters draw, else NULL. */
const char *xw_promise_verb(uint16_t type);

/* Losses as ranges: from the last record before the gap to the first
 * after it (the trace's first or last time where unknown), clipped so
 * that a CPU's losses never overlap. Gaps come by CPU, then time. */
struct xw_gaps {
	int64_t first, last;
	int cpu;
	int64_t prev_end;
};
void xw_gaps_init(struct xw_gaps *s, int64_t first, int64_t last);
void xw_gap_range(struct xw_gaps *s, const struct rs_gap *g, int64_t *from,
		  int64_t *to);

/* Each kernel thread of the trace with its name ("?" if none): 0, or -1
 * on an SQLite error (on `sql`). */
struct sqlite3;
int xw_threads(struct sqlite3 *sql, int64_t trace,
	       void (*cb)(void *opaque, int64_t tid, const char *name),
	       void *opaque);

#endif
