/*
 * touch.c - the read, try_read and signal arrows of a zoomed-out row.
 *
 * Zoomed out, a dense promise row is drawn per pixel column
 * (draw_promises.c: draw_agg_row), and no arrow touching it is drawn: its
 * create, resolve and fail arrows are stood for by the row's own ticks.
 * The other kinds -- a promise read (or read after it failed), polled
 * (try_read), signalled -- would vanish without a trace, so each row keeps,
 * per kind, the times at which such an arrow has an end in it. A pixel
 * column then asks "any of kind k in [t0, t1)?" with two gallops, which
 * keeps a frame O(width) per row however many arrows the row has.
 *
 * With the filter on, an arrow is drawn only when both its ends are
 * shown, and the summary keeps to the same rule: rv_match_rows carries
 * per-row running counts of the shown touches (rv_touch_match_build), so
 * that question is two lookups as well.
 */
#include "draw.h"
#include "model.h"

#include <assert.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

int rv_touch_kind(uint8_t arrow_kind)
{
	switch (arrow_kind) {
	case RV_A_READ: return RV_T_READ;
	case RV_A_READ_FAILED: return RV_T_READ_FAILED;
	case RV_A_TRY_READ: return RV_T_TRY_READ;
	case RV_A_SIGNAL: return RV_T_SIGNAL;
	default: return -1;
	}
}

typedef struct {
	int64_t t;
	uint32_t arrow;
} touch;

static int touch_cmp(const void *a, const void *b)
{
	const touch *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->arrow < y->arrow ? -1 : x->arrow > y->arrow;
}

/* The row each end of arrow k is drawn on (as draw_arrows finds it). */
static void arrow_rows(const rv_model *m, uint32_t k, int32_t *r0,
		       int32_t *r1)
{
	const rv_arrows *a = &m->arrows;
	*r0 = rv_pp_row_at(m, a->from[k], a->t0[k]);
	*r1 = rv_pp_row_at(m, a->to[k], a->t1[k]);
}

static bool row_ok(const rv_model *m, int32_t r)
{
	return r >= 0 && (uint32_t)r < m->nrows;
}

/* The ends are placed in the arrows' t1 order, so a list is mostly
 * sorted already (most reads' two ends are one instant): check first. */
static void sort_touches(rv_row *row, int t)
{
	const uint32_t n = row->ntouch[t];
	uint32_t i = 1;
	while (i < n && row->touch_t[t][i - 1] <= row->touch_t[t][i])
		i++;
	if (i >= n)
		return;
	touch *tmp = g_new(touch, n);
	for (i = 0; i < n; i++)
		tmp[i] = (touch){ row->touch_t[t][i], row->touch_arrow[t][i] };
	qsort(tmp, n, sizeof *tmp, touch_cmp);
	for (i = 0; i < n; i++) {
		row->touch_t[t][i] = tmp[i].t;
		row->touch_arrow[t][i] = tmp[i].arrow;
	}
	g_free(tmp);
}

/* Pass 0 counts each row's ends per kind, pass 1 places them. */
static void place_touches(rv_model *m, int pass)
{
	const rv_arrows *a = &m->arrows;
	for (uint32_t k = 0; k < a->n; k++) {
		int t = rv_touch_kind(a->kind[k]);
		if (t < 0)
			continue;
		int32_t r[2];
		arrow_rows(m, k, &r[0], &r[1]);
		for (int e = 0; e < 2; e++) {
			/* an arrow within one row at one instant touches
			 * it once */
			if (!row_ok(m, r[e]) || (e == 1 && r[1] == r[0] &&
						 a->t1[k] == a->t0[k]))
				continue;
			rv_row *row = &m->rows[r[e]];
			uint32_t i = row->ntouch[t]++;
			if (pass == 1) {
				row->touch_t[t][i] = e ? a->t1[k] : a->t0[k];
				row->touch_arrow[t][i] = k;
			}
		}
	}
}

void rv_touch_index(rv_model *m)
{
	place_touches(m, 0);
	for (uint32_t r = 0; r < m->nrows; r++)
		for (int t = 0; t < RV_T_COUNT; t++) {
			rv_row *row = &m->rows[r];
			uint32_t n = row->ntouch[t] ? row->ntouch[t] : 1;
			row->touch_t[t] = g_new(int64_t, n);
			row->touch_arrow[t] = g_new(uint32_t, n);
			row->ntouch[t] = 0;
		}
	place_touches(m, 1);
	for (uint32_t r = 0; r < m->nrows; r++)
		for (int t = 0; t < RV_T_COUNT; t++)
			sort_touches(&m->rows[r], t);
}

void rv_touch_free(rv_row *row)
{
	for (int t = 0; t < RV_T_COUNT; t++) {
		g_free(row->touch_t[t]);
		g_free(row->touch_arrow[t]);
	}
}

void rv_touch_match_build(rv_match_rows *mr, const rv_model *m,
			  const uint8_t *match)
{
	const rv_arrows *a = &m->arrows;
	size_t total = 0;
	mr->toff = g_new(size_t, (size_t)m->nrows * RV_T_COUNT + 1);
	for (uint32_t r = 0; r < m->nrows; r++)
		for (int t = 0; t < RV_T_COUNT; t++) {
			mr->toff[(size_t)r * RV_T_COUNT + t] = total;
			total += m->rows[r].ntouch[t] + 1;
		}
	mr->toff[(size_t)m->nrows * RV_T_COUNT] = total;
	mr->tn = g_new(uint32_t, total ? total : 1);
	for (uint32_t r = 0; r < m->nrows; r++)
		for (int t = 0; t < RV_T_COUNT; t++) {
			const rv_row *row = &m->rows[r];
			uint32_t *n = mr->tn + mr->toff[(size_t)r * RV_T_COUNT + t];
			n[0] = 0;
			for (uint32_t i = 0; i < row->ntouch[t]; i++) {
				uint32_t k = row->touch_arrow[t][i];
				n[i + 1] = n[i] + (match[a->from[k]] &&
						   match[a->to[k]]);
			}
		}
}

unsigned rv_row_touches_view(const rv_model *m, const rv_view *v, int32_t r,
			     int64_t t0, int64_t t1, rv_touch_hint *h)
{
	assert(m && v && h && r >= 0 && (uint32_t)r < m->nrows && t0 <= t1);
	const rv_row *row = &m->rows[r];
	const rv_match_rows *mr = v->match_rows;
	/* as rv_row_agg_view: a view with matches but no counts of them
	 * hides nothing in its packed rows */
	const bool counted = v->filter && v->match && mr &&
			     mr->nrows == m->nrows && mr->tn;
	unsigned kinds = 0;
	for (int t = 0; t < RV_T_COUNT; t++) {
		const int64_t *ts = row->touch_t[t];
		uint32_t n = row->ntouch[t];
		uint32_t i0 = rv_gallop(ts, n, h->i[t], t0);
		uint32_t i1 = rv_gallop(ts, n, i0, t1);
		h->i[t] = i0;
		if (i1 == i0)
			continue;
		if (counted) {
			const uint32_t *c = mr->tn +
				mr->toff[(size_t)r * RV_T_COUNT + t];
			if (c[i1] == c[i0])
				continue;
		}
		kinds |= 1u << t;
	}
	return kinds;
}
