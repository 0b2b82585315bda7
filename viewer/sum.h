/*
 * sum.h - per-bucket summaries of span lists (sum.c), so that a
 * zoomed-out frame draws a lane from one small entry a pixel column,
 * read in order, instead of a search in the list and reads scattered
 * over it (issue 18: work per frame bounded by pixels, not by events).
 *
 * At every grid point g = q << shift of a level (levels two shifts
 * apart, the finest holding ~RV_SUM_PER spans a bucket), an entry holds
 * what the lane's walk (draw.c, draw_spans) reads at a column's start:
 * e, the first span ending at or after g; its start, end, kind and ref;
 * the same of span e + 1 (where a span lies across g, the walk draws
 * the next one); and, for lists with running totals, cum at e. A frame
 * whose columns are each several buckets wide snaps its column starts
 * down to a grid (rv_sum_shift) and walks the entries there (sum.c,
 * rv_draw_spans_sum): the picture of those snapped columns, which for a
 * view whose columns already lie on the grid is the exact path's pixel
 * for pixel (tests/viewer/test_viewer_sum.c).
 */
#ifndef RV_SUM_H
#define RV_SUM_H

#include <cairo.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "draw.h"

/* An offset out of reach of 32 bits, or a ref of 24 bits or more: the
 * walk reads that span from the list instead. */
#define RV_SUM_FAR INT32_MIN
#define RV_SUM_NOKEY UINT32_MAX

/* The finest level's shift: the smallest (up to 60) giving at most
 * `want` grid points, and two more, over [t0, t1]. */
static inline int rv_sum_finest_shift(int64_t t0, int64_t t1, uint64_t want)
{
	int shift = 0;
	while (shift < 60 && (((uint64_t)t1 - (uint64_t)t0) >> shift) + 2 >
	       want)
		shift++;
	return shift;
}

/* The finest level's grid at shift: *q0 the grid point at or before t0,
 * *nb points from it, the last past t1 (every time in [t0, t1] lies in a
 * cell whose end is a point too). */
static inline void rv_sum_finest_grid(int64_t t0, int64_t t1, int shift,
				      int64_t *q0, uint32_t *nb)
{
	*q0 = t0 >> shift;
	*nb = (uint32_t)((t1 >> shift) - *q0 + 2);
}

/* The grid of a level four times coarser (*q0, *nb points) that lies in
 * a finer level's nb points from q0; false when that is under two. */
static inline bool rv_sum_coarser_grid(int64_t q0, uint32_t nb,
				       int64_t *cq0, uint32_t *cnb)
{
	const int64_t q_hi = q0 + nb - 1;
	const int64_t lo = q0 >= 0 ? (q0 + 3) / 4 : -((-q0) / 4);
	const int64_t hi = q_hi >= 0 ? q_hi / 4 : -((-q_hi + 3) / 4);
	if (hi - lo + 1 < 2)
		return false;
	*cq0 = lo;
	*cnb = (uint32_t)(hi - lo + 1);
	return true;
}

/* Which of nlevels levels, the first at shift0 and each two shifts on,
 * serves a frame snapped to `shift` (>= shift0): the coarsest not
 * coarser than it. */
static inline int rv_sum_level_index(int shift0, int nlevels, int shift)
{
	const int l = (shift - shift0) / 2;
	return l < nlevels ? l : nlevels - 1;
}

/* t - g in 32 bits, or RV_SUM_FAR where it does not fit. */
static inline int32_t rv_sum_off32(int64_t t, int64_t g)
{
	const int64_t d = (int64_t)((uint64_t)t - (uint64_t)g);
	return d > INT32_MIN && d <= INT32_MAX ? (int32_t)d : RV_SUM_FAR;
}

/* Where grid point g's entry is in a level of nb points from q0 at
 * shift, or -1 where g is outside it (every summary's levels). */
static inline int64_t rv_sum_cell(int shift, int64_t q0, uint32_t nb,
				  int64_t g)
{
	const int64_t k = (g >> shift) - q0;
	return k >= 0 && k < nb ? k : -1;
}

typedef struct {
	uint32_t e;          /* first span ending at or after g, or n */
	int32_t ds[2], de[2];/* spans e and e + 1: start and end less g */
	uint32_t key[2];     /* their kind << 24 | ref */
} rv_sum_ent;

/* A thread's state list's first running span ending at or after g, and
 * the running span after that one, for the running overlays' walk
 * (draw_promises.c), which passes over the states before them: their
 * indexes (n: none), starts and ends less g (RV_SUM_FAR: read them from
 * the list). The second serves a walk whose last run ran on past g. */
typedef struct {
	uint32_t i[2];
	int32_t ds[2], de[2];
} rv_sum_run;

typedef struct {
	int shift;
	int64_t q0;          /* entry k is grid point (q0 + k) << shift */
	uint32_t nb;
	rv_sum_ent *ent;
	int64_t *cum;        /* cum at e (lists with running totals) */
	rv_sum_run *run;     /* thread states' lists (rv_sum_build_runs) */
} rv_sum_level;

#define RV_SUM_MAXLV 32
typedef struct rv_span_sum {
	uint32_t n;          /* the list's length and last end when built:
			      * changed since, it is not used */
	int64_t last;
	int nlevels;
	rv_sum_level lv[RV_SUM_MAXLV];
} rv_span_sum;

/* Builds s->sum (freeing an old one) where the list is long, sorted and
 * non-overlapping, with running totals whole where it has them; else
 * leaves none. Called by rv_lod_summarise. */
void rv_sum_build(rv_spans *s);
/* A summarised thread state list's first running spans (rv_sum_run), at
 * every level's grid points. */
void rv_sum_build_runs(rv_spans *s);
/* Level L's first running span at grid point g, or NULL where L has
 * none there. */
static inline const rv_sum_run *rv_sum_run_at(const rv_sum_level *L,
					      int64_t g)
{
	const int64_t k = rv_sum_cell(L->shift, L->q0, L->nb, g);
	return L->run && k >= 0 ? &L->run[k] : NULL;
}
void rv_sum_free(rv_spans *s);
size_t rv_sum_bytes(const rv_spans *s);
size_t rv_sum_model_bytes(const rv_model *m);

/* A packed row's counts at grid point g (draw_packed.c): the first
 * segment starting at or after g (s), ending at or after g (e) and
 * after g (el); how many of the segments before e end with a resolve
 * and a fail; per touch kind, the first touch at or after g. */
typedef struct {
	uint32_t s, e, el, nres, nfail, t[RV_T_COUNT];
} rv_row_ent;

typedef struct {
	int shift;
	int64_t q0;
	uint32_t nb;
	rv_row_ent *ent;
} rv_row_level;

typedef struct rv_row_sum {
	uint32_t n, ntouch[RV_T_COUNT];   /* the row's when built */
	int64_t last;                     /* its last end then */
	int nlevels;
	rv_row_level lv[RV_SUM_MAXLV];
} rv_row_sum;

/* As rv_sum_build, rv_sum_free, rv_sum_level_for and rv_sum_get, for a
 * promise row with its end counts (sum_rows.c). */
void rv_row_sum_build(rv_row *row);
void rv_row_sum_free(rv_row *row);
size_t rv_row_sum_bytes(const rv_row *row);
const rv_row_level *rv_row_level_for(const rv_row *row, int shift);
void rv_row_sum_get(const rv_row *row, const rv_row_level *L, int64_t g,
		    rv_row_ent *out);

/* rv_cols_lb of row->end at the frame's snapped column starts, from
 * level L's entries (e), kept for the frame as L's: for the row's
 * labels, which walk the row as its aggregate was drawn. */
const uint32_t *rv_row_sum_cols_lb(rv_cols *c, const rv_row *row,
				   const rv_row_level *L, int shift);
/* The same of row->start (entries' s), kept as L's entries': with the
 * ends', a column's segments that start and end in it are known without
 * reading their times. */
const uint32_t *rv_row_sum_cols_lb_starts(rv_cols *c, const rv_row *row,
					  const rv_row_level *L, int shift);

/* A counter's entry at grid point g (sum_counters.c; draw_counters.c
 * reads them): what its step line's walk reads at a column's start, and
 * the extent of the samples in the cell [g, g + 2^shift), so a column's
 * min..max bar is the few cells it covers rather than a pyramid climb
 * from raw samples scattered over the list. */
typedef struct {
	uint32_t e;          /* first sample at or after g, or n */
	int32_t dt;          /* its time less g, or RV_SUM_FAR */
	int64_t vprev;       /* sample e - 1's value (0 when e is 0) */
	int64_t mn, mx;      /* of the cell's samples; none: INT64_MAX,
			      * INT64_MIN */
} rv_ctr_ent;

typedef struct {
	int shift;
	int64_t q0;
	uint32_t nb;
	rv_ctr_ent *ent;
} rv_ctr_level;

typedef struct rv_ctr_sum {
	uint32_t n;          /* the counter's length and last time when
			      * built: changed since, it is not used */
	int64_t last;
	int nlevels;
	rv_ctr_level lv[RV_SUM_MAXLV];
} rv_ctr_sum;

/* As rv_sum_build, rv_sum_free, rv_sum_level_for and rv_sum_get, for a
 * counter's samples (sum_counters.c). */
void rv_ctr_sum_build(rv_counter *c);
void rv_ctr_sum_free(rv_counter *c);
size_t rv_ctr_sum_bytes(const rv_counter *c);
const rv_ctr_level *rv_ctr_level_for(const rv_counter *c, int shift);
void rv_ctr_sum_get(const rv_counter *c, const rv_ctr_level *L, int64_t g,
		    rv_ctr_ent *out);
/* The extent of samples [i, j) where g0 < g1 are points of the frame's
 * grid, i is the first sample at or after g0 and j the first at or
 * after g1, from L's cells between them: false (nothing set) where i is
 * not the first at g0 or a cell lies outside the level. */
bool rv_ctr_sum_extent(const rv_ctr_level *L, int64_t g0, int64_t g1,
		       uint32_t i, int64_t *mn, int64_t *mx);

/* The frame's grid: column starts snap down to multiples of
 * 2^rv_sum_shift(v), a quarter to a half of a pixel; -1 when columns are
 * under 4 ns. */
int rv_sum_shift(const rv_view *v);
/* The level of s->sum a frame on grid 2^shift reads (its shift <= the
 * grid's, so every grid point has an entry), or NULL: no summary, or
 * its buckets are too wide for this frame's columns. */
const rv_sum_level *rv_sum_level_for(const rv_spans *s, int shift);
/* The entry at grid point g of level L asked of the cache, for a walk
 * that will read it a few columns on (nothing where g is outside L). */
static inline void rv_sum_prefetch(const rv_sum_level *L, int64_t g)
{
	const int64_t q = rv_sum_cell(L->shift, L->q0, L->nb, g);
	if (q >= 0) {
		__builtin_prefetch(&L->ent[q]);
		if (L->run)
			__builtin_prefetch(&L->run[q]);
	}
}
/* The entry at grid point g of level L of s's summary, or where g is
 * outside the level, computed from the list (out, cum filled). */
void rv_sum_get(const rv_spans *s, const rv_sum_level *L, int64_t g,
		rv_sum_ent *out, int64_t *cum);

/* Span j of s, j at or after en->e (en: an entry at grid point g, from
 * rv_sum_get, or NULL): its start, end and kind from the entry where it
 * is one of the two the entry holds whole, else from the list. A walk
 * that jumps from column to column reads the entries, in order, not the
 * list at random (three cache misses a column in lists of millions). */
typedef struct {
	int64_t start, end;
	uint8_t kind;
} rv_sum_span;
void rv_sum_span_of(const rv_spans *s, const rv_sum_ent *en, int64_t g,
		    uint32_t j, rv_sum_span *out);

/* Time t's x, as rv_x, but in the snapped column (ts, the frame's
 * rv_cols_snapped) a time falls in: a time in [ts[k], ts[k] rounded up
 * to the exact grid) lies at the left edge of column k rather than near
 * the right of column k - 1. Where the columns are on the grid (ts is
 * then the exact starts) this is rv_x bit for bit. Monotone, and its
 * whole part is the column. Inline: zoomed out, every lane calls it
 * twice a column. */
static inline double rv_sum_x(const rv_view *v, const rv_cols *c,
			      const int64_t *ts, int64_t t)
{
	const double x = rv_x(v, (double)t);
	if (!(x >= RV_LEFT_W - 1 && x < v->width + 1))
		return x;
	/* x > 0 here: truncation is floor, without the libm call floor
	 * is on the build's baseline x86-64 (no SSE4.1 rounding) */
	const double f = (double)(int64_t)x;
	const int k = (int)f - RV_LEFT_W + 1;
	return k >= 0 && k < c->n && t >= ts[k] ? f + 1 : x;
}

/* rv_cols_lb of s->end at the frame's snapped column starts (its
 * rv_cols_snapped(c, shift)), from level L's entries: for a walk that
 * takes the lane's snapped columns (draw_promises.c, a thread's running
 * overlay). Kept for the frame, as L's. */
const uint32_t *rv_sum_cols_lb(rv_cols *c, const rv_spans *s,
			       const rv_sum_level *L, int shift);

/* A span's colour for draw_spans (draw.c); false: not drawn. */
typedef bool (*rv_span_rgba)(const rv_model *m, uint8_t kind, uint32_t ref,
			     double rgba[4]);

/* A span list's boxes, batched by colour, so filled out of order: where
 * a mark (a whole pixel) and the next box share a pixel, the mark is
 * trimmed to where the next one starts (drawn in order, the next one
 * covered it there); so each box waits for the next before it is
 * added. */
typedef struct {
	rv_batch *b;
	double y, h;
	double pend[4], prgba[4];
	bool have;
} rv_span_emit;

static inline void rv_span_emit_rect(rv_span_emit *e, double x, double w,
				     const double c[4])
{
	if (e->have) {
		const double end = e->pend[0] + e->pend[2] < x ?
				   e->pend[0] + e->pend[2] : x;
		if (end > e->pend[0])
			rv_batch_rect(e->b, e->prgba, e->pend[0], e->y,
				      end - e->pend[0], e->h);
	}
	e->pend[0] = x;
	e->pend[2] = w;
	memcpy(e->prgba, c, sizeof e->prgba);
	e->have = true;
}

static inline void rv_span_emit_end(rv_span_emit *e)
{
	if (e->have)
		rv_batch_rect(e->b, e->prgba, e->pend[0], e->y, e->pend[2],
			      e->h);
	rv_batch_free(e->b);
}

/* draw_spans from the summary's level L (rv_sum_level_for(s,
 * rv_sum_shift(v))): the same walk, its column lookups and the fields
 * it reads at them taken from the entries at the snapped columns. */
void rv_draw_spans_sum(const rv_model *m, const rv_view *v,
		       const rv_spans *s, const rv_sum_level *L, int shift,
		       rv_span_emit *em, rv_span_rgba col);

#endif
