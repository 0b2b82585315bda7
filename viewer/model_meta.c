/*
 * model_meta.c - every connection the viewer makes (read-only, checked),
 * and what the viewer's model reads beside the events: the
 * trace row (source, clocks, verdict), the names of code addresses, every
 * CPU's registers at a panic, and the losses (counted and of unknown
 * size). Small tables, read once per load on the loader's connection;
 * model.c reads the events themselves. And freeing a model.
 *
 * The database is opened read-only, through the one opener every tool
 * uses (rs_db_open): the viewer must never change a trace, and a foreign
 * file must come out untouched. The 16-byte header is checked before
 * SQLite sees it, so "not a database" is a clear message rather than
 * whatever the first failing statement says.
 */
#include "model_meta.h"

#include <assert.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sum.h"
#include "trace_read.h"
#include "xcpu.h"

/* Every connection the viewer makes: read-only, with the one policy
 * every tool shares (rs_db_open). NOMUTEX: each connection is used by one
 * thread only, and SQLite's per-call locking showed up at the top of the
 * load profile. NULL with the reason in err. */
sqlite3 *rv_db_open_ro(const char *path, char *err, size_t errlen)
{
	sqlite3 *db;
	if (rs_db_open(path, RS_DB_READ | RS_DB_NOMUTEX, &db, NULL, NULL, err,
		       errlen) != RS_DB_OK)
		return NULL;
	return db;
}

int rv_meta_latest_trace(sqlite3 *db, const char *path,
			  struct rs_trace_row *row, char *err, size_t errlen)
{
	char why[256];
	int rc = rs_trace_row_read(db, 0, row, why, sizeof why);
	if (rc == RS_DB_NO_TRACE)
		snprintf(err, errlen, "%s: ringside database holds no trace", path);
	else if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc == 0 ? 0 : -1;
}

bool rv_model_check(const char *path, char *err, size_t errlen)
{
	assert(path && err && errlen > 0);
	struct rs_trace_row row;
	sqlite3 *db = rv_db_open_ro(path, err, errlen);
	if (!db)
		return false;
	int rc = rv_meta_latest_trace(db, path, &row, err, errlen);
	sqlite3_close(db);
	return rc == 0;
}

/* A model with what is read beside the events, and its CPU count. */
rv_model *rv_meta_model_new(sqlite3 *db, const char *path,
			     const struct rs_trace_row *row)
{
	rv_model *m = g_new0(rv_model, 1);
	m->path = g_strdup(path);
	m->trace_id = row->id;
	m->strings = g_string_chunk_new(1 << 16);
	rv_meta_take_trace_row(row, m);
	rv_meta_load_frame_names(db, m);
	rv_meta_load_panic_cpus(db, m);
	if (m->ncpus < 1)
		m->ncpus = 1;

	char sql[200];
	snprintf(sql, sizeof sql, "SELECT max(cpu) FROM trace_cpu WHERE "
		 "trace_id = %lld", (long long)row->id);
	const int64_t cpu_max = rv_meta_query_i64(db, sql, 0);
	if (cpu_max + 1 > m->ncpus)
		m->ncpus = (int)cpu_max + 1;
	if (m->ncpus > 256)
		m->ncpus = 256;
	rv_meta_load_lost(db, m);
	return m;
}

/* The trace's extent as its chunks' bounds say: the earliest of each
 * CPU's first chunk and the latest of its last, by index lookups (a
 * preview's frame, not a fact: a CPU's clock may step back within it).
 * [0, 0] with no chunks. */
void rv_meta_trace_extent(sqlite3 *db, int64_t trace_id, int ncpus,
			  int64_t *lo, int64_t *hi)
{
	*lo = INT64_MAX;
	*hi = INT64_MIN;
	for (int c = 0; c < ncpus; c++) {
		char sql[200];
		snprintf(sql, sizeof sql, "SELECT min_ns FROM chunks WHERE "
			 "trace_id = %lld AND cpu = %d ORDER BY first_seq "
			 "LIMIT 1", (long long)trace_id, c);
		const int64_t first = rv_meta_query_i64(db, sql, INT64_MAX);
		snprintf(sql, sizeof sql, "SELECT max_ns FROM chunks WHERE "
			 "trace_id = %lld AND cpu = %d ORDER BY first_seq DESC "
			 "LIMIT 1", (long long)trace_id, c);
		const int64_t last = rv_meta_query_i64(db, sql, INT64_MIN);
		if (first < *lo)
			*lo = first;
		if (last > *hi)
			*hi = last;
	}
	if (*lo > *hi)
		*lo = *hi = 0;
}

int64_t rv_meta_query_i64(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *dup_col(GStringChunk *sc, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return g_string_chunk_insert(sc, (const char *)sqlite3_column_text(st, i));
}

static char *dup_text(GStringChunk *sc, const char *v)
{
	return v[0] ? g_string_chunk_insert(sc, v) : NULL;
}

/* What the viewer shows of the trace row (rs_trace_row_read). */
void rv_meta_take_trace_row(const struct rs_trace_row *r, rv_model *m)
{
	GStringChunk *sc = m->strings;
	m->ncpus = (int)r->ncpus;
	g_strlcpy(m->guest_state, r->guest_state[0] ? r->guest_state
						      : "unknown",
		  sizeof m->guest_state);
	if (r->has_hung_at) {
		m->hung = true;
		m->hung_at = r->hung_at_ns;
	} else if (!strcmp(m->guest_state, "hung")) {
		m->hung = true;   /* never beat: mark the start */
		m->hung_at = INT64_MIN;
	}
	if (r->has_stuck && r->stuck_cpu >= 0 && r->stuck_cpu < r->ncpus) {
		m->stuck = true;
		m->stuck_cpu = (int)r->stuck_cpu;
		m->stuck_at = r->has_stuck_at ? r->stuck_at_ns : INT64_MIN;
	}
	if (r->has_panic) {
		m->panicked = true;
		m->panic_reason = g_string_chunk_insert(sc, r->panic_reason);
		m->panic_t = r->panic_ts_ns;
		m->panic_regs = dup_text(sc, r->panic_regs);
		m->panic_backtrace = dup_text(sc, r->panic_backtrace);
		m->panic_cpu = r->panic_cpu;
		m->panic_vector = (int64_t)r->panic_vector;
		m->panic_rip = (int64_t)r->panic_rip;
		m->panic_fault_addr = (int64_t)r->panic_fault_addr;
	}
}

/* The names `ringside run` or `collect --kernel` stored for the panic's
 * frames (table frames; a database without it has none): the rip's as
 * "FUNCTION (FILE:LINE)", the backtrace as one "#N 0xADDR ..." line per
 * frame. Formatted by SQL, so the viewer needs no kernel ELF. */
void rv_meta_load_frame_names(sqlite3 *db, rv_model *m)
{
	static const char name_sql[] =
		"coalesce(function, '?" "?') || coalesce(' (' || file || ':' || line"
		" || ')', '')";
	char sql[400];
	sqlite3_stmt *st;

	snprintf(sql, sizeof sql, "SELECT kind, idx, addr, printf('#%%-2d 0x%%x ', idx, addr)"
		 " || %s, %s FROM frames WHERE trace_id = ?1 AND kind IN"
		 " ('panic_rip', 'backtrace') ORDER BY kind DESC, idx", name_sql,
		 name_sql);
	if (!m->panicked ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, m->trace_id);
	GString *bt = g_string_new(NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		if (kind && !strcmp(kind, "backtrace"))
			g_string_append_printf(bt, "%s%s", bt->len ? "\n" : "",
					       (const char *)sqlite3_column_text(st, 3));
		else if (sqlite3_column_int64(st, 2) == m->panic_rip)
			m->panic_rip_name = dup_col(m->strings, st, 4);
	}
	sqlite3_finalize(st);
	if (bt->len)
		m->panic_frames = g_string_chunk_insert(m->strings, bt->str);
	g_string_free(bt, TRUE);
}

/* Each CPU at the panic (panic_cpus), a line each, rip named (frames). */
void rv_meta_load_panic_cpus(sqlite3 *db, rv_model *m)
{
	sqlite3_stmt *st;
	if (!m->panicked ||
	    sqlite3_prepare_v2(db,
			       "SELECT 'cpu ' || p.cpu || ': ' || p.state ||"
			       " coalesce(' at rip ' || json_extract(p.regs, '$.rip'), '') ||"
			       " CASE WHEN f.idx IS NULL THEN '' ELSE ' in ' ||"
			       "   coalesce(f.function, '?" "?') ||"
			       "   coalesce(' (' || f.file || ':' || f.line || ')', '') END"
			       " FROM panic_cpus p LEFT JOIN frames f ON f.trace_id = p.trace_id"
			       " AND f.kind = 'cpu_rip' AND f.idx = p.cpu"
			       " AND printf('0x%x', f.addr) = json_extract(p.regs, '$.rip')"
			       " WHERE p.trace_id = ?1 ORDER BY p.cpu", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, m->trace_id);
	GString *s = g_string_new(NULL);
	while (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		g_string_append_printf(s, "%s%s", s->len ? "\n" : "",
				       (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (s->len)
		m->panic_cpus = g_string_chunk_insert(m->strings, s->str);
	g_string_free(s, TRUE);
}

/* Gaps with their counts, then those of unknown size (an imported
 * file's, in lost_unknown; a database without the table has none), count
 * -1; the whole list ordered by from_ns. */
static int cmp_lost(const void *a, const void *b)
{
	const rv_lost *x = a, *y = b;
	return x->from < y->from ? -1 : x->from > y->from;
}

static void load_lost_from(sqlite3 *db, rv_model *m, const char *sql);

void rv_meta_load_lost(sqlite3 *db, rv_model *m)
{
	load_lost_from(db, m, "SELECT cpu, count, from_ns, to_ns FROM lost"
		       " WHERE trace_id = ?1 ORDER BY from_ns");
	const uint32_t known = m->nlost;
	load_lost_from(db, m, "SELECT cpu, -1, from_ns, to_ns FROM lost_unknown"
		       " WHERE trace_id = ?1");
	if (m->nlost > known)
		qsort(m->lost, m->nlost, sizeof *m->lost, cmp_lost);
}

static void load_lost_from(sqlite3 *db, rv_model *m, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, m->trace_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		/* powers of two from 16: the capacity follows from nlost */
		if (m->nlost >= 16 && !(m->nlost & (m->nlost - 1)))
			m->lost = g_realloc_n(m->lost, 2 * (size_t)m->nlost,
					      sizeof *m->lost);
		else if (m->nlost == 0)
			m->lost = g_realloc_n(m->lost, 16, sizeof *m->lost);
		rv_lost *l = &m->lost[m->nlost++];
		l->cpu = sqlite3_column_int(st, 0);
		l->count = sqlite3_column_int64(st, 1);
		/* unknown ends: the gap reaches the edge of what we know */
		l->from = sqlite3_column_type(st, 2) == SQLITE_NULL ? INT64_MIN :
			sqlite3_column_int64(st, 2);
		l->to = sqlite3_column_type(st, 3) == SQLITE_NULL ? INT64_MAX :
			sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
}

/* The trace the viewer shows: the newest. 0, or -1 with err set. */

int64_t rv_db_event_count(const char *path)
{
	char err[256];
	sqlite3 *db = rv_db_open_ro(path, err, sizeof err);
	if (!db)
		return -1;
	/* max(seq) per CPU summed is an index-only probe; count(*) on 10 M
	 * rows would cost a scan every poll. */
	int64_t v = rv_meta_query_i64(db, "SELECT sum(accepted) + (SELECT count(*) FROM "
			      "lost) FROM trace_cpu WHERE trace_id = "
			      "(SELECT max(id) FROM trace)", -1);
	sqlite3_close(db);
	return v;
}

int rv_db_type_counts(const char *path, int64_t trace_id, int64_t a,
		      int64_t b, uint64_t counts[256], char *err,
		      size_t errlen)
{
	assert(path && counts && a <= b);
	memset(counts, 0, 256 * sizeof counts[0]);
	sqlite3 *db = rv_db_open_ro(path, err, errlen);
	if (!db)
		return -1;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT type, count(*) FROM events"
				    " WHERE trace_id = ?1 AND ts_ns >= ?2 AND"
				    " ts_ns <= ?3 GROUP BY type", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, trace_id);
		sqlite3_bind_int64(st, 2, a);
		sqlite3_bind_int64(st, 3, b);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t type = sqlite3_column_int64(st, 0);
			if (type >= 0 && type < 256)
				counts[type] = (uint64_t)sqlite3_column_int64(st, 1);
		}
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "%s: counting events: %s", path,
			 sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

void rv_spans_free(rv_spans *s)
{
	rv_times_free(&s->start); rv_times_free(&s->end);
	rv_u32s_free(&s->ref); rv_u32s_free(&s->kind);
	rv_times_free(&s->cum);
	rv_sum_free(s);
	memset(s, 0, sizeof *s);
}

void rv_model_free(rv_model *m)
{
	if (!m)
		return;
	for (int c = 0; m->cpu_lane && c < m->ncpus; c++) {
		rv_spans_free(&m->cpu_lane[c]);
		rv_spans_free(&m->cpu_irq[c]);
		rv_spans_free(&m->cpu_idle[c]);
		rv_spans_free(&m->cpu_alloc[c]);
		rv_spans_free(&m->cpu_gap[c]);
	}
	g_free(m->cpu_gap);
	rv_xcpu_free(&m->xcpu);
	g_free(m->cpu_lane); g_free(m->cpu_irq); g_free(m->cpu_idle); g_free(m->cpu_alloc);
	rv_spans_free(&m->band_idle);
	rv_spans_free(&m->band_irq);
	rv_spans_free(&m->band_alloc);
	for (uint32_t i = 0; i < m->nthreads; i++)
		rv_spans_free(&m->threads[i].states);
	g_free(m->threads);
	rv_pps *p = &m->pp;
	rv_vals_free(&p->id); g_free(p->parent); rv_u32s_free(&p->thread);
	rv_vals_free(&p->created); rv_vals_free(&p->resolved);
	rv_vals_free(&p->own_end); rv_u32s_free(&p->cont_root);
	g_free(p->cont_start);
	rv_u32s_free(&p->follows); g_free(p->row); g_free(p->ptype);
	g_free(p->state);
	rv_u32s_free(&p->lost_create); rv_u32s_free(&p->cpu);
	g_free(p->label);
	g_free(p->fail_msg); g_free(p->label_t);
	rv_pp_sparse_free(p);
	rv_arrows *a = &m->arrows;
	rv_times_free(&a->t1); g_free(a->t0_res);
	g_free(a->from); g_free(a->to);
	g_free(a->kind);
	for (uint32_t r = 0; r < m->nrows; r++) {
		rv_row_sum_free(&m->rows[r]);
		rv_row_free(&m->rows[r]);
	}
	g_free(m->rows);
	for (uint32_t i = 0; i < m->ncounters; i++) {
		rv_counter *c = &m->counters[i];
		rv_ctr_sum_free(c);
		for (int k = 0; k < c->nlevels; k++) {
			g_free(c->pmin[k]);
			g_free(c->pmax[k]);
		}
		g_free(c->pmin); g_free(c->pmax); rv_times_free(&c->t); rv_vals_free(&c->v);
	}
	g_free(m->counters);
	g_free(m->lost);
	g_free(m->marks);
	if (m->strings)
		g_string_chunk_free(m->strings);
	g_free(m->path);
	g_free(m);
}
