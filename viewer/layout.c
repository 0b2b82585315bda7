/*
 * layout.c - where promise-like items go, mirage-trace-viewer style, plus
 * the small lookup helpers drawing needs (binary searches, counter
 * pyramids, names).
 *
 * Rows: items are placed in creation order. A child goes just below its
 * creator's row and steps down past any row still busy at its start time.
 * Because placement is in start order, a row is free at t exactly when
 * everything already in it has ended by t, so one "busy until" per row
 * decides it. When X becomes Y, Y's line carries on in X's row from the
 * becomes time; X's row is therefore reserved until the end of the whole
 * chain, and the chain's segments are appended right after X's, which
 * keeps every row sorted without a sort.
 */
#include "model.h"

#include <assert.h>
#include <glib.h>
#include <string.h>

#include "ringside_ring.h"
#include "rs_decode.h"

#define MAX_ROWS 20000  /* beyond this, items share the last row */

static void row_push(rv_row *r, int64_t s, int64_t e, uint32_t pp)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->pp = g_realloc_n(r->pp, r->cap, sizeof *r->pp);
	}
	/* segments never go back in time within a row */
	if (r->n && s < RV_END(r, r->n - 1))
		s = RV_END(r, r->n - 1);
	rv_times_push(&r->start, s);
	rv_times_push(&r->end, e < s ? s : e);
	r->pp[r->n++] = pp;
}

static int64_t seg_end(const rv_model *m, uint32_t p, int64_t never)
{
	const rv_pps *pp = &m->pp;
	int64_t e = pp->cont_root[p] >= 0 ? rv_pp_cont_start(pp, p)
					  : pp->own_end[p];
	return e == INT64_MAX ? never : e;
}

static void layout_rows(rv_model *m)
{
	rv_pps *p = &m->pp;
	int64_t never = m->t_max;
	int64_t *busy = g_new(int64_t, MAX_ROWS);
	uint32_t used = 0;
	m->rows = g_new0(rv_row, MAX_ROWS);
	for (uint32_t i = 0; i < p->n; i++) {
		int64_t s = p->created[i];
		uint32_t r = p->parent[i] >= 0 ? (uint32_t)p->row[p->parent[i]] + 1
					       : 0;
		while (r < used && busy[r] > s && r < MAX_ROWS - 1)
			r++;
		if (r >= MAX_ROWS)
			r = MAX_ROWS - 1;
		while (used <= r)
			busy[used++] = INT64_MIN;
		p->row[i] = (int32_t)r;
		int64_t e = seg_end(m, i, never);
		row_push(&m->rows[r], s, e, i);
		/* X's row also holds what X became, in chain order */
		int64_t chain_end = e;
		for (int32_t y = p->follows[i]; y >= 0 && p->cont_root[i] < 0;
		     y = p->follows[y]) {
			int64_t ye = p->own_end[y] == INT64_MAX ? never :
				p->own_end[y];
			row_push(&m->rows[r], rv_pp_cont_start(p, (uint32_t)y), ye,
				 (uint32_t)y);
			chain_end = ye;
		}
		/* touching is fine: a row is busy strictly before its end */
		if (chain_end > busy[r])
			busy[r] = chain_end == s ? s + 1 : chain_end;
	}
	m->nrows = used;
	g_free(busy);
}

/* Per row, running counts of segments that end with a resolve or a
 * fail: a segment does when it is its promise's last (no hand-over to a
 * continuation) and the promise was resolved or failed by its end. */
static void count_ends(rv_model *m)
{
	const rv_pps *pp = &m->pp;
	for (uint32_t r = 0; r < m->nrows; r++) {
		rv_row *row = &m->rows[r];
		row->nres = g_new(uint32_t, row->n + 1);
		row->nfail = g_new(uint32_t, row->n + 1);
		row->nres[0] = row->nfail[0] = 0;
		for (uint32_t i = 0; i < row->n; i++) {
			uint32_t p = row->pp[i];
			bool ends = pp->follows[p] < 0 &&
				    pp->resolved[p] <= RV_END(row, i);
			row->nres[i + 1] = row->nres[i] +
				(ends && pp->state[p] == RV_PS_RESOLVED);
			row->nfail[i + 1] = row->nfail[i] +
				(ends && pp->state[p] == RV_PS_FAILED);
		}
	}
}

/* The pyramid starts at blocks of 2^RV_PYR_BASE samples: the levels below
 * would cost 14 of its 16 bytes a sample, and a lookup reads at most
 * 2 * (2^RV_PYR_BASE - 1) raw samples instead. */
#define RV_PYR_BASE 4

static void build_pyramid(rv_counter *c)
{
	c->vmin = INT64_MAX;
	c->vmax = INT64_MIN;
	for (uint32_t i = 0; i < c->n; i++) {
		if (c->v[i] < c->vmin)
			c->vmin = c->v[i];
		if (c->v[i] > c->vmax)
			c->vmax = c->v[i];
	}
	if (!c->n)
		c->vmin = c->vmax = 0;
	int levels = 1;
	while ((1u << levels) < c->n && levels < 31)
		levels++;
	c->nlevels = levels;
	c->pmin = g_new0(int64_t *, levels);
	c->pmax = g_new0(int64_t *, levels);
	if (levels <= RV_PYR_BASE)
		return;
	/* level RV_PYR_BASE straight from the samples, then halving */
	const uint32_t blk = 1u << RV_PYR_BASE;
	uint32_t len = (c->n + blk - 1) / blk;
	c->pmin[RV_PYR_BASE] = g_new(int64_t, len);
	c->pmax[RV_PYR_BASE] = g_new(int64_t, len);
	for (uint32_t i = 0; i < len; i++) {
		int64_t mn = INT64_MAX, mx = INT64_MIN;
		for (uint32_t j = i * blk; j < c->n && j < (i + 1) * blk; j++) {
			mn = MIN(mn, c->v[j]);
			mx = MAX(mx, c->v[j]);
		}
		c->pmin[RV_PYR_BASE][i] = mn;
		c->pmax[RV_PYR_BASE][i] = mx;
	}
	const int64_t *lo = c->pmin[RV_PYR_BASE], *hi = c->pmax[RV_PYR_BASE];
	for (int k = RV_PYR_BASE + 1; k < levels; k++) {
		uint32_t nl = (len + 1) / 2;
		c->pmin[k] = g_new(int64_t, nl);
		c->pmax[k] = g_new(int64_t, nl);
		for (uint32_t i = 0; i < nl; i++) {
			uint32_t j = 2 * i, j2 = j + 1 < len ? j + 1 : j;
			c->pmin[k][i] = MIN(lo[j], lo[j2]);
			c->pmax[k][i] = MAX(hi[j], hi[j2]);
		}
		lo = c->pmin[k];
		hi = c->pmax[k];
		len = nl;
	}
}

void rv_counter_extent(const rv_counter *c, uint32_t i0, uint32_t i1,
		       int64_t *mn, int64_t *mx)
{
	int64_t a = INT64_MAX, b = INT64_MIN;
	const uint32_t blk = 1u << RV_PYR_BASE;
	/* raw samples up to the first whole block and after the last */
	while (i0 < i1 && (c->nlevels <= RV_PYR_BASE || (i0 & (blk - 1)))) {
		a = MIN(a, c->v[i0]); b = MAX(b, c->v[i0]); i0++;
		RV_WORK(1);
	}
	while (i0 < i1 && (i1 & (blk - 1))) {
		i1--; a = MIN(a, c->v[i1]); b = MAX(b, c->v[i1]);
		RV_WORK(1);
	}
	i0 >>= RV_PYR_BASE;
	i1 >>= RV_PYR_BASE;
	/* climb while aligned: each step halves the work, O(log n) total */
	for (int k = RV_PYR_BASE; i0 < i1; k++) {
		const int64_t *lo = c->pmin[k], *hi = c->pmax[k];
		RV_WORK(2);
		if ((i0 & 1) && i0 < i1) {
			a = MIN(a, lo[i0]); b = MAX(b, hi[i0]); i0++;
		}
		if ((i1 & 1) && i0 < i1) {
			i1--; a = MIN(a, lo[i1]); b = MAX(b, hi[i1]);
		}
		if (k + 1 >= c->nlevels) {
			for (uint32_t i = i0; i < i1; i++) {
				a = MIN(a, lo[i]); b = MAX(b, hi[i]);
			}
			break;
		}
		i0 /= 2;
		i1 /= 2;
	}
	*mn = a;
	*mx = b;
}

void rv_layout(rv_model *m)
{
	assert(m && m->ncpus >= 1);
	layout_rows(m);
	count_ends(m);
	rv_touch_index(m);
	for (uint32_t i = 0; i < m->ncounters; i++)
		build_pyramid(&m->counters[i]);
}

void rv_row_free(rv_row *row)
{
	rv_times_free(&row->start);
	rv_times_free(&row->end);
	g_free(row->pp);
	g_free(row->nres);
	g_free(row->nfail);
	rv_touch_free(row);
}

int32_t rv_pp_row_at(const rv_model *m, uint32_t p, int64_t t)
{
	assert(m && p < m->pp.n);
	const rv_pps *pp = &m->pp;
	if (pp->cont_root[p] >= 0 && t >= rv_pp_cont_start(pp, p))
		return pp->row[pp->cont_root[p]];
	return pp->row[p];
}

/* The entry of item p in a sparse list, or -1. */
static int64_t sparse_find(const rv_sparse *s, uint32_t p)
{
	return rv_u32_find(s->idx, s->n, p);
}

int64_t rv_pp_cont_start(const rv_pps *pp, uint32_t p)
{
	if (pp->cont_start)
		return pp->cont_start[p];
	int64_t k = sparse_find(&pp->cont_start_x, p);
	return k < 0 ? INT64_MAX : pp->cont_start_x.t[k];
}

int64_t rv_pp_label_t(const rv_pps *pp, uint32_t p)
{
	if (pp->label_t)
		return pp->label_t[p];
	int64_t k = sparse_find(&pp->label_t_x, p);
	return k < 0 ? pp->created[p] : pp->label_t_x.t[k];
}

const char *rv_pp_fail_msg(const rv_pps *pp, uint32_t p)
{
	if (pp->fail_msg)
		return pp->fail_msg[p];
	int64_t k = sparse_find(&pp->fail_msg_x, p);
	return k < 0 ? NULL : pp->fail_msg_x.s[k];
}

/* The entries of a dense field that differ from its default (dflt, or
 * the item's creation time with by_created). */
static void sparsify_t(rv_sparse *out, const rv_pps *pp, const int64_t *v,
		       int64_t dflt, bool by_created)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < pp->n; i++)
		n += v[i] != (by_created ? pp->created[i] : dflt);
	out->n = 0;
	out->idx = g_new(uint32_t, n ? n : 1);
	out->t = g_new(int64_t, n ? n : 1);
	for (uint32_t i = 0; i < pp->n; i++)
		if (v[i] != (by_created ? pp->created[i] : dflt)) {
			out->idx[out->n] = i;
			out->t[out->n++] = v[i];
		}
}

void rv_pp_sparsify(rv_pps *pp)
{
	sparsify_t(&pp->cont_start_x, pp, pp->cont_start, INT64_MAX, false);
	sparsify_t(&pp->label_t_x, pp, pp->label_t, 0, true);
	rv_sparse *f = &pp->fail_msg_x;
	uint32_t n = 0;
	for (uint32_t i = 0; i < pp->n; i++)
		n += pp->fail_msg[i] != NULL;
	f->idx = g_new(uint32_t, n ? n : 1);
	f->s = g_new(const char *, n ? n : 1);
	for (uint32_t i = 0; i < pp->n; i++)
		if (pp->fail_msg[i]) {
			f->idx[f->n] = i;
			f->s[f->n++] = pp->fail_msg[i];
		}
	g_free(pp->cont_start);
	g_free(pp->label_t);
	g_free(pp->fail_msg);
	pp->cont_start = pp->label_t = NULL;
	pp->fail_msg = NULL;
}

void rv_pp_sparse_free(rv_pps *pp)
{
	rv_sparse *s[3] = { &pp->cont_start_x, &pp->label_t_x,
			    &pp->fail_msg_x };
	for (int i = 0; i < 3; i++) {
		g_free(s[i]->idx);
		g_free(s[i]->t);
		g_free((void *)s[i]->s);
		*s[i] = (rv_sparse){ 0 };
	}
}

uint32_t rv_spans_first_ending_after(const rv_spans *s, int64_t t)
{
	return rv_times_search(&s->end, t);
}

uint32_t rv_row_first_ending_after(const rv_row *r, int64_t t)
{
	return rv_times_search(&r->end, t);
}

/* Names come from the decoder, which takes them from the one event
 * table (rs_event_table.h): the viewer spells none itself. */
const char *rv_ptype_name(int t)
{
	if (t == 255)
		return "thread";
	return t >= 0 && t < RS_PT_COUNT ? rs_promise_type_name((uint64_t)t)
					  : "?";
}

const char *rv_event_name(int type)
{
	/* PAD only fills ring chunks: no model holds one. */
	if (type <= RS_EV_PAD || type >= RS_EV_TYPE_LIMIT ||
	    rs_event_nargs((uint16_t)type) < 0)
		return NULL;
	return rs_event_name((uint16_t)type);
}

const char *rv_kind_name(int kind)
{
	switch (kind) {
	case RV_K_RUNNING: return "running";
	case RV_K_RUNNABLE: return "runnable";
	case RV_K_BLOCK_PROMISE: return "blocked: promise";
	case RV_K_BLOCK_SLEEP: return "blocked: sleep";
	case RV_K_BLOCK_EVENT: return "blocked: event";
	case RV_K_BLOCK_JOIN: return "blocked: join";
	case RV_K_BLOCK_OTHER: return "blocked";
	case RV_K_IDLE: return "idle";
	case RV_K_IRQ: return "interrupt";
	case RV_K_ALLOC: return "allocator";
	default: return "";
	}
}
