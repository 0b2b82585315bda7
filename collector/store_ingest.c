/*
 * store_ingest.c - decoded events in, chunks of raw records and derived
 * rows out.
 *
 * Each accepted record is appended, verbatim, to its CPU's open chunk
 * (formats/store/rs_chunk.h); a chunk is compressed and written when it reaches
 * RS_CHUNK_TARGET bytes, when its CPU's record numbers jump (a gap), or at
 * commit. What derives from the events (promises, per-type counts) is
 * merged in memory over the batch and written once per promise at commit:
 * per-event SQL statements are what capped ingest at 0.36 M events/s.
 * Counter samples are not copied at all: the `counters` view reads them
 * from the chunks.
 *
 * Invariants:
 *   - record numbers are the dedup key: per CPU, everything below
 *     tail.next_seq is stored (or in the open chunk), so a record seen
 *     again, by a second collect of the same boot, is skipped and derives
 *     nothing;
 *   - a batch lands atomically (the caller's transaction), chunks and
 *     derived rows and reader state together, so kill -9 leaves either all
 *     of a batch or none of it;
 *   - the reader delivers CPU by CPU, so a promise's resolve (CPU 1) may
 *     come before its create (CPU 0): each write touches only the columns
 *     its events knew, and the result does not depend on order.
 *
 * A commit of a live collect may hold a few records per CPU. Rather than
 * store tiny chunks (zstd needs runs to find repetition), the CPU's last
 * stored chunk is extended in place while it is under half the target.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "rs_chunk.h"
#include "store_internal.h"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_CHUNK_INSERT] =
		"INSERT INTO chunks (trace_id, cpu, first_seq, count, min_ns,"
		" max_ns, raw_size, records) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_CHUNK_EXTEND] =
		"UPDATE chunks SET count = ?2, min_ns = ?3, max_ns = ?4,"
		" raw_size = ?5, records = ?6 WHERE rowid = ?1",
	[ST_CHUNK_READ] = "SELECT records FROM chunks WHERE rowid = ?1",
	[ST_CHUNK_TAIL] =
		"SELECT rowid, first_seq, count, raw_size, min_ns, max_ns"
		" FROM chunks WHERE trace_id = ?1 AND cpu = ?2"
		" ORDER BY first_seq DESC LIMIT 1",
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
	/* ?10 says which groups of columns this batch knows (PROM_*). */
	[ST_PROMISE] =
		"INSERT INTO promises (trace_id, id, parent, type, created_ns,"
		" state, resolved_ns, fail_message, label)"
		" VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, 'pending'), ?7, ?8, ?9)"
		" ON CONFLICT (trace_id, id) DO UPDATE SET"
		" parent = iif(?10 & 1, excluded.parent, parent),"
		" type = iif(?10 & 1, excluded.type, type),"
		" created_ns = iif(?10 & 1, excluded.created_ns, created_ns),"
		" state = iif(?10 & 2, excluded.state, state),"
		" resolved_ns = iif(?10 & 2, excluded.resolved_ns, resolved_ns),"
		" fail_message = iif(?10 & 4, excluded.fail_message, fail_message),"
		" label = iif(?10 & 8, excluded.label, label)",
	[ST_TYPE_COUNT] =
		"INSERT INTO type_counts (trace_id, type, count) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (trace_id, type) DO UPDATE SET count = count + ?3",
};

/* Column groups of a promise row that a batch has seen. */
enum { PROM_CREATE = 1, PROM_END = 2, PROM_FAIL_MSG = 4, PROM_LABEL = 8 };

struct promise_delta {
	uint64_t id;
	unsigned known;              /* PROM_* */
	uint64_t parent;
	const char *type;            /* static name */
	int64_t created_ns;
	const char *state;           /* static name */
	int64_t resolved_ns;
	char *fail_message;          /* owned */
	char *label;                 /* owned */
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
	st->chunk_reader = rs_chunk_reader_new();
	return st->chunk_reader ? 0 : rs_store_fail(st, "out of memory");
}

static void forget_batch(struct rs_store *st);

void rs_store_finalize_ingest(struct rs_store *st)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	forget_batch(st);
	for (unsigned c = 0; c < RS_MAX_CPUS; c++)
		free(st->open[c].raw);
	rs_u64map_free(&st->promises.index);
	free(st->promises.delta);
	rs_chunk_reader_free(st->chunk_reader);
	st->chunk_reader = NULL;
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

/* ---- the batch in memory -------------------------------------------- */

/* Drop everything a batch holds that is not in the database. After a
 * rollback the per-CPU tails may describe rows that no longer exist, so
 * they are reloaded before the next batch. */
static void forget_batch(struct rs_store *st)
{
	for (unsigned c = 0; c < RS_MAX_CPUS; c++)
		st->open[c].len = st->open[c].count = 0;
	struct rs_promise_map *m = &st->promises;
	/* The map keeps its size; clearing it costs its whole size, so an
	 * empty one (a batch without promises) is left alone. */
	for (size_t i = 0; i < m->n; i++) {
		free(m->delta[i].fail_message);
		free(m->delta[i].label);
	}
	m->n = 0;
	rs_u64map_clear(&m->index);
	memset(st->type_count, 0, sizeof(st->type_count));
}

void rs_store_ingest_reset(struct rs_store *st)
{
	forget_batch(st);
	st->tails_loaded = 0;
}

static int load_tails(struct rs_store *st)
{
	sqlite3_stmt *s = st->stmt[ST_CHUNK_TAIL];

	for (unsigned c = 0; c < RS_MAX_CPUS; c++) {
		struct rs_chunk_tail *t = &st->tail[c];
		memset(t, 0, sizeof(*t));
		sqlite3_bind_int64(s, 1, st->trace_id);
		sqlite3_bind_int64(s, 2, c);
		int rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			t->rowid = sqlite3_column_int64(s, 0);
			t->first_seq = (uint64_t)sqlite3_column_int64(s, 1);
			t->count = (uint64_t)sqlite3_column_int64(s, 2);
			t->raw_size = (uint64_t)sqlite3_column_int64(s, 3);
			t->min_ns = sqlite3_column_int64(s, 4);
			t->max_ns = sqlite3_column_int64(s, 5);
			t->next_seq = t->first_seq + t->count;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rs_store_fail(st, "chunks");
	}
	st->tails_loaded = 1;
	return 0;
}

int rs_store_ingest_begin(struct rs_store *st)
{
	/* Nothing of a batch is left here: commit flushes it, rollback and
	 * a new trace forget it. */
	return st->tails_loaded ? 0 : load_tails(st);
}

static struct promise_delta *promise_slot(struct rs_store *st, uint64_t id)
{
	struct rs_promise_map *m = &st->promises;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 2048;
		void *p = realloc(m->delta, cap * sizeof(*m->delta));
		if (!p)
			return NULL;
		m->delta = p;
		m->cap = cap;
	}
	/* A new id gets the next delta; a known one its own. */
	uint64_t *at = rs_u64map_put(&m->index, id, m->n);
	if (!at)
		return NULL;
	if (*at == m->n) {
		m->delta[m->n] = (struct promise_delta){ .id = id };
		m->n++;
	}
	assert(*at < m->n && m->delta[*at].id == id);
	return &m->delta[*at];
}

static char *copy_str(const struct rs_event *ev)
{
	if (!ev->str)
		return NULL;
	char *s = malloc(ev->str_len + 1);
	if (s)
		memcpy(s, ev->str, ev->str_len + 1);
	return s;
}

static int note_promise(struct rs_store *st, const struct rs_event *ev,
			int64_t ts)
{
	struct promise_delta *p = promise_slot(st, ev->a);
	if (!p)
		return rs_store_fail(st, "out of memory");
	switch (ev->type) {
	case RS_EV_PROMISE_CREATE:
		p->known |= PROM_CREATE;
		p->parent = ev->b;
		p->type = rs_promise_type_name(ev->c);
		p->created_ns = ts;
		break;
	case RS_EV_PROMISE_RESOLVE:
	case RS_EV_PROMISE_CANCEL:
		p->known |= PROM_END;
		p->state = ev->type == RS_EV_PROMISE_RESOLVE ? "resolved"
							     : "cancelled";
		p->resolved_ns = ts;
		break;
	case RS_EV_PROMISE_FAIL:
		p->known |= PROM_END | PROM_FAIL_MSG;
		p->state = "failed";
		p->resolved_ns = ts;
		free(p->fail_message);
		p->fail_message = copy_str(ev);
		break;
	default:
		assert(ev->type == RS_EV_PROMISE_LABEL);
		p->known |= PROM_LABEL;
		free(p->label);
		p->label = copy_str(ev);
		break;
	}
	return 0;
}

/* ---- writing -------------------------------------------------------- */

static void bind_text_or_null(sqlite3_stmt *s, int col, const char *v)
{
	if (v)
		sqlite3_bind_text(s, col, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, col);
}

static int cmp_delta_id(const void *x, const void *y)
{
	const struct promise_delta *a = x, *b = y;
	return (a->id > b->id) - (a->id < b->id);
}

static int write_promises(struct rs_store *st)
{
	struct rs_promise_map *m = &st->promises;
	sqlite3_stmt *s = st->stmt[ST_PROMISE];

	if (m->n == 0)
		return 0;
	/* In id order: the table's key order, so the B-tree is walked
	 * forward instead of probed at random. Sorting in place leaves the
	 * index stale, which is fine: the map is emptied after this. */
	qsort(m->delta, m->n, sizeof(*m->delta), cmp_delta_id);
	for (size_t i = 0; i < m->n; i++) {
		const struct promise_delta *p = &m->delta[i];
		sqlite3_bind_int64(s, 1, st->trace_id);
		sqlite3_bind_int64(s, 2, rs_i64(p->id));
		if (p->known & PROM_CREATE) {
			sqlite3_bind_int64(s, 3, rs_i64(p->parent));
			bind_text_or_null(s, 4, p->type);
			sqlite3_bind_int64(s, 5, p->created_ns);
		}
		if (p->known & PROM_END) {
			bind_text_or_null(s, 6, p->state);
			sqlite3_bind_int64(s, 7, p->resolved_ns);
		}
		bind_text_or_null(s, 8, p->fail_message);
		bind_text_or_null(s, 9, p->label);
		sqlite3_bind_int(s, 10, (int)p->known);
		if (run(st, ST_PROMISE) != 0)
			return -1;
	}
	return 0;
}

static int write_type_counts(struct rs_store *st)
{
	for (unsigned t = 0; t < RS_EV_TYPE_LIMIT; t++) {
		if (!st->type_count[t])
			continue;
		sqlite3_stmt *s = st->stmt[ST_TYPE_COUNT];
		sqlite3_bind_int64(s, 1, st->trace_id);
		sqlite3_bind_int64(s, 2, t);
		sqlite3_bind_int64(s, 3, rs_i64(st->type_count[t]));
		if (run(st, ST_TYPE_COUNT) != 0)
			return -1;
	}
	return 0;
}

/* Append the stored tail chunk's records in front of the open chunk's,
 * if the tail is small and continues into it. Returns 1 if merged into
 * `o` (so the tail row is to be updated), 0 if not, -1 on error. */
static int take_tail(struct rs_store *st, unsigned cpu, struct rs_open_chunk *o)
{
	struct rs_chunk_tail *t = &st->tail[cpu];

	/* (Not t->next_seq: rs_store_event has moved that past the open
	 * chunk already; the tail is followed by it when it ends where the
	 * open chunk starts.) */
	if (!t->rowid || t->first_seq + t->count != o->first_seq ||
	    t->raw_size + o->len > RS_CHUNK_TARGET ||
	    t->raw_size >= RS_CHUNK_TARGET / 2)
		return 0;
	sqlite3_stmt *s = st->stmt[ST_CHUNK_READ];
	sqlite3_bind_int64(s, 1, t->rowid);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return rs_store_fail(st, "chunks");
	}
	struct rs_chunk c = {
		.cpu = (uint16_t)cpu, .first_seq = t->first_seq,
		.count = t->count, .raw_size = t->raw_size,
		.blob = sqlite3_column_blob(s, 0),
		.blob_len = (size_t)sqlite3_column_bytes(s, 0),
	};
	const uint8_t *raw = rs_chunk_unpack(st->chunk_reader, &c);
	/* A tail we cannot read is left alone; the new records start a
	 * chunk of their own. */
	if (raw) {
		memmove(o->raw + t->raw_size, o->raw, o->len);
		memcpy(o->raw, raw, t->raw_size);
		o->len += t->raw_size;
		o->first_seq = t->first_seq;
		o->count += t->count;
		o->min_ns = t->min_ns < o->min_ns ? t->min_ns : o->min_ns;
		o->max_ns = t->max_ns > o->max_ns ? t->max_ns : o->max_ns;
	}
	sqlite3_reset(s);
	return raw != NULL;
}

/* Compress and store CPU `cpu`'s open chunk; it is empty afterwards. */
static int write_chunk(struct rs_store *st, unsigned cpu)
{
	struct rs_open_chunk *o = &st->open[cpu];
	struct rs_chunk_tail *t = &st->tail[cpu];

	if (o->count == 0)
		return 0;
	int merged = take_tail(st, cpu, o);
	if (merged < 0)
		return -1;
	void *blob;
	size_t blob_len;
	if (rs_chunk_pack(o->raw, o->len, &blob, &blob_len) != 0)
		return rs_store_fail(st, "compressing a chunk");
	sqlite3_stmt *s;
	if (merged) {
		s = st->stmt[ST_CHUNK_EXTEND];
		sqlite3_bind_int64(s, 1, t->rowid);
		sqlite3_bind_int64(s, 2, rs_i64(o->count));
		sqlite3_bind_int64(s, 3, o->min_ns);
		sqlite3_bind_int64(s, 4, o->max_ns);
		sqlite3_bind_int64(s, 5, rs_i64(o->len));
		sqlite3_bind_blob(s, 6, blob, (int)blob_len, free);
	} else {
		s = st->stmt[ST_CHUNK_INSERT];
		sqlite3_bind_int64(s, 1, st->trace_id);
		sqlite3_bind_int64(s, 2, cpu);
		sqlite3_bind_int64(s, 3, rs_i64(o->first_seq));
		sqlite3_bind_int64(s, 4, rs_i64(o->count));
		sqlite3_bind_int64(s, 5, o->min_ns);
		sqlite3_bind_int64(s, 6, o->max_ns);
		sqlite3_bind_int64(s, 7, rs_i64(o->len));
		sqlite3_bind_blob(s, 8, blob, (int)blob_len, free);
	}
	if (run(st, merged ? ST_CHUNK_EXTEND : ST_CHUNK_INSERT) != 0)
		return -1;
	if (!merged)
		t->rowid = sqlite3_last_insert_rowid(st->db);
	t->first_seq = o->first_seq;
	t->count = o->count;
	t->raw_size = o->len;
	t->min_ns = o->min_ns;
	t->max_ns = o->max_ns;
	assert(t->next_seq == o->first_seq + o->count);
	o->len = o->count = 0;
	return 0;
}

int rs_store_ingest_flush(struct rs_store *st)
{
	for (unsigned c = 0; c < RS_MAX_CPUS; c++)
		if (write_chunk(st, c) != 0)
			return -1;
	if (write_promises(st) != 0 || write_type_counts(st) != 0)
		return -1;
	forget_batch(st);
	return 0;
}

/* ---- per event ------------------------------------------------------ */

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

int rs_store_lost_unknown(struct rs_store *st, uint16_t cpu, int64_t from_ns,
			  int64_t to_ns, const char *what)
{
	sqlite3_stmt *s;

	assert(st->in_txn && st->trace_id != 0);
	/* Rare (an import's few gaps): prepared where used. */
	if (sqlite3_prepare_v2(st->db, "INSERT INTO lost_unknown (trace_id, cpu,"
			       " from_ns, to_ns, what) VALUES (?1, ?2, ?3, ?4, ?5)",
			       -1, &s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "lost_unknown");
	sqlite3_bind_int64(s, 1, st->trace_id);
	sqlite3_bind_int64(s, 2, cpu);
	if (from_ns >= 0)
		sqlite3_bind_int64(s, 3, from_ns);
	if (to_ns >= 0)
		sqlite3_bind_int64(s, 4, to_ns);
	sqlite3_bind_text(s, 5, what, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : rs_store_fail(st, "lost_unknown");
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
		if (ev->str)
			sqlite3_bind_text(s, 4, ev->str, (int)ev->str_len,
					  SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 5, ts);
		return run(st, ST_THREAD_CREATE);
	case RS_EV_THREAD_EXIT:
		s = st->stmt[ST_THREAD_EXIT];
		sqlite3_bind_int64(s, 1, tid);
		sqlite3_bind_int64(s, 2, rs_i64(ev->a));
		sqlite3_bind_int64(s, 3, ts);
		return run(st, ST_THREAD_EXIT);
	case RS_EV_PROMISE_CREATE:
	case RS_EV_PROMISE_RESOLVE:
	case RS_EV_PROMISE_CANCEL:
	case RS_EV_PROMISE_FAIL:
	case RS_EV_PROMISE_LABEL:
		return note_promise(st, ev, ts);
	default:
		return 0;
	}
}

/* Add a record to its CPU's open chunk, writing the chunk first if the
 * record does not continue it or would overfill it. */
static int append_record(struct rs_store *st, const struct rs_event *ev,
			 int64_t ts)
{
	struct rs_open_chunk *o = &st->open[ev->cpu];

	if (o->count && (o->first_seq + o->count != ev->seq ||
			 o->len + ev->raw_size > RS_CHUNK_TARGET))
		if (write_chunk(st, ev->cpu) != 0)
			return -1;
	if (!o->raw) {
		/* Room for a full chunk plus a small tail merged in front. */
		o->raw = malloc(2 * RS_CHUNK_TARGET);
		if (!o->raw)
			return rs_store_fail(st, "out of memory");
	}
	if (o->count == 0) {
		o->first_seq = ev->seq;
		o->min_ns = o->max_ns = ts;
	}
	memcpy(o->raw + o->len, ev->raw, ev->raw_size);
	o->len += ev->raw_size;
	o->count++;
	o->min_ns = ts < o->min_ns ? ts : o->min_ns;
	o->max_ns = ts > o->max_ns ? ts : o->max_ns;
	return 0;
}

int rs_store_event(struct rs_store *st, const struct rs_event *ev)
{
	assert(st->in_txn && st->trace_id != 0 && st->tails_loaded);
	if (ev->type == RS_EV_PAD)
		return 0;
	/* Gaps live in their own table: a gap has no record of its own. */
	if (ev->type == RS_EV_LOST)
		return store_lost(st, ev);
	assert(ev->cpu < RS_MAX_CPUS && ev->raw && ev->raw_size >= RS_RECORD_HDR &&
	       ev->raw_size <= RS_MAX_RECORD);

	struct rs_chunk_tail *t = &st->tail[ev->cpu];
	if (ev->seq < t->next_seq) {
		st->counts.duplicates++;
		return 0;
	}
	const int64_t ts = (int64_t)rs_tsc_to_ns(&st->layout, ev->tsc);
	if (append_record(st, ev, ts) != 0)
		return -1;
	t->next_seq = ev->seq + 1;
	st->counts.inserted++;
	st->type_count[ev->type]++;
	return derive(st, ev, ts);
}
