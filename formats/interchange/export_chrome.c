/*
 * export_chrome.c - a trace database as Chrome Trace Event JSON, for the
 * Perfetto UI.
 *
 * Tracks: process 1 holds one track per kernel thread (its run slices);
 * process 2 one track per CPU, tid = the CPU (which thread ran, and idle;
 * migrations and IPIs as instants on the CPU's track); process 3 the
 * promises. Promise lifetimes overlap freely, so they are async events
 * (b/e with cat and id), never B/E, which must nest. Creates and
 * resolve->read become flows (s/f, bound to the enclosing run slice with
 * bp "e"). Counters become counter tracks; the panic and every loss are
 * global instants, so neither can be missed. Every X carries a dur (the
 * importer drops one without), and every b has its e (a promise still
 * pending at the end of the trace ends there, marked pending).
 */
#include "export.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_decode.h"

#define PID_THREADS  1
#define PID_CPUS     2
#define PID_PROMISES 3

struct chrome {
	FILE *f;
	int first;
	/* per CPU: who is running since when */
	uint32_t running[RS_MAX_CPUS];
	int64_t since[RS_MAX_CPUS];
	int idle[RS_MAX_CPUS];
	int64_t last_ts;
	uint64_t flow_id;
};

/* JSON string body with escapes; guest strings may hold anything. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void sep(struct chrome *c)
{
	fputs(c->first ? "\n" : ",\n", c->f);
	c->first = 0;
}

static void us(FILE *f, int64_t ns)
{
	fprintf(f, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
}

static void slice(struct chrome *c, int pid, uint32_t tid, const char *name,
		  int64_t from, int64_t to)
{
	if (to < from)
		to = from;
	sep(c);
	fprintf(c->f, "{\"ph\":\"X\",\"pid\":%d,\"tid\":%u,\"name\":", pid, tid);
	json_str(c->f, name);
	fputs(",\"ts\":", c->f);
	us(c->f, from);
	fputs(",\"dur\":", c->f);
	us(c->f, to - from);
	fputc('}', c->f);
}

static void meta_name(struct chrome *c, const char *what, int pid,
		      int64_t tid, const char *name)
{
	sep(c);
	fprintf(c->f, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d", what, pid);
	if (tid >= 0)
		fprintf(c->f, ",\"tid\":%" PRId64, tid);
	fputs(",\"args\":{\"name\":", c->f);
	json_str(c->f, name);
	fputs("}}", c->f);
}

static void cpu_slice_end(struct chrome *c, unsigned cpu, int64_t ts)
{
	char name[32];
	if (c->idle[cpu]) {
		slice(c, PID_CPUS, cpu, "idle", c->since[cpu], ts);
	} else if (c->running[cpu]) {
		snprintf(name, sizeof(name), "thread %u", c->running[cpu]);
		slice(c, PID_CPUS, cpu, name, c->since[cpu], ts);
		slice(c, PID_THREADS, c->running[cpu], "running",
		      c->since[cpu], ts);
	}
	c->since[cpu] = ts;
}

/* What crosses between CPUs, as an instant on the CPU's own track: a
 * migration on the CPU the thread moved to, an IPI on its sender and on
 * its receiver. */
static void cpu_instant(struct chrome *c, unsigned cpu, const struct rs_row *r)
{
	char name[96];

	if (r->type == RS_EV_THREAD_MIGRATE)
		snprintf(name, sizeof(name), "migrate thread %" PRIu64
			 " from cpu %" PRIu64, r->a, r->b);
	else if (r->type == RS_EV_IPI_SEND)
		snprintf(name, sizeof(name), "ipi to cpu %" PRIu64 " (%s)", r->a,
			 r->b == RS_IPI_WAKE ? "wake" : r->b == RS_IPI_STOP
			 ? "stop" : "other");
	else
		snprintf(name, sizeof(name), "ipi received (%s)",
			 r->a == RS_IPI_WAKE ? "wake" : r->a == RS_IPI_STOP
			 ? "stop" : "other");
	sep(c);
	fprintf(c->f, "{\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%u,"
		"\"name\":", PID_CPUS, cpu);
	json_str(c->f, name);
	fputs(",\"ts\":", c->f);
	us(c->f, r->ts_ns);
	fputc('}', c->f);
}

static int on_event(void *opaque, const struct rs_row *r)
{
	struct chrome *c = opaque;
	const unsigned cpu = r->cpu < RS_MAX_CPUS ? r->cpu : 0;

	c->last_ts = r->ts_ns;
	switch (r->type) {
	case RS_EV_THREAD_SWITCH:
		cpu_slice_end(c, cpu, r->ts_ns);
		c->running[cpu] = (uint32_t)r->b;
		c->idle[cpu] = 0;
		break;
	case RS_EV_IDLE_ENTER:
		cpu_slice_end(c, cpu, r->ts_ns);
		c->idle[cpu] = 1;
		break;
	case RS_EV_IDLE_EXIT:
		cpu_slice_end(c, cpu, r->ts_ns);
		c->idle[cpu] = 0;
		break;
	case RS_EV_COUNTER:
	case RS_EV_HEAP:
	case RS_EV_RUNQ_LEN:
		sep(c);
		fputs("{\"ph\":\"C\",\"pid\":1,\"name\":", c->f);
		/* heap and runq_len are counters named after their type */
		json_str(c->f, r->type == RS_EV_COUNTER ? r->str
			 : rs_event_name(r->type));
		fputs(",\"ts\":", c->f);
		us(c->f, r->ts_ns);
		fprintf(c->f, ",\"args\":{\"value\":%" PRIu64 "}}", r->a);
		break;
	case RS_EV_THREAD_MIGRATE:
	case RS_EV_IPI_SEND:
	case RS_EV_IPI_RECV:
		cpu_instant(c, cpu, r);
		break;
	case RS_EV_MARK:
		sep(c);
		fprintf(c->f, "{\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%u,"
			"\"name\":", r->ctx);
		json_str(c->f, r->str);
		fputs(",\"ts\":", c->f);
		us(c->f, r->ts_ns);
		fputc('}', c->f);
		break;
	default:
		break;
	}
	return 0;
}

/* One flow arrow from (ts1, tid1) to (ts2, tid2), bound to run slices. */
static void flow(struct chrome *c, const char *name, int64_t ts1,
		 uint32_t tid1, int64_t ts2, uint32_t tid2)
{
	const uint64_t id = ++c->flow_id;
	sep(c);
	fprintf(c->f, "{\"ph\":\"s\",\"cat\":\"flow\",\"name\":\"%s\","
		"\"id\":%" PRIu64 ",\"pid\":1,\"tid\":%u,\"ts\":", name, id, tid1);
	us(c->f, ts1);
	fputc('}', c->f);
	sep(c);
	fprintf(c->f, "{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"flow\",\"name\":"
		"\"%s\",\"id\":%" PRIu64 ",\"pid\":1,\"tid\":%u,\"ts\":", name,
		id, tid2);
	us(c->f, ts2);
	fputc('}', c->f);
}

static int query_each(sqlite3 *db, const char *sql, int64_t trace_id,
		      int (*row)(struct chrome *, sqlite3_stmt *),
		      struct chrome *c)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, trace_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (row)
			row(c, s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int thread_row(struct chrome *c, sqlite3_stmt *s)
{
	const char *name = (const char *)sqlite3_column_text(s, 1);
	meta_name(c, "thread_name", PID_THREADS, sqlite3_column_int64(s, 0),
		  name ? name : "?");
	return 0;
}

static int promise_row(struct chrome *c, sqlite3_stmt *s)
{
	const int64_t id = sqlite3_column_int64(s, 0);
	const char *type = (const char *)sqlite3_column_text(s, 1);
	const char *label = (const char *)sqlite3_column_text(s, 2);
	const char *state = (const char *)sqlite3_column_text(s, 3);
	const int64_t from = sqlite3_column_int64(s, 4);
	const int64_t to = sqlite3_column_type(s, 5) == SQLITE_NULL
			   ? c->last_ts : sqlite3_column_int64(s, 5);
	const char *name = label ? label : type ? type : "promise";

	for (int end = 0; end < 2; end++) {
		sep(c);
		fprintf(c->f, "{\"ph\":\"%s\",\"cat\":\"promise\",\"id\":%" PRId64
			",\"pid\":3,\"tid\":0,\"name\":", end ? "e" : "b", id);
		json_str(c->f, name);
		fputs(",\"ts\":", c->f);
		us(c->f, end && to > from ? to : from);
		fputs(",\"args\":{\"type\":", c->f);
		json_str(c->f, type ? type : "unknown");
		fputs(",\"state\":", c->f);
		json_str(c->f, state ? state : "pending");
		fputs("}}", c->f);
	}
	return 0;
}

static int flow_row(struct chrome *c, sqlite3_stmt *s)
{
	flow(c, (const char *)sqlite3_column_text(s, 0),
	     sqlite3_column_int64(s, 1), (uint32_t)sqlite3_column_int64(s, 2),
	     sqlite3_column_int64(s, 3), (uint32_t)sqlite3_column_int64(s, 4));
	return 0;
}

static int gap_row(struct chrome *c, sqlite3_stmt *s)
{
	sep(c);
	fprintf(c->f, "{\"ph\":\"i\",\"s\":\"g\",\"pid\":2,\"tid\":%" PRId64
		",\"name\":\"lost %" PRId64 " records\",\"ts\":",
		(int64_t)sqlite3_column_int64(s, 0),
		(int64_t)sqlite3_column_int64(s, 1));
	us(c->f, sqlite3_column_int64(s, 2));
	fputc('}', c->f);
	return 0;
}

/* Flow arrows: creates (the parent's thread at creation -> the thread
 * that settled it) and resolves (the settle -> each later read of the
 * same promise). The events view decodes chunks and has no index on `a`,
 * so the promise events are copied once into a temporary table that has
 * one (the file itself stays read-only). */
static int write_flows(sqlite3 *sql, int64_t trace, struct chrome *c)
{
	int rc = query_each(sql,
		"CREATE TEMP TABLE IF NOT EXISTS rs_chrome_flow AS"
		" SELECT type, a, ts_ns, ctx FROM events"
		" WHERE trace_id = ?1 AND type IN (16, 17, 19, 20, 24)",
		trace, NULL, c);
	if (rc == 0)
		rc = query_each(sql,
			"CREATE INDEX IF NOT EXISTS temp.rs_chrome_flow_a"
			" ON rs_chrome_flow (a, type)", trace, NULL, c);
	if (rc == 0)
		rc = query_each(sql,
			"SELECT 'creates', cr.ts_ns, cr.ctx, st.ts_ns, st.ctx"
			" FROM rs_chrome_flow cr JOIN rs_chrome_flow st"
			" ON st.a = cr.a AND st.type IN (19, 20, 24)"
			" WHERE cr.type = 16"
			" UNION ALL "
			"SELECT 'resolves', st.ts_ns, st.ctx, rd.ts_ns, rd.ctx"
			" FROM rs_chrome_flow st JOIN rs_chrome_flow rd"
			" ON rd.a = st.a AND rd.type = 17 AND rd.ts_ns >= st.ts_ns"
			" WHERE st.type IN (19, 20)",
			0, flow_row, c);
	if (rc == 0)
		rc = query_each(sql, "DROP TABLE temp.rs_chrome_flow", 0, NULL, c);
	return rc;
}

/* The panic as a global instant event. */
static void write_panic(struct chrome *c, const struct rs_trace_meta *m)
{
	sep(c);
	fputs("{\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":0,\"name\":", c->f);
	char name[RS_REASON_LEN + 16];
	snprintf(name, sizeof(name), "panic: %s", m->panic_reason);
	json_str(c->f, name);
	fputs(",\"ts\":", c->f);
	us(c->f, m->panic_ts_ns);
	fprintf(c->f, ",\"args\":{\"rip\":\"0x%" PRIx64 "\"}}", m->panic_rip);
}

int rs_export_chrome(struct rs_trace_db *db, int64_t trace_id,
		     const char *path, char *err, size_t errlen)
{
	assert(db && path && err && errlen > 0);
	struct rs_trace_meta m;
	struct chrome c = { .first = 1 };
	sqlite3 *sql = rs_trace_sqlite(db);

	if (rs_trace_meta(db, trace_id, &m) != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		return -1;
	}
	c.f = fopen(path, "w");
	if (!c.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", c.f);
	meta_name(&c, "process_name", PID_THREADS, -1, "kernel threads");
	meta_name(&c, "process_name", PID_CPUS, -1, "CPUs");
	meta_name(&c, "process_name", PID_PROMISES, -1, "promises");
	for (unsigned cpu = 0; cpu < m.ncpus; cpu++) {
		char name[16];
		snprintf(name, sizeof(name), "cpu %u", cpu);
		meta_name(&c, "thread_name", PID_CPUS, cpu, name);
	}

	int rc = query_each(sql, "SELECT tid, name FROM threads"
			    " WHERE trace_id = ?1", m.id, thread_row, &c);
	/* The events come through trace_read, which keeps its own reason
	 * (a corrupt chunk is no SQLite error). */
	const char *why = NULL;
	if (rc == 0 && rs_trace_events(db, m.id, RS_ORDER_TIME, INT64_MIN,
				       INT64_MAX, on_event, &c) != 0) {
		rc = -1;
		why = rs_trace_error(db);
	}
	for (unsigned cpu = 0; rc == 0 && cpu < m.ncpus; cpu++)
		cpu_slice_end(&c, cpu, c.last_ts);
	if (rc == 0)
		rc = query_each(sql, "SELECT id, type, label, state, created_ns,"
				" resolved_ns FROM promises WHERE trace_id = ?1"
				" AND created_ns IS NOT NULL", m.id,
				promise_row, &c);
	if (rc == 0)
		rc = write_flows(sql, m.id, &c);
	if (rc == 0)
		rc = query_each(sql, "SELECT cpu, count, coalesce(from_ns, 0)"
				" FROM lost WHERE trace_id = ?1", m.id, gap_row,
				&c);
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
	return 0;
}
