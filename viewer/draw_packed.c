/*
 * draw_packed.c - promise rows zoomed out ("dense" or packed: draw.h,
 * RV_AGG_PX): per pixel column, how many of the row's promises are live,
 * created, resolved and failed there, and which arrows touch it, from
 * running counts and time lists, so a column costs a few lookups however
 * many promises it holds; and the row drawn from those, as pixels.
 */
#include "draw.h"
#include "sum.h"

#include <glib.h>
#include <math.h>
#include <string.h>

void rv_col_times(const rv_view *v, int x, int64_t *t0, int64_t *t1)
{
	*t0 = (int64_t)ceil(rv_t(v, x));
	*t1 = (int64_t)ceil(rv_t(v, x + 1));
}

/* rv_row_agg, with the lookups at the column's ends from S and E (the
 * frame's for row->start and row->end, rv_cols) where given: x is the
 * column [t0, t1) is. */
static void row_agg(const rv_row *row, const rv_cols *c, const uint32_t *S,
		    const uint32_t *E, int x, int64_t t0, int64_t t1,
		    rv_agg_hint *h, rv_agg *out)
{
	/* start and end are both sorted (segments do not overlap): each
	 * count is a difference of two prefix lengths */
	if (h->next && t0 == h->t1) {
		/* the last column ended where this one starts */
		h->s0 = h->s1;
		h->e0 = h->e1;
	} else {
		h->s0 = rv_cols_gallop(c, S, &row->start, h->s0, x, t0);
		h->e0 = rv_cols_gallop(c, E, &row->end, h->e0, x, t0);
	}
	h->next = true;
	h->t1 = t1;
	h->s1 = rv_cols_gallop(c, S, &row->start,
			       h->s1 > h->s0 ? h->s1 : h->s0, x + 1, t1);
	h->el = rv_times_gallop(&row->end, h->el > h->e0 ? h->el : h->e0,
			  t0 + 1);
	h->e1 = rv_cols_gallop(c, E, &row->end, h->e1 > h->el ? h->e1 : h->el,
			       x + 1, t1);
	out->live = h->s1 > h->el ? h->s1 - h->el : 0;
	out->created = h->s1 - h->s0;
	out->resolved = rv_row_nres(row, h->e1) - rv_row_nres(row, h->e0);
	out->failed = rv_row_nfail(row, h->e1) - rv_row_nfail(row, h->e0);
	out->matched = 0;
}

void rv_row_agg(const rv_row *row, int64_t t0, int64_t t1, rv_agg_hint *h,
		rv_agg *out)
{
	row_agg(row, NULL, NULL, NULL, 0, t0, t1, h, out);
}

rv_match_rows *rv_match_rows_new(const rv_model *m, const uint8_t *match)
{
	if (!m || !match)
		return NULL;
	rv_match_rows *mr = g_new0(rv_match_rows, 1);
	size_t total = 0;
	mr->nrows = m->nrows;
	mr->off = g_new(size_t, m->nrows + 1);
	for (uint32_t r = 0; r < m->nrows; r++) {
		mr->off[r] = total;
		total += m->rows[r].n + 1;
	}
	mr->off[m->nrows] = total;
	mr->n = g_new(uint32_t, total);
	mr->nres = g_new(uint32_t, total);
	mr->nfail = g_new(uint32_t, total);
	for (uint32_t r = 0; r < m->nrows; r++) {
		const rv_row *row = &m->rows[r];
		uint32_t *n = mr->n + mr->off[r], *nres = mr->nres + mr->off[r];
		uint32_t *nfail = mr->nfail + mr->off[r];
		n[0] = nres[0] = nfail[0] = 0;
		for (uint32_t i = 0; i < row->n; i++) {
			const uint32_t hit = match[row->pp[i]] != 0;
			n[i + 1] = n[i] + hit;
			/* a matching segment that ends with a resolve / fail */
			const rv_row_ends *e = &row->ends[i >> 6];
			const uint64_t bit = 1ull << (i & 63);
			nres[i + 1] = nres[i] + (hit && (e->res & bit));
			nfail[i + 1] = nfail[i] + (hit && (e->fail & bit));
		}
	}
	rv_touch_match_build(mr, m, match);
	return mr;
}

void rv_match_rows_free(rv_match_rows *mr)
{
	if (!mr)
		return;
	g_free(mr->off);
	g_free(mr->n);
	g_free(mr->nres);
	g_free(mr->nfail);
	g_free(mr->toff);
	g_free(mr->tn);
	g_free(mr);
}

/* The matches among row r's counts in out, per v (rv_row_agg_view). */
static void agg_matches(const rv_model *m, const rv_view *v, int32_t r,
			const rv_agg_hint *h, rv_agg *out)
{
	const rv_match_rows *mr = v->match_rows;
	if (!v->match || !mr || mr->nrows != m->nrows)
		return;   /* no matches indexed: nothing marked or hidden */
	const uint32_t *n = mr->n + mr->off[r], *nres = mr->nres + mr->off[r];
	const uint32_t *nfail = mr->nfail + mr->off[r];
	if (!n[m->rows[r].n]) {
		/* no match in the row (the window counts matches from its
		 * load on, mostly none): the counts below are all 0, without
		 * reading them at every column's ends */
		out->matched = 0;
		if (v->filter)
			out->live = out->created = out->resolved =
				out->failed = 0;
		return;
	}
	/* live segments are [el, s1), created [s0, s1), ends [e0, e1) */
	out->matched = h->s1 > h->el ? n[h->s1] - n[h->el] : 0;
	if (!v->filter)
		return;
	out->live = out->matched;
	out->created = n[h->s1] - n[h->s0];
	out->resolved = nres[h->e1] - nres[h->e0];
	out->failed = nfail[h->e1] - nfail[h->e0];
}

void rv_row_agg_view(const rv_model *m, const rv_view *v, int32_t r,
		     int64_t t0, int64_t t1, rv_agg_hint *h, rv_agg *out)
{
	rv_row_agg(&m->rows[r], t0, t1, h, out);
	agg_matches(m, v, r, h, out);
}

int rv_agg_height(uint32_t live)
{
	/* 1, 2, 4, 8+ live: 3, 5, 7, 9 px: a count read at a glance, not a
	 * ruler; zooming in gives the promises themselves */
	if (!live)
		return 0;
	/* floor(log2(live)), as the highest bit set: a libm call a column
	 * of every packed row was more than the rest of this */
	int h = 3 + 2 * (31 - __builtin_clz(live));
	return h > 9 ? 9 : h;
}

bool rv_row_dense(const rv_model *m, const rv_view *v, int32_t r)
{
	const rv_row *row = &m->rows[r];
	uint32_t i0 = rv_row_first_ending_after(row, (int64_t)v->from);
	uint32_t i1 = rv_times_search(&row->start,
				      (int64_t)ceil(rv_t(v, v->width)));
	if (i1 < i0 + 2)
		return false;
	double xa = fmax(rv_x(v, (double)RV_START(row, i0)), RV_LEFT_W);
	double xb = fmin(rv_x(v, (double)RV_END(row, i1 - 1)), v->width);
	return xb - xa < RV_AGG_PX * (i1 - i0);
}

/* Columns ahead whose counts are fetched (agg_prefetch). */
#define AGG_AHEAD 16

/* The running counts at the ends a column AGG_AHEAD on will read, asked
 * of the cache now (E, the frame's lookups of the row's ends, says where
 * they are): otherwise each column waits on them in turn. */
static inline __attribute__((always_inline))
void agg_prefetch(const rv_row *row, const rv_cols *c,
		  const uint32_t *E, int x)
{
	const int k = x - RV_LEFT_W + AGG_AHEAD;
	if (k >= c->n)
		return;
	rv_row_ends_prefetch(row, E[k]);
	rv_times_prefetch(&row->end, E[k]);
}

/* A column's counts from the row's summary entries at its snapped start
 * (e0) and end (e1, read here; sum.h): what row_agg, agg_matches and
 * rv_row_touches_col answer for those column times, without a lookup
 * in the row's lists. */
static unsigned sum_col(const rv_model *m, const rv_view *v, int32_t r,
			const rv_row_level *L, const int64_t *ts, int x,
			rv_row_ent *e0, rv_row_ent *e1, rv_agg_hint *h,
			rv_touch_hint *th, rv_agg *a)
{
	const rv_row *row = &m->rows[r];
	const rv_cols *c = v->cols;
	const int k = x - RV_LEFT_W;
	*e0 = *e1;
	if (k + AGG_AHEAD < c->n) {
		const int64_t q = (ts[k + AGG_AHEAD] >> L->shift) - L->q0;
		if (q >= 0 && q < L->nb)
			__builtin_prefetch(&L->ent[q]);
	}
	rv_row_sum_get(row, L, k + 1 < c->n ? ts[k + 1]
			   : (int64_t)ceil(rv_t(v, x + 1)), e1);
	h->s0 = e0->s;
	h->e0 = e0->e;
	h->el = MAX(e0->el, e0->e);
	h->s1 = MAX(e1->s, h->s0);
	h->e1 = MAX(e1->e, h->el);
	a->live = h->s1 > h->el ? h->s1 - h->el : 0;
	a->created = h->s1 - h->s0;
	a->resolved = (h->e1 == e1->e ? e1->nres : rv_row_nres(row, h->e1)) -
		      e0->nres;
	a->failed = (h->e1 == e1->e ? e1->nfail : rv_row_nfail(row, h->e1)) -
		    e0->nfail;
	a->matched = 0;
	agg_matches(m, v, r, h, a);
	memcpy(th->i, e0->t, sizeof th->i);
	return rv_row_touches_idx(m, v, r, e0->t, e1->t);
}

/* Where a packed row's marks go: where its whole strip lies inside the
 * target's clip (rv_strip_direct), straight into the target's pixels,
 * a column's few marks a store each; else through the strip. */
typedef struct {
	rv_strip *st;
	uint32_t *col0;   /* the target's pixel at user (0, top), or NULL */
	size_t stride;
	int top;
} col_out;

static col_out col_out_of(rv_strip *st, int top)
{
	col_out o = { st, NULL, 0, top };
	const rv_px *p = rv_strip_direct(st);
	if (p) {
		o.stride = (size_t)p->stride;
		o.col0 = p->px + (size_t)(top + p->dy) * o.stride + p->dx;
	}
	return o;
}

/* Column x, pixel rows [y0, y1), opaque colour c. */
static inline void col_put(const col_out *o, int x, int y0, int y1,
			   uint32_t c)
{
	if (!o->col0) {
		rv_strip_put(o->st, x, x + 1, y0, y1, c);
		return;
	}
	uint32_t *q = o->col0 + x + (size_t)(y0 - o->top) * o->stride;
	for (int y = y0; y < y1; y++, q += o->stride)
		*q = c;
}

/* A dense row, per pixel column (see RV_AGG_PX), as pixels: stored
 * straight into the target where it takes them (rv_strip_now), each
 * colour converted once. */
void rv_draw_packed_row(cairo_t *cr, const rv_model *m, const rv_view *v,
			int32_t r, double ly)
{
	static const double area[4] = { 0.55, 0.62, 0.80, 1 };
	/* the detailed view's match colour (line_rgb), filter off */
	static const double match[4] = { 0.85, 0.0, 0.75, 1 };
	const rv_row *row = &m->rows[r];
	static const double tick[3][4] = {
		{ 0.1, 0.1, 0.1, 1 }, { 0.0, 0.65, 0.0, 1 },
		{ 0.85, 0.0, 0.0, 1 } };
	/* a column with touches of several kinds shows the rarest kind's
	 * colour (signal, try_read, read-failed, read: arrow_rgb's) */
	static const int touch_order[RV_T_COUNT] = {
		RV_T_SIGNAL, RV_T_TRY_READ, RV_T_READ_FAILED, RV_T_READ };
	static const uint8_t touch_arrow[RV_T_COUNT] = {
		[RV_T_READ] = RV_A_READ, [RV_T_READ_FAILED] = RV_A_READ_FAILED,
		[RV_T_TRY_READ] = RV_A_TRY_READ, [RV_T_SIGNAL] = RV_A_SIGNAL };
	const uint32_t area_c = rv_strip_argb(area);
	const uint32_t match_c = rv_strip_argb(match);
	uint32_t tick_c[3], touch_c[RV_T_COUNT];
	for (int k = 0; k < 3; k++)
		tick_c[k] = rv_strip_argb(tick[k]);
	for (int t = 0; t < RV_T_COUNT; t++) {
		const double *c = rv_arrow_colour[touch_arrow[t]];
		const double rgba[4] = { c[0], c[1], c[2], 1 };
		touch_c[t] = rv_strip_argb(rgba);
	}
	const int base = (int)lround(ly) + 1, top = base - 13;
	rv_strip *st = rv_strip_now(cr, RV_LEFT_W, top, v->width - RV_LEFT_W,
				    13);
	const col_out o = col_out_of(st, top);
	/* every column's lookups in the row's lists, made a list at a time
	 * for the frame (cols.c): the row is packed, so a column holds
	 * items of start and end (touch lists only where they do) */
	const uint32_t *S = NULL, *E = NULL, *T[RV_T_COUNT] = { NULL };
	/* zoomed out where the row has summaries, from those, at the
	 * frame's snapped columns (sum.h) */
	const int shift = row->sum && v->cols ? rv_sum_shift(v) : -1;
	const rv_row_level *L = shift >= 0 ? rv_row_level_for(row, shift)
					   : NULL;
	const int64_t *ts = L ? rv_cols_snapped(v->cols, shift) : NULL;
	rv_row_ent e0, e1;
	if (L)
		rv_row_sum_get(row, L, ts[0], &e1);
	if (v->cols && !L) {
		E = rv_cols_lb(v->cols, &row->end);
		S = rv_cols_lb_starts(v->cols, &row->start, &row->end);
		for (int t = 0; t < RV_T_COUNT; t++)
			if (rv_cols_dense(v->cols, &row->touch_t[t]))
				T[t] = rv_cols_lb(v->cols, &row->touch_t[t]);
	}
	rv_agg_hint h = { 0 };
	rv_touch_hint th = { { 0 } };
	for (int x = RV_LEFT_W; x < v->width; x++) {
		RV_WORK(1);
		rv_agg a;
		unsigned kinds;
		if (L) {
			kinds = sum_col(m, v, r, L, ts, x, &e0, &e1, &h, &th,
					&a);
		} else {
			int64_t t0, t1;
			rv_col_times(v, x, &t0, &t1);
			if (E)
				agg_prefetch(row, v->cols, E, x);
			row_agg(row, v->cols, S, E, x, t0, t1, &h, &a);
			agg_matches(m, v, r, &h, &a);
			kinds = rv_row_touches_col(m, v, r, x, T, &th);
		}
		int ah = rv_agg_height(a.live);
		/* a column holding a match is tinted whole, as a matching
		 * line is drawn magenta and thick (with the filter on the
		 * counts are of matches only, so nothing is tinted) */
		if (ah)
			col_put(&o, x, base - ah, base,
				a.matched && !v->filter ? match_c : area_c);
		const uint32_t n[3] = { a.created, a.resolved, a.failed };
		for (int k = 0; k < 3; k++)
			if (n[k])
				col_put(&o, x, top + k, top + k + 1, tick_c[k]);
		for (int i = 0; kinds && i < RV_T_COUNT; i++)
			if (kinds & (1u << touch_order[i])) {
				col_put(&o, x, top + 3, top + 4,
					touch_c[touch_order[i]]);
				break;
			}
		bool touches_left = false;
		for (int t = 0; t < RV_T_COUNT; t++)
			touches_left |= th.i[t] < row->ntouch[t];
		if (h.s1 >= row->n && h.e1 >= row->n && !touches_left)
			break;   /* nothing further in this row */
	}
	rv_strip_paint(cr, st);
	rv_strip_free(st);
}
