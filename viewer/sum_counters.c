/*
 * sum_counters.c - per-bucket summaries of counters (sum.h, rv_ctr_sum).
 *
 * Zoomed out, a counter's step line (draw_counters.c) looks up every
 * pixel column's first sample (a finger, then a few times), reads that
 * sample's time, the value before it, and the extent of the column's
 * samples from the pyramid (raw samples at both ends, two nodes a level
 * climbed): a dozen cache misses a column in a list of millions, the
 * largest share of a whole-trace frame's misses left after the span and
 * row summaries. An entry here holds them for one grid point and the
 * cell after it, and the frame reads the entries at its snapped column
 * starts and the cells between, in order.
 *
 * Memory: 32 bytes an entry, a finest bucket holding ~RV_CTR_PER samples
 * and levels four times coarser on top: ~2.7 bytes a sample.
 */
#include "sum.h"

#include <glib.h>

/* Average samples a finest bucket. */
#define RV_CTR_PER 16
/* Counters shorter than this are drawn as they are. */
#define RV_CTR_MIN 256

/* Sample e's fields at g (e the first at or after g). */
static void put_first(const rv_counter *c, int64_t g, uint32_t e,
		      rv_ctr_ent *en)
{
	en->e = e;
	en->dt = e < c->n ? rv_sum_off32(rv_times_at(&c->t, e), g)
			  : RV_SUM_FAR;
	en->vprev = e ? rv_counter_v(c, e - 1) : 0;
}

void rv_ctr_sum_free(rv_counter *c)
{
	rv_ctr_sum *u = c->sum;
	if (!u)
		return;
	for (int l = 0; l < u->nlevels; l++)
		g_free(u->lv[l].ent);
	g_free(u);
	c->sum = NULL;
}

/* Level l + 1: level l's entries at every fourth grid point, and the
 * extent of the four cells from there. The finer level's last grid
 * point lies past the last sample, so cells past it are empty; the
 * coarser one's range is rounded out to keep that so. */
static bool coarser(const rv_counter *c, const rv_ctr_level *f,
		    rv_ctr_level *k)
{
	k->shift = f->shift + 2;
	const int64_t q_lo = f->q0, q_hi = f->q0 + f->nb - 1;
	const int64_t lo = q_lo >= 0 ? (q_lo + 3) / 4 : -((-q_lo) / 4);
	const int64_t hi = q_hi >= 0 ? (q_hi + 3) / 4 : -((-q_hi) / 4);
	/* rounded out, a level of two points would have coarser ones of
	 * two points on top for ever: stop once none is smaller */
	if (hi - lo + 1 < 2 || hi - lo + 1 >= f->nb || k->shift > 60)
		return false;
	k->q0 = lo;
	k->nb = (uint32_t)(hi - lo + 1);
	k->ent = g_new(rv_ctr_ent, k->nb);
	for (uint32_t q = 0; q < k->nb; q++) {
		const int64_t fk = (lo + q) * 4 - q_lo;
		rv_ctr_ent *en = &k->ent[q];
		if (fk < f->nb) {
			*en = f->ent[fk];
		} else {
			en->e = c->n;
			en->dt = RV_SUM_FAR;
			en->vprev = rv_counter_v(c, c->n - 1);
		}
		en->mn = INT64_MAX;
		en->mx = INT64_MIN;
		for (int64_t j = fk; j < fk + 4 && j < f->nb; j++) {
			en->mn = MIN(en->mn, f->ent[j].mn);
			en->mx = MAX(en->mx, f->ent[j].mx);
		}
	}
	return true;
}

void rv_ctr_sum_build(rv_counter *c)
{
	rv_ctr_sum_free(c);
	if (c->n < RV_CTR_MIN || c->t.n != c->n || c->v.n != c->n)
		return;
	const int64_t t0 = rv_times_at(&c->t, 0);
	const int64_t t1 = rv_times_at(&c->t, c->n - 1);
	const uint64_t want = c->n / RV_CTR_PER;
	const int shift = rv_sum_finest_shift(t0, t1, want);
	rv_ctr_sum *u = g_new0(rv_ctr_sum, 1);
	u->n = c->n;
	u->last = t1;
	rv_ctr_level *L = &u->lv[0];
	L->shift = shift;
	rv_sum_finest_grid(t0, t1, shift, &L->q0, &L->nb);
	L->ent = g_new(rv_ctr_ent, L->nb);
	uint32_t e = 0;
	for (uint32_t k = 0; k < L->nb; k++) {
		const int64_t g = (int64_t)((uint64_t)(L->q0 + k) << shift);
		const int64_t gn = g + (INT64_C(1) << shift);
		rv_ctr_ent *en = &L->ent[k];
		put_first(c, g, e, en);
		en->mn = INT64_MAX;
		en->mx = INT64_MIN;
		/* the samples are in time order: e is the first at or
		 * after g, and the cell's run on to the first at gn */
		for (; e < c->n && rv_times_at(&c->t, e) < gn; e++) {
			const int64_t v = rv_counter_v(c, e);
			en->mn = MIN(en->mn, v);
			en->mx = MAX(en->mx, v);
		}
	}
	u->nlevels = 1;
	while (u->nlevels < RV_SUM_MAXLV &&
	       coarser(c, &u->lv[u->nlevels - 1], &u->lv[u->nlevels]))
		u->nlevels++;
	c->sum = u;
}

size_t rv_ctr_sum_bytes(const rv_counter *c)
{
	size_t n = 0;
	for (int l = 0; c->sum && l < c->sum->nlevels; l++)
		n += (size_t)c->sum->lv[l].nb * sizeof(rv_ctr_ent);
	return n;
}

const rv_ctr_level *rv_ctr_level_for(const rv_counter *c, int shift)
{
	const rv_ctr_sum *u = c->sum;
	if (!u || u->n != c->n || shift < u->lv[0].shift ||
	    rv_times_at(&c->t, c->n - 1) != u->last)
		return NULL;
	return &u->lv[rv_sum_level_index(u->lv[0].shift, u->nlevels, shift)];
}

void rv_ctr_sum_get(const rv_counter *c, const rv_ctr_level *L, int64_t g,
		    rv_ctr_ent *out)
{
	const int64_t k = rv_sum_cell(L->shift, L->q0, L->nb, g);
	if (k >= 0) {
		*out = L->ent[k];
		return;
	}
	/* outside the level: before the first sample's cell or past the
	 * last (the coarser levels start a little later) */
	const uint32_t e = rv_times_search(&c->t, g);
	put_first(c, g, e, out);
	const uint32_t e2 = rv_times_gallop(&c->t, e, g + (INT64_C(1) <<
							   L->shift));
	out->mn = INT64_MAX;
	out->mx = INT64_MIN;
	if (e2 > e)
		rv_counter_extent(c, e, e2, &out->mn, &out->mx);
}

bool rv_ctr_sum_extent(const rv_ctr_level *L, int64_t g0, int64_t g1,
		       uint32_t i, int64_t *mn, int64_t *mx)
{
	const int64_t q0 = (g0 >> L->shift) - L->q0;
	const int64_t q1 = (g1 >> L->shift) - L->q0;
	if (q0 < 0 || q1 > L->nb || q0 >= q1 || L->ent[q0].e != i)
		return false;
	int64_t a = INT64_MAX, b = INT64_MIN;
	for (int64_t q = q0; q < q1; q++) {
		RV_WORK(1);
		a = MIN(a, L->ent[q].mn);
		b = MAX(b, L->ent[q].mx);
	}
	*mn = a;
	*mx = b;
	return true;
}
