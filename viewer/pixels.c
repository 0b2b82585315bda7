/*
 * pixels.c - filling pixel-aligned boxes by storing pixels into the
 * target image, where cairo would have filled them through a path.
 *
 * A zoomed-out frame of a big trace fills ~20 000 boxes a pixel or a few
 * wide (lanes, bands, promise lines, per-column marks). Through cairo each
 * costs a path, a tessellation check and a compositor call: ~700
 * instructions before its first pixel (bench/README.md). Where the target
 * is an image surface drawn 1:1 -- the PNG export, the bench, the window's
 * own frame buffer (window.c) -- a box is a few stores instead.
 *
 * The pixels are the ones cairo would have drawn: a colour becomes the
 * premultiplied 8-bit value cairo's image compositor uses (each channel
 * times alpha to 16 bits, rounded, then its high byte), stored as is when
 * opaque and otherwise composited OVER with pixman's arithmetic (x * a /
 * 255 rounded as pixman does, then a saturating add). test_viewer_pixels
 * checks this against cairo's own fills on both image formats.
 *
 * Anything else -- SVG and PDF documents, which must stay vector; a
 * recording surface; a device scale or transform; a clip that is not one
 * whole-pixel rectangle; another operator or fill rule -- is not taken:
 * rv_px_begin says no and the caller fills through cairo as before.
 */
#include "draw.h"

#include <glib.h>
#include <math.h>
#include <string.h>

/* A whole number, as doubles from cairo's clip and matrix must be for a
 * box on whole user pixels to be one on whole device pixels. */
static bool whole(double d, int *out)
{
	if (!(fabs(d) < 1e8) || d != floor(d))
		return false;
	*out = (int)d;
	return true;
}

/* The clip as one rectangle in device pixels, intersected with what is
 * already in p; false if cairo cannot say it as one whole rectangle. */
static bool clip_box(cairo_t *cr, rv_px *p)
{
	cairo_rectangle_list_t *l = cairo_copy_clip_rectangle_list(cr);
	bool ok = l->status == CAIRO_STATUS_SUCCESS && l->num_rectangles <= 1;
	if (ok && l->num_rectangles == 0) {
		p->x1 = p->x0;   /* clipped away: nothing is drawn */
	} else if (ok) {
		const cairo_rectangle_t *r = &l->rectangles[0];
		int x, y, w, h;
		ok = whole(r->x, &x) && whole(r->y, &y) &&
		     whole(r->width, &w) && whole(r->height, &h);
		if (ok) {
			x += p->dx;
			y += p->dy;
			p->x0 = MAX(p->x0, x);
			p->y0 = MAX(p->y0, y);
			p->x1 = MIN(p->x1, x + w);
			p->y1 = MIN(p->y1, y + h);
		}
	}
	cairo_rectangle_list_destroy(l);
	return ok;
}

bool rv_rgb_image(cairo_surface_t *s)
{
	if (cairo_surface_get_type(s) != CAIRO_SURFACE_TYPE_IMAGE)
		return false;
	const cairo_format_t f = cairo_image_surface_get_format(s);
	return f == CAIRO_FORMAT_ARGB32 || f == CAIRO_FORMAT_RGB24;
}

bool rv_px_begin(cairo_t *cr, rv_px *p)
{
	memset(p, 0, sizeof *p);
	cairo_surface_t *s = cairo_get_group_target(cr);
	if (!rv_rgb_image(s))
		return false;
	if (cairo_get_operator(cr) != CAIRO_OPERATOR_OVER ||
	    cairo_get_fill_rule(cr) != CAIRO_FILL_RULE_WINDING)
		return false;
	double sx, sy, ox, oy;
	cairo_surface_get_device_scale(s, &sx, &sy);
	cairo_surface_get_device_offset(s, &ox, &oy);
	cairo_matrix_t mx;
	cairo_get_matrix(cr, &mx);
	int tx, ty, dox, doy;
	if (sx != 1 || sy != 1 || mx.xx != 1 || mx.yy != 1 || mx.xy != 0 ||
	    mx.yx != 0 || !whole(mx.x0, &tx) || !whole(mx.y0, &ty) ||
	    !whole(ox, &dox) || !whole(oy, &doy))
		return false;
	/* the clip list is in user space: dx, dy take user to device */
	p->dx = tx + dox;
	p->dy = ty + doy;
	p->x1 = cairo_image_surface_get_width(s);
	p->y1 = cairo_image_surface_get_height(s);
	if (!clip_box(cr, p))
		return false;
	cairo_surface_flush(s);
	p->s = s;
	p->px = (uint32_t *)(void *)cairo_image_surface_get_data(s);
	p->stride = cairo_image_surface_get_stride(s) / 4;
	return p->px != NULL;
}

void rv_px_end(rv_px *p)
{
	if (p->s)
		cairo_surface_mark_dirty(p->s);
	p->s = NULL;
}

/* cairo's _cairo_color_double_to_short, then the high byte. */
static uint32_t chan(double v)
{
	return (uint32_t)(uint16_t)(v * 65535.0 + 0.5) >> 8;
}

uint32_t rv_px_colour(const double rgba[4])
{
	/* cairo_set_source_rgba clamps each component to [0, 1] */
	double c[4];
	for (int k = 0; k < 4; k++)
		c[k] = rgba[k] < 0 ? 0 : rgba[k] > 1 ? 1 : rgba[k];
	return chan(c[3]) << 24 | chan(c[0] * c[3]) << 16 |
	       chan(c[1] * c[3]) << 8 | chan(c[2] * c[3]);
}

/* pixman's OVER of a premultiplied solid s on one pixel d: each channel
 * d * (255 - sa) / 255, rounded as pixman's UN8 multiply, plus s,
 * saturated; two channels at a time in 16-bit lanes. */
static inline uint32_t over(uint32_t s, uint32_t d, uint32_t ia)
{
	uint32_t rb = (d & 0x00ff00ffu) * ia + 0x00800080u;
	rb = ((rb + ((rb >> 8) & 0x00ff00ffu)) >> 8) & 0x00ff00ffu;
	uint32_t ag = ((d >> 8) & 0x00ff00ffu) * ia + 0x00800080u;
	ag = ((ag + ((ag >> 8) & 0x00ff00ffu)) >> 8) & 0x00ff00ffu;
	rb += s & 0x00ff00ffu;
	ag += (s >> 8) & 0x00ff00ffu;
	/* saturate: a lane that passed 255 set its bit 8 */
	rb |= 0x01000100u - ((rb >> 8) & 0x00010001u);
	ag |= 0x01000100u - ((ag >> 8) & 0x00010001u);
	return (rb & 0x00ff00ffu) | (ag & 0x00ff00ffu) << 8;
}

void rv_px_over(const rv_px *p, int x0, int x1, int y0, int y1, uint32_t c)
{
	if (!(c >> 24))
		return;   /* a transparent source leaves OVER's target as is */
	const uint32_t ia = 255 - (c >> 24);
	for (int y = y0; y < y1; y++) {
		uint32_t *row = p->px + (size_t)y * (size_t)p->stride;
		for (int x = x0; x < x1; x++)
			row[x] = over(c, row[x], ia);
	}
}
