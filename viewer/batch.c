/*
 * batch.c - rectangles batched by colour (draw.h, rv_batch): a frame's
 * lane boxes and promise lines are filled one colour at a time, by one
 * cairo path per colour, or, where the target is an image drawn 1:1, by
 * storing their pixels (pixels.c) as cairo would have drawn them.
 */
#include "draw.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#define RV_BATCH_COLOURS 32

typedef struct {
	double rgba[4];
	GArray *r;   /* of double[4]: x, y, w, h */
} rv_bucket;

struct rv_batch {
	cairo_t *cr;
	int n;
	int last;   /* the bucket the last rect went to: a lane's runs of
		     * one colour come in a row */
	rv_bucket b[RV_BATCH_COLOURS];
};

rv_batch *rv_batch_new(cairo_t *cr)
{
	rv_batch *b = g_new0(rv_batch, 1);
	b->cr = cr;
	return b;
}

/* Rect j of a bucket on whole pixels, as both ways of filling take it:
 * a path of pixel-aligned rectangles is filled by cairo's box
 * compositor, several times faster than its scan converter, which
 * anything fractional sends it to (and a fraction of a pixel of a span
 * is not visible anyway). False if it covers no pixel row. */
static bool bucket_box(const rv_bucket *k, guint j, int box[4])
{
	const double *r = (const double *)(void *)k->r->data + 4 * j;
	double x0 = round(r[0]), x1 = round(r[0] + r[2]);
	double y0 = round(r[1]), y1 = round(r[1] + r[3]);
	if (x1 <= x0)
		x1 = x0 + 1;
	box[0] = (int)x0;
	box[1] = (int)x1;
	box[2] = (int)y0;
	box[3] = (int)y1;
	return y1 > y0;
}

/* A bucket's boxes stored as pixels (pixels.c); false, with nothing
 * drawn, where that would not be cairo's picture: cairo fills a path's
 * overlapping boxes once (their union), so a translucent colour's boxes
 * are stored only when they are disjoint, as draw_spans adds them (one
 * band, left to right). */
static bool bucket_pixels(const rv_px *p, const rv_bucket *k)
{
	const uint32_t c = rv_px_colour(k->rgba);
	int box[4], last[4] = { 0 };
	bool have = false;
	if (c >> 24 != 255) {
		for (guint j = 0; j < k->r->len; j++) {
			if (!bucket_box(k, j, box))
				continue;
			if (have && (box[2] != last[2] || box[3] != last[3] ||
				     box[0] < last[1]))
				return false;
			memcpy(last, box, sizeof box);
			have = true;
		}
	}
	for (guint j = 0; j < k->r->len; j++)
		if (bucket_box(k, j, box))
			rv_px_fill(p, box[0], box[1], box[2], box[3], c);
	return true;
}

void rv_batch_flush(rv_batch *b)
{
	rv_px p = { 0 };
	bool direct = false, any = false;
	for (int i = 0; i < b->n && !any; i++)
		any = b->b[i].r->len > 0;
	if (any)
		direct = rv_px_begin(b->cr, &p);
	const double *last = NULL;
	for (int i = 0; i < b->n; i++) {
		rv_bucket *k = &b->b[i];
		if (!k->r->len)
			continue;
		last = k->rgba;
		if (direct && bucket_pixels(&p, k)) {
			g_array_set_size(k->r, 0);
			continue;
		}
		/* through cairo; the pixels stored so far are marked first */
		rv_px_end(&p);
		direct = false;
		cairo_new_path(b->cr);
		int box[4];
		for (guint j = 0; j < k->r->len; j++)
			if (bucket_box(k, j, box))
				cairo_rectangle(b->cr, box[0], box[2],
						box[1] - box[0], box[3] - box[2]);
		cairo_set_source_rgba(b->cr, k->rgba[0], k->rgba[1], k->rgba[2],
				      k->rgba[3]);
		cairo_fill(b->cr);
		g_array_set_size(k->r, 0);
	}
	if (direct) {
		rv_px_end(&p);
		/* as cairo_fill would have left it: no path, the last colour
		 * the source (callers draw on from this state) */
		cairo_new_path(b->cr);
		cairo_set_source_rgba(b->cr, last[0], last[1], last[2], last[3]);
	}
}

void rv_batch_rect(rv_batch *b, const double rgba[4], double x, double y,
		   double w, double h)
{
	int i = b->last;
	if (i >= b->n || memcmp(b->b[i].rgba, rgba, sizeof b->b[i].rgba))
		for (i = 0; i < b->n; i++)
			if (!memcmp(b->b[i].rgba, rgba, sizeof b->b[i].rgba))
				break;
	if (i == b->n) {
		if (b->n == RV_BATCH_COLOURS) {
			rv_batch_flush(b);
			for (int j = 0; j < b->n; j++)
				g_array_free(b->b[j].r, TRUE);
			b->n = 0;
			i = 0;
		}
		memcpy(b->b[i].rgba, rgba, sizeof b->b[i].rgba);
		b->b[i].r = g_array_sized_new(FALSE, FALSE, 4 * sizeof(double),
					      256);
		b->n++;
	}
	b->last = i;
	GArray *a = b->b[i].r;
	if (a->len) {
		double *l = (double *)(void *)a->data + 4 * (a->len - 1);
		if (l[1] == y && l[3] == h && l[0] + l[2] == x) {
			l[2] += w;
			return;
		}
	}
	double r[4] = { x, y, w, h };
	g_array_append_vals(a, r, 1);
}

void rv_batch_free(rv_batch *b)
{
	if (!b)
		return;
	rv_batch_flush(b);
	for (int i = 0; i < b->n; i++)
		g_array_free(b->b[i].r, TRUE);
	g_free(b);
}
