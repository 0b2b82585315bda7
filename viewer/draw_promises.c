/*
 * draw_promises.c - promise rows and arrows, as mirage-trace-viewer draws
 * them: a 2 px line from creation to resolution (to its becomes time if
 * it handed over to a continuation), a white overlay while it runs, red
 * with an end bar when it failed, an arrowhead when it never resolved;
 * labels at their time with a tick (pinned to the left margin when the
 * promise started off-screen), the type in grey; arrows coloured by kind
 * and fading as they get longer on screen.
 *
 * "Running" is derived as: the times its creating kernel thread was
 * running on a CPU, within the promise's lifetime (for a thread's own row,
 * simply when it ran). Our kernel has no per-promise "current" marker, so
 * this is the closest faithful reading of the trace.
 */
#include "draw.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>

double rv_row_line_y(const rv_geom *g, const rv_view *v, int32_t row)
{
	return RV_RULER_H - v->yscroll + g->rows_y + row * RV_ROW_H +
	       RV_ROW_H - 4;
}

static bool hidden(const rv_view *v, uint32_t p)
{
	return v->filter && v->match && !v->match[p];
}

/* White overlay where the creating thread ran, within [a, b]. */
static void draw_running(rv_batch *run, const rv_model *m, const rv_view *v,
			 uint32_t p, double a, double b, double ly)
{
	static const double dark[4] = { 0.15, 0.15, 0.15, 1 };
	static const double white[4] = { 1, 1, 1, 1 };
	int32_t th = m->pp.thread[p];
	if (th < 0 || (uint32_t)th >= m->nthreads)
		return;
	const rv_spans *s = &m->threads[th].states;
	double lo = fmax(a, v->from), hi = fmin(b, rv_t(v, v->width));
	uint32_t i = rv_spans_first_ending_after(s, (int64_t)lo);
	while (i < s->n && s->start[i] <= hi) {
		if (s->kind[i] != RV_K_RUNNING) {
			i++;
			continue;
		}
		double x0 = rv_x(v, fmax((double)s->start[i], lo));
		double x1 = rv_x(v, fmin((double)s->end[i], hi));
		if (x1 - x0 < 1) {
			/* runs within one pixel: one mark, then the next pixel */
			x1 = x0 + 1;
			uint32_t j = rv_gallop(s->end, s->n, i,
						 (int64_t)ceil(rv_t(v, floor(x0) + 1)));
			i = j > i ? j : i + 1;
		} else {
			i++;
		}
		/* batched: the dark frames of a row, then the white */
		rv_batch_rect(run, dark, x0, ly - 3, x1 - x0, 6);
		rv_batch_rect(run, white, x0 + (x1 - x0 > 2), ly - 2,
			      fmax(x1 - x0 - 2 * (x1 - x0 > 2), 1), 4);
	}
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
	} else if (m->pp.is_thread[p]) {
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

/* The label (and grey type) of segment k of a row; returns where the text
 * ends so the next label in the row can keep clear of it. */
static double draw_label(cairo_t *cr, const rv_model *m, const rv_view *v,
			 uint32_t p, double s, double e, double ly,
			 double min_x)
{
	const char *label = m->pp.label[p];
	const char *type = rv_ptype_name(m->pp.ptype[p]);
	double lt = (double)m->pp.label_t[p];
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
	if (!pinned) {
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		cairo_rectangle(cr, floor(x), ly - 6, 1, 6);
		cairo_fill(cr);
	}
	char id[40];
	if (!label) {
		g_snprintf(id, sizeof id, "#%llu",
			   (unsigned long long)m->pp.id[p]);
		label = id;
	}
	cairo_text_extents_t e1, e2;
	cairo_set_font_size(cr, 9);
	cairo_text_extents(cr, label, &e1);
	cairo_set_source_rgb(cr, v->match && v->match[p] ? 0.7 : 0.05, 0.05,
			     v->match && v->match[p] ? 0.6 : 0.05);
	cairo_move_to(cr, x + 2, ly - 4);
	cairo_show_text(cr, label);
	cairo_text_extents(cr, type, &e2);
	cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
	cairo_move_to(cr, x + 6 + e1.x_advance, ly - 4);
	cairo_show_text(cr, type);
	return x + 10 + e1.x_advance + e2.x_advance;
}

static void draw_end(cairo_t *cr, const rv_model *m, uint32_t p,
		     double x1, double ly)
{
	if (m->pp.state[p] == RV_PS_FAILED) {
		cairo_set_source_rgb(cr, 0.85, 0, 0);
		cairo_rectangle(cr, x1 - 1, ly - 5, 2, 10);
		cairo_fill(cr);
	} else if (m->pp.resolved[p] == INT64_MAX) {
		/* never resolved: an arrowhead at the end of what we know */
		cairo_move_to(cr, x1 + 6, ly);
		cairo_line_to(cr, x1, ly - 4);
		cairo_line_to(cr, x1, ly + 4);
		cairo_close_path(cr);
		cairo_fill(cr);
	}
}

void rv_draw_rows(cairo_t *cr, const rv_model *m, const rv_view *v,
		  const rv_geom *g)
{
	double t_to = rv_t(v, v->width);
	int32_t r0 = (int32_t)floor((v->yscroll - g->rows_y) / RV_ROW_H);
	int32_t r1 = (int32_t)ceil((v->yscroll + v->height - g->rows_y) /
				   RV_ROW_H);
	if (r0 < 0)
		r0 = 0;
	if (r1 > (int32_t)m->nrows)
		r1 = (int32_t)m->nrows;
	/* sub-pixel marks, batched by colour and filled at the end of
	 * their row */
	rv_batch *marks = rv_batch_new(cr);
	rv_batch *run = rv_batch_new(cr);   /* running overlays */
	for (int32_t r = r0; r < r1; r++) {
		const rv_row *row = &m->rows[r];
		double ly = rv_row_line_y(g, v, r);
		double text_x = RV_LEFT_W;
		uint32_t i = rv_row_first_ending_after(row, (int64_t)v->from);
		while (i < row->n && row->start[i] <= t_to) {
			uint32_t p = row->pp[i];
			double s = (double)row->start[i], e = (double)row->end[i];
			double x0 = fmax(rv_x(v, s), RV_LEFT_W - 2);
			double x1 = fmin(rv_x(v, e), v->width + 10);
			if (x1 - x0 < 1) {
				/* sub-pixel promises: one mark per pixel */
				if (!hidden(v, p)) {
					double c[4];
					line_rgb(m, v, p, c);
					rv_batch_rect(marks, c, floor(x0), ly - 1, 1, 2);
				}
				uint32_t j = rv_gallop(row->end, row->n, i,
							 (int64_t)ceil(rv_t(v, floor(x0) + 1)));
				i = j > i ? j : i + 1;
				continue;
			}
			i++;
			if (hidden(v, p))
				continue;
			set_line(cr, m, v, p);
			cairo_move_to(cr, x0, ly);
			cairo_line_to(cr, x1, ly);
			cairo_stroke(cr);
			if (x1 - x0 >= 3)
				draw_running(run, m, v, p, s, e, ly);
			/* the end of its own line, not a hand-over to a
			 * continuation (that line goes on in this row) */
			bool last = (double)m->pp.own_end[p] <= e ||
				    m->pp.resolved[p] == INT64_MAX;
			if (last && m->pp.follows[p] < 0) {
				rv_batch_flush(run);
				set_line(cr, m, v, p);
				draw_end(cr, m, p, x1, ly);
			}
			if (x1 - x0 >= 12 || s < v->from) {
				rv_batch_flush(run);
				text_x = draw_label(cr, m, v, p, s, e, ly, text_x);
			}
		}
		rv_batch_flush(marks);
		rv_batch_flush(run);
	}
	rv_batch_free(marks);
	rv_batch_free(run);
}

static void arrow_rgb(cairo_t *cr, uint8_t kind, double alpha)
{
	static const double c[RV_A_COUNT][3] = {
		[RV_A_CREATE] = { 0, 0, 0 },
		[RV_A_BECOMES] = { 0, 0, 0 },
		[RV_A_RESOLVE] = { 0.0, 0.65, 0.0 },
		[RV_A_READ] = { 0.0, 0.2, 0.95 },
		[RV_A_READ_FAILED] = { 0.9, 0.0, 0.0 },
		[RV_A_TRY_READ] = { 0.85, 0.75, 0.0 },
		[RV_A_SIGNAL] = { 1.0, 0.5, 0.0 },
		[RV_A_FAIL] = { 0.9, 0.0, 0.0 },
	};
	cairo_set_source_rgba(cr, c[kind][0], c[kind][1], c[kind][2], alpha);
}

void rv_draw_arrows(cairo_t *cr, const rv_model *m, const rv_view *v,
		    const rv_geom *g)
{
	const rv_arrows *a = &m->arrows;
	double t_to = rv_t(v, v->width);
	double span = t_to - v->from;
	/* arrows whose target is a little past the right edge can still
	 * cross the view; beyond that they are faded to nothing anyway */
	uint32_t i = rv_lower_bound(a->t1, a->n, (int64_t)v->from);
	double col = -1;
	int in_col = 0;
	cairo_save(cr);
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
	cairo_set_line_width(cr, 1);
	while (i < a->n && (double)a->t1[i] <= t_to + span / 4) {
		double x1 = rv_x(v, (double)a->t1[i]);
		if (floor(x1) != col) {
			col = floor(x1);
			in_col = 0;
		} else if (++in_col > 6) {
			/* this pixel column has enough: jump to the next */
			uint32_t j = rv_gallop(a->t1, a->n, i,
					       (int64_t)ceil(rv_t(v, col + 1)));
			i = j > i ? j : i + 1;
			continue;
		}
		uint32_t k = i++;
		if ((double)a->t0[k] > t_to)
			continue;
		if (hidden(v, a->from[k]) || hidden(v, a->to[k]))
			continue;
		double x0 = rv_x(v, (double)a->t0[k]);
		double y0 = rv_row_line_y(g, v, rv_pp_row_at(m, a->from[k], a->t0[k]));
		double y1 = rv_row_line_y(g, v, rv_pp_row_at(m, a->to[k], a->t1[k]));
		if ((y0 < RV_RULER_H && y1 < RV_RULER_H) ||
		    (y0 > v->height && y1 > v->height))
			continue;
		double len = hypot(x1 - x0, y1 - y0);
		if (len < 2)
			continue;
		double alpha = fmin(1.0, 120.0 / len);
		if (alpha < 0.06)
			continue;
		/* A vertical arrow (most are: same instant, another row) on a
		 * pixel centre is one crisp column, not two half-grey ones. */
		if (fabs(x1 - x0) < 0.5)
			x0 = x1 = floor(x1) + 0.5;
		arrow_rgb(cr, a->kind[k], alpha);
		cairo_move_to(cr, x0, y0);
		cairo_line_to(cr, x1, y1);
		cairo_stroke(cr);
		/* head */
		double ang = atan2(y1 - y0, x1 - x0);
		cairo_move_to(cr, x1, y1);
		cairo_line_to(cr, x1 - 5 * cos(ang - 0.45), y1 - 5 * sin(ang - 0.45));
		cairo_line_to(cr, x1 - 5 * cos(ang + 0.45), y1 - 5 * sin(ang + 0.45));
		cairo_close_path(cr);
		cairo_fill(cr);
	}
	cairo_restore(cr);
}
