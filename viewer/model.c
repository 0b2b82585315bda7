/*
 * model.c - loading a trace database's events into an rv_model (the
 * connections, the trace row and the side tables: model_meta.c).
 *
 * Speed: stored chunks (formats/store/rs_chunk.h) are read and decoded on
 * several threads, each with its own connection, in ranges of record
 * numbers per CPU (model_fetch.c), and merged here into the derivation
 * (derive.c) in time order as each range arrives, so decoding and
 * deriving overlap.
 */
#include "model.h"
#include "lod.h"

#include <assert.h>
#include <glib.h>
#include <sqlite3.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rs_chunk.h"
#include "xcpu.h"
#include "trace_read.h"
#include "model_meta.h"
#include "follow.h"
#include "model_fetch.h"

#define NCHUNKS_MAX 64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Records per range, roughly: small enough that a range decodes in a few
 * ms, so the merge starts early and the lookahead bounds memory. */
#define RANGE_RECORDS 500000

/*
 * Split each CPU's record numbers into ranges of about RANGE_RECORDS (the
 * same number of ranges for every CPU, at most NCHUNKS_MAX), filling
 * j->chunks. Returns the ranges per CPU, or 0 with err set when a CPU's
 * chunks start below record 0 (seq_range_ok: the arithmetic here needs
 * record numbers in [0, INT64_MAX], and the rows past the end are refused
 * when their range is fetched).
 */
static int plan_ranges(sqlite3 *db, fetch_job *j, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int64_t *first = g_new0(int64_t, j->ncpus);
	uint64_t *span = g_new0(uint64_t, j->ncpus);
	uint64_t per_cpu = 1;
	int bad_cpu = -1;
	if (sqlite3_prepare_v2(db, "SELECT min(first_seq), max(first_seq) "
			       "FROM chunks WHERE trace_id = ?1 AND cpu = ?2",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: reading chunks: %s", j->path,
			 sqlite3_errmsg(db));
		g_free(first);
		g_free(span);
		return 0;
	}
	for (int c = 0; c < j->ncpus && bad_cpu < 0; c++) {
		sqlite3_bind_int64(st, 1, j->trace_id);
		sqlite3_bind_int(st, 2, c);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL) {
			first[c] = sqlite3_column_int64(st, 0);
			int64_t last = sqlite3_column_int64(st, 1);
			if (first[c] < 0 || last < first[c])
				bad_cpu = c;
			else
				span[c] = (uint64_t)(last - first[c]);
			if (span[c] / RANGE_RECORDS + 1 > per_cpu)
				per_cpu = span[c] / RANGE_RECORDS + 1;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (bad_cpu >= 0) {
		snprintf(err, errlen, "%s: corrupt chunk (cpu %d, records from "
			 "%lld): record numbers out of range", j->path, bad_cpu,
			 (long long)first[bad_cpu]);
		g_free(first);
		g_free(span);
		return 0;
	}
	if (per_cpu > NCHUNKS_MAX)
		per_cpu = NCHUNKS_MAX;
	const int n = (int)per_cpu;
	assert(n >= 1 && n <= NCHUNKS_MAX && j->ncpus >= 1 && j->ncpus <= 256);
	j->nchunks = j->ncpus * n;
	j->chunks = g_new0(chunk, j->nchunks);
	j->consumed = g_new0(int, j->ncpus);
	/* claimed in order: range k of every CPU before range k+1 of any,
	 * which is roughly the order the merge needs them. Range k starts
	 * k/n of the way through the CPU's span, computed without a product
	 * that could overflow. */
	for (int k = 0; k < n; k++)
		for (int c = 0; c < j->ncpus; c++) {
			chunk *ch = &j->chunks[k * j->ncpus + c];
			const uint64_t q = span[c] / per_cpu, r = span[c] % per_cpu;
			ch->cpu = c;
			ch->lo = k ? first[c] + (int64_t)(q * (uint64_t)k +
							  r * (uint64_t)k / per_cpu)
				   : 0;
			ch->hi = k == n - 1 ? INT64_MAX :
				first[c] + (int64_t)(q * (uint64_t)(k + 1) +
						     r * (uint64_t)(k + 1) /
							     per_cpu) - 1;
			ch->strs = g_string_chunk_new(4096);
		}
	g_free(first);
	g_free(span);
	return n;
}

/*
 * The CPU's current range, once a worker has decoded it, moving on past
 * ranges the merge has used up (and telling the workers, which decode at
 * most LOOKAHEAD ranges ahead). NULL when the CPU has no more events, or
 * when the load stopped (*failed set).
 */
static chunk *merge_head(fetch_job *j, int cpu, int per_cpu, int *ck,
			 uint32_t *pos, bool *ready, bool *failed)
{
	while (ck[cpu] < per_cpu) {
		chunk *ch = &j->chunks[ck[cpu] * j->ncpus + cpu];
		if (!ready[cpu]) {
			g_mutex_lock(&j->lock);
			while (!ch->done && !j->stop)
				g_cond_wait(&j->cond, &j->lock);
			/* a stop means some range failed; this one may never
			 * be decoded */
			*failed = !ch->done || ch->failed || j->stop;
			g_mutex_unlock(&j->lock);
			if (*failed)
				return NULL;
			ready[cpu] = true;
		}
		if (pos[cpu] < ch->n)
			return ch;
		ck[cpu]++;
		pos[cpu] = 0;
		ready[cpu] = false;
		g_mutex_lock(&j->lock);
		rv_chunk_recycle(j, ch);
		j->consumed[cpu] = ck[cpu];
		g_cond_broadcast(&j->cond);
		g_mutex_unlock(&j->lock);
		j->ranges_done++;
		/* none in the last tenth: the whole picture is that near */
		if (j->show && j->show->preview && j->keep &&
		    (int64_t)j->ranges_done * 10 < (int64_t)j->nchunks * 9 &&
		    now_s() >= j->preview_at)
			j->preview_due = true;
		if (j->show && j->show->progress)
			j->show->progress(j->show->progress_data,
					  (int)((int64_t)j->ranges_done
						* 1000 / j->nchunks));
	}
	return NULL;
}

/* A preview between two events (follow.h, rv_load_show), the next one
 * due after the longest of: the caller's interval, half the time the load
 * has run so far (a long load shows ~10 pictures, not hundreds), and ten
 * times this one's cost, so previews never take over a tenth of it. */
static void preview(fetch_job *j, rv_builder *b)
{
	const double t0 = now_s();
	j->preview_due = false;
	rv_load_preview(j->keep, j->m, b, j->show, j->t_lo, j->t_hi);
	const double t1 = now_s(), cost = t1 - t0;
	double wait = j->show->preview_ms / 1e3;
	if (wait < (t1 - j->started) / 2)
		wait = (t1 - j->started) / 2;
	if (wait < 10 * cost)
		wait = 10 * cost;
	j->preview_at = t1 + wait;
}

/* k-way merge of the CPUs' streams by time (ties: lower CPU) into the
 * derivation. False as soon as any range failed (reason in j->err). */
typedef struct {
	int *ck;             /* current range index k */
	uint32_t *pos;
	bool *ready;         /* ck's range is decoded */
	chunk **head;
} merge_state;

static void merge_state_init(merge_state *s, int ncpus)
{
	s->ck = g_new0(int, ncpus);
	s->pos = g_new0(uint32_t, ncpus);
	s->ready = g_new0(bool, ncpus);
	s->head = g_new0(chunk *, ncpus);
}

static void merge_state_free(merge_state *s)
{
	g_free(s->ck);
	g_free(s->pos);
	g_free(s->ready);
	g_free(s->head);
	memset(s, 0, sizeof *s);
}

/* ... deriving at most `budget` events (*more set if it stopped for it:
 * called again with the same state, it goes on in the same order). */
static bool merge_some(fetch_job *j, rv_builder *b, int per_cpu,
		       merge_state *st, uint64_t budget, bool *more)
{
	const int ncpus = j->ncpus;
	bool failed = false;
	int *ck = st->ck;
	uint32_t *pos = st->pos;
	bool *ready = st->ready;
	chunk **head = st->head;
	uint64_t done = 0;
	*more = false;
	for (;;) {
		int best = -1;
		int64_t bt = INT64_MAX;
		for (int c = 0; c < ncpus && !failed; c++) {
			head[c] = merge_head(j, c, per_cpu, ck, pos, ready,
					     &failed);
			if (head[c] && head[c]->t[pos[c]] < bt) {
				bt = head[c]->t[pos[c]];
				best = c;
			}
		}
		if (best < 0 || failed)
			break;
		if (done >= budget) {
			*more = true;
			break;
		}
		if (j->preview_due)
			preview(j, b);
		chunk *c = head[best];
		/* take the whole run of this CPU that precedes the others */
		int64_t limit = INT64_MAX;
		for (int o = 0; o < ncpus; o++)
			if (o != best && head[o] && head[o]->t[pos[o]] < limit)
				limit = head[o]->t[pos[o]];
		const uint32_t k = pos[best];
		uint32_t end = k + 1;
		while (end < c->n && c->t[end] < limit && done + (end - k) < budget)
			end++;
		const rv_events ev = { c->t, c->type, c->ctx, c->a, c->b, c->c,
				       c->str };
		rv_builder_run(b, best, &ev, k, end);
		done += end - k;
		pos[best] = end;
	}
	return !failed;
}

static bool merge(fetch_job *j, rv_builder *b, int per_cpu)
{
	merge_state st;
	bool more;
	merge_state_init(&st, j->ncpus);
	bool ok = merge_some(j, b, per_cpu, &st, UINT64_MAX, &more);
	merge_state_free(&st);
	return ok;
}

static gpointer touch_thread(gpointer data)
{
	return rv_touch_build(data);
}

/* rv_builder_finish, rv_layout, the fingers and the summaries, the rows' touches
 * built on a thread of their own beside the rest: they read the pps, the
 * rows laid out and the arrows (a pass over every arrow, a tenth of a
 * 100 M-event open), while the rest writes the all-CPU bands, the span
 * totals, the cross-CPU list, the rows' end counts, the counters'
 * pyramids and every list's fingers, none of which they read; the core
 * that decoded is free by now. The touch lists, still empty when every
 * list is indexed, get their fingers from rv_touch_attach, and the
 * summaries (sum.h), which read the touches, wait for them. */
static void lay_out(rv_model *m, rv_builder *b)
{
	rv_builder_close(b);
	rv_layout_rows(m);
	GThread *t = g_thread_new("rv-touch", touch_thread, m);
	rv_finish_spans(m);
	rv_layout_totals(m);
	rv_lod_index_all(m);
	rv_touch_attach(m, g_thread_join(t));
	rv_lod_summarise(m);
	/* the touch thread's malloc arena keeps what its lists outgrew
	 * (they double as they fill, then shrink to fit): 89 MB of RSS
	 * after a 100 M-event load, returned here in 7 ms */
	malloc_trim(0);
}

rv_model *rv_model_load(const char *path, char *err, size_t errlen)
{
	return rv_model_load_progress(path, err, errlen, NULL, NULL);
}

rv_model *rv_model_load_progress(const char *path, char *err, size_t errlen,
				 rv_progress_fn progress, void *data)
{
	const rv_load_show show = { .progress = progress, .progress_data = data };
	return rv_model_load_keep(path, err, errlen, &show, NULL);
}

/* Where a --follow's next read starts, per CPU: the first record not
 * read, and the last stored chunk read (rv_model_fetch_new). */
static void keep_where(rv_load_keep *keep, const fetch_job *j)
{
	const int n = j->ncpus;
	keep->next_seq = g_new0(int64_t, 2 * (size_t)n);
	for (int i = 0; i < j->nchunks; i++) {
		const chunk *ch = &j->chunks[i];
		if (ch->next > keep->next_seq[ch->cpu])
			keep->next_seq[ch->cpu] = ch->next;
		if (ch->last_first > keep->next_seq[n + ch->cpu])
			keep->next_seq[n + ch->cpu] = ch->last_first;
	}
	keep->clock = j->clock;
}

rv_model *rv_model_load_keep(const char *path, char *err, size_t errlen,
			     const rv_load_show *show, rv_load_keep *keep)
{
	assert(path && err && errlen > 0);
	double t0 = now_s();
	sqlite3 *db = rv_db_open_ro(path, err, errlen);
	if (!db)
		return NULL;
	struct rs_trace_row row;
	if (rv_meta_latest_trace(db, path, &row, err, errlen) != 0) {
		sqlite3_close(db);
		return NULL;
	}
	const int64_t tid = row.id;
	rv_model *m = rv_meta_model_new(db, path, &row);
	/* Chunks: per CPU, split by record number so several threads fetch
	 * at once while the merge below derives what has arrived. */
	fetch_job j = { .path = path, .trace_id = tid, .ncpus = m->ncpus,
			.show = show, .m = m, .keep = keep };
	g_mutex_init(&j.lock);
	g_cond_init(&j.cond);
	j.clock.tsc_hz = row.tsc_hz;
	j.clock.boot_tsc = row.boot_tsc;
	int per_cpu = plan_ranges(db, &j, err, errlen);
	if (per_cpu >= 1 && show && show->preview && keep) {
		rv_meta_trace_extent(db, tid, m->ncpus, &j.t_lo, &j.t_hi);
		j.started = t0;
		j.preview_at = t0 + show->preview_ms / 1e3;
	}
	if (per_cpu < 1) {
		sqlite3_close(db);
		g_mutex_clear(&j.lock);
		g_cond_clear(&j.cond);
		rv_model_free(m);
		return NULL;
	}
	int nworkers = (int)g_get_num_processors();
	if (nworkers > 4)
		nworkers = 4;
	if (nworkers > j.nchunks)
		nworkers = j.nchunks;
	/* A trace of one range per CPU is all decoded before the merge
	 * anyway (LOOKAHEAD), so decode it here on the connection already
	 * open: a worker's own connection parses the schema again and
	 * costs more than a small trace's decode. */
	if (per_cpu == 1 && j.nchunks <= SMALL_TRACE_CPUS) {
		rv_fetch_all_here(db, &j);
		nworkers = 0;
	}
	sqlite3_close(db);
	GThread *workers[4];
	for (int i = 0; i < nworkers; i++)
		workers[i] = g_thread_new("rv-fetch", rv_fetch_worker, &j);

	rv_builder *b = rv_builder_new(m);
	bool ok = merge(&j, b, per_cpu);
	/* Release the workers whatever happened: after a failure some wait
	 * for the merge to consume ranges it never will. */
	g_mutex_lock(&j.lock);
	j.stop = true;
	g_cond_broadcast(&j.cond);
	g_mutex_unlock(&j.lock);
	for (int i = 0; i < nworkers; i++)
		g_thread_join(workers[i]);
	if (keep)
		keep_where(keep, &j);
	for (int i = 0; i < j.nchunks; i++)
		rv_chunk_free(&j.chunks[i]);
	rv_fetch_pool_free(&j);
	g_free(j.consumed);
	g_free(j.chunks);
	g_mutex_clear(&j.lock);
	g_cond_clear(&j.cond);
	if (keep && ok) {
		/* a --follow goes on deriving into this builder; it lays the
		 * model out as it grows (follow.c) */
		keep->b = b;
		m->load_secs = now_s() - t0;
		return m;
	}
	if (!ok) {
		rv_builder_free(b);
		if (keep) {
			g_free(keep->next_seq);
			keep->next_seq = NULL;
		}
		snprintf(err, errlen, "%s: %s", path, j.err);
		rv_model_free(m);
		return NULL;
	}
	lay_out(m, b);
	m->show_threads = m->nthreads <= 16;
	m->load_secs = now_s() - t0;
	return m;
}

struct rv_newdata {
	fetch_job j;
	struct rs_trace_row row;
	uint32_t nlost;
	bool started;        /* merging, in slices (ms) */
	merge_state ms;
};

rv_newdata *rv_model_fetch_new(const char *path, int64_t trace_id,
			       const struct rs_layout *clock, int ncpus,
			       const int64_t *next_seq, char *err,
			       size_t errlen)
{
	sqlite3 *db = rv_db_open_ro(path, err, errlen);
	if (!db)
		return NULL;
	rv_newdata *d = g_new0(rv_newdata, 1);
	fetch_job *j = &d->j;
	*j = (fetch_job){ .path = path, .trace_id = trace_id, .ncpus = ncpus,
			  .nchunks = ncpus, .clock = *clock };
	j->chunks = g_new0(chunk, ncpus);
	j->consumed = g_new0(int, ncpus);
	g_mutex_init(&j->lock);
	g_cond_init(&j->cond);
	/* from the last chunk read: a collector extends its last chunk
	 * in place while it is small (collector/store_ingest.c), so that
	 * one is read again and the records read before are skipped */
	for (int c = 0; c < ncpus; c++)
		j->chunks[c] = (chunk){ .cpu = c, .lo = next_seq[ncpus + c],
					.hi = INT64_MAX, .next = next_seq[c],
					.last_first = next_seq[ncpus + c],
					.skip_below = next_seq[c],
					.strs = g_string_chunk_new(4096) };
	/* one read transaction: every CPU's chunks, the trace row and the
	 * losses as of one commit */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	char why[256];
	bool ok = rs_trace_row_read(db, trace_id, &d->row, why, sizeof why) == 0;
	if (ok) {
		rv_model lost = { .trace_id = trace_id };
		rv_meta_load_lost(db, &lost);
		d->nlost = lost.nlost;
		g_free(lost.lost);
		rv_fetch_all_here(db, j);
		ok = !j->stop;
		g_strlcpy(why, j->err, sizeof why);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	if (!ok) {
		snprintf(err, errlen, "%s: %s", path, why);
		rv_newdata_free(d);
		return NULL;
	}
	return d;
}

const struct rs_trace_row *rv_newdata_row(const rv_newdata *d, uint32_t *nlost)
{
	*nlost = d->nlost;
	return &d->row;
}

void rv_newdata_counts(const rv_newdata *d, uint64_t *events,
		       uint64_t *chunks)
{
	*events = *chunks = 0;
	for (int c = 0; c < d->j.nchunks; c++) {
		*events += d->j.chunks[c].n;
		*chunks += d->j.chunks[c].nchunks;
	}
}

int rv_model_merge_new(rv_newdata *d, rv_builder *b, int64_t *next_seq,
		       uint64_t budget)
{
	fetch_job *j = &d->j;
	if (!d->started) {
		int64_t lt;
		int lc;
		const bool any = rv_builder_last(b, &lt, &lc);
		/* appending equals a fresh load only if every new event sorts
		 * after the last one derived, as the merge orders them (time,
		 * then CPU), and each CPU's new events are in time order */
		for (int c = 0; c < j->ncpus; c++) {
			const chunk *ch = &j->chunks[c];
			if (ch->n && any && (ch->t[0] < lt ||
					     (ch->t[0] == lt && c < lc)))
				return -1;
			for (uint32_t k = 1; k < ch->n; k++)
				if (ch->t[k] < ch->t[k - 1])
					return -1;
		}
		merge_state_init(&d->ms, j->ncpus);
		d->started = true;
	}
	bool more;
	merge_some(j, b, 1, &d->ms, budget, &more);
	if (more)
		return 0;
	for (int c = 0; c < j->ncpus; c++) {
		next_seq[c] = j->chunks[c].next;
		next_seq[j->ncpus + c] = j->chunks[c].last_first;
	}
	return 1;
}

void rv_newdata_free(rv_newdata *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->j.nchunks; i++)
		rv_chunk_free(&d->j.chunks[i]);
	g_free(d->j.chunks);
	rv_fetch_pool_free(&d->j);
	g_free(d->j.consumed);
	merge_state_free(&d->ms);
	g_mutex_clear(&d->j.lock);
	g_cond_clear(&d->j.cond);
	g_free(d);
}
