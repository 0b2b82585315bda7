/*
 * export_fxt.c - a trace database in the Fuchsia trace format (FXT), for
 * the Perfetto UI and eio-trace. The mapping, which `import fxt:` inverts,
 * is in README.md beside this file.
 *
 * Records: the magic number record, an initialization record of 10^9
 * ticks per second (a tick is a ns since boot), kernel object records
 * naming the processes and threads, then events. Strings go through the
 * string table (indices 1..32767, each written once before its first
 * use; past that they are inline); threads are always inline (process
 * and thread koid), so no thread table has to be kept in step. Every
 * record is whole words, its size in its header; nothing is held per
 * event: the events stream from the database.
 */
#include "export.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chrome_json.h"
#include "export_walk.h"
#include "rs_decode.h"

/* Processes (koids) and the thread koids of pseudo-threads. */
#define KOID_THREADS   1             /* kernel threads: koid = tid */
#define KOID_CPUS      2             /* CPU n: CPU_KOID + n */
#define KOID_PROMISES  3             /* one thread, PROMISES_KOID */
#define KOID_LOST      4             /* CPU n's losses: LOST_KOID + n */
/* ctx 0 on CPU n: XW_CTX0 + n (export_walk.h) */
#define CPU_KOID       0x50000000u
#define PROMISES_KOID  0x60000000u
#define LOST_KOID      0x70000000u

/* Record and event types, argument types (the format's numbers). */
enum { REC_META = 0, REC_INIT = 1, REC_STRING = 2, REC_EVENT = 4,
       REC_KOBJ = 7 };
enum { EV_INSTANT = 0, EV_COUNTER = 1, EV_COMPLETE = 4, EV_ASYNC_BEGIN = 5,
       EV_ASYNC_END = 7, EV_FLOW_BEGIN = 8, EV_FLOW_END = 10 };
enum { ARG_INT64 = 3, ARG_UINT64 = 4, ARG_STRING = 6, ARG_KOID = 8 };
enum { OBJ_PROCESS = 1, OBJ_THREAD = 2 };

#define MAX_WORDS  4095u             /* a record's size field: 12 bits */
#define MAX_STR    2048u             /* longer strings are cut */
#define STR_SLOTS  65536u            /* open-addressing table, 2x 32767 */

struct fxt {
	FILE *f;
	uint64_t rec[MAX_WORDS];
	unsigned n;                      /* words in rec */
	struct { char *s; uint16_t idx; } strs[STR_SLOTS];
	uint16_t nstrs;
	int64_t from, to, end;
	struct xw_cpus cpus;             /* who runs where since when */
	int64_t last_ts;
	uint64_t events, flow_id;
	sqlite3_stmt *add_ev;            /* promise events, see cj_event */
	int add_rc;
	int err;
};

static void flush(struct fxt *x)
{
	if (fwrite(x->rec, 8, x->n, x->f) != x->n)
		x->err = errno ? errno : EIO;
	x->n = 0;
}

static void word(struct fxt *x, uint64_t w)
{
	if (x->n < MAX_WORDS)
		x->rec[x->n++] = w;
}

/* The bytes of `s` (len bytes), zero-padded to whole words. */
static void bytes(struct fxt *x, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;
		memcpy(&w, s + i, len - i < 8 ? len - i : 8);
		word(x, w);
	}
}

static size_t slen(const char *s)
{
	return s ? strnlen(s, MAX_STR) : 0;
}

/* A string reference: the table's index (written now if new), inline
 * (0x8000 | length; the bytes follow the record's fixed words, in the
 * order the references appear), or 0 for "". */
static uint16_t str_ref(struct fxt *x, const char *s)
{
	const size_t len = slen(s);
	if (!len)
		return 0;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	for (uint32_t i = h % STR_SLOTS;; i = (i + 1) % STR_SLOTS) {
		if (!x->strs[i].s) {
			if (x->nstrs >= 0x7fff)
				return (uint16_t)(0x8000 | len);
			x->strs[i].s = strndup(s, len);
			if (!x->strs[i].s)
				return (uint16_t)(0x8000 | len);
			x->strs[i].idx = ++x->nstrs;
			/* the string record goes out before the record being
			 * built, which is still in x->rec */
			uint64_t hdr = REC_STRING | (uint64_t)(1 + (len + 7) / 8) << 4 |
				       (uint64_t)x->strs[i].idx << 16 |
				       (uint64_t)len << 32;
			uint64_t w[1 + MAX_STR / 8 + 1] = { hdr };
			memcpy(w + 1, s, len);
			if (fwrite(w, 8, 1 + (len + 7) / 8, x->f) != 1 + (len + 7) / 8)
				x->err = errno ? errno : EIO;
			return x->strs[i].idx;
		}
		if (strlen(x->strs[i].s) == len && !memcmp(x->strs[i].s, s, len))
			return x->strs[i].idx;
	}
}

static void str_inline(struct fxt *x, uint16_t ref, const char *s)
{
	if (ref & 0x8000)
		bytes(x, s, ref & 0x7fff);
}

/* One argument of an event: 64-bit integers and strings. */
struct arg {
	const char *name;
	int type;                  /* ARG_* */
	uint64_t u;
	const char *s;
};

static void put_args(struct fxt *x, const struct arg *a, int n)
{
	for (int i = 0; i < n; i++) {
		const uint16_t name = str_ref(x, a[i].name);
		const size_t name_w = name & 0x8000 ? ((name & 0x7fff) + 7) / 8 : 0;
		if (a[i].type == ARG_STRING) {
			const uint16_t v = str_ref(x, a[i].s);
			const size_t v_w = v & 0x8000 ? ((v & 0x7fff) + 7) / 8 : 0;
			word(x, ARG_STRING | (uint64_t)(1 + name_w + v_w) << 4 |
			     (uint64_t)name << 16 | (uint64_t)v << 32);
			str_inline(x, name, a[i].name);
			str_inline(x, v, a[i].s);
		} else {
			word(x, (uint64_t)a[i].type | (uint64_t)(2 + name_w) << 4 |
			     (uint64_t)name << 16);
			str_inline(x, name, a[i].name);
			word(x, a[i].u);
		}
	}
}

/* An event record on thread (pid, tid); `extra` is the event type's own
 * word (counter id, async id, flow id, end time), if it has one. The
 * string records it needs go out first; then the header is patched with
 * the size. */
static void event(struct fxt *x, int type, int64_t ts, uint64_t pid,
		  uint64_t tid, const char *cat, const char *name,
		  const struct arg *args, int nargs, const uint64_t *extra)
{
	const uint16_t c = str_ref(x, cat), nm = str_ref(x, name);
	for (int i = 0; i < nargs; i++) {      /* table them before */
		str_ref(x, args[i].name);
		if (args[i].type == ARG_STRING)
			str_ref(x, args[i].s);
	}
	x->n = 0;
	word(x, 0);
	word(x, (uint64_t)ts);
	word(x, pid);
	word(x, tid);
	str_inline(x, c, cat);
	str_inline(x, nm, name);
	put_args(x, args, nargs);
	if (extra)
		word(x, *extra);
	x->rec[0] = REC_EVENT | (uint64_t)x->n << 4 | (uint64_t)type << 16 |
		    (uint64_t)nargs << 20 | (uint64_t)c << 32 |
		    (uint64_t)nm << 48;
	flush(x);
}

static void kobj(struct fxt *x, int type, uint64_t koid, const char *name,
		 uint64_t process)
{
	const uint16_t nm = str_ref(x, name);
	const struct arg a = { "process", ARG_KOID, process, NULL };
	if (type == OBJ_THREAD)
		str_ref(x, a.name);
	x->n = 0;
	word(x, 0);
	word(x, koid);
	str_inline(x, nm, name);
	if (type == OBJ_THREAD)
		put_args(x, &a, 1);
	x->rec[0] = REC_KOBJ | (uint64_t)x->n << 4 | (uint64_t)type << 16 |
		    (uint64_t)nm << 24 | (uint64_t)(type == OBJ_THREAD) << 40;
	flush(x);
}

/* A duration complete event, clipped to the window. */
static void span(struct fxt *x, uint64_t pid, uint64_t tid, const char *cat,
		 const char *name, int64_t from, int64_t to,
		 const struct arg *args, int nargs)
{
	if (from < x->from)
		from = x->from;
	if (to > x->to)
		to = x->to;
	if (to < from)
		return;
	const uint64_t end = (uint64_t)to;
	event(x, EV_COMPLETE, from, pid, tid, cat, name, args, nargs, &end);
}

/* A CPU's span ended: on the CPU's thread and on what ran. */
static void on_span(void *opaque, const struct xw_span *s)
{
	struct fxt *x = opaque;
	span(x, KOID_CPUS, CPU_KOID + s->cpu, "cpu", s->cpu_name, s->from,
	     s->to, NULL, 0);
	span(x, KOID_THREADS, xw_ctx(s->run, s->cpu), "sched", s->thread_name,
	     s->from, s->to, NULL, 0);
}

/* A promise event as a 1 ns slice on its context's thread, carrying every
 * word of the record (and its string) under the vocabulary's names, so
 * that an importer gets the record back. */
static void promise_mark(struct fxt *x, const struct rs_row *r,
			 unsigned cpu, const char *verb)
{
	const uint64_t w[3] = { r->a, r->b, r->c };
	struct arg a[4];
	int n = 0;

	for (; n < rs_event_nargs(r->type) && n < 3; n++)
		a[n] = (struct arg){ rs_event_arg_name(r->type, (unsigned)n),
				     ARG_UINT64, w[n], NULL };
	if (rs_event_has_str(r->type) && r->str)
		a[n++] = (struct arg){ rs_event_str_name(r->type), ARG_STRING,
				       0, r->str };
	const uint32_t tid = xw_ctx(r->ctx, cpu);
	span(x, KOID_THREADS, tid, "promise", verb, r->ts_ns, r->ts_ns + 1, a,
	     n);
	cj_event(x->add_ev, &x->add_rc, r, tid, r->ts_ns);
}

/* The promise records written as 1 ns slices: those Chrome shows
 * (xw_promise_verb) and try_read, signal and cancel, which no flow here
 * starts or ends but which `import fxt:` must get back (the round trip).
 * Labels are not: they are the lifetimes' names. */
static const char *fxt_verb(uint16_t type)
{
	switch (type) {
	case RS_EV_PROMISE_TRY_READ: return "try_read";
	case RS_EV_PROMISE_SIGNAL:   return "signal";
	case RS_EV_PROMISE_CANCEL:   return "cancel";
	default:                     return xw_promise_verb(type);
	}
}

static int on_event(void *opaque, const struct rs_row *r)
{
	struct fxt *x = opaque;
	const unsigned cpu = r->cpu < RS_MAX_CPUS ? r->cpu : 0;
	const char *verb = fxt_verb(r->type);
	const uint32_t tid = xw_ctx(r->ctx, cpu);
	char name[96];

	x->last_ts = r->ts_ns;
	xw_event(&x->cpus, r, on_span, x);
	if (r->ts_ns < x->from || r->ts_ns > x->to)
		return x->err ? -1 : 0;
	x->events++;
	switch (r->type) {
	case RS_EV_COUNTER:
	case RS_EV_HEAP:
	case RS_EV_RUNQ_LEN: {
		const struct arg a = { "value", ARG_INT64, r->a, NULL };
		const uint64_t id = 0;
		event(x, EV_COUNTER, r->ts_ns, KOID_THREADS, tid, "counter",
		      r->type == RS_EV_COUNTER ? r->str
		      : rs_event_name(r->type), &a, 1, &id);
		break;
	}
	case RS_EV_THREAD_MIGRATE:
	case RS_EV_IPI_SEND:
	case RS_EV_IPI_RECV:
		xw_cpu_instant_name(r, name, sizeof(name));
		event(x, EV_INSTANT, r->ts_ns, KOID_CPUS, CPU_KOID + cpu, "cpu",
		      name, NULL, 0, NULL);
		break;
	case RS_EV_MARK: {
		const struct arg a = { "value", ARG_UINT64, r->a, NULL };
		event(x, EV_INSTANT, r->ts_ns, KOID_THREADS, tid, "mark",
		      r->str, &a, 1, NULL);
		break;
	}
	default:
		if (verb)
			promise_mark(x, r, cpu, verb);
		break;
	}
	return x->err ? -1 : 0;
}

/* Each promise alive in the window as an async begin/end pair (async id
 * = the promise id) on the "promises" thread. */
static int write_promises(sqlite3 *sql, int64_t trace, struct fxt *x)
{
	sqlite3_stmt *s;
	int step;

	if (sqlite3_prepare_v2(sql, "SELECT id, type, label, state, created_ns,"
			       " coalesce(resolved_ns, ?3), fail_message"
			       " FROM promises WHERE trace_id = ?1 AND"
			       " created_ns IS NOT NULL AND created_ns <= ?3"
			       " AND coalesce(resolved_ns, ?3) >= ?2", -1, &s,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, trace);
	sqlite3_bind_int64(s, 2, x->from);
	sqlite3_bind_int64(s, 3, x->end);
	while ((step = sqlite3_step(s)) == SQLITE_ROW && !x->err) {
		const uint64_t id = (uint64_t)sqlite3_column_int64(s, 0);
		const char *type = (const char *)sqlite3_column_text(s, 1);
		const char *label = (const char *)sqlite3_column_text(s, 2);
		const char *state = (const char *)sqlite3_column_text(s, 3);
		const char *msg = (const char *)sqlite3_column_text(s, 6);
		int64_t from = sqlite3_column_int64(s, 4);
		int64_t to = sqlite3_column_int64(s, 5);
		const char *name = label ? label : type ? type : "promise";
		const struct arg b[1] = { { "type", ARG_STRING, 0,
					    type ? type : "unknown" } };
		const struct arg e[2] = { { "state", ARG_STRING, 0, state },
					  { "message", ARG_STRING, 0, msg } };
		from = from < x->from ? x->from : from;
		to = to > x->end ? x->end : to < from ? from : to;
		event(x, EV_ASYNC_BEGIN, from, KOID_PROMISES, PROMISES_KOID,
		      "promise", name, b, 1, &id);
		event(x, EV_ASYNC_END, to, KOID_PROMISES, PROMISES_KOID,
		      "promise", name, e, msg ? 2 : 1, &id);
	}
	sqlite3_finalize(s);
	return step == SQLITE_DONE && !x->err ? 0 : -1;
}

/* Flows between the 1 ns promise slices on the threads: creates (the
 * create -> the promise's first settle after it) and resolves (a settle
 * -> each later read). */
static int write_flows(sqlite3 *sql, struct fxt *x)
{
	sqlite3_stmt *s;
	int step;

	if (sqlite3_exec(sql, "CREATE INDEX temp.rs_cj_ev_a ON rs_cj_ev"
			 " (a, type)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sql,
		"SELECT 'creates', cr.ts, cr.tid, min(st.ts), st.tid"
		" FROM rs_cj_ev cr JOIN rs_cj_ev st ON st.a = cr.a"
		" AND st.type IN (19, 20) AND st.ts > cr.ts WHERE cr.type = 16"
		" GROUP BY cr.rowid"
		" UNION ALL "
		"SELECT 'resolves', st.ts, st.tid, rd.ts, rd.tid"
		" FROM rs_cj_ev st JOIN rs_cj_ev rd ON rd.a = st.a"
		" AND rd.type = 17 AND rd.ts > st.ts WHERE st.type IN (19, 20)",
		-1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW && !x->err) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		const uint64_t id = ++x->flow_id;
		for (int end = 0; end < 2; end++) {
			const uint64_t tid = (uint64_t)sqlite3_column_int64(s, 2 + 2 * end);
			event(x, end ? EV_FLOW_END : EV_FLOW_BEGIN,
			      sqlite3_column_int64(s, 1 + 2 * end),
			      KOID_THREADS, tid, "promise", name, NULL, 0, &id);
		}
	}
	sqlite3_finalize(s);
	return step == SQLITE_DONE && !x->err ? 0 : -1;
}

struct gap_state {
	struct fxt *x;
	struct xw_gaps g;
};

/* A loss as a duration on its CPU's "lost" thread (count as an arg). */
static int on_gap(void *opaque, const struct rs_gap *g)
{
	struct gap_state *st = opaque;
	char name[64];
	const struct arg a = { "count", ARG_UINT64, g->count, NULL };
	int64_t from, to;

	xw_gap_range(&st->g, g, &from, &to);
	snprintf(name, sizeof(name), "lost %" PRIu64 " records", g->count);
	span(st->x, KOID_LOST, LOST_KOID + g->cpu, "lost", name, from, to,
	     &a, 1);
	return st->x->err ? -1 : 0;
}

static void thread_kobj(void *opaque, int64_t tid, const char *name)
{
	kobj(opaque, OBJ_THREAD, (uint64_t)tid, name, KOID_THREADS);
}

static void write_names(struct fxt *x, sqlite3 *sql,
			const struct rs_trace_meta *m, int *rc)
{
	char name[48];

	kobj(x, OBJ_PROCESS, KOID_THREADS, "kernel threads", 0);
	kobj(x, OBJ_PROCESS, KOID_CPUS, "CPUs", 0);
	kobj(x, OBJ_PROCESS, KOID_PROMISES, "promises", 0);
	kobj(x, OBJ_PROCESS, KOID_LOST, "lost records", 0);
	kobj(x, OBJ_THREAD, PROMISES_KOID, "promises", KOID_PROMISES);
	for (unsigned cpu = 0; cpu < m->ncpus; cpu++) {
		snprintf(name, sizeof(name), "cpu %u", cpu);
		kobj(x, OBJ_THREAD, CPU_KOID + cpu, name, KOID_CPUS);
		kobj(x, OBJ_THREAD, LOST_KOID + cpu, name, KOID_LOST);
		snprintf(name, sizeof(name), "cpu %u ctx 0", cpu);
		kobj(x, OBJ_THREAD, XW_CTX0 + cpu, name, KOID_THREADS);
	}
	if (xw_threads(sql, m->id, thread_kobj, x) != 0)
		*rc = -1;
}

static void write_panic(struct fxt *x, const struct rs_trace_meta *m)
{
	const struct arg a[3] = {
		{ "reason", ARG_STRING, 0, m->panic_reason },
		{ "cpu", ARG_UINT64, m->panic_cpu, NULL },
		{ "rip", ARG_UINT64, m->panic_rip, NULL },
	};
	if (m->panic_ts_ns < x->from || m->panic_ts_ns > x->to)
		return;
	event(x, EV_INSTANT, m->panic_ts_ns, KOID_THREADS,
	      XW_CTX0 + (m->panic_cpu < RS_MAX_CPUS ? m->panic_cpu : 0),
	      "panic", "panic", a, 3, NULL);
}

static int export_body(struct rs_trace_db *db, struct fxt *x,
		       const struct rs_trace_meta *m, const char **why)
{
	sqlite3 *sql = rs_trace_sqlite(db);
	int rc = 0;

	/* magic number record; initialization: 10^9 ticks per second */
	word(x, 0x0016547846040010ull);
	flush(x);
	word(x, REC_INIT | 2u << 4);
	word(x, 1000000000u);
	flush(x);
	write_names(x, sql, m, &rc);
	if (rc == 0)
		rc = cj_events_begin(sql, &x->add_ev);
	if (rc == 0 && rs_trace_events(db, m->id, RS_ORDER_TIME, INT64_MIN,
				       x->to, on_event, x) != 0) {
		rc = -1;
		*why = x->err ? strerror(x->err) : rs_trace_error(db);
	}
	x->end = x->to < m->last_ts_ns ? x->to : x->last_ts;
	if (rc == 0)
		xw_end(&x->cpus, x->end, on_span, x);
	sqlite3_finalize(x->add_ev);
	x->add_ev = NULL;
	if (rc == 0 && x->add_rc)
		rc = -1;
	if (rc == 0)
		rc = write_promises(sql, m->id, x);
	if (rc == 0)
		rc = write_flows(sql, x);
	cj_events_end(sql);
	struct gap_state g = { .x = x };
	xw_gaps_init(&g.g, m->first_ts_ns, m->last_ts_ns);
	if (rc == 0 && rs_trace_gaps(db, m->id, on_gap, &g) != 0) {
		rc = -1;
		*why = x->err ? strerror(x->err) : rs_trace_error(db);
	}
	if (rc == 0 && m->has_panic)
		write_panic(x, m);
	return rc;
}

int rs_export_fxt(struct rs_trace_db *db, const struct rs_export_opts *o,
		  const char *path, uint64_t *events_out, char *err,
		  size_t errlen)
{
	assert(db && o && path && err && errlen > 0);
	struct rs_trace_meta m;
	struct fxt *x = calloc(1, sizeof(*x));
	const char *why = NULL;
	int rc = -1;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->from = o->from_ns;
	x->to = o->to_ns;
	if (rs_trace_meta(db, o->trace_id, &m) != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		goto out;
	}
	x->f = fopen(path, "wb");
	if (!x->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = export_body(db, x, &m, &why);
	if (fclose(x->f) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	} else if (rc == 0 && x->err) {
		snprintf(err, errlen, "%s: %s", path, strerror(x->err));
		rc = -1;
	} else if (rc != 0) {
		snprintf(err, errlen, "exporting: %s",
			 why ? why : sqlite3_errmsg(rs_trace_sqlite(db)));
	}
	if (rc == 0 && events_out)
		*events_out = x->events;
out:
	for (size_t i = 0; i < STR_SLOTS; i++)
		free(x->strs[i].s);
	free(x);
	return rc;
}
