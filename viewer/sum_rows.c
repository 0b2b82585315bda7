/*
 * sum_rows.c - per-bucket counts of packed promise rows (sum.h).
 *
 * Zoomed out, a packed row's column (draw_packed.c) looks up its start
 * and end in the row's starts, ends and four touch lists, and reads the
 * resolve and fail counts at the ends found: seven lists a column, each
 * a cache miss or more in lists of millions. An entry here holds all of
 * those answers for one grid point, so a frame whose columns each cover
 * several buckets reads two entries a column (its start's and end's,
 * the end's being the next column's start), a few entries apart, in
 * order. 36 bytes an entry; the finest bucket holds ~RV_ROW_PER of the
 * row's segments and touches, and levels four times coarser sit on top.
 */
#include "sum.h"

#include <glib.h>
#include <stddef.h>

#define RV_ROW_PER 16
#define RV_ROW_MIN 256

/* The entry at g from the lists (the builder walks instead). */
static void row_ent(const rv_row *row, int64_t g, rv_row_ent *en)
{
	en->s = rv_times_search(&row->start, g);
	en->e = rv_times_search(&row->end, g);
	en->el = g < INT64_MAX ? rv_times_search(&row->end, g + 1) : row->n;
	en->nres = rv_row_nres(row, en->e);
	en->nfail = rv_row_nfail(row, en->e);
	for (int t = 0; t < RV_T_COUNT; t++)
		en->t[t] = row->ntouch[t] ? rv_times_search(&row->touch_t[t], g)
					  : 0;
}

void rv_row_sum_free(rv_row *row)
{
	rv_row_sum *u = row->sum;
	if (!u)
		return;
	for (int l = 0; l < u->nlevels; l++)
		g_free(u->lv[l].ent);
	g_free(u);
	row->sum = NULL;
}

/* Sorted lists (the walk's counts are prefix lengths). */
static bool sorted(const rv_times *a)
{
	for (uint32_t i = 1; i < a->n; i++)
		if (rv_times_at(a, i) < rv_times_at(a, i - 1))
			return false;
	return true;
}

/* Advances *i past the times of a below g (>= g if strict: past g). */
static void upto(const rv_times *a, uint32_t *i, int64_t g, bool past)
{
	while (*i < a->n && (past ? rv_times_at(a, *i) <= g
				  : rv_times_at(a, *i) < g))
		++*i;
}

static void build_finest(const rv_row *row, rv_row_level *L, int64_t t0,
			 int64_t t1, int shift)
{
	L->shift = shift;
	rv_sum_finest_grid(t0, t1, shift, &L->q0, &L->nb);
	L->ent = g_new(rv_row_ent, L->nb);
	rv_row_ent cur = { 0 };
	for (uint32_t k = 0; k < L->nb; k++) {
		const int64_t g = (int64_t)((uint64_t)(L->q0 + k) << shift);
		upto(&row->start, &cur.s, g, false);
		upto(&row->end, &cur.e, g, false);
		if (cur.el < cur.e)
			cur.el = cur.e;
		upto(&row->end, &cur.el, g, true);
		for (int t = 0; t < RV_T_COUNT; t++)
			upto(&row->touch_t[t], &cur.t[t], g, false);
		cur.nres = rv_row_nres(row, cur.e);
		cur.nfail = rv_row_nfail(row, cur.e);
		L->ent[k] = cur;
	}
}

/* Level l + 1's entries are level l's at every fourth grid point. */
static bool coarser(const rv_row_level *f, rv_row_level *c)
{
	c->shift = f->shift + 2;
	if (!rv_sum_coarser_grid(f->q0, f->nb, &c->q0, &c->nb))
		return false;
	c->ent = g_new(rv_row_ent, c->nb);
	for (uint32_t k = 0; k < c->nb; k++)
		c->ent[k] = f->ent[(c->q0 + k) * 4 - f->q0];
	return true;
}

void rv_row_sum_build(rv_row *row)
{
	rv_row_sum_free(row);
	uint64_t items = row->n;
	for (int t = 0; t < RV_T_COUNT; t++)
		items += row->ntouch[t];
	if (row->n < 2 || items < RV_ROW_MIN || !row->ends ||
	    row->start.n != row->n || row->end.n != row->n ||
	    !sorted(&row->start) || !sorted(&row->end))
		return;
	int64_t t0 = RV_START(row, 0), t1 = RV_END(row, row->n - 1);
	for (int t = 0; t < RV_T_COUNT; t++) {
		const rv_times *a = &row->touch_t[t];
		if (a->n != row->ntouch[t] || !sorted(a))
			return;
		if (a->n) {
			t0 = MIN(t0, rv_times_at(a, 0));
			t1 = MAX(t1, rv_times_at(a, a->n - 1));
		}
	}
	if (t1 < t0)
		return;
	const uint64_t want = items / RV_ROW_PER;
	const int shift = rv_sum_finest_shift(t0, t1, want);
	rv_row_sum *u = g_new0(rv_row_sum, 1);
	u->n = row->n;
	u->last = RV_END(row, row->n - 1);
	memcpy(u->ntouch, row->ntouch, sizeof u->ntouch);
	build_finest(row, &u->lv[0], t0, t1, shift);
	u->nlevels = 1;
	while (u->nlevels < RV_SUM_MAXLV &&
	       coarser(&u->lv[u->nlevels - 1], &u->lv[u->nlevels]))
		u->nlevels++;
	row->sum = u;
}

size_t rv_row_sum_bytes(const rv_row *row)
{
	size_t n = 0;
	for (int l = 0; row->sum && l < row->sum->nlevels; l++)
		n += (size_t)row->sum->lv[l].nb * sizeof(rv_row_ent);
	return n;
}

const rv_row_level *rv_row_level_for(const rv_row *row, int shift)
{
	const rv_row_sum *u = row->sum;
	if (!u || u->n != row->n || shift < u->lv[0].shift ||
	    memcmp(u->ntouch, row->ntouch, sizeof u->ntouch) ||
	    RV_END(row, row->n - 1) != u->last)
		return NULL;
	return &u->lv[rv_sum_level_index(u->lv[0].shift, u->nlevels, shift)];
}

void rv_row_sum_get(const rv_row *row, const rv_row_level *L, int64_t g,
		    rv_row_ent *out)
{
	const int64_t k = rv_sum_cell(L->shift, L->q0, L->nb, g);
	if (k >= 0)
		*out = L->ent[k];
	else
		row_ent(row, g, out);
}

/* rv_cols_lb of list a at the frame's snapped columns from the entries'
 * field at offset off (a row index), kept for the frame under key. */
static const uint32_t *cols_lb(rv_cols *c, const rv_row_level *L, int shift,
			       size_t off, const void *key, const rv_times *a)
{
	const rv_grid g = { L->shift, L->q0, L->nb,
			    (const unsigned char *)L->ent + off,
			    sizeof *L->ent };
	return rv_cols_lb_grid(c, key, shift, &g, a);
}

const uint32_t *rv_row_sum_cols_lb(rv_cols *c, const rv_row *row,
				   const rv_row_level *L, int shift)
{
	return cols_lb(c, L, shift, offsetof(rv_row_ent, e), L, &row->end);
}

const uint32_t *rv_row_sum_cols_lb_starts(rv_cols *c, const rv_row *row,
					  const rv_row_level *L, int shift)
{
	/* keyed apart from the ends' lookups, which are kept as L's */
	return cols_lb(c, L, shift, offsetof(rv_row_ent, s), L->ent,
		       &row->start);
}
