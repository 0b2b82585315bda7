/*
 * test_viewer_split.c - a frame drawn in two bands on two threads
 * (viewer/split.c) is the frame drawn whole on one, byte for byte.
 *
 * The sample traces (lanes, threads, counters, promise rows, arrows and
 * labels) at several zooms and scrolls, with a selection, split at the
 * point rv_draw picks and at every 23rd pixel row besides, including rows
 * right under the ruler and the last one, into RGB24, ARGB32 and a HiDPI
 * image of twice the pixels; and a model of arrows on a slant split at
 * every row (without split.c's margin, a row beside the cut differs). Each split must equal rv_draw_whole's picture
 * everywhere; a view one pixel apart must not (the comparison sees a
 * pixel's difference). And where a band cannot be handed its own image
 * (not an image, a transformed or clipped context, a split outside the
 * body, RV_DRAW_THREADS=1), rv_draw_split declines and draws nothing.
 */
#include "testlib.h"

#include <cairo.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "draw.h"
#include "model.h"
#include "ringside_ring.h"
#include "view_fixture.h"

/* RV_DRAW_THREADS=1 has rv_draw_split decline (test_split_declines): a
 * test of split pictures is skipped then, saying so. */
static void need_split(void)
{
	const char *e = getenv("RV_DRAW_THREADS");
	if (e && atoi(e) == 1) {
		print_message("RV_DRAW_THREADS=1: no frame is split; "
			      "skipped\n");
		skip();
	}
}

static const char *const dbs[] = { "samples/traces/crash.db",
				   "samples/traces/hang.db",
				   "samples/traces/pingpong.db" };

/* A 2-CPU guest of six threads whose promises are read long after they
 * were resolved, from other threads, `reads` reads a step: arrows that
 * cross rows on a slant, which cairo rasterises a little differently
 * where an image's edge cuts them; with 4 reads a step over 6000 steps,
 * ~30 k of them, past the count where arrows lose their heads (the
 * frame's, not a band's: draw_arrows.c), labels and failures only with
 * one read a step. Built in-process, as a load derives it. */
static rv_model *slanted_model(int steps, int reads)
{
	rv_model *m = g_new0(rv_model, 1);
	m->ncpus = 2;
	m->strings = g_string_chunk_new(4096);
	rv_builder *b = rv_builder_new(m);
	int64_t t = 1000;
	uint32_t cur[2] = { 0, 0 };
	uint64_t open[12] = { 0 }, done[12] = { 0 }, id = 1;
	for (uint32_t th = 1; th <= 6; th++)
		rv_builder_event(b, (int)(th % 2), t += 50,
				 RS_EV_THREAD_CREATE, 0, th, 0, 0, "worker");
	for (int s = 0; s < steps; s++) {
		const int cpu = s % 2;
		const uint32_t th = 1 + (uint32_t)((s / 2) % 3) * 2 +
				    (uint32_t)cpu;
		rv_builder_event(b, cpu, t += 29 + (s % 7) * 13,
				 RS_EV_THREAD_SWITCH, cur[cpu], cur[cpu], th, 0,
				 NULL);
		cur[cpu] = th;
		uint64_t *slot = &open[(s * 5) % 12];
		if (*slot) {
			rv_builder_event(b, cpu, t += 9, s % 11 == 0 &&
					 reads == 1 ? RS_EV_PROMISE_FAIL
					 : RS_EV_PROMISE_RESOLVE, th, *slot, 0,
					 0, "boom");
			done[(s * 5) % 12] = *slot;
			*slot = 0;
		} else {
			rv_builder_event(b, cpu, t += 5, RS_EV_PROMISE_CREATE,
					 th, id, 0, (uint64_t)(s % 4), NULL);
			if (s % 3 == 0 && reads == 1)
				rv_builder_event(b, cpu, t, RS_EV_PROMISE_LABEL,
						 th, id, 0, 0, "request");
			*slot = id++;
		}
		for (int r = 0; r < reads; r++) {
			/* read long after, elsewhere */
			const uint64_t old = done[(s * 7 + 3 + r) % 12];
			if (old && (reads > 1 || s % 2 == 1))
				rv_builder_event(b, cpu, t += 7,
						 RS_EV_PROMISE_READ, th, old, 0,
						 0, NULL);
		}
	}
	rv_builder_finish(b);
	rv_layout(m);
	return m;
}

/* A sample trace's view: 700 x 430, the whole trace fitted. */
static rv_view sample_view(const rv_model *m)
{
	rv_view v = { .width = 700, .height = 430 };
	rv_view_fit(&v, m);
	return v;
}

static cairo_surface_t *blank(cairo_format_t f, const rv_view *v, int scale)
{
	cairo_surface_t *s = cairo_image_surface_create(f, v->width * scale,
							v->height * scale);
	cairo_surface_set_device_scale(s, scale, scale);
	/* not white: a band that left a row undrawn shows */
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 0, 1);
	cairo_paint(cr);
	cairo_destroy(cr);
	return s;
}

static cairo_surface_t *whole(const rv_model *m, const rv_view *v,
			      cairo_format_t f, int scale)
{
	cairo_surface_t *s = blank(f, v, scale);
	cairo_t *cr = cairo_create(s);
	rv_draw_whole(cr, m, v);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	return s;
}

static cairo_surface_t *split(const rv_model *m, const rv_view *v,
			      cairo_format_t f, int scale, int y)
{
	cairo_surface_t *s = blank(f, v, scale);
	cairo_t *cr = cairo_create(s);
	assert_true(rv_draw_split(cr, m, v, y));
	cairo_destroy(cr);
	cairo_surface_flush(s);
	return s;
}

/* The first pixel where a and b differ (RGB24's unused byte aside), as
 * "x,y", or NULL. */
static const char *first_difference(cairo_surface_t *a, cairo_surface_t *b,
				    char *buf, size_t len)
{
	const int w = cairo_image_surface_get_width(a);
	const int h = cairo_image_surface_get_height(a);
	const int st = cairo_image_surface_get_stride(a);
	const uint32_t mask = cairo_image_surface_get_format(a) ==
		CAIRO_FORMAT_RGB24 ? 0xffffff : 0xffffffff;
	const unsigned char *da = cairo_image_surface_get_data(a);
	const unsigned char *db = cairo_image_surface_get_data(b);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint32_t pa, pb;
			memcpy(&pa, da + (size_t)y * st + 4 * x, 4);
			memcpy(&pb, db + (size_t)y * st + 4 * x, 4);
			if ((pa ^ pb) & mask) {
				snprintf(buf, len, "%d,%d", x, y);
				return buf;
			}
		}
	return NULL;
}

/* v split at rv_split_y's row and every 23rd, each the same as whole. */
static int check_splits(const rv_model *m, const rv_view *v,
			cairo_format_t f, int scale)
{
	cairo_surface_t *ref = whole(m, v, f, scale);
	int ys[64], n = 0;
	ys[n++] = rv_split_y(m, v);
	ys[n++] = RV_RULER_H + 1;
	ys[n++] = v->height - 1;
	for (int y = RV_RULER_H + 2; y < v->height - 1 && n < 64; y += 23)
		ys[n++] = y;
	for (int k = 0; k < n; k++) {
		assert_true(ys[k] > RV_RULER_H && ys[k] < v->height);
		cairo_surface_t *s = split(m, v, f, scale, ys[k]);
		char at[32];
		const char *d = first_difference(ref, s, at, sizeof at);
		if (d)
			fail_msg("split at y %d (format %d, scale %d, "
				 "zoom %.4g ns/px, yscroll %g): differs at %s",
				 ys[k], f, scale, v->ns_per_px, v->yscroll, d);
		cairo_surface_destroy(s);
	}
	cairo_surface_destroy(ref);
	return n;
}

/* m split at every step-th row of views of the whole trace's ns a pixel
 * halved z0 .. z1 - 1 times, each the same as whole; how many splits. */
static int check_every_row(const rv_model *m, int width, int z0, int z1,
			   int step)
{
	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = { .width = width, .height = (int)g.total_h + RV_RULER_H };
	rv_view_fit(&v, m);
	const double full = v.ns_per_px;
	int n = 0;
	for (int z = z0; z < z1; z++) {
		v.ns_per_px = full / (1 << z);
		v.from = (double)m->t_min;
		cairo_surface_t *ref = whole(m, &v, CAIRO_FORMAT_RGB24, 1);
		for (int y = RV_RULER_H + 1; y < v.height; y += step, n++) {
			cairo_surface_t *sp = split(m, &v, CAIRO_FORMAT_RGB24,
						    1, y);
			char at[32];
			const char *d = first_difference(ref, sp, at, sizeof at);
			if (d)
				fail_msg("%u arrows, %.4g ns/px, split at y %d: "
					 "differs at %s", m->arrows.n,
					 v.ns_per_px, y, d);
			cairo_surface_destroy(sp);
		}
		cairo_surface_destroy(ref);
	}
	return n;
}

static void test_split_same_pixels(void **state)
{
	(void)state;
	need_split();
	int splits = 0;
	for (size_t d = 0; d < G_N_ELEMENTS(dbs); d++) {
		rv_model *m = load(dbs[d]);
		rv_view v = sample_view(m);
		const double full = v.ns_per_px;
		for (int z = 0; z < 4; z++) {
			const double zoom = z == 0 ? 1 : z == 1 ? 7 : z == 2 ? 60 : 900;
			v.ns_per_px = full / zoom;
			v.from = (double)m->t_min + (double)(m->t_max -
				 m->t_min) * 0.41 * (1 - 1 / zoom);
			/* scrolled: half rows at the top, and a fractional
			 * offset, as the scrollbar gives */
			v.yscroll = z == 2 ? 37.5 : z == 3 ? 16 : 0;
			v.has_sel = z == 1;
			v.sel_a = (int64_t)(v.from + 100 * v.ns_per_px);
			v.sel_b = (int64_t)(v.from + 260 * v.ns_per_px);
			splits += check_splits(m, &v, CAIRO_FORMAT_RGB24, 1);
			if (z == 1 || z == 2)
				splits += check_splits(m, &v,
						       CAIRO_FORMAT_ARGB32, 1);
			if (z == 2)
				splits += check_splits(m, &v,
						       CAIRO_FORMAT_RGB24, 2);
		}
		rv_model_free(m);
	}
	/* slanted arrows through every split row (every twelfth, dense),
	 * zoomed out and in */
	for (int dense = 0; dense < 2; dense++) {
		rv_model *m = dense ? slanted_model(6000, 4)
				    : slanted_model(4000, 1);
		assert_true(m->arrows.n > (dense ? 20000u : 1000u));
		/* dense: the zooms where the whole view has over 2000
		 * arrows and a band may have fewer */
		splits += dense ? check_every_row(m, 1200, 1, 4, 12)
				: check_every_row(m, 640, 0, 2, 2);
		rv_model_free(m);
	}
	cairo_debug_reset_static_data();
	assert_true(splits > 200);
}

/* The comparison sees a difference: a view scrolled one pixel further,
 * split, is not the whole picture of the view before. */
static void test_split_comparison_can_fail(void **state)
{
	(void)state;
	need_split();
	rv_model *m = load(dbs[2]);
	rv_view v = sample_view(m);
	cairo_surface_t *ref = whole(m, &v, CAIRO_FORMAT_RGB24, 1);
	rv_view moved = v;
	moved.yscroll = 1;
	cairo_surface_t *s = split(m, &moved, CAIRO_FORMAT_RGB24, 1,
				   rv_split_y(m, &moved));
	char at[32];
	assert_non_null(first_difference(ref, s, at, sizeof at));
	cairo_surface_destroy(s);
	cairo_surface_destroy(ref);
	rv_model_free(m);
	cairo_debug_reset_static_data();
}

/* A pixel in the body of img, as stored. */
static uint32_t body_pixel(cairo_surface_t *img)
{
	uint32_t p;
	cairo_surface_flush(img);
	memcpy(&p, cairo_image_surface_get_data(img) +
	       (size_t)cairo_image_surface_get_stride(img) * 200 + 4 * 400, 4);
	return p;
}

/* rv_draw_split on cr declines and leaves img (cr's pixels, or NULL)
 * as it was. */
static void assert_declines(const rv_model *m, const rv_view *v, cairo_t *cr,
			    cairo_surface_t *img, int y)
{
	const uint32_t before = img ? body_pixel(img) : 0;
	assert_false(rv_draw_split(cr, m, v, y));
	if (img)
		assert_int_equal(before, body_pixel(img));
}

static void test_split_declines(void **state)
{
	(void)state;
	rv_model *m = load(dbs[0]);
	rv_view v = sample_view(m);
	cairo_surface_t *img = blank(CAIRO_FORMAT_RGB24, &v, 1);
	cairo_t *cr = cairo_create(img);
	/* a split outside the body */
	assert_declines(m, &v, cr, img, RV_RULER_H);
	assert_declines(m, &v, cr, img, v.height);
	assert_declines(m, &v, cr, img, -5);
	/* a band is not split again */
	rv_view band = v;
	band.band_y1 = 300;
	assert_declines(m, &band, cr, img, 200);
	/* transformed, clipped */
	cairo_save(cr);
	cairo_translate(cr, 3, 0);
	assert_declines(m, &v, cr, img, 200);
	cairo_restore(cr);
	cairo_save(cr);
	cairo_rectangle(cr, 0, 0, 300, 300);
	cairo_clip(cr);
	assert_declines(m, &v, cr, img, 200);
	cairo_restore(cr);
	/* one thread asked for */
	g_setenv("RV_DRAW_THREADS", "1", TRUE);
	assert_declines(m, &v, cr, img, 200);
	g_unsetenv("RV_DRAW_THREADS");
	cairo_destroy(cr);
	cairo_surface_destroy(img);
	/* not an image: a recording, a subsurface */
	cairo_surface_t *rec = cairo_recording_surface_create(
		CAIRO_CONTENT_COLOR_ALPHA, NULL);
	cr = cairo_create(rec);
	assert_declines(m, &v, cr, NULL, 200);
	cairo_destroy(cr);
	cairo_surface_destroy(rec);
	img = blank(CAIRO_FORMAT_ARGB32, &v, 1);
	cairo_surface_t *sub = cairo_surface_create_for_rectangle(
		img, 0, 0, v.width, v.height);
	cr = cairo_create(sub);
	assert_declines(m, &v, cr, img, 200);
	cairo_destroy(cr);
	cairo_surface_destroy(sub);
	cairo_surface_destroy(img);
	rv_model_free(m);
	cairo_debug_reset_static_data();
}

/* Where rv_draw splits: inside the body, a band each side at least 32
 * rows; none in a view too short; and the heavier the rows below, the
 * lower the split, as it follows the rows' and lanes' costs. */
static void test_split_y(void **state)
{
	(void)state;
	rv_model *m = load(dbs[2]);
	rv_view v = sample_view(m);
	const int y = rv_split_y(m, &v);
	assert_true(y >= RV_RULER_H + 32 && y <= v.height - 32);
	rv_view tall = v;
	tall.height = 2000;
	rv_geom g;
	rv_geom_compute(m, &g);
	const int yt = rv_split_y(m, &tall);
	assert_true(yt >= RV_RULER_H + 32 && yt <= tall.height - 32);
	/* the whole body in view: the split is above its middle if the
	 * rows below outweigh the lanes above, never past its end */
	assert_true(yt <= RV_RULER_H + g.total_h);
	rv_view low = v;
	low.height = RV_RULER_H + 63;
	assert_int_equal(rv_split_y(m, &low), 0);
	rv_model_free(m);
}

/* A view narrower than its image: the split, as the whole frame, leaves
 * the columns right of the view as they were. */
static void test_split_narrow_view(void **state)
{
	(void)state;
	rv_model *m = load(dbs[2]);
	rv_view v = sample_view(m);
	rv_view wide = v;
	wide.width = 800;
	cairo_surface_t *s = blank(CAIRO_FORMAT_RGB24, &wide, 1);
	cairo_t *cr = cairo_create(s);
	assert_true(rv_draw_split(cr, m, &v, 200));
	cairo_destroy(cr);
	cairo_surface_flush(s);
	const unsigned char *d = cairo_image_surface_get_data(s);
	const int st = cairo_image_surface_get_stride(s);
	int kept = 0, drawn = 0;
	for (int y = 0; y < v.height; y++)
		for (int x = 0; x < wide.width; x++) {
			uint32_t p;
			memcpy(&p, d + (size_t)y * st + 4 * x, 4);
			if (x >= v.width)
				kept += (p & 0xffffff) == 0xff00ff;
			else
				drawn += (p & 0xffffff) != 0xff00ff;
		}
	assert_int_equal(kept, 100 * v.height);
	assert_int_equal(drawn, v.width * v.height);
	cairo_surface_destroy(s);
	rv_model_free(m);
	cairo_debug_reset_static_data();
}

/* Page faults taken (minor: first touches of the process's pages). */
static long faults_now(void)
{
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/* rv_draw_reserve takes the page faults of the split's images, 2 x 1562
 * pages of 4 KiB at 1600 x 1000 (larger than any other test's, so made here):
 * the split frame after it takes fewer than one image's pages (its
 * thread, column lookups, cairo's; 120-250 here, ~730 under ASan, whose
 * shadow pages fault too), where without it the same frame takes every
 * page of both images (3800 here). */
static void test_split_reserved(void **state)
{
	(void)state;
	rv_model *m = load(dbs[2]);
	rv_view v = { .width = 1600, .height = 1000 };
	rv_view_fit(&v, m);
	const long image_pages = 1600L * 4 * 1000 / sysconf(_SC_PAGESIZE);
	const long f0 = faults_now();
	rv_draw_reserve(v.width, v.height, 1);
	const long reserving = faults_now() - f0;
	cairo_surface_t *s = blank(CAIRO_FORMAT_RGB24, &v, 1);
	const long f1 = faults_now();
	cairo_t *cr = cairo_create(s);
	assert_true(rv_draw_split(cr, m, &v, 500));
	cairo_destroy(cr);
	const long framing = faults_now() - f1;
	fprintf(stderr, "faults: reserving %ld, the split frame %ld (an"
		" image %ld pages)\n", reserving, framing, image_pages);
	assert_true(reserving >= image_pages);
	assert_true(framing < image_pages);
	cairo_surface_destroy(s);
	rv_model_free(m);
	cairo_debug_reset_static_data();
}

/* Every frame rv_draw draws (two cores) is split, or drawn whole after a
 * split that was slower than whole would have been (split.c's pacing);
 * the counts add up, and each picture is the whole one. */
static void test_split_paced(void **state)
{
	(void)state;
	need_split();
	rv_model *m = load(dbs[2]);
	rv_view v = sample_view(m);
	cairo_surface_t *ref = whole(m, &v, CAIRO_FORMAT_RGB24, 1);
	int s0, slow0, w0, s1, slow1, w1;
	rv_split_counts(&s0, &slow0, &w0);
	for (int k = 0; k < 40; k++) {
		cairo_surface_t *s = blank(CAIRO_FORMAT_RGB24, &v, 1);
		cairo_t *cr = cairo_create(s);
		rv_draw(cr, m, &v);
		cairo_destroy(cr);
		cairo_surface_flush(s);
		char at[32];
		assert_null(first_difference(ref, s, at, sizeof at));
		cairo_surface_destroy(s);
	}
	rv_split_counts(&s1, &slow1, &w1);
	if (g_get_num_processors() < 2) {
		/* one core: rv_draw draws every frame whole, unpaced */
		assert_int_equal(s1 - s0 + w1 - w0, 0);
	} else {
		assert_int_equal((s1 - s0) + (w1 - w0), 40);
	}
	cairo_surface_destroy(ref);
	rv_model_free(m);
	cairo_debug_reset_static_data();
}

/* The pace alone, on made-up band times (ms as s): a slower split frame
 * has the next RV_PACE_FIRST frames drawn whole, then twice as many after
 * each slower one in a row, up to RV_PACE_MAX; one that was not slower
 * starts over; the split share moves towards even band times. */
static void test_split_pace(void **state)
{
	(void)state;
	rv_pace p = RV_PACE_INIT;
	assert_false(rv_pace_whole(&p));
	/* even bands, no wait: the share stays, nothing drawn whole */
	rv_pace_note(&p, 4, 4, 0.5);
	assert_true(p.share == 0.5);
	assert_false(rv_pace_whole(&p));
	/* the top band took a quarter: it is given more */
	rv_pace_note(&p, 1, 3, 0);
	assert_true(p.share > 0.6 && p.share < 0.7);
	rv_pace_note(&p, 3, 1, 0);   /* and three quarters: back */
	assert_true(p.share == 0.5);
	int expect = RV_PACE_FIRST, all = 0;
	for (int round = 0; round < 10; round++) {
		/* waited 5 for a band of 2: slower than whole */
		rv_pace_note(&p, 2, 2, 5);
		int whole = 0;
		while (rv_pace_whole(&p))
			whole++;
		assert_int_equal(whole, expect);
		all += whole;
		expect = MIN(2 * expect, RV_PACE_MAX);
	}
	assert_int_equal(expect, RV_PACE_MAX);
	assert_int_equal(p.slower, 10);
	/* one that was not slower: back to the first count */
	rv_pace_note(&p, 2, 2, 1);
	assert_false(rv_pace_whole(&p));
	rv_pace_note(&p, 2, 2, 3);
	int whole = 0;
	while (rv_pace_whole(&p))
		whole++;
	assert_int_equal(whole, RV_PACE_FIRST);
	assert_int_equal(p.split, 15);
	assert_int_equal(p.whole, all + RV_PACE_FIRST);
}

RS_TEST_SUITE(viewer_split,
	      cmocka_unit_test(test_split_pace),
	      cmocka_unit_test(test_split_paced),
	      cmocka_unit_test(test_split_narrow_view),
	      cmocka_unit_test(test_split_reserved),
	      cmocka_unit_test(test_split_same_pixels),
	      cmocka_unit_test(test_split_comparison_can_fail),
	      cmocka_unit_test(test_split_declines),
	      cmocka_unit_test(test_split_y))
