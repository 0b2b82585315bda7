/*
 * strip.c - pixel strips: the per-pixel-column marks of a zoomed-out
 * frame, written as pixels and painted with one blit.
 *
 * Zoomed out, every row, lane and counter of a big trace becomes about
 * one mark per pixel column: ~20 000 tiny rectangles or line segments a
 * frame. Given to cairo as paths they cost it ~0.3 us each in path and
 * rasterizer set-up (a 1200x700 frame of a 10 M-event trace spent ~17 ms
 * there). Here they are stores into a small ARGB image instead, and cairo
 * composites that image once, so the cost is the pixels themselves.
 *
 * Coordinates are whole device pixels: callers round. A later write to a
 * pixel replaces an earlier one (drawing order within a strip), and the
 * strip as a whole is composited OVER what is already drawn.
 */
#include "draw.h"

#include <assert.h>
#include <glib.h>
#include <math.h>
#include <string.h>

struct rv_strip {
	cairo_surface_t *s;
	uint32_t *px;
	int x, y, w, h, stride;   /* device position and size; stride in px */
};

rv_strip *rv_strip_new(int x, int y, int w, int h)
{
	rv_strip *s = g_new0(rv_strip, 1);
	s->x = x;
	s->y = y;
	s->w = w > 0 ? w : 1;
	s->h = h > 0 ? h : 1;
	s->s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, s->w, s->h);
	s->px = (uint32_t *)(void *)cairo_image_surface_get_data(s->s);
	s->stride = cairo_image_surface_get_stride(s->s) / 4;
	/* A fresh image surface is transparent black (all zero). */
	return s;
}

/* Premultiplied ARGB32, as cairo stores it. */
static uint32_t argb(const double rgba[4])
{
	double a = fmin(fmax(rgba[3], 0), 1);
	uint32_t A = (uint32_t)lround(a * 255);
	uint32_t R = (uint32_t)lround(fmin(fmax(rgba[0], 0), 1) * a * 255);
	uint32_t G = (uint32_t)lround(fmin(fmax(rgba[1], 0), 1) * a * 255);
	uint32_t B = (uint32_t)lround(fmin(fmax(rgba[2], 0), 1) * a * 255);
	return A << 24 | R << 16 | G << 8 | B;
}

void rv_strip_fill(rv_strip *s, int x0, int x1, int y0, int y1,
		   const double rgba[4])
{
	assert(s && rgba);
	x0 -= s->x; x1 -= s->x;
	y0 -= s->y; y1 -= s->y;
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > s->w ? s->w : x1;
	y1 = y1 > s->h ? s->h : y1;
	if (x0 >= x1 || y0 >= y1)
		return;
	const uint32_t c = argb(rgba);
	for (int y = y0; y < y1; y++) {
		uint32_t *row = s->px + (size_t)y * (size_t)s->stride;
		for (int x = x0; x < x1; x++)
			row[x] = c;
	}
}

void rv_strip_paint(cairo_t *cr, rv_strip *s)
{
	cairo_surface_mark_dirty(s->s);
	cairo_save(cr);
	cairo_set_source_surface(cr, s->s, s->x, s->y);
	cairo_rectangle(cr, s->x, s->y, s->w, s->h);
	cairo_fill(cr);
	cairo_restore(cr);
}

void rv_strip_free(rv_strip *s)
{
	if (!s)
		return;
	cairo_surface_destroy(s->s);
	g_free(s);
}
