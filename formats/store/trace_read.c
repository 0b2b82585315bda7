/*
 * trace_read.c - the read side of the trace store (see trace_read.h).
 *
 * The database may come from anywhere: a user can hand us any file. So it
 * is opened read-only, its markers are checked before any table is read,
 * and every value read back is treated as data, never trusted as a size.
 */
#include "trace_read.h"

#include <assert.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rs_chunk.h"


struct rs_trace_db {
	sqlite3 *db;
	char err[256];
};

static int fail(struct rs_trace_db *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return -1;
}

struct rs_trace_db *rs_trace_open(const char *path, char *err, size_t errlen)
{
	struct rs_trace_db *t = calloc(1, sizeof(*t));

	assert(path && err);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (rs_db_open(path, RS_DB_READ, &t->db, NULL, NULL, err,
		       errlen) != RS_DB_OK) {
		free(t);
		return NULL;
	}
	return t;
}

void rs_trace_close(struct rs_trace_db *t)
{
	if (!t)
		return;
	sqlite3_close(t->db);
	free(t);
}

const char *rs_trace_error(const struct rs_trace_db *t)
{
	return t->err;
}

struct sqlite3 *rs_trace_sqlite(struct rs_trace_db *t)
{
	return t->db;
}

/* The totals of the trace's chunks and losses. */
static int trace_totals(struct rs_trace_db *t, struct rs_trace_meta *m)
{
	static const char sql[] =
		"SELECT (SELECT coalesce(sum(count), 0) FROM chunks"
		"  WHERE trace_id = ?1),"
		" (SELECT coalesce(sum(count), 0) FROM lost WHERE trace_id = ?1),"
		" (SELECT coalesce(min(min_ns), 0) FROM chunks WHERE trace_id = ?1),"
		" (SELECT coalesce(max(max_ns), 0) FROM chunks WHERE trace_id = ?1)";
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(t->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(t, "reading the trace: %s", sqlite3_errmsg(t->db));
	sqlite3_bind_int64(s, 1, m->id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		m->events = sqlite3_column_int64(s, 0);
		m->lost = sqlite3_column_int64(s, 1);
		m->first_ts_ns = sqlite3_column_int64(s, 2);
		m->last_ts_ns = sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return fail(t, "reading the trace: %s", sqlite3_errmsg(t->db));
	return 0;
}

int rs_trace_meta(struct rs_trace_db *t, int64_t trace_id,
		  struct rs_trace_meta *m)
{
	struct rs_trace_row r;

	assert(t && m);
	memset(m, 0, sizeof(*m));
	int rc = rs_trace_row_read(t->db, trace_id, &r, t->err, sizeof(t->err));
	if (rc == RS_DB_NO_TRACE)
		return fail(t, "no trace %lld in the database",
			    (long long)trace_id);
	if (rc != 0)
		return -1;
	m->id = r.id;
	snprintf(m->source, sizeof(m->source), "%s", r.source);
	m->nonce = r.nonce;
	m->tsc_hz = r.tsc_hz;
	m->boot_tsc = r.boot_tsc;
	m->boot_wall_ns = r.boot_wall_ns;
	m->region_gpa = r.region_gpa;
	m->ncpus = r.ncpus > 0 && r.ncpus <= RS_MAX_CPUS ? (uint32_t)r.ncpus : 1;
	snprintf(m->mode, sizeof(m->mode), "%s", r.mode);
	snprintf(m->guest_state, sizeof(m->guest_state), "%s", r.guest_state);
	m->has_hung_at = r.has_hung_at;
	m->hung_at_ns = r.hung_at_ns;
	m->has_panic = r.has_panic;
	memcpy(m->panic_reason, r.panic_reason, sizeof(m->panic_reason));
	m->panic_ts_ns = r.panic_ts_ns;
	m->panic_rip = r.panic_rip;
	m->panic_vector = r.panic_vector;
	m->panic_fault_addr = r.panic_fault_addr;
	m->panic_cpu = (uint32_t)r.panic_cpu;
	snprintf(m->panic_regs, sizeof(m->panic_regs), "%s", r.panic_regs);
	return trace_totals(t, m);
}

/*
 * Events come out of chunks (rs_chunk.h): one CPU's records in record
 * order, decoded by the one decoder. A stream holds one CPU's current
 * chunk, decoded, so RS_ORDER_TIME can merge the CPUs by time with at
 * most one chunk per CPU in memory.
 */
struct stream {
	sqlite3_stmt *st;         /* this CPU's chunks, in record order */
	struct rs_layout clock;
	int64_t from_ns, to_ns;
	struct rs_row *rows;
	size_t n, cap, pos;
	char *strs;               /* the rows' strings, back to back */
	size_t slen, scap;
	int done;
};

struct fill_ctx {
	struct stream *s;
	int oom;
};

static int keep_row(void *opaque, const struct rs_event *ev)
{
	struct fill_ctx *f = opaque;
	struct stream *s = f->s;
	int64_t ts = (int64_t)rs_tsc_to_ns(&s->clock, ev->tsc);

	if (ts < s->from_ns || ts > s->to_ns)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		void *p = realloc(s->rows, cap * sizeof(*s->rows));
		if (!p)
			return f->oom = 1;
		s->rows = p;
		s->cap = cap;
	}
	struct rs_row *r = &s->rows[s->n++];
	*r = (struct rs_row){
		.ts_ns = ts, .seq = ev->seq, .type = ev->type, .cpu = ev->cpu,
		.ctx = ev->ctx, .a = ev->a, .b = ev->b, .c = ev->c,
	};
	if (ev->str) {
		if (s->slen + ev->str_len + 1 > s->scap) {
			size_t cap = (s->scap + ev->str_len + 1) * 2;
			void *p = realloc(s->strs, cap);
			if (!p)
				return f->oom = 1;
			s->strs = p;
			s->scap = cap;
		}
		/* An offset for now: the buffer may still move. */
		r->str = (const char *)(uintptr_t)(s->slen + 1);
		memcpy(s->strs + s->slen, ev->str, ev->str_len + 1);
		s->slen += ev->str_len + 1;
	}
	return 0;
}

/* Make s->rows[s->pos] the next row, decoding chunks as needed. Returns 0
 * (check s->done), or -1 with the reason in t->err. */
static int stream_fill(struct rs_trace_db *t, struct rs_chunk_reader *rd,
		       struct stream *s)
{
	while (s->pos == s->n && !s->done) {
		int rc = sqlite3_step(s->st);
		if (rc == SQLITE_DONE) {
			s->done = 1;
			break;
		}
		if (rc != SQLITE_ROW)
			return fail(t, "reading events: %s", sqlite3_errmsg(t->db));
		int64_t cpu = sqlite3_column_int64(s->st, 0);
		if (cpu < 0 || cpu >= RS_MAX_CPUS)
			return fail(t, "reading events: chunk with cpu %lld",
				    (long long)cpu);
		struct rs_chunk c = {
			.cpu = (uint16_t)cpu,
			.first_seq = (uint64_t)sqlite3_column_int64(s->st, 1),
			.count = (uint64_t)sqlite3_column_int64(s->st, 2),
			.raw_size = (uint64_t)sqlite3_column_int64(s->st, 3),
			.blob = sqlite3_column_blob(s->st, 4),
			.blob_len = (size_t)sqlite3_column_bytes(s->st, 4),
		};
		struct fill_ctx f = { .s = s };
		s->n = s->pos = s->slen = 0;
		rc = rs_chunk_decode(rd, &c, keep_row, &f);
		if (f.oom)
			return fail(t, "reading events: out of memory");
		if (rc != 0)
			return fail(t, "reading events: %s",
				    rs_chunk_reader_error(rd));
		for (size_t i = 0; i < s->n; i++)
			if (s->rows[i].str)
				s->rows[i].str = s->strs +
					((uintptr_t)s->rows[i].str - 1);
	}
	return 0;
}

static int stream_open(struct rs_trace_db *t, struct stream *s,
		       int64_t trace_id, int cpu, const struct rs_layout *clock,
		       int64_t from_ns, int64_t to_ns)
{
	static const char sql[] =
		"SELECT cpu, first_seq, count, raw_size, records FROM chunks"
		" WHERE trace_id = ?1 AND cpu = ?2 AND max_ns >= ?3"
		" AND min_ns <= ?4 ORDER BY first_seq";

	memset(s, 0, sizeof(*s));
	s->clock = *clock;
	s->from_ns = from_ns;
	s->to_ns = to_ns;
	if (sqlite3_prepare_v2(t->db, sql, -1, &s->st, NULL) != SQLITE_OK)
		return fail(t, "reading events: %s", sqlite3_errmsg(t->db));
	sqlite3_bind_int64(s->st, 1, trace_id);
	sqlite3_bind_int(s->st, 2, cpu);
	sqlite3_bind_int64(s->st, 3, from_ns);
	sqlite3_bind_int64(s->st, 4, to_ns);
	return 0;
}

/* The trace's clock, for ts_ns: the same conversion the collector used
 * for the chunks' min_ns/max_ns. Zero if the trace has no row. */
static int trace_clock(struct rs_trace_db *t, int64_t trace_id,
		       struct rs_layout *clock)
{
	struct rs_trace_row r;

	memset(clock, 0, sizeof(*clock));
	/* trace_id 0 would read the newest row: here it means none. */
	if (trace_id == 0)
		return 0;
	int rc = rs_trace_row_read(t->db, trace_id, &r, t->err, sizeof(t->err));
	if (rc < 0)
		return fail(t, "reading events: %s", sqlite3_errmsg(t->db));
	if (rc == 0) {
		clock->tsc_hz = r.tsc_hz;
		clock->boot_tsc = r.boot_tsc;
	}
	return 0;
}

static void stream_close(struct stream *s)
{
	sqlite3_finalize(s->st);
	free(s->rows);
	free(s->strs);
}

/* The CPUs that have chunks in the trace, as a bit mask. */
static int trace_cpus(struct rs_trace_db *t, int64_t trace_id,
		      uint32_t *mask)
{
	sqlite3_stmt *q;
	int rc;

	*mask = 0;
	if (sqlite3_prepare_v2(t->db, "SELECT DISTINCT cpu FROM chunks"
			       " WHERE trace_id = ?1", -1, &q, NULL) != SQLITE_OK)
		return fail(t, "reading events: %s", sqlite3_errmsg(t->db));
	sqlite3_bind_int64(q, 1, trace_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t cpu = sqlite3_column_int64(q, 0);
		if (cpu < 0 || cpu >= RS_MAX_CPUS) {
			sqlite3_finalize(q);
			return fail(t, "reading events: chunk with cpu %lld",
				    (long long)cpu);
		}
		*mask |= 1u << cpu;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return fail(t, "reading events: %s", sqlite3_errmsg(t->db));
	return 0;
}

/* Row order within RS_ORDER_TIME: time, then cpu, then seq. */
static int row_before(const struct rs_row *x, const struct rs_row *y)
{
	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu;
	return x->seq < y->seq;
}

int rs_trace_events(struct rs_trace_db *t, int64_t trace_id,
		    enum rs_order order, int64_t from_ns, int64_t to_ns,
		    rs_row_cb cb, void *opaque)
{
	assert(t && cb);
	assert(order == RS_ORDER_TIME || order == RS_ORDER_CPU_TIME);
	struct stream s[RS_MAX_CPUS];
	int nstreams = 0, result = 0;
	uint32_t mask;
	struct rs_chunk_reader *rd = rs_chunk_reader_new();

	if (!rd)
		return fail(t, "reading events: out of memory");
	struct rs_layout clock;
	if (trace_cpus(t, trace_id, &mask) != 0 ||
	    trace_clock(t, trace_id, &clock) != 0) {
		rs_chunk_reader_free(rd);
		return -1;
	}
	for (int cpu = 0; cpu < (int)RS_MAX_CPUS; cpu++) {
		if (!(mask & (1u << cpu)))
			continue;
		if (stream_open(t, &s[nstreams], trace_id, cpu, &clock, from_ns,
				to_ns) != 0) {
			stream_close(&s[nstreams]);
			result = -1;
			goto out;
		}
		nstreams++;
	}
	if (order == RS_ORDER_CPU_TIME) {
		/* CPU by CPU, each in record order (which is its time order). */
		for (int i = 0; i < nstreams && !result; i++)
			for (;;) {
				if (stream_fill(t, rd, &s[i]) != 0) {
					result = -1;
					break;
				}
				if (s[i].done && s[i].pos == s[i].n)
					break;
				result = cb(opaque, &s[i].rows[s[i].pos++]);
				if (result)
					break;
			}
		goto out;
	}
	for (;;) {
		int best = -1;
		for (int i = 0; i < nstreams; i++) {
			if (stream_fill(t, rd, &s[i]) != 0) {
				result = -1;
				goto out;
			}
			if (s[i].pos == s[i].n)
				continue;
			if (best < 0 || row_before(&s[i].rows[s[i].pos],
						   &s[best].rows[s[best].pos]))
				best = i;
		}
		if (best < 0)
			break;
		result = cb(opaque, &s[best].rows[s[best].pos++]);
		if (result)
			break;
	}
out:
	for (int i = 0; i < nstreams; i++)
		stream_close(&s[i]);
	rs_chunk_reader_free(rd);
	return result;
}

/* Gaps from `sql` (rows cpu, count, from_ns, to_ns; ?1 the trace). A
 * table that is not there has none when `missing_ok` (older files lack
 * lost_unknown). */
static int gaps_from(struct rs_trace_db *t, const char *sql, int missing_ok,
		     int64_t trace_id, rs_gap_cb cb, void *opaque)
{
	assert(t && cb);
	sqlite3_stmt *s;
	int rc, result = 0;

	if (sqlite3_prepare_v2(t->db, sql, -1, &s, NULL) != SQLITE_OK)
		return missing_ok ? 0 : fail(t, "reading losses: %s",
					     sqlite3_errmsg(t->db));
	sqlite3_bind_int64(s, 1, trace_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct rs_gap g = {
			.cpu = (uint16_t)sqlite3_column_int64(s, 0),
			.count = (uint64_t)sqlite3_column_int64(s, 1),
			.from_ns = sqlite3_column_int64(s, 2),
			.to_ns = sqlite3_column_int64(s, 3),
		};
		result = cb(opaque, &g);
		if (result)
			break;
	}
	if (!result && rc != SQLITE_DONE)
		result = fail(t, "reading losses: %s", sqlite3_errmsg(t->db));
	sqlite3_finalize(s);
	return result;
}

int rs_trace_unknown_gaps(struct rs_trace_db *t, int64_t trace_id,
			  rs_gap_cb cb, void *opaque)
{
	return gaps_from(t, "SELECT cpu, 0, coalesce(from_ns, -1),"
			 " coalesce(to_ns, -1) FROM lost_unknown WHERE"
			 " trace_id = ?1 ORDER BY id", 1, trace_id, cb, opaque);
}

int rs_trace_gaps(struct rs_trace_db *t, int64_t trace_id, rs_gap_cb cb,
		  void *opaque)
{
	return gaps_from(t, "SELECT cpu, count, coalesce(from_ns, -1),"
			 " coalesce(to_ns, -1) FROM lost WHERE trace_id = ?1"
			 " AND count > 0 ORDER BY cpu, from_ns, id", 0,
			 trace_id, cb, opaque);
}
