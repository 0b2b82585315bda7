/*
 * sum.c - per-bucket summaries of span lists (sum.h) and the lane walk
 * that reads them.
 *
 * Zoomed out, draw_spans (draw.c) looks up every pixel column's start in
 * the list's ends (a finger, then a few times: cols.c, lod.c), and reads
 * the found span's start, end, kind, ref and running total, and often
 * the next span's: five or more cache misses a column in lists of
 * millions, which bounded the whole-trace frames. An entry here holds
 * all of that for one grid point, and a frame whose columns each cover
 * several buckets reads the entries at its snapped column starts: a few
 * entries apart, in order, so the memory system streams them.
 *
 * Memory: 28 bytes an entry (+8 with running totals, +24 for a thread
 * state list's first running spans), a finest bucket holding
 * ~RV_SUM_PER spans and levels four times coarser on top (4/3 of the
 * finest): ~2.3 bytes a span, ~3 with running totals, ~4.3 in a thread
 * state list (rv_sum_bytes; bench prints sum_bytes).
 */
#include "sum.h"

#include <assert.h>
#include <glib.h>
#include <math.h>
#include <stddef.h>

/* Average spans a finest bucket: the summary serves columns of about
 * 2 * RV_SUM_PER spans or more. */
#define RV_SUM_PER 16
/* Lists shorter than this are drawn as they are. */
#define RV_SUM_MIN 256

static void put_span(const rv_spans *s, uint32_t i, int64_t g,
		     rv_sum_ent *en, int w)
{
	if (i >= s->n) {
		en->ds[w] = en->de[w] = RV_SUM_FAR;
		en->key[w] = RV_SUM_NOKEY;
		return;
	}
	en->ds[w] = rv_sum_off32(RV_START(s, i), g);
	en->de[w] = rv_sum_off32(RV_END(s, i), g);
	const uint32_t ref = RV_REF(s, i);
	en->key[w] = ref < (1u << 24) ? (uint32_t)RV_KIND(s, i) << 24 | ref
				      : RV_SUM_NOKEY;
}

/* The entry at g, e being the first span ending at or after g. */
static void fill_ent(const rv_spans *s, int64_t g, uint32_t e,
		     rv_sum_ent *en, int64_t *cum)
{
	en->e = e;
	put_span(s, e, g, en, 0);
	put_span(s, e + 1, g, en, 1);
	if (cum)
		*cum = s->cum.n ? RV_CUM(s, e < s->n ? e : s->n) : 0;
}

/* Sorted, non-overlapping, no span ending before it starts, and the
 * running totals whole and far from saturating (the walk adds a span's
 * length to its total): what the walk's shortcuts assume. */
static bool summable(const rv_spans *s)
{
	if (s->n < RV_SUM_MIN || s->start.n != s->n || s->end.n != s->n)
		return false;
	if (s->cum.n && (s->cum_n != s->n || s->cum.n != s->n + 1 ||
			 RV_CUM(s, s->n) > INT64_MAX / 4))
		return false;
	int64_t prev = INT64_MIN;
	for (uint32_t i = 0; i < s->n; i++) {
		const int64_t a = RV_START(s, i), b = RV_END(s, i);
		if (a < prev || b < a)
			return false;
		prev = b;
	}
	return true;
}

void rv_sum_free(rv_spans *s)
{
	rv_span_sum *u = s->sum;
	if (!u)
		return;
	for (int l = 0; l < u->nlevels; l++) {
		g_free(u->lv[l].ent);
		g_free(u->lv[l].cum);
		g_free(u->lv[l].run);
	}
	g_free(u);
	s->sum = NULL;
}

/* Level l + 1's entries are level l's at every fourth grid point. */
static bool coarser(const rv_sum_level *f, rv_sum_level *c, bool cum)
{
	c->shift = f->shift + 2;
	if (!rv_sum_coarser_grid(f->q0, f->nb, &c->q0, &c->nb))
		return false;
	c->ent = g_new(rv_sum_ent, c->nb);
	c->cum = cum ? g_new(int64_t, c->nb) : NULL;
	for (uint32_t k = 0; k < c->nb; k++) {
		const int64_t fk = (c->q0 + k) * 4 - f->q0;
		c->ent[k] = f->ent[fk];
		if (cum)
			c->cum[k] = f->cum[fk];
	}
	return true;
}

void rv_sum_build(rv_spans *s)
{
	rv_sum_free(s);
	if (!summable(s))
		return;
	const int64_t t0 = RV_START(s, 0), t1 = RV_END(s, s->n - 1);
	/* the smallest shift giving at most n / RV_SUM_PER buckets */
	const uint64_t want = s->n / RV_SUM_PER;
	const int shift = rv_sum_finest_shift(t0, t1, want);
	rv_span_sum *u = g_new0(rv_span_sum, 1);
	u->n = s->n;
	u->last = t1;
	rv_sum_level *L = &u->lv[0];
	const bool cum = s->cum.n != 0;
	L->shift = shift;
	rv_sum_finest_grid(t0, t1, shift, &L->q0, &L->nb);
	L->ent = g_new(rv_sum_ent, L->nb);
	L->cum = cum ? g_new(int64_t, L->nb) : NULL;
	uint32_t e = 0;
	for (uint32_t k = 0; k < L->nb; k++) {
		const int64_t g = (int64_t)((uint64_t)(L->q0 + k) << shift);
		while (e < s->n && RV_END(s, e) < g)
			e++;
		fill_ent(s, g, e, &L->ent[k], cum ? &L->cum[k] : NULL);
	}
	u->nlevels = 1;
	while (u->nlevels < RV_SUM_MAXLV &&
	       coarser(&u->lv[u->nlevels - 1], &u->lv[u->nlevels], cum))
		u->nlevels++;
	s->sum = u;
}

/* The first running span at or after index r (n: none). */
static uint32_t next_running(const rv_spans *s, uint32_t r)
{
	while (r < s->n && RV_KIND(s, r) != RV_K_RUNNING)
		r++;
	return r;
}

/* The finest level's first running spans: r[0], the first running span
 * at or after the entry's e, and r[1], the next, only move on as e does. */
static void runs_finest(const rv_spans *s, rv_sum_level *L)
{
	L->run = g_new(rv_sum_run, L->nb);
	uint32_t r[2] = { 0, 0 };
	for (uint32_t k = 0; k < L->nb; k++) {
		const int64_t g = (int64_t)((uint64_t)(L->q0 + k) << L->shift);
		r[0] = next_running(s, MAX(r[0], L->ent[k].e));
		r[1] = next_running(s, MAX(r[1], r[0] + 1));
		rv_sum_run *u = &L->run[k];
		for (int w = 0; w < 2; w++) {
			const bool in = r[w] < s->n;
			u->i[w] = in ? r[w] : s->n;
			u->ds[w] = in ? rv_sum_off32(RV_START(s, r[w]), g)
				      : RV_SUM_FAR;
			u->de[w] = in ? rv_sum_off32(RV_END(s, r[w]), g)
				      : RV_SUM_FAR;
		}
	}
}

void rv_sum_build_runs(rv_spans *s)
{
	rv_span_sum *u = s->sum;
	if (!u)
		return;
	assert(!u->lv[0].run);   /* once a summary: rv_sum_build made it */
	runs_finest(s, &u->lv[0]);
	/* as coarser(): level l + 1's at every fourth grid point */
	for (int l = 1; l < u->nlevels; l++) {
		const rv_sum_level *f = &u->lv[l - 1];
		rv_sum_level *c = &u->lv[l];
		c->run = g_new(rv_sum_run, c->nb);
		for (uint32_t k = 0; k < c->nb; k++)
			c->run[k] = f->run[(c->q0 + k) * 4 - f->q0];
	}
}

size_t rv_sum_bytes(const rv_spans *s)
{
	size_t n = 0;
	for (int l = 0; s->sum && l < s->sum->nlevels; l++)
		n += (size_t)s->sum->lv[l].nb * (sizeof(rv_sum_ent) +
			(s->sum->lv[l].cum ? sizeof(int64_t) : 0) +
			(s->sum->lv[l].run ? sizeof(rv_sum_run) : 0));
	return n;
}

size_t rv_sum_model_bytes(const rv_model *m)
{
	size_t n = rv_sum_bytes(&m->band_idle) + rv_sum_bytes(&m->band_irq) +
		   rv_sum_bytes(&m->band_alloc);
	for (int c = 0; c < m->ncpus; c++)
		n += rv_sum_bytes(&m->cpu_lane[c]) +
		     rv_sum_bytes(&m->cpu_idle[c]) +
		     rv_sum_bytes(&m->cpu_irq[c]) +
		     rv_sum_bytes(&m->cpu_alloc[c]);
	for (uint32_t i = 0; i < m->nthreads; i++)
		n += rv_sum_bytes(&m->threads[i].states);
	for (uint32_t r = 0; r < m->nrows; r++)
		n += rv_row_sum_bytes(&m->rows[r]);
	for (uint32_t i = 0; i < m->ncounters; i++)
		n += rv_ctr_sum_bytes(&m->counters[i]);
	return n;
}

int rv_sum_shift(const rv_view *v)
{
	int ex;
	if (!(v->ns_per_px >= 4) || !isfinite(v->ns_per_px))
		return -1;
	frexp(v->ns_per_px, &ex);   /* 2^(ex-1) <= npp < 2^ex */
	return ex - 2 < 60 ? ex - 2 : 60;
}

const rv_sum_level *rv_sum_level_for(const rv_spans *s, int shift)
{
	const rv_span_sum *u = s->sum;
	if (!u || u->n != s->n || shift < u->lv[0].shift ||
	    RV_END(s, s->n - 1) != u->last)
		return NULL;
	return &u->lv[rv_sum_level_index(u->lv[0].shift, u->nlevels, shift)];
}

void rv_sum_get(const rv_spans *s, const rv_sum_level *L, int64_t g,
		rv_sum_ent *out, int64_t *cum)
{
	const int64_t k = rv_sum_cell(L->shift, L->q0, L->nb, g);
	if (k >= 0) {
		*out = L->ent[k];
		if (L->cum)
			*cum = L->cum[k];
		return;
	}
	fill_ent(s, g, rv_times_search(&s->end, g), out, cum);
}

/* The span the walk is at: its fields, and its running total once
 * known (have_cum). */
typedef struct {
	uint32_t i;
	int64_t start, end, cum;
	uint8_t kind;
	uint32_t ref;
	bool have_cum;
} cur_span;

static void read_span(const rv_spans *s, uint32_t i, cur_span *c)
{
	c->i = i;
	c->have_cum = false;
	if (i >= s->n)
		return;
	c->start = RV_START(s, i);
	c->end = RV_END(s, i);
	c->kind = RV_KIND(s, i);
	c->ref = RV_REF(s, i);
}

/* Whether entry en holds span e + w whole (times within 32 bits of its
 * grid point, kind and ref in its key). */
static inline bool ent_whole(const rv_sum_ent *en, int w)
{
	return en->ds[w] != RV_SUM_FAR && en->de[w] != RV_SUM_FAR &&
	       en->key[w] != RV_SUM_NOKEY;
}

/* Span e + w of entry en at g (cum: the running total at e). */
static void ent_span(const rv_spans *s, const rv_sum_ent *en, int64_t g,
		     int64_t cum, int w, cur_span *c)
{
	const uint32_t i = en->e + (uint32_t)w;
	if (!ent_whole(en, w)) {
		read_span(s, i, c);
		return;
	}
	c->i = i;
	c->start = g + en->ds[w];
	c->end = g + en->de[w];
	c->kind = (uint8_t)(en->key[w] >> 24);
	c->ref = en->key[w] & 0xffffff;
	c->cum = cum;
	c->have_cum = w == 0;
	if (w == 1) {
		/* span e's length on top of its total (summable: the spans
		 * are ordered, so the length is end - start) */
		c->cum = cum + ((int64_t)en->de[0] - en->ds[0]);
		c->have_cum = en->ds[0] != RV_SUM_FAR &&
			      en->de[0] != RV_SUM_FAR;
	}
}

void rv_sum_span_of(const rv_spans *s, const rv_sum_ent *en, int64_t g,
		    uint32_t j, rv_sum_span *out)
{
	assert(j < s->n && (!en || j >= en->e));
	const uint32_t w = en ? j - en->e : 2;
	if (w < 2 && ent_whole(en, (int)w)) {
		out->start = g + en->ds[w];
		out->end = g + en->de[w];
		out->kind = (uint8_t)(en->key[w] >> 24);
		return;
	}
	out->start = RV_START(s, j);
	out->end = RV_END(s, j);
	out->kind = RV_KIND(s, j);
}

/* Entries this many columns ahead are asked of the cache. */
#define SUM_AHEAD 8

void rv_draw_spans_sum(const rv_model *m, const rv_view *v,
		       const rv_spans *s, const rv_sum_level *L, int shift,
		       rv_span_emit *em, rv_span_rgba col)
{
	const rv_cols *c = v->cols;
	const int64_t *ts = rv_cols_snapped(v->cols, shift);
	const double t_to = rv_t(v, v->width);
	const bool has_cum = s->cum.n != 0;
	cur_span cur;
	read_span(s, rv_spans_first_ending_after(s, (int64_t)v->from), &cur);
	double rgba[4];
	/* as draw_spans: a pixel marked from running totals is not marked
	 * again by the span running on from it */
	double done_x = RV_LEFT_W;
	while (cur.i < s->n && (double)cur.start <= t_to) {
		RV_WORK(1);
		double x0 = rv_sum_x(v, c, ts, cur.start);
		double x1 = rv_sum_x(v, c, ts, cur.end);
		if (has_cum && x0 < done_x)
			x0 = fmin(done_x, x1);
		if (x0 < RV_LEFT_W)
			x0 = RV_LEFT_W;
		if (x1 > v->width)
			x1 = v->width;
		if (x1 - x0 >= 1) {
			if (col(m, cur.kind, cur.ref, rgba))
				rv_span_emit_rect(em, x0, x1 - x0, rgba);
			done_x = x1;
			read_span(s, cur.i + 1, &cur);
			continue;
		}
		/* everything else ending within this column is one mark:
		 * the walk goes on at e of the next column's entry */
		const double px = (double)(int64_t)x0;   /* x0 > 0 */
		const int k = (int)px - RV_LEFT_W + 1;
		const int64_t g = k < c->n ? ts[k]
					   : (int64_t)ceil(rv_t(v, px + 1));
		if (k + SUM_AHEAD < c->n)
			rv_sum_prefetch(L, ts[k + SUM_AHEAD]);
		rv_sum_ent en;
		int64_t ecum = 0;
		rv_sum_get(s, L, g, &en, &ecum);
		if (col(m, cur.kind, cur.ref, rgba)) {
			if (has_cum) {
				/* the time spans cur.i.. fill of the column
				 * [t0, g): what the spans before g fill,
				 * less what those before cur.i and cur.i's
				 * part before t0 do */
				const int64_t t0 = ts[k - 1];
				int64_t f_g;
				if (en.e < s->n) {
					const int64_t st = en.ds[0] != RV_SUM_FAR ?
						g + en.ds[0] : RV_START(s, en.e);
					f_g = ecum + (g > st ? g - st : 0);
				} else {
					f_g = RV_CUM(s, s->n);
				}
				if (!cur.have_cum) {
					cur.cum = RV_CUM(s, cur.i);
					cur.have_cum = true;
				}
				int64_t fill = f_g - cur.cum -
					(t0 > cur.start ? t0 - cur.start : 0);
				if (fill < 0)
					fill = 0;
				rgba[3] *= fmin(1.0, fmax(0.12, (double)fill /
							   v->ns_per_px));
			}
			rv_span_emit_rect(em, px, 1, rgba);
		}
		done_x = px + 1;
		/* as draw_spans: on at e, or past cur.i where it runs on
		 * across g (e is never before cur.i, which starts before
		 * g; were it, the walk still goes forward) */
		if (en.e > cur.i)
			ent_span(s, &en, g, ecum, 0, &cur);
		else if (en.e == cur.i)
			ent_span(s, &en, g, ecum, 1, &cur);
		else
			read_span(s, cur.i + 1, &cur);
	}
}

const uint32_t *rv_sum_cols_lb(rv_cols *c, const rv_spans *s,
			       const rv_sum_level *L, int shift)
{
	const rv_grid g = { L->shift, L->q0, L->nb,
			    (const unsigned char *)L->ent +
			    offsetof(rv_sum_ent, e), sizeof *L->ent };
	return rv_cols_lb_grid(c, L, shift, &g, &s->end);
}
