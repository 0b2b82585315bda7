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
#include "follow.h"

#define MAX_ROWS 20000  /* beyond this, items share the last row */
_Static_assert(MAX_ROWS <= UINT16_MAX + 1, "rv_pps.row is 16 bits");

static void row_push(rv_row *r, int64_t s, int64_t e, uint32_t pp)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->pp = g_realloc_n(r->pp, r->cap, sizeof *r->pp);
		if (r->ends)   /* counted as pushed (a follow's rows) */
			r->ends = g_renew(rv_row_ends, r->ends, r->cap / 64 + 1);
	}
	/* segments never go back in time within a row */
	if (r->n && s < RV_END(r, r->n - 1))
		s = RV_END(r, r->n - 1);
	rv_times_push(&r->start, s);
	rv_times_push(&r->end, e < s ? s : e);
	r->pp[r->n++] = pp;
}

/* Does segment i of a row end with its promise's resolve / fail? It does
 * when it is its promise's last (no hand-over to a continuation) and the
 * promise was resolved or failed by its end. */
static void seg_ends(const rv_model *m, const rv_row *row, uint32_t i,
		     uint32_t *res, uint32_t *fail)
{
	const rv_pps *pp = &m->pp;
	uint32_t p = row->pp[i];
	bool ends = rv_pp_follows(pp, p) < 0 &&
		    rv_pp_resolved(pp, p) <= RV_END(row, i);
	*res = ends && pp->state[p] == RV_PS_RESOLVED;
	*fail = ends && pp->state[p] == RV_PS_FAILED;
}

/* Segment i's ends into the counts (rv_row_ends), segments 0..i-1
 * counted already. Its bits are set either way (a follow's unpublish
 * leaves those of segments it took back), and once its block of 64 is
 * full the next block's counts follow from it. */
static void count_end(const rv_model *m, rv_row *r, uint32_t i)
{
	uint32_t res, fail;
	seg_ends(m, r, i, &res, &fail);
	rv_row_ends *e = &r->ends[i >> 6];
	const uint64_t bit = 1ull << (i & 63);
	e->res = (e->res & ~bit) | (res ? bit : 0);
	e->fail = (e->fail & ~bit) | (fail ? bit : 0);
	if ((i & 63) == 63)
		e[1] = (rv_row_ends){ 0, 0, e->nres + rv_popcount(e->res),
				      e->nfail + rv_popcount(e->fail) };
}

/* Room for counts of cap segments, none counted yet. */
static void ends_new(rv_row *r, uint32_t cap)
{
	r->ends = g_new(rv_row_ends, cap / 64 + 1);
	r->ends[0] = (rv_row_ends){ 0 };
}

/* A follow's push: the running counts go with it. */
static void row_push_counted(const rv_model *m, rv_row *r, int64_t s,
			     int64_t e, uint32_t pp)
{
	if (!r->ends)
		ends_new(r, r->cap);
	row_push(r, s, e, pp);
	count_end(m, r, r->n - 1);
}

/* The row item i goes to: below its parent's, stepping down past rows
 * still busy at its start. */
static uint32_t pick_row(rv_model *m, int64_t *busy, uint32_t *used,
			 uint32_t i)
{
	const rv_pps *p = &m->pp;
	int64_t s = rv_pp_created(p, i);
	uint32_t r = p->parent[i] >= 0 ? (uint32_t)p->row[p->parent[i]] + 1
				       : 0;
	while (r < *used && busy[r] > s && r < MAX_ROWS - 1)
		r++;
	if (r >= MAX_ROWS)
		r = MAX_ROWS - 1;
	while (*used <= r)
		busy[(*used)++] = INT64_MIN;
	p->row[i] = (uint16_t)r;
	return r;
}

/* How busy a row stays after a chain that started at s and ends at
 * chain_end: touching is fine, a row is busy strictly before its end. */
static int64_t busy_after(int64_t busy0, int64_t s, int64_t chain_end)
{
	if (chain_end > busy0)
		return chain_end == s ? s + 1 : chain_end;
	return busy0;
}

/* Item i and, in its row, what it became, with the ends known now
 * (never: the end of the trace for what has none). */
static void place(rv_model *m, int64_t *busy, uint32_t *used, uint32_t i,
		  int64_t never, bool counted, rv_layout_inc *undo);

static void layout_rows(rv_model *m)
{
	int64_t *busy = g_new(int64_t, MAX_ROWS);
	uint32_t used = 0;
	m->rows = g_new0(rv_row, MAX_ROWS);
	for (uint32_t i = 0; i < m->pp.n; i++)
		place(m, busy, &used, i, m->t_max, false, NULL);
	m->nrows = used;
	g_free(busy);
}

/* Per row, running counts of segments that end with a resolve or a
 * fail (seg_ends). */
static void count_ends(rv_model *m)
{
	for (uint32_t r = 0; r < m->nrows; r++) {
		rv_row *row = &m->rows[r];
		ends_new(row, row->cap);
		for (uint32_t i = 0; i < row->n; i++)
			count_end(m, row, i);
	}
}

/* The pyramid starts at blocks of 2^RV_PYR_BASE samples: the levels below
 * would cost 14 of its 16 bytes a sample, and a lookup reads at most
 * 2 * (2^RV_PYR_BASE - 1) raw samples instead. */
#define RV_PYR_BASE 4

/* Brings the pyramid from the samples it covers (pyr_n) to c->n: the
 * extent, the partly filled block of each level and what follows, so a
 * follow's reload costs its new samples (plus a block a level). Sized for
 * cap samples: exact on a first load, room to grow on a follow. */
static void pyramid_update(rv_counter *c, uint32_t cap)
{
	const uint32_t from = c->pyr_n;
	if (!from) {
		c->vmin = INT64_MAX;
		c->vmax = INT64_MIN;
	}
	for (uint32_t i = from; i < c->n; i++) {
		const int64_t v = rv_counter_v(c, i);
		c->vmin = MIN(c->vmin, v);
		c->vmax = MAX(c->vmax, v);
	}
	if (!c->n)
		c->vmin = c->vmax = 0;
	c->pyr_n = c->n;
	int levels = 1;
	while ((1u << levels) < c->n && levels < 31)
		levels++;
	if (levels > c->nlevels) {
		c->pmin = g_renew(int64_t *, c->pmin, levels);
		c->pmax = g_renew(int64_t *, c->pmax, levels);
		for (int k = c->nlevels; k < levels; k++)
			c->pmin[k] = c->pmax[k] = NULL;
		c->nlevels = levels;
	}
	if (levels <= RV_PYR_BASE)
		return;
	const bool grow = cap > c->pyr_cap;
	if (grow)
		c->pyr_cap = cap;
	/* level RV_PYR_BASE straight from the samples, then halving */
	const uint32_t blk = 1u << RV_PYR_BASE;
	uint32_t len = (c->n + blk - 1) / blk, plen = 0;
	uint32_t lcap = (c->pyr_cap + blk - 1) / blk, d = from / blk;
	for (int k = RV_PYR_BASE; k < levels; k++) {
		if (k > RV_PYR_BASE) {
			plen = len;
			len = (len + 1) / 2;
			lcap = (lcap + 1) / 2;
			d /= 2;
		}
		if (!c->pmin[k])
			d = 0;    /* a new level: all of it */
		if (!c->pmin[k] || grow) {
			c->pmin[k] = g_renew(int64_t, c->pmin[k], lcap ? lcap : 1);
			c->pmax[k] = g_renew(int64_t, c->pmax[k], lcap ? lcap : 1);
		}
		for (uint32_t i = d; i < len; i++) {
			int64_t mn = INT64_MAX, mx = INT64_MIN;
			if (k == RV_PYR_BASE) {
				for (uint32_t j = i * blk; j < c->n && j < (i + 1) * blk; j++) {
					const int64_t v = rv_counter_v(c, j);
					mn = MIN(mn, v);
					mx = MAX(mx, v);
				}
			} else {
				const int64_t *lo = c->pmin[k - 1], *hi = c->pmax[k - 1];
				uint32_t j = 2 * i, j2 = j + 1 < plen ? j + 1 : j;
				mn = MIN(lo[j], lo[j2]);
				mx = MAX(hi[j], hi[j2]);
			}
			c->pmin[k][i] = mn;
			c->pmax[k][i] = mx;
		}
	}
}

void rv_counter_extent(const rv_counter *c, uint32_t i0, uint32_t i1,
		       int64_t *mn, int64_t *mx)
{
	int64_t a = INT64_MAX, b = INT64_MIN;
	const uint32_t blk = 1u << RV_PYR_BASE;
	/* raw samples up to the first whole block and after the last */
	while (i0 < i1 && (c->nlevels <= RV_PYR_BASE || (i0 & (blk - 1)))) {
		const int64_t v = rv_counter_v(c, i0++);
		a = MIN(a, v); b = MAX(b, v);
		RV_WORK(1);
	}
	while (i0 < i1 && (i1 & (blk - 1))) {
		const int64_t v = rv_counter_v(c, --i1);
		a = MIN(a, v); b = MAX(b, v);
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

/*
 * The incremental layout of a --follow. Placing item i needs its start
 * and parent, settled once the events have gone past its start, and how
 * busy the rows above are: for a chain whose end is still open that is
 * "busy past any start to come" either way (its end, known or the trace's
 * at the end, is at least the last event's time). So items are placed in
 * creation order once created before the last event, and a row whose
 * chain is open holds nothing else until it closes: its segments are
 * pushed as their ends become known, in the order rv_layout pushes them.
 * A publish closes the open chains at the end and places the rest as
 * rv_layout would, and unpublish takes that back.
 */
typedef struct {
	uint32_t tail;      /* the pp whose segment is open */
	bool cont;          /* that segment continues the chain (not its own) */
	int64_t s;          /* where it starts */
	int64_t head_s;     /* the chain head's start */
	int64_t busy0;      /* the row's busy before the head */
} chain;

typedef struct {
	uint32_t row, n;
	int64_t busy;
} row_undo;

struct rv_layout_inc {
	int64_t *busy;
	uint32_t used, placed, touched;
	chain *open;             /* [MAX_ROWS]: the row's open chain */
	uint32_t *openl, nopen;  /* rows with one, in no order */
	/* a publish's undo */
	bool pub;
	uint32_t pub_n;          /* pps then */
	GArray *row_undo;
	uint32_t *row_gen, gen;
	rv_touch_undo *tundo;
};

/* Pushes chain c's segments in row r as far as their ends are known
 * (never: what to take for an end not known; INT64_MAX = wait). True
 * when the chain closed, with the row's busy set. */
static bool advance(rv_model *m, int64_t *busy, uint32_t r, chain *c,
		    int64_t never, bool counted)
{
	const rv_pps *pp = &m->pp;
	rv_row *row = &m->rows[r];
	for (;;) {
		const uint32_t p = c->tail;
		int64_t e;
		if (!c->cont && rv_pp_cont_root(pp, p) >= 0) {
			/* its own row, until its line moved to its root's */
			e = rv_pp_cont_start(pp, p);
		} else {
			e = rv_pp_own_end(pp, p);
			if (e == INT64_MAX && never == INT64_MAX)
				return false;
			if (e == INT64_MAX)
				e = never;
		}
		if (counted)
			row_push_counted(m, row, c->s, e, p);
		else
			row_push(row, c->s, e, p);
		const bool moved = !c->cont && rv_pp_cont_root(pp, p) >= 0;
		if (moved || rv_pp_follows(pp, p) < 0) {
			busy[r] = busy_after(c->busy0, c->head_s, e);
			return true;
		}
		c->tail = (uint32_t)rv_pp_follows(pp, p);
		c->cont = true;
		c->s = rv_pp_cont_start(pp, c->tail);
	}
}

static void place(rv_model *m, int64_t *busy, uint32_t *used, uint32_t i,
		  int64_t never, bool counted, rv_layout_inc *undo)
{
	uint32_t r = pick_row(m, busy, used, i);
	if (undo && undo->row_gen[r] != undo->gen) {
		undo->row_gen[r] = undo->gen;
		row_undo u = { r, m->rows[r].n, busy[r] };
		g_array_append_val(undo->row_undo, u);
	}
	int64_t s = rv_pp_created(&m->pp, i);
	chain c = { i, false, s, s, busy[r] };
	advance(m, busy, r, &c, never, counted);
}

rv_layout_inc *rv_layout_inc_new(rv_model *m)
{
	rv_layout_inc *l = g_new0(rv_layout_inc, 1);
	l->busy = g_new(int64_t, MAX_ROWS);
	l->open = g_new(chain, MAX_ROWS);
	l->openl = g_new(uint32_t, MAX_ROWS);
	l->row_gen = g_new0(uint32_t, MAX_ROWS);
	l->row_undo = g_array_new(FALSE, FALSE, sizeof(row_undo));
	m->rows = g_new0(rv_row, MAX_ROWS);
	return l;
}

bool rv_layout_grow(rv_model *m, rv_layout_inc *l, rv_builder *b,
		    int64_t t_last)
{
	assert(!l->pub);
	for (uint32_t k = 0; k < l->nopen;) {
		uint32_t r = l->openl[k];
		if (advance(m, l->busy, r, &l->open[r], INT64_MAX, true))
			l->openl[k] = l->openl[--l->nopen];
		else
			k++;
	}
	const rv_pps *pp = &m->pp;
	for (; l->placed < pp->n && rv_pp_created(pp, l->placed) < t_last;
	     l->placed++) {
		const uint32_t i = l->placed;
		uint32_t r = pick_row(m, l->busy, &l->used, i);
		if (r == MAX_ROWS - 1)
			return false;
		const int64_t s = rv_pp_created(pp, i);
		chain c = { i, false, s, s, l->busy[r] };
		if (!advance(m, l->busy, r, &c, INT64_MAX, true)) {
			l->open[r] = c;
			l->openl[l->nopen++] = r;
			l->busy[r] = INT64_MAX;   /* past any start to come */
		}
	}
	rv_builder_set_placed(b, l->placed);
	m->nrows = l->used;
	/* arrows whose ends are all settled: before the last event's time,
	 * between placed items */
	const rv_arrows *a = &m->arrows;
	uint32_t k = l->touched;
	while (k < a->n && rv_arrow_t1(a, k) < t_last &&
	       a->from[k] < l->placed && a->to[k] < l->placed)
		k++;
	rv_touch_add(m, l->touched, k, NULL);
	l->touched = k;
	for (uint32_t i = 0; i < m->ncounters; i++)
		pyramid_update(&m->counters[i], m->counters[i].cap);
	return true;
}

void rv_layout_publish(rv_model *m, rv_layout_inc *l)
{
	assert(!l->pub);
	l->pub = true;
	l->gen++;
	l->pub_n = m->pp.n;
	g_array_set_size(l->row_undo, 0);
	for (uint32_t k = 0; k < l->nopen; k++) {
		uint32_t r = l->openl[k];
		l->row_gen[r] = l->gen;
		row_undo u = { r, m->rows[r].n, l->busy[r] };
		g_array_append_val(l->row_undo, u);
		chain c = l->open[r];
		advance(m, l->busy, r, &c, m->t_max, true);
	}
	uint32_t used = l->used;
	for (uint32_t i = l->placed; i < m->pp.n; i++)
		place(m, l->busy, &used, i, m->t_max, true, l);
	m->nrows = used;
	rv_touch_add(m, l->touched, m->arrows.n, &l->tundo);
}

void rv_layout_unpublish(rv_model *m, rv_layout_inc *l)
{
	if (!l->pub)
		return;
	rv_touch_undo_apply(m, l->tundo);
	l->tundo = NULL;
	for (guint k = l->row_undo->len; k-- > 0;) {
		const row_undo *u = &g_array_index(l->row_undo, row_undo, k);
		rv_row *row = &m->rows[u->row];
		rv_times_truncate(&row->start, u->n);
		rv_times_truncate(&row->end, u->n);
		row->n = u->n;
		l->busy[u->row] = u->busy;
	}
	/* rows opened by the publish's placements are unused again */
	for (uint32_t i = l->placed; i < l->pub_n; i++)
		m->pp.row[i] = 0;
	m->nrows = l->used;
	l->pub = false;
}

void rv_layout_inc_free(rv_layout_inc *l)
{
	if (!l)
		return;
	g_free(l->busy);
	g_free(l->open);
	g_free(l->openl);
	g_free(l->row_gen);
	g_array_free(l->row_undo, TRUE);
	rv_touch_undo_apply(NULL, l->tundo);
	g_free(l);
}

void rv_layout_rows(rv_model *m)
{
	assert(m && m->ncpus >= 1);
	layout_rows(m);
}

void rv_layout_totals(rv_model *m)
{
	count_ends(m);
	for (uint32_t i = 0; i < m->ncounters; i++)
		pyramid_update(&m->counters[i], m->counters[i].n);
}

void rv_layout(rv_model *m)
{
	rv_layout_rows(m);
	rv_layout_totals(m);
	rv_touch_index(m);
}

void rv_row_free(rv_row *row)
{
	rv_times_free(&row->start);
	rv_times_free(&row->end);
	g_free(row->pp);
	g_free(row->ends);
	rv_touch_free(row);
}

int32_t rv_pp_row_at(const rv_model *m, uint32_t p, int64_t t)
{
	assert(m && p < m->pp.n);
	const rv_pps *pp = &m->pp;
	if (rv_pp_cont_root(pp, p) >= 0 && t >= rv_pp_cont_start(pp, p))
		return pp->row[rv_pp_cont_root(pp, p)];
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
	return k < 0 ? rv_pp_created(pp, p) : pp->label_t_x.t[k];
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
		n += v[i] != (by_created ? rv_pp_created(pp, i) : dflt);
	out->n = 0;
	out->idx = g_new(uint32_t, n ? n : 1);
	out->t = g_new(int64_t, n ? n : 1);
	for (uint32_t i = 0; i < pp->n; i++)
		if (v[i] != (by_created ? rv_pp_created(pp, i) : dflt)) {
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
