/*
 * draw_arrows.c - the arrows between promise rows, as mirage-trace-viewer
 * draws them: from the row (and time) of who did something to the row
 * of the promise it was done to, coloured by kind (created, resolved,
 * read, ...), fading as they get longer on screen; "becomes" as a
 * vertical line from the row a line stops in to the row it carries on in.
 *
 * A frame walks the arrows ending in view once (arrow_walk: at most 7 a
 * pixel column, none into a row drawn as an aggregate, whose ticks stand
 * for them), batches them by colour and fade, and strokes each batch as
 * one path (arrow_flush). Split into bands (split.c), the first band to
 * reach the arrows walks them for both (rv_frame_share), and each draws
 * those that reach its rows.
 */
#include "draw.h"

#include <glib.h>
#include <math.h>
#include <string.h>

/* Arrow colours by kind (mirage's); a packed row's touch ticks use them
 * too. */
const double rv_arrow_colour[RV_A_COUNT][3] = {
	[RV_A_CREATE] = { 0, 0, 0 },
	[RV_A_BECOMES] = { 0, 0, 0 },
	[RV_A_RESOLVE] = { 0.0, 0.65, 0.0 },
	[RV_A_READ] = { 0.0, 0.2, 0.95 },
	[RV_A_READ_FAILED] = { 0.9, 0.0, 0.0 },
	[RV_A_TRY_READ] = { 0.85, 0.75, 0.0 },
	[RV_A_SIGNAL] = { 1.0, 0.5, 0.0 },
	[RV_A_FAIL] = { 0.9, 0.0, 0.0 },
};

static void arrow_rgb(cairo_t *cr, uint8_t kind, double alpha)
{
	const double *c = rv_arrow_colour[kind];
	cairo_set_source_rgba(cr, c[0], c[1], c[2], alpha);
}

/*
 * Arrows are drawn in batches: one path per (kind, fade level), stroked
 * once, and one for the heads, filled once. Zoomed out, a frame has
 * thousands of arrows; a stroke and a fill each cost more in cairo's
 * set-up than in pixels (they were 10 ms of a 27 ms frame). The fade is
 * quantised to ARROW_FADES levels, which the eye does not tell apart.
 */
#define ARROW_FADES 16

typedef struct {
	GArray *seg[RV_A_COUNT][ARROW_FADES];   /* x0, y0, x1, y1 */
	/* the frame's arrows, in its band or not (split.c): whether heads
	 * are drawn is the frame's, the same in every band */
	guint in_view;
} arrow_batch;

static void arrow_add(arrow_batch *b, uint8_t kind, double alpha, double x0,
		      double y0, double x1, double y1)
{
	int f = (int)ceil(alpha * ARROW_FADES) - 1;
	f = f < 0 ? 0 : f >= ARROW_FADES ? ARROW_FADES - 1 : f;
	GArray **a = &b->seg[kind][f];
	if (!*a)
		*a = g_array_sized_new(FALSE, FALSE, 4 * sizeof(double), 256);
	double s[4] = { x0, y0, x1, y1 };
	g_array_append_vals(*a, s, 1);
}

/* Zoomed out, heads of arrows a pixel apart merge into one dark band
 * that says nothing (and cost half of the arrows' time): past this many
 * arrows in a frame only the lines are drawn, their colours and fading
 * still telling the kinds apart. */
#define ARROW_HEADS_MAX 2000

/* Line i of a batch (x0, y0, x1, y1 a line) vertical on a pixel centre
 * between whole pixel rows: its stroke covers exactly a 1 px column. */
static bool arrow_box(const double *s, guint i)
{
	const double x = s[4 * i], y0 = s[4 * i + 1], y1 = s[4 * i + 3];
	return x == s[4 * i + 2] && x - floor(x) == 0.5 && y0 == floor(y0) &&
	       y1 == floor(y1);
}

/* Whether no pixel the stroke of sloping line i may touch (its extent
 * and 1.5 px about it: half the line width, and antialiasing) lies in a
 * box line's column. */
static bool arrow_apart(const double *s, guint n, guint i)
{
	const double x0 = fmin(s[4 * i], s[4 * i + 2]) - 1.5;
	const double x1 = fmax(s[4 * i], s[4 * i + 2]) + 1.5;
	const double y0 = fmin(s[4 * i + 1], s[4 * i + 3]) - 1.5;
	const double y1 = fmax(s[4 * i + 1], s[4 * i + 3]) + 1.5;
	for (guint j = 0; j < n; j++) {
		if (!arrow_box(s, j))
			continue;
		const double bx = floor(s[4 * j]);
		const double by0 = fmin(s[4 * j + 1], s[4 * j + 3]);
		const double by1 = fmax(s[4 * j + 1], s[4 * j + 3]);
		if (bx < x1 && bx + 1 > x0 && by0 < y1 && by1 > y0)
			return false;
	}
	return true;
}

/* A batch's lines, in one colour. Stroked as one path, they cover the
 * union of what each would: a line vertical on a pixel centre between
 * whole pixel rows (most: an arrow between two rows at one instant)
 * covers exactly its 1 px column, so those are filled as boxes, which
 * cairo's box compositor does at the cost of their pixels, while a
 * stroke costs its scan converter ~120 k instructions a line (a deep
 * frame's strokes were most of its time). The sloping lines are stroked
 * apart from the boxes where no pixel of theirs can be a box's: the union
 * is then the same pixels; else all are stroked together, as before.
 * Into a vector document (SVG) every line stays a stroke.
 * test_viewer_pixels checks boxes and strokes give the same pixels. */
void rv_arrow_lines(cairo_t *cr, const double *s, unsigned n)
{
	unsigned nbox = 0;
	bool apart = true;
	/* a document keeps its strokes: the speed is for pixels */
	for (guint i = 0; i < n && !rv_vector_target(cr); i++)
		nbox += arrow_box(s, i);
	for (guint i = 0; apart && nbox && nbox < n && i < n; i++)
		apart = arrow_box(s, i) || arrow_apart(s, n, i);
	cairo_new_path(cr);
	if (nbox && apart) {
		for (guint i = 0; i < n; i++)
			if (arrow_box(s, i) && s[4 * i + 1] != s[4 * i + 3])
				cairo_rectangle(cr, floor(s[4 * i]),
						fmin(s[4 * i + 1], s[4 * i + 3]),
						1, fabs(s[4 * i + 3] -
							s[4 * i + 1]));
		cairo_fill(cr);
	}
	if (nbox == n && apart)
		return;
	for (guint i = 0; i < n; i++)
		if (!(nbox && apart && arrow_box(s, i))) {
			cairo_move_to(cr, s[4 * i], s[4 * i + 1]);
			cairo_line_to(cr, s[4 * i + 2], s[4 * i + 3]);
		}
	cairo_stroke(cr);
}

/* The batch's lines (and heads, unless the frame has too many) that reach
 * v's rows: a band's (split.c), or, where v has no band, every one (the
 * walk kept only those in view). A head's wings reach 5 px from its end,
 * so a line wholly outside the rows by more than that touches none. */
static void arrow_flush(cairo_t *cr, const arrow_batch *b, const rv_view *v)
{
	const bool heads = b->in_view <= ARROW_HEADS_MAX;
	double lo, hi;
	rv_body_rows(v, &lo, &hi);
	lo -= 6;
	hi += 6;
	GArray *keep = v->band_y1 ? g_array_new(FALSE, FALSE,
						4 * sizeof(double)) : NULL;
	for (int k = 0; k < RV_A_COUNT; k++)
		for (int f = 0; f < ARROW_FADES; f++) {
			const GArray *a = b->seg[k][f];
			if (a && keep) {
				g_array_set_size(keep, 0);
				for (guint i = 0; i < a->len; i++) {
					const double *l = &g_array_index(
						a, double, 4 * i);
					if (!(l[1] < lo && l[3] < lo) &&
					    !(l[1] > hi && l[3] > hi))
						g_array_append_vals(keep, l, 1);
				}
				a = keep;
			}
			if (!a || !a->len)
				continue;
			const double *s = (const double *)(void *)a->data;
			arrow_rgb(cr, (uint8_t)k, (f + 1.0) / ARROW_FADES);
			rv_arrow_lines(cr, s, a->len);
			for (guint i = 0; heads && i < a->len; i++) {
				double x0 = s[4 * i], y0 = s[4 * i + 1];
				double x1 = s[4 * i + 2], y1 = s[4 * i + 3];
				double ang = atan2(y1 - y0, x1 - x0);
				cairo_move_to(cr, x1, y1);
				cairo_line_to(cr, x1 - 5 * cos(ang - 0.45),
					      y1 - 5 * sin(ang - 0.45));
				cairo_line_to(cr, x1 - 5 * cos(ang + 0.45),
					      y1 - 5 * sin(ang + 0.45));
				cairo_close_path(cr);
			}
			if (heads)
				cairo_fill(cr);
		}
	if (keep)
		g_array_free(keep, TRUE);
}

static void arrow_batch_clear(arrow_batch *b)
{
	for (int k = 0; k < RV_A_COUNT; k++)
		for (int f = 0; f < ARROW_FADES; f++)
			if (b->seg[k][f])
				g_array_free(b->seg[k][f], TRUE);
	memset(b, 0, sizeof *b);
}

/* What the bands of one frame share (split.c): the arrows in view, walked
 * once, by the first band to draw them, while the other draws on. */
struct rv_frame_share {
	GMutex lock;
	arrow_batch *arrows[2];   /* the others, the becomes lines */
};

rv_frame_share *rv_frame_share_new(void)
{
	rv_frame_share *sh = g_new0(rv_frame_share, 1);
	g_mutex_init(&sh->lock);
	return sh;
}

void rv_frame_share_free(rv_frame_share *sh)
{
	if (!sh)
		return;
	for (int k = 0; k < 2; k++)
		if (sh->arrows[k]) {
			arrow_batch_clear(sh->arrows[k]);
			g_free(sh->arrows[k]);
		}
	g_mutex_clear(&sh->lock);
	g_free(sh);
}

static bool row_dense(const rv_model *m, const rv_view *v, int8_t *dense,
		      int32_t r)
{
	if (r < 0 || (uint32_t)r >= m->nrows)
		return false;
	if (dense[r] < 0)
		dense[r] = rv_row_dense(m, v, r);
	return dense[r];
}

/* The first arrows of the column RV_COLS_AHEAD on, asked of the cache
 * now: the walk reads their times, kinds and ends in turn. */
static inline __attribute__((always_inline))
void arrow_prefetch(const rv_arrows *a, const rv_cols *c,
		    const uint32_t *t1s, int x)
{
	const int k = x - RV_LEFT_W + RV_COLS_AHEAD;
	if (!t1s || k < 0 || k >= c->n)
		return;
	const uint32_t i = t1s[k];
	rv_times_prefetch(&a->t1, i);
	__builtin_prefetch(&a->kind[i]);
	__builtin_prefetch(&a->from[i]);
	__builtin_prefetch(&a->to[i]);
}

/* The arrows of every kind but becomes (becomes = false), or only the
 * becomes lines (true): those go over the row labels, the others under
 * them (rv_draw). Both pass over the same arrows with the same per-column
 * cap, so the split does not change which arrows are drawn. */
static void arrow_walk(const rv_model *m, const rv_view *v, const rv_geom *g,
		       bool becomes, arrow_batch *batch)
{
	const rv_arrows *a = &m->arrows;
	double t_to = rv_t(v, v->width);
	double span = t_to - v->from;
	/* arrows whose target is a little past the right edge can still
	 * cross the view; beyond that they are faded to nothing anyway */
	uint32_t i = rv_times_search(&a->t1, (int64_t)v->from);
	/* zoomed out, every column has its 7 arrows: its first, looked up
	 * for all columns at once (cols.c), the becomes pass reusing them */
	const uint32_t *t1s = rv_cols_dense(v->cols, &a->t1) ?
			      rv_cols_lb(v->cols, &a->t1) : NULL;
	/* per row, 1 when dense in this view (-1 not yet asked): the
	 * aggregate's ticks stand for the arrows that touch such a row */
	int8_t *dense = g_malloc(m->nrows ? m->nrows : 1);
	memset(dense, -1, m->nrows);
	double col = -1;
	int in_col = 0;
	while (i < a->n && (double)rv_arrow_t1(a, i) <= t_to + span / 4) {
		RV_WORK(1);
		double x1 = rv_x(v, (double)rv_arrow_t1(a, i));
		if (floor(x1) != col) {
			col = floor(x1);
			in_col = 0;
		} else if (++in_col > 6) {
			/* this pixel column has enough: jump to the next */
			arrow_prefetch(a, v->cols, t1s, (int)col + 1);
			uint32_t j = rv_cols_gallop(v->cols, t1s, &a->t1, i,
				(int)col + 1, (int64_t)ceil(rv_t(v, col + 1)));
			i = j > i ? j : i + 1;
			continue;
		}
		uint32_t k = i++;
		if ((a->kind[k] == RV_A_BECOMES) != becomes)
			continue;
		/* the target's row first: zoomed out, most are drawn as
		 * aggregates, and the arrow is then known to be left out
		 * before its start time and source row are read, each a
		 * read at random in lists of millions */
		int32_t r1 = rv_pp_row_at(m, a->to[k], rv_arrow_t1(a, k));
		if (!becomes && row_dense(m, v, dense, r1))
			continue;
		const int64_t t0 = rv_arrow_t0(m, k);
		if ((double)t0 > t_to)
			continue;
		if (rv_pp_hidden(v, a->from[k]) || rv_pp_hidden(v, a->to[k]))
			continue;
		double x0 = rv_x(v, (double)t0);
		/* "X becomes Y": from Y's own row, where its line stops, to
		 * the row it carries on in (X's), at that instant */
		int32_t r0 = becomes ? m->pp.row[a->from[k]] :
			rv_pp_row_at(m, a->from[k], t0);
		if (!becomes && row_dense(m, v, dense, r0))
			continue;
		double y0 = rv_row_line_y(g, v, r0);
		double y1 = rv_row_line_y(g, v, r1);
		if ((y0 < RV_RULER_H && y1 < RV_RULER_H) ||
		    (y0 > v->height && y1 > v->height))
			continue;
		const double len = hypot(x1 - x0, y1 - y0);
		const double alpha = fmin(1.0, 120.0 / len);
		if (len < 2 || alpha < 0.06)
			continue;
		batch->in_view++;
		/* A vertical arrow (most are: same instant, another row) on a
		 * pixel centre is one crisp column, not two half-grey ones. */
		if (fabs(x1 - x0) < 0.5)
			x0 = x1 = floor(x1) + 0.5;
		arrow_add(batch, a->kind[k], alpha, x0, y0, x1, y1);
	}
	g_free(dense);
}

/* The arrows walked (or the frame's share of them, walked by whichever
 * band came first), then those that reach this draw's rows drawn. */
static void draw_arrows(cairo_t *cr, const rv_model *m, const rv_view *v,
			const rv_geom *g, bool becomes)
{
	arrow_batch own = { { { NULL } }, 0 }, *batch = &own;
	rv_frame_share *sh = v->share;
	if (sh) {
		g_mutex_lock(&sh->lock);
		if (!sh->arrows[becomes]) {
			sh->arrows[becomes] = g_new0(arrow_batch, 1);
			arrow_walk(m, v, g, becomes, sh->arrows[becomes]);
		}
		batch = sh->arrows[becomes];
		g_mutex_unlock(&sh->lock);
	} else {
		arrow_walk(m, v, g, becomes, &own);
	}
	cairo_save(cr);
	cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST);
	cairo_set_line_width(cr, 1);
	arrow_flush(cr, batch, v);
	cairo_restore(cr);
	arrow_batch_clear(&own);
}

void rv_draw_arrows(cairo_t *cr, const rv_model *m, const rv_view *v,
		    const rv_geom *g)
{
	draw_arrows(cr, m, v, g, false);
}

void rv_draw_becomes(cairo_t *cr, const rv_model *m, const rv_view *v,
		     const rv_geom *g)
{
	draw_arrows(cr, m, v, g, true);
}

