/*
 * draw_counters.c - a counter's step graph in its band: a 1-px line on
 * whole pixels, a min..max bar in every pixel column zoomed out (from the
 * counter's pyramid, so O(width x log n) a frame), and no line where a
 * gap of lost records makes its value unknown, nor past the trace's end.
 */
#include "draw.h"
#include "sum.h"

#include <glib.h>
#include <math.h>

static const double counter_ink[4] = { 0.15, 0.35, 0.65, 1 };

/* Where in (a, b) a lost range of a CPU that c has samples from begins
 * (a if one covers a), or INT64_MAX: records lost there may have changed
 * the value, so it is unknown from there to the next sample. */
static int64_t counter_gap(const rv_model *m, const rv_counter *c, int64_t a,
			   int64_t b)
{
	int64_t first = INT64_MAX;
	for (int cpu = 0; m->cpu_gap && cpu < m->ncpus; cpu++) {
		if (!(c->cpus & (1ull << (cpu < 63 ? cpu : 63))))
			continue;
		const rv_spans *g = &m->cpu_gap[cpu];
		uint32_t k = rv_spans_first_ending_after(g, a == INT64_MAX ?
							 a : a + 1);
		if (k < g->n && RV_START(g, k) < b)
			first = MIN(first, MAX(RV_START(g, k), a));
	}
	return first;
}

/* The flat part of the step line, columns [x, xe), from the sample at ta
 * (INT64_MIN: none, the line sits at the base) to the one at tb; it stops
 * where a gap begins. True if one did: the next sample starts afresh. */
static bool counter_flat(rv_strip *st, const rv_model *m, const rv_view *v,
			 const rv_counter *c, int x, int xe, int64_t ta,
			 int64_t tb, int level, uint32_t ink)
{
	int64_t gap = ta == INT64_MIN ? INT64_MAX : counter_gap(m, c, ta, tb);
	if (gap != INT64_MAX)
		xe = MIN(xe, MAX(x, (int)floor(rv_x(v, (double)gap))));
	if (xe > x)
		rv_strip_put(st, x, xe, level, level + 1, ink);
	return gap != INT64_MAX;
}

/* The pyramid's first level (layout.c's RV_PYR_BASE: were they to
 * differ, prefetches would miss, the picture would not change). */
#define PYR_BASE 4

/* What rv_counter_extent will read for the samples of the column
 * RV_COLS_AHEAD on ([ts[k], ts[k + 1])): the raw samples at both ends
 * and the pyramid's nodes at both ends of every level it climbs, asked
 * of the cache now; zoomed out, each column's extent otherwise waits on
 * a dozen misses in turn. */
static inline __attribute__((always_inline))
void extent_prefetch(const rv_counter *c, const rv_cols *cols,
		     const uint32_t *ts, int x)
{
	const int k = x - RV_LEFT_W + RV_COLS_AHEAD;
	if (!ts || k < 0 || k + 1 >= cols->n)
		return;
	const uint32_t i = ts[k], j = ts[k + 1];
	if (j <= i + 1 || j > c->n)
		return;
	rv_vals_prefetch(&c->v, i);
	rv_vals_prefetch(&c->v, j - 1);
	for (int l = PYR_BASE; l < c->nlevels && (i >> l) + 1 < (j >> l);
	     l++) {
		__builtin_prefetch(&c->pmin[l][(i >> l) + 1]);
		__builtin_prefetch(&c->pmax[l][(i >> l) + 1]);
		__builtin_prefetch(&c->pmin[l][(j >> l) - 1]);
		__builtin_prefetch(&c->pmax[l][(j >> l) - 1]);
	}
}

/* The step line's walk: the strip, the line's scale, and where it is
 * (the level carried, the first column not drawn, the next sample). */
typedef struct {
	rv_strip *st;
	uint32_t ink;
	double base, h, range;
	int cur, x;
	uint32_t i;
} ctr_walk;

static int ctr_y(const rv_counter *c, const ctr_walk *w, int64_t val)
{
	return (int)lround(w->base - ((double)val - (double)c->vmin) /
			   w->range * w->h);
}

/* Column xi holding samples [w->i, j), the first at ti (ta: the one
 * before it, INT64_MIN if none or no gap can matter), the last of value
 * vlast, their extent mn..mx (ext, when j - i > 1): the flat line up to
 * it, then its min..max bar, joining the level carried in to vlast. */
static void counter_col(ctr_walk *w, const rv_model *m, const rv_view *v,
			const rv_counter *c, int xi, uint32_t j, int64_t ta,
			int64_t ti, int64_t vlast, const int64_t *ext)
{
	const int next = ctr_y(c, w, vlast);
	/* after a gap the old level is unknown: no step from it */
	if (counter_flat(w->st, m, v, c, w->x, xi, ta, ti, w->cur, w->ink))
		w->cur = ctr_y(c, w, rv_counter_v(c, w->i));
	int lo = w->cur, hi = w->cur;
	if (ext) {
		const int ymx = ctr_y(c, w, ext[1]), ymn = ctr_y(c, w, ext[0]);
		lo = MIN(lo, MIN(ymx, ymn));
		hi = MAX(hi, MAX(ymx, ymn));
	}
	lo = MIN(lo, next);
	hi = MAX(hi, next);
	rv_strip_put(w->st, xi, xi + 1, lo, hi + 1, w->ink);
	w->cur = next;
	w->x = xi + 1;
	w->i = j;
}

/* The samples [w->i, i1), column by column, from the lists. */
static void counter_walk(ctr_walk *w, const rv_model *m, const rv_view *v,
			 const rv_counter *c, uint32_t i1)
{
	/* zoomed out, a sample or more a column: every column's first,
	 * looked up for all columns at once (cols.c) */
	const bool dense = i1 - w->i >= (uint32_t)(v->width - RV_LEFT_W);
	const uint32_t *ts = v->cols && dense ? rv_cols_lb(v->cols, &c->t)
					      : NULL;
	while (w->i < i1) {
		RV_WORK(1);
		const uint32_t i = w->i;
		const int64_t ti = rv_times_at(&c->t, i);
		int xi = (int)floor(rv_x(v, (double)ti));
		/* all samples within this pixel column: one min..max bar */
		rv_cols_prefetch(v->cols, ts, &c->t, NULL, xi + 1);
		extent_prefetch(c, v->cols, ts, xi + 1);
		uint32_t j = rv_cols_gallop(v->cols, ts, &c->t, i, xi + 1,
					    (int64_t)ceil(rv_t(v, xi + 1)));
		if (j > i1)
			j = i1;
		if (j <= i)
			j = i + 1;
		int64_t ext[2];
		if (j - i > 1)
			rv_counter_extent(c, i, j, &ext[0], &ext[1]);
		counter_col(w, m, v, c, xi, j,
			    i ? rv_times_at(&c->t, i - 1) : INT64_MIN, ti,
			    rv_counter_v(c, j - 1), j - i > 1 ? ext : NULL);
	}
}

/* Whether a lost range on one of c's CPUs could cut its line (else
 * counter_gap finds none, whatever it is asked). */
static bool counter_has_gaps(const rv_model *m, const rv_counter *c)
{
	for (int cpu = 0; m->cpu_gap && cpu < m->ncpus; cpu++)
		if ((c->cpus & (1ull << (cpu < 63 ? cpu : 63))) &&
		    m->cpu_gap[cpu].n)
			return true;
	return false;
}

/* Summary entries this many columns ahead are asked of the cache. */
#define CTR_AHEAD 8

/* counter_walk from the summary's level L (sum.h, rv_ctr_level_for) on
 * the frame's snapped columns: each column's first sample, its time,
 * the value before it and the column's extent come from the entries at
 * its start and the next column's and the cells between. For a view
 * whose columns lie on the grid, the same picture. */
static void counter_walk_sum(ctr_walk *w, const rv_model *m,
			     const rv_view *v, const rv_counter *c,
			     const rv_ctr_level *L, int shift, uint32_t i1)
{
	rv_cols *cols = v->cols;
	const int64_t *ts = rv_cols_snapped(cols, shift);
	const bool gaps = counter_has_gaps(m, c);
	int64_t ti = w->i < c->n ? rv_times_at(&c->t, w->i) : 0;
	while (w->i < i1) {
		RV_WORK(1);
		const uint32_t i = w->i;
		const int xi = (int)floor(rv_sum_x(v, cols, ts, ti));
		const int k = xi + 1 - RV_LEFT_W;
		if (k >= 0 && k + CTR_AHEAD < cols->n) {
			const int64_t q = (ts[k + CTR_AHEAD] >> L->shift) -
					  L->q0;
			if (q >= 0 && q < L->nb)
				__builtin_prefetch(&L->ent[q]);
		}
		rv_ctr_ent en;
		const bool have = k >= 1 && k < cols->n;
		uint32_t j;
		if (have) {
			rv_ctr_sum_get(c, L, ts[k], &en);
			j = en.e > i ? en.e : i;
		} else {
			j = rv_times_gallop(&c->t, i,
					    (int64_t)ceil(rv_t(v, xi + 1)));
		}
		if (j > i1)
			j = i1;
		if (j <= i)
			j = i + 1;
		/* entry en is at j where it holds what the walk reads */
		const bool at = have && j == en.e;
		int64_t ext[2];
		if (j - i > 1 && !(at && rv_ctr_sum_extent(L, ts[k - 1], ts[k],
							     i, &ext[0],
							     &ext[1])))
			rv_counter_extent(c, i, j, &ext[0], &ext[1]);
		counter_col(w, m, v, c, xi, j,
			    gaps && i ? rv_times_at(&c->t, i - 1) : INT64_MIN,
			    ti, at ? en.vprev : rv_counter_v(c, j - 1),
			    j - i > 1 ? ext : NULL);
		if (j < c->n)
			ti = at && en.dt != RV_SUM_FAR ? ts[k] + en.dt
						      : rv_times_at(&c->t, j);
	}
}

void rv_draw_counter(cairo_t *cr, const rv_model *m, const rv_view *v,
		     const rv_counter *c, double y)
{
	ctr_walk w = { .h = RV_COUNTER_H - 6, .base = y + RV_COUNTER_H - 3,
		       .range = (double)(c->vmax - c->vmin) };
	if (w.range <= 0)
		w.range = 1;
	cairo_set_source_rgb(cr, 0.97, 0.97, 0.99);
	cairo_rectangle(cr, RV_LEFT_W, y + 1, v->width - RV_LEFT_W,
			RV_COUNTER_H - 2);
	cairo_fill(cr);
	if (!c->n)
		return;
	double t_to = rv_t(v, v->width);
	const uint32_t i0 = rv_times_search(&c->t, (int64_t)v->from);
	const uint32_t i1 = rv_times_gallop(&c->t, i0, (int64_t)t_to + 1);
	/* A 1-px step line on whole pixels, written as pixels (strip.c):
	 * zoomed out, a counter is a min..max bar in every pixel column,
	 * thousands of segments a stroke would rasterize one by one. */
	const int top = (int)floor(y + 1), bottom = (int)ceil(w.base) + 1;
	w.st = rv_strip_now(cr, RV_LEFT_W, top, v->width - RV_LEFT_W,
			    bottom - top);
	w.ink = rv_strip_argb(counter_ink);
	/* value carried in from the left edge */
	w.cur = i0 ? ctr_y(c, &w, rv_counter_v(c, i0 - 1))
		   : (int)lround(w.base);
	w.x = RV_LEFT_W;
	w.i = i0;
	/* further out, from the summary: columns of two buckets or more */
	const int shift = rv_sum_shift(v);
	const rv_ctr_level *L = shift >= 0 && v->cols ?
				rv_ctr_level_for(c, shift) : NULL;
	if (L)
		counter_walk_sum(&w, m, v, c, L, shift, i1);
	else
		counter_walk(&w, m, v, c, i1);
	/* after the last sample the value holds only while the trace lasts:
	 * the line stops at its last event, not at the view's right edge */
	const uint32_t i = w.i;
	int xe = v->width;
	if (i == c->n)
		xe = (int)MIN((double)v->width,
			      MAX((double)w.x, ceil(rv_x(v, (double)m->t_max))));
	counter_flat(w.st, m, v, c, w.x, xe,
		     i ? rv_times_at(&c->t, i - 1) : INT64_MIN,
		     i < c->n ? rv_times_at(&c->t, i) : m->t_max, w.cur, w.ink);
	rv_strip_paint(cr, w.st);
	rv_strip_free(w.st);
}
