/*
 * model.c - opening a trace database and loading it into an rv_model.
 *
 * The database is opened read-only (SQLITE_OPEN_READONLY): the viewer must
 * never change a trace, and a foreign file must come out untouched. Before
 * SQLite sees it we check the 16-byte header ourselves, so "not a
 * database" is a clear message rather than whatever the first failing
 * statement says.
 *
 * Speed: stored chunks (formats/rs_chunk.h) are read and decoded on
 * several threads, each with its own connection, in ranges of record
 * numbers per CPU, and fed to the derivation (derive.c) in time order as
 * each range arrives, so decoding and deriving overlap.
 */
#include "model.h"

#include <glib.h>
#include <sqlite3.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rs_chunk.h"
#include "trace_read.h"

#define NCHUNKS_MAX 64

typedef struct {
	int cpu;
	int64_t lo, hi;           /* seq range [lo, hi) on that CPU */
	uint32_t n, cap;
	uint8_t *type;
	int64_t *t;
	uint64_t *ctx, *a, *b, *c;
	char **str;               /* NULL or a string from strs */
	GStringChunk *strs;
	bool claimed, done, failed;
} chunk;

/* Ranges a CPU may have decoded ahead of the merge: enough to keep the
 * merge fed, few enough that 10 M events never sit in memory at once
 * (all of them decoded up front were ~500 MB of fresh pages). */
#define LOOKAHEAD 2

typedef struct {
	const char *path;
	int64_t trace_id;
	struct rs_layout clock;   /* the trace's tsc_hz and boot_tsc */
	chunk *chunks;            /* range k of CPU c at k * ncpus + c */
	int nchunks, ncpus;
	int *consumed;            /* per CPU: ranges the merge has finished */
	GMutex lock;
	GCond cond;
} fetch_job;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static sqlite3 *open_ro(const char *path)
{
	sqlite3 *db = NULL;
	/* NOMUTEX: each connection is used by one thread only, and SQLite's
	 * per-call locking showed up at the top of the load profile */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static void chunk_push(chunk *c, int cpu, int64_t t, int type, uint64_t ctx,
		       uint64_t a, uint64_t b, uint64_t cc, const char *s)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4096;
		c->type = g_realloc_n(c->type, c->cap, 1);
		c->t = g_realloc_n(c->t, c->cap, sizeof *c->t);
		c->ctx = g_realloc_n(c->ctx, c->cap, sizeof *c->ctx);
		c->a = g_realloc_n(c->a, c->cap, sizeof *c->a);
		c->b = g_realloc_n(c->b, c->cap, sizeof *c->b);
		c->c = g_realloc_n(c->c, c->cap, sizeof *c->c);
		c->str = g_realloc_n(c->str, c->cap, sizeof *c->str);
	}
	uint32_t i = c->n++;
	c->type[i] = (uint8_t)type;
	c->t[i] = t;
	c->ctx[i] = ctx;
	c->a[i] = a;
	c->b[i] = b;
	c->c[i] = cc;
	c->str[i] = s ? g_string_chunk_insert(c->strs, s) : NULL;
}

static void chunk_free(chunk *c)
{
	int cpu = c->cpu;
	g_free(c->type); g_free(c->t); g_free(c->ctx);
	g_free(c->a); g_free(c->b); g_free(c->c); g_free(c->str);
	if (c->strs)
		g_string_chunk_free(c->strs);
	memset(c, 0, sizeof *c);
	c->cpu = cpu;
	c->done = true;   /* nothing left to wait for */
}

/* rs_chunk_decode delivers each record here; the range's clock turns its
 * tsc into ns exactly as the collector did for the chunk's bounds. */
typedef struct {
	chunk *c;
	const struct rs_layout *clock;
} push_ctx;

static int push_record(void *opaque, const struct rs_event *ev)
{
	push_ctx *p = opaque;
	chunk_push(p->c, ev->cpu, (int64_t)rs_tsc_to_ns(p->clock, ev->tsc),
		   ev->type, ev->ctx, ev->a, ev->b, ev->c, ev->str);
	return 0;
}

static bool fetch_chunk(sqlite3 *db, struct rs_chunk_reader *rd,
			int64_t trace_id, const struct rs_layout *clock,
			chunk *c)
{
	sqlite3_stmt *st = NULL;
	/* Stored chunks whose first record falls in this range: each stored
	 * chunk belongs to exactly one range. */
	if (sqlite3_prepare_v2(db,
		"SELECT first_seq, count, raw_size, records FROM chunks "
		"WHERE trace_id = ?1 AND cpu = ?2 AND first_seq >= ?3 AND "
		"first_seq < ?4 ORDER BY first_seq", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(st, 1, trace_id);
	sqlite3_bind_int(st, 2, c->cpu);
	sqlite3_bind_int64(st, 3, c->lo);
	sqlite3_bind_int64(st, 4, c->hi);
	int rc;
	bool ok = true;
	push_ctx p = { .c = c, .clock = clock };
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rs_chunk ch = {
			.cpu = (uint16_t)c->cpu,
			.first_seq = (uint64_t)sqlite3_column_int64(st, 0),
			.count = (uint64_t)sqlite3_column_int64(st, 1),
			.raw_size = (uint64_t)sqlite3_column_int64(st, 2),
			.blob = sqlite3_column_blob(st, 3),
			.blob_len = (size_t)sqlite3_column_bytes(st, 3),
		};
		ok = rs_chunk_decode(rd, &ch, push_record, &p) == 0;
	}
	sqlite3_finalize(st);
	return ok && rc == SQLITE_DONE;
}

static gpointer fetch_worker(gpointer data)
{
	fetch_job *j = data;
	sqlite3 *db = open_ro(j->path);
	struct rs_chunk_reader *rd = rs_chunk_reader_new();
	for (;;) {
		/* The first unclaimed range within its CPU's lookahead. The
		 * range the merge waits for is always within it, so this
		 * cannot deadlock. */
		g_mutex_lock(&j->lock);
		int i;
		for (;;) {
			bool left = false;
			for (i = 0; i < j->nchunks; i++) {
				if (j->chunks[i].claimed)
					continue;
				left = true;
				if (i / j->ncpus < j->consumed[i % j->ncpus] +
						   LOOKAHEAD)
					break;
			}
			if (i < j->nchunks || !left)
				break;
			g_cond_wait(&j->cond, &j->lock);
		}
		if (i < j->nchunks)
			j->chunks[i].claimed = true;
		g_mutex_unlock(&j->lock);
		if (i >= j->nchunks)
			break;
		bool ok = db && rd && fetch_chunk(db, rd, j->trace_id, &j->clock,
						  &j->chunks[i]);
		g_mutex_lock(&j->lock);
		j->chunks[i].done = true;
		j->chunks[i].failed = !ok;
		g_cond_broadcast(&j->cond);
		g_mutex_unlock(&j->lock);
	}
	rs_chunk_reader_free(rd);
	sqlite3_close(db);
	return NULL;
}

static int64_t query_i64(sqlite3 *db, const char *sql, int64_t dflt)
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

/* The shared look before SQLite (formats/trace_read.c): a FIFO or a
 * device is refused without blocking, a foreign file never reaches
 * SQLite at all. */
static bool looks_like_sqlite(const char *path, char *err, size_t errlen)
{
	return rs_db_precheck(path, 0, err, errlen) == 0;
}

static char *dup_col(GStringChunk *sc, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return g_string_chunk_insert(sc, (const char *)sqlite3_column_text(st, i));
}

static void load_trace_row(sqlite3 *db, rv_model *m)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
		"SELECT ncpus, guest_state, hung_at_ns, panic_reason, "
		"panic_ts_ns, panic_regs, panic_backtrace, panic_cpu, "
		"panic_vector, panic_rip, panic_fault_addr "
		"FROM trace WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, m->trace_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		GStringChunk *sc = m->strings;
		m->ncpus = sqlite3_column_int(st, 0);
		const char *gs = (const char *)sqlite3_column_text(st, 1);
		g_strlcpy(m->guest_state, gs ? gs : "unknown",
			  sizeof m->guest_state);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			m->hung = true;
			m->hung_at = sqlite3_column_int64(st, 2);
		} else if (!strcmp(m->guest_state, "hung")) {
			m->hung = true;   /* never beat: mark the start */
			m->hung_at = INT64_MIN;
		}
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			m->panicked = true;
			m->panic_reason = dup_col(sc, st, 3);
			m->panic_t = sqlite3_column_int64(st, 4);
			m->panic_regs = dup_col(sc, st, 5);
			m->panic_backtrace = dup_col(sc, st, 6);
			m->panic_cpu = sqlite3_column_int64(st, 7);
			m->panic_vector = sqlite3_column_int64(st, 8);
			m->panic_rip = sqlite3_column_int64(st, 9);
			m->panic_fault_addr = sqlite3_column_int64(st, 10);
		}
	}
	sqlite3_finalize(st);
}

/* The names `ringside run` or `collect --kernel` stored for the panic's
 * frames (table frames; a database without it has none): the rip's as
 * "FUNCTION (FILE:LINE)", the backtrace as one "#N 0xADDR ..." line per
 * frame. Formatted by SQL, so the viewer needs no kernel ELF. */
static void load_frame_names(sqlite3 *db, rv_model *m)
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

static void load_lost(sqlite3 *db, rv_model *m)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT cpu, count, from_ns, to_ns FROM lost "
			       "WHERE trace_id = ?1 ORDER BY from_ns", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, m->trace_id);
	uint32_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (m->nlost == cap) {
			cap = cap ? cap * 2 : 16;
			m->lost = g_realloc_n(m->lost, cap, sizeof *m->lost);
		}
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

/* The one check every tool makes (formats/trace_read.c). */
static bool validate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	return rs_db_check(db, path, err, errlen) == 0;
}

bool rv_model_check(const char *path, char *err, size_t errlen)
{
	if (!looks_like_sqlite(path, err, errlen))
		return false;
	sqlite3 *db = open_ro(path);
	if (!db) {
		snprintf(err, errlen, "%s: cannot open read-only", path);
		return false;
	}
	bool ok = validate(db, path, err, errlen);
	if (ok && query_i64(db, "SELECT max(id) FROM trace", -1) < 0) {
		snprintf(err, errlen, "%s: ringside database holds no trace", path);
		ok = false;
	}
	sqlite3_close(db);
	return ok;
}

rv_model *rv_model_load(const char *path, char *err, size_t errlen)
{
	double t0 = now_s();
	if (!looks_like_sqlite(path, err, errlen))
		return NULL;
	sqlite3 *db = open_ro(path);
	if (!db) {
		snprintf(err, errlen, "%s: cannot open read-only", path);
		return NULL;
	}
	if (!validate(db, path, err, errlen)) {
		sqlite3_close(db);
		return NULL;
	}
	int64_t tid = query_i64(db, "SELECT max(id) FROM trace", -1);
	if (tid < 0) {
		snprintf(err, errlen, "%s: ringside database holds no trace", path);
		sqlite3_close(db);
		return NULL;
	}
	rv_model *m = g_new0(rv_model, 1);
	m->path = g_strdup(path);
	m->trace_id = tid;
	m->strings = g_string_chunk_new(1 << 16);
	load_trace_row(db, m);
	load_frame_names(db, m);
	if (m->ncpus < 1)
		m->ncpus = 1;

	char sql[200];
	int64_t cpu_max = 0;
	snprintf(sql, sizeof sql, "SELECT max(cpu) FROM trace_cpu WHERE "
		 "trace_id = %lld", (long long)tid);
	cpu_max = query_i64(db, sql, 0);
	if (cpu_max + 1 > m->ncpus)
		m->ncpus = (int)cpu_max + 1;
	if (m->ncpus > 256)
		m->ncpus = 256;
	load_lost(db, m);

	/* Chunks: per CPU, split by record number so several threads fetch
	 * at once while the merge below derives what has arrived. */
	fetch_job j = { .path = path, .trace_id = tid };
	g_mutex_init(&j.lock);
	g_cond_init(&j.cond);
	int per_cpu = 1;
	int64_t *slo = g_new0(int64_t, m->ncpus), *shi = g_new0(int64_t, m->ncpus);
	snprintf(sql, sizeof sql, "SELECT tsc_hz FROM trace WHERE id = %lld",
		 (long long)tid);
	j.clock.tsc_hz = (uint64_t)query_i64(db, sql, 0);
	snprintf(sql, sizeof sql, "SELECT boot_tsc FROM trace WHERE id = %lld",
		 (long long)tid);
	j.clock.boot_tsc = (uint64_t)query_i64(db, sql, 0);
	for (int c = 0; c < m->ncpus; c++) {
		snprintf(sql, sizeof sql, "SELECT min(first_seq) FROM chunks "
			 "WHERE trace_id = %lld AND cpu = %d", (long long)tid, c);
		slo[c] = query_i64(db, sql, 0);
		snprintf(sql, sizeof sql, "SELECT max(first_seq) FROM chunks "
			 "WHERE trace_id = %lld AND cpu = %d", (long long)tid, c);
		shi[c] = query_i64(db, sql, -1) + 1;
		if ((shi[c] - slo[c]) / 500000 + 1 > per_cpu)
			per_cpu = (int)((shi[c] - slo[c]) / 500000 + 1);
	}
	sqlite3_close(db);
	if (per_cpu > NCHUNKS_MAX)
		per_cpu = NCHUNKS_MAX;
	j.nchunks = m->ncpus * per_cpu;
	j.ncpus = m->ncpus;
	j.chunks = g_new0(chunk, j.nchunks);
	j.consumed = g_new0(int, m->ncpus);
	/* claimed in order: chunk k of every CPU before chunk k+1 of any,
	 * which is roughly the order the merge needs them */
	for (int k = 0; k < per_cpu; k++)
		for (int c = 0; c < m->ncpus; c++) {
			chunk *ch = &j.chunks[k * m->ncpus + c];
			int64_t n = shi[c] - slo[c];
			ch->cpu = c;
			ch->lo = k ? slo[c] + n * k / per_cpu : INT64_MIN;
			ch->hi = k == per_cpu - 1 ? INT64_MAX :
				slo[c] + n * (k + 1) / per_cpu;
			ch->strs = g_string_chunk_new(4096);
		}
	g_free(slo);
	g_free(shi);
	int nworkers = (int)g_get_num_processors();
	if (nworkers > 4)
		nworkers = 4;
	if (nworkers > j.nchunks)
		nworkers = j.nchunks;
	GThread *workers[4];
	for (int i = 0; i < nworkers; i++)
		workers[i] = g_thread_new("rv-fetch", fetch_worker, &j);

	/* k-way merge of the CPUs' streams by time (ties: lower CPU) */
	rv_builder *b = rv_builder_new(m);
	bool failed = false;
	int *ck = g_new0(int, m->ncpus);        /* current chunk index k */
	uint32_t *pos = g_new0(uint32_t, m->ncpus);
	bool *ready = g_new0(bool, m->ncpus);   /* ck's range is decoded */
	for (;;) {
		int best = -1;
		int64_t bt = INT64_MAX;
		for (int c = 0; c < m->ncpus; c++) {
			chunk *ch;
			for (;;) {
				if (ck[c] >= per_cpu) {
					ch = NULL;
					break;
				}
				ch = &j.chunks[ck[c] * m->ncpus + c];
				if (!ready[c]) {
					g_mutex_lock(&j.lock);
					while (!ch->done)
						g_cond_wait(&j.cond, &j.lock);
					g_mutex_unlock(&j.lock);
					ready[c] = true;
					failed |= ch->failed;
				}
				if (pos[c] < ch->n)
					break;
				chunk_free(ch);
				ck[c]++;
				pos[c] = 0;
				ready[c] = false;
				g_mutex_lock(&j.lock);
				j.consumed[c] = ck[c];
				g_cond_broadcast(&j.cond);
				g_mutex_unlock(&j.lock);
			}
			if (ch && ch->t[pos[c]] < bt) {
				bt = ch->t[pos[c]];
				best = c;
			}
		}
		if (best < 0 || failed)
			break;
		chunk *c = &j.chunks[ck[best] * m->ncpus + best];
		/* take the whole run of this CPU that precedes the others */
		int64_t limit = INT64_MAX;
		for (int o = 0; o < m->ncpus; o++) {
			if (o == best || ck[o] >= per_cpu)
				continue;
			chunk *oc = &j.chunks[ck[o] * m->ncpus + o];
			if (pos[o] < oc->n && oc->t[pos[o]] < limit)
				limit = oc->t[pos[o]];
		}
		uint32_t k = pos[best];
		do {
			rv_builder_event(b, best, c->t[k], c->type[k], c->ctx[k],
					 c->a[k], c->b[k], c->c[k], c->str[k]);
			k++;
		} while (k < c->n && c->t[k] < limit);
		pos[best] = k;
	}
	for (int i = 0; i < nworkers; i++)
		g_thread_join(workers[i]);
	for (int i = 0; i < j.nchunks; i++)
		chunk_free(&j.chunks[i]);
	g_free(ck);
	g_free(pos);
	g_free(ready);
	g_free(j.consumed);
	g_free(j.chunks);
	g_mutex_clear(&j.lock);
	g_cond_clear(&j.cond);
	rv_builder_finish(b);
	if (failed) {
		snprintf(err, errlen, "%s: reading events failed", path);
		rv_model_free(m);
		return NULL;
	}
	rv_layout(m);
	m->show_threads = m->nthreads <= 16;
	m->load_secs = now_s() - t0;
	return m;
}

int64_t rv_db_event_count(const char *path)
{
	sqlite3 *db = open_ro(path);
	if (!db)
		return -1;
	/* max(seq) per CPU summed is an index-only probe; count(*) on 10 M
	 * rows would cost a scan every poll. */
	int64_t v = query_i64(db, "SELECT sum(accepted) + (SELECT count(*) FROM "
			      "lost) FROM trace_cpu WHERE trace_id = "
			      "(SELECT max(id) FROM trace)", -1);
	sqlite3_close(db);
	return v;
}

void rv_spans_free(rv_spans *s)
{
	g_free(s->start); g_free(s->end); g_free(s->ref); g_free(s->kind);
	g_free(s->cum);
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
	}
	g_free(m->cpu_lane); g_free(m->cpu_irq); g_free(m->cpu_idle); g_free(m->cpu_alloc);
	rv_spans_free(&m->band_idle);
	rv_spans_free(&m->band_irq);
	rv_spans_free(&m->band_alloc);
	for (uint32_t i = 0; i < m->nthreads; i++)
		rv_spans_free(&m->threads[i].states);
	g_free(m->threads);
	rv_pps *p = &m->pp;
	g_free(p->id); g_free(p->parent); g_free(p->thread); g_free(p->created);
	g_free(p->resolved); g_free(p->own_end); g_free(p->cont_root);
	g_free(p->cont_start);
	g_free(p->follows); g_free(p->row); g_free(p->ptype); g_free(p->state);
	g_free(p->is_thread); g_free(p->lost_create); g_free(p->label);
	g_free(p->fail_msg); g_free(p->label_t);
	rv_arrows *a = &m->arrows;
	g_free(a->t0); g_free(a->t1); g_free(a->from); g_free(a->to);
	g_free(a->kind);
	for (uint32_t r = 0; r < m->nrows; r++) {
		g_free(m->rows[r].start); g_free(m->rows[r].end);
		g_free(m->rows[r].pp);
	}
	g_free(m->rows);
	for (uint32_t i = 0; i < m->ncounters; i++) {
		rv_counter *c = &m->counters[i];
		for (int k = 0; k < c->nlevels; k++) {
			g_free(c->pmin[k]);
			g_free(c->pmax[k]);
		}
		g_free(c->pmin); g_free(c->pmax); g_free(c->t); g_free(c->v);
	}
	g_free(m->counters);
	g_free(m->lost);
	g_free(m->marks);
	g_free(m->ev_t);
	g_free(m->ev_type);
	if (m->strings)
		g_string_chunk_free(m->strings);
	g_free(m->path);
	g_free(m);
}
