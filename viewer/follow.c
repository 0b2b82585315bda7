/*
 * follow.c - --follow that appends what is new (follow.h).
 *
 * The first load is the usual one (parallel fetch, merge, derive) but
 * keeps its builder, each CPU's next record number and the incremental
 * layout. A reload reads each CPU's chunks from its next record on (one
 * read transaction), and, if every new event sorts after the last one
 * derived (time, then CPU: the order a load merges them in), takes back
 * the last publish's show-only closing (derive_follow.c, layout.c),
 * derives the new events, settles what they settle, and publishes again:
 * work proportional to what is new, plus a constant per CPU, thread and
 * open row. So a model grown by any number of reloads holds what one
 * load of the same database would, array for array.
 *
 * It loads afresh instead when appending could not give that: the new
 * events reach back before what is derived (a collector that committed a
 * CPU's records after later ones of another), the losses or the trace
 * row changed (gaps cut spans that are already derived; a panic or a
 * verdict is read with the trace), an event changed something settled
 * (rv_builder_stale), or the rows ran out (MAX_ROWS). Each is counted in
 * the stats (rebuilds).
 */
#include "follow.h"

#include <assert.h>
#include <glib.h>
#include <string.h>
#include <time.h>

#include "lod.h"
#include "trace_read.h"

struct rv_follow {
	char *path;
	rv_model *m;
	rv_builder *b;            /* NULL: the rows ran out; reloads load afresh */
	rv_layout_inc *l;
	int64_t *next_seq;
	struct rs_layout clock;
	int64_t trace_id;
	int ncpus;
	struct rs_trace_row row;  /* as of the load, to see it change */
	rv_newdata *pending;      /* fetched, not applied yet */
	bool must_reload;         /* the next fetch loads afresh ... */
	struct rv_follow *fresh;  /* ... into this, which apply swaps in */
	uint64_t slice;           /* events an apply derives at most */
	rv_follow_stats st;
};

/* What the model shows of the trace row; a change means a fresh load. */
static bool row_same(const struct rs_trace_row *a, const struct rs_trace_row *b)
{
	return a->ncpus == b->ncpus && !strcmp(a->guest_state, b->guest_state) &&
	       a->has_hung_at == b->has_hung_at && a->hung_at_ns == b->hung_at_ns &&
	       a->has_stuck == b->has_stuck && a->stuck_cpu == b->stuck_cpu &&
	       a->has_stuck_at == b->has_stuck_at &&
	       a->stuck_at_ns == b->stuck_at_ns && a->has_panic == b->has_panic &&
	       a->panic_ts_ns == b->panic_ts_ns;
}

/* Settles and lays out what the events so far settle, then publishes.
 * False when the rows ran out (it publishes all the same, so the model
 * stays whole to draw until a fresh load replaces it). */
static bool settle(rv_follow *f)
{
	int64_t t;
	int cpu;
	if (!rv_builder_last(f->b, &t, &cpu))
		t = INT64_MIN;
	const bool ok = rv_layout_grow(f->m, f->l, f->b, t);
	rv_builder_publish(f->b);
	rv_layout_publish(f->m, f->l);
	f->m->show_threads = f->m->nthreads <= 16;
	return ok;
}

static void drop_state(rv_follow *f)
{
	rv_builder_free(f->b);
	rv_layout_inc_free(f->l);
	g_free(f->next_seq);
	f->b = NULL;
	f->l = NULL;
	f->next_seq = NULL;
}

/* A whole load into f (its model is replaced; the old one is the
 * caller's). False with err. */
static bool load(rv_follow *f, char *err, size_t errlen,
		 const rv_load_show *show)
{
	rv_load_keep keep = { 0 };
	rv_model *m = rv_model_load_keep(f->path, err, errlen, show, &keep);
	if (!m) {
		rv_layout_inc_free(keep.l);
		return false;
	}
	drop_state(f);
	f->m = m;
	f->b = keep.b;
	f->next_seq = keep.next_seq;
	f->clock = keep.clock;
	f->trace_id = m->trace_id;
	f->ncpus = m->ncpus;
	/* the previews' layout goes on from where they left it */
	f->l = keep.l ? keep.l : rv_layout_inc_new(m);
	if (keep.rows_out || !settle(f)) {
		/* more rows than an append can keep exact: a plain load,
		 * and so every reload from now on */
		drop_state(f);
		rv_model_free(m);
		f->m = rv_model_load(f->path, err, errlen);
		if (!f->m)
			return false;
		return true;   /* with its fingers (model.c) */
	}
	/* the drawing's fingers, carried on by every reload that appends
	 * (rv_lod_follow), so a long follow's frames cost what a loaded
	 * trace's do; no summaries (lod.h) */
	rv_lod_index_all(m);
	return true;
}

static bool read_row(rv_follow *f, struct rs_trace_row *row)
{
	char err[256];
	rv_newdata *d = f->next_seq ? rv_model_fetch_new(f->path, f->trace_id,
		&f->clock, f->ncpus, f->next_seq, err, sizeof err) : NULL;
	if (!d)
		return false;
	uint32_t nlost;
	*row = *rv_newdata_row(d, &nlost);
	rv_newdata_free(d);
	return true;
}

void rv_load_preview(rv_load_keep *keep, rv_model *m, rv_builder *b,
		     const rv_load_show *show, int64_t t_lo, int64_t t_hi)
{
	int64_t t;
	int cpu;
	if (keep->rows_out || !rv_builder_last(b, &t, &cpu))
		return;
	if (!keep->l)
		keep->l = rv_layout_inc_new(m);
	if (!rv_layout_grow(m, keep->l, b, t)) {
		/* the load ends in a plain load (load, above): no more */
		keep->rows_out = true;
		return;
	}
	rv_builder_publish(b);
	rv_layout_publish(m, keep->l);
	const bool shown = m->show_threads;
	m->show_threads = m->nthreads <= 16;
	show->preview(show->preview_data, m, t_lo, t_hi);
	m->show_threads = shown;
	rv_layout_unpublish(m, keep->l);
	rv_builder_unpublish(b);
}

rv_follow *rv_follow_open(const char *path, char *err, size_t errlen,
			  rv_progress_fn progress, void *data)
{
	const rv_load_show show = { .progress = progress,
				    .progress_data = data };
	return rv_follow_open_shown(path, err, errlen, &show);
}

rv_follow *rv_follow_open_shown(const char *path, char *err, size_t errlen,
				const rv_load_show *show)
{
	rv_follow *f = g_new0(rv_follow, 1);
	f->path = g_strdup(path);
	if (!load(f, err, errlen, show)) {
		rv_follow_free(f, false);
		return NULL;
	}
	/* the trace row as of the load (its next read compares with it) */
	if (!read_row(f, &f->row))
		f->must_reload = f->b != NULL;
	return f;
}

rv_model *rv_follow_model(const rv_follow *f)
{
	return f->m;
}

const rv_follow_stats *rv_follow_stats_get(const rv_follow *f)
{
	return &f->st;
}

/* A whole load, on the fetch's thread, for apply to swap in. */
static int fetch_whole(rv_follow *f, char *err, size_t errlen)
{
	rv_follow *n = g_new0(rv_follow, 1);
	n->path = g_strdup(f->path);
	if (!load(n, err, errlen, NULL)) {
		rv_follow_free(n, false);
		return -1;
	}
	if (n->b)
		read_row(n, &n->row);
	f->fresh = n;
	f->st.reloads++;
	return 1;
}

int rv_follow_fetch(rv_follow *f, char *err, size_t errlen)
{
	if (f->pending || f->fresh)
		return 1;
	if (f->must_reload || !f->b)
		return fetch_whole(f, err, errlen);
	rv_newdata *d = rv_model_fetch_new(f->path, f->trace_id, &f->clock,
					   f->ncpus, f->next_seq, err, errlen);
	if (!d)
		return -1;
	uint32_t nlost;
	const struct rs_trace_row *row = rv_newdata_row(d, &nlost);
	uint64_t events, chunks;
	rv_newdata_counts(d, &events, &chunks);
	if (nlost != f->m->nlost || !row_same(row, &f->row)) {
		/* gaps cut what is derived; a verdict is read with the trace */
		rv_newdata_free(d);
		return fetch_whole(f, err, errlen);
	}
	if (!events) {
		rv_newdata_free(d);
		return 0;
	}
	f->st.events = events;
	f->st.chunks = chunks;
	f->st.derived = 0;
	f->st.rebuilt = false;
	f->st.reloads++;
	f->pending = d;
	return 1;
}

bool rv_follow_behind(const rv_follow *f)
{
	return f->must_reload;
}

/* The fresh load in place of what f held; the old model is the
 * caller's. */
static void swap_in(rv_follow *f, rv_model **replaced)
{
	rv_follow *n = f->fresh;
	*replaced = f->m;
	drop_state(f);
	f->m = n->m;
	f->b = n->b;
	f->l = n->l;
	f->next_seq = n->next_seq;
	f->clock = n->clock;
	f->trace_id = n->trace_id;
	f->ncpus = n->ncpus;
	f->row = n->row;
	n->m = NULL;
	n->b = NULL;
	n->l = NULL;
	n->next_seq = NULL;
	rv_follow_free(n, false);
	f->fresh = NULL;
	f->must_reload = false;
	f->st.rebuilt = true;
	f->st.rebuilds++;
	f->st.derived = f->m->nevents;
}

bool rv_follow_apply(rv_follow *f, rv_model **replaced, char *err,
		     size_t errlen)
{
	*replaced = NULL;
	if (f->fresh) {
		swap_in(f, replaced);
		return true;
	}
	if (!f->pending)
		return true;
	rv_layout_unpublish(f->m, f->l);
	rv_builder_unpublish(f->b);
	const uint64_t before = f->m->nevents;
	const int r = rv_model_merge_new(f->pending, f->b, f->next_seq,
					 f->slice ? f->slice : UINT64_MAX);
	f->st.derived += f->m->nevents - before;
	/* the model is published whole whatever happened; when appending
	 * could not give what a load gives, the next fetch loads afresh */
	const bool ok = settle(f) && r >= 0 && !rv_builder_stale(f->b);
	rv_lod_follow(f->m);
	if (r != 0 || !ok) {
		rv_newdata_free(f->pending);
		f->pending = NULL;
	}
	if (!ok)
		f->must_reload = true;
	return true;
}

void rv_follow_set_slice(rv_follow *f, uint64_t events)
{
	f->slice = events;
}

bool rv_follow_more(const rv_follow *f)
{
	return f->pending != NULL;
}

int rv_follow_reload(rv_follow *f, char *err, size_t errlen)
{
	int r = rv_follow_fetch(f, err, errlen);
	for (int again = 0; r == 1 && again < 2; again++) {
		do {
			rv_model *old = NULL;
			if (!rv_follow_apply(f, &old, err, errlen))
				return -1;
			rv_model_free(old);
		} while (rv_follow_more(f));
		if (!rv_follow_behind(f))
			break;
		r = rv_follow_fetch(f, err, errlen);   /* a whole load */
	}
	return r < 0 ? -1 : r;
}

rv_model *rv_model_load_shown(const char *path, char *err, size_t errlen,
			      const rv_load_show *show)
{
	rv_follow *f = rv_follow_open_shown(path, err, errlen, show);
	if (!f)
		return NULL;
	rv_model *m = rv_follow_free(f, true);
	/* a plain load's last steps (derive.c, model.c), now that nothing
	 * will grow it: the fields few promises use into their sparse lists
	 * (24 bytes a promise otherwise), and the summaries of zoomed-out
	 * frames (the fingers are built: load) */
	if (m->pp.cont_start)
		rv_pp_sparsify(&m->pp);
	rv_lod_summarise(m);
	return m;
}

rv_model *rv_follow_free(rv_follow *f, bool keep_model)
{
	if (!f)
		return NULL;
	rv_model *m = f->m;
	drop_state(f);
	rv_newdata_free(f->pending);
	rv_follow_free(f->fresh, false);
	g_free(f->path);
	g_free(f);
	if (keep_model)
		return m;
	rv_model_free(m);
	return NULL;
}
