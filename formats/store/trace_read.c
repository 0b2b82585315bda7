/*
 * trace_read.c - the read side of the trace store (see trace_read.h).
 *
 * The database may come from anywhere: a user can hand us any file. So it
 * is opened read-only, its markers are checked before any table is read,
 * and every value read back is treated as data, never trusted as a size.
 */
#include "trace_read.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rs_chunk.h"
#include "rs_file.h"
#include "sql_events.h"


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

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int ok = sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
		 sqlite3_step(s) == SQLITE_ROW;
	if (ok)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

static int has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *s;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE"
			       " type = 'table' AND name = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

int rs_db_precheck(const char *path, int may_create, char *err,
		   size_t errlen)
{
	static const char sqlite_magic[16] = "SQLite format 3";
	char hdr[sizeof(sqlite_magic)];
	struct stat st;
	int fd = rs_open_regular(path, &st, err, errlen);

	if (fd < 0)
		return fd == -1 && errno == ENOENT && may_create ? 1 : -1;
	if (st.st_size == 0) {
		close(fd);
		if (may_create)
			return 1;
		snprintf(err, errlen, "%s: empty file, not a ringside database",
			 path);
		return -1;
	}
	ssize_t n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, sqlite_magic, sizeof(sqlite_magic)) != 0) {
		snprintf(err, errlen, "%s: not a ringside database (not a SQLite"
			 " file)", path);
		return -1;
	}
	return 0;
}

int rs_db_check(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	static const char *const need[] = { "trace", "chunks", "lost",
					    "trace_cpu", "promises", "threads" };
	int64_t app = 0, version = 0;

	if (pragma_int(db, "PRAGMA application_id", &app) != 0 ||
	    pragma_int(db, "PRAGMA user_version", &version) != 0) {
		/* Locked is not foreign: a writer (a collector creating the
		 * store) held it for longer than the caller's busy timeout. */
		if ((sqlite3_errcode(db) & 0xff) == SQLITE_BUSY)
			snprintf(err, errlen, "%s: database is busy (locked by"
				 " another process, e.g. a collector writing"
				 " it); try again", path);
		else
			snprintf(err, errlen, "%s: not a SQLite database (%s)",
				 path, sqlite3_errmsg(db));
		return -1;
	}
	if (app != RS_DB_APP_ID) {
		snprintf(err, errlen, "%s: not a ringside trace database "
			 "(application_id 0x%llx, expected 0x%x)", path,
			 (unsigned long long)(uint32_t)app, RS_DB_APP_ID);
		return -1;
	}
	/* Version 0 was never written by a ringside: let the tables say
	 * what is missing. Any other version is a ringside of another age. */
	if (version != 0 && version != RS_DB_VERSION) {
		snprintf(err, errlen, "%s: written by %s ringside (schema "
			 "version %lld; this one reads %d)", path,
			 version > RS_DB_VERSION ? "a newer" : "an older",
			 (long long)version, RS_DB_VERSION);
		return -1;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!has_table(db, need[i])) {
			snprintf(err, errlen, "%s: not a ringside trace database"
				 " (no table '%s')", path, need[i]);
			return -1;
		}
	if (version != RS_DB_VERSION) {
		snprintf(err, errlen, "%s: ringside tables without a schema "
			 "version", path);
		return -1;
	}
	return 0;
}

struct rs_trace_db *rs_trace_open(const char *path, char *err, size_t errlen)
{
	struct rs_trace_db *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (rs_db_precheck(path, 0, err, errlen) != 0) {
		free(t);
		return NULL;
	}
	/* Read-only, and no creation: a missing file is an error, not a new
	 * empty database. */
	if (sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 t->db ? sqlite3_errmsg(t->db) : "out of memory");
		rs_trace_close(t);
		return NULL;
	}
	sqlite3_busy_timeout(t->db, 2000);
	if (rs_db_check(t->db, path, err, errlen) != 0) {
		rs_trace_close(t);
		return NULL;
	}
	/* The `events` virtual table decodes chunks through this module. */
	if (rs_sql_register(t->db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(t->db));
		rs_trace_close(t);
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

static void copy_text(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	snprintf(dst, len, "%s", v ? (const char *)v : "");
}

int rs_trace_meta(struct rs_trace_db *t, int64_t trace_id,
		  struct rs_trace_meta *m)
{
	static const char sql[] =
		"SELECT id, source, nonce, tsc_hz, coalesce(boot_wall_ns, 0),"
		" region_gpa, ncpus, mode, guest_state, hung_at_ns,"
		" panic_reason, coalesce(panic_ts_ns, 0), coalesce(panic_rip, 0),"
		" coalesce(panic_vector, 0), coalesce(panic_fault_addr, 0),"
		" coalesce(panic_cpu, 0), coalesce(panic_regs, ''),"
		" (SELECT coalesce(sum(count), 0) FROM chunks"
		"  WHERE trace_id = trace.id),"
		" (SELECT coalesce(sum(count), 0) FROM lost"
		"  WHERE trace_id = trace.id),"
		" (SELECT coalesce(min(min_ns), 0) FROM chunks"
		"  WHERE trace_id = trace.id),"
		" (SELECT coalesce(max(max_ns), 0) FROM chunks"
		"  WHERE trace_id = trace.id)"
		" FROM trace WHERE id = ?1 OR (?1 = 0 AND id = (SELECT max(id)"
		" FROM trace))";
	sqlite3_stmt *s;

	memset(m, 0, sizeof(*m));
	if (sqlite3_prepare_v2(t->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(t, "reading the trace: %s", sqlite3_errmsg(t->db));
	sqlite3_bind_int64(s, 1, trace_id);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return fail(t, "no trace %lld in the database",
				    (long long)trace_id);
		return fail(t, "reading the trace: %s", sqlite3_errmsg(t->db));
	}
	m->id = sqlite3_column_int64(s, 0);
	copy_text(m->source, sizeof(m->source), s, 1);
	m->nonce = (uint64_t)sqlite3_column_int64(s, 2);
	m->tsc_hz = (uint64_t)sqlite3_column_int64(s, 3);
	m->boot_wall_ns = (uint64_t)sqlite3_column_int64(s, 4);
	m->region_gpa = (uint64_t)sqlite3_column_int64(s, 5);
	int64_t ncpus = sqlite3_column_int64(s, 6);
	m->ncpus = ncpus > 0 && ncpus <= RS_MAX_CPUS ? (uint32_t)ncpus : 1;
	copy_text(m->mode, sizeof(m->mode), s, 7);
	copy_text(m->guest_state, sizeof(m->guest_state), s, 8);
	m->has_hung_at = sqlite3_column_type(s, 9) != SQLITE_NULL;
	m->hung_at_ns = sqlite3_column_int64(s, 9);
	m->has_panic = sqlite3_column_type(s, 10) != SQLITE_NULL;
	copy_text(m->panic_reason, sizeof(m->panic_reason), s, 10);
	m->panic_ts_ns = sqlite3_column_int64(s, 11);
	m->panic_rip = (uint64_t)sqlite3_column_int64(s, 12);
	m->panic_vector = (uint64_t)sqlite3_column_int64(s, 13);
	m->panic_fault_addr = (uint64_t)sqlite3_column_int64(s, 14);
	m->panic_cpu = (uint32_t)sqlite3_column_int64(s, 15);
	copy_text(m->panic_regs, sizeof(m->panic_regs), s, 16);
	m->events = sqlite3_column_int64(s, 17);
	m->lost = sqlite3_column_int64(s, 18);
	m->first_ts_ns = sqlite3_column_int64(s, 19);
	m->last_ts_ns = sqlite3_column_int64(s, 20);
	sqlite3_finalize(s);
	return 0;
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
	sqlite3_stmt *q;

	memset(clock, 0, sizeof(*clock));
	if (sqlite3_prepare_v2(t->db, "SELECT tsc_hz, boot_tsc FROM trace"
			       " WHERE id = ?1", -1, &q, NULL) != SQLITE_OK)
		return fail(t, "reading events: %s", sqlite3_errmsg(t->db));
	sqlite3_bind_int64(q, 1, trace_id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		clock->tsc_hz = (uint64_t)sqlite3_column_int64(q, 0);
		clock->boot_tsc = (uint64_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
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

int rs_trace_gaps(struct rs_trace_db *t, int64_t trace_id, rs_gap_cb cb,
		  void *opaque)
{
	static const char sql[] =
		"SELECT cpu, count, coalesce(from_ns, -1), coalesce(to_ns, -1)"
		" FROM lost WHERE trace_id = ?1 AND count > 0"
		" ORDER BY cpu, from_ns, id";
	sqlite3_stmt *s;
	int rc, result = 0;

	if (sqlite3_prepare_v2(t->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(t, "reading losses: %s", sqlite3_errmsg(t->db));
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
