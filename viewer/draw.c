/*
 * draw.c - the timeline picture: ruler and grid, background bands (idle,
 * interrupts, allocator), CPU lanes, thread lanes, and the overlays that
 * must never be missed (lost records, panic, hang, the selected range).
 * Promise rows and arrows are in draw_promises.c, counters in
 * draw_counters.c.
 *
 * Every list is walked from a binary search to the left edge, and
 * anything narrower than a pixel is merged into one mark by jumping
 * (another binary search) to the first item that ends past that pixel,
 * so a frame costs O(visible pixels x log n), whatever the zoom.
 */
#include "draw.h"
#include "sum.h"
#include "xcpu.h"

#include <assert.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void rv_geom_compute(const rv_model *m, rv_geom *g)
{
	assert(m && g);
	memset(g, 0, sizeof *g);
	g->cpu_y = RV_RULER_H + 2;
	g->thread_y = g->cpu_y + m->ncpus * RV_LANE_H + RV_GAP;
	g->counter_y = g->thread_y +
		(m->show_threads ? m->nthreads * RV_THREAD_H + RV_GAP : 0);
	for (uint32_t i = 0; i < m->ncounters; i++)
		g->ncounters_shown += m->counters[i].shown;
	g->rows_y = g->counter_y + g->ncounters_shown * RV_COUNTER_H + RV_GAP;
	g->total_h = g->rows_y + m->nrows * RV_ROW_H + RV_GAP;
}

void rv_view_fit(rv_view *v, const rv_model *m)
{
	assert(v && m);
	rv_view_fit_span(v, m->t_min, m->t_max);
}

void rv_view_fit_span(rv_view *v, int64_t t_min, int64_t t_max)
{
	assert(v && t_min <= t_max);
	/* 2% to spare on the right so end marks (arrowheads, the panic
	 * line) at the last event stay visible */
	double span = (double)(t_max - t_min);
	if (span < 1000)
		span = 1000;
	double w = v->width - RV_LEFT_W;
	if (w < 10)
		w = 10;
	v->ns_per_px = span * 1.02 / w;
	v->from = (double)t_min;
}

cairo_surface_t *rv_draw_fitted(const rv_model *m, int64_t t_min,
				int64_t t_max, int width, int height)
{
	assert(m && width > 0 && height > 0);
	rv_view v = { .width = width, .height = height };
	rv_view_fit_span(&v, t_min, t_max);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							width, height);
	cairo_t *cr = cairo_create(s);
	rv_draw(cr, m, &v);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	return s;
}

void rv_view_range(rv_view *v, double from, double to)
{
	assert(v && to > from);
	v->from = from;
	v->ns_per_px = (to - from) / (v->width - RV_LEFT_W);
}

void rv_fmt_dur(char *buf, size_t len, double ns)
{
	double a = fabs(ns);
	if (a < 1e3)
		snprintf(buf, len, "%.0f ns", ns);
	else if (a < 1e6)
		snprintf(buf, len, "%.3g us", ns / 1e3);
	else if (a < 1e9)
		snprintf(buf, len, "%.4g ms", ns / 1e6);
	else
		snprintf(buf, len, "%.4g s", ns / 1e9);
}

/* To the ns, so a tooltip tells apart the ruler's ticks at any zoom;
 * seconds past one, where milliseconds would need six leading digits. */
void rv_fmt_time(char *buf, size_t len, double ns)
{
	if (fabs(ns) >= 1e9)
		snprintf(buf, len, "%.9f s", ns / 1e9);
	else
		snprintf(buf, len, "%.6f ms", ns / 1e6);
}

void rv_thread_rgb(uint32_t thread, double rgb[3])
{
	static const double pal[][3] = {
		{ 0.27, 0.51, 0.71 }, { 0.87, 0.49, 0.16 }, { 0.30, 0.65, 0.33 },
		{ 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 }, { 0.89, 0.47, 0.76 },
		{ 0.09, 0.75, 0.81 }, { 0.74, 0.74, 0.13 }, { 0.35, 0.35, 0.60 },
		{ 0.20, 0.55, 0.55 },
	};
	memcpy(rgb, pal[thread % 10], sizeof pal[0]);
}

typedef rv_span_rgba span_rgba;

/* How much of pixel column px, [t0, t1), spans i.. fill (s->cum kept; i =
 * the first span ending after t0): whole spans from the running totals,
 * less the parts of the first and last that lie outside; starts is the
 * frame's column lookup in s->start, or NULL. */
static double span_fill(const rv_view *v, const rv_spans *s,
			const uint32_t *starts, uint32_t i, double px)
{
	const double t0 = rv_t(v, px), t1 = rv_t(v, px + 1);
	uint32_t e = rv_cols_gallop(v->cols, starts, &s->start, i, (int)px + 1,
				    (int64_t)ceil(t1));
	if (e <= i)
		return 0;
	double in = (double)(RV_CUM(s, e) - RV_CUM(s, i));
	in -= fmax(0, t0 - (double)RV_START(s, i));
	in -= fmax(0, (double)RV_END(s, e - 1) - t1);
	return fmax(0, in);
}

/* Columns ahead whose first span's fields are fetched (span_prefetch). */
#define SPAN_AHEAD 24

/* Zoomed out, the first span of a column a few ahead is known (ends, the
 * frame's lookups): its kind, ref, times and running totals are asked of
 * the cache now, to be there when that column is drawn, instead of five
 * misses in turn then (they were most of a whole-trace frame's lanes). */
static inline __attribute__((always_inline))
void span_prefetch(const rv_spans *s, const rv_cols *c,
		   const uint32_t *ends, const uint32_t *starts,
		   double px)
{
	const int k = (int)px - RV_LEFT_W + SPAN_AHEAD;
	if (!ends || k < 0 || k >= c->n)
		return;
	const uint32_t i = ends[k];
	rv_u32s_prefetch(&s->kind, i);
	rv_u32s_prefetch(&s->ref, i);
	rv_times_prefetch(&s->start, i);
	rv_times_prefetch(&s->end, i);
	if (s->cum.n && starts) {
		rv_times_prefetch(&s->cum, i);
		rv_times_prefetch(&s->cum, starts[k]);
		rv_times_prefetch(&s->end, starts[k] ? starts[k] - 1 : 0);
	}
}

/* Draw a span list as boxes in [y, y+h), merging sub-pixel spans. Returns
 * nothing; text labels are drawn by the caller if it wants them.
 * Zoomed out where the list has summaries (sum.h), from those, at
 * columns snapped to their grid (rv_draw_spans_sum). */
static void draw_spans(cairo_t *cr, const rv_model *m, const rv_view *v,
		       const rv_spans *s, double y, double h, span_rgba col)
{
	rv_span_emit em = { .b = rv_batch_new(cr), .y = y, .h = h };
	const int shift = s->sum ? rv_sum_shift(v) : -1;
	const rv_sum_level *L = shift >= 0 && v->cols ?
				rv_sum_level_for(s, shift) : NULL;
	if (L) {
		rv_draw_spans_sum(m, v, s, L, shift, &em, col);
		rv_span_emit_end(&em);
		return;
	}
	double t_from = v->from, t_to = rv_t(v, v->width);
	uint32_t i = rv_spans_first_ending_after(s, (int64_t)t_from);
	double rgba[4];
	/* With running totals, a pixel already marked is not marked again
	 * by the span that runs on from it: its mark holds that pixel's
	 * whole fill (a second mark there replaced the first, and a band of
	 * spans shorter than a pixel faded to a fraction of what it fills). */
	double done_x = RV_LEFT_W;
	/* zoomed out (an item a column or more), every column's first
	 * span, looked up for all columns at once (cols.c) */
	const uint32_t *ends = NULL, *starts = NULL;
	if (rv_cols_dense(v->cols, &s->end)) {
		ends = rv_cols_lb(v->cols, &s->end);
		if (s->cum.n)
			starts = rv_cols_lb_starts(v->cols, &s->start, &s->end);
	}
	while (i < s->n && RV_START(s, i) <= t_to) {
		RV_WORK(1);
		double x0 = rv_x(v, (double)RV_START(s, i));
		double x1 = rv_x(v, (double)RV_END(s, i));
		if (s->cum.n && x0 < done_x)
			x0 = fmin(done_x, x1);
		if (x0 < RV_LEFT_W)
			x0 = RV_LEFT_W;
		if (x1 > v->width)
			x1 = v->width;
		if (x1 - x0 < 1) {
			/* everything else ending within this pixel is one mark */
			double px = floor(x0);
			span_prefetch(s, v->cols, ends, starts, px);
			uint32_t j = rv_cols_gallop(v->cols, ends, &s->end, i,
				(int)px + 1, (int64_t)ceil(rv_t(v, px + 1)));
			if (col(m, RV_KIND(s, i), RV_REF(s, i), rgba)) {
				/* a band is as strong as the time it fills:
				 * a 1 ms tick's interrupts do not paint a
				 * whole zoomed-out timeline (kept faintly
				 * visible) */
				if (s->cum.n) {
					double fill = span_fill(v, s, starts, i,
						px) / v->ns_per_px;
					rgba[3] *= fmin(1.0, fmax(0.12, fill));
				}
				rv_span_emit_rect(&em, px, 1, rgba);
			}
			done_x = px + 1;
			i = j > i ? j : i + 1;
			continue;
		}
		if (col(m, RV_KIND(s, i), RV_REF(s, i), rgba))
			rv_span_emit_rect(&em, x0, x1 - x0, rgba);
		done_x = x1;
		i++;
	}
	rv_span_emit_end(&em);
}

static bool band_col(const rv_model *m, uint8_t kind, uint32_t ref,
		     double c[4])
{
	switch (kind) {
	case RV_K_IDLE: c[0] = c[1] = c[2] = 0.91; c[3] = 1; return true;
	case RV_K_IRQ: c[0] = 1; c[1] = 0.80; c[2] = 0.80; c[3] = 0.8; return true;
	case RV_K_ALLOC: c[0] = 1; c[1] = 0.86; c[2] = 0.74; c[3] = 0.8; return true;
	}
	return false;
}

static bool cpu_idle_col(const rv_model *m, uint8_t kind, uint32_t ref,
			 double c[4])
{
	c[0] = c[1] = c[2] = 0.62;
	c[3] = 1;
	return true;
}

static bool irq_mark_col(const rv_model *m, uint8_t kind, uint32_t ref,
			 double c[4])
{
	c[0] = kind == RV_K_IRQ ? 0.85 : 0.95;
	c[1] = kind == RV_K_IRQ ? 0.15 : 0.50;
	c[2] = kind == RV_K_IRQ ? 0.15 : 0.20;
	c[3] = 1;
	return true;
}

static bool cpu_col(const rv_model *m, uint8_t kind, uint32_t ref,
		    double c[4])
{
	if (ref < m->nthreads && m->threads[ref].tid == 0) {
		c[0] = c[1] = c[2] = 0.7;   /* the boot context */
	} else {
		rv_thread_rgb(ref, c);
	}
	c[3] = 1;
	return true;
}

static bool state_col(const rv_model *m, uint8_t kind, uint32_t ref,
		      double c[4])
{
	static const double tab[][3] = {
		[RV_K_RUNNING] = { 0.20, 0.55, 0.25 },
		[RV_K_RUNNABLE] = { 0.72, 0.88, 0.60 },
		[RV_K_BLOCK_PROMISE] = { 0.70, 0.80, 0.95 },
		[RV_K_BLOCK_SLEEP] = { 0.85, 0.78, 0.95 },
		[RV_K_BLOCK_EVENT] = { 0.70, 0.92, 0.92 },
		[RV_K_BLOCK_JOIN] = { 0.90, 0.82, 0.70 },
		[RV_K_BLOCK_OTHER] = { 0.85, 0.85, 0.85 },
	};
	if (kind < RV_K_RUNNING || kind > RV_K_BLOCK_OTHER)
		return false;
	memcpy(c, tab[kind], sizeof tab[0]);
	c[3] = 1;
	return true;
}

/* Text inside wide spans (thread names, block reasons). */
static void span_texts(cairo_t *cr, const rv_model *m, const rv_view *v,
		       const rv_spans *s, double y, double h, bool cpu)
{
	double t_from = v->from, t_to = rv_t(v, v->width);
	double min_ns = 40 * v->ns_per_px;  /* only spans >= 40 px */
	uint32_t i = rv_spans_first_ending_after(s, (int64_t)t_from);
	cairo_set_font_size(cr, 9);
	uint32_t budget = 400;
	while (i < s->n && RV_START(s, i) <= t_to && budget) {
		RV_WORK(1);
		if ((double)(RV_END(s, i) - RV_START(s, i)) < min_ns) {
			/* spans are sorted and disjoint: one that ends before
			 * start + min_ns and starts after this one is short
			 * too, so jump past them all (>= 40 px per jump) */
			uint32_t j = rv_times_gallop(&s->end, i, RV_START(s, i) +
						     (int64_t)ceil(min_ns));
			i = j > i ? j : i + 1;
			continue;
		}
		budget--;
		uint32_t cur = i++;
		const char *txt;
		char buf[48];
		const uint32_t ref = RV_REF(s, cur);
		const uint8_t kind = RV_KIND(s, cur);
		if (cpu) {
			txt = ref < m->nthreads ? m->threads[ref].name : "";
		} else {
			if (kind == RV_K_RUNNING)
				continue;
			txt = rv_kind_name(kind);
			if (kind >= RV_K_BLOCK_PROMISE && ref) {
				snprintf(buf, sizeof buf, "%s %u", txt, ref);
				txt = buf;
			}
		}
		double x0 = fmax(rv_x(v, (double)RV_START(s, cur)), RV_LEFT_W) + 2;
		double x1 = fmin(rv_x(v, (double)RV_END(s, cur)), v->width);
		cairo_text_extents_t ext;
		cairo_text_extents(cr, txt, &ext);
		if (ext.x_advance > x1 - x0 - 2)
			continue;
		cairo_set_source_rgb(cr, cpu ? 1 : 0.15, cpu ? 1 : 0.15,
				     cpu ? 1 : 0.15);
		cairo_move_to(cr, x0, y + h - 4);
		cairo_show_text(cr, txt);
	}
}

/* A lost range's screen extent, at least 3 px wide; false if off view. */
static bool lost_x(const rv_model *m, const rv_view *v, const rv_lost *l,
		   double *x0, double *x1)
{
	double a = l->from == INT64_MIN ? (double)m->t_min : (double)l->from;
	double b = l->to == INT64_MAX ? (double)m->t_max : (double)l->to;
	if (b < v->from || a > rv_t(v, v->width))
		return false;
	*x0 = fmax(rv_x(v, a), RV_LEFT_W);
	*x1 = fmax(rv_x(v, b), *x0 + 3);
	return true;
}

/* n records lost in k gaps; `unknown`: some of the gaps have no count
 * (an imported file's), so n is a least and "?" says so. */
static void lost_text(char *buf, size_t len, long long n, int k, int cpu,
		      int unknown)
{
	char num[32];
	if (unknown && n == 0)
		snprintf(num, sizeof num, "?");
	else
		snprintf(num, sizeof num, "%lld%s", n, unknown ? "+?" : "");
	if (k == 1)
		snprintf(buf, len, "%s lost (cpu %d)", num, cpu);
	else if (cpu >= 0)
		snprintf(buf, len, "%s lost in %d gaps (cpu %d)", num, k, cpu);
	else
		snprintf(buf, len, "%s lost in %d gaps", num, k);
}

/* Labels are 10 px Sans: about 6 px a character, measured without cairo
 * so a test can ask for them too. m->lost is ordered by from_ns. */
int rv_lost_labels(const rv_model *m, const rv_view *v, rv_lost_label *out,
		   int max)
{
	int n = 0;
	for (uint32_t i = 0; i < m->nlost && n < max; ) {
		double x0, x1;
		RV_WORK(1);
		if (!lost_x(m, v, &m->lost[i], &x0, &x1)) {
			i++;
			continue;
		}
		rv_lost_label *o = &out[n++];
		long long total = 0;
		int k = 0, cpu = m->lost[i].cpu, unknown = 0;
		o->x = x0 + 2;
		for (; i < m->nlost; i++) {
			double a, b;
			if (!lost_x(m, v, &m->lost[i], &a, &b))
				continue;
			char next[sizeof o->text];
			int c = m->lost[i].cpu == cpu ? cpu : -1;
			const int64_t cnt = m->lost[i].count < 0 ? 0
							      : m->lost[i].count;
			const int unk = unknown || m->lost[i].count < 0;
			lost_text(next, sizeof next, total + cnt, k + 1, c, unk);
			/* the gap's own label would start under this one's */
			if (k && a >= o->x + 6.0 * strlen(o->text) + 8)
				break;
			total += cnt;
			unknown = unk;
			k++;
			cpu = c;
			memcpy(o->text, next, sizeof next);
		}
	}
	return n;
}

static void draw_lost(cairo_t *cr, const rv_model *m, const rv_view *v)
{
	/* hatched red, never hidden, at least 3 px wide */
	for (uint32_t i = 0; i < m->nlost; i++) {
		double x0, x1;
		RV_WORK(1);
		if (!lost_x(m, v, &m->lost[i], &x0, &x1))
			continue;
		cairo_save(cr);
		cairo_rectangle(cr, x0, RV_RULER_H, x1 - x0, v->height);
		cairo_clip(cr);
		cairo_set_source_rgba(cr, 0.9, 0.1, 0.1, 0.18);
		cairo_paint(cr);
		cairo_set_source_rgba(cr, 0.8, 0.0, 0.0, 0.5);
		cairo_set_line_width(cr, 1);
		/* on the whole-pixel grid, so the hatch is as crisp as the
		 * README says at every position */
		for (double hx = floor(x0) - v->height + 0.5; hx < x1; hx += 8) {
			cairo_move_to(cr, hx, RV_RULER_H);
			cairo_line_to(cr, hx + v->height, RV_RULER_H + v->height);
		}
		cairo_stroke(cr);
		cairo_restore(cr);
	}
	rv_lost_label lab[64];
	int n = rv_lost_labels(m, v, lab, 64);
	cairo_set_font_size(cr, 10);
	cairo_set_source_rgb(cr, 0.7, 0, 0);
	for (int i = 0; i < n; i++) {
		cairo_move_to(cr, lab[i].x, RV_RULER_H + 12);
		cairo_show_text(cr, lab[i].text);
	}
}

static void draw_overlays(cairo_t *cr, const rv_model *m, const rv_view *v)
{
	cairo_set_font_size(cr, 10);
	char buf[200];
	draw_lost(cr, m, v);
	if (m->hung) {
		double t = m->hung_at == INT64_MIN ? (double)m->t_min :
			(double)m->hung_at;
		double x = rv_x(v, t);
		if (x >= RV_LEFT_W && x <= v->width) {
			cairo_set_source_rgb(cr, 0.95, 0.55, 0.0);
			cairo_rectangle(cr, floor(x) - 1, RV_RULER_H, 3, v->height);
			cairo_fill(cr);
			const char *txt = "HANG: heartbeat stopped";
			cairo_text_extents_t e;
			cairo_text_extents(cr, txt, &e);
			cairo_move_to(cr, x + 4 + e.x_advance > v->width ?
				      x - 6 - e.x_advance : x + 4, RV_RULER_H + 26);
			cairo_show_text(cr, txt);
		}
	}
	if (m->panicked) {
		double x = rv_x(v, (double)m->panic_t);
		if (x >= RV_LEFT_W - 2 && x <= v->width + 2) {
			cairo_set_source_rgb(cr, 0.9, 0.0, 0.0);
			cairo_rectangle(cr, floor(x) - 1, RV_RULER_H, 3, v->height);
			cairo_fill(cr);
			snprintf(buf, sizeof buf, "PANIC: %.120s",
				 m->panic_reason ? m->panic_reason : "");
			cairo_text_extents_t e;
			cairo_text_extents(cr, buf, &e);
			double tx = x + 4 + e.x_advance > v->width ?
				x - 6 - e.x_advance : x + 4;
			cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
			cairo_rectangle(cr, tx - 2, RV_RULER_H + 30, e.x_advance + 4,
					14);
			cairo_fill(cr);
			cairo_set_source_rgb(cr, 0.8, 0, 0);
			cairo_move_to(cr, tx, RV_RULER_H + 41);
			cairo_show_text(cr, buf);
		}
	}
	if (v->has_sel) {
		int64_t a = MIN(v->sel_a, v->sel_b), b = MAX(v->sel_a, v->sel_b);
		double x0 = fmax(rv_x(v, (double)a), RV_LEFT_W);
		double x1 = fmin(rv_x(v, (double)b), v->width);
		cairo_set_source_rgba(cr, 0.2, 0.4, 0.9, 0.15);
		cairo_rectangle(cr, x0, RV_RULER_H, x1 - x0, v->height);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.1, 0.2, 0.7);
		char d[48];
		rv_fmt_dur(d, sizeof d, (double)(b - a));
		cairo_move_to(cr, x0 + 3, RV_RULER_H + 54);
		cairo_show_text(cr, d);
	}
}

/* The idle, allocator and interrupt bands, behind everything, on the
 * white background and the body's full height: every body row of them is
 * the same. Where the target takes pixels (pixels.c) one row is drawn,
 * into an image one row high, and copied down the body, instead of each
 * band being blended into all ~700 rows (zoomed out, a translucent mark
 * in every column of three bands: two thirds of a frame's pixel work).
 * The same pixels: the row is drawn by the same code onto the same white,
 * and cr's clip (the body) is the copy's. */
static void draw_bands(cairo_t *cr, const rv_model *m, const rv_view *v)
{
	const rv_spans *band[3] = { &m->band_idle, &m->band_alloc,
				    &m->band_irq };
	rv_px p;
	if (!rv_px_begin(cr, &p)) {
		for (int k = 0; k < 3; k++)
			draw_spans(cr, m, v, band[k], RV_RULER_H, v->height,
				   band_col);
		return;
	}
	/* the body's columns, in user pixels */
	const int ux0 = MAX(p.x0 - p.dx, 0), ux1 = MIN(p.x1 - p.dx, v->width);
	if (ux1 <= ux0 || p.y1 <= MAX(p.y0, RV_RULER_H + p.dy)) {
		rv_px_end(&p);
		return;
	}
	cairo_surface_t *rs = cairo_image_surface_create(CAIRO_FORMAT_ARGB32,
							 v->width, 1);
	cairo_t *rc = cairo_create(rs);
	cairo_set_source_rgb(rc, 1, 1, 1);
	cairo_paint(rc);
	cairo_rectangle(rc, ux0, 0, ux1 - ux0, 1);
	cairo_clip(rc);
	for (int k = 0; k < 3; k++)
		draw_spans(rc, m, v, band[k], 0, 1, band_col);
	cairo_destroy(rc);
	cairo_surface_flush(rs);
	const uint32_t *row = (const uint32_t *)(void *)
		cairo_image_surface_get_data(rs);
	/* a band's rows alone (split.c copies no other) */
	double by0, by1;
	rv_body_rows(v, &by0, &by1);
	const int y_end = MIN(p.y1, (int)by1 + p.dy);
	for (int y = MAX(p.y0, (int)by0 + p.dy); row && y < y_end; y++)
		memcpy(p.px + (size_t)y * (size_t)p.stride + ux0 + p.dx,
		       row + ux0, (size_t)(ux1 - ux0) * sizeof *row);
	cairo_surface_destroy(rs);
	rv_px_end(&p);
}

static void draw_margin(cairo_t *cr, const rv_model *m, const rv_view *v,
			const rv_geom *g)
{
	double off = RV_RULER_H - v->yscroll;
	cairo_set_source_rgb(cr, 0.98, 0.98, 0.98);
	cairo_rectangle(cr, 0, RV_RULER_H, RV_LEFT_W, v->height);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.75, 0.75, 0.8);
	cairo_rectangle(cr, RV_LEFT_W - 1, RV_RULER_H, 1, v->height);
	cairo_fill(cr);
	cairo_set_font_size(cr, 10);
	char buf[96];
	for (int c = 0; c < m->ncpus; c++) {
		snprintf(buf, sizeof buf, "CPU %d", c);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		cairo_move_to(cr, 6, off + g->cpu_y + c * RV_LANE_H + 13);
		cairo_show_text(cr, buf);
	}
	cairo_set_font_size(cr, 9);
	for (uint32_t i = 0; m->show_threads && i < m->nthreads; i++) {
		double y = off + g->thread_y + i * RV_THREAD_H;
		if (y < RV_RULER_H - RV_THREAD_H || y > v->height)
			continue;
		double rgb[3];
		rv_thread_rgb(i, rgb);
		cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
		cairo_rectangle(cr, 4, y + 3, 6, 8);
		cairo_fill(cr);
		snprintf(buf, sizeof buf, "%.18s (%llu)", m->threads[i].name,
			 (unsigned long long)m->threads[i].tid);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		cairo_move_to(cr, 14, y + 11);
		cairo_show_text(cr, buf);
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < m->ncounters; i++) {
		const rv_counter *c = &m->counters[i];
		if (!c->shown)
			continue;
		double y = off + g->counter_y + k++ * RV_COUNTER_H;
		cairo_set_source_rgb(cr, 0.1, 0.2, 0.5);
		cairo_move_to(cr, 6, y + 14);
		snprintf(buf, sizeof buf, "%.20s", c->name);
		cairo_show_text(cr, buf);
		cairo_set_source_rgb(cr, 0.45, 0.45, 0.5);
		snprintf(buf, sizeof buf, "%lld..%lld", (long long)c->vmin,
			 (long long)c->vmax);
		cairo_move_to(cr, 6, y + 27);
		cairo_show_text(cr, buf);
	}
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	cairo_move_to(cr, 6, off + g->rows_y + 11);
	cairo_show_text(cr, "threads & promises");
}

/* Saved, clipped to v and painted white (a band's rows of it: split.c
 * copies no other), in the font everything uses. */
static void begin_frame(cairo_t *cr, const rv_view *v)
{
	cairo_save(cr);
	cairo_rectangle(cr, 0, 0, v->width, v->height);
	cairo_clip(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	if (v->band_y1) {
		cairo_save(cr);
		cairo_rectangle(cr, 0, v->band_y0, v->width,
				v->band_y1 - v->band_y0);
		cairo_clip(cr);
		cairo_paint(cr);
		cairo_restore(cr);
	} else {
		cairo_paint(cr);
	}
	cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
}

static void draw_loading(cairo_t *cr, const rv_view *v)
{
	begin_frame(cr, v);
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	cairo_set_font_size(cr, 16);
	cairo_move_to(cr, 20, v->height / 2.0);
	cairo_show_text(cr, v->message ? v->message : "Loading...");
	cairo_restore(cr);
}

void rv_draw(cairo_t *cr, const rv_model *m, const rv_view *v)
{
	assert(cr && v);   /* m NULL: still loading */
	if (!m)
		draw_loading(cr, v);
	else if (!rv_draw_paced(cr, m, v))
		rv_draw_whole(cr, m, v);
}

void rv_draw_whole(cairo_t *cr, const rv_model *m, const rv_view *v)
{
	assert(cr && m && v);
	begin_frame(cr, v);
	/* the frame's own view: its pixel columns' lookups, made a list at
	 * a time and kept for the frame (cols.c) */
	rv_view fv = *v;
	fv.cols = rv_cols_new(v);
	v = &fv;
	rv_geom g;
	rv_geom_compute(m, &g);
	double off = RV_RULER_H - v->yscroll;

	/* body, clipped below the ruler */
	cairo_save(cr);
	cairo_rectangle(cr, RV_LEFT_W, RV_RULER_H, v->width, v->height);
	cairo_clip(cr);
	draw_bands(cr, m, v);
	double body_y0, body_y1;
	rv_body_rows(v, &body_y0, &body_y1);
	for (int c = 0; c < m->ncpus; c++) {
		double y = off + g.cpu_y + c * RV_LANE_H;
		if (y + RV_LANE_H < body_y0 || y > body_y1)
			continue;
		draw_spans(cr, m, v, &m->cpu_lane[c], y, RV_LANE_H - 2, cpu_col);
		draw_spans(cr, m, v, &m->cpu_idle[c], y, RV_LANE_H - 2,
			   cpu_idle_col);
		span_texts(cr, m, v, &m->cpu_lane[c], y, RV_LANE_H - 2, true);
		draw_spans(cr, m, v, &m->cpu_alloc[c], y + RV_LANE_H - 6, 4,
			   irq_mark_col);
		draw_spans(cr, m, v, &m->cpu_irq[c], y + RV_LANE_H - 6, 4,
			   irq_mark_col);
	}
	for (uint32_t i = 0; m->show_threads && i < m->nthreads; i++) {
		double y = off + g.thread_y + i * RV_THREAD_H;
		if (y + RV_THREAD_H < body_y0 || y > body_y1)
			continue;
		draw_spans(cr, m, v, &m->threads[i].states, y + 1,
			   RV_THREAD_H - 2, state_col);
		span_texts(cr, m, v, &m->threads[i].states, y + 1,
			   RV_THREAD_H - 2, false);
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < m->ncounters; i++) {
		if (!m->counters[i].shown)
			continue;
		double y = off + g.counter_y + k++ * RV_COUNTER_H;
		if (y + RV_COUNTER_H < body_y0 || y > body_y1)
			continue;
		rv_draw_counter(cr, m, v, &m->counters[i], y);
	}
	rv_draw_xcpu(cr, m, v, off + g.cpu_y);
	rv_draw_rows(cr, m, v, &g);
	rv_draw_arrows(cr, m, v, &g);
	rv_draw_row_labels(cr, m, v, &g, NULL, 0);
	rv_draw_becomes(cr, m, v, &g);
	rv_draw_chain(cr, m, v, &g);
	cairo_restore(cr);

	draw_margin(cr, m, v, &g);
	rv_draw_ruler(cr, m, v);
	cairo_save(cr);
	cairo_rectangle(cr, RV_LEFT_W, 0, v->width, v->height);
	cairo_clip(cr);
	draw_overlays(cr, m, v);
	cairo_restore(cr);
	cairo_restore(cr);
	rv_cols_free(fv.cols);
}
