/*
 * draw_counters.c - a counter's step graph in its band: a 1-px line on
 * whole pixels, a min..max bar in every pixel column zoomed out (from the
 * counter's pyramid, so O(width x log n) a frame), and no line where a
 * gap of lost records makes its value unknown, nor past the trace's end.
 */
#include "draw.h"

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

void rv_draw_counter(cairo_t *cr, const rv_model *m, const rv_view *v,
		     const rv_counter *c, double y)
{
	double h = RV_COUNTER_H - 6, base = y + RV_COUNTER_H - 3;
	double range = (double)(c->vmax - c->vmin);
	if (range <= 0)
		range = 1;
#define VY(val) (base - ((double)(val) - (double)c->vmin) / range * h)
	cairo_set_source_rgb(cr, 0.97, 0.97, 0.99);
	cairo_rectangle(cr, RV_LEFT_W, y + 1, v->width - RV_LEFT_W,
			RV_COUNTER_H - 2);
	cairo_fill(cr);
	if (!c->n)
		return;
	double t_to = rv_t(v, v->width);
	uint32_t i0 = rv_times_search(&c->t, (int64_t)v->from);
	uint32_t i1 = rv_times_gallop(&c->t, i0, (int64_t)t_to + 1);
	/* A 1-px step line on whole pixels, written as pixels (strip.c):
	 * zoomed out, a counter is a min..max bar in every pixel column,
	 * thousands of segments a stroke would rasterize one by one. */
	const int top = (int)floor(y + 1), bottom = (int)ceil(base) + 1;
	rv_strip *st = rv_strip_now(cr, RV_LEFT_W, top, v->width - RV_LEFT_W,
				    bottom - top);
	const uint32_t ink = rv_strip_argb(counter_ink);
	/* value carried in from the left edge */
	int cur = (int)lround(i0 ? VY(rv_counter_v(c, i0 - 1)) : base);
	int x = RV_LEFT_W;
	uint32_t i = i0;
	/* zoomed out, a sample or more a column: every column's first,
	 * looked up for all columns at once (cols.c) */
	const bool dense = i1 - i0 >= (uint32_t)(v->width - RV_LEFT_W);
	const uint32_t *ts = v->cols && dense ? rv_cols_lb(v->cols, &c->t)
					      : NULL;
	while (i < i1) {
		RV_WORK(1);
		int xi = (int)floor(rv_x(v, (double)rv_times_at(&c->t, i)));
		/* all samples within this pixel column: one min..max bar */
		rv_cols_prefetch(v->cols, ts, &c->t, NULL, xi + 1);
		extent_prefetch(c, v->cols, ts, xi + 1);
		uint32_t j = rv_cols_gallop(v->cols, ts, &c->t, i, xi + 1,
					    (int64_t)ceil(rv_t(v, xi + 1)));
		if (j > i1)
			j = i1;
		if (j <= i)
			j = i + 1;
		int next = (int)lround(VY(rv_counter_v(c, j - 1)));
		/* after a gap the old level is unknown: no step from it */
		if (counter_flat(st, m, v, c, x, xi,
				 i ? rv_times_at(&c->t, i - 1) : INT64_MIN,
				 rv_times_at(&c->t, i), cur, ink))
			cur = (int)lround(VY(rv_counter_v(c, i)));
		int lo = cur, hi = cur;
		if (j - i > 1) {
			int64_t mn, mx;
			rv_counter_extent(c, i, j, &mn, &mx);
			int ymx = (int)lround(VY(mx)), ymn = (int)lround(VY(mn));
			lo = MIN(lo, MIN(ymx, ymn));
			hi = MAX(hi, MAX(ymx, ymn));
		}
		lo = MIN(lo, next);
		hi = MAX(hi, next);
		rv_strip_put(st, xi, xi + 1, lo, hi + 1, ink);
		cur = next;
		x = xi + 1;
		i = j;
	}
	/* after the last sample the value holds only while the trace lasts:
	 * the line stops at its last event, not at the view's right edge */
	int xe = v->width;
	if (i == c->n)
		xe = (int)MIN((double)v->width,
			      MAX((double)x, ceil(rv_x(v, (double)m->t_max))));
	counter_flat(st, m, v, c, x, xe,
		     i ? rv_times_at(&c->t, i - 1) : INT64_MIN,
		     i < c->n ? rv_times_at(&c->t, i) : m->t_max, cur, ink);
	rv_strip_paint(cr, st);
	rv_strip_free(st);
#undef VY
}
