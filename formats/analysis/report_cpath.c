/*
 * report_cpath.c - `ringside report --critical-path ID`: walk from a
 * promise's settlement back along resolve -> read / block / becomes edges
 * to what started it (a timer, an event channel, or the end of the
 * evidence). The rules are in REPORT.md; this file is their only
 * implementation.
 *
 * The events table has no index on argument columns and the database is
 * opened read-only, so the events the walk needs are copied once into an
 * indexed TEMP table (SQLite keeps TEMP tables apart from the read-only
 * main database).
 */
#include "report.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_decode.h"

struct ev {
	int64_t ts;
	int64_t cpu, seq;
	int type;
	uint32_t ctx;
	uint64_t a, b, c;
};

struct walk {
	sqlite3 *db;
	int64_t trace;
	char *err;
	size_t errlen;
};

static int sqlfail(struct walk *w, const char *what)
{
	snprintf(w->err, w->errlen, "%s: %s", what, sqlite3_errmsg(w->db));
	return -1;
}

static int prepare_table(struct walk *w)
{
	char *sql = sqlite3_mprintf(
		"DROP TABLE IF EXISTS temp.rs_cp;"
		"CREATE TEMP TABLE rs_cp AS SELECT ts_ns, cpu, seq, type, ctx,"
		" a, b, c FROM events WHERE trace_id = %lld AND type IN"
		" (%d, %d, %d, %d, %d, %d, %d, %d, %d);"
		"CREATE INDEX temp.rs_cp_a ON rs_cp (type, a, ts_ns);"
		"CREATE INDEX temp.rs_cp_b ON rs_cp (type, b, ts_ns);"
		"CREATE INDEX temp.rs_cp_cpu ON rs_cp (cpu, seq);",
		(long long)w->trace, RS_EV_THREAD_SWITCH, RS_EV_THREAD_BLOCK,
		RS_EV_PROMISE_READ, RS_EV_PROMISE_RESOLVE, RS_EV_PROMISE_FAIL,
		RS_EV_PROMISE_BECOMES, RS_EV_PROMISE_CANCEL, RS_EV_TIMER_FIRE,
		RS_EV_EVTCHN_NOTIFY);
	if (!sql)
		return -1;
	int rc = sqlite3_exec(w->db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	return rc == SQLITE_OK ? 0 : sqlfail(w, "preparing the walk");
}

/* Run `sql` (columns: ts_ns, cpu, seq, type, ctx, a, b, c) with up to six
 * int64 parameters; 1 if a row was found (into *e), 0 if none, -1. */
static int one(struct walk *w, const char *sql, int n, const int64_t *args,
	       struct ev *e)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(w->db, sql, -1, &s, NULL) != SQLITE_OK)
		return sqlfail(w, "walking the trace");
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(s, i + 1, args[i]);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		e->ts = sqlite3_column_int64(s, 0);
		e->cpu = sqlite3_column_int64(s, 1);
		e->seq = sqlite3_column_int64(s, 2);
		e->type = (int)sqlite3_column_int64(s, 3);
		e->ctx = (uint32_t)sqlite3_column_int64(s, 4);
		e->a = (uint64_t)sqlite3_column_int64(s, 5);
		e->b = (uint64_t)sqlite3_column_int64(s, 6);
		e->c = (uint64_t)sqlite3_column_int64(s, 7);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : sqlfail(w, "walking the trace");
}

/* Type numbers in the SQL are enum rs_event_type's: 4 THREAD_SWITCH,
 * 5 THREAD_BLOCK, 17 READ, 19 RESOLVE, 20 FAIL, 21 BECOMES, 24 CANCEL,
 * 50 TIMER_FIRE, 51 EVTCHN_NOTIFY (fixed by the ring ABI). */
#define COLS "SELECT ts_ns, cpu, seq, type, ctx, a, b, c FROM rs_cp "
/* "Before the settle record": earlier in (time, cpu, seq) order, the
 * order rs_trace_events delivers. ?1.. below: id, then ts, cpu, seq. */
#define BEFORE " AND (ts_ns, cpu, seq) < (?2, ?3, ?4)"
#define LATEST " ORDER BY ts_ns DESC, cpu DESC, seq DESC LIMIT 1"

/* The settle record of promise `id` (its first, should there be more). */
static int find_settle(struct walk *w, uint64_t id, struct ev *e)
{
	int64_t args[1] = { (int64_t)id };
	return one(w, COLS "WHERE type IN (19, 20, 24) AND a = ?1"
		   " ORDER BY ts_ns, cpu, seq LIMIT 1", 1, args, e);
}

static void step_info(struct walk *w, struct rs_cpath_step *st)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(w->db, "SELECT coalesce(label, ''),"
			       " coalesce(type, '') FROM promises WHERE"
			       " trace_id = ?1 AND id = ?2", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, w->trace);
		sqlite3_bind_int64(s, 2, (int64_t)st->promise);
		if (sqlite3_step(s) == SQLITE_ROW) {
			snprintf(st->label, sizeof(st->label), "%s",
				 (const char *)sqlite3_column_text(s, 0));
			snprintf(st->type, sizeof(st->type), "%s",
				 (const char *)sqlite3_column_text(s, 1));
		}
	}
	sqlite3_finalize(s);
	if (!st->settled)
		return;
	if (sqlite3_prepare_v2(w->db, "SELECT coalesce(name, '') FROM threads"
			       " WHERE trace_id = ?1 AND tid = ?2", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, w->trace);
		sqlite3_bind_int64(s, 2, st->thread);
		if (sqlite3_step(s) == SQLITE_ROW)
			snprintf(st->thread_name, sizeof(st->thread_name), "%s",
				 (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
}

/*
 * Was settle record `e` emitted from a timer or an event channel? Yes if
 * its resolver is no promise and the latest TIMER_FIRE / EVTCHN_NOTIFY on
 * its CPU comes before it with no THREAD_SWITCH, THREAD_BLOCK or
 * PROMISE_READ in between: the timer and event paths settle their
 * promises synchronously right after that record, while a thread that was
 * waiting for one reads it (or blocks, or is switched to) before going on
 * to settle anything else -- and then the thread rule applies instead.
 */
static int find_root(struct walk *w, const struct ev *e, struct ev *root)
{
	int64_t args[2] = { e->cpu, e->seq };
	if (e->b != 0)
		return 0;
	int rc = one(w, COLS "WHERE cpu = ?1 AND seq < ?2 AND type IN"
		     " (4, 5, 17, 50, 51) ORDER BY seq DESC LIMIT 1", 2, args,
		     root);
	if (rc <= 0)
		return rc;
	return root->type == RS_EV_TIMER_FIRE || root->type == RS_EV_EVTCHN_NOTIFY;
}

/* Which promise caused `e` (the settle of `id`)? 1 with *next and the
 * edge, 0 if no edge, -1 on error. */
static int find_cause(struct walk *w, uint64_t id, const struct ev *e,
		      uint64_t *next, enum rs_cpath_via *via, int64_t *via_ts)
{
	struct ev x;
	int64_t args[4] = { (int64_t)id, e->ts, e->cpu, e->seq };
	int rc;

	/* 1. It followed another promise (BECOMES before it settled). */
	rc = one(w, COLS "WHERE type = 21 AND a = ?1" BEFORE LATEST, 4, args, &x);
	if (rc != 0) {
		*next = x.b, *via = RS_CPATH_BECOMES, *via_ts = x.ts;
		return rc;
	}
	if (e->b != 0 && e->b != id) {
		/* 2. Its resolver had settled before: that settlement ran
		 * the code (bind, join, follow) that settled this one. */
		args[0] = (int64_t)e->b;
		rc = one(w, COLS "WHERE type IN (19, 20, 24) AND a = ?1" BEFORE
			 LATEST, 4, args, &x);
		if (rc != 0) {
			*next = e->b, *via = RS_CPATH_RESOLVER, *via_ts = x.ts;
			return rc;
		}
		/* 3. The resolver was still running: the latest promise it
		 * read (READ b = reader) before this settle. */
		rc = one(w, COLS "WHERE type = 17 AND b = ?1" BEFORE LATEST, 4,
			 args, &x);
		if (rc != 0 && x.a != id) {
			*next = x.a, *via = RS_CPATH_READ, *via_ts = x.ts;
			return rc;
		}
		if (rc < 0)
			return rc;
	}
	/* 4. The settling thread's latest block on a promise (promise,
	 * sleep or event wait) before this settle. */
	args[0] = e->ctx;
	rc = one(w, COLS "WHERE type = 5 AND a = ?1 AND b IN (1, 2, 3)" BEFORE
		 LATEST, 4, args, &x);
	if (rc > 0 && x.c != id) {
		*next = x.c, *via = RS_CPATH_BLOCKED, *via_ts = x.ts;
		return 1;
	}
	return rc < 0 ? -1 : 0;
}

static int push(struct rs_cpath *p, size_t *cap)
{
	if (p->n < *cap)
		return 0;
	size_t n = *cap ? *cap * 2 : 16;
	void *s = realloc(p->steps, n * sizeof(*p->steps));
	if (!s)
		return -1;
	p->steps = s;
	*cap = n;
	return 0;
}

/* 1 if promise id appears in the trace (the promises table or any
 * record naming it), 0 if not (err set), -1 on a database error. */
static int promise_exists(struct walk *w, uint64_t id)
{
	struct ev e;
	int64_t args[1] = { (int64_t)id };
	int rc = one(w, COLS "WHERE type IN (17, 19, 20, 21, 24) AND a = ?1 LIMIT 1", 1, args, &e);
	if (rc == 0) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(w->db, "SELECT 1 FROM promises WHERE"
				       " trace_id = ?1 AND id = ?2", -1, &s,
				       NULL) == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, w->trace);
			sqlite3_bind_int64(s, 2, (int64_t)id);
			rc = sqlite3_step(s) == SQLITE_ROW;
		}
		sqlite3_finalize(s);
	}
	if (rc == 0)
		snprintf(w->err, w->errlen, "no promise %llu in trace %lld",
			 (unsigned long long)id, (long long)w->trace);
	return rc;
}

/* The settle e came straight from the timer or event path: a root, since
 * nothing in the trace caused it but the clock or a device. 1 if so (p's
 * root filled in), 0 if not, -1 on error. */
static int settled_by_root(struct walk *w, const struct rs_trace_meta *m,
			   uint64_t boot_tsc, const struct ev *e,
			   struct rs_cpath *p)
{
	struct ev root;
	int rc = find_root(w, e, &root);
	if (rc <= 0)
		return rc;
	p->root = root.type == RS_EV_TIMER_FIRE ? RS_ROOT_TIMER : RS_ROOT_EVTCHN;
	p->root_id = root.a;
	p->root_ts_ns = root.ts;
	p->root_late_ns = -1;
	if (root.type == RS_EV_TIMER_FIRE && m->tsc_hz && root.b >= boot_tsc) {
		int64_t due = (int64_t)((unsigned __int128)(root.b - boot_tsc) *
					1000000000u / m->tsc_hz);
		p->root_late_ns = root.ts > due ? root.ts - due : 0;
	}
	return 1;
}

/* One step of the walk: how promise cur settled and what caused that.
 * 1 with *next set to walk on, 0 when the path ends here (p->root set),
 * -1 on error. */
static int walk_step(struct walk *w, const struct rs_trace_meta *m,
		     uint64_t boot_tsc, uint64_t cur, struct rs_cpath *p,
		     size_t *cap, uint64_t *next)
{
	struct ev e;
	int rc;

	if (p->n >= RS_CPATH_MAX) {
		p->root = RS_ROOT_LIMIT;
		return 0;
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i].promise == cur) {
			p->root = RS_ROOT_CYCLE;
			return 0;
		}
	if (push(p, cap) != 0) {
		snprintf(w->err, w->errlen, "out of memory");
		return -1;
	}
	struct rs_cpath_step *st = &p->steps[p->n++];
	memset(st, 0, sizeof(*st));
	st->promise = cur;
	if ((rc = find_settle(w, cur, &e)) < 0)
		return -1;
	st->settled = rc;
	if (!st->settled) {
		step_info(w, st);
		p->root = RS_ROOT_UNSETTLED;
		return 0;
	}
	st->how = e.type == RS_EV_PROMISE_RESOLVE ? "resolved"
		  : e.type == RS_EV_PROMISE_FAIL  ? "failed"
						  : "cancelled";
	st->ts_ns = e.ts;
	st->cpu = (uint16_t)e.cpu;
	st->thread = e.ctx;
	st->resolver = e.b;
	step_info(w, st);
	if ((rc = settled_by_root(w, m, boot_tsc, &e, p)) != 0)
		return rc < 0 ? -1 : 0;
	if ((rc = find_cause(w, cur, &e, next, &st->via, &st->via_ts_ns)) < 0)
		return -1;
	if (rc == 0) {
		p->root = RS_ROOT_NONE;
		return 0;
	}
	return 1;
}

int rs_report_critical_path(struct rs_trace_db *db, int64_t trace_id,
			    uint64_t id, struct rs_cpath *p, char *err,
			    size_t errlen)
{
	struct rs_trace_meta m;
	struct walk w = { rs_trace_sqlite(db), 0, err, errlen };
	size_t cap = 0;
	uint64_t boot_tsc = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	if (rs_trace_meta(db, trace_id, &m) != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		return -1;
	}
	w.trace = m.id;
	boot_tsc = m.boot_tsc;
	if (prepare_table(&w) != 0)
		return -1;
	if (promise_exists(&w, id) <= 0)
		return -1;
	for (uint64_t cur = id;
	     (rc = walk_step(&w, &m, boot_tsc, cur, p, &cap, &cur)) > 0;)
		;
	if (rc < 0)
		return -1;
	sqlite3_exec(w.db, "DROP TABLE IF EXISTS temp.rs_cp", NULL, NULL, NULL);
	return 0;
}

void rs_cpath_free(struct rs_cpath *p)
{
	free(p->steps);
	memset(p, 0, sizeof(*p));
}

const char *rs_cpath_via_name(enum rs_cpath_via v)
{
	switch (v) {
	case RS_CPATH_BECOMES:  return "becomes";
	case RS_CPATH_RESOLVER: return "resolver";
	case RS_CPATH_READ:     return "read";
	case RS_CPATH_BLOCKED:  return "blocked";
	default:                return "end";
	}
}

const char *rs_cpath_root_name(enum rs_cpath_root r)
{
	switch (r) {
	case RS_ROOT_TIMER:     return "timer";
	case RS_ROOT_EVTCHN:    return "evtchn";
	case RS_ROOT_UNSETTLED: return "unsettled";
	case RS_ROOT_CYCLE:     return "cycle";
	case RS_ROOT_LIMIT:     return "limit";
	default:                return "none";
	}
}

/* ---- printing -------------------------------------------------------- */

static void cpath_print_json(FILE *o, uint64_t id, const struct rs_cpath *p)
{
	fprintf(o, "{\"promise\":%" PRIu64 ",\"steps\":[", id);
	for (size_t i = 0; i < p->n; i++) {
		const struct rs_cpath_step *s = &p->steps[i];
		fprintf(o, "%s\n {\"promise\":%" PRIu64 ",\"label\":",
			i ? "," : "", s->promise);
		rs_report_json_str(o, s->label);
		fprintf(o, ",\"type\":");
		rs_report_json_str(o, s->type);
		fprintf(o, ",\"settled\":%s", s->settled ? "true" : "false");
		if (s->settled) {
			fprintf(o, ",\"how\":\"%s\",\"ts_ns\":%" PRId64
				",\"delta_ns\":%" PRId64 ",\"cpu\":%u,"
				"\"thread\":%u,\"thread_name\":", s->how,
				s->ts_ns, i ? p->steps[i - 1].ts_ns - s->ts_ns : 0,
				s->cpu, s->thread);
			rs_report_json_str(o, s->thread_name);
			fprintf(o, ",\"resolver\":%" PRIu64, s->resolver);
		}
		fprintf(o, ",\"via\":\"%s\"", rs_cpath_via_name(s->via));
		if (s->via != RS_CPATH_END)
			fprintf(o, ",\"via_ts_ns\":%" PRId64, s->via_ts_ns);
		fputc('}', o);
	}
	fprintf(o, "],\n\"root\":{\"kind\":\"%s\"", rs_cpath_root_name(p->root));
	if (p->root == RS_ROOT_TIMER || p->root == RS_ROOT_EVTCHN) {
		fprintf(o, ",\"id\":%" PRIu64 ",\"ts_ns\":%" PRId64,
			p->root_id, p->root_ts_ns);
		if (p->root == RS_ROOT_TIMER && p->root_late_ns >= 0)
			fprintf(o, ",\"late_ns\":%" PRId64, p->root_late_ns);
	}
	fprintf(o, "}}\n");
}

/* Step i of the text form, and the edge that led from it to step i + 1. */
static void cpath_print_step(FILE *o, const struct rs_cpath *p, size_t i)
{
	char t[32], d[32];
	const struct rs_cpath_step *s = &p->steps[i];
	fprintf(o, "  %2zu. promise %" PRIu64, i + 1, s->promise);
	if (s->label[0])
		fprintf(o, " \"%s\"", s->label);
	if (s->type[0])
		fprintf(o, " (%s)", s->type);
	if (!s->settled) {
		fprintf(o, ": never settled in this trace\n");
		return;
	}
	fprintf(o, " %s at %s", s->how, rs_report_fmt_ns(t, sizeof(t), s->ts_ns));
	if (i)
		fprintf(o, ", %s before step %zu",
			rs_report_fmt_ns(d, sizeof(d), p->steps[i - 1].ts_ns - s->ts_ns), i);
	fprintf(o, ", on thread %u", s->thread);
	if (s->thread_name[0])
		fprintf(o, " (%s)", s->thread_name);
	if (s->resolver)
		fprintf(o, ", resolver promise %" PRIu64, s->resolver);
	fputc('\n', o);
	if (s->via == RS_CPATH_END || i + 1 >= p->n)
		return;
	uint64_t next = p->steps[i + 1].promise;
	rs_report_fmt_ns(t, sizeof(t), s->via_ts_ns);
	switch (s->via) {
	case RS_CPATH_BECOMES:
		fprintf(o, "      <- it followed promise %" PRIu64
			" (becomes, at %s)\n", next, t);
		break;
	case RS_CPATH_RESOLVER:
		fprintf(o, "      <- settled by its resolver, promise %"
			PRIu64 ", which had settled at %s\n", next, t);
		break;
	case RS_CPATH_READ:
		fprintf(o, "      <- its resolver %" PRIu64 " had read "
			"promise %" PRIu64 " at %s\n", s->resolver, next, t);
		break;
	case RS_CPATH_BLOCKED:
		fprintf(o, "      <- thread %u had blocked on promise %"
			PRIu64 " at %s\n", s->thread, next, t);
		break;
	default:
		break;
	}
}

/* The text form's last line: where the walk ended and why. */
static void cpath_print_root(FILE *o, const struct rs_cpath *p)
{
	char t[32], late[32];

	switch (p->root) {
	case RS_ROOT_TIMER:
		fprintf(o, "  root: timer %" PRIu64 " fired at %s", p->root_id,
			rs_report_fmt_ns(t, sizeof(t), p->root_ts_ns));
		if (p->root_late_ns >= 0)
			fprintf(o, ", %s after it was due",
				rs_report_fmt_ns(late, sizeof(late), p->root_late_ns));
		fputc('\n', o);
		break;
	case RS_ROOT_EVTCHN:
		fprintf(o, "  root: event channel port %" PRIu64 " notified at %s\n",
			p->root_id, rs_report_fmt_ns(t, sizeof(t), p->root_ts_ns));
		break;
	case RS_ROOT_UNSETTLED:
		fprintf(o, "  root: the last promise never settled\n");
		break;
	case RS_ROOT_CYCLE:
		fprintf(o, "  root: the walk came back to a promise already on "
			"the path; stopped\n");
		break;
	case RS_ROOT_LIMIT:
		fprintf(o, "  root: stopped after %d steps\n", RS_CPATH_MAX);
		break;
	default:
		fprintf(o, "  root: no further edge in the trace (no becomes, "
			"resolver, read or block before the last settle)\n");
		break;
	}}

void rs_cpath_print(FILE *o, int json, uint64_t id, const struct rs_cpath *p)
{
	if (json) {
		cpath_print_json(o, id, p);
		return;
	}
	fprintf(o, "critical path of promise %" PRIu64 " (latest first):\n", id);
	for (size_t i = 0; i < p->n; i++)
		cpath_print_step(o, p, i);
	cpath_print_root(o, p);
}
