/*
 * draw_promises.c - promise rows, as mirage-trace-viewer draws them: a
 * 2 px line from creation to resolution (to its becomes time if it
 * handed over to a continuation), a white overlay while it runs, red
 * with an end bar when it failed, an arrowhead when it never resolved;
 * labels at their time with a tick (pinned to the left margin when the
 * promise started off-screen), the type in grey (the arrows between
 * them: draw_arrows.c). Lines stop where records of
 * their CPU were lost and resume after (model.h, cpu_gap); a line whose
 * end may be among the lost records ends in a "cut" mark at the gap. The
 * double-clicked becomes chain is drawn again, last, over everything but
 * the overlays of draw.c (losses, panic).
 *
 * "Running" is derived as: the times its creating kernel thread was
 * running on a CPU, within the promise's lifetime (for a thread's own row,
 * simply when it ran). Our kernel has no per-promise "current" marker, so
 * this is the closest faithful reading of the trace.
 */
#include "draw.h"
#include "sum.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

double rv_row_line_y(const rv_geom *g, const rv_view *v, int32_t row)
{
	return RV_RULER_H - v->yscroll + g->rows_y + row * RV_ROW_H +
	       RV_ROW_H - 4;
}

/* The promise rows [*r0, *r1) whose marks may reach the body's pixel
 * rows this draw fills (rv_body_rows): a row's marks lie within
 * [top, top + RV_ROW_H + 1] (its fail bar reaches a pixel past it), a
 * chain's line 2 px about the row's line; 3 px each side covers them. */
static void rows_in_view(const rv_model *m, const rv_view *v,
			 const rv_geom *g, int32_t *r0, int32_t *r1)
{
	double y0, y1;
	rv_body_rows(v, &y0, &y1);
	/* row r spans [top, top + RV_ROW_H), top = off + r * RV_ROW_H */
	const double off = RV_RULER_H - v->yscroll + g->rows_y;
	const double lo = floor((y0 - 3 - off) / RV_ROW_H);
	const double hi = ceil((y1 + 3 - off) / RV_ROW_H);
	*r0 = lo < 0 ? 0 : lo > m->nrows ? (int32_t)m->nrows : (int32_t)lo;
	*r1 = hi < *r0 ? *r0 : hi > m->nrows ? (int32_t)m->nrows : (int32_t)hi;
}

/* Columns ahead whose first state span, or summary entry, is fetched. */
#define RUN_AHEAD 16

/* The state span a column RUN_AHEAD on starts with (lb, the frame's
 * lookups) and the few after it, asked of the cache now: the walk reads
 * their kinds and times in turn. */
static inline __attribute__((always_inline))
void running_prefetch(const rv_spans *s, const rv_cols *c,
		      const uint32_t *lb, int x)
{
	const int k = x - RV_LEFT_W + RUN_AHEAD;
	if (k < 0 || k >= c->n)
		return;
	rv_u32s_prefetch(&s->kind, lb[k]);
	rv_times_prefetch(&s->start, lb[k]);
	rv_times_prefetch(&s->end, lb[k]);
}

/* Span i of s, if there is one, into *c (rv_sum_span_of). */
static inline void running_span(const rv_spans *s, uint32_t i,
				const rv_sum_ent *en, int64_t g,
				rv_sum_span *c)
{
	if (i < s->n)
		rv_sum_span_of(s, en, g, i, c);
}

/* Whether the walk, at span *i of a column whose first span is at or
 * before it, goes on at one of the column's first running spans (run, at
 * grid point g): the states before that one, from *i on, none running.
 * If so, it is span *i, into *c. */
static inline bool running_next(const rv_spans *s, const rv_sum_run *run,
				int64_t g, uint32_t *i, rv_sum_span *c)
{
	const int w = *i <= run->i[0] ? 0 : *i <= run->i[1] ? 1 : -1;
	if (w < 0)
		return false;
	*i = run->i[w];
	if (*i >= s->n)
		return true;
	if (run->ds[w] != RV_SUM_FAR && run->de[w] != RV_SUM_FAR) {
		c->start = g + run->ds[w];
		c->end = g + run->de[w];
		c->kind = RV_K_RUNNING;
	} else {
		rv_sum_span_of(s, NULL, g, *i, c);
	}
	return true;
}

/* White overlay where the creating thread ran, within [a, b], framed in
 * dark: written into the row's strip of pixels (made on first use), as a
 * zoomed-out row has one such mark per pixel column. */
static void draw_running(rv_strip **run, const rv_model *m, const rv_view *v,
			 uint32_t p, double a, double b, double ly)
{
	static const double dark[4] = { 0.15, 0.15, 0.15, 1 };
	static const double white[4] = { 1, 1, 1, 1 };
	int32_t th = rv_pp_thread(&m->pp, p);
	if (th < 0 || (uint32_t)th >= m->nthreads)
		return;
	const rv_spans *s = &m->threads[th].states;
	double lo = fmax(a, v->from), hi = fmin(b, rv_t(v, v->width));
	const int top = (int)lround(ly - 3);
	/* a promise wide on screen (a thread's own row: the whole view)
	 * crosses its thread's states column by column, as the thread's
	 * lane did: the lane's column lookups, kept for the frame, serve;
	 * where the lane was drawn from its summary (sum.h), at the same
	 * snapped columns, from the summary, whose entries also hold the
	 * first spans of each column (at 100 M events, reading them from
	 * the state list instead, a column at a time, was most of the
	 * promise rows' time in a whole-trace frame) */
	const bool wide = rv_x(v, hi) - rv_x(v, lo) >= 64 && v->cols;
	const int shift = wide && s->sum ? rv_sum_shift(v) : -1;
	const rv_sum_level *L = shift >= 0 ? rv_sum_level_for(s, shift)
					   : NULL;
	const int64_t *ts = L ? rv_cols_snapped(v->cols, shift) : NULL;
	const uint32_t *lb = L ? rv_sum_cols_lb(v->cols, s, L, shift) :
			     wide ? rv_cols_cached(v->cols, &s->end) : NULL;
	uint32_t i = rv_spans_first_ending_after(s, (int64_t)lo);
	/* span i's fields: from the list, or, once the walk has jumped to
	 * a column's first span, from that column's summary entry where
	 * it holds them (rv_sum_span_of) */
	rv_sum_ent en;
	const rv_sum_ent *at = NULL;   /* &en once it holds span i's column */
	int64_t eg = 0, unused;
	rv_sum_span cur;
	/* the column's first running span, once the walk has jumped to
	 * its first span, where the summary has it (rv_sum_run) */
	const rv_sum_run *first = NULL;
	running_span(s, i, at, eg, &cur);
	while (i < s->n && cur.start <= hi) {
		RV_WORK(1);
		if (cur.kind != RV_K_RUNNING) {
			running_span(s, ++i, at, eg, &cur);
			continue;
		}
		/* at the lane's snapped columns where it has them: a run
		 * in [ts[k], the exact column start) lies in column k */
		const double a0 = fmax((double)cur.start, lo);
		const double a1 = fmin((double)cur.end, hi);
		double x0 = ts ? rv_sum_x(v, v->cols, ts, (int64_t)a0)
			       : rv_x(v, a0);
		double x1 = ts ? rv_sum_x(v, v->cols, ts, (int64_t)a1)
			       : rv_x(v, a1);
		if (x1 - x0 < 1) {
			/* runs within one pixel: one mark, then the next pixel */
			x1 = x0 + 1;
			const int nx = (int)floor(x0) + 1;
			const int k = nx - RV_LEFT_W;
			uint32_t j;
			if (ts && k >= 0 && k < v->cols->n) {
				if (k + RUN_AHEAD < v->cols->n)
					rv_sum_prefetch(L, ts[k + RUN_AHEAD]);
				j = MAX(i, lb[k]);
				rv_sum_get(s, L, ts[k], &en, &unused);
				eg = ts[k];
				at = en.e <= j ? &en : NULL;
				first = rv_sum_run_at(L, ts[k]);
			} else {
				if (lb)
					running_prefetch(s, v->cols, lb, nx);
				j = rv_cols_gallop(v->cols, lb, &s->end, i, nx,
					(int64_t)ceil(rv_t(v, floor(x0) + 1)));
			}
			i = j > i ? j : i + 1;
		} else {
			i++;
		}
		/* from the column's first span (lb[k] <= i) to its first
		 * running ones, none runs: the walk goes on at one */
		if (!first || !running_next(s, first, eg, &i, &cur))
			running_span(s, i, at, eg, &cur);
		first = NULL;
		if (!*run)
			*run = rv_strip_new(RV_LEFT_W, top, v->width - RV_LEFT_W,
					    6);
		int c0 = (int)lround(x0), c1 = (int)lround(x1);
		if (c1 <= c0)
			c1 = c0 + 1;
		const int inset = c1 - c0 > 2;
		rv_strip_fill(*run, c0, c1, top, top + 6, dark);
		rv_strip_fill(*run, c0 + inset, c1 - inset, top + 1, top + 5,
			      white);
	}
}

/* Paint and drop a row's running overlays (before what lies on them). */
static void run_flush(cairo_t *cr, rv_strip **run)
{
	if (!*run)
		return;
	rv_strip_paint(cr, *run);
	rv_strip_free(*run);
	*run = NULL;
}

static double line_rgb(const rv_model *m, const rv_view *v, uint32_t p,
		       double c[4])
{
	double lw = 2;
	c[3] = 1;
	if (v->chain && v->chain[p]) {
		c[0] = 1.0; c[1] = 0.55; c[2] = 0.0;
		lw = 4;
	} else if (v->match && v->match[p] && !v->filter) {
		c[0] = 0.85; c[1] = 0.0; c[2] = 0.75;
		lw = 4;
	} else if (m->pp.state[p] == RV_PS_FAILED) {
		c[0] = 0.85; c[1] = 0.0; c[2] = 0.0;
	} else if (rv_pp_is_thread(&m->pp, p)) {
		c[0] = 0.10; c[1] = 0.20; c[2] = 0.45;
	} else {
		c[0] = c[1] = c[2] = 0.25;
	}
	return lw;
}

static void set_line(cairo_t *cr, const rv_model *m, const rv_view *v,
		     uint32_t p)
{
	double c[4];
	double lw = line_rgb(m, v, p, c);
	cairo_set_source_rgb(cr, c[0], c[1], c[2]);
	cairo_set_line_width(cr, lw);
}

/* The label (and grey type) of segment k of a row, if it fits before
 * room_end (the next segment's start) and after min_x (the last label's
 * end); returns where the text ends so the next label in the row can keep
 * clear of it, and writes its box into *box when drawn. */
static double draw_label(cairo_t *cr, const rv_model *m, const rv_view *v,
			 uint32_t p, double s, double e, double ly,
			 double min_x, double room_end, rv_label_box *box)
{
	const char *label = m->pp.label[p];
	const char *type = rv_ptype_name(m->pp.ptype[p]);
	double lt = (double)rv_pp_label_t(&m->pp, p);
	if (lt < s || lt > e)
		lt = s;
	double x = rv_x(v, lt);
	bool pinned = false;
	if (x < RV_LEFT_W + 2) {
		if (rv_x(v, e) < RV_LEFT_W + 40)
			return min_x;  /* ends right at the margin: no room */
		x = RV_LEFT_W + 2;
		pinned = true;
	}
	if (x < min_x || x > v->width)
		return min_x;
	double room = rv_x(v, e) - x;
	if (!label && room < 30)
		return min_x;
	char id[40];
	if (!label) {
		g_snprintf(id, sizeof id, "#%llu",
			   (unsigned long long)rv_pp_id(&m->pp, p));
		label = id;
	}
	cairo_text_extents_t e1, e2;
	cairo_set_font_size(cr, 9);
	cairo_text_extents(cr, label, &e1);
	cairo_text_extents(cr, type, &e2);
	double end = x + 10 + e1.x_advance + e2.x_advance;
	if (end > room_end)
		return min_x;  /* would run over the next promise's line */
	/* a pale backdrop: arrows and lines under the text stay faint */
	cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
	cairo_rectangle(cr, x + 1, ly - 12, end - x - 3, 10);
	cairo_fill(cr);
	if (!pinned) {
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		cairo_rectangle(cr, floor(x), ly - 6, 1, 6);
		cairo_fill(cr);
	}
	cairo_set_source_rgb(cr, v->match && v->match[p] ? 0.7 : 0.05, 0.05,
			     v->match && v->match[p] ? 0.6 : 0.05);
	cairo_move_to(cr, x + 2, ly - 4);
	cairo_show_text(cr, label);
	cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
	cairo_move_to(cr, x + 6 + e1.x_advance, ly - 4);
	cairo_show_text(cr, type);
	*box = (rv_label_box){ floor(x), ly - 13, end, ly, 0, 0 };
	return end;
}

/* A line from s to e on one row, minus the gaps of pp p's CPU. */
static void line_cut(rv_batch *lines, const rv_model *m, const rv_view *v,
		     uint32_t p, int64_t s, int64_t e, double ly, double lw,
		     const double c[4])
{
	const double lo = RV_LEFT_W - 2, hi = v->width + 10;
	double x = fmax(rv_x(v, (double)s), lo);
	const double x1 = fmin(rv_x(v, (double)e), hi);
	if (m->cpu_gap && rv_pp_cpu(&m->pp, p) < m->ncpus) {
		const rv_spans *g = &m->cpu_gap[rv_pp_cpu(&m->pp, p)];
		for (uint32_t k = rv_spans_first_ending_after(g, s + 1);
		     k < g->n && RV_START(g, k) < e && x < x1; k++) {
			double gx = rv_x(v, (double)RV_START(g, k));
			if (gx > x)
				rv_batch_rect(lines, c, x, ly - lw / 2,
					      fmin(gx, x1) - x, lw);
			x = fmax(x, rv_x(v, (double)RV_END(g, k)));
		}
	}
	if (x1 > x)
		rv_batch_rect(lines, c, x, ly - lw / 2, x1 - x, lw);
}

/* Does pp p's line go on in its root's row after a segment ending at e
 * (its own row's, which ends where another became it)? */
static bool moved_on(const rv_pps *pp, uint32_t p, int64_t e)
{
	return rv_pp_cont_root(pp, p) >= 0 && e <= rv_pp_cont_start(pp, p);
}

static void draw_end(cairo_t *cr, const rv_model *m, uint32_t p,
		     double x1, double ly)
{
	if (m->pp.state[p] == RV_PS_FAILED) {
		cairo_set_source_rgb(cr, 0.85, 0, 0);
		cairo_rectangle(cr, x1 - 1, ly - 5, 2, 10);
		cairo_fill(cr);
	} else if (m->pp.state[p] == RV_PS_END_UNKNOWN) {
		/* end unknown (lost records): a cut, two slanted strokes */
		cairo_set_line_width(cr, 1.5);
		/* ...on the line's end, not in the gap that follows */
		cairo_move_to(cr, x1 - 7, ly + 5);
		cairo_line_to(cr, x1 - 4, ly - 5);
		cairo_move_to(cr, x1 - 3, ly + 5);
		cairo_line_to(cr, x1, ly - 5);
		cairo_stroke(cr);
	} else if (rv_pp_resolved(&m->pp, p) == INT64_MAX) {
		/* never resolved: an arrowhead at the end of what we know */
		cairo_move_to(cr, x1 + 6, ly);
		cairo_line_to(cr, x1, ly - 4);
		cairo_line_to(cr, x1, ly + 4);
		cairo_close_path(cr);
		cairo_fill(cr);
	}
}

/*
 * Zoomed out, most columns of a packed row hold many segments, each
 * under a pixel, and none gets a label. Where the row's summary gave the
 * column lookups of its starts (S) and ends (E) at the frame's snapped
 * columns (ts), a segment's column is known from its index alone, and
 * the walk needs no read of its times, which are in lists of millions:
 *  - a segment that starts and ends within column kc is under a pixel,
 *    and so is every one after it that ends in kc: the walk goes on at
 *    the first to end in a later column, as it does after reading them;
 *  - one that starts in kc and ends later is followed by one that
 *    starts before column kc + 2 has no room for its label (less than
 *    2 px to the next start): the walk goes on at the next.
 * Returns whether segment *i was passed over so; kc is where it starts
 * at the earliest, and is moved on as the walk is.
 */
static bool label_free(const rv_view *v, const int64_t *ts,
		       const uint32_t *S, const uint32_t *E, uint32_t *i,
		       int *kc)
{
	const int n = v->cols->n;
	while (*kc + 1 < n && *i >= S[*kc + 1])
		++*kc;   /* it starts in a later column */
	const int k = *kc;
	if (k + 1 >= n || *i < S[k])
		return false;
	if (*i < E[k + 1]) {
		*i = E[k + 1];   /* which may start in k still */
		return true;
	}
	/* its start at or after the view's, as a label's room asks */
	if (k + 2 < n && *i + 1 < S[k + 2] && (double)ts[k] >= v->from) {
		++*i;
		return true;
	}
	return false;
}

/* The labels of the rows in view, drawn after the arrows so none is
 * drawn over (rv_draw): each only where it fits (draw_label), and a
 * promise under a pixel wide is skipped to the next pixel, so a frame
 * costs O(width) per row however many promises it holds. */
int rv_draw_row_labels(cairo_t *cr, const rv_model *m, const rv_view *v,
		       const rv_geom *g, rv_label_box *out, int max)
{
	double t_to = rv_t(v, v->width);
	int n = 0;
	int32_t r0, r1;
	rows_in_view(m, v, g, &r0, &r1);
	for (int32_t r = r0; r < r1; r++) {
		const rv_row *row = &m->rows[r];
		double ly = rv_row_line_y(g, v, r), text_x = RV_LEFT_W;
		/* a packed row's column lookups, made for its aggregate;
		 * where that was drawn from the row's summary, the same
		 * snapped columns' from the summary (sum.h) */
		const int shift = row->sum && v->cols ? rv_sum_shift(v) : -1;
		const rv_row_level *L = shift >= 0 ?
					rv_row_level_for(row, shift) : NULL;
		const int64_t *ts = L ? rv_cols_snapped(v->cols, shift) : NULL;
		const uint32_t *E = L ? rv_row_sum_cols_lb(v->cols, row, L,
							   shift)
				      : rv_cols_cached(v->cols, &row->end);
		const uint32_t *S = L ? rv_row_sum_cols_lb_starts(v->cols, row,
								  L, shift)
				      : NULL;
		/* a snapped column segment i may start in, or -1 */
		int kc = -1;
		uint32_t i = rv_row_first_ending_after(row, (int64_t)v->from);
		while (i < row->n) {
			if (kc >= 0 && label_free(v, ts, S, E, &i, &kc))
				continue;
			kc = -1;
			RV_WORK(1);   /* a segment's times read */
			if (RV_START(row, i) > t_to)
				break;
			double s = (double)RV_START(row, i);
			double e = (double)RV_END(row, i);
			double x0 = fmax(ts ? rv_sum_x(v, v->cols, ts, (int64_t)s)
					    : rv_x(v, s), RV_LEFT_W - 2);
			double x1 = fmin(ts ? rv_sum_x(v, v->cols, ts, (int64_t)e)
					    : rv_x(v, e), v->width + 10);
			if (x1 - x0 < 1) {
				const int nx = (int)floor(x0) + 1;
				const int k = nx - RV_LEFT_W;
				rv_cols_prefetch(v->cols, E, &row->start,
						 &row->end, nx);
				const bool snapped = ts && k >= 0 &&
						     k < v->cols->n;
				uint32_t j = snapped ? MAX(i, E[k]) :
					rv_cols_gallop(v->cols, E, &row->end,
						i, nx, (int64_t)ceil(rv_t(v,
							floor(x0) + 1)));
				i = j > i ? j : i + 1;
				/* the next may start in x0's column */
				kc = snapped && k >= 1 ? k - 1 : -1;
				continue;
			}
			uint32_t k = i++;
			double room = i < row->n ? rv_x(v, (double)RV_START(row, i))
						 : v->width;
			if ((room - x0 < 12 && s >= v->from) ||
			    rv_pp_hidden(v, row->pp[k]))
				continue;
			rv_label_box box;
			double nx = draw_label(cr, m, v, row->pp[k], s, e, ly,
					       text_x, room, &box);
			if (nx != text_x && n < max) {
				box.row = r;
				box.seg = k;
				out[n++] = box;
			}
			text_x = nx;
		}
	}
	return n;
}

void rv_draw_rows(cairo_t *cr, const rv_model *m, const rv_view *v,
		  const rv_geom *g)
{
	double t_to = rv_t(v, v->width);
	int32_t r0, r1;
	rows_in_view(m, v, g, &r0, &r1);
	/* Lines are horizontal: batched as boxes by colour, which cairo
	 * fills far faster than one stroke per promise. Flushed before
	 * anything that must lie on top of them. */
	rv_batch *lines = rv_batch_new(cr);
	rv_strip *run = NULL;   /* running overlays, per row */
	for (int32_t r = r0; r < r1; r++) {
		const rv_row *row = &m->rows[r];
		double ly = rv_row_line_y(g, v, r);
		if (rv_row_dense(m, v, r)) {
			rv_draw_packed_row(cr, m, v, r, ly);
			continue;
		}
		/* sub-pixel promises: one mark per pixel column, as pixels */
		rv_strip *marks = NULL;
		uint32_t i = rv_row_first_ending_after(row, (int64_t)v->from);
		while (i < row->n && RV_START(row, i) <= t_to) {
			RV_WORK(1);
			uint32_t p = row->pp[i];
			double s = (double)RV_START(row, i);
			double e = (double)RV_END(row, i);
			double x0 = fmax(rv_x(v, s), RV_LEFT_W - 2);
			double x1 = fmin(rv_x(v, e), v->width + 10);
			if (x1 - x0 < 1) {
				/* sub-pixel promises: one mark per pixel */
				if (!rv_pp_hidden(v, p)) {
					double c[4];
					line_rgb(m, v, p, c);
					if (!marks)
						marks = rv_strip_new(RV_LEFT_W,
							(int)lround(ly - 1),
							v->width - RV_LEFT_W, 2);
					int px = (int)floor(x0);
					rv_strip_fill(marks, px, px + 1,
						      (int)lround(ly - 1),
						      (int)lround(ly + 1), c);
				}
				uint32_t j = rv_times_gallop(&row->end, i,
							 (int64_t)ceil(rv_t(v, floor(x0) + 1)));
				i = j > i ? j : i + 1;
				continue;
			}
			i++;
			if (rv_pp_hidden(v, p))
				continue;
			double c[4];
			double lw = line_rgb(m, v, p, c);
			line_cut(lines, m, v, p, RV_START(row, i - 1),
				 RV_END(row, i - 1), ly, lw, c);
			if (x1 - x0 >= 3)
				draw_running(&run, m, v, p, s, e, ly);
			/* the end of its own line, not a hand-over to a
			 * continuation (that line goes on in this row), nor
			 * where its line moved on to its root's row */
			bool last = (double)rv_pp_own_end(&m->pp, p) <= e ||
				    (rv_pp_resolved(&m->pp, p) == INT64_MAX &&
				     !moved_on(&m->pp, p, RV_END(row, i - 1)));
			if (last && rv_pp_follows(&m->pp, p) < 0) {
				rv_batch_flush(lines);
				run_flush(cr, &run);
				set_line(cr, m, v, p);
				draw_end(cr, m, p, x1, ly);
			}
		}
		rv_batch_flush(lines);
		if (marks) {
			rv_strip_paint(cr, marks);
			rv_strip_free(marks);
		}
		run_flush(cr, &run);
	}
	rv_batch_free(lines);
}

/* The double-clicked chain, over rows, running overlays and arrows: an
 * orange 4 px line along each member's own row and the row it carries on
 * in. rv_chain_mark marks a head and whom it became, in turn: memchr
 * finds the head (the window always has a chain array, mostly empty),
 * then the chain is followed. */
void rv_draw_chain(cairo_t *cr, const rv_model *m, const rv_view *v,
		   const rv_geom *g)
{
	if (!v->chain)
		return;
	static const double orange[4] = { 1.0, 0.55, 0.0, 1 };
	const rv_pps *pp = &m->pp;
	rv_batch *b = rv_batch_new(cr);
	const int64_t t_to = (int64_t)rv_t(v, v->width) + 1;
	const uint8_t *head = memchr(v->chain, 1, pp->n);
	/* a lying trace's becomes can loop: at most n steps */
	uint32_t steps = 0;
	for (int32_t q = head ? (int32_t)(head - v->chain) : -1;
	     q >= 0 && v->chain[q] && steps++ < pp->n; q = rv_pp_follows(pp, q)) {
		RV_WORK(1);
		const uint32_t p = (uint32_t)q;
		if (rv_pp_hidden(v, p))
			continue;
		int64_t end = rv_pp_own_end(pp, p) == INT64_MAX ? m->t_max
							   : rv_pp_own_end(pp, p);
		int64_t mid = rv_pp_cont_root(pp, p) >= 0 ? rv_pp_cont_start(pp, p)
						     : end;
		if (rv_pp_created(pp, p) > t_to || end < (int64_t)v->from)
			continue;
		line_cut(b, m, v, p, rv_pp_created(pp, p), mid,
			 rv_row_line_y(g, v, pp->row[p]), 4, orange);
		if (rv_pp_cont_root(pp, p) >= 0)
			line_cut(b, m, v, p, mid, end, rv_row_line_y(g, v,
				 pp->row[rv_pp_cont_root(pp, p)]), 4, orange);
	}
	rv_batch_free(b);
}
