/*
 * test_viewer_zoom.c - zoomed out, the promise area shows its shape
 * (issue 14, "Zoomed out"): a row whose promises are denser than
 * RV_AGG_PX pixels each is drawn per pixel column as an aggregate whose
 * counts are the model's, the picture is no longer a block of dark lines,
 * row labels are drawn only where they fit and never over each other,
 * and zoomed in the individual lines are back. With a search, a packed
 * column holding a match shows the match colour; with the filter on, the
 * counts are of the promises the filter shows.
 *
 * Traces are real: samples/traces/pingpong.db and the hosted kernel's
 * demo collected by `ringside collect`. Pictures are drawn in-process by
 * rv_draw (the code --render and the window use); the fontconfig leak
 * suppression of test_viewer_truth.c covers this binary too.
 */
#include "testlib.h"

#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view_fixture.h"
#include "draw.h"
#include "model.h"

#define PINGPONG "samples/traces/pingpong.db"



/* The whole trace, tall enough for every row. */
static rv_view fit(const rv_model *m, int w)
{
	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = { .width = w, .height = (int)g.total_h + RV_RULER_H + 20 };
	rv_view_fit(&v, m);
	return v;
}

/* Segments of a row, in the window [t0, t1), counted one by one from the
 * model: what the aggregate must say. With match, matched counts the
 * live matching ones, and with filter only matching ones count at all. */
static void brute_agg(const rv_model *m, const rv_row *row, int64_t t0,
		      int64_t t1, const uint8_t *match, bool filter, rv_agg *a)
{
	memset(a, 0, sizeof *a);
	for (uint32_t i = 0; i < row->n; i++) {
		uint32_t p = row->pp[i];
		bool live = RV_START(row, i) < t1 && RV_END(row, i) > t0;
		a->matched += match && match[p] && live;
		if (filter && !match[p])
			continue;
		a->live += live;
		a->created += RV_START(row, i) >= t0 && RV_START(row, i) < t1;
		bool ends = RV_END(row, i) >= t0 && RV_END(row, i) < t1 &&
			    rv_pp_follows(&m->pp, p) < 0 &&
			    rv_pp_resolved(&m->pp, p) <= RV_END(row, i);
		a->resolved += ends && m->pp.state[p] == RV_PS_RESOLVED;
		a->failed += ends && m->pp.state[p] == RV_PS_FAILED;
	}
}

/* Rows a test reads: those with more visible promises than pixels / 8,
 * counted from the model, not from the code under test. */
static bool crowded(const rv_row *row, const rv_view *v)
{
	if (row->n < 2)
		return false;
	double xa = fmax(rv_x(v, (double)RV_START(row, 0)), RV_LEFT_W);
	double xb = fmin(rv_x(v, (double)RV_END(row, row->n - 1)), v->width);
	return xb - xa < 8.0 * row->n;
}

/* Of the crowded rows' bands (their pixel extent), the share that is
 * dark: lines, arrows, end marks. */
static double dark_share(const rv_model *m, const rv_view *v, const pic *p,
			 const rv_geom *g)
{
	long dark = 0, all = 0;
	for (uint32_t r = 0; r < m->nrows; r++) {
		const rv_row *row = &m->rows[r];
		if (!crowded(row, v))
			continue;
		int xa = (int)fmax(rv_x(v, (double)RV_START(row, 0)), RV_LEFT_W);
		int xb = (int)fmin(rv_x(v, (double)RV_END(row, row->n - 1)),
				   v->width - 1);
		int ly = (int)rv_row_line_y(g, v, (int32_t)r);
		for (int y = ly - 12; y <= ly + 3; y++)
			for (int x = xa; x <= xb; x++) {
				int rr, gg, bb;
				px(p, x, y, &rr, &gg, &bb);
				dark += is_dark(rr, gg, bb);
				all++;
			}
	}
	assert_true(all > 0);
	return (double)dark / (double)all;
}

/* Per pixel column of every dense row: the aggregate's counts are the
 * model's, and the area is drawn as high as rv_agg_height says. */
static void check_aggregate(const rv_model *m, const rv_view *v,
			    const pic *p, const rv_geom *g, int *dense_rows)
{
	static const int area[3] = { 140, 158, 204 };  /* 0.55 0.62 0.80 */
	/* becomes lines are drawn across rows at any zoom */
	uint8_t *becomes = g_malloc0((size_t)v->width + 2);
	for (uint32_t k = 0; k < m->arrows.n; k++) {
		double bx = floor(rv_x(v,
				       (double)rv_arrow_t1(&m->arrows, k)));
		if (m->arrows.kind[k] == RV_A_BECOMES && bx >= 1 &&
		    bx < v->width)
			becomes[(int)bx - 1] = becomes[(int)bx] =
				becomes[(int)bx + 1] = 1;
	}
	for (uint32_t r = 0; r < m->nrows; r++) {
		const rv_row *row = &m->rows[r];
		if (!rv_row_dense(m, v, (int32_t)r))
			continue;
		(*dense_rows)++;
		int base = (int)lround(rv_row_line_y(g, v, (int32_t)r)) + 1;
		int cols = 0, drawn = 0;
		for (int x = RV_LEFT_W; x < v->width; x++) {
			int64_t t0, t1;
			rv_col_times(v, x, &t0, &t1);
			rv_agg a, b;
			rv_agg_hint h = { 0 };
			rv_row_agg(row, t0, t1, &h, &a);
			brute_agg(m, row, t0, t1, NULL, false, &b);
			if (memcmp(&a, &b, sizeof a))
				fail_msg("row %u x %d: live %u/%u created "
					 "%u/%u resolved %u/%u failed %u/%u",
					 r, x, a.live, b.live, a.created,
					 b.created, a.resolved, b.resolved,
					 a.failed, b.failed);
			int ah = rv_agg_height(a.live);
			if (!ah || becomes[x])
				continue;
			cols++;
			int rr, gg, bb;
			px(p, x, base - ah, &rr, &gg, &bb);
			bool ok = abs(rr - area[0]) < 8 && abs(gg - area[1]) < 8 &&
				 abs(bb - area[2]) < 8;
			drawn += ok;
		}
		/* labels (only where they fit) lie on a few columns */
		if (cols && drawn < cols * 9 / 10)
			fail_msg("row %u: area drawn in %d of %d columns", r,
				 drawn, cols);
	}
	g_free(becomes);
}

static void zoomed_out(const char *db, double max_dark)
{
	rv_model *m = load(db);
	rv_view v = fit(m, 1200);
	rv_geom g;
	rv_geom_compute(m, &g);
	pic p = draw_view(m, &v);
	int dense = 0;
	check_aggregate(m, &v, &p, &g, &dense);
	assert_true(dense > 0);
	double share = dark_share(m, &v, &p, &g);
	print_message("%s: %d dense rows, %.1f %% of the crowded rows dark\n",
		      db, dense, 100 * share);
	if (share > max_dark)
		fail_msg("%s: %.1f %% of the crowded rows is dark", db,
			 100 * share);
	cairo_surface_destroy(p.s);
	rv_model_free(m);
}

static void test_zoomed_out_aggregate_pingpong(void **state)
{
	zoomed_out(PINGPONG, 0.10);
}

static void test_zoomed_out_aggregate_demo(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "demo", 200, 0);
	zoomed_out(db, 0.10);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Pixels of a label's box in a colour no label has (arrows: green,
 * blue, red, yellow; labels are black and grey): drawn over it. */
static int coloured_in(const pic *p, const rv_label_box *b)
{
	int n = 0;
	/* the text's part of the box: not the tick, not the line below */
	for (int y = (int)b->y0 + 1; y < (int)b->y1 - 2; y++)
		for (int x = (int)b->x0 + 2; x < (int)b->x1 - 2 && x < p->w;
		     x++) {
			int r, g, bl;
			px(p, x, y, &r, &g, &bl);
			int hi = MAX(r, MAX(g, bl)), lo = MIN(r, MIN(g, bl));
			n += hi - lo > 100;
		}
	return n;
}

/* Labels at full span: each ends before the next promise of its row
 * starts, no two overlap, and nothing coloured (arrows) is drawn over
 * them. */
static void labels_fit(const char *db)
{
	rv_model *m = load(db);
	rv_view v = fit(m, 1200);
	rv_geom g;
	rv_geom_compute(m, &g);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							v.width, v.height);
	cairo_t *cr = cairo_create(s);
	rv_label_box box[1024];
	int n = rv_draw_row_labels(cr, m, &v, &g, box, 1024);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	assert_true(n > 0 && n < 1024);
	pic p = draw_view(m, &v);
	for (int i = 0; i < n; i++) {
		int over = coloured_in(&p, &box[i]);
		if (over > 3)
			fail_msg("%s: row %d label at x %.0f..%.0f: %d coloured "
				 "pixels drawn over it", db, box[i].row,
				 box[i].x0, box[i].x1, over);
		const rv_row *row = &m->rows[box[i].row];
		if (box[i].seg + 1 < row->n) {
			double next = rv_x(&v,
				 (double)RV_START(row, box[i].seg + 1));
			if (box[i].x1 > next)
				fail_msg("%s: row %d label at x %.0f..%.0f runs "
					 "over the next promise at %.0f", db,
					 box[i].row, box[i].x0, box[i].x1, next);
		}
		for (int j = 0; j < i; j++)
			if (box[i].x0 < box[j].x1 && box[j].x0 < box[i].x1 &&
			    box[i].y0 < box[j].y1 && box[j].y0 < box[i].y1)
				fail_msg("%s: labels of rows %d and %d overlap",
					 db, box[i].row, box[j].row);
	}
	cairo_surface_destroy(p.s);
	rv_model_free(m);
}

static void test_zoomed_out_labels_fit(void **state)
{
	labels_fit(PINGPONG);
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "demo", 200, 0);
	labels_fit(db);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Zoomed into the first few promises of the most crowded row: no row is
 * aggregated and each of them is its own dark line again. */
static void test_zoomed_in_lines_return(void **state)
{
	rv_model *m = load(PINGPONG);
	rv_view full = fit(m, 1200);
	uint32_t best = 0;
	for (uint32_t r = 0; r < m->nrows; r++)
		if (rv_row_dense(m, &full, (int32_t)r) &&
		    m->rows[r].n > m->rows[best].n)
			best = r;
	const rv_row *row = &m->rows[best];
	assert_true(rv_row_dense(m, &full, (int32_t)best) && row->n > 4);
	rv_view v = full;
	v.from = (double)RV_START(row, 0) - 50;
	v.ns_per_px = (double)(RV_END(row, 2) + 100 - RV_START(row, 0)) /
		      (v.width - RV_LEFT_W);
	rv_geom g;
	rv_geom_compute(m, &g);
	for (uint32_t r = 0; r < m->nrows; r++)
		assert_false(rv_row_dense(m, &v, (int32_t)r));
	pic p = draw_view(m, &v);
	int ly = (int)rv_row_line_y(&g, &v, (int32_t)best);
	int lines = 0;
	for (uint32_t i = 0; i < 3; i++) {
		double x0 = rv_x(&v, (double)RV_START(row, i));
		double x1 = rv_x(&v, (double)RV_END(row, i));
		if (x1 - x0 < 8)
			continue;
		int hit = 0, r, gg, b;
		for (int y = ly - 3; y <= ly + 3; y++) {
			px(&p, (int)((x0 + x1) / 2), y, &r, &gg, &b);
			hit |= is_dark(r, gg, b);
		}
		assert_true(hit);
		lines++;
	}
	assert_true(lines > 0);
	cairo_surface_destroy(p.s);
	rv_model_free(m);
}

/* The window's match array as a search or a histogram bar fills it:
 * here every third promise of pingpong's packed rows (its waits have no
 * label a search could find), so their columns hold matches and not. */
static uint8_t *mark_some(const rv_model *m, const rv_view *v)
{
	uint8_t *match = g_malloc0(m->pp.n + 1);
	for (uint32_t r = 0; r < m->nrows; r++)
		if (rv_row_dense(m, v, (int32_t)r))
			for (uint32_t i = 0; i < m->rows[r].n; i += 3)
				match[m->rows[r].pp[i]] = 1;
	return match;
}

/* Per row and column, 1 where something else is drawn over the row's
 * aggregate: a becomes line (any row) or one of the row's labels. */
static uint8_t *covered(const rv_model *m, const rv_view *v,
			const rv_geom *g)
{
	const int w = v->width;
	uint8_t *c = g_malloc0((size_t)m->nrows * w);
	for (uint32_t k = 0; k < m->arrows.n; k++) {
		int bx = (int)floor(rv_x(v,
					 (double)rv_arrow_t1(&m->arrows, k)));
		if (m->arrows.kind[k] != RV_A_BECOMES || bx < 1 || bx >= w - 1)
			continue;
		for (uint32_t r = 0; r < m->nrows; r++)
			memset(c + (size_t)r * w + bx - 1, 1, 3);
	}
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							w, v->height);
	cairo_t *cr = cairo_create(s);
	rv_label_box box[256];
	int n = rv_draw_row_labels(cr, m, v, g, box, 256);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	for (int i = 0; i < n; i++)
		for (int x = (int)box[i].x0 - 1; x <= (int)box[i].x1 + 1; x++)
			if (x >= 0 && x < w)
				c[(size_t)box[i].row * w + x] = 1;
	return c;
}

static bool is_magenta(int r, int g, int b)
{
	return r > 150 && g < 80 && b > 120;   /* 0.85 0 0.75 */
}

/* A search at full span: every column of a packed row that holds a
 * matching promise shows the detailed view's match colour, and a column
 * without one shows none. */
static void test_zoomed_out_search_marks(void **state)
{
	rv_model *m = load(PINGPONG);
	rv_view v = fit(m, 1200);
	rv_geom g;
	rv_geom_compute(m, &g);
	uint8_t *match = mark_some(m, &v);
	rv_match_rows *mr = rv_match_rows_new(m, match);
	v.match = match;
	v.match_rows = mr;
	pic p = draw_view(m, &v);
	uint8_t *cov = covered(m, &v, &g);
	int with = 0, without = 0;
	for (uint32_t r = 0; r < m->nrows; r++) {
		if (!rv_row_dense(m, &v, (int32_t)r))
			continue;
		const rv_row *row = &m->rows[r];
		int base = (int)lround(rv_row_line_y(&g, &v, (int32_t)r)) + 1;
		rv_agg_hint h = { 0 };
		for (int x = RV_LEFT_W; x < v.width; x++) {
			int64_t t0, t1;
			rv_col_times(&v, x, &t0, &t1);
			rv_agg a, b;
			rv_row_agg_view(m, &v, (int32_t)r, t0, t1, &h, &a);
			brute_agg(m, row, t0, t1, match, false, &b);
			assert_int_equal(a.matched, b.matched);
			if (cov[(size_t)r * v.width + x])
				continue;
			bool seen = false;
			for (int y = base - 13; y < base; y++) {
				int rr, gg, bb;
				px(&p, x, y, &rr, &gg, &bb);
				seen |= is_magenta(rr, gg, bb);
			}
			if (seen != (b.matched > 0))
				fail_msg("row %u x %d: %u matches live, match "
					 "colour %s", r, x, b.matched,
					 seen ? "drawn" : "missing");
			with += b.matched > 0;
			without += !b.matched && b.live;
		}
	}
	print_message("%d packed columns with a match, %d without\n", with,
		      without);
	assert_true(with > 10 && without > 10);
	g_free(cov);
	cairo_surface_destroy(p.s);
	rv_match_rows_free(mr);
	g_free(match);
	rv_model_free(m);
}

/* The filter on at full span: a packed row's counts are those of the
 * promises it shows, one by one, and its area is drawn from them (a
 * column whose live promises are all hidden has no area). */
static void test_zoomed_out_filter_counts(void **state)
{
	static const int area[3] = { 140, 158, 204 };  /* 0.55 0.62 0.80 */
	rv_model *m = load(PINGPONG);
	rv_view v = fit(m, 1200);
	rv_geom g;
	rv_geom_compute(m, &g);
	uint8_t *match = mark_some(m, &v);
	rv_match_rows *mr = rv_match_rows_new(m, match);
	v.match = match;
	v.match_rows = mr;
	v.filter = true;
	pic p = draw_view(m, &v);
	uint8_t *cov = covered(m, &v, &g);
	int fewer = 0, emptied = 0;
	for (uint32_t r = 0; r < m->nrows; r++) {
		if (!rv_row_dense(m, &v, (int32_t)r))
			continue;
		const rv_row *row = &m->rows[r];
		int base = (int)lround(rv_row_line_y(&g, &v, (int32_t)r)) + 1;
		rv_agg_hint h = { 0 };
		for (int x = RV_LEFT_W; x < v.width; x++) {
			int64_t t0, t1;
			rv_col_times(&v, x, &t0, &t1);
			rv_agg a, b, all;
			rv_row_agg_view(m, &v, (int32_t)r, t0, t1, &h, &a);
			brute_agg(m, row, t0, t1, match, true, &b);
			brute_agg(m, row, t0, t1, NULL, false, &all);
			if (memcmp(&a, &b, sizeof a))
				fail_msg("row %u x %d: live %u/%u created "
					 "%u/%u resolved %u/%u failed %u/%u "
					 "matched %u/%u", r, x, a.live, b.live,
					 a.created, b.created, a.resolved,
					 b.resolved, a.failed, b.failed,
					 a.matched, b.matched);
			fewer += all.live > b.live;
			if (cov[(size_t)r * v.width + x] || !all.live)
				continue;
			int ah = rv_agg_height(b.live), rr, gg, bb;
			px(&p, x, base - (ah ? ah : 2), &rr, &gg, &bb);
			bool is_area = abs(rr - area[0]) < 8 &&
				abs(gg - area[1]) < 8 && abs(bb - area[2]) < 8;
			if (is_area != (ah > 0))
				fail_msg("row %u x %d: %u of %u live shown, area "
					 "%s", r, x, b.live, all.live,
					 is_area ? "drawn" : "missing");
			emptied += !ah;
		}
	}
	print_message("%d packed columns count fewer, %d emptied\n", fewer,
		      emptied);
	assert_true(fewer > 10 && emptied > 5);
	g_free(cov);
	cairo_surface_destroy(p.s);
	rv_match_rows_free(mr);
	g_free(match);
	rv_model_free(m);
}

/* The touch kinds (RV_T_*) of an arrow kind, written out here rather than
 * taken from touch.c. */
static int touch_of(uint8_t kind)
{
	return kind == RV_A_READ ? RV_T_READ :
	       kind == RV_A_READ_FAILED ? RV_T_READ_FAILED :
	       kind == RV_A_TRY_READ ? RV_T_TRY_READ :
	       kind == RV_A_SIGNAL ? RV_T_SIGNAL : -1;
}

/* Per pixel column of row r, the touch kinds with an arrow end there,
 * from the arrows one by one; with filter, only arrows whose two ends
 * match (those the detailed view would draw). */
static unsigned *brute_touches(const rv_model *m, const rv_view *v, int32_t r,
			       const uint8_t *match, bool filter)
{
	unsigned *mask = g_malloc0(sizeof *mask * (size_t)v->width);
	const rv_arrows *a = &m->arrows;
	for (uint32_t k = 0; k < a->n; k++) {
		int t = touch_of(a->kind[k]);
		if (t < 0 || (filter && !(match[a->from[k]] && match[a->to[k]])))
			continue;
		const int64_t te[2] = { rv_arrow_t0(m, k), rv_arrow_t1(a, k) };
		const int32_t re[2] = { rv_pp_row_at(m, a->from[k], te[0]),
					rv_pp_row_at(m, a->to[k], te[1]) };
		for (int e = 0; e < 2; e++) {
			if (re[e] != r)
				continue;
			int x = (int)floor(rv_x(v, (double)te[e]));
			int64_t t0, t1;
			for (int step = 0; step < 4; step++) {
				rv_col_times(v, x, &t0, &t1);
				x += te[e] < t0 ? -1 : te[e] >= t1 ? 1 : 0;
			}
			rv_col_times(v, x, &t0, &t1);
			assert_true(te[e] >= t0 && te[e] < t1);
			if (x >= RV_LEFT_W && x < v->width)
				mask[x] |= 1u << t;
		}
	}
	return mask;
}

/* arrow_rgb's colours of the four kinds, and the one a column with
 * several kinds shows (the rarest: signal, try_read, read-failed, read) */
static const int touch_rgb[RV_T_COUNT][3] = {
	[RV_T_READ] = { 0, 51, 242 }, [RV_T_READ_FAILED] = { 230, 0, 0 },
	[RV_T_TRY_READ] = { 217, 191, 0 }, [RV_T_SIGNAL] = { 255, 128, 0 } };

static int shown_kind(unsigned mask)
{
	static const int order[] = { RV_T_SIGNAL, RV_T_TRY_READ,
				     RV_T_READ_FAILED, RV_T_READ };
	for (int i = 0; i < RV_T_COUNT; i++)
		if (mask & (1u << order[i]))
			return order[i];
	return -1;
}

static int touch_colour(int r, int g, int b)
{
	for (int t = 0; t < RV_T_COUNT; t++)
		if (abs(r - touch_rgb[t][0]) < 8 && abs(g - touch_rgb[t][1]) < 8 &&
		    abs(b - touch_rgb[t][2]) < 8)
			return t;
	return -1;
}

/* Every packed column's touch kinds are the arrows', and the tick line
 * under the create/resolve/fail ticks shows them in their colour (or
 * nothing) wherever no becomes line or label covers it. Counts the
 * columns holding each kind (present) and those that show a tick (drawn). */
static void check_touches(const rv_model *m, const rv_view *v,
			  const uint8_t *match, bool filter,
			  int present[RV_T_COUNT], int *drawn_cols)
{
	int shown = 0, ticked = 0, right = 0, bare = 0, stray = 0;
	rv_geom g;
	rv_geom_compute(m, &g);
	pic p = draw_view(m, v);
	uint8_t *cov = covered(m, v, &g);
	for (uint32_t r = 0; r < m->nrows; r++) {
		if (!rv_row_dense(m, v, (int32_t)r))
			continue;
		unsigned *want = brute_touches(m, v, (int32_t)r, match, filter);
		int top = (int)lround(rv_row_line_y(&g, v, (int32_t)r)) + 1 - 13;
		rv_touch_hint h = { { 0 } };
		for (int x = RV_LEFT_W; x < v->width; x++) {
			int64_t t0, t1;
			rv_col_times(v, x, &t0, &t1);
			unsigned got = rv_row_touches_view(m, v, (int32_t)r, t0,
							   t1, &h);
			if (got != want[x])
				fail_msg("row %u x %d: touch kinds %#x, the "
					 "arrows say %#x", r, x, got, want[x]);
			if (cov[(size_t)r * v->width + x] || top < RV_RULER_H)
				continue;
			int rr, gg, bb;
			px(&p, x, top + 3, &rr, &gg, &bb);
			int drawn = touch_colour(rr, gg, bb);
			if (drawn != shown_kind(want[x]))
				print_message("row %u x %d: tick colour %d,%d,%d "
					      "for kinds %#x\n", r, x, rr, gg,
					      bb, want[x]);
			for (int t = 0; t < RV_T_COUNT; t++)
				present[t] += (want[x] >> t) & 1;
			shown += drawn >= 0;
			if (want[x]) {
				ticked++;
				right += drawn == shown_kind(want[x]);
			} else {
				bare++;
				stray += drawn >= 0;
			}
		}
		g_free(want);
	}
	g_free(cov);
	cairo_surface_destroy(p.s);
	*drawn_cols = shown;
	/* an arrow between two sparse rows may cross a packed row's tick
	 * line (it is drawn over it): a few columns (with the filter on
	 * only ten or so have ticks), not a tenth of many */
	const int crossed = ticked / 10 > 3 ? ticked / 10 : 3;
	if (right < ticked - crossed || stray > bare / 20)
		fail_msg("%d of %d columns with touches show the right tick, "
			 "%d of %d without show one", right, ticked, stray,
			 bare);
}

/* Zoomed out, the demo's read, try_read and signal arrows into packed
 * rows are summarised per column (they were dropped without a trace),
 * and with the filter on only those of arrows it would draw. */
static void test_zoomed_out_read_ticks(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "demo", 200, 0);
	rv_model *m = load(db);
	rv_view v = fit(m, 1200);
	int seen[RV_T_COUNT] = { 0 }, drawn = 0;
	check_touches(m, &v, NULL, false, seen, &drawn);
	print_message("packed columns with: read %d, read-failed %d, "
		      "try_read %d, signal %d; %d drawn\n", seen[RV_T_READ],
		      seen[RV_T_READ_FAILED], seen[RV_T_TRY_READ],
		      seen[RV_T_SIGNAL], drawn);
	/* the demo reads, polls and signals in its packed rows (a column
	 * shows one kind, so plain reads may all be under rarer ones) */
	assert_true(seen[RV_T_READ] + seen[RV_T_READ_FAILED] > 0 &&
		    seen[RV_T_TRY_READ] > 0 && seen[RV_T_SIGNAL] > 0 &&
		    drawn > 0);
	uint8_t *match = mark_some(m, &v);
	rv_match_rows *mr = rv_match_rows_new(m, match);
	v.match = match;
	v.match_rows = mr;
	v.filter = true;
	int filtered[RV_T_COUNT] = { 0 }, fdrawn = 0;
	check_touches(m, &v, match, true, filtered, &fdrawn);
	int all = 0, some = 0;
	for (int t = 0; t < RV_T_COUNT; t++) {
		all += seen[t];
		some += filtered[t];
	}
	assert_true(some < all);
	rv_match_rows_free(mr);
	g_free(match);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(viewer_zoom,
	      cmocka_unit_test(test_zoomed_out_aggregate_pingpong),
	      cmocka_unit_test(test_zoomed_out_aggregate_demo),
	      cmocka_unit_test(test_zoomed_out_labels_fit),
	      cmocka_unit_test(test_zoomed_in_lines_return),
	      cmocka_unit_test(test_zoomed_out_search_marks),
	      cmocka_unit_test(test_zoomed_out_filter_counts),
	      cmocka_unit_test(test_zoomed_out_read_ticks))
