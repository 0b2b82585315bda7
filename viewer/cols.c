/*
 * cols.c - a frame's pixel columns and their lookups (draw.h, rv_cols).
 *
 * Zoomed out, every lane, packed row, counter and the arrows ask each of
 * their time lists "where does column x start?" for every column, and the
 * labels ask the rows again. Asked one at a time, each answer waits on
 * two or three cache misses in a list of millions (lod.c); asked for all
 * columns of a list at once (rv_lod_search_many) the misses overlap.
 * Answers are kept for the frame, so a list asked twice (a row's ends by
 * its aggregate and by its labels) is searched once.
 */
#include "draw.h"
#include "lod.h"

#include <glib.h>
#include <math.h>
#include <string.h>

rv_cols *rv_cols_new(const rv_view *v)
{
	rv_cols *c = g_new0(rv_cols, 1);
	c->n = v->width >= RV_LEFT_W ? v->width - RV_LEFT_W + 1 : 0;
	c->t = g_new(int64_t, c->n ? c->n : 1);
	for (int k = 0; k < c->n; k++)
		c->t[k] = (int64_t)ceil(rv_t(v, RV_LEFT_W + k));
	return c;
}

void rv_cols_free(rv_cols *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->nlists; i++)
		g_free(c->lb[i]);
	g_free(c->lb);
	g_free(c->list);
	g_free(c->ts);
	g_free(c->t);
	g_free(c);
}

const uint32_t *rv_cols_cached(const rv_cols *c, const void *a)
{
	/* a frame asks about a few hundred lists, a few times each */
	for (uint32_t i = 0; c && i < c->nlists; i++)
		if (c->list[i] == a)
			return c->lb[i];
	return NULL;
}

uint32_t *rv_cols_put(rv_cols *c, const void *key)
{
	if (c->nlists == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->list = g_renew(const void *, c->list, c->cap);
		c->lb = g_renew(uint32_t *, c->lb, c->cap);
	}
	uint32_t *lb = g_new(uint32_t, c->n ? c->n : 1);
	c->list[c->nlists] = key;
	c->lb[c->nlists++] = lb;
	return lb;
}

const uint32_t *rv_cols_lb(rv_cols *c, const rv_times *a)
{
	const uint32_t *known = rv_cols_cached(c, a);
	if (known)
		return known;
	uint32_t *lb = rv_cols_put(c, a);
	rv_lod_search_many(a, c->t, (uint32_t)c->n, lb);
	return lb;
}

/* The first start at or after each column's start, for intervals that
 * do not overlap (start[i] <= end[i] <= start[i + 1]), from the ends'
 * (E): every interval before E[k] ends, so starts, before the column's
 * start t, and every one after E[k] starts at or after E[k]'s end, so at
 * or after t: the answer is E[k], or E[k] + 1 when interval E[k] starts
 * before t. One time read where a search reads a finger and then the
 * times (half of a packed row's lookups). Where the next interval does
 * start before t after all, the intervals overlap, and that column is
 * searched as rv_cols_lb would. */
static void lb_from_ends(const rv_cols *c, const rv_times *start,
			 const uint32_t *E, uint32_t *out)
{
	const uint32_t n = start->n;
	uint32_t prev = 0;
	for (int k = 0; k < c->n; k++) {
		if (k + RV_COLS_AHEAD < c->n && E[k + RV_COLS_AHEAD] < n)
			rv_times_prefetch(start, E[k + RV_COLS_AHEAD]);
		const int64_t t = c->t[k];
		uint32_t j = E[k] < n ? E[k] : n;
		RV_WORK(1);
		if (j < n && rv_times_at(start, j) < t) {
			j++;
			if (j < n && rv_times_at(start, j) < t)
				j = rv_times_gallop(start, MAX(prev, j), t);
		}
		out[k] = prev = MAX(prev, j);
	}
}

const uint32_t *rv_cols_lb_starts(rv_cols *c, const rv_times *start,
				  const rv_times *end)
{
	const uint32_t *known = rv_cols_cached(c, start);
	if (known)
		return known;
	const uint32_t *E = rv_cols_lb(c, end);
	uint32_t *lb = rv_cols_put(c, start);
	lb_from_ends(c, start, E, lb);
	return lb;
}

bool rv_cols_dense(const rv_cols *c, const rv_times *a)
{
	if (!c || c->n < 2)
		return false;
	const uint32_t i0 = rv_times_search(a, c->t[0]);
	const uint32_t i1 = rv_times_gallop(a, i0, c->t[c->n - 1]);
	return i1 - i0 >= (uint32_t)c->n;
}

const int64_t *rv_cols_snapped(rv_cols *c, int shift)
{
	if (c->ts && c->ts_shift == shift)
		return c->ts;
	if (!c->ts)
		c->ts = g_new(int64_t, c->n ? c->n : 1);
	const int64_t mask = -(INT64_C(1) << shift);
	for (int k = 0; k < c->n; k++)
		c->ts[k] = c->t[k] & mask;
	c->ts_shift = shift;
	return c->ts;
}

const uint32_t *rv_cols_lb_grid(rv_cols *c, const void *key, int shift,
				const rv_grid *g, const rv_times *end)
{
	const uint32_t *known = rv_cols_cached(c, key);
	if (known)
		return known;
	const int64_t *ts = rv_cols_snapped(c, shift);
	uint32_t *lb = rv_cols_put(c, key);
	for (int k = 0; k < c->n; k++) {
		const int64_t q = (ts[k] >> g->shift) - g->q0;
		RV_WORK(1);
		if (q >= 0 && q < g->nb)
			memcpy(&lb[k], g->e + (size_t)q * g->stride,
			       sizeof lb[k]);
		else
			lb[k] = rv_times_search(end, ts[k]);
	}
	return lb;
}
