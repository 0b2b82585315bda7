/*
 * export_chrome.c - a trace database as Chrome Trace Event JSON, for the
 * Perfetto UI and DevTools' Performance panel.
 *
 * Tracks: process 1 holds one track per kernel thread (its run slices,
 * and a short "promise" slice at each create, read, resolve, fail and
 * becomes it did, which the flows bind to); process 2 one track per CPU,
 * tid = the CPU (which thread ran, and idle; migrations and IPIs as
 * instants on the CPU's track); process 3 the promises' lifetimes as
 * slices, on as many lanes (tids) as it takes for no two slices of a lane
 * to overlap (export_chrome_flows.c); process 4 one track per CPU with
 * its losses, each a slice from the last record before the gap to the
 * first after it. Counters become counter tracks; the panic is a global
 * instant, so it cannot be missed. Every X carries a dur.
 *
 * Times. Readers parse ts and dur into doubles and add them: with ts and
 * dur as decimal microseconds to the ns (3 decimals), ts + dur of a slice
 * often lands a hair after the next slice's ts, and the reader sees two
 * slices overlap that only touched (speedscope warned on 33 in the demo).
 * So every time is written as a whole number of 1/1024 us (0.977 ns), the
 * nearest to its ns: such numbers are exact in binary, every sum and
 * difference a reader makes of them is exact, and ns -> tick is strictly
 * increasing (1.024 ticks per ns), so order and equality are kept; no time
 * moves by more than half a tick (0.49 ns). They are still exact decimals
 * (k / 1024 has at most 10 decimals).
 *
 * A window (--from/--to): the events are read from the start (who runs on
 * each CPU at the window's start is known only from before it), slices
 * are clipped to the window, and flows are written only when both ends
 * lie in it. Nothing is held per event: the events stream through, and
 * the promises' lanes and flows come from SQLite.
 */
#include "chrome_json.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_decode.h"

/* The writer is the export's hot loop (a 10 M-event trace is about
 * 1.7 GB of JSON): numbers are formatted by hand and written unlocked,
 * rather than through printf. */
void cj_u64(FILE *f, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	fwrite_unlocked(d + i, 1, sizeof(d) - i, f);
}

static void put(FILE *f, const char *s)
{
	fputs_unlocked(s, f);
}

/* JSON string body with escapes; guest strings may hold anything. */
void cj_str(FILE *f, const char *s)
{
	putc_unlocked('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			putc_unlocked('\\', f);
			putc_unlocked(c, f);
		} else if (c < 0x20 || c >= 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else {
			putc_unlocked(c, f);
		}
	}
	putc_unlocked('"', f);
}

void cj_sep(struct chrome *c)
{
	put(c->f, c->first ? "\n" : ",\n");
	c->first = 0;
}

/* ns -> ticks of 1/1024 us, rounded to nearest: 1024/1000 = 128/125.
 * |ns| < 2^54 keeps ns * 256 inside int64 (208 days). */
static int64_t ticks(int64_t ns)
{
	const int64_t lim = (int64_t)1 << 54;
	if (ns > lim)
		ns = lim;
	if (ns < -lim)
		ns = -lim;
	return ns >= 0 ? (ns * 256 + 125) / 250 : -((-ns * 256 + 125) / 250);
}

/* k / 1024 us, exactly: 1/1024 = 0.0009765625. */
static void put_ticks(FILE *f, int64_t k)
{
	if (k < 0) {
		putc_unlocked('-', f);
		k = -k;
	}
	uint64_t frac = (uint64_t)(k & 1023) * 9765625;     /* ten decimals */
	cj_u64(f, (uint64_t)k >> 10);
	if (frac) {
		char d[11];
		int n = 10;
		for (int i = 9; i >= 0; i--, frac /= 10)
			d[i] = (char)('0' + frac % 10);
		while (d[n - 1] == '0')
			n--;
		putc_unlocked('.', f);
		fwrite_unlocked(d, 1, (size_t)n, f);
	}
}

void cj_ts(FILE *f, int64_t ns)
{
	put_ticks(f, ticks(ns));
}

void cj_span(FILE *f, int64_t from, int64_t to)
{
	const int64_t k0 = ticks(from), k1 = ticks(to);
	put(f, "\"ts\":");
	put_ticks(f, k0);
	put(f, ",\"dur\":");
	put_ticks(f, k1 > k0 ? k1 - k0 : 0);
}

void cj_slice(struct chrome *c, int pid, uint32_t tid, const char *cat,
	      const char *name, int64_t from, int64_t to, const char *args)
{
	if (from < c->from)
		from = c->from;
	if (to > c->to)
		to = c->to;
	if (to < from)
		return;
	cj_sep(c);
	put(c->f, "{\"ph\":\"X\",\"cat\":\"");
	put(c->f, cat);
	put(c->f, "\",\"pid\":");
	cj_u64(c->f, (uint64_t)pid);
	put(c->f, ",\"tid\":");
	cj_u64(c->f, tid);
	put(c->f, ",\"name\":");
	cj_str(c->f, name);
	putc_unlocked(',', c->f);
	cj_span(c->f, from, to);
	if (args) {
		put(c->f, ",\"args\":{");
		put(c->f, args);
		putc_unlocked('}', c->f);
	}
	putc_unlocked('}', c->f);
}

static int in_window(const struct chrome *c, int64_t ts)
{
	return ts >= c->from && ts <= c->to;
}

static void meta_name(struct chrome *c, const char *what, int pid,
		      int64_t tid, const char *name)
{
	cj_sep(c);
	fprintf(c->f, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d", what, pid);
	if (tid >= 0)
		fprintf(c->f, ",\"tid\":%" PRId64, tid);
	fputs(",\"args\":{\"name\":", c->f);
	cj_str(c->f, name);
	fputs("}}", c->f);
}

/* A CPU's span ended: on the CPU's track (which thread ran, or idle),
 * and on the thread track of what ran (a kernel thread, or the CPU's
 * ctx 0: boot, idle, interrupts). */
static void on_span(void *opaque, const struct xw_span *s)
{
	struct chrome *c = opaque;
	cj_slice(c, PID_CPUS, s->cpu, CAT_CPU, s->cpu_name, s->from, s->to,
		 NULL);
	cj_slice(c, PID_THREADS, xw_ctx(s->run, s->cpu), CAT_FLOW,
		 s->thread_name, s->from, s->to, NULL);
}

/* An instant on a thread's (s = "t") or the whole trace's (s = "g")
 * track. */
static void instant(struct chrome *c, int pid, uint32_t tid, char scope,
		    const char *name, int64_t ts)
{
	cj_sep(c);
	fprintf(c->f, "{\"ph\":\"i\",\"s\":\"%c\",\"pid\":%d,\"tid\":%u,"
		"\"name\":", scope, pid, tid);
	cj_str(c->f, name);
	fputs(",\"ts\":", c->f);
	cj_ts(c->f, ts);
	fputc('}', c->f);
}

/* What crosses between CPUs, as an instant on the CPU's own track: a
 * migration on the CPU the thread moved to, an IPI on its sender and on
 * its receiver. */
static void cpu_instant(struct chrome *c, unsigned cpu, const struct rs_row *r)
{
	char name[96];
	xw_cpu_instant_name(r, name, sizeof(name));
	instant(c, PID_CPUS, cpu, 't', name, r->ts_ns);
}

/* A promise event as a 1 ns slice on the thread that did it: what the
 * flows of export_chrome_flows.c bind to, at this very ts. */
static void promise_mark(struct chrome *c, const struct rs_row *r,
			 unsigned cpu, const char *verb)
{
	char args[96];

	if (r->type == RS_EV_PROMISE_BECOMES)
		snprintf(args, sizeof(args), "\"promise\":%" PRIu64
			 ",\"follows\":%" PRIu64, r->a, r->b);
	else
		snprintf(args, sizeof(args), "\"promise\":%" PRIu64, r->a);
	const uint32_t tid = xw_ctx(r->ctx, cpu);
	cj_slice(c, PID_THREADS, tid, CAT_FLOW, verb, r->ts_ns, r->ts_ns + 1,
		 args);
	/* The slice it happened in (as clipped to the window), where a
	 * creates flow starts. */
	int64_t start = xw_slice_start(&c->cpus, r);
	cj_event(c->add_ev, &c->add_rc, r, tid, start > c->from ? start : c->from);
}

static void counter(struct chrome *c, const struct rs_row *r)
{
	cj_sep(c);
	fputs("{\"ph\":\"C\",\"pid\":1,\"name\":", c->f);
	/* heap and runq_len are counters named after their type */
	cj_str(c->f, r->type == RS_EV_COUNTER ? r->str : rs_event_name(r->type));
	fputs(",\"ts\":", c->f);
	cj_ts(c->f, r->ts_ns);
	fprintf(c->f, ",\"args\":{\"value\":%" PRIu64 "}}", r->a);
}

static int on_event(void *opaque, const struct rs_row *r)
{
	struct chrome *c = opaque;
	const unsigned cpu = r->cpu < RS_MAX_CPUS ? r->cpu : 0;
	const char *verb = xw_promise_verb(r->type);

	c->last_ts = r->ts_ns;
	xw_event(&c->cpus, r, on_span, c);
	/* Before the window only the CPUs' state is followed. */
	if (!in_window(c, r->ts_ns))
		return 0;
	c->events++;
	switch (r->type) {
	case RS_EV_COUNTER:
	case RS_EV_HEAP:
	case RS_EV_RUNQ_LEN:
		counter(c, r);
		break;
	case RS_EV_THREAD_MIGRATE:
	case RS_EV_IPI_SEND:
	case RS_EV_IPI_RECV:
		cpu_instant(c, cpu, r);
		break;
	case RS_EV_MARK:
		instant(c, PID_THREADS, xw_ctx(r->ctx, cpu), 't',
			r->str ? r->str : "", r->ts_ns);
		break;
	default:
		if (verb)
			promise_mark(c, r, cpu, verb);
		break;
	}
	return 0;
}

/* A loss as a range on its CPU's "lost" track (export_walk.h). */
struct gap_state {
	struct chrome *c;
	struct xw_gaps g;
};

static int on_gap(void *opaque, const struct rs_gap *g)
{
	struct gap_state *s = opaque;
	char name[64], args[64];
	int64_t from, to;

	xw_gap_range(&s->g, g, &from, &to);
	snprintf(name, sizeof(name), "lost %" PRIu64 " records", g->count);
	snprintf(args, sizeof(args), "\"count\":%" PRIu64, g->count);
	cj_slice(s->c, PID_LOST, g->cpu, CAT_LOST, name, from, to, args);
	return 0;
}

/* The panic as a global instant event, with its reason. */
static void write_panic(struct chrome *c, const struct rs_trace_meta *m)
{
	char name[RS_REASON_LEN + 16];

	if (!in_window(c, m->panic_ts_ns))
		return;
	snprintf(name, sizeof(name), "panic: %s", m->panic_reason);
	cj_sep(c);
	fputs("{\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":0,\"name\":", c->f);
	cj_str(c->f, name);
	fputs(",\"ts\":", c->f);
	cj_ts(c->f, m->panic_ts_ns);
	fprintf(c->f, ",\"args\":{\"reason\":");
	cj_str(c->f, m->panic_reason);
	fprintf(c->f, ",\"cpu\":%u,\"rip\":\"0x%" PRIx64 "\"}}", m->panic_cpu,
		m->panic_rip);
}

static void thread_name(void *opaque, int64_t tid, const char *name)
{
	meta_name(opaque, "thread_name", PID_THREADS, tid, name);
}

static void write_names(struct chrome *c, sqlite3 *sql,
			const struct rs_trace_meta *m, int *rc)
{
	meta_name(c, "process_name", PID_THREADS, -1, "kernel threads");
	meta_name(c, "process_name", PID_CPUS, -1, "CPUs");
	meta_name(c, "process_name", PID_PROMISES, -1, "promises");
	meta_name(c, "process_name", PID_LOST, -1, "lost records");
	for (unsigned cpu = 0; cpu < m->ncpus; cpu++) {
		char name[32];
		snprintf(name, sizeof(name), "cpu %u", cpu);
		meta_name(c, "thread_name", PID_CPUS, cpu, name);
		meta_name(c, "thread_name", PID_LOST, cpu, name);
		snprintf(name, sizeof(name), "cpu %u ctx 0", cpu);
		meta_name(c, "thread_name", PID_THREADS, xw_ctx(0, cpu), name);
	}
	if (xw_threads(sql, m->id, thread_name, c) != 0)
		*rc = -1;
}

int rs_export_chrome_window(struct rs_trace_db *db,
			    const struct rs_export_opts *o, const char *path,
			    uint64_t *events_out, char *err, size_t errlen)
{
	assert(db && o && path && err && errlen > 0);
	struct rs_trace_meta m;
	struct chrome c = { .first = 1, .from = o->from_ns, .to = o->to_ns };
	sqlite3 *sql = rs_trace_sqlite(db);
	int rc = 0;

	if (rs_trace_meta(db, o->trace_id, &m) != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		return -1;
	}
	c.f = fopen(path, "w");
	if (!c.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	setvbuf(c.f, NULL, _IOFBF, 1 << 20);
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", c.f);
	write_names(&c, sql, &m, &rc);
	/* The events come through trace_read, which keeps its own reason
	 * (a corrupt chunk is no SQLite error). */
	const char *why = NULL;
	if (rc == 0)
		rc = cj_events_begin(sql, &c.add_ev);
	if (rc == 0 && rs_trace_events(db, m.id, RS_ORDER_TIME, INT64_MIN,
				       c.to, on_event, &c) != 0) {
		rc = -1;
		why = rs_trace_error(db);
	}
	/* What still runs ends where the trace (or the window) does. */
	c.end = c.to < m.last_ts_ns ? c.to : c.last_ts;
	if (rc == 0)
		xw_end(&c.cpus, c.end, on_span, &c);
	/* Also after a failure: it ends the transaction and the tables. */
	if (cj_promises_and_flows(sql, m.id, &c) != 0 && rc == 0)
		rc = -1;
	struct gap_state g = { .c = &c };
	xw_gaps_init(&g.g, m.first_ts_ns, m.last_ts_ns);
	if (rc == 0 && rs_trace_gaps(db, m.id, on_gap, &g) != 0) {
		rc = -1;
		why = rs_trace_error(db);
	}
	if (rc == 0 && m.has_panic)
		write_panic(&c, &m);
	fputs("\n]}\n", c.f);
	if (fclose(c.f) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "exporting: %s",
			 why ? why : sqlite3_errmsg(sql));
		return -1;
	}
	if (events_out)
		*events_out = c.events;
	return 0;
}

int rs_export_chrome(struct rs_trace_db *db, int64_t trace_id,
		     const char *path, char *err, size_t errlen)
{
	const struct rs_export_opts o = { trace_id, INT64_MIN, INT64_MAX };
	return rs_export_chrome_window(db, &o, path, NULL, err, errlen);
}
