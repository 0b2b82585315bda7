/*
 * view_fixture.h - what the in-process drawing suites (test_viewer_truth.c,
 * test_viewer_zoom.c, test_viewer_sum*.c, ...) share: a model loaded from a database, a view drawn
 * into a fresh RGB picture by the viewer's own rv_draw, and its pixels.
 */
#ifndef VIEW_FIXTURE_H
#define VIEW_FIXTURE_H

#include <cairo.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "lod.h"
#include "model.h"
#include "sum.h"
#include "testlib.h"

typedef struct {
	cairo_surface_t *s;
	int w, h, stride;
	const unsigned char *d;
} pic;

static inline pic draw_view(const rv_model *m, const rv_view *v)
{
	pic p;
	p.s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, v->width, v->height);
	cairo_t *cr = cairo_create(p.s);
	rv_draw(cr, m, v);
	cairo_destroy(cr);
	cairo_surface_flush(p.s);
	/* cairo's font caches hold fontconfig patterns */
	cairo_debug_reset_static_data();
	p.w = v->width;
	p.h = v->height;
	p.stride = cairo_image_surface_get_stride(p.s);
	p.d = cairo_image_surface_get_data(p.s);
	return p;
}

/* m drawn in v by rv_draw into a fresh RGB surface (the caller's). */
static inline cairo_surface_t *draw_surface(const rv_model *m,
					    const rv_view *v)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							v->width, v->height);
	cairo_t *cr = cairo_create(s);
	rv_draw(cr, m, v);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	return s;
}

/* A view of 400 columns whose columns lie on the summaries' grid (sum.h):
 * ns a pixel and the start multiples of 2^*shift, the frame's snapping
 * shift (asserted). Zoom z = 0 spreads m's whole trace over the columns
 * and each z on halves that, a third of the way in. */
static inline rv_view grid_view(const rv_model *m, int height, int z,
				int *shift)
{
	rv_view v = { .width = RV_LEFT_W + 400, .height = height };
	const int64_t whole = m->t_max - m->t_min;
	const int64_t want = whole / 400 >> z;
	const int sh = 63 - __builtin_clzll((uint64_t)want) - 1;
	v.ns_per_px = (double)((want >> sh) << sh);
	assert_int_equal(rv_sum_shift(&v), sh);
	v.from = (double)((m->t_min + (whole - 400 * (int64_t)v.ns_per_px) /
			   3) >> sh << sh);
	*shift = sh;
	return v;
}

/* Two surfaces of one size hold the same pixels. */
static inline bool same_pixels(cairo_surface_t *a, cairo_surface_t *b)
{
	const int h = cairo_image_surface_get_height(a);
	const int st = cairo_image_surface_get_stride(a);
	return !memcmp(cairo_image_surface_get_data(a),
		       cairo_image_surface_get_data(b), (size_t)h * (size_t)st);
}

/* Every event time of trace 1 in path, in the model's order (time, then
 * CPU), from the database's `events` table; *n of them. g_free it. */
static inline int64_t *db_event_times(const char *path, uint64_t *n)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT ts_ns FROM events WHERE"
					    " trace_id = 1 ORDER BY ts_ns, cpu",
					    -1, &st, NULL), SQLITE_OK);
	uint64_t cap = 4096;
	int64_t *t = g_new(int64_t, cap);
	*n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap)
			t = g_renew(int64_t, t, cap *= 2);
		t[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t;
}

static inline void px(const pic *p, int x, int y, int *r, int *g, int *b)
{
	assert_true(x >= 0 && x < p->w && y >= 0 && y < p->h);
	uint32_t v = *(const uint32_t *)(p->d + y * p->stride + x * 4);
	*r = (v >> 16) & 255;
	*g = (v >> 8) & 255;
	*b = v & 255;
}

/* A line or text pixel, whatever its hue. */
static inline bool is_dark(int r, int g, int b)
{
	return r < 110 && g < 110 && b < 110;
}

/* Ink of a promise's line or end mark (0.25 grey, antialiased). */
static inline bool is_grey_ink(int r, int g, int b)
{
	return r < 170 && g < 170 && b < 170 && abs(r - g) < 30 &&
	       abs(g - b) < 30;
}

/* Around a line's end at x1 on line y ly: grey ink 4 px above and below
 * it within 8 px before x1, where the end-unknown mark's two slanted
 * strokes lie (draw_promises.c), and on the line 2-4 px after x1, where
 * a never-resolved arrowhead would. */
typedef struct {
	int above, below, after;
} end_ink;

static inline end_ink end_mark_ink(const pic *p, int x1, int ly)
{
	end_ink k = { 0, 0, 0 };
	int r, g, b;
	for (int x = x1 - 8; x <= x1 - 1; x++) {
		px(p, x, ly - 4, &r, &g, &b);
		k.above += is_grey_ink(r, g, b);
		px(p, x, ly + 4, &r, &g, &b);
		k.below += is_grey_ink(r, g, b);
	}
	for (int x = x1 + 2; x <= x1 + 4; x++) {
		px(p, x, ly, &r, &g, &b);
		k.after += is_grey_ink(r, g, b);
	}
	return k;
}

/* v drawn twice in format f: straight onto an image, where the drawing
 * stores most boxes as pixels (pixels.c), and through a subsurface of an
 * image, which cairo draws into as into the image itself but where the
 * drawing fills everything through cairo. Fails at the first pixel that
 * differs (RGB24's unused byte aside); returns how many pixels are not
 * the background's white, so a caller can see there was a picture. */
static inline int assert_frame_as_cairo(const rv_model *m, const rv_view *v,
					cairo_format_t f)
{
	cairo_surface_t *s[2];
	for (int k = 0; k < 2; k++) {
		s[k] = cairo_image_surface_create(f, v->width, v->height);
		cairo_surface_t *t = k ? cairo_surface_create_for_rectangle(
			s[k], 0, 0, v->width, v->height) : cairo_surface_reference(s[k]);
		cairo_t *cr = cairo_create(t);
		rv_draw(cr, m, v);
		cairo_destroy(cr);
		cairo_surface_destroy(t);
		cairo_surface_flush(s[k]);
	}
	const int stride = cairo_image_surface_get_stride(s[0]);
	const uint32_t mask = f == CAIRO_FORMAT_RGB24 ? 0xffffff : 0xffffffff;
	int inked = 0;
	for (int y = 0; y < v->height; y++)
		for (int x = 0; x < v->width; x++) {
			uint32_t a, b;
			memcpy(&a, cairo_image_surface_get_data(s[0]) +
			       y * stride + 4 * x, 4);
			memcpy(&b, cairo_image_surface_get_data(s[1]) +
			       y * stride + 4 * x, 4);
			if ((a ^ b) & mask)
				fail_msg("%dx%d from %.0f at %.4g ns/px: pixel "
					 "%d,%d is %08x, cairo draws %08x",
					 v->width, v->height, v->from,
					 v->ns_per_px, x, y, a, b);
			inked += (a & 0xffffff) != 0xffffff;
		}
	cairo_surface_destroy(s[0]);
	cairo_surface_destroy(s[1]);
	cairo_debug_reset_static_data();
	return inked;
}

/* An empty model of one CPU, for events a test feeds through
 * rv_builder_new / rv_builder_event / rv_builder_finish. */
static inline rv_model *fed_model_new(void)
{
	rv_model *m = g_new0(rv_model, 1);
	m->ncpus = 1;
	m->strings = g_string_chunk_new(4096);
	return m;
}

/* A fed model, its builder finished, laid out as a load lays it out
 * (model.c's lay_out, on one thread): rows and touches, fingers,
 * summaries. */
static inline void fed_model_lay_out(rv_model *m)
{
	rv_layout(m);
	rv_lod_index_all(m);
	rv_lod_summarise(m);
}

static inline rv_model *load(const char *db)
{
	char err[256];
	rv_model *m = rv_model_load(db, err, sizeof err);
	if (!m)
		fail_msg("%s", err);
	return m;
}

#endif
