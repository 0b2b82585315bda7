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
 *
 * Fills are recorded as they come and carried out at rv_strip_paint,
 * when the strip's place in the drawing order is reached. Where the
 * target is an image drawn 1:1 (pixels.c) and every fill is opaque, they
 * are stored straight into the target there, in order: the same pixels
 * as compositing the strip's image (an opaque pixel OVER anything is
 * itself), without making, clearing and compositing an image per strip
 * (a deep frame's running overlays made ~1300 of them, 9 M instructions
 * of calloc and memset alone). Otherwise they are written into the
 * image and that is composited as before. A strip made by rv_strip_now,
 * whose caller draws nothing else until it is painted (a packed row, a
 * counter), stores its fills as they come: nothing to record.
 *
 * Into a vector document (the SVG export) an image would be a raster
 * blob in the drawing: there the strip's pixels are painted as filled
 * rectangles instead, one path per colour, the same picture as shapes.
 */
#include "draw.h"

#include <assert.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Colours a strip remembers converted: its fills take turns among a few
 * (a row's area, ticks and touch marks; a running bar's edge and
 * inside), and the conversion, four lround, was a third of a fill. */
#define STRIP_COLOURS 8

/* One recorded fill, clipped to the strip, in its own pixels. */
typedef struct {
	uint16_t x0, x1, y0, y1;
	uint32_t c;
} strip_op;

/* A strip's fills, grown by doubling. */
typedef struct {
	uint32_t cap;
	strip_op op[];
} strip_ops;

struct rv_strip {
	int x, y, w, h;           /* device position and size */
	strip_ops *ops;
	uint32_t nop;
	bool translucent;         /* a fill is not opaque: needs the image */
	/* rv_strip_now's, when cr's target takes pixels: fills are stored
	 * there as they come */
	bool now;
	rv_px target;
	double rgba[STRIP_COLOURS][4];
	uint32_t c[STRIP_COLOURS];
	int ncol, next;           /* remembered; the one to replace next */
	/* the image, made at paint time when the fills cannot go straight
	 * to the target */
	cairo_surface_t *s;
	uint32_t *px;
	int stride;               /* in pixels */
};

/* A freed strip's fill array, for the next strip: a frame makes one
 * strip per row and more, each filling thousands. Taken and given back
 * atomically, as strips may be drawn on several threads. */
static strip_ops *spare;

rv_strip *rv_strip_new(int x, int y, int w, int h)
{
	rv_strip *s = g_new0(rv_strip, 1);
	s->x = x;
	s->y = y;
	/* recorded coordinates are 16 bits; cairo's images stop at 32767 */
	s->w = w < 1 ? 1 : w > 32767 ? 32767 : w;
	s->h = h < 1 ? 1 : h > 32767 ? 32767 : h;
	s->ops = g_atomic_pointer_exchange(&spare, NULL);
	return s;
}

/* Premultiplied ARGB32, as cairo stores it. */
uint32_t rv_strip_argb(const double rgba[4])
{
	double a = fmin(fmax(rgba[3], 0), 1);
	uint32_t A = (uint32_t)lround(a * 255);
	uint32_t R = (uint32_t)lround(fmin(fmax(rgba[0], 0), 1) * a * 255);
	uint32_t G = (uint32_t)lround(fmin(fmax(rgba[1], 0), 1) * a * 255);
	uint32_t B = (uint32_t)lround(fmin(fmax(rgba[2], 0), 1) * a * 255);
	return A << 24 | R << 16 | G << 8 | B;
}

/* argb(rgba), remembered: equal components give the same pixel. */
static uint32_t strip_colour(rv_strip *s, const double rgba[4])
{
	for (int i = 0; i < s->ncol; i++) {
		const double *k = s->rgba[i];
		if (k[0] == rgba[0] && k[1] == rgba[1] && k[2] == rgba[2] &&
		    k[3] == rgba[3])
			return s->c[i];
	}
	const int i = s->ncol < STRIP_COLOURS ? s->ncol++ : s->next;
	s->next = (i + 1) % STRIP_COLOURS;
	memcpy(s->rgba[i], rgba, sizeof s->rgba[i]);
	s->c[i] = rv_strip_argb(rgba);
	return s->c[i];
}

rv_strip *rv_strip_now(cairo_t *cr, int x, int y, int w, int h)
{
	rv_strip *s = rv_strip_new(x, y, w, h);
	s->now = rv_px_begin(cr, &s->target);
	if (s->now) {
		/* the strip's bounds are a clip of its own */
		rv_px *p = &s->target;
		p->x0 = MAX(p->x0, s->x + p->dx);
		p->y0 = MAX(p->y0, s->y + p->dy);
		p->x1 = MIN(p->x1, s->x + s->w + p->dx);
		p->y1 = MIN(p->y1, s->y + s->h + p->dy);
	}
	return s;
}

const rv_px *rv_strip_direct(const rv_strip *s)
{
	if (!s->now)
		return NULL;
	/* rv_strip_now narrowed the clip to the strip: it is the strip's
	 * own bounds when the target's clip cut none of it */
	const rv_px *p = &s->target;
	const bool whole = p->x0 == s->x + p->dx && p->y0 == s->y + p->dy &&
			   p->x1 == s->x + s->w + p->dx &&
			   p->y1 == s->y + s->h + p->dy;
	return whole ? p : NULL;
}

void rv_strip_fill(rv_strip *s, int x0, int x1, int y0, int y1,
		   const double rgba[4])
{
	assert(s && rgba);
	rv_strip_put(s, x0, x1, y0, y1, strip_colour(s, rgba));
}

void rv_strip_put(rv_strip *s, int x0, int x1, int y0, int y1, uint32_t c)
{
	assert(s);
	if (s->now) {
		/* an opaque fill replaces what is there, in the strip's image
		 * and in the target alike (a translucent one would need to
		 * know what the strip already holds there) */
		assert(c >> 24 == 255);
		rv_px_fill(&s->target, x0, x1, y0, y1, c);
		return;
	}
	x0 -= s->x; x1 -= s->x;
	y0 -= s->y; y1 -= s->y;
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > s->w ? s->w : x1;
	y1 = y1 > s->h ? s->h : y1;
	if (x0 >= x1 || y0 >= y1)
		return;
	if (!s->ops || s->nop == s->ops->cap) {
		const uint32_t cap = s->ops ? 2 * s->ops->cap : 1024;
		s->ops = g_realloc(s->ops, sizeof *s->ops + cap * sizeof(strip_op));
		s->ops->cap = cap;
	}
	s->translucent |= c >> 24 != 255;
	s->ops->op[s->nop++] = (strip_op){ (uint16_t)x0, (uint16_t)x1, (uint16_t)y0,
				      (uint16_t)y1, c };
}

/* The recorded fills written into the strip's own image, in order. */
static void strip_image(rv_strip *s)
{
	s->s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, s->w, s->h);
	s->px = (uint32_t *)(void *)cairo_image_surface_get_data(s->s);
	s->stride = cairo_image_surface_get_stride(s->s) / 4;
	/* A fresh image surface is transparent black (all zero). */
	for (uint32_t i = 0; s->px && i < s->nop; i++) {
		const strip_op *o = &s->ops->op[i];
		for (int y = o->y0; y < o->y1; y++) {
			uint32_t *row = s->px + (size_t)y * (size_t)s->stride;
			for (int x = o->x0; x < o->x1; x++)
				row[x] = o->c;
		}
	}
	cairo_surface_mark_dirty(s->s);
}

/* Does cr draw into a vector document (SVG, PDF, PostScript)? There a
 * strip must be shapes, not an embedded image. The window's and PNG's
 * targets (image and recording surfaces) keep the one blit. */
bool rv_vector_target(cairo_t *cr)
{
	switch (cairo_surface_get_type(cairo_get_group_target(cr))) {
	case CAIRO_SURFACE_TYPE_SVG:
	case CAIRO_SURFACE_TYPE_PDF:
	case CAIRO_SURFACE_TYPE_PS:
		return true;
	default:
		return false;
	}
}

/* A rectangle of one colour, in the strip's pixels. */
typedef struct {
	uint32_t c;
	int x, y, w, h;
} vrect;

static int vrect_cmp(const void *a, const void *b)
{
	const vrect *p = a, *q = b;
	return p->c < q->c ? -1 : p->c > q->c;
}

/* The strip's pixels as rectangles: each row's runs of one colour, a run
 * that repeats the one above it (same colour and columns) growing that
 * rectangle down. They tile the drawn pixels exactly, without overlap,
 * so filling them is the same picture as the blit in any order, and
 * "later writes replace earlier" already holds in the pixels. */
static GArray *strip_rects(const rv_strip *s)
{
	GArray *out = g_array_new(FALSE, FALSE, sizeof(vrect));
	/* indices into out of the rectangles ending at the previous row,
	 * left to right, and of those ending at this row */
	GArray *prev = g_array_new(FALSE, FALSE, sizeof(guint));
	GArray *cur = g_array_new(FALSE, FALSE, sizeof(guint));
	for (int y = 0; y < s->h; y++) {
		const uint32_t *row = s->px + (size_t)y * (size_t)s->stride;
		guint k = 0;   /* next candidate in prev */
		g_array_set_size(cur, 0);
		for (int x = 0; x < s->w;) {
			const uint32_t c = row[x];
			int x1 = x + 1;
			while (x1 < s->w && row[x1] == c)
				x1++;
			if (c) {
				while (k < prev->len &&
				       g_array_index(out, vrect,
					g_array_index(prev, guint, k)).x < x)
					k++;
				vrect *up = k < prev->len ? &g_array_index(out,
					vrect, g_array_index(prev, guint, k)) :
					NULL;
				guint idx;
				if (up && up->x == x && up->w == x1 - x &&
				    up->c == c) {
					up->h++;
					idx = g_array_index(prev, guint, k);
				} else {
					vrect r = { c, x, y, x1 - x, 1 };
					g_array_append_val(out, r);
					idx = out->len - 1;
				}
				g_array_append_val(cur, idx);
			}
			x = x1;
		}
		GArray *t = prev;
		prev = cur;
		cur = t;
	}
	g_array_free(prev, TRUE);
	g_array_free(cur, TRUE);
	return out;
}

/* For vector targets: one filled path per colour, made of the strip's
 * rectangles, so every mark is a shape in the document. */
static void paint_vector(cairo_t *cr, const rv_strip *s)
{
	GArray *rects = strip_rects(s);
	qsort(rects->data, rects->len, sizeof(vrect), vrect_cmp);
	cairo_save(cr);
	for (guint i = 0; i < rects->len;) {
		const uint32_t c = g_array_index(rects, vrect, i).c;
		/* back from premultiplied: the colour cairo premultiplies
		 * again to the same stored value */
		const double a = (double)(c >> 24) / 255;
		const double k = (double)(c >> 24);
		cairo_set_source_rgba(cr, (double)(c >> 16 & 255) / k,
				      (double)(c >> 8 & 255) / k,
				      (double)(c & 255) / k, a);
		for (; i < rects->len && g_array_index(rects, vrect, i).c == c;
		     i++) {
			const vrect *r = &g_array_index(rects, vrect, i);
			cairo_rectangle(cr, s->x + r->x, s->y + r->y, r->w,
					r->h);
		}
		cairo_fill(cr);
	}
	cairo_restore(cr);
	g_array_free(rects, TRUE);
}

void rv_strip_paint(cairo_t *cr, rv_strip *s)
{
	if (s->now) {
		rv_px_end(&s->target);
		s->now = false;
		return;
	}
	if (!s->nop)
		return;   /* transparent: OVER leaves the target as it is */
	rv_px p;
	if (!s->translucent && !s->s && rv_px_begin(cr, &p)) {
		for (uint32_t i = 0; i < s->nop; i++) {
			const strip_op *o = &s->ops->op[i];
			rv_px_fill(&p, s->x + o->x0, s->x + o->x1, s->y + o->y0,
				   s->y + o->y1, o->c);
		}
		rv_px_end(&p);
		return;
	}
	if (!s->s)
		strip_image(s);
	if (rv_vector_target(cr)) {
		paint_vector(cr, s);
		return;
	}
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
	if (s->s)
		cairo_surface_destroy(s->s);
	if (s->ops && !g_atomic_pointer_compare_and_exchange(&spare, NULL,
							     s->ops))
		g_free(s->ops);
	g_free(s);
}
