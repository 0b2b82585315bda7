/*
 * xcpu.c - migrations and cross-CPU wakes: derived while loading, drawn
 * over the CPU lanes (xcpu.h).
 */
#include "xcpu.h"

#include <assert.h>
#include <glib.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "causal.h"
#include "ringside_ring.h"

struct rv_xcpu_builder {
	rv_model *m;
	struct rs_causal causal;
};

static void push(rv_model *m, uint8_t kind, int64_t t0, int64_t t1,
		 unsigned from, unsigned to, uint64_t tid)
{
	rv_xcpu *x = &m->xcpu;

	if (from >= (unsigned)m->ncpus || to >= (unsigned)m->ncpus)
		return;   /* the guest's word: a CPU it does not have */
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->t0 = g_renew(int64_t, x->t0, x->cap);
		x->t1 = g_renew(int64_t, x->t1, x->cap);
		x->tid = g_renew(uint64_t, x->tid, x->cap);
		x->from = g_renew(uint8_t, x->from, x->cap);
		x->to = g_renew(uint8_t, x->to, x->cap);
		x->kind = g_renew(uint8_t, x->kind, x->cap);
	}
	x->t0[x->n] = t0;
	x->t1[x->n] = t1;
	x->tid[x->n] = tid;
	x->from[x->n] = (uint8_t)from;
	x->to[x->n] = (uint8_t)to;
	x->kind[x->n++] = kind;
}

static void on_pair(void *opaque, const struct rs_causal_pair *p)
{
	rv_xcpu_builder *x = opaque;

	if (p->kind == RS_CAUSAL_WAKE && p->from_cpu != p->to_cpu)
		push(x->m, RV_X_WAKE, p->from_ns, p->to_ns, p->from_cpu,
		     p->to_cpu, p->tid);
}

rv_xcpu_builder *rv_xcpu_builder_new(rv_model *m)
{
	rv_xcpu_builder *x = g_new0(rv_xcpu_builder, 1);

	x->m = m;
	rs_causal_init(&x->causal, on_pair, x);
	return x;
}

void rv_xcpu_event(rv_xcpu_builder *x, int cpu, int64_t t, int type,
		   uint64_t a, uint64_t b, uint64_t c)
{
	/* most events are neither: no row for them (a row built and fed
	 * for nothing was ~40 instructions an event of a load) */
	if (!rv_xcpu_takes(type))
		return;
	const struct rs_row row = {
		.ts_ns = t, .type = (uint16_t)type, .cpu = (uint16_t)cpu,
		.a = a, .b = b, .c = c,
	};

	if (type == RS_EV_THREAD_MIGRATE && b < RS_MAX_CPUS && c < RS_MAX_CPUS)
		push(x->m, RV_X_MIGRATE, t, t, (unsigned)b, (unsigned)c, a);
	rs_causal_feed(&x->causal, &row);
}

/* By first time (a wake stamped after its run, clocks disagreeing, has
 * t1 < t0), so drawing can start at the view's left edge. */
static int64_t first_t(const rv_xcpu *x, uint32_t i)
{
	return MIN(x->t0[i], x->t1[i]);
}

static int cmp_first(const void *pa, const void *pb, void *data)
{
	const rv_xcpu *x = data;
	int64_t a = first_t(x, *(const uint32_t *)pa);
	int64_t b = first_t(x, *(const uint32_t *)pb);
	return (a > b) - (a < b);
}

#define PERMUTE(arr, type) do {                                   \
		type *tmp = g_new(type, len);                     \
		for (uint32_t k = 0; k < len; k++)                \
			tmp[k] = (arr)[order[k]];                 \
		memcpy((arr) + p, tmp, sizeof(type) * len);       \
		g_free(tmp);                                      \
	} while (0)

void rv_xcpu_sort_from(rv_xcpu *x, uint32_t from)
{
	if (from >= x->n)
		return;
	/* g_qsort_with_data is stable: ties keep the order they came in */
	uint32_t *tail = g_new(uint32_t, x->n - from);
	for (uint32_t k = from; k < x->n; k++)
		tail[k - from] = k;
	g_qsort_with_data(tail, (gint)(x->n - from), sizeof(*tail), cmp_first, x);
	/* the old entries after the first new one's time move up */
	uint32_t p = from;
	while (p > 0 && first_t(x, p - 1) > first_t(x, tail[0]))
		p--;
	const uint32_t len = x->n - p;
	/* the prefix maxima from p on are no longer right */
	x->hi_n = MIN(x->hi_n, p);
	uint32_t *order = g_new(uint32_t, len);
	uint32_t i = p, j = 0, o = 0;
	while (i < from || j < x->n - from)
		order[o++] = j >= x->n - from || (i < from &&
			first_t(x, i) <= first_t(x, tail[j])) ? i++ : tail[j++];
	PERMUTE(x->t0, int64_t);
	PERMUTE(x->t1, int64_t);
	PERMUTE(x->tid, uint64_t);
	PERMUTE(x->from, uint8_t);
	PERMUTE(x->to, uint8_t);
	PERMUTE(x->kind, uint8_t);
	g_free(order);
	g_free(tail);
}

void rv_xcpu_builder_free(rv_xcpu_builder *xb)
{
	if (!xb)
		return;
	rs_causal_free(&xb->causal);
	g_free(xb);
}

void rv_xcpu_free(rv_xcpu *x)
{
	g_free(x->t0);
	g_free(x->t1);
	g_free(x->tid);
	g_free(x->from);
	g_free(x->to);
	g_free(x->kind);
	g_free(x->hi_max);
	memset(x, 0, sizeof(*x));
}

static const char *thread_name(const rv_model *m, uint64_t tid)
{
	for (uint32_t i = 0; i < m->nthreads; i++)
		if (m->threads[i].tid == tid && m->threads[i].name)
			return m->threads[i].name;
	return "?";
}

void rv_xcpu_describe(GString *s, const rv_model *m, const rv_view *v,
		      int c, double t)
{
	const rv_xcpu *x = &m->xcpu;
	const double slack = 3 * v->ns_per_px;

	if (m->stuck && m->stuck_cpu == c && t >= (double)m->stuck_at) {
		char buf[64] = "an unknown time";
		if (m->stuck_at != INT64_MIN)
			rv_fmt_time(buf, sizeof buf, (double)m->stuck_at);
		g_string_append_printf(s, "\nSTUCK: cpu %d's own heartbeat stopped"
				       " at %s while the other CPUs' went on", c, buf);
	}

	for (uint32_t i = 0; i < x->n; i++) {
		const bool here0 = x->from[i] == c && fabs((double)x->t0[i] - t) <= slack;
		const bool here1 = x->to[i] == c && fabs((double)x->t1[i] - t) <= slack;
		if (!here0 && !here1)
			continue;
		const char *name = thread_name(m, x->tid[i]);
		if (x->kind[i] == RV_X_MIGRATE)
			g_string_append_printf(s, "\nthread %s (tid %llu) migrated"
					       " from cpu %u to cpu %u", name,
					       (unsigned long long)x->tid[i],
					       x->from[i], x->to[i]);
		else
			g_string_append_printf(s, "\nthread %s (tid %llu) woken on"
					       " cpu %u, ran on cpu %u %.3f us later",
					       name, (unsigned long long)x->tid[i],
					       x->from[i], x->to[i],
					       (double)(x->t1[i] - x->t0[i]) / 1e3);
	}
}

/* The stuck CPU's lane from its last heartbeat on: a red band along the
 * lane's top and bottom edges, what ran there still visible between. */
static void draw_stuck(cairo_t *cr, const rv_model *m, const rv_view *v,
		       double lanes_y)
{
	const double t = m->stuck_at == INT64_MIN ? (double)m->t_min
						   : (double)m->stuck_at;
	const double x = MAX(rv_x(v, t), (double)RV_LEFT_W);
	const double y = lanes_y + m->stuck_cpu * RV_LANE_H;

	if (x > v->width)
		return;
	cairo_set_source_rgb(cr, RV_XCPU_STUCK_RGB);
	cairo_rectangle(cr, x, y, v->width - x, 3);
	cairo_rectangle(cr, x, y + RV_LANE_H - 5, v->width - x, 3);
	cairo_rectangle(cr, floor(x) - 1, y, 3, RV_LANE_H - 2);
	cairo_fill(cr);
}

void rv_xcpu_index(rv_xcpu *x)
{
	x->hi_n = 0;
	rv_xcpu_index_more(x);
}

void rv_xcpu_index_more(rv_xcpu *x)
{
	if (x->hi_cap < x->cap) {
		x->hi_max = g_renew(int64_t, x->hi_max, x->cap);
		x->hi_cap = x->cap;
	}
	assert(x->hi_n <= x->n && x->n <= x->hi_cap);
	int64_t hi = x->hi_n ? x->hi_max[x->hi_n - 1] : INT64_MIN;
	for (uint32_t i = x->hi_n; i < x->n; i++) {
		hi = MAX(hi, MAX(x->t0[i], x->t1[i]));
		x->hi_max[i] = hi;
	}
	x->hi_n = x->n;
}

/* First crossing at or after `from` whose first time is >= t (ascending
 * by first time). */
static uint32_t first_lo(const rv_xcpu *x, uint32_t from, int64_t t)
{
	uint32_t lo = from, hi = x->n;
	while (lo < hi) {
		const uint32_t mid = lo + (hi - lo) / 2;
		RV_WORK(1);
		if (MIN(x->t0[mid], x->t1[mid]) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A crossing as drawn: kind, lanes and the pixel columns of both ends.
 * Crossings drawn on the same pixels are drawn once. */
typedef struct {
	uint8_t kind, from, to;
	int c0, c1;
} xkey;

/* Per pixel column (of a crossing's first time) at most this many
 * distinct crossings, and twice as many looked at: zoomed out, a busy
 * guest's wakes are one per column and lane pair, not thousands of
 * strokes on the same pixels. */
#define XCPU_PER_COL 8

typedef struct {
	GArray *mig, *notch, *wake, *head;   /* of double[4]: x0 y0 x1 y1 */
} xbatch;

static void xadd(GArray **a, double x0, double y0, double x1, double y1)
{
	const double r[4] = { x0, y0, x1, y1 };
	if (!*a)
		*a = g_array_new(FALSE, FALSE, sizeof r);
	g_array_append_vals(*a, r, 1);
}

/* One path of the segments in a (x0 y0 x1 y1 each), stroked once. */
static void stroke_all(cairo_t *cr, const GArray *a)
{
	const double (*r)[4] = (const void *)a->data;
	for (guint i = 0; i < a->len; i++) {
		cairo_move_to(cr, r[i][0], r[i][1]);
		cairo_line_to(cr, r[i][2], r[i][3]);
	}
	cairo_stroke(cr);
}

/* Migrations, their notches, wakes, their heads: a path each, in the
 * order one crossing used to be drawn in. */
static void xflush(cairo_t *cr, xbatch *b)
{
	const double (*r)[4];
	if (b->mig) {
		cairo_set_source_rgb(cr, RV_XCPU_MIGRATE_RGB);
		stroke_all(cr, b->mig);
		r = (const void *)b->notch->data;
		for (guint i = 0; i < b->notch->len; i++)
			cairo_rectangle(cr, r[i][2] - 3, r[i][3] - 3, 6, 6);
		cairo_fill(cr);
	}
	if (b->wake) {
		cairo_set_source_rgb(cr, RV_XCPU_WAKE_RGB);
		stroke_all(cr, b->wake);
		r = (const void *)b->head->data;
		for (guint i = 0; i < b->head->len; i++) {
			const double a = atan2(r[i][3] - r[i][1], r[i][2] - r[i][0]);
			cairo_move_to(cr, r[i][2], r[i][3]);
			cairo_line_to(cr, r[i][2] - 6 * cos(a - 0.45),
				      r[i][3] - 6 * sin(a - 0.45));
			cairo_line_to(cr, r[i][2] - 6 * cos(a + 0.45),
				      r[i][3] - 6 * sin(a + 0.45));
			cairo_close_path(cr);
		}
		cairo_fill(cr);
	}
	GArray *all[] = { b->mig, b->notch, b->wake, b->head };
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		if (all[i])
			g_array_free(all[i], TRUE);
}

/* Crossings with a first time in view (or a last one: a wake that ends
 * in view), from the first whose latest time reaches the view (hi_max),
 * each pixel column's distinct ones once and at most XCPU_PER_COL. */
void rv_draw_xcpu(cairo_t *cr, const rv_model *m, const rv_view *v,
		  double lanes_y)
{
	const rv_xcpu *x = &m->xcpu;
	const double t_end = rv_t(v, v->width);
	xbatch b = { 0 };
	xkey seen[XCPU_PER_COL];
	int nseen = 0, nlook = 0, col = INT_MIN;

	cairo_save(cr);
	if (m->stuck)
		draw_stuck(cr, m, v, lanes_y);
	cairo_set_line_width(cr, 1.5);
	/* crossings before the first whose prefix maximum reaches the view
	 * all end before it; past hi_n (not indexed yet) they are walked */
	uint32_t i = (uint32_t)rv_lower_bound(x->hi_max, x->hi_n,
					      (int64_t)floor(v->from));
	while (i < x->n) {
		RV_WORK(1);
		const int64_t lo = MIN(x->t0[i], x->t1[i]);
		const int64_t hi = MAX(x->t0[i], x->t1[i]);
		if (lo > t_end)
			break;   /* sorted by first time */
		const uint32_t k = i++;
		if (hi < v->from)
			continue;
		const double x0 = rv_x(v, (double)x->t0[k]);
		const double x1 = rv_x(v, (double)x->t1[k]);
		const int c = (int)floor(fmax(rv_x(v, (double)lo), RV_LEFT_W - 1));
		if (c != col) {
			col = c;
			nseen = nlook = 0;
		}
		const xkey key = { x->kind[k], x->from[k], x->to[k],
				   (int)floor(fmax(x0, -1)),
				   (int)floor(fmax(x1, -1)) };
		bool dup = false;
		for (int s = 0; s < nseen && !dup; s++)
			dup = !memcmp(&seen[s], &key, sizeof key);
		if (dup && ++nlook < 2 * XCPU_PER_COL)
			continue;
		if (dup || nseen == XCPU_PER_COL) {
			/* this column has enough: on to the next one */
			i = first_lo(x, i, (int64_t)ceil(rv_t(v, c + 1)));
			continue;
		}
		seen[nseen++] = key;
		const double y0 = lanes_y + (x->from[k] + 0.5) * RV_LANE_H;
		const double y1 = lanes_y + (x->to[k] + 0.5) * RV_LANE_H;
		const double dir = y1 > y0 ? 1 : -1;
		if (x->kind[k] == RV_X_MIGRATE) {
			xadd(&b.mig, x0, y0, x1, y1);
			xadd(&b.notch, x0, y0, x1, y1);
		} else {
			xadd(&b.wake, x0, y0, x1, y1 - dir * 2);
			xadd(&b.head, x0, y0, x1, y1);
		}
	}
	xflush(cr, &b);
	cairo_restore(cr);
}
