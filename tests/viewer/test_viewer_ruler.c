/*
 * test_viewer_ruler.c - the ruler tells the truth at every zoom: its
 * numbers count from boot (the store's ts_ns), as --from/--to, tooltips,
 * `info`, `report` and the exports do; neighbouring labels always differ
 * and each reads its tick's time; --from/--to take units.
 *
 * Two ways in: the ruler's model (rv_ruler_compute, which the drawing
 * uses) over windows from a few microseconds far from boot to the full
 * span of every sample trace; and --render's PNGs, where a label is
 * checked by drawing the expected text with the same cairo font at the
 * same place and comparing pixels, so the test reads what a user reads.
 */
#include "testlib.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "model.h"

#define SAMPLES "samples/traces"
#define RULER_BG 0.95, 0.95, 0.97
#define LABEL_INK 0.3, 0.3, 0.35

/* "1.25 ms", "+3 us", "300.000001000 s since boot" -> ns; false if s does
 * not start with a time. */
static bool parse_time(const char *s, double *ns)
{
	static const struct { const char *u; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	double v;
	char u[4];
	if (sscanf(s, "%lf %3s", &v, u) != 2)
		return false;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (!strcmp(u, units[i].u)) {
			*ns = v * units[i].ns;
			return true;
		}
	return false;
}

static void view_range(rv_view *v, int w, double from, double to)
{
	*v = (rv_view){ .width = w, .height = 300 };
	rv_view_range(v, from, to);
}

/* (a) for one view: labels distinct, each within half a step of the time
 * where its tick is drawn (on the boot base); and (c) the ruler's tooltip
 * at each tick reads the label's time to within a pixel, and tells
 * neighbouring ticks apart. Returns the number of tooltips checked. */
static int check_ruler(const rv_model *m, const rv_view *v)
{
	rv_ruler r;
	rv_ruler_compute(v, &r);
	if (r.n < (v->width >= 1000 ? 3 : 1))   /* ~90 px apart */
		fail_msg("%d ticks from %.1f ns at %g ns/px over %d px", r.n,
			 v->from, v->ns_per_px, v->width);
	double origin = 0;
	if (*r.origin_text)
		assert_true(parse_time(r.origin_text, &origin));
	char prev_tip[128] = "";
	int tips = 0;
	for (int i = 0; i < r.n; i++) {
		double val, truth = rv_t(v, r.x[i]);
		assert_true(parse_time(r.label[i], &val));
		val += origin;
		if (fabs(val - truth) > r.step / 2)
			fail_msg("label '%s' (+ '%s') = %.1f ns, tick drawn at"
				 " %.1f ns (step %.0f)", r.label[i],
				 r.origin_text, val, truth, r.step);
		assert_true(r.x[i] >= RV_LEFT_W && r.x[i] < v->width);
		for (int j = 0; j < i; j++)
			if (!strcmp(r.label[i], r.label[j]))
				fail_msg("label '%s' twice", r.label[i]);
		char *tip = rv_hit_describe(m, v, r.x[i], RV_RULER_H / 2.0);
		double t;
		if (tip && parse_time(tip, &t)) {   /* else a panic or mark */
			if (fabs(t - val) > v->ns_per_px + 0.51)
				fail_msg("tooltip '%s' at the tick labelled '%s'"
					 " (%.1f ns)", tip, r.label[i], val);
			assert_string_not_equal(tip, prev_tip);
			snprintf(prev_tip, sizeof prev_tip, "%s", tip);
			tips++;
		}
		free(tip);
	}
	return tips;
}

static void test_ruler_labels_exact(void **state)
{
	static const char *const dbs[] = { "crash", "hang", "pingpong" };
	static const int widths[] = { 400, 1000, 1400, 3000 };
	for (size_t d = 0; d < 3; d++) {
		char path[256], err[256];
		snprintf(path, sizeof path, SAMPLES "/%s.db", dbs[d]);
		rv_model *m = rv_model_load(path, err, sizeof err);
		assert_non_null(m);
		for (size_t k = 0; k < 4; k++) {
			int w = widths[k], want = w >= 1000 ? 2 : 1;
			rv_view v = { .width = w, .height = 300 };
			rv_view_fit(&v, m);   /* the full span */
			assert_true(check_ruler(m, &v) >= want);
			/* 5 us at 300 s, 1 ms at 1.199 s, 22-35 ms, and a
			 * nanosecond scale window */
			view_range(&v, w, 300e9, 300e9 + 5e3);
			assert_true(check_ruler(m, &v) >= want);
			view_range(&v, w, 1.199e9, 1.2e9);
			assert_true(check_ruler(m, &v) >= want);
			view_range(&v, w, 22e6, 35e6);
			check_ruler(m, &v);   /* the hang hides some tooltips */
			view_range(&v, w, 1234567890123.0, 1234567890123.0 + 40);
			assert_true(check_ruler(m, &v) >= want);
			/* panned to before boot */
			view_range(&v, w, -3e6, 3e6);
			assert_true(check_ruler(m, &v) >= want);
			view_range(&v, w, -300e9 - 5e3, -300e9);
			assert_true(check_ruler(m, &v) >= want);
		}
		rv_model_free(m);
	}
}

/* --- pixels ------------------------------------------------------------ */

typedef struct {
	cairo_surface_t *s;
	int w, h, stride;
	unsigned char *d;
} png;

static png render(const char *dir, const char *name, const char *db,
		  const char *from, const char *to, int w)
{
	char out[512];
	char *log = NULL;
	snprintf(out, sizeof out, "%s/%s", dir, name);
	int rc = rs_run(&log, 60, "%s --render %s --from %s --to %s --size "
			"%dx300 %s", rs_bin("ringside-view"), out, from, to, w, db);
	if (rc)
		fprintf(stderr, "render failed: %s\n", log ? log : "");
	assert_int_equal(rc, 0);
	free(log);
	png p = { .s = cairo_image_surface_create_from_png(out) };
	assert_int_equal(cairo_surface_status(p.s), CAIRO_STATUS_SUCCESS);
	p.w = cairo_image_surface_get_width(p.s);
	p.h = cairo_image_surface_get_height(p.s);
	p.stride = cairo_image_surface_get_stride(p.s);
	p.d = cairo_image_surface_get_data(p.s);
	assert_int_equal(p.w, w);
	return p;
}

static uint32_t pixel(const png *p, int x, int y)
{
	return *(uint32_t *)(p->d + y * p->stride + x * 4) & 0xffffff;
}

/* The ruler's font, as the viewer sets it. */
static cairo_t *ruler_font(cairo_surface_t *s, double size)
{
	cairo_t *cr = cairo_create(s);
	cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	return cr;
}

/* Does the ruler in p show `text` with its pen at (x, 11)? Drawn with the
 * same font on the ruler's background and compared, pixel by pixel, over
 * the text's box (the upper line of the ruler holds nothing else). */
static bool text_at(const png *p, double x, const char *text)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							p->w, RV_RULER_H);
	cairo_t *cr = ruler_font(s, 10);
	cairo_set_source_rgb(cr, RULER_BG);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, LABEL_INK);
	cairo_move_to(cr, x, 11);
	cairo_show_text(cr, text);
	cairo_text_extents_t e;
	cairo_text_extents(cr, text, &e);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	png want = { .s = s, .w = p->w, .h = RV_RULER_H,
		     .stride = cairo_image_surface_get_stride(s),
		     .d = cairo_image_surface_get_data(s) };
	bool same = true;
	for (int y = 0; y < 13 && same; y++)
		for (int xx = (int)(x + e.x_bearing) - 1;
		     xx <= (int)(x + e.x_bearing + e.width) + 1 && same; xx++) {
			if (xx < 0 || xx >= p->w)
				continue;
			uint32_t a = pixel(p, xx, y), b = pixel(&want, xx, y);
			for (int sh = 0; sh < 24; sh += 8)
				if (abs((int)((a >> sh) & 255) -
					(int)((b >> sh) & 255)) > 24)
					same = false;
		}
	cairo_surface_destroy(s);
	return same;
}

static double text_width(const char *text)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 8,
							8);
	cairo_t *cr = ruler_font(s, 10);
	cairo_text_extents_t e;
	cairo_text_extents(cr, text, &e);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	return e.x_advance;
}

/* cairo and fontconfig keep the fonts text_at resolved for the life of
 * the process; hand them back so leak checkers see a clean exit (as
 * ringside-view's main does). Both set themselves up again on next use. */
static void fonts_done(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}

/* The label of the tick drawn at pixel column x: 3 px right of it, or 3 px
 * left where it would run off the picture. */
static bool label_at(const png *p, int x, const char *text)
{
	double tx = x + 0.5 + 3;
	if (tx + text_width(text) > p->w)
		tx = x + 0.5 - 3 - text_width(text);
	return text_at(p, tx, text);
}

static bool is_tick(const png *p, int x)
{
	uint32_t v = pixel(p, x, RV_RULER_H - 3);
	int r = (v >> 16) & 255, g = (v >> 8) & 255, b = v & 255;
	return abs(r - 77) < 12 && abs(g - 77) < 12 && abs(b - 89) < 12;
}

/* The tick of time t (ns) in a [from, to] render of width w. */
static int tick_x(double t, double from, double to, int w)
{
	int x = (int)floor(RV_LEFT_W + (t - from) * (w - RV_LEFT_W) /
			   (to - from));
	return x < w ? x : w - 1;
}

/* (b) --from/--to in ns or with units give the same picture, and its
 * ruler reads the window's own times: a tick and its label every step_ms
 * from the left edge (from_ms) up to last_ms. */
static void expect_ms_ruler(const char *dir, const char *db, const char *ns0,
			    const char *ns1, const char *u0, const char *u1,
			    int w, int from_ms, int to_ms, int step_ms,
			    int last_ms)
{
	png a = render(dir, "ns.png", db, ns0, ns1, w);
	png b = render(dir, "units.png", db, u0, u1, w);
	assert_int_equal(a.stride, b.stride);
	assert_memory_equal(a.d, b.d, (size_t)a.stride * (size_t)a.h);
	/* the comparison tells texts apart */
	assert_false(label_at(&a, RV_LEFT_W, "99 ms"));
	for (int ms = from_ms; ms <= last_ms; ms += step_ms) {
		int x = tick_x(ms * 1e6, from_ms * 1e6, to_ms * 1e6, w);
		char want[32];
		snprintf(want, sizeof want, "%d ms", ms);
		if (!is_tick(&a, x))
			fail_msg("no tick at x=%d for %s", x, want);
		if (!label_at(&a, x, want))
			fail_msg("the tick at x=%d does not read '%s'", x, want);
	}
	cairo_surface_destroy(a.s);
	cairo_surface_destroy(b.s);
	fonts_done();
}

static void test_ruler_from_to_units(void **state)
{
	char *dir = rs_tmpdir();
	const char *db = SAMPLES "/hang.db";
	/* 13 ms over 1270 px: a tick every ms, 22 ms at the left edge and
	 * 35 ms at the right */
	expect_ms_ruler(dir, db, "22000000", "35000000", "22ms", "35ms", 1400,
			22, 35, 1, 35);
	expect_ms_ruler(dir, db, "22000000", "35000000", "22ms", "35ms", 1000,
			22, 35, 2, 34);
	expect_ms_ruler(dir, db, "10000000", "20000000", "10ms", "20ms", 1000,
			10, 20, 2, 20);
	rs_tmpdir_cleanup(dir);
}

/* (a) in pixels: deep windows far from boot read distinct, exact labels,
 * and the ruler says what they count from. */
static void test_ruler_deep_zoom_pixels(void **state)
{
	char *dir = rs_tmpdir();
	const char *db = SAMPLES "/hang.db";
	/* 5 us at 300 s: a tick per us, offsets from 300 s shown once */
	png p = render(dir, "deep.png", db, "300s", "300.000005s", 1000);
	assert_true(text_at(&p, 6, "boot + 300.00000 s"));
	for (int us = 0; us <= 5; us++) {
		char want[16];
		snprintf(want, sizeof want, "+%d us", us);
		int x = tick_x(300e9 + us * 1e3, 300e9, 300e9 + 5e3, 1000);
		assert_true(is_tick(&p, x));
		if (!label_at(&p, x, want))
			fail_msg("the tick at x=%d does not read '%s'", x, want);
	}
	cairo_surface_destroy(p.s);
	/* 1 ms at 1.199 s: a tick every 200 us, four decimals of s */
	p = render(dir, "ms.png", db, "1.199s", "1.2s", 1000);
	assert_true(text_at(&p, 6, "since boot"));
	for (int k = 0; k <= 5; k++) {
		char want[16];
		snprintf(want, sizeof want, "%.4f s", 1.199 + k * 0.0002);
		int x = tick_x(1.199e9 + k * 2e5, 1.199e9, 1.2e9, 1000);
		assert_true(is_tick(&p, x));
		if (!label_at(&p, x, want))
			fail_msg("the tick at x=%d does not read '%s'", x, want);
	}
	cairo_surface_destroy(p.s);
	fonts_done();
	rs_tmpdir_cleanup(dir);
}

/* (c) in pixels: at every tick drawn, the tooltip's time is the time the
 * tick's label reads. */
static void test_ruler_tooltip_agrees(void **state)
{
	char *dir = rs_tmpdir();
	const char *db = SAMPLES "/hang.db";
	const int w = 1400;
	png p = render(dir, "tip.png", db, "22000000", "35000000", w);
	char err[256];
	rv_model *m = rv_model_load(db, err, sizeof err);
	assert_non_null(m);
	rv_view v = { .width = w, .height = 300, .from = 22e6,
		      .ns_per_px = 13e6 / (w - RV_LEFT_W) };
	int checked = 0;
	for (int x = RV_LEFT_W; x < w; x++) {
		if (!is_tick(&p, x))
			continue;
		char *tip = rv_hit_describe(m, &v, x + 0.5, RV_RULER_H / 2.0);
		double t;
		if (tip && parse_time(tip, &t)) {   /* not the hang's line */
			char want[32];
			snprintf(want, sizeof want, "%.0f ms", t / 1e6);
			if (!label_at(&p, x, want))
				fail_msg("tooltip '%s' at x=%d, but the tick there"
					 " does not read '%s'", tip, x, want);
			checked++;
		}
		free(tip);
	}
	assert_true(checked >= 10);
	rv_model_free(m);
	cairo_surface_destroy(p.s);
	fonts_done();
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(viewer_ruler,
	      cmocka_unit_test(test_ruler_labels_exact),
	      cmocka_unit_test(test_ruler_from_to_units),
	      cmocka_unit_test(test_ruler_deep_zoom_pixels),
	      cmocka_unit_test(test_ruler_tooltip_agrees))
