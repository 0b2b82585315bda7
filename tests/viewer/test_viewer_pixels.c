/*
 * test_viewer_pixels.c - the drawing's direct pixel stores (pixels.c, and
 * the batches and strips that use them) give the pixels cairo draws.
 *
 * Where the target is an image drawn 1:1, boxes are stored as pixels
 * instead of filled through cairo; everywhere else (a recording surface,
 * as GTK's window gives, an SVG document, a scaled surface) cairo fills
 * them. So the same calls are made twice on copies of one image: once on
 * the image itself, and once through a subsurface covering all of it,
 * which cairo draws into as into the image but which is no image surface,
 * so nothing is stored directly there: cairo's own drawing of the calls.
 * The two must agree in every byte. (A recording surface replayed onto
 * the image would not do: its replay of overlapping translucent boxes
 * already differs from drawing them straight, by a unit here and there.)
 * The calls are random boxes and colours (opaque, translucent,
 * transparent, out of range), clips and translations, on both pixel
 * formats the drawing meets (ARGB32 from the window, RGB24 from
 * --render).
 */
#include "testlib.h"

#include <cairo.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "view_fixture.h"

#define W 67
#define H 41

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
	rng = rng * 1664525u + 1013904223u;
	return rng >> 8;
}

static double unit(void)
{
	return (double)(rnd() % 10001) / 10000.0;
}

/* A colour of each sort in turn: opaque, translucent, transparent, and
 * components a little outside [0, 1] (cairo clamps them). */
static void colour(double c[4], int k)
{
	for (int i = 0; i < 3; i++)
		c[i] = unit();
	c[3] = k % 4 == 0 ? 1 : k % 4 == 1 ? unit() : k % 4 == 2 ? 0 : 0.8;
	if (k % 7 == 3) {
		c[0] = -0.2;
		c[1] = 1.3;
	}
}

/* A busy background, drawn by cairo: the same on both sides. */
static cairo_surface_t *background(cairo_format_t f)
{
	cairo_surface_t *s = cairo_image_surface_create(f, W, H);
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	for (int i = 0; i < 30; i++) {
		double c[4];
		colour(c, i);
		cairo_set_source_rgba(cr, c[0], c[1], c[2], c[3] ? c[3] : 0.5);
		cairo_rectangle(cr, rnd() % W, rnd() % H, rnd() % 20 + 1,
				rnd() % 20 + 1);
		cairo_fill(cr);
	}
	cairo_destroy(cr);
	cairo_surface_flush(s);
	return s;
}

static cairo_surface_t *copy(cairo_surface_t *src)
{
	cairo_surface_t *s = cairo_image_surface_create(
		cairo_image_surface_get_format(src), W, H);
	cairo_t *cr = cairo_create(s);
	cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
	cairo_set_source_surface(cr, src, 0, 0);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	return s;
}

typedef void (*draw_fn)(cairo_t *cr, uint32_t seed);

/* draw on an image with bg's pixels, and through a subsurface of
 * another such image: every byte must agree. Returns how
 * many pixels the drawing changed, so a test can see it did something. */
static int compare(cairo_format_t f, draw_fn draw, uint32_t seed)
{
	cairo_surface_t *bg = background(f);
	cairo_surface_t *direct = copy(bg), *through = copy(bg);
	cairo_t *cr = cairo_create(direct);
	draw(cr, seed);
	cairo_destroy(cr);
	cairo_surface_flush(direct);

	/* a subsurface of the whole image: cairo draws through it into the
	 * image as it would into the image itself, but it is not an image
	 * surface, so the drawing takes cairo's path */
	cairo_surface_t *sub = cairo_surface_create_for_rectangle(through, 0,
								  0, W, H);
	cr = cairo_create(sub);
	draw(cr, seed);
	cairo_destroy(cr);
	cairo_surface_destroy(sub);
	cairo_surface_flush(through);

	const int stride = cairo_image_surface_get_stride(bg);
	const uint8_t *a = cairo_image_surface_get_data(direct);
	const uint8_t *b = cairo_image_surface_get_data(through);
	const uint8_t *o = cairo_image_surface_get_data(bg);
	int changed = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint32_t pa, pb, po;
			memcpy(&pa, a + y * stride + 4 * x, 4);
			memcpy(&pb, b + y * stride + 4 * x, 4);
			memcpy(&po, o + y * stride + 4 * x, 4);
			if (f == CAIRO_FORMAT_RGB24) {
				/* the byte RGB24 leaves unused */
				pa &= 0xffffff;
				pb &= 0xffffff;
				po &= 0xffffff;
			}
			if (pa != pb)
				fail_msg("format %d seed %u: pixel %d,%d is %08x "
					 "stored, %08x as cairo draws it", f,
					 seed, x, y, pa, pb);
			changed += pa != po;
		}
	cairo_surface_destroy(bg);
	cairo_surface_destroy(direct);
	cairo_surface_destroy(through);
	return changed;
}

/* rv_batch: boxes of a few colours, fractional and overlapping, under a
 * whole-pixel clip and translation. */
static void draw_batch(cairo_t *cr, uint32_t seed)
{
	rng = seed;
	cairo_translate(cr, (int)(rnd() % 5) - 2, (int)(rnd() % 5) - 2);
	cairo_rectangle(cr, rnd() % 10, rnd() % 10, W - rnd() % 20,
			H - rnd() % 20);
	cairo_clip(cr);
	double c[6][4];
	for (int k = 0; k < 6; k++)
		colour(c[k], (int)(seed + (uint32_t)k));
	rv_batch *b = rv_batch_new(cr);
	/* one band left to right, as draw_spans adds its marks: disjoint */
	double x = 0;
	while (x < W) {
		double w = 0.3 + unit() * 4;
		rv_batch_rect(b, c[rnd() % 2], x, 3.4, w, 20);
		x += w + (rnd() % 3 ? 0 : unit() * 2);
	}
	rv_batch_flush(b);
	/* anything: overlapping, zero-sized, off the surface */
	for (int i = 0; i < 60; i++)
		rv_batch_rect(b, c[2 + rnd() % 4], unit() * (W + 20) - 10,
			      unit() * (H + 20) - 10, unit() * 12,
			      i % 9 ? unit() * 6 : 0.2);
	rv_batch_free(b);
	/* what the flush leaves: the last colour as the source */
	cairo_rectangle(cr, 1, 1, 3, 3);
	cairo_fill(cr);
}

/* rv_strip, recorded and immediate: opaque marks that overwrite each
 * other. */
static void draw_strips(cairo_t *cr, uint32_t seed)
{
	rng = seed;
	cairo_rectangle(cr, 2, 1, W - 5, H - 3);
	cairo_clip(cr);
	for (int now = 0; now < 2; now++) {
		const int sy = (int)(rnd() % 10);
		rv_strip *s = now ? rv_strip_now(cr, 5, sy, W - 10, 17)
				  : rv_strip_new(0, sy, W + 5, 17);
		for (int i = 0; i < 80; i++) {
			double c[4];
			colour(c, 0);   /* opaque: strips take those */
			const int x0 = (int)(rnd() % (W + 10)) - 5;
			const int y0 = sy + (int)(rnd() % 23) - 3;
			if (i % 2)
				rv_strip_fill(s, x0, x0 + (int)(rnd() % 9),
					      y0, y0 + (int)(rnd() % 7), c);
			else
				rv_strip_put(s, x0, x0 + 1, y0, y0 + 5,
					     rv_strip_argb(c));
		}
		rv_strip_paint(cr, s);
		rv_strip_free(s);
	}
}

static void test_pixels_batch_like_cairo(void **state)
{
	int changed = 0;
	for (uint32_t seed = 1; seed <= 40; seed++) {
		changed += compare(CAIRO_FORMAT_ARGB32, draw_batch, seed);
		changed += compare(CAIRO_FORMAT_RGB24, draw_batch, seed);
	}
	assert_true(changed > 40 * W * H / 4);
}

static void test_pixels_strip_like_cairo(void **state)
{
	int changed = 0;
	for (uint32_t seed = 1; seed <= 40; seed++) {
		changed += compare(CAIRO_FORMAT_ARGB32, draw_strips, seed);
		changed += compare(CAIRO_FORMAT_RGB24, draw_strips, seed);
	}
	assert_true(changed > 40 * W * 8);
}

/* Arrows of one colour: rv_arrow_lines against stroking all of them as
 * one path, as they were drawn before (antialias FAST, 1 px). Lines are
 * vertical on pixel centres between whole rows (the ones filled as
 * boxes), some of them overlapping, and sloping ones, near the vertical
 * ones or apart from them. */
static void arrows_as_strokes(cairo_t *cr, uint32_t seed)
{
	const bool stroke = seed & 1u << 31;   /* the old way */
	seed &= ~(1u << 31);
	rng = seed;
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
	cairo_set_line_width(cr, 1);
	double seg[4 * 40];
	const unsigned n = 1 + rnd() % 40;
	for (unsigned i = 0; i < n; i++) {
		double *l = &seg[4 * i];
		l[0] = (double)(rnd() % W) + 0.5;
		l[1] = (double)(rnd() % H);
		l[2] = l[0];
		l[3] = (double)(rnd() % H);
		if (rnd() % 4 == 0) {   /* sloping: across or off to one side */
			l[0] = (seed % 3 ? 0 : W / 2) + unit() * W / 2;
			l[2] = l[0] + unit() * 9 - 4;
			l[1] += unit();
		}
	}
	cairo_set_source_rgba(cr, 0.0, 0.65, 0.0, (double)(1 + seed % 16) / 16);
	if (stroke) {
		cairo_new_path(cr);
		for (unsigned i = 0; i < n; i++) {
			cairo_move_to(cr, seg[4 * i], seg[4 * i + 1]);
			cairo_line_to(cr, seg[4 * i + 2], seg[4 * i + 3]);
		}
		cairo_stroke(cr);
	} else {
		rv_arrow_lines(cr, seg, n);
	}
}

static void test_pixels_arrows_like_strokes(void **state)
{
	for (uint32_t seed = 1; seed <= 300; seed++)
		for (int f = 0; f < 2; f++) {
			const cairo_format_t fmt = f ? CAIRO_FORMAT_RGB24
						     : CAIRO_FORMAT_ARGB32;
			cairo_surface_t *bg = background(fmt);
			cairo_surface_t *a = copy(bg), *b = copy(bg);
			cairo_t *cr = cairo_create(a);
			arrows_as_strokes(cr, seed);
			cairo_destroy(cr);
			cr = cairo_create(b);
			arrows_as_strokes(cr, seed | 1u << 31);
			cairo_destroy(cr);
			cairo_surface_flush(a);
			cairo_surface_flush(b);
			const int stride = cairo_image_surface_get_stride(a);
			if (memcmp(cairo_image_surface_get_data(a),
				   cairo_image_surface_get_data(b),
				   (size_t)stride * H))
				fail_msg("format %d seed %u: arrows drawn "
					 "otherwise than stroked", fmt, seed);
			cairo_surface_destroy(a);
			cairo_surface_destroy(b);
			cairo_surface_destroy(bg);
		}
}

/* Where pixels would not be cairo's picture, rv_px_begin declines. */
static void test_pixels_declined(void **state)
{
	rv_px p;
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32,
							 W, H);
	cairo_t *cr = cairo_create(s);
	assert_true(rv_px_begin(cr, &p));
	rv_px_end(&p);
	assert_int_equal(p.x1 - p.x0, W);
	cairo_translate(cr, 0.5, 0);
	assert_false(rv_px_begin(cr, &p));       /* half a pixel off */
	cairo_identity_matrix(cr);
	cairo_scale(cr, 2, 2);
	assert_false(rv_px_begin(cr, &p));       /* scaled */
	cairo_identity_matrix(cr);
	cairo_rectangle(cr, 0, 0, 10, 10);
	cairo_rectangle(cr, 20, 20, 10, 10);
	cairo_clip(cr);
	assert_false(rv_px_begin(cr, &p));       /* two rectangles */
	cairo_reset_clip(cr);
	cairo_rectangle(cr, 0.5, 0, 10, 10);
	cairo_clip(cr);
	assert_false(rv_px_begin(cr, &p));       /* a fractional clip */
	cairo_reset_clip(cr);
	cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
	assert_false(rv_px_begin(cr, &p));
	cairo_destroy(cr);
	cairo_surface_set_device_scale(s, 2, 2);  /* HiDPI */
	cr = cairo_create(s);
	assert_false(rv_px_begin(cr, &p));
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	s = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
	cr = cairo_create(s);
	assert_false(rv_px_begin(cr, &p));
	cairo_destroy(cr);
	cairo_surface_destroy(s);
}

/* Whole frames of the sample traces at several widths and zooms, into
 * both formats: the same as cairo draws them, byte for byte. (The big
 * synthetic trace's frames are compared in test_viewer_frames.c.) */
static void test_pixels_frames_like_cairo(void **state)
{
	static const char *const dbs[] = { "samples/traces/crash.db",
		"samples/traces/hang.db", "samples/traces/pingpong.db" };
	static const int widths[] = { 1200, 317 };
	for (size_t d = 0; d < sizeof dbs / sizeof *dbs; d++) {
		rv_model *m = load(dbs[d]);
		for (size_t k = 0; k < sizeof widths / sizeof *widths; k++) {
			rv_view v = { .width = widths[k], .height = 500 };
			rv_view_fit(&v, m);
			const double full = v.ns_per_px;
			for (double z = 1; z < 1e4; z *= 9) {
				v.ns_per_px = full / z;
				v.from = (double)m->t_min + (double)(m->t_max -
					m->t_min) * 0.37 * (1 - 1 / z);
				v.yscroll = z > 10 ? 16 : 0;
				assert_true(assert_frame_as_cairo(m, &v,
					CAIRO_FORMAT_RGB24) > 1000);
				assert_frame_as_cairo(m, &v, CAIRO_FORMAT_ARGB32);
			}
		}
		rv_model_free(m);
	}
}

RS_TEST_SUITE(viewer_pixels,
	      cmocka_unit_test(test_pixels_batch_like_cairo),
	      cmocka_unit_test(test_pixels_strip_like_cairo),
	      cmocka_unit_test(test_pixels_arrows_like_strokes),
	      cmocka_unit_test(test_pixels_declined),
	      cmocka_unit_test(test_pixels_frames_like_cairo))
