/*
 * test_viewer.c - ringside-view as a user runs it headlessly: --render of
 * the real sample traces in samples/traces/ (made by the hosted kernel and
 * the collector), checked pixel by pixel where the trace says something
 * must be drawn. Expected x positions come from the database (times
 * queried with SQL, mapped with the documented --from/--to/--size rule:
 * the plot starts at x = 130 and [from, to] fills [130, W)); promise rows
 * come from the viewer's layout library. No golden images.
 *
 * Also: bad input (foreign files, foreign SQLite) is refused with one line
 * and a non-zero exit, leaving the file untouched; a crashed guest's trace
 * opens and shows the panic at its time; a hung one shows the hang.
 */
#include "testlib.h"

#include <cairo.h>
#include <sqlite3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "draw.h"
#include "model.h"

#define W 1000
#define H 600
#define SAMPLES "samples/traces"

typedef struct {
	cairo_surface_t *s;
	int w, h, stride;
	unsigned char *d;
} png;

static png png_load(const char *path)
{
	png p = { 0 };
	p.s = cairo_image_surface_create_from_png(path);
	assert_int_equal(cairo_surface_status(p.s), CAIRO_STATUS_SUCCESS);
	p.w = cairo_image_surface_get_width(p.s);
	p.h = cairo_image_surface_get_height(p.s);
	p.stride = cairo_image_surface_get_stride(p.s);
	p.d = cairo_image_surface_get_data(p.s);
	return p;
}

static void px(const png *p, int x, int y, int *r, int *g, int *b)
{
	assert_true(x >= 0 && x < p->w && y >= 0 && y < p->h);
	uint32_t v = *(uint32_t *)(p->d + y * p->stride + x * 4);
	*r = (v >> 16) & 255;
	*g = (v >> 8) & 255;
	*b = v & 255;
}

/* Any pixel in the box matching pred? */
typedef int (*colour_pred)(int r, int g, int b);
static int dark(int r, int g, int b) { return r < 90 && g < 90 && b < 110; }
static int red(int r, int g, int b) { return r > 190 && g < 60 && b < 60; }
static int orange(int r, int g, int b)
{
	return r > 200 && g > 100 && g < 180 && b < 50;
}
static int green(int r, int g, int b) { return g > r + 60 && g > b + 60; }

static int box_has(const png *p, int x0, int y0, int x1, int y1,
		   colour_pred pred)
{
	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++) {
			if (x < 0 || y < 0 || x >= p->w || y >= p->h)
				continue;
			int r, g, b;
			px(p, x, y, &r, &g, &b);
			if (pred(r, g, b))
				return 1;
		}
	return 0;
}

static int distinct_colours(const png *p)
{
	uint32_t seen[64];
	int n = 0;
	for (int y = 0; y < p->h; y += 3)
		for (int x = 0; x < p->w; x += 3) {
			uint32_t v = *(uint32_t *)(p->d + y * p->stride + x * 4) &
				     0xffffff;
			int k;
			for (k = 0; k < n && seen[k] != v; k++)
				;
			if (k == n && n < 64)
				seen[n++] = v;
		}
	return n;
}

static int64_t q64(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	int64_t v = -1;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static double xmap(int64_t t, int64_t from, int64_t to)
{
	return RV_LEFT_W + (double)(t - from) * (W - RV_LEFT_W) / (double)(to - from);
}

/* Render db over [from, to] into dir/name; returns the PNG. */
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static png render(const char *dir, const char *name, const char *db,
		  int64_t from, int64_t to)
{
	char out[512];
	char *log = NULL;
	snprintf(out, sizeof out, "%s/%s", dir, name);
	int rc = rs_run(&log, 60, "%s --render %s --from %lld --to %lld "
			"--size %dx%d %s", rs_bin("ringside-view"), out,
			(long long)from, (long long)to, W, H, db);
	if (rc)
		fprintf(stderr, "render failed: %s\n", log ? log : "");
	assert_int_equal(rc, 0);
	free(log);
	png p = png_load(out);
	assert_int_equal(p.w, W);
	assert_int_equal(p.h, H);
	assert_true(distinct_colours(&p) > 8);   /* not blank */
	return p;
}

/* The resolve arrow spanning rows that lies farthest in time from every
 * other arrow (*arrow_gap, in ns, where the others cross its height), or
 * -1: arrows are dense in pingpong, and a window this narrow around it
 * shows it alone. */
static int loneliest_resolve_arrow(const rv_model *m, const rv_geom *gp,
				   const rv_view *vp, int64_t *arrow_gap)
{
	const rv_geom g = *gp;
	const rv_view v = *vp;
	int arrow = -1;
	*arrow_gap = 0;
	for (uint32_t i = 0; i < m->arrows.n; i++) {
		if (m->arrows.kind[i] != RV_A_RESOLVE)
			continue;
		int y0 = (int)rv_row_line_y(&g, &v, rv_pp_row_at(m,
				m->arrows.from[i], rv_arrow_t0(m, i)));
		int y1 = (int)rv_row_line_y(&g, &v, rv_pp_row_at(m,
				m->arrows.to[i], rv_arrow_t1(&m->arrows, i)));
		if (abs(y1 - y0) < 2 * RV_ROW_H)
			continue;
		int64_t gap = INT64_MAX, t = rv_arrow_t1(&m->arrows, i);
		int ym = (y0 + y1) / 2;
		for (uint32_t j = 0; j < m->arrows.n; j++) {
			if (j == i)
				continue;
			/* where arrow j crosses the height ym, if it does: an
			 * arrow is a straight line between its endpoints */
			int a0 = (int)rv_row_line_y(&g, &v, rv_pp_row_at(m,
					m->arrows.from[j], rv_arrow_t0(m, j)));
			int a1 = (int)rv_row_line_y(&g, &v, rv_pp_row_at(m,
					m->arrows.to[j], rv_arrow_t1(&m->arrows, j)));
			if ((a0 < ym - 3 && a1 < ym - 3) ||
			    (a0 > ym + 3 && a1 > ym + 3))
				continue;
			int64_t tj0 = rv_arrow_t0(m, j);
			int64_t tj1 = rv_arrow_t1(&m->arrows, j);
			int64_t cross = tj0;
			if (a1 != a0)
				cross = tj0 + (int64_t)((double)(tj1 - tj0) *
					(ym - a0) / (double)(a1 - a0));
			int64_t d = llabs(cross - t);
			if (a1 == a0 && t >= MIN(tj0, tj1) && t <= MAX(tj0, tj1))
				d = 0;
			gap = d < gap ? d : gap;
		}
		if (gap > *arrow_gap) {
			*arrow_gap = gap;
			arrow = (int)i;
		}
	}
	return arrow;
}

static void test_render_pingpong_promises(void **state)
{
	const char *db = SAMPLES "/pingpong.db";
	char *dir = rs_tmpdir();
	int64_t from = q64(db, "SELECT min(ts_ns) FROM events");
	int64_t to = q64(db, "SELECT max(ts_ns) FROM events") + 1000;
	/* the longest-lived promise: its line must be there */
	int64_t id = q64(db, "SELECT id FROM promises WHERE state = 'resolved' "
			 "ORDER BY resolved_ns - created_ns DESC LIMIT 1");
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT created_ns FROM promises WHERE id = %lld",
		 (long long)id);
	int64_t c = q64(db, sql);
	snprintf(sql, sizeof sql, "SELECT resolved_ns FROM promises WHERE id = %lld",
		 (long long)id);
	int64_t r = q64(db, sql);
	png p = render(dir, "pp.png", db, from, to);

	char err[256];
	rv_model *m = rv_model_load(db, err, sizeof err);
	assert_non_null(m);
	int64_t pp = -1;
	for (uint32_t i = 0; i < m->pp.n; i++)
		if (!rv_pp_is_thread(&m->pp, i) && (int64_t)rv_pp_id(&m->pp, i) == id)
			pp = i;
	assert_true(pp >= 0);
	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = { .height = H };
	int ly = (int)rv_row_line_y(&g, &v, m->pp.row[pp]);
	double x0 = xmap(c, from, to), x1 = xmap(r, from, to);
	assert_true(x1 - x0 > 20);
	/* the 2 px line (or its running overlay's dark border) at 3 places */
	for (int k = 1; k <= 3; k++) {
		int x = (int)(x0 + (x1 - x0) * k / 4);
		assert_true(box_has(&p, x, ly - 3, x, ly + 3, dark));
	}
	/* nothing is drawn in the rows below the last one */
	int below = (int)rv_row_line_y(&g, &v, (int32_t)m->nrows + 2);
	if (below + 3 < H)
		assert_false(box_has(&p, (int)x0, below - 3, (int)x1, below + 3,
				     dark));
	/* a create arrow: vertical black line from parent row to the child
	 * at the creation time */
	int pr = m->pp.row[m->pp.parent[pp]];
	assert_true(pr < m->pp.row[pp]);
	int ymid = ((int)rv_row_line_y(&g, &v, pr) + ly) / 2;
	assert_true(box_has(&p, (int)x0 - 1, ymid - 1, (int)x0 + 1, ymid + 1,
			    dark));
	/* a resolve arrow that spans rows is green at its time. Arrows are
	 * dense here, so take the one farthest in time from every other
	 * arrow and draw a window around it narrow enough that nothing else
	 * is near it on screen. */
	bool found = false;
	int64_t arrow_gap = 0;
	int arrow = loneliest_resolve_arrow(m, &g, &v, &arrow_gap);
	if (arrow >= 0 && arrow_gap >= 4) {
		int y0 = (int)rv_row_line_y(&g, &v, rv_pp_row_at(m,
				m->arrows.from[arrow], rv_arrow_t0(m, arrow)));
		int y1 = (int)rv_row_line_y(&g, &v, rv_pp_row_at(m,
				m->arrows.to[arrow], rv_arrow_t1(&m->arrows, arrow)));
		int64_t t = rv_arrow_t1(&m->arrows, arrow), half = arrow_gap / 2;
		png z = render(dir, "zoom.png", db, t - half, t + half);
		int x = (int)xmap(t, t - half, t + half);
		int y = (y0 + y1) / 2;
		assert_true(box_has(&z, x - 1, y - 2, x + 1, y + 2, green));
		cairo_surface_destroy(z.s);
		found = true;
	}
	assert_true(found);
	/* CPU lane: the thread that ran longest is painted in its colour */
	rv_spans *lane = &m->cpu_lane[0];
	uint32_t best = 0;
	for (uint32_t i = 1; i < lane->n; i++)
		if (RV_END(lane, i) - RV_START(lane, i) >
		    RV_END(lane, best) - RV_START(lane, best))
			best = i;
	double rgb[3];
	rv_thread_rgb(RV_REF(lane, best), rgb);
	int x = (int)xmap((RV_START(lane, best) + RV_END(lane, best)) / 2,
			  from, to);
	int rr, gg, bb;
	px(&p, x, RV_RULER_H + (int)g.cpu_y + 3, &rr, &gg, &bb);
	if (m->threads[RV_REF(lane, best)].tid != 0) {
		assert_true(abs(rr - (int)(rgb[0] * 255)) < 12);
		assert_true(abs(gg - (int)(rgb[1] * 255)) < 12);
		assert_true(abs(bb - (int)(rgb[2] * 255)) < 12);
	}
	rv_model_free(m);
	cairo_surface_destroy(p.s);
	rs_tmpdir_cleanup(dir);
}

/* The model itself: every promise in the database, each below its
 * creator, rows sorted and never overlapping. */
static void test_model_layout_rules(void **state)
{
	const char *db = SAMPLES "/pingpong.db";
	char err[256];
	rv_model *m = rv_model_load(db, err, sizeof err);
	assert_non_null(m);
	uint32_t promises = 0;
	for (uint32_t i = 0; i < m->pp.n; i++) {
		if (rv_pp_is_thread(&m->pp, i))
			continue;
		promises++;
		assert_true(m->pp.parent[i] >= 0);
		assert_true(m->pp.row[i] > m->pp.row[m->pp.parent[i]]);
	}
	assert_int_equal(promises, q64(db, "SELECT count(*) FROM promises"));
	assert_int_equal(m->nevents, q64(db, "SELECT count(*) FROM events"));
	for (uint32_t r = 0; r < m->nrows; r++)
		for (uint32_t k = 1; k < m->rows[r].n; k++)
			assert_true(RV_START(&m->rows[r], k) >=
				    RV_END(&m->rows[r], k - 1));
	uint64_t counts[256];
	assert_int_equal(rv_db_type_counts(db, m->trace_id, m->t_min, m->t_max,
					   counts, err, sizeof err), 0);
	char *s = rv_range_summary(counts, m->t_min, m->t_max);
	assert_non_null(strstr(s, "promise_create"));
	free(s);
	rv_model_free(m);
}

static void test_crash_shows_panic(void **state)
{
	const char *db = SAMPLES "/crash.db";
	char *dir = rs_tmpdir();
	int64_t pt = q64(db, "SELECT panic_ts_ns FROM trace");
	assert_true(pt > 0);
	int64_t from = q64(db, "SELECT min(ts_ns) FROM events");
	int64_t to = pt + (pt - from) / 10;
	png p = render(dir, "crash.png", db, from, to);
	int x = (int)xmap(pt, from, to);
	/* a red line through the body at the panic time, and not far away */
	assert_true(box_has(&p, x - 1, 400, x + 1, 400, red));
	assert_true(box_has(&p, x - 1, H - 20, x + 1, H - 20, red));
	assert_false(box_has(&p, x - 60, 400, x - 30, 400, red));
	cairo_surface_destroy(p.s);
	rs_tmpdir_cleanup(dir);
}

static void test_hang_marked(void **state)
{
	const char *db = SAMPLES "/hang.db";
	char *dir = rs_tmpdir();
	int64_t ht = q64(db, "SELECT hung_at_ns FROM trace");
	assert_true(ht > 0);
	int64_t from = q64(db, "SELECT min(ts_ns) FROM events");
	int64_t to = ht + (ht - from) / 5;
	png p = render(dir, "hang.png", db, from, to);
	int x = (int)xmap(ht, from, to);
	assert_true(box_has(&p, x - 1, 450, x + 1, 450, orange));
	assert_false(box_has(&p, x - 60, 450, x - 30, 450, orange));
	cairo_surface_destroy(p.s);
	rs_tmpdir_cleanup(dir);
}

static void test_svg_export(void **state)
{
	char *dir = rs_tmpdir(), *log = NULL;
	char out[512];
	snprintf(out, sizeof out, "%s/x.svg", dir);
	assert_int_equal(rs_run(&log, 60, "%s --render %s %s",
				rs_bin("ringside-view"), out,
				SAMPLES "/pingpong.db"), 0);
	free(log);
	size_t len;
	char *svg = rs_read_file(out, &len);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "<svg"));
	assert_true(len > 10000);
	free(svg);
	rs_tmpdir_cleanup(dir);
}

/* One line on stderr, non-zero, and the file exactly as it was. */
static void expect_refused(const char *path, const char *why, bool window)
{
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	size_t l0, l1;
	char *c0 = rs_read_file(path, &l0), *log = NULL;
	int rc = window ?
		rs_run(&log, 30, "DISPLAY= WAYLAND_DISPLAY= %s %s",
		       rs_bin("ringside-view"), path) :
		rs_run(&log, 30, "%s --render /dev/null.png %s",
		       rs_bin("ringside-view"), path);
	assert_true(rc != 0 && rc != -1);
	assert_non_null(log);
	assert_non_null(strstr(log, why));
	char *nl = strchr(log, '\n');
	assert_true(nl && nl[1] == 0);   /* exactly one line */
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_mtime == after.st_mtime);
	char *c1 = rs_read_file(path, &l1);
	assert_int_equal(l0, l1);
	assert_memory_equal(c0, c1, l0);
	free(c0); free(c1); free(log);
}

static void test_bad_input(void **state)
{
	char *dir = rs_tmpdir();
	char p[512];
	snprintf(p, sizeof p, "%s/text.db", dir);
	FILE *f = fopen(p, "w");
	fputs("this is not a database at all, just text\n", f);
	fclose(f);
	expect_refused(p, "not a SQLite file", false);
	expect_refused(p, "not a SQLite file", true);

	snprintf(p, sizeof p, "%s/other.db", dir);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
	sqlite3_exec(h, "CREATE TABLE notes (x); INSERT INTO notes VALUES (1)",
		     NULL, NULL, NULL);
	sqlite3_close(h);
	expect_refused(p, "application_id", false);
	expect_refused(p, "application_id", true);

	snprintf(p, sizeof p, "%s/empty-rsdb.db", dir);
	assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
	sqlite3_exec(h, "PRAGMA application_id = 1381188674; CREATE TABLE t(x)",
		     NULL, NULL, NULL);
	sqlite3_close(h);
	expect_refused(p, "no table", false);

	char *log = NULL;
	snprintf(p, sizeof p, "%s/missing.db", dir);
	assert_true(rs_run(&log, 30, "%s --render /dev/null.png %s",
			   rs_bin("ringside-view"), p) != 0);
	assert_non_null(strstr(log, "cannot open"));
	free(log);
	rs_tmpdir_cleanup(dir);
}

/* Share of [t0, t1) that a band's spans fill. */
static double band_fill(const rv_spans *s, double t0, double t1)
{
	double in = 0;
	for (uint32_t i = 0; i < s->n; i++)
		in += fmax(0, fmin((double)RV_END(s, i), t1) -
			   fmax((double)RV_START(s, i), t0));
	return in / (t1 - t0);
}

/* A pixel that merges many short interrupts is tinted by the time they
 * fill, not painted: zoomed out, a periodic tick must not colour the
 * whole timeline, while an interrupt that fills its pixels still shows
 * in full. Checked below the last row, where only bands are drawn. */
static void test_band_strength_follows_fill(void **state)
{
	char *dir = rs_tmpdir(), err[256];
	char *db = rs_make_trace(dir, "demo", 12, 0);
	rv_model *m = rv_model_load(db, err, sizeof err);
	assert_non_null(m);
	assert_true(m->band_irq.n > 10);
	const int y = H - 4;
	int64_t from = m->t_min, to = m->t_max;
	png p = render(dir, "whole.png", db, from, to);
	double npp = (double)(to - from) / (W - RV_LEFT_W);
	int faint = 0;
	for (int x = RV_LEFT_W + 1; x < W - 1; x++) {
		double t0 = (double)from + (x - RV_LEFT_W) * npp;
		double f = band_fill(&m->band_irq, t0, t0 + npp);
		if (f <= 0 || f > 0.05)
			continue;
		/* an allocator burst filling the pixel is drawn in full, in a
		 * colour close to the interrupts' */
		if (band_fill(&m->band_alloc, t0, t0 + npp) > 0.05)
			continue;
		int r, g, b;
		px(&p, x, y, &r, &g, &b);
		if (r < 150 || g < 150 || b < 150)
			continue;   /* a row or an arrow is drawn there */
		/* How pink: full strength, (1, .8, .8) at alpha .8, puts red
		 * ~40 above green whatever lies beneath; a faded arrow or
		 * text there is grey or blue, not pink. */
		if (r - g >= 20)
			fprintf(stderr, "x %d: interrupts fill %.4f, rgb %d %d %d\n",
				x, f, r, g, b);
		assert_true(r - g < 20);
		faint++;
	}
	assert_true(faint > 0);
	cairo_surface_destroy(p.s);
	/* zoomed onto the longest interrupt: it fills its pixels, at full
	 * strength (seen at one of a few heights, should a row or an arrow
	 * cross one of them) */
	const rv_spans *s = &m->band_irq;
	uint32_t k = 0;
	for (uint32_t i = 1; i < s->n; i++)
		if (RV_END(s, i) - RV_START(s, i) > RV_END(s, k) - RV_START(s, k))
			k = i;
	int64_t len = RV_END(s, k) - RV_START(s, k);
	assert_true(len > 0);
	png z = render(dir, "one.png", db, RV_START(s, k) - len,
		       RV_END(s, k) + len);
	int pink = 0;
	for (int h = 0; h < 4; h++) {
		int r, g, b;
		px(&z, RV_LEFT_W + (W - RV_LEFT_W) / 2, y - 15 * h, &r, &g, &b);
		pink += r > g + 25;
	}
	assert_true(pink > 0);
	cairo_surface_destroy(z.s);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_bench_prints(void **state)
{
	char *log = NULL;
	assert_int_equal(rs_run(&log, 60, "%s --bench %s",
				rs_bin("ringside-view"), SAMPLES "/crash.db"), 0);
	assert_non_null(strstr(log, "open_s"));
	assert_non_null(strstr(log, "max_frame_ms"));
	/* what bench/bench_view.c reads: the sweep on one thread beside the
	 * two bands, and how many frames were split */
	assert_non_null(strstr(log, "\none_thread avg_frame_ms "));
	assert_non_null(strstr(log, "\nsplit_frames "));
	free(log);
}

RS_TEST_SUITE(viewer,
	      cmocka_unit_test(test_render_pingpong_promises),
	      cmocka_unit_test(test_model_layout_rules),
	      cmocka_unit_test(test_crash_shows_panic),
	      cmocka_unit_test(test_hang_marked),
	      cmocka_unit_test(test_svg_export),
	      cmocka_unit_test(test_bad_input),
	      cmocka_unit_test(test_band_strength_follows_fill),
	      cmocka_unit_test(test_bench_prints))
