/*
 * draw.h - the view (what part of the trace is on screen, and how) and the
 * cairo drawing of it. The same code draws the window, the --render PNG
 * and the SVG/PNG exports, so what a test checks in a PNG is what a user
 * sees on screen.
 */
#ifndef RV_DRAW_H
#define RV_DRAW_H

#include <cairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Fixed geometry, in pixels. */
#define RV_LEFT_W   130   /* lane names */
#define RV_RULER_H  24
#define RV_LANE_H   18    /* a CPU lane */
#define RV_THREAD_H 14    /* a thread lane */
#define RV_COUNTER_H 40
#define RV_ROW_H    16    /* a promise row */
#define RV_GAP      6     /* between sections */

typedef struct {
	double from;          /* ns at the left edge of the plot */
	double ns_per_px;
	int width, height;
	double yscroll;       /* px the body (below the ruler) is scrolled */
	const uint8_t *match; /* per pp: search match, or NULL */
	bool filter;          /* hide what does not match */
	/* match counted per row (rv_match_rows_new), for packed rows */
	const struct rv_match_rows *match_rows;
	const uint8_t *chain; /* per pp: double-clicked becomes chain, or NULL */
	bool has_sel;
	int64_t sel_a, sel_b; /* selected range (ns) */
	const char *message;  /* drawn centred when there is no model yet */
	/* rv_draw's, for the frame it draws (NULL elsewhere): its pixel
	 * columns' lookups, made a list at a time (rv_cols) */
	struct rv_cols *cols;
	/* rv_draw's, for a band of the frame (split.c; 0, 0 elsewhere): the
	 * pixel rows [band_y0, band_y1) it fills. What lies outside them is
	 * not copied out; a layer skips it, as it skips what is out of
	 * view. */
	int band_y0, band_y1;
	/* and what its bands compute once between them (NULL elsewhere) */
	struct rv_frame_share *share;
} rv_view;

/* What the bands of one frame compute once between them (split.c): the
 * arrows in view, walked by the first band to draw them
 * (draw_arrows.c). */
typedef struct rv_frame_share rv_frame_share;
rv_frame_share *rv_frame_share_new(void);
void rv_frame_share_free(rv_frame_share *sh);

/* The body's pixel rows this draw fills, [*y0, *y1): below the ruler and
 * within v's band. A layer may skip what lies wholly outside them. */
static inline void rv_body_rows(const rv_view *v, double *y0, double *y1)
{
	*y0 = v->band_y0 > RV_RULER_H ? v->band_y0 : RV_RULER_H;
	*y1 = v->band_y1 > 0 && v->band_y1 < v->height ? v->band_y1
						       : v->height;
}

/* Vertical layout of the body for one model (offsets before scrolling). */
typedef struct {
	double cpu_y, thread_y, counter_y, rows_y, total_h;
	uint32_t ncounters_shown;
} rv_geom;

void rv_geom_compute(const rv_model *m, rv_geom *g);

/* Fit the whole trace into the view's width. */
void rv_view_fit(rv_view *v, const rv_model *m);
/* The same for [t_min, t_max] (a preview: the whole trace's extent). */
void rv_view_fit_span(rv_view *v, int64_t t_min, int64_t t_max);
/* Show [from, to] (ns since boot, to > from) across the plot's width:
 * --render's --from/--to. */
void rv_view_range(rv_view *v, double from, double to);
static inline double rv_x(const rv_view *v, double t)
{
	return RV_LEFT_W + (t - v->from) / v->ns_per_px;
}
static inline double rv_t(const rv_view *v, double x)
{
	return v->from + (x - RV_LEFT_W) * v->ns_per_px;
}

/* First index >= from with a[index] >= t (a sorted), searching forward
 * from `from` in doubling steps: the next pixel's item is usually near,
 * so this touches a few cache lines instead of a whole binary search. */
static inline uint32_t rv_gallop(const int64_t *a, uint32_t n, uint32_t from,
				 int64_t t)
{
	if (from >= n || a[from] >= t)
		return from;
	uint32_t lo = from + 1, step = 1, hi;
	for (;;) {
		uint64_t probe = (uint64_t)from + step;
		if (probe >= n) {
			hi = n;
			break;
		}
		if (a[probe] >= t) {
			hi = (uint32_t)probe;
			break;
		}
		lo = (uint32_t)probe + 1;
		step *= 2;
	}
	return lo + rv_lower_bound(a + lo, hi - lo, t);
}

/* A frame's pixel columns (cols.c): column x (RV_LEFT_W <= x <= width)
 * starts at time ceil(rv_t(v, x)), as rv_col_times says. Zoomed out, a
 * lane, a packed row, the arrows and a counter each look up every
 * column's start in their time lists, the same columns pass after pass.
 * rv_cols_lb gives, for one sorted list, the first index at or after each
 * column's start -- lb[x - RV_LEFT_W], for x in [RV_LEFT_W, width] --
 * searched for all columns at once (rv_lod_search_many) the first time a
 * frame asks, and kept for the frame. rv_gallop(list, from, start of x)
 * is then MAX(from, lb[...]). rv_cols_dense says whether a list has at
 * least one item per column in view, where that pays. */
typedef struct rv_cols {
	int n;                    /* columns RV_LEFT_W .. RV_LEFT_W + n - 1 */
	int64_t *t;               /* t[k]: column RV_LEFT_W + k's start */
	uint32_t nlists, cap;     /* the lists looked up this frame */
	const void **list;        /* a list, or a summary (sum.h) */
	uint32_t **lb;
	int64_t *ts;              /* t snapped down to 2^ts_shift (sum.h) */
	int ts_shift;
} rv_cols;
rv_cols *rv_cols_new(const rv_view *v);
void rv_cols_free(rv_cols *c);
const uint32_t *rv_cols_lb(rv_cols *c, const rv_times *a);
/* rv_cols_lb of the starts of intervals that do not overlap (a row's
 * segments, a lane's spans), derived from their ends' (cols.c). */
const uint32_t *rv_cols_lb_starts(rv_cols *c, const rv_times *start,
				  const rv_times *end);
/* rv_cols_lb's answer if the frame has asked it already, else NULL (c
 * may be NULL); a is the list, or the summary whose lookups they are. */
const uint32_t *rv_cols_cached(const rv_cols *c, const void *a);
/* A new array of lookups for the frame, kept as key's. */
uint32_t *rv_cols_put(rv_cols *c, const void *key);
bool rv_cols_dense(const rv_cols *c, const rv_times *a);
/* t[k] rounded down to a multiple of 2^shift, for the summaries' walk
 * (sum.h): made once a frame (every lane asks for the same grid). */
const int64_t *rv_cols_snapped(rv_cols *c, int shift);
/* A summary level's grid as rv_cols_lb_grid reads it: entry q (grid
 * point (q0 + q) << shift) holds a list index, a uint32_t at e + q *
 * stride bytes (sum.h's levels of spans and rows). */
typedef struct {
	int shift;
	int64_t q0;
	uint32_t nb;
	const unsigned char *e;
	size_t stride;
} rv_grid;
/* rv_cols_lb of `end` at the frame's snapped column starts
 * (rv_cols_snapped(c, shift)), read from the grid where it has them and
 * searched where not, kept for the frame under key. */
const uint32_t *rv_cols_lb_grid(rv_cols *c, const void *key, int shift,
				const rv_grid *g, const rv_times *end);
/* rv_times_gallop(a, from, t) for t column x's start, from lb (a's
 * rv_cols_lb, or NULL: searched as ever). */
static inline uint32_t rv_cols_gallop(const rv_cols *c, const uint32_t *lb,
				      const rv_times *a, uint32_t from, int x,
				      int64_t t)
{
	const int k = x - RV_LEFT_W;
	if (lb && k >= 0 && k < c->n && c->t[k] == t) {
		RV_WORK(1);
		return lb[k] > from ? lb[k] : from;
	}
	return rv_times_gallop(a, from, t);
}
/* Columns ahead whose first items' times are fetched (rv_cols_prefetch). */
#define RV_COLS_AHEAD 16
/* Asks the cache now for the times in lists a and b (b may be NULL) at
 * the index lb gives column x + RV_COLS_AHEAD, which a column-by-column
 * walk is about to read: the walk then finds them there instead of
 * waiting on each in turn. */
static inline __attribute__((always_inline))
void rv_cols_prefetch(const rv_cols *c, const uint32_t *lb,
		      const rv_times *a, const rv_times *b, int x)
{
	const int k = x - RV_LEFT_W + RV_COLS_AHEAD;
	if (!lb || k < 0 || k >= c->n)
		return;
	rv_times_prefetch(a, lb[k]);
	if (b)
		rv_times_prefetch(b, lb[k]);
}

/* Draw everything into cr, clipped to v->width x v->height: in two bands
 * on two threads where cr's target is an image (split.c), else as
 * rv_draw_whole; the same pixels either way. m NULL: "Loading...". */
void rv_draw(cairo_t *cr, const rv_model *m, const rv_view *v);
/* rv_draw of a model, on this thread, of the rows v's band names (all
 * when it names none). */
void rv_draw_whole(cairo_t *cr, const rv_model *m, const rv_view *v);
/* rv_draw_whole in two bands, v's pixel rows [0, y) on this thread and
 * [y, height) on another, each drawn into an image of its own of the
 * target's size and its rows copied into cr's target (split.c). False,
 * having drawn nothing, where that cannot be: cr's target is not an RGB
 * image, cr is transformed or clipped, y is not within the body, or
 * RV_DRAW_THREADS=1 is set. */
bool rv_draw_split(cairo_t *cr, const rv_model *m, const rv_view *v, int y);
/* rv_draw_split where there are two cores, at the y the pace says,
 * unless it says to draw whole (a split frame lately was slower: the
 * other core was busy); false, having drawn nothing, where it did not
 * split. */
bool rv_draw_paced(cairo_t *cr, const rv_model *m, const rv_view *v);
/* The split's two images made, and their pages touched, for frames of
 * width x height at device scale `scale` (split.c): what the first split
 * frame would otherwise take as page faults. The window calls it when
 * its area gets a size. */
void rv_draw_reserve(int width, int height, int scale);
/* Since the process started: frames rv_draw_paced split, those of them
 * slower than whole, and the frames it drew whole after them. */
void rv_split_counts(int *split, int *slower, int *whole);

/* What split frames teach the next (split.c): the top band's share of
 * the lanes' and rows' costs, moved halfway to what would have evened
 * out the last frame's measured band times; and after a frame slower
 * than whole (the caller waited for the other band longer than its CPU
 * time), frames to draw whole, RV_PACE_FIRST, doubling while the next
 * split is slower too, up to RV_PACE_MAX. */
#define RV_PACE_FIRST 4
#define RV_PACE_MAX   2048
typedef struct {
	double share;
	int skip, next;
	int split, slower, whole;   /* counts */
} rv_pace;
#define RV_PACE_INIT { .share = 0.5, .next = RV_PACE_FIRST }
/* Whether the next frame is to be drawn whole (counted). */
bool rv_pace_whole(rv_pace *p);
/* A split frame's band times (s). */
void rv_pace_note(rv_pace *p, double top_cpu, double bottom_cpu,
		  double waited);
/* Where rv_draw splits v: the y that shares the lanes and rows in view
 * between the bands by their measured costs (split.c); 0 when v is too
 * small to split. */
int rv_split_y(const rv_model *m, const rv_view *v);
/* m drawn with [t_min, t_max] fitted across a new width x height image
 * (a load's preview: follow.h, rv_load_show). */
cairo_surface_t *rv_draw_fitted(const rv_model *m, int64_t t_min,
				int64_t t_max, int width, int height);

/* Pieces of rv_draw in draw_promises.c (rows, chain) and draw_arrows.c. */
void rv_draw_rows(cairo_t *cr, const rv_model *m, const rv_view *v,
		  const rv_geom *g);
/* Arrows but becomes; becomes lines alone (drawn over the row labels). */
void rv_draw_arrows(cairo_t *cr, const rv_model *m, const rv_view *v,
		    const rv_geom *g);
void rv_draw_becomes(cairo_t *cr, const rv_model *m, const rv_view *v,
		     const rv_geom *g);
void rv_draw_chain(cairo_t *cr, const rv_model *m, const rv_view *v,
		   const rv_geom *g);
/* n lines (x0, y0, x1, y1 each) in cr's source, 1 px wide, as the
 * arrows of one colour are drawn: the same pixels as stroking them as one
 * path, but those vertical on a pixel centre filled as boxes where that
 * is the same (draw_arrows.c; test_viewer_pixels compares the two). */
void rv_arrow_lines(cairo_t *cr, const double *seg, unsigned n);
/* Arrow colours by kind (mirage's), in draw_arrows.c. */
extern const double rv_arrow_colour[RV_A_COUNT][3];
/* A dense row (rv_row_dense), drawn per pixel column (draw_packed.c). */
void rv_draw_packed_row(cairo_t *cr, const rv_model *m, const rv_view *v,
			int32_t r, double ly);
double rv_row_line_y(const rv_geom *g, const rv_view *v, int32_t row);
/* pp p is hidden by v's search filter. */
static inline bool rv_pp_hidden(const rv_view *v, uint32_t p)
{
	return v->filter && v->match && !v->match[p];
}

/* Zoomed out (draw_promises.c): a row whose promises in view are on
 * average closer than RV_AGG_PX pixels apart is "dense" and drawn per
 * pixel column as an aggregate: a pale area whose height grows with the
 * number of its promises live in the column (rv_agg_height), and three
 * 1 px tick lines along the top of the row for those created (black),
 * resolved (green) and failed (red) there, which stand for the arrows
 * that touch the row (not drawn; becomes lines still are), and a fourth
 * for its read, try_read and signal arrows (rv_row_touches_view). As the view
 * zooms in the row
 * thins out below the threshold and its individual lines return. */
#define RV_AGG_PX 8.0
typedef struct {
	uint32_t live, created, resolved, failed;
	uint32_t matched;   /* live segments whose promise matches */
} rv_agg;
/* Per-column lookups, galloping forward from the last column's. */
typedef struct {
	uint32_t s0, s1, e0, e1, el;
	int64_t t1;   /* the last call's t1, when next */
	bool next;
} rv_agg_hint;
bool rv_row_dense(const rv_model *m, const rv_view *v, int32_t r);
/* Segments of row in ns [t0, t1): live (overlapping it), created (start
 * in it), resolved and failed (the promise's end in it). hint starts
 * zeroed and t0 must not decrease between calls that share it. */
void rv_row_agg(const rv_row *row, int64_t t0, int64_t t1, rv_agg_hint *hint,
		rv_agg *out);
/* Per row, running counts of the segments whose promise is set in a
 * match array (the search's, or a histogram bar's): all of them, and
 * those ending with a resolve / a fail, n + 1 values a row as rv_row's
 * nres. A packed row's column then counts its matches, and with the
 * filter on only what the filter shows, by lookups instead of visiting
 * its promises every frame. Built in O(segments) when the matches
 * change (the window: a search result, a bar click, a clear, a load).
 * A view with match set but no match_rows marks no matches and hides
 * nothing in its packed rows. */
typedef struct rv_match_rows {
	uint32_t nrows;
	size_t *off;                  /* row r's counts start at off[r] */
	uint32_t *n, *nres, *nfail;
	/* row r's touches of kind t (touch.c) whose arrow has both ends
	 * matching: running counts from tn[toff[r * RV_T_COUNT + t]] */
	size_t *toff;
	uint32_t *tn;
} rv_match_rows;
rv_match_rows *rv_match_rows_new(const rv_model *m, const uint8_t *match);
void rv_match_rows_free(rv_match_rows *mr);
/* rv_row_agg of row r as v draws it: matched from v's match_rows, and
 * with the filter on every count only of matching (shown) segments. */
void rv_row_agg_view(const rv_model *m, const rv_view *v, int32_t r,
		     int64_t t0, int64_t t1, rv_agg_hint *hint, rv_agg *out);
/* Zoomed out, the read, read-failed, try_read and signal arrows with an
 * end in a dense row (touch.c): one more 1 px tick line under the row's
 * create/resolve/fail ticks, in the arrow's colour. rv_row_touches_view
 * says which kinds have an end in row r in [t0, t1) (bit t = RV_T_*), of
 * the arrows v would draw: with the filter on, both ends shown. hint
 * starts zeroed; t0 must not decrease between calls that share it. */
typedef struct {
	uint32_t i[RV_T_COUNT];
} rv_touch_hint;
void rv_touch_match_build(rv_match_rows *mr, const rv_model *m,
			  const uint8_t *match);
unsigned rv_row_touches_view(const rv_model *m, const rv_view *v, int32_t r,
			     int64_t t0, int64_t t1, rv_touch_hint *hint);
/* The same for pixel column x of v's frame, each kind's lookups taken
 * from lb[t] (v->cols' for row r's touch_t[t]) where not NULL. */
unsigned rv_row_touches_col(const rv_model *m, const rv_view *v, int32_t r,
			    int x, const uint32_t *const *lb,
			    rv_touch_hint *hint);
/* The kinds rv_row_touches_col says for a column whose touches of kind t
 * are [i0[t], i1[t]) of row r's touch_t[t] (touch.c). */
unsigned rv_row_touches_idx(const rv_model *m, const rv_view *v, int32_t r,
			    const uint32_t *i0, const uint32_t *i1);
/* The pixel column x's time range, as rv_row_agg takes it. */
void rv_col_times(const rv_view *v, int x, int64_t *t0, int64_t *t1);
int rv_agg_height(uint32_t live);
/* Promise labels are drawn only where they fit: from their tick to the
 * next segment's start in their row, and never over another label. */
typedef struct {
	double x0, y0, x1, y1;   /* the text and its tick */
	int32_t row;
	uint32_t seg;            /* segment index in the row */
} rv_label_box;
/* Draws the labels of the rows in view (after the arrows, so they stay
 * readable), writing those it drew (up to max) into out; returns how many
 * it drew. */
int rv_draw_row_labels(cairo_t *cr, const rv_model *m, const rv_view *v,
		       const rv_geom *g, rv_label_box *out, int max);

/* The labels of the lost ranges in view, left to right: gaps whose labels
 * would touch on screen share one, "N lost in K gaps". Fills up to max;
 * returns how many. */
typedef struct {
	double x;          /* where the text starts */
	char text[80];
} rv_lost_label;
int rv_lost_labels(const rv_model *m, const rv_view *v, rv_lost_label *out,
		   int max);

/* Rectangles batched by colour: rects added with one of up to a few
 * dozen colours are filled with one cairo_fill per colour at flush, and a
 * rect that continues the previous one of its colour (same row, touching)
 * extends it. Only for rects that do not overlap each other (or where the
 * order among them does not matter): a frame of sub-pixel marks is then a
 * handful of fills instead of one per pixel column. */
typedef struct rv_batch rv_batch;
rv_batch *rv_batch_new(cairo_t *cr);
void rv_batch_rect(rv_batch *b, const double rgba[4], double x, double y,
		   double w, double h);
void rv_batch_flush(rv_batch *b);
void rv_batch_free(rv_batch *b);   /* flushes first */

/* Direct pixels (pixels.c): where cr draws 1:1 into an image surface
 * (ARGB32 or RGB24, no device scale or transform but a whole-pixel
 * translation, the clip one whole-pixel rectangle, OVER, winding),
 * rv_px_begin flushes the surface and fills p, and rv_px_fill stores the
 * pixels cairo would have drawn filling box [x0, x1) x [y0, y1) (user
 * pixels) with colour c (rv_px_colour); rv_px_end marks the surface
 * dirty. Elsewhere (SVG, recording surfaces, HiDPI) rv_px_begin returns
 * false and the caller fills through cairo. Between begin and end the
 * caller draws nothing through cairo on the same surface. */
typedef struct {
	uint32_t *px;
	int stride;               /* in pixels */
	int x0, y0, x1, y1;       /* the clip, device pixels */
	int dx, dy;               /* user to device */
	cairo_surface_t *s;
} rv_px;
bool rv_px_begin(cairo_t *cr, rv_px *p);
/* s is an image of 32-bit RGB pixels (ARGB32 or RGB24), the kind whose
 * pixels pixels.c writes and split.c hands out by rows. */
bool rv_rgb_image(cairo_surface_t *s);
void rv_px_end(rv_px *p);
uint32_t rv_px_colour(const double rgba[4]);
/* A translucent colour's box, clipped, in device pixels. */
void rv_px_over(const rv_px *p, int x0, int x1, int y0, int y1, uint32_t c);
/* Inline: a zoomed-out frame stores ~50 000 boxes of a few pixels, and
 * the call was a third of each. */
static inline void rv_px_fill(const rv_px *p, int x0, int x1, int y0, int y1,
			      uint32_t c)
{
	x0 += p->dx;
	x1 += p->dx;
	y0 += p->dy;
	y1 += p->dy;
	x0 = x0 > p->x0 ? x0 : p->x0;
	x1 = x1 < p->x1 ? x1 : p->x1;
	y0 = y0 > p->y0 ? y0 : p->y0;
	y1 = y1 < p->y1 ? y1 : p->y1;
	if (x0 >= x1 || y0 >= y1)
		return;
	if (c >> 24 != 255) {
		rv_px_over(p, x0, x1, y0, y1, c);
		return;
	}
	uint32_t *row = p->px + (size_t)y0 * (size_t)p->stride;
	for (int y = y0; y < y1; y++, row += p->stride)
		for (int x = x0; x < x1; x++)
			row[x] = c;
}

/* Pixel strips (strip.c): marks written straight into a small image at
 * whole-pixel device coordinates, then composited with one paint. For the
 * per-pixel-column marks of zoomed-out frames, where a cairo path per
 * mark costs far more than its pixels. Later writes replace earlier. */
/* One counter's band at y (draw_counters.c). */
void rv_draw_counter(cairo_t *cr, const rv_model *m, const rv_view *v,
		     const rv_counter *c, double y);

typedef struct rv_strip rv_strip;
rv_strip *rv_strip_new(int x, int y, int w, int h);
/* A strip whose caller draws nothing else on cr before rv_strip_paint
 * and fills only opaque colours: where cr's target takes pixels
 * (rv_px_begin), its fills are stored there as they come. */
rv_strip *rv_strip_now(cairo_t *cr, int x, int y, int w, int h);
void rv_strip_fill(rv_strip *s, int x0, int x1, int y0, int y1,
		   const double rgba[4]);
/* The same with the colour converted once (rv_strip_argb), for callers
 * that fill many marks in a few colours. */
uint32_t rv_strip_argb(const double rgba[4]);
void rv_strip_put(rv_strip *s, int x0, int x1, int y0, int y1, uint32_t c);
/* An rv_strip_now strip's target, when its fills go there and none of
 * it lies outside the clip: the caller may store its (opaque) pixels
 * there itself, in device pixels (dx, dy), in place of rv_strip_put. */
const rv_px *rv_strip_direct(const rv_strip *s);
void rv_strip_paint(cairo_t *cr, rv_strip *s);
/* Does cr draw into a vector document (SVG, PDF, PostScript)? (strip.c) */
bool rv_vector_target(cairo_t *cr);
void rv_strip_free(rv_strip *s);

/* The ruler (ruler.c). Every time a person reads -- ruler, tooltips,
 * --from/--to, `ringside info`, `report`, the exports -- is ns since the
 * guest's boot (the store's ts_ns). Ticks fall every `step` ns (1, 2 or 5
 * x 10^k, about 90 px apart) and each label is its tick's time exactly,
 * with just the decimals the step needs, so neighbours always differ.
 * When that would take more than 6 digits (deep zoom far from boot),
 * origin_text holds a round time (`origin`) shown once at the left and
 * the labels are "+" offsets from it; otherwise origin_text is "". */
#define RV_RULER_MAX 256
typedef struct {
	double step;                   /* ns between ticks */
	char step_text[24];            /* the step, e.g. "2 ms" */
	double origin;                 /* ns; 0 when labels are absolute */
	char origin_text[32];
	int n;
	double t[RV_RULER_MAX];        /* tick times, ns since boot */
	double x[RV_RULER_MAX];        /* where each tick's line is drawn */
	char label[RV_RULER_MAX][24];
} rv_ruler;
void rv_ruler_compute(const rv_view *v, rv_ruler *r);
/* The ruler drawn (ruler.c): its ticks and labels, the grid lines down
 * the body, what its numbers count from, the MARK records' flags. */
void rv_draw_ruler(cairo_t *cr, const rv_model *m, const rv_view *v);

/* Text helpers shared with hit testing. */
void rv_fmt_dur(char *buf, size_t len, double ns);
void rv_fmt_time(char *buf, size_t len, double ns);
void rv_thread_rgb(uint32_t thread, double rgb[3]);

/* Hit testing (hit.c): a tooltip text for what is at (x, y), or NULL;
 * the pp under (x, y), or -1; a summary of [a, b] from its events' counts
 * by type (rv_db_type_counts). Results are g_free'd. */
char *rv_hit_describe(const rv_model *m, const rv_view *v, double x,
		      double y);
int64_t rv_hit_pp(const rv_model *m, const rv_view *v, double x, double y);
char *rv_range_summary(const uint64_t counts[256], int64_t a, int64_t b);
/* Mark pp's whole becomes chain in chain[] (cleared first). */
void rv_chain_mark(const rv_model *m, uint32_t pp, uint8_t *chain);
/* Search: set match[i] for pps whose label or type contains needle
 * (case-insensitive); returns the number of matches. */
uint32_t rv_search(const rv_model *m, const char *needle, uint8_t *match);

#endif
