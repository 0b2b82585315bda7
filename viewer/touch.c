/*
 * touch.c - the read, try_read and signal arrows of a zoomed-out row.
 *
 * Zoomed out, a dense promise row is drawn per pixel column
 * (draw_promises.c: draw_agg_row), and no arrow touching it is drawn: its
 * create, resolve and fail arrows are stood for by the row's own ticks.
 * The other kinds -- a promise read (or read after it failed), polled
 * (try_read), signalled -- would vanish without a trace, so each row keeps,
 * per kind, the times at which such an arrow has an end in it. A pixel
 * column then asks "any of kind k in [t0, t1)?" with two gallops, which
 * keeps a frame O(width) per row however many arrows the row has.
 *
 * With the filter on, an arrow is drawn only when both its ends are
 * shown, and the summary keeps to the same rule: rv_match_rows carries
 * per-row running counts of the shown touches (rv_touch_match_build), so
 * that question is two lookups as well.
 */
#include "draw.h"
#include "lod.h"
#include "model.h"
#include "follow.h"

#include <assert.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

int rv_touch_kind(uint8_t arrow_kind)
{
	switch (arrow_kind) {
	case RV_A_READ: return RV_T_READ;
	case RV_A_READ_FAILED: return RV_T_READ_FAILED;
	case RV_A_TRY_READ: return RV_T_TRY_READ;
	case RV_A_SIGNAL: return RV_T_SIGNAL;
	default: return -1;
	}
}

typedef struct {
	int64_t t;
	uint32_t arrow;
} touch;

static int touch_cmp(const void *a, const void *b)
{
	const touch *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->arrow < y->arrow ? -1 : x->arrow > y->arrow;
}

/* The row each end of arrow k is drawn on (as draw_arrows finds it). */
static void arrow_rows(const rv_model *m, uint32_t k, int32_t *r0,
		       int32_t *r1)
{
	const rv_arrows *a = &m->arrows;
	*r0 = rv_pp_row_at(m, a->from[k], rv_arrow_t0(m, k));
	*r1 = rv_pp_row_at(m, a->to[k], rv_arrow_t1(a, k));
}

static bool row_ok(const rv_model *m, int32_t r)
{
	return r >= 0 && (uint32_t)r < m->nrows;
}

/* Arrow k's touches: the rows its ends are in (-1: none) and when.
 * The kind (RV_T_*), or -1 for an arrow a row does not summarise. */
static int arrow_touches(const rv_model *m, uint32_t k, int32_t r[2],
			 int64_t t[2])
{
	const rv_arrows *a = &m->arrows;
	int kind = rv_touch_kind(a->kind[k]);
	if (kind < 0)
		return -1;
	arrow_rows(m, k, &r[0], &r[1]);
	t[0] = rv_arrow_t0(m, k);
	t[1] = rv_arrow_t1(a, k);
	for (int e = 0; e < 2; e++)
		if (!row_ok(m, r[e]))
			r[e] = -1;
	/* an arrow within one row at one instant touches it once */
	if (r[1] == r[0] && t[1] == t[0])
		r[1] = -1;
	return kind;
}

static void touch_push(rv_row *row, int k, int64_t t, uint32_t arrow);

/* A list pushed out of time order, put in (time, arrow) order: its ends
 * taken out, sorted, and pushed again. */
static void sort_list(rv_row *row, int t)
{
	const uint32_t n = row->ntouch[t];
	touch *tt = g_new(touch, n);
	for (uint32_t i = 0; i < n; i++)
		tt[i] = (touch){ rv_times_at(&row->touch_t[t], i),
				 row->touch_arrow[t][i] };
	qsort(tt, n, sizeof *tt, touch_cmp);
	rv_times_free(&row->touch_t[t]);
	row->ntouch[t] = 0;
	for (uint32_t i = 0; i < n; i++)
		touch_push(row, t, tt[i].t, tt[i].arrow);
	g_free(tt);
}

/*
 * Every row's lists in one pass over the arrows: each end is pushed
 * straight into its list, in the arrows' t1 order, which is the lists'
 * order but where an end lands before one already there (a read of a
 * promise resolved a while ago lands at its resolve); such a list is
 * sorted once at the end. (Counting first and placing every end into one
 * array of (time, arrow) pairs took each arrow's ends twice, and that
 * array was 16 bytes an end of fresh pages, about 0.35 GB at 100 M
 * events.) Then each list shrinks to what it holds, as a load leaves its
 * arrays. The lists go into rows[r] for the model's row r: its own, or
 * ones of rv_touch_build's, which reads the model and writes nothing of
 * it.
 */
static void index_into(const rv_model *m, rv_row *rows)
{
	const size_t nl = (size_t)m->nrows * RV_T_COUNT;
	bool *unsorted = g_new0(bool, nl ? nl : 1);
	for (uint32_t k = 0; k < m->arrows.n; k++) {
		int32_t r[2];
		int64_t at[2];
		const int t = arrow_touches(m, k, r, at);
		for (int e = 0; e < 2 && t >= 0; e++) {
			if (r[e] < 0)
				continue;
			rv_row *row = &rows[r[e]];
			const uint32_t n = row->ntouch[t];
			if (n && at[e] < rv_times_at(&row->touch_t[t], n - 1))
				unsorted[(size_t)r[e] * RV_T_COUNT + t] = true;
			touch_push(row, t, at[e], k);
		}
	}
	for (size_t x = 0; x < nl; x++) {
		rv_row *row = &rows[x / RV_T_COUNT];
		const int t = (int)(x % RV_T_COUNT);
		if (unsorted[x])
			sort_list(row, t);
		const uint32_t n = row->ntouch[t];
		row->touch_cap[t] = n ? n : 1;
		row->touch_arrow[t] = g_renew(uint32_t, row->touch_arrow[t],
					      row->touch_cap[t]);
		rv_times_trim(&row->touch_t[t]);
	}
	g_free(unsorted);
}

void rv_touch_index(rv_model *m)
{
	index_into(m, m->rows);
}

rv_row *rv_touch_build(const rv_model *m)
{
	rv_row *rows = g_new0(rv_row, m->nrows ? m->nrows : 1);
	index_into(m, rows);
	return rows;
}

void rv_touch_attach(rv_model *m, rv_row *rows)
{
	for (uint32_t r = 0; r < m->nrows; r++)
		for (int t = 0; t < RV_T_COUNT; t++) {
			rv_row *row = &m->rows[r];
			assert(!row->ntouch[t] && !row->touch_t[t].cap &&
			       !row->touch_arrow[t]);
			row->ntouch[t] = rows[r].ntouch[t];
			row->touch_cap[t] = rows[r].touch_cap[t];
			row->touch_t[t] = rows[r].touch_t[t];
			row->touch_arrow[t] = rows[r].touch_arrow[t];
			rv_lod_index(&row->touch_t[t]);
		}
	g_free(rows);
}

/*
 * A --follow's touches: the new arrows' ends go into their rows' lists
 * without rebuilding them. A list stays sorted by (time, arrow); a new
 * end sorts after every older arrow's at the same time, so only the
 * entries later than the earliest new end are taken off and merged back
 * in: a reload costs its new ends plus the ends they land before (a read
 * of a promise resolved a while ago lands at its resolve).
 */
typedef struct {
	uint32_t row;
	int kind;
	int64_t t;
	uint32_t arrow;
} new_touch;

typedef struct {
	uint32_t row, pos, n;
	int kind;
	int64_t *t;
	uint32_t *arrow;
} touch_rec;

struct rv_touch_undo {
	GArray *recs;
};

/* Within one row and kind: by time, then arrow (the order a list keeps). */
static int new_touch_cmp(const void *a, const void *b)
{
	const new_touch *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->arrow < y->arrow ? -1 : x->arrow > y->arrow;
}

static uint32_t list_key(const new_touch *x)
{
	return x->row * RV_T_COUNT + (uint32_t)x->kind;
}

/*
 * The new ends in (row, kind, time, arrow) order, as their lists keep
 * them. They come in arrow order, so a counting sort by (row, kind),
 * which keeps that order within each list, leaves a list's ends mostly
 * in time order already, and only a list found out of order is sorted
 * (qsort of the whole batch was about a fifth of a follow's apply). No
 * two ends have the same key (arrow_touches drops an arrow's second end
 * where it is its first's row and time), so this is the one order.
 */
static new_touch *sort_new(const new_touch *in, guint n)
{
	uint32_t lo = UINT32_MAX, hi = 0;
	for (guint i = 0; i < n; i++) {
		const uint32_t k = list_key(&in[i]);
		lo = k < lo ? k : lo;
		hi = k > hi ? k : hi;
	}
	/* at[k - lo]: where list k's ends go, counted up as they are placed */
	uint32_t *at = g_new0(uint32_t, (gsize)(hi - lo) + 2);
	for (guint i = 0; i < n; i++)
		at[list_key(&in[i]) - lo + 1]++;
	for (uint32_t k = 1; k <= hi - lo; k++)
		at[k] += at[k - 1];
	new_touch *out = g_new(new_touch, n);
	for (guint i = 0; i < n; i++)
		out[at[list_key(&in[i]) - lo]++] = in[i];
	g_free(at);
	for (guint i = 0, j; i < n; i = j) {
		bool sorted = true;
		for (j = i + 1; j < n && list_key(&out[j]) == list_key(&out[i]);
		     j++)
			sorted = sorted && new_touch_cmp(&out[j - 1], &out[j]) < 0;
		if (!sorted)
			qsort(out + i, j - i, sizeof *out, new_touch_cmp);
	}
	return out;
}

static void touch_push(rv_row *row, int k, int64_t t, uint32_t arrow)
{
	if (row->ntouch[k] == row->touch_cap[k]) {
		row->touch_cap[k] = row->touch_cap[k] ? 2 * row->touch_cap[k] : 16;
		row->touch_arrow[k] = g_renew(uint32_t, row->touch_arrow[k],
					      row->touch_cap[k]);
	}
	rv_times_push(&row->touch_t[k], t);
	row->touch_arrow[k][row->ntouch[k]++] = arrow;
}

static void touch_cut(rv_row *row, int k, uint32_t pos)
{
	rv_times_truncate(&row->touch_t[k], pos);
	row->ntouch[k] = pos;
}

/* Merges g[0..n) (one row and kind, sorted) into its list. */
static void insert_group(rv_model *m, const new_touch *g, uint32_t n,
			 rv_touch_undo *undo)
{
	rv_row *row = &m->rows[g[0].row];
	const int k = g[0].kind;
	const uint32_t have = row->ntouch[k];
	uint32_t pos = g[0].t == INT64_MAX ? have :
		rv_times_lower_bound(&row->touch_t[k], 0, have, g[0].t + 1);
	touch_rec r = { g[0].row, pos, have - pos, k,
			g_new(int64_t, have - pos + 1),
			g_new(uint32_t, have - pos + 1) };
	for (uint32_t i = pos; i < have; i++) {
		r.t[i - pos] = rv_times_at(&row->touch_t[k], i);
		r.arrow[i - pos] = row->touch_arrow[k][i];
	}
	touch_cut(row, k, pos);
	uint32_t i = 0, j = 0;
	while (i < r.n || j < n) {
		const bool old = j >= n || (i < r.n && r.t[i] <= g[j].t);
		if (old) {
			touch_push(row, k, r.t[i], r.arrow[i]);
			i++;
		} else {
			touch_push(row, k, g[j].t, g[j].arrow);
			j++;
		}
	}
	if (undo) {
		g_array_append_val(undo->recs, r);
	} else {
		g_free(r.t);
		g_free(r.arrow);
	}
}

/* Arrows a call sorts at once at most, when nothing is to be undone: a
 * load's last layout adds every arrow (33 M at 100 M events), and one
 * batch of their ends was 1.6 GB of fresh pages (a tenth of the open in
 * the kernel clearing them, and most of its peak memory). Slices give
 * the same lists, as a follow's batches do (test_viewer_follow.c). */
#define TOUCH_SLICE (1u << 18)

void rv_touch_add(rv_model *m, uint32_t from, uint32_t to,
		  rv_touch_undo **undo)
{
	if (!undo && to > from && to - from > TOUCH_SLICE) {
		for (uint32_t k = from; k < to; k += TOUCH_SLICE)
			rv_touch_add(m, k, to - k > TOUCH_SLICE ?
					   k + TOUCH_SLICE : to, NULL);
		return;
	}
	/* a plain array, room for an end an arrow to start with (most
	 * have one or none here): g_array_append_val cost ~100
	 * instructions an end */
	gsize cap = to > from ? to - from : 1, n = 0;
	new_touch *nt = g_new(new_touch, cap);
	for (uint32_t k = from; k < to; k++) {
		int32_t r[2];
		int64_t at[2];
		const int t = arrow_touches(m, k, r, at);
		for (int e = 0; e < 2 && t >= 0; e++) {
			if (r[e] < 0)
				continue;
			if (n == cap)
				nt = g_renew(new_touch, nt, cap *= 2);
			nt[n++] = (new_touch){ (uint32_t)r[e], t, at[e], k };
		}
	}
	if (undo) {
		*undo = g_new0(rv_touch_undo, 1);
		(*undo)->recs = g_array_new(FALSE, FALSE, sizeof(touch_rec));
	}
	new_touch *v = n ? sort_new(nt, (guint)n) : NULL;
	for (gsize i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && v[j].row == v[i].row &&
				v[j].kind == v[i].kind; j++)
			;
		insert_group(m, v + i, (uint32_t)(j - i), undo ? *undo : NULL);
	}
	g_free(v);
	g_free(nt);
}

void rv_touch_undo_apply(rv_model *m, rv_touch_undo *undo)
{
	if (!undo)
		return;
	for (guint i = undo->recs->len; i-- > 0;) {
		touch_rec *r = &g_array_index(undo->recs, touch_rec, i);
		rv_row *row = m ? &m->rows[r->row] : NULL;
		if (row)
			touch_cut(row, r->kind, r->pos);
		for (uint32_t k = 0; row && k < r->n; k++)
			touch_push(row, r->kind, r->t[k], r->arrow[k]);
		g_free(r->t);
		g_free(r->arrow);
	}
	g_array_free(undo->recs, TRUE);
	g_free(undo);
}

void rv_touch_free(rv_row *row)
{
	for (int t = 0; t < RV_T_COUNT; t++) {
		rv_times_free(&row->touch_t[t]);
		g_free(row->touch_arrow[t]);
	}
}

void rv_touch_match_build(rv_match_rows *mr, const rv_model *m,
			  const uint8_t *match)
{
	const rv_arrows *a = &m->arrows;
	size_t total = 0;
	mr->toff = g_new(size_t, (size_t)m->nrows * RV_T_COUNT + 1);
	for (uint32_t r = 0; r < m->nrows; r++)
		for (int t = 0; t < RV_T_COUNT; t++) {
			mr->toff[(size_t)r * RV_T_COUNT + t] = total;
			total += m->rows[r].ntouch[t] + 1;
		}
	mr->toff[(size_t)m->nrows * RV_T_COUNT] = total;
	mr->tn = g_new(uint32_t, total ? total : 1);
	for (uint32_t r = 0; r < m->nrows; r++)
		for (int t = 0; t < RV_T_COUNT; t++) {
			const rv_row *row = &m->rows[r];
			uint32_t *n = mr->tn + mr->toff[(size_t)r * RV_T_COUNT + t];
			n[0] = 0;
			for (uint32_t i = 0; i < row->ntouch[t]; i++) {
				uint32_t k = row->touch_arrow[t][i];
				n[i + 1] = n[i] + (match[a->from[k]] &&
						   match[a->to[k]]);
			}
		}
}

/* rv_row_touches_view, with each kind's column lookups from lb[t] (the
 * frame's, rv_cols) where given: x is the column [t0, t1) is. */
static unsigned touches(const rv_model *m, const rv_view *v, int32_t r,
			int64_t t0, int64_t t1, const uint32_t *const *lb,
			int x, rv_touch_hint *h)
{
	assert(m && v && h && r >= 0 && (uint32_t)r < m->nrows && t0 <= t1);
	const rv_row *row = &m->rows[r];
	uint32_t i0[RV_T_COUNT] = { 0 }, i1[RV_T_COUNT] = { 0 };
	for (int t = 0; t < RV_T_COUNT; t++) {
		const rv_times *ts = &row->touch_t[t];
		if (!ts->n)
			continue;   /* no such touch: nothing to look up */
		const uint32_t *l = lb ? lb[t] : NULL;
		i0[t] = rv_cols_gallop(v->cols, l, ts, h->i[t], x, t0);
		i1[t] = rv_cols_gallop(v->cols, l, ts, i0[t], x + 1, t1);
		h->i[t] = i0[t];
	}
	return rv_row_touches_idx(m, v, r, i0, i1);
}

unsigned rv_row_touches_idx(const rv_model *m, const rv_view *v, int32_t r,
			    const uint32_t *i0, const uint32_t *i1)
{
	const rv_match_rows *mr = v->match_rows;
	/* as rv_row_agg_view: a view with matches but no counts of them
	 * hides nothing in its packed rows */
	const bool counted = v->filter && v->match && mr &&
			     mr->nrows == m->nrows && mr->tn;
	unsigned kinds = 0;
	for (int t = 0; t < RV_T_COUNT; t++) {
		if (!m->rows[r].touch_t[t].n || i1[t] == i0[t])
			continue;
		if (counted) {
			const uint32_t *c = mr->tn +
				mr->toff[(size_t)r * RV_T_COUNT + t];
			if (c[i1[t]] == c[i0[t]])
				continue;
		}
		kinds |= 1u << t;
	}
	return kinds;
}

unsigned rv_row_touches_view(const rv_model *m, const rv_view *v, int32_t r,
			     int64_t t0, int64_t t1, rv_touch_hint *h)
{
	return touches(m, v, r, t0, t1, NULL, 0, h);
}

unsigned rv_row_touches_col(const rv_model *m, const rv_view *v, int32_t r,
			    int x, const uint32_t *const *lb, rv_touch_hint *h)
{
	int64_t t0, t1;
	rv_col_times(v, x, &t0, &t1);
	return touches(m, v, r, t0, t1, lb, x, h);
}
