/*
 * store_ingest.c - one decoded event in, one events row out, plus the
 * derived tables (threads, promises, counters, lost).
 *
 * Derivation happens only when the events row was actually inserted, so
 * collecting the same records twice cannot count anything twice. Rows are
 * upserts that each touch only the columns their event knows about: the
 * reader delivers CPU by CPU, so a promise's resolve (CPU 1) may arrive
 * before its create (CPU 0), and the result must not depend on order.
 */
#include <assert.h>
#include <string.h>

#include "store_internal.h"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_EVENT] =
		"INSERT OR IGNORE INTO events (trace_id, cpu, seq, ts_ns, type, ctx,"
		" a, b, c, str) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_LOST] =
		"INSERT INTO lost (trace_id, cpu, count, from_ns, to_ns)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_THREAD_CREATE] =
		"INSERT INTO threads (trace_id, tid, parent, name, created_ns)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (trace_id, tid) DO UPDATE"
		" SET parent = ?3, name = ?4, created_ns = ?5",
	[ST_THREAD_EXIT] =
		"INSERT INTO threads (trace_id, tid, exited_ns) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (trace_id, tid) DO UPDATE SET exited_ns = ?3",
	[ST_PROMISE_CREATE] =
		"INSERT INTO promises (trace_id, id, parent, type, created_ns)"
		" VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (trace_id, id) DO UPDATE"
		" SET parent = ?3, type = ?4, created_ns = ?5",
	[ST_PROMISE_END] =
		"INSERT INTO promises (trace_id, id, state, resolved_ns)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (trace_id, id) DO UPDATE"
		" SET state = ?3, resolved_ns = ?4",
	[ST_PROMISE_FAIL] =
		"INSERT INTO promises (trace_id, id, state, resolved_ns, fail_message)"
		" VALUES (?1, ?2, 'failed', ?3, ?4) ON CONFLICT (trace_id, id) DO UPDATE"
		" SET state = 'failed', resolved_ns = ?3, fail_message = ?4",
	[ST_PROMISE_LABEL] =
		"INSERT INTO promises (trace_id, id, label) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (trace_id, id) DO UPDATE SET label = ?3",
	[ST_COUNTER] =
		"INSERT OR IGNORE INTO counters (trace_id, name, ts_ns, value, cpu, seq)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

int rs_store_prepare_ingest(struct rs_store *st)
{
	for (int i = 0; i < ST_COUNT; i++) {
		assert(stmt_sql[i] != NULL);
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
				       NULL) != SQLITE_OK)
			return rs_store_fail(st, "prepare");
	}
	return 0;
}

void rs_store_finalize_ingest(struct rs_store *st)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
}

void rs_store_counts(const struct rs_store *st, struct rs_store_counts *out)
{
	*out = st->counts;
}

/* Run a bound statement to completion and make it reusable. */
static int run(struct rs_store *st, enum rs_stmt which)
{
	sqlite3_stmt *s = st->stmt[which];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : rs_store_fail(st, "insert");
}

static void bind_str(sqlite3_stmt *s, int col, const struct rs_event *ev)
{
	if (ev->str)
		sqlite3_bind_text(s, col, ev->str, (int)ev->str_len,
				  SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, col);
}

static int store_lost(struct rs_store *st, const struct rs_event *ev)
{
	sqlite3_stmt *s = st->stmt[ST_LOST];

	sqlite3_bind_int64(s, 1, st->trace_id);
	sqlite3_bind_int64(s, 2, ev->cpu);
	sqlite3_bind_int64(s, 3, rs_i64(ev->a));
	/* A zero tsc means the decoder could not tell when the gap was. */
	if (ev->b)
		sqlite3_bind_int64(s, 4, rs_i64(rs_tsc_to_ns(&st->layout, ev->b)));
	if (ev->c)
		sqlite3_bind_int64(s, 5, rs_i64(rs_tsc_to_ns(&st->layout, ev->c)));
	if (run(st, ST_LOST) != 0)
		return -1;
	st->counts.lost += ev->a;
	return 0;
}

static int counter(struct rs_store *st, const struct rs_event *ev,
		   sqlite3_int64 ts, const char *name, int name_len)
{
	sqlite3_stmt *s = st->stmt[ST_COUNTER];

	sqlite3_bind_int64(s, 1, st->trace_id);
	sqlite3_bind_text(s, 2, name, name_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, ts);
	sqlite3_bind_int64(s, 4, rs_i64(ev->a));
	sqlite3_bind_int64(s, 5, ev->cpu);
	sqlite3_bind_int64(s, 6, rs_i64(ev->seq));
	return run(st, ST_COUNTER);
}

static int derive(struct rs_store *st, const struct rs_event *ev,
		  sqlite3_int64 ts)
{
	sqlite3_stmt *s;
	const sqlite3_int64 tid = st->trace_id;

	switch (ev->type) {
	case RS_EV_THREAD_CREATE:
		s = st->stmt[ST_THREAD_CREATE];
		sqlite3_bind_int64(s, 1, tid);
		sqlite3_bind_int64(s, 2, rs_i64(ev->a));
		sqlite3_bind_int64(s, 3, rs_i64(ev->b));
		bind_str(s, 4, ev);
		sqlite3_bind_int64(s, 5, ts);
		return run(st, ST_THREAD_CREATE);
	case RS_EV_THREAD_EXIT:
		s = st->stmt[ST_THREAD_EXIT];
		sqlite3_bind_int64(s, 1, tid);
		sqlite3_bind_int64(s, 2, rs_i64(ev->a));
		sqlite3_bind_int64(s, 3, ts);
		return run(st, ST_THREAD_EXIT);
	case RS_EV_PROMISE_CREATE:
		s = st->stmt[ST_PROMISE_CREATE];
		sqlite3_bind_int64(s, 1, tid);
		sqlite3_bind_int64(s, 2, rs_i64(ev->a));
		sqlite3_bind_int64(s, 3, rs_i64(ev->b));
		sqlite3_bind_text(s, 4, rs_promise_type_name(ev->c), -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, ts);
		return run(st, ST_PROMISE_CREATE);
	case RS_EV_PROMISE_RESOLVE:
	case RS_EV_PROMISE_CANCEL:
		s = st->stmt[ST_PROMISE_END];
		sqlite3_bind_int64(s, 1, tid);
		sqlite3_bind_int64(s, 2, rs_i64(ev->a));
		sqlite3_bind_text(s, 3, ev->type == RS_EV_PROMISE_RESOLVE
					? "resolved" : "cancelled", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, ts);
		return run(st, ST_PROMISE_END);
	case RS_EV_PROMISE_FAIL:
		s = st->stmt[ST_PROMISE_FAIL];
		sqlite3_bind_int64(s, 1, tid);
		sqlite3_bind_int64(s, 2, rs_i64(ev->a));
		sqlite3_bind_int64(s, 3, ts);
		bind_str(s, 4, ev);
		return run(st, ST_PROMISE_FAIL);
	case RS_EV_PROMISE_LABEL:
		s = st->stmt[ST_PROMISE_LABEL];
		sqlite3_bind_int64(s, 1, tid);
		sqlite3_bind_int64(s, 2, rs_i64(ev->a));
		bind_str(s, 3, ev);
		return run(st, ST_PROMISE_LABEL);
	case RS_EV_COUNTER:
		if (!ev->str)
			return 0;
		return counter(st, ev, ts, ev->str, (int)ev->str_len);
	case RS_EV_HEAP:
		return counter(st, ev, ts, "heap", -1);
	case RS_EV_RUNQ_LEN:
		return counter(st, ev, ts, "runq_len", -1);
	default:
		return 0;
	}
}

int rs_store_event(struct rs_store *st, const struct rs_event *ev)
{
	sqlite3_stmt *s = st->stmt[ST_EVENT];

	assert(st->in_txn && st->trace_id != 0);
	if (ev->type == RS_EV_PAD)
		return 0;
	/* Gaps live in their own table: a gap has no record of its own, and
	 * keeping it out of events keeps "one row = one guest record". */
	if (ev->type == RS_EV_LOST)
		return store_lost(st, ev);

	const sqlite3_int64 ts = rs_i64(rs_tsc_to_ns(&st->layout, ev->tsc));
	sqlite3_bind_int64(s, 1, st->trace_id);
	sqlite3_bind_int64(s, 2, ev->cpu);
	sqlite3_bind_int64(s, 3, rs_i64(ev->seq));
	sqlite3_bind_int64(s, 4, ts);
	sqlite3_bind_int(s, 5, ev->type);
	sqlite3_bind_int64(s, 6, ev->ctx);
	/* Arguments the type does not carry stay NULL, not 0, so SQL can
	 * tell "absent" from "zero". */
	const int nargs = rs_event_nargs(ev->type);
	if (nargs >= 1)
		sqlite3_bind_int64(s, 7, rs_i64(ev->a));
	if (nargs >= 2)
		sqlite3_bind_int64(s, 8, rs_i64(ev->b));
	if (nargs >= 3)
		sqlite3_bind_int64(s, 9, rs_i64(ev->c));
	bind_str(s, 10, ev);
	if (run(st, ST_EVENT) != 0)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		st->counts.duplicates++;
		return 0;
	}
	st->counts.inserted++;
	return derive(st, ev, ts);
}
