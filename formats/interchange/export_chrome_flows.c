/*
 * export_chrome_flows.c - the promises of a Chrome JSON export: their
 * lifetimes as slices, and the flows that bind.
 *
 * Lifetimes: promises overlap freely, and slices of one track must nest,
 * so each promise goes on the lowest lane (pid 3, tid = the lane) whose
 * last promise ended strictly before it began; a lane's slices therefore
 * neither overlap nor start at the same ts (which would make a flow bound
 * by ts ambiguous). Lanes are assigned in order of creation with two
 * heaps, so the memory is that of the lanes in use, not of the promises.
 *
 * Flows (s and f events, category "ringside", bound by ts to a slice of
 * that category starting at that very ts, see chrome_json.h):
 *   creates   the creator's run slice -> the promise's lifetime
 *   reads     the promise's lifetime -> each read of it
 *   resolves  the resolve or fail -> each read at or after it
 *   becomes   the promise followed -> the becomes, on its thread
 * A flow is written only when its start is strictly before its end (a
 * reader keys a flow's ends by ts: two at one ts make no arrow) and both
 * lie in the window.
 */
#include "chrome_json.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "rs_decode.h"

static int exec(sqlite3 *sql, const char *q)
{
	return sqlite3_exec(sql, q, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int cj_events_begin(sqlite3 *sql, sqlite3_stmt **add)
{
	if (exec(sql, "DROP TABLE IF EXISTS temp.rs_cj_ev;"
		 "CREATE TEMP TABLE rs_cj_ev (type INTEGER, a INTEGER,"
		 " b INTEGER, ts INTEGER, tid INTEGER, slice_ts INTEGER);"
		 "BEGIN") != 0)
		return -1;
	if (sqlite3_prepare_v2(sql, "INSERT INTO temp.rs_cj_ev VALUES"
			       " (?1, ?2, ?3, ?4, ?5, ?6)", -1, add,
			       NULL) != SQLITE_OK)
		return -1;
	return 0;
}

void cj_event(sqlite3_stmt *s, int *rc, const struct rs_row *r,
	      uint32_t tid, int64_t slice_ts)
{
	if (!s || *rc)
		return;
	sqlite3_bind_int(s, 1, r->type);
	sqlite3_bind_int64(s, 2, (int64_t)r->a);
	sqlite3_bind_int64(s, 3, (int64_t)r->b);
	sqlite3_bind_int64(s, 4, r->ts_ns);
	sqlite3_bind_int64(s, 5, tid);
	sqlite3_bind_int64(s, 6, slice_ts);
	if (sqlite3_step(s) != SQLITE_DONE)
		*rc = -1;
	sqlite3_reset(s);
}

void cj_events_end(sqlite3 *sql)
{
	/* Temporary tables only: nothing reaches the file. */
	exec(sql, "COMMIT");
	exec(sql, "DROP TABLE IF EXISTS temp.rs_cj_ev;"
	     "DROP TABLE IF EXISTS temp.rs_cj_lane");
}

/* A binary min-heap of (key, lane). */
struct heap {
	struct { int64_t key; uint32_t lane; } *v;
	size_t n, cap;
};

static int heap_push(struct heap *h, int64_t key, uint32_t lane)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		void *v = realloc(h->v, cap * sizeof(*h->v));
		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	size_t i = h->n++;
	while (i > 0 && h->v[(i - 1) / 2].key > key) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i].key = key;
	h->v[i].lane = lane;
	return 0;
}

static uint32_t heap_pop(struct heap *h)
{
	const uint32_t top = h->v[0].lane;
	const int64_t key = h->v[--h->n].key;
	const uint32_t lane = h->v[h->n].lane;
	size_t i = 0;
	for (;;) {
		size_t k = 2 * i + 1;
		if (k >= h->n)
			break;
		if (k + 1 < h->n && h->v[k + 1].key < h->v[k].key)
			k++;
		if (h->v[k].key >= key)
			break;
		h->v[i] = h->v[k];
		i = k;
	}
	if (h->n) {
		h->v[i].key = key;
		h->v[i].lane = lane;
	}
	return top;
}

struct lanes {
	struct heap busy;        /* key: the end of the lane's promise */
	struct heap free;        /* key: the lane's number */
	uint32_t n;
};

/* The lowest lane free strictly before `from`, now busy until `to`. */
static int lane_take(struct lanes *l, int64_t from, int64_t to,
		     uint32_t *lane)
{
	while (l->busy.n && l->busy.v[0].key < from) {
		uint32_t k = heap_pop(&l->busy);
		if (heap_push(&l->free, k, k) != 0)
			return -1;
	}
	*lane = l->free.n ? heap_pop(&l->free) : l->n++;
	return heap_push(&l->busy, to, *lane);
}

static void promise_slice(struct chrome *c, uint32_t lane, sqlite3_stmt *s,
			  int64_t from, int64_t to)
{
	const int64_t id = sqlite3_column_int64(s, 0);
	const char *type = (const char *)sqlite3_column_text(s, 1);
	const char *label = (const char *)sqlite3_column_text(s, 2);
	const char *state = (const char *)sqlite3_column_text(s, 3);
	const char *name = label ? label : type ? type : "promise";

	if (from < c->from)
		from = c->from;
	if (to > c->end)
		to = c->end;
	if (to < from)
		to = from;
	cj_sep(c);
	fprintf(c->f, "{\"ph\":\"X\",\"cat\":\"" CAT_FLOW "\",\"pid\":%d,"
		"\"tid\":%u,\"name\":", PID_PROMISES, lane);
	cj_str(c->f, name);
	fputc(',', c->f);
	cj_span(c->f, from, to);
	fprintf(c->f, ",\"args\":{\"promise\":%" PRId64 ",\"type\":", id);
	cj_str(c->f, type ? type : "unknown");
	fputs(",\"state\":", c->f);
	cj_str(c->f, state ? state : "pending");
	fputs("}}", c->f);
}

static void lane_name(struct chrome *c, uint32_t lane)
{
	cj_sep(c);
	fprintf(c->f, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,"
		"\"tid\":%u,\"args\":{\"name\":\"promises %u\"}}",
		PID_PROMISES, lane, lane);
}

/* Every promise alive in the window, on its lane; the lanes of those
 * whose lifetime starts in it go to temp.rs_cj_lane for the flows. */
static int write_lifetimes(sqlite3 *sql, int64_t trace, struct chrome *c)
{
	struct lanes l = { { 0 }, { 0 }, 0 };
	sqlite3_stmt *s = NULL, *add = NULL;
	int rc = -1, step;

	if (exec(sql, "DROP TABLE IF EXISTS temp.rs_cj_lane;"
		 "CREATE TEMP TABLE rs_cj_lane (id INTEGER PRIMARY KEY,"
		 " lane INTEGER, ts INTEGER)") != 0 ||
	    sqlite3_prepare_v2(sql, "INSERT OR IGNORE INTO temp.rs_cj_lane"
			       " VALUES (?1, ?2, ?3)", -1, &add, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(sql, "SELECT id, type, label, state, created_ns,"
			       " coalesce(resolved_ns, ?3) FROM promises"
			       " WHERE trace_id = ?1 AND created_ns IS NOT NULL"
			       " AND created_ns <= ?3"
			       " AND coalesce(resolved_ns, ?3) >= ?2"
			       " ORDER BY created_ns, id", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, trace);
	sqlite3_bind_int64(s, 2, c->from);
	sqlite3_bind_int64(s, 3, c->end);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const int64_t from = sqlite3_column_int64(s, 4);
		int64_t to = sqlite3_column_int64(s, 5);
		const int64_t start = from < c->from ? c->from : from;
		uint32_t lane;
		if (to < start)
			to = start;
		const uint32_t before = l.n;
		if (lane_take(&l, start, to, &lane) != 0)
			goto out;
		if (l.n != before)
			lane_name(c, lane);
		promise_slice(c, lane, s, from, to);
		if (from < c->from)
			continue;
		sqlite3_bind_int64(add, 1, sqlite3_column_int64(s, 0));
		sqlite3_bind_int64(add, 2, lane);
		sqlite3_bind_int64(add, 3, from);
		if (sqlite3_step(add) != SQLITE_DONE)
			goto out;
		sqlite3_reset(add);
	}
	rc = step == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(s);
	sqlite3_finalize(add);
	free(l.busy.v);
	free(l.free.v);
	return rc;
}

/* Columns: name, ts, pid, tid of the start; ts, pid, tid of the end. */
static const char flows_sql[] =
	"SELECT 'creates', cr.slice_ts, 1, cr.tid, l.ts, 3, l.lane"
	" FROM rs_cj_ev cr JOIN rs_cj_lane l ON l.id = cr.a AND l.ts = cr.ts"
	" WHERE cr.type = 16 AND cr.slice_ts < cr.ts"
	" UNION ALL "
	"SELECT 'reads', l.ts, 3, l.lane, rd.ts, 1, rd.tid"
	" FROM rs_cj_ev rd JOIN rs_cj_lane l ON l.id = rd.a AND l.ts < rd.ts"
	" WHERE rd.type = 17"
	" UNION ALL "
	"SELECT 'resolves', st.ts, 1, st.tid, rd.ts, 1, rd.tid"
	" FROM rs_cj_ev st JOIN rs_cj_ev rd ON rd.a = st.a AND rd.type = 17"
	" AND rd.ts > st.ts WHERE st.type IN (19, 20)"
	" UNION ALL "
	"SELECT 'becomes', l.ts, 3, l.lane, b.ts, 1, b.tid"
	" FROM rs_cj_ev b JOIN rs_cj_lane l ON l.id = b.b AND l.ts < b.ts"
	" WHERE b.type = 21";

static void flow_end(struct chrome *c, const char *ph, const char *name,
		     uint64_t id, sqlite3_stmt *s, int col)
{
	cj_sep(c);
	fprintf(c->f, "{\"ph\":\"%s\",%s\"cat\":\"" CAT_FLOW "\",\"name\":"
		"\"%s\",\"id\":%" PRIu64 ",\"pid\":%d,\"tid\":%" PRId64
		",\"ts\":", ph, ph[0] == 'f' ? "\"bp\":\"e\"," : "", name, id,
		sqlite3_column_int(s, col + 1),
		(int64_t)sqlite3_column_int64(s, col + 2));
	cj_ts(c->f, sqlite3_column_int64(s, col));
	fputc('}', c->f);
}

static int write_flows(sqlite3 *sql, struct chrome *c)
{
	sqlite3_stmt *s;
	int step;

	if (exec(sql, "CREATE INDEX temp.rs_cj_ev_a ON rs_cj_ev (a, type)") != 0 ||
	    sqlite3_prepare_v2(sql, flows_sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		const uint64_t id = ++c->flows;
		flow_end(c, "s", name, id, s, 1);
		flow_end(c, "f", name, id, s, 4);
	}
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : -1;
}

int cj_promises_and_flows(sqlite3 *sql, int64_t trace, struct chrome *c)
{
	sqlite3_finalize(c->add_ev);
	c->add_ev = NULL;
	int rc = c->add_rc;
	if (rc == 0)
		rc = write_lifetimes(sql, trace, c);
	if (rc == 0)
		rc = write_flows(sql, c);
	cj_events_end(sql);
	return rc;
}
