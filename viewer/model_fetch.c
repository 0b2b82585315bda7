/*
 * model_fetch.c - decoding a trace's ranges for the loader (model_fetch.h):
 * workers claim ranges in the order the merge needs them, at most
 * LOOKAHEAD ahead of it per CPU, read each range's stored chunks on their
 * own connection and decode them with the one decoder (rs_chunk_decode)
 * into arrays the merge (model.c) walks. Every stored chunk's record
 * numbers are checked before they are used.
 */
#include "model_fetch.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "model_meta.h"

/* Room for cap events in c's arrays. */
static void chunk_grow(chunk *c, uint32_t cap)
{
	c->cap = cap;
	c->type = g_realloc_n(c->type, c->cap, 1);
	c->t = g_realloc_n(c->t, c->cap, sizeof *c->t);
	c->ctx = g_realloc_n(c->ctx, c->cap, sizeof *c->ctx);
	c->a = g_realloc_n(c->a, c->cap, sizeof *c->a);
	c->b = g_realloc_n(c->b, c->cap, sizeof *c->b);
	c->c = g_realloc_n(c->c, c->cap, sizeof *c->c);
	c->str = g_realloc_n(c->str, c->cap, sizeof *c->str);
}

static void chunk_push(chunk *c, int cpu, int64_t t, int type, uint64_t ctx,
		       uint64_t a, uint64_t b, uint64_t cc, const char *s)
{
	if (c->n == c->cap)
		chunk_grow(c, c->cap ? c->cap * 2 : 4096);
	uint32_t i = c->n++;
	c->type[i] = (uint8_t)type;
	c->t[i] = t;
	c->ctx[i] = ctx;
	c->a[i] = a;
	c->b[i] = b;
	c->c[i] = cc;
	c->str[i] = s ? g_string_chunk_insert(c->strs, s) : NULL;
}

/* Frees a range's events. Its flags stay as they are: claimed and done,
 * so no worker fetches it again. (Clearing the whole struct here, outside
 * the lock, once let a worker see a used-up range unclaimed and decode it
 * again, into a chunk without its string store.) */
void rv_chunk_free(chunk *c)
{
	g_free(c->type); g_free(c->t); g_free(c->ctx);
	g_free(c->a); g_free(c->b); g_free(c->c); g_free(c->str);
	if (c->strs)
		g_string_chunk_free(c->strs);
	c->type = NULL;
	c->t = NULL;
	c->ctx = c->a = c->b = c->c = NULL;
	c->str = NULL;
	c->strs = NULL;
	c->n = c->cap = 0;
}

/* from's arrays (none in to) into to; from keeps none. */
static void arrays_move(chunk *to, chunk *from)
{
	assert(!to->cap);
	to->cap = from->cap;
	to->type = from->type;
	to->t = from->t;
	to->ctx = from->ctx;
	to->a = from->a;
	to->b = from->b;
	to->c = from->c;
	to->str = from->str;
	from->type = NULL;
	from->t = NULL;
	from->ctx = from->a = from->b = from->c = NULL;
	from->str = NULL;
	from->cap = 0;
}

/* c's arrays into j's pool (j->lock held), the rest freed as
 * rv_chunk_free does. */
void rv_chunk_recycle(fetch_job *j, chunk *c)
{
	if (c->cap) {
		if (j->npool == j->pool_cap) {
			j->pool_cap = j->pool_cap ? 2 * j->pool_cap : 8;
			j->pool = g_renew(chunk, j->pool, j->pool_cap);
		}
		j->pool[j->npool] = (chunk){ 0 };
		arrays_move(&j->pool[j->npool++], c);
	}
	rv_chunk_free(c);
}

/* The pool's largest arrays for range c, about to be decoded (j->lock
 * held). */
static void chunk_take_pooled(fetch_job *j, chunk *c)
{
	if (c->cap || !j->npool)
		return;
	int best = 0;
	for (int k = 1; k < j->npool; k++)
		if (j->pool[k].cap > j->pool[best].cap)
			best = k;
	arrays_move(c, &j->pool[best]);
	j->pool[best] = j->pool[--j->npool];
}

void rv_fetch_pool_free(fetch_job *j)
{
	for (int k = 0; k < j->npool; k++)
		rv_chunk_free(&j->pool[k]);
	g_free(j->pool);
	j->pool = NULL;
	j->npool = j->pool_cap = 0;
}

/* rs_chunk_decode delivers each record here; the range's clock turns its
 * tsc into ns exactly as the collector did for the chunk's bounds
 * (rs_tsc_to_ns, without its division: clock.h). */
typedef struct {
	chunk *c;
	rv_clock clock;
} push_ctx;

static int push_record(void *opaque, const struct rs_event *ev)
{
	push_ctx *p = opaque;
	if ((int64_t)ev->seq < p->c->skip_below)
		return 0;   /* a follow read these before the chunk grew */
	chunk_push(p->c, ev->cpu, (int64_t)rv_clock_ns(&p->clock, ev->tsc),
		   ev->type, ev->ctx, ev->a, ev->b, ev->c, ev->str);
	return 0;
}

/* Record numbers are stored as SQLite integers: a chunk's must lie in
 * [0, INT64_MAX), so that first_seq + count, the next chunk's first_seq,
 * is one too (SCHEMA.md). Anything else is a database that lies, and the
 * range arithmetic below relies on it. */
static bool seq_range_ok(int64_t first_seq, int64_t count)
{
	return first_seq >= 0 && count >= 1 && first_seq <= INT64_MAX - count;
}

/* At most this many events are reserved for a range up front, four
 * ranges of a load (a database's counts are not trusted with more; past
 * it, the arrays double as they fill). */
#define RESERVE_MAX 2000000

/* Sizes c's arrays for the records its stored chunks say they hold, so
 * that they are allocated once: grown by doubling from a few thousand,
 * their copies were ~6 % of a follow's fetch (each fetch decodes into
 * fresh arrays). Only an allocation; a failing query changes nothing. */
static void chunk_reserve(sqlite3 *db, int64_t trace_id, chunk *c)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT sum(count) FROM chunks WHERE "
			       "trace_id = ?1 AND cpu = ?2 AND first_seq >= ?3"
			       " AND first_seq <= ?4", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, trace_id);
	sqlite3_bind_int(st, 2, c->cpu);
	sqlite3_bind_int64(st, 3, c->lo);
	sqlite3_bind_int64(st, 4, c->hi);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const int64_t n = sqlite3_column_int64(st, 0);
		if (n > (int64_t)c->cap)
			chunk_grow(c, n < RESERVE_MAX ? (uint32_t)n : RESERVE_MAX);
	}
	sqlite3_finalize(st);
}

static bool fetch_chunk(sqlite3 *db, struct rs_chunk_reader *rd,
			int64_t trace_id, const struct rs_layout *clock,
			chunk *c, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	chunk_reserve(db, trace_id, c);
	/* Stored chunks whose first record falls in this range: each stored
	 * chunk belongs to exactly one range. */
	if (sqlite3_prepare_v2(db,
		"SELECT first_seq, count, raw_size, records FROM chunks "
		"WHERE trace_id = ?1 AND cpu = ?2 AND first_seq >= ?3 AND "
		"first_seq <= ?4 ORDER BY first_seq", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading chunks: %s", sqlite3_errmsg(db));
		return false;
	}
	sqlite3_bind_int64(st, 1, trace_id);
	sqlite3_bind_int(st, 2, c->cpu);
	sqlite3_bind_int64(st, 3, c->lo);
	sqlite3_bind_int64(st, 4, c->hi);
	int rc;
	bool ok = true;
	push_ctx p = { .c = c };
	rv_clock_init(&p.clock, clock);
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const int64_t first = sqlite3_column_int64(st, 0);
		const int64_t count = sqlite3_column_int64(st, 1);
		if (!seq_range_ok(first, count)) {
			snprintf(err, errlen, "corrupt chunk (cpu %d, records "
				 "from %lld, count %lld): record numbers out "
				 "of range", c->cpu, (long long)first,
				 (long long)count);
			ok = false;
			break;
		}
		struct rs_chunk ch = {
			.cpu = (uint16_t)c->cpu,
			.first_seq = (uint64_t)first,
			.count = (uint64_t)count,
			.raw_size = (uint64_t)sqlite3_column_int64(st, 2),
			.blob = sqlite3_column_blob(st, 3),
			.blob_len = (size_t)sqlite3_column_bytes(st, 3),
		};
		ok = rs_chunk_decode(rd, &ch, push_record, &p) == 0;
		c->nchunks++;
		if (first + count > c->next)
			c->next = first + count;
		if (first > c->last_first)
			c->last_first = first;
		if (!ok)
			snprintf(err, errlen, "%s", rs_chunk_reader_error(rd));
	}
	if (ok && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading chunks: %s", sqlite3_errmsg(db));
		ok = false;
	}
	sqlite3_finalize(st);
	return ok;
}

gpointer rv_fetch_worker(gpointer data)
{
	fetch_job *j = data;
	char open_err[sizeof j->err];
	sqlite3 *db = rv_db_open_ro(j->path, open_err, sizeof open_err);
	struct rs_chunk_reader *rd = rs_chunk_reader_new();
	for (;;) {
		/* The first unclaimed range within its CPU's lookahead. The
		 * range the merge waits for is always within it, so this
		 * cannot deadlock. */
		g_mutex_lock(&j->lock);
		int i = j->nchunks;
		while (!j->stop) {
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
		if (i < j->nchunks) {
			/* Within its CPU's lookahead: the merge will come for it. */
			assert(i / j->ncpus < j->consumed[i % j->ncpus] + LOOKAHEAD);
			j->chunks[i].claimed = true;
			chunk_take_pooled(j, &j->chunks[i]);
		}
		g_mutex_unlock(&j->lock);
		if (i >= j->nchunks)
			break;
		char err[sizeof j->err];
		g_strlcpy(err, db ? "out of memory" : open_err, sizeof err);
		bool ok = db && rd && fetch_chunk(db, rd, j->trace_id, &j->clock,
						  &j->chunks[i], err, sizeof err);
		g_mutex_lock(&j->lock);
		j->chunks[i].done = true;
		j->chunks[i].failed = !ok;
		if (!ok && !j->stop) {
			/* the first failure is the one reported; the rest of
			 * the load is pointless */
			j->stop = true;
			g_strlcpy(j->err, err, sizeof j->err);
		}
		g_cond_broadcast(&j->cond);
		g_mutex_unlock(&j->lock);
	}
	rs_chunk_reader_free(rd);
	sqlite3_close(db);
	return NULL;
}


/* Every range decoded on the caller's connection, as the workers would
 * have: the first failure stops the load with its reason. */
void rv_fetch_all_here(sqlite3 *db, fetch_job *j)
{
	struct rs_chunk_reader *rd = rs_chunk_reader_new();
	for (int i = 0; i < j->nchunks && !j->stop; i++) {
		char err[sizeof j->err] = "out of memory";
		bool ok = rd && fetch_chunk(db, rd, j->trace_id, &j->clock,
					    &j->chunks[i], err, sizeof err);
		j->chunks[i].claimed = j->chunks[i].done = true;
		j->chunks[i].failed = !ok;
		if (!ok) {
			j->stop = true;
			g_strlcpy(j->err, err, sizeof j->err);
		}
	}
	rs_chunk_reader_free(rd);
}
