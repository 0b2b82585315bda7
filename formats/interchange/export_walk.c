/*
 * export_walk.c - the CPUs' state, names and loss ranges shared by the
 * Chrome JSON and FXT exporters (export_walk.h).
 */
#include "export_walk.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "rs_decode.h"

static unsigned cpu_of(const struct rs_row *r)
{
	return r->cpu < RS_MAX_CPUS ? r->cpu : 0;
}

static void span_end(struct xw_cpus *c, unsigned cpu, int64_t ts,
		     xw_span_cb cb, void *opaque)
{
	struct xw_span s = { .cpu = cpu, .from = c->since[cpu], .to = ts,
			     .run = c->running[cpu], .idle = c->idle[cpu] };
	c->since[cpu] = ts;
	if (s.to <= s.from)             /* nothing ran */
		return;
	if (s.idle)
		snprintf(s.cpu_name, sizeof(s.cpu_name), "idle");
	else
		snprintf(s.cpu_name, sizeof(s.cpu_name), "thread %u", s.run);
	s.thread_name = s.run ? "running" : s.idle ? "idle" : "ctx 0";
	cb(opaque, &s);
}

void xw_event(struct xw_cpus *c, const struct rs_row *r, xw_span_cb cb,
	      void *opaque)
{
	const unsigned cpu = cpu_of(r);

	if (!c->seen[cpu]) {            /* nothing known before this */
		c->seen[cpu] = 1;
		c->since[cpu] = r->ts_ns;
	}
	switch (r->type) {
	case RS_EV_THREAD_SWITCH:
		span_end(c, cpu, r->ts_ns, cb, opaque);
		c->running[cpu] = (uint32_t)r->b;
		c->idle[cpu] = 0;
		break;
	case RS_EV_IDLE_ENTER:
	case RS_EV_IDLE_EXIT:
		span_end(c, cpu, r->ts_ns, cb, opaque);
		c->idle[cpu] = r->type == RS_EV_IDLE_ENTER;
		break;
	default:
		break;
	}
}

void xw_end(struct xw_cpus *c, int64_t ts, xw_span_cb cb, void *opaque)
{
	for (unsigned cpu = 0; cpu < RS_MAX_CPUS; cpu++)
		if (c->seen[cpu])
			span_end(c, cpu, ts, cb, opaque);
}

int64_t xw_slice_start(const struct xw_cpus *c, const struct rs_row *r)
{
	const unsigned cpu = cpu_of(r);
	if (c->seen[cpu] && !c->idle[cpu] && c->running[cpu] == r->ctx)
		return c->since[cpu];
	return r->ts_ns;
}

static const char *ipi_reason(uint64_t why)
{
	return why == RS_IPI_WAKE ? "wake" : why == RS_IPI_STOP ? "stop"
	       : "other";
}

void xw_cpu_instant_name(const struct rs_row *r, char *buf, size_t len)
{
	if (r->type == RS_EV_THREAD_MIGRATE)
		snprintf(buf, len, "migrate thread %" PRIu64 " from cpu %"
			 PRIu64, r->a, r->b);
	else if (r->type == RS_EV_IPI_SEND)
		snprintf(buf, len, "ipi to cpu %" PRIu64 " (%s)", r->a,
			 ipi_reason(r->b));
	else
		snprintf(buf, len, "ipi received (%s)", ipi_reason(r->a));
}

const char *xw_promise_verb(uint16_t type)
{
	switch (type) {
	case RS_EV_PROMISE_CREATE:  return "create";
	case RS_EV_PROMISE_READ:    return "read";
	case RS_EV_PROMISE_RESOLVE: return "resolve";
	case RS_EV_PROMISE_FAIL:    return "fail";
	case RS_EV_PROMISE_BECOMES: return "becomes";
	default:                    return NULL;
	}
}

void xw_gaps_init(struct xw_gaps *s, int64_t first, int64_t last)
{
	s->first = first;
	s->last = last;
	s->cpu = -1;
	s->prev_end = INT64_MIN;
}

void xw_gap_range(struct xw_gaps *s, const struct rs_gap *g, int64_t *from,
		  int64_t *to)
{
	int64_t f = g->from_ns >= 0 ? g->from_ns : s->first;
	int64_t t = g->to_ns >= 0 ? g->to_ns : s->last;

	if (g->cpu != s->cpu) {
		s->cpu = g->cpu;
		s->prev_end = INT64_MIN;
	}
	if (f < s->prev_end)
		f = s->prev_end;
	if (t < f)
		t = f;
	s->prev_end = t;
	*from = f;
	*to = t;
}

int xw_threads(sqlite3 *sql, int64_t trace,
	       void (*cb)(void *opaque, int64_t tid, const char *name),
	       void *opaque)
{
	sqlite3_stmt *s;
	int step;

	if (sqlite3_prepare_v2(sql, "SELECT tid, name FROM threads WHERE"
			       " trace_id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, trace);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);
		cb(opaque, sqlite3_column_int64(s, 0), name ? name : "?");
	}
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : -1;
}
