/*
 * test_viewer_sum.c - span lists' per-bucket summaries (viewer/sum.c).
 *
 * An entry holds what a lane's walk reads at a grid point: the first
 * span ending at or after it, that span's and the next one's start, end,
 * kind and ref, and the running total there. Checked against a plain
 * scan at grid points of every level, inside and outside the levels'
 * ranges, for lists with gaps past 32 bits' reach and refs of 24 bits or
 * more (the entries' escapes).
 *
 * And the pictures: a model of lanes, bands and thread states dense
 * enough for the summaries, drawn with them and without them (the exact
 * path) in views whose columns already lie on the summaries' grid, must
 * be the same byte for byte -- and must not be once one entry at a
 * column's start is made wrong.
 *
 * And the promise rows': a packed row's entries, its picture drawn with
 * and without them, and its labels, whose walk passes over what the
 * entries say gets no label without reading it.
 */
#include "testlib.h"

#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "draw.h"
#include "lod.h"
#include "model.h"
#include "ringside_ring.h"
#include "sum.h"
#include "view_fixture.h"

/* A lane of spans end to end (tiling) or apart, mostly a few hundred ns,
 * some tens of us; where far, two gaps and a span of 5 s (past a 32-bit
 * offset); refs below nref (and now and then 2^24 + k, where big_refs). */
static void fill_spans(rv_spans *s, GRand *r, uint32_t n, bool tiling,
		       uint8_t kind0, int nkinds, uint32_t nref,
		       bool big_refs, bool cum, bool far)
{
	int64_t t = 1000000;
	for (uint32_t i = 0; i < n; i++) {
		const int k = g_rand_int_range(r, 0, 1000);
		if (far && (i == n / 3 || i == 2 * n / 3))
			t += 5000000000ll;
		else if (!tiling || k < 40)
			t += g_rand_int_range(r, 0, k < 40 ? 9000 : 300);
		int64_t len = k < 3 ? g_rand_int_range(r, 20000, 200000)
				    : g_rand_int_range(r, 0, 400);
		if (far && i == n / 2)
			len = 5000000000ll;
		uint32_t ref = (uint32_t)g_rand_int_range(r, 0, (gint32)nref);
		if (big_refs && k % 7 == 0)
			ref += 1u << 24;
		rv_spans_push(s, t, t + len,
			      (uint8_t)(kind0 + g_rand_int_range(r, 0, nkinds)),
			      ref);
		t += len;
	}
	if (cum)
		rv_span_lengths(s);
}

typedef struct {
	uint32_t e;
	int64_t start[2], end[2];
	uint32_t kind[2], ref[2];
	int64_t cum;
} plain_ent;

static void plain(const rv_spans *s, int64_t g, plain_ent *p)
{
	memset(p, 0, sizeof *p);
	uint32_t e = 0;
	while (e < s->n && RV_END(s, e) < g)
		e++;
	p->e = e;
	for (int w = 0; w < 2 && e + w < s->n; w++) {
		p->start[w] = RV_START(s, e + w);
		p->end[w] = RV_END(s, e + w);
		p->kind[w] = RV_KIND(s, e + w);
		p->ref[w] = RV_REF(s, e + w);
	}
	p->cum = s->cum.n ? RV_CUM(s, e) : 0;
}

/* rv_sum_get's entry at g, decoded as the walk decodes it: an escape
 * reads the list. */
static void got(const rv_spans *s, const rv_sum_level *L, int64_t g,
		plain_ent *p)
{
	rv_sum_ent en;
	int64_t cum = 0;
	memset(p, 0, sizeof *p);
	rv_sum_get(s, L, g, &en, &cum);
	p->e = en.e;
	for (int w = 0; w < 2 && en.e + w < s->n; w++) {
		const uint32_t i = en.e + (uint32_t)w;
		p->start[w] = en.ds[w] == RV_SUM_FAR ? RV_START(s, i)
						      : g + en.ds[w];
		p->end[w] = en.de[w] == RV_SUM_FAR ? RV_END(s, i) : g + en.de[w];
		p->kind[w] = en.key[w] == RV_SUM_NOKEY ? RV_KIND(s, i)
						       : en.key[w] >> 24;
		p->ref[w] = en.key[w] == RV_SUM_NOKEY ? RV_REF(s, i)
						      : en.key[w] & 0xffffff;
	}
	p->cum = s->cum.n ? cum : 0;
}

static void test_sum_entries(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(1818);
	for (int variant = 0; variant < 3; variant++) {
		rv_spans s = { 0 };
		fill_spans(&s, r, 40000, variant != 1, RV_K_RUNNING, 7, 5,
			   variant == 2, variant != 0, true);
		rv_sum_build(&s);
		assert_non_null(s.sum);
		assert_true(s.sum->nlevels >= 3);
		const int64_t t0 = RV_START(&s, 0), t1 = RV_END(&s, s.n - 1);
		for (int l = 0; l < s.sum->nlevels; l++) {
			const rv_sum_level *L = &s.sum->lv[l];
			assert_ptr_equal(rv_sum_level_for(&s, L->shift), L);
			for (int k = 0; k < 3000; k++) {
				/* from before the list to after it */
				const int64_t t = t0 - 3000000 + (int64_t)
					((double)(t1 - t0 + 6000000) * k / 2999);
				const int64_t g = t & -(INT64_C(1) << L->shift);
				plain_ent a, b;
				plain(&s, g, &a);
				got(&s, L, g, &b);
				if (memcmp(&a, &b, sizeof a))
					fail_msg("variant %d level %d g %lld: e %u"
						 " not %u", variant, l,
						 (long long)g, b.e, a.e);
			}
		}
		/* a list changed since is drawn as it is, not from the
		 * summary: grown, or its last span grown */
		const int sh = s.sum->lv[0].shift;
		rv_times_set_last(&s.end, t1 + 1);
		assert_null(rv_sum_level_for(&s, sh));
		rv_times_set_last(&s.end, t1);
		assert_non_null(rv_sum_level_for(&s, sh));
		rv_spans_push(&s, t1 + 10, t1 + 20, RV_K_RUNNING, 0);
		assert_null(rv_sum_level_for(&s, sh));
		rv_spans_free(&s);
		assert_null(s.sum);
	}
	g_rand_free(r);
}

#define NCPU 2
#define NTHR 3

static rv_model *dense_model(GRand *r)
{
	rv_model *m = g_new0(rv_model, 1);
	m->ncpus = NCPU;
	m->cpu_lane = g_new0(rv_spans, NCPU);
	m->cpu_idle = g_new0(rv_spans, NCPU);
	m->cpu_irq = g_new0(rv_spans, NCPU);
	m->cpu_alloc = g_new0(rv_spans, NCPU);
	m->cpu_gap = g_new0(rv_spans, NCPU);
	for (int c = 0; c < NCPU; c++) {
		fill_spans(&m->cpu_lane[c], r, 60000, true, RV_K_THREAD, 1,
			   NTHR, false, false, false);
		fill_spans(&m->cpu_idle[c], r, 20000, false, RV_K_IDLE, 1, 1,
			   false, false, false);
		fill_spans(&m->cpu_irq[c], r, 20000, false, RV_K_IRQ, 1, 40,
			   false, true, false);
		fill_spans(&m->cpu_alloc[c], r, 20000, false, RV_K_ALLOC, 1,
			   1000, true, true, false);
	}
	fill_spans(&m->band_idle, r, 30000, false, RV_K_IDLE, 1, 1, false,
		   true, false);
	fill_spans(&m->band_irq, r, 30000, false, RV_K_IRQ, 1, 40, false,
		   true, false);
	fill_spans(&m->band_alloc, r, 30000, false, RV_K_ALLOC, 1, 9, true,
		   true, false);
	m->nthreads = NTHR;
	m->show_threads = true;
	m->threads = g_new0(rv_thread, NTHR);
	for (int i = 0; i < NTHR; i++) {
		m->threads[i].tid = (uint64_t)i + 1;
		m->threads[i].name = "t";
		m->threads[i].exited = INT64_MAX;
		fill_spans(&m->threads[i].states, r, 60000, true, RV_K_RUNNING,
			   7, 3, false, false, false);
	}
	m->t_min = 1000000;
	m->t_max = RV_END(&m->cpu_lane[0], m->cpu_lane[0].n - 1);
	rv_lod_index_all(m);
	rv_lod_summarise(m);
	return m;
}

/* Every span list of m, for taking its summary away and back. */
static int lists(rv_model *m, rv_spans **out)
{
	int n = 0;
	for (int c = 0; c < NCPU; c++) {
		out[n++] = &m->cpu_lane[c];
		out[n++] = &m->cpu_idle[c];
		out[n++] = &m->cpu_irq[c];
		out[n++] = &m->cpu_alloc[c];
	}
	out[n++] = &m->band_idle;
	out[n++] = &m->band_irq;
	out[n++] = &m->band_alloc;
	for (int i = 0; i < NTHR; i++)
		out[n++] = &m->threads[i].states;
	return n;
}

/* m drawn in v without summaries (the exact path). */
static cairo_surface_t *draw_exact(rv_model *m, const rv_view *v)
{
	rv_spans *l[32];
	struct rv_span_sum *keep[32];
	const int n = lists(m, l);
	for (int i = 0; i < n; i++) {
		keep[i] = l[i]->sum;
		l[i]->sum = NULL;
	}
	cairo_surface_t *s = draw_surface(m, v);
	for (int i = 0; i < n; i++)
		l[i]->sum = keep[i];
	return s;
}

static void test_sum_picture(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(77);
	rv_model *m = dense_model(r);
	rv_spans *l[32];
	const int nl = lists(m, l);
	for (int i = 0; i < nl; i++)
		assert_non_null(l[i]->sum);
	/* views whose columns lie on their grid: npp and from multiples
	 * of 2^rv_sum_shift; zoomed from the whole lane to where a column
	 * holds two or three finest buckets */
	int used = 0;
	for (int z = 0; z < 8; z++) {
		int sh;
		rv_view v = grid_view(m, 260, z, &sh);
		int listed = 0;
		for (int i = 0; i < nl; i++)
			listed += rv_sum_level_for(l[i], sh) != NULL;
		used += listed;
		cairo_surface_t *a = draw_surface(m, &v), *b = draw_exact(m, &v);
		if (!same_pixels(a, b))
			fail_msg("zoom %d (%.0f ns/px, %d lists summarised): "
				 "pictures differ", z, v.ns_per_px, listed);
		/* one entry wrong, at a column start in the middle: a
		 * thread's state there another one's (nothing is drawn over
		 * a thread lane) */
		if (listed == nl) {
			rv_cols *c = rv_cols_new(&v);
			const int64_t g = c->t[200];
			const rv_sum_level *L = rv_sum_level_for(
				&m->threads[0].states, sh);
			rv_sum_ent *en = &L->ent[(g >> L->shift) - L->q0];
			const rv_sum_ent keep = *en;
			for (int w = 0; w < 2; w++) {
				const uint32_t kind = en->key[w] >> 24;
				en->key[w] = (en->key[w] & 0xffffff) |
					(kind == RV_K_BLOCK_OTHER ? RV_K_RUNNING
					 : kind + 1) << 24;
			}
			cairo_surface_t *bad = draw_surface(m, &v);
			if (same_pixels(bad, b))
				fail_msg("zoom %d: a wrong entry went unseen", z);
			*en = keep;
			cairo_surface_destroy(bad);
			rv_cols_free(c);
		}
		cairo_surface_destroy(a);
		cairo_surface_destroy(b);
	}
	/* the zooms took both paths: summaries where columns are wide */
	assert_true(used >= 2 * nl);
	assert_true(used < 8 * nl);
	cairo_debug_reset_static_data();
	rv_model_free(m);
	g_rand_free(r);
}


/* A packed row: segments end to end or apart, a fifth resolved and a
 * tenth failed, and touches of every kind scattered over it. */
static void fill_row(rv_row *row, GRand *r, uint32_t n)
{
	memset(row, 0, sizeof *row);
	row->n = row->cap = n;
	row->pp = g_new0(uint32_t, n);
	row->ends = g_new0(rv_row_ends, n / 64 + 1);
	int64_t t = 5000000;
	uint32_t nres = 0, nfail = 0;
	for (uint32_t i = 0; i < n; i++) {
		const int k = g_rand_int_range(r, 0, 100);
		t += k < 50 ? 0 : g_rand_int_range(r, 0, k < 95 ? 300 : 20000);
		const int64_t len = k % 17 == 0 ? g_rand_int_range(r, 5000, 90000)
						: g_rand_int_range(r, 0, 500);
		rv_times_push(&row->start, t);
		rv_times_push(&row->end, t + len);
		t += len;
		rv_row_ends *e = &row->ends[i >> 6];
		if (!(i & 63)) {
			e->nres = nres;
			e->nfail = nfail;
		}
		if (k % 5 == 0) {
			e->res |= 1ull << (i & 63);
			nres++;
		} else if (k % 10 == 1) {
			e->fail |= 1ull << (i & 63);
			nfail++;
		}
	}
	if (!(n & 63))
		row->ends[n >> 6] = (rv_row_ends){ 0, 0, nres, nfail };
	for (int k = 0; k < RV_T_COUNT; k++) {
		/* from none to more than the segments */
		const uint32_t nt = k == 0 ? 0 : n / 4 * (uint32_t)k;
		int64_t u = 5000000;
		for (uint32_t i = 0; i < nt; i++) {
			u += g_rand_int_range(r, 0, (gint32)(2 * (t - 5000000) /
							     nt + 1));
			rv_times_push(&row->touch_t[k], u);
		}
		row->ntouch[k] = nt;
	}
}

/* First index of a whose time is >= g (> g if past), by a scan. */
static uint32_t scan(const rv_times *a, int64_t g, bool past)
{
	uint32_t i = 0;
	while (i < a->n && (past ? rv_times_at(a, i) <= g
				 : rv_times_at(a, i) < g))
		i++;
	return i;
}

static void test_sum_rows(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(1918);
	rv_row row;
	fill_row(&row, r, 30000);
	rv_row_sum_build(&row);
	assert_non_null(row.sum);
	const int64_t t0 = RV_START(&row, 0), t1 = RV_END(&row, row.n - 1);
	for (int l = 0; l < row.sum->nlevels; l++) {
		const rv_row_level *L = &row.sum->lv[l];
		assert_ptr_equal(rv_row_level_for(&row, L->shift), L);
		for (int k = 0; k < 1500; k++) {
			const int64_t t = t0 - 300000 + (int64_t)
				((double)(t1 - t0 + 600000) * k / 1499);
			const int64_t g = t & -(INT64_C(1) << L->shift);
			rv_row_ent en, want;
			rv_row_sum_get(&row, L, g, &en);
			want.s = scan(&row.start, g, false);
			want.e = scan(&row.end, g, false);
			want.el = scan(&row.end, g, true);
			want.nres = rv_row_nres(&row, want.e);
			want.nfail = rv_row_nfail(&row, want.e);
			for (int u = 0; u < RV_T_COUNT; u++)
				want.t[u] = scan(&row.touch_t[u], g, false);
			if (memcmp(&en, &want, sizeof en))
				fail_msg("level %d g %lld: s %u e %u, not %u %u",
					 l, (long long)g, en.s, en.e, want.s,
					 want.e);
		}
	}
	/* drawn as a packed row, with the summary and without, in views
	 * on the grid; and not the same with one entry wrong */
	const int64_t whole = t1 - t0;
	int used = 0;
	for (int z = 0; z < 6; z++) {
		rv_view v = { .width = RV_LEFT_W + 300, .height = 40 };
		const int64_t want = whole / 300 >> z;
		const int sh = 63 - __builtin_clzll((uint64_t)want) - 1;
		v.ns_per_px = (double)((want >> sh) << sh);
		v.from = (double)((t0 + (whole - 300 * (int64_t)v.ns_per_px) /
				   2) >> sh << sh);
		const rv_row_level *L = rv_row_level_for(&row, sh);
		if (!L)
			continue;
		used++;
		rv_model m = { .nrows = 1, .rows = &row };
		cairo_surface_t *pics[3];
		for (int pass = 0; pass < 3; pass++) {
			rv_view fv = v;
			fv.cols = rv_cols_new(&v);
			struct rv_row_sum *keep = row.sum;
			rv_row_ent *en = NULL, good;
			if (pass == 1) {
				row.sum = NULL;
			} else if (pass == 2) {
				/* column 149's end entry its start's: the
				 * column then holds nothing */
				rv_row_ent *ent = ((rv_row_level *)L)->ent;
				const int64_t g = fv.cols->t[150];
				const int64_t g0 = fv.cols->t[149];
				en = &ent[(g >> L->shift) - L->q0];
				good = *en;
				*en = ent[(g0 >> L->shift) - L->q0];
			}
			pics[pass] = cairo_image_surface_create(
				CAIRO_FORMAT_RGB24, v.width, v.height);
			cairo_t *cr = cairo_create(pics[pass]);
			cairo_set_source_rgb(cr, 1, 1, 1);
			cairo_paint(cr);
			rv_draw_packed_row(cr, &m, &fv, 0, 20);
			cairo_destroy(cr);
			cairo_surface_flush(pics[pass]);
			if (pass == 0) {
				/* the labels' lookups from the summary are
				 * the searches at the snapped columns */
				const uint32_t *lb = rv_row_sum_cols_lb(fv.cols,
					&row, L, sh);
				const int64_t *ts = rv_cols_snapped(fv.cols, sh);
				for (int k = 0; k < fv.cols->n; k++) {
					assert_int_equal(ts[k], fv.cols->t[k]);
					assert_int_equal(lb[k], scan(&row.end,
								     ts[k], false));
				}
			}
			row.sum = keep;
			if (en)
				*en = good;
			rv_cols_free(fv.cols);
		}
		if (!same_pixels(pics[0], pics[1]))
			fail_msg("zoom %d: the packed row differs", z);
		if (same_pixels(pics[2], pics[1]))
			fail_msg("zoom %d: a wrong entry went unseen", z);
		for (int pass = 0; pass < 3; pass++)
			cairo_surface_destroy(pics[pass]);
	}
	assert_true(used >= 2);
	rv_row_sum_free(&row);
	rv_row_free(&row);
	g_rand_free(r);
}

/* The boxes of the labels drawn in v (at most max), and the items the
 * walk visited (*work, rv_work): the rows' column lookups are made
 * first, as the packed rows' drawing makes them, so only the walk's own
 * reads of the rows' times count. */
static int label_boxes(const rv_model *m, const rv_view *v,
		       rv_label_box *box, int max, uint64_t *work)
{
	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view fv = *v;
	fv.cols = rv_cols_new(v);
	const int shift = rv_sum_shift(v);
	for (uint32_t r = 0; r < m->nrows; r++) {
		const rv_row *row = &m->rows[r];
		const rv_row_level *L = row->sum ? rv_row_level_for(row, shift)
						 : NULL;
		if (L) {
			rv_row_sum_cols_lb(fv.cols, row, L, shift);
			rv_row_sum_cols_lb_starts(fv.cols, row, L, shift);
		} else {
			rv_cols_lb(fv.cols, &row->end);
		}
	}
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							v->width, v->height);
	cairo_t *cr = cairo_create(s);
	rv_work = 0;
	const int n = rv_draw_row_labels(cr, m, &fv, &g, box, max);
	*work = rv_work;
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	rv_cols_free(fv.cols);
	return n;
}

/* ns from lo to hi, spread evenly in log scale */
static int64_t log_range(GRand *r, double lo, double hi)
{
	return (int64_t)exp(g_rand_double_range(r, log(lo), log(hi)));
}

/* A model fed through the builder as a load is (in time order), on
 * one CPU: bursts of short promises one after the other, each burst
 * followed by a long one (labelled, or not) of 1 us to 0.5 ms, a third
 * of them while the next burst begins, and an idle gap of as long.
 * Zoomed out its rows are dense where the bursts are, and at some zoom
 * each long promise is a pixel or two wide beside a dense column, with
 * room for its label. */
static rv_model *bursty_model(GRand *r, uint32_t nbursts)
{
	rv_model *m = fed_model_new();
	rv_builder *b = rv_builder_new(m);
	int64_t t = 1000;
	uint64_t id = 1;
	/* a long promise's resolve still to come in the next burst, fed
	 * in its place: a load feeds events in time order */
	uint64_t due_id = 0;
	int64_t due_t = 0;
	rv_builder_event(b, 0, t, RS_EV_THREAD_SWITCH, 0, 0, 1, 0, NULL);
	for (uint32_t k = 0; k < nbursts; k++) {
		const int n = (int)log_range(r, 20, 5000);
		for (int i = 0; i < n; i++) {
			if (due_id && due_t <= t) {
				rv_builder_event(b, 0, t, RS_EV_PROMISE_RESOLVE,
						 1, due_id, 0, 0, NULL);
				due_id = 0;
			}
			rv_builder_event(b, 0, t, RS_EV_PROMISE_CREATE, 1, id,
					 0, 0, NULL);
			t += g_rand_int_range(r, 20, 300);
			rv_builder_event(b, 0, t, RS_EV_PROMISE_RESOLVE, 1,
					 id++, 0, 0, NULL);
			t += g_rand_int_range(r, 0, 100);
		}
		if (due_id) {
			rv_builder_event(b, 0, MAX(due_t, t), RS_EV_PROMISE_RESOLVE,
					 1, due_id, 0, 0, NULL);
			t = MAX(due_t, t);
			due_id = 0;
		}
		const uint64_t long_id = id++;
		rv_builder_event(b, 0, t, RS_EV_PROMISE_CREATE, 1, long_id, 0,
				 0, NULL);
		if (k % 3)
			rv_builder_event(b, 0, t + 1, RS_EV_PROMISE_LABEL, 1,
					 long_id, 0, 0, "long");
		const int64_t end = t + log_range(r, 1e3, 5e5);
		if (k % 3 != 2) {
			t = end;
			rv_builder_event(b, 0, end, RS_EV_PROMISE_RESOLVE, 1,
					 long_id, 0, 0, NULL);
		} else {
			/* a third overlap the next burst: a second row */
			due_id = long_id;
			due_t = end;
			t += 2;
		}
		t += log_range(r, 1e3, 5e5);
	}
	if (due_id)
		rv_builder_event(b, 0, MAX(due_t, t), RS_EV_PROMISE_RESOLVE, 1,
				 due_id, 0, 0, NULL);
	rv_builder_finish(b);
	fed_model_lay_out(m);
	return m;
}

/* Zoomed out where the rows have summaries, in views on the grid, the
 * row labels' walk that passes over a column's segments known from the
 * summary's lookups to get no label, without reading their times
 * (label_free in draw_promises.c), draws the same labels as the walk
 * over the lists, and reads the times of far fewer segments. */
static void test_sum_row_labels(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(4242);
	rv_model *m = bursty_model(r, 300);
	rv_geom g;
	rv_geom_compute(m, &g);
	int summarised = 0, labelled = 0, summarised_views = 0;
	for (uint32_t k = 0; k < m->nrows; k++)
		summarised += m->rows[k].sum != NULL;
	assert_true(summarised > 0 && m->nrows <= 64);
	for (int z = 0; z < 6 * 8; z++) {
		/* zoom z / 8, at the eighth z % 8 of the way in */
		int sh;
		rv_view v = grid_view(m, (int)g.total_h + RV_RULER_H + 20,
				      z / 8, &sh);
		v.from = (double)((m->t_min + (m->t_max - m->t_min) / 8 *
				   (z % 8)) >> sh << sh);
		rv_label_box a[512], b[512];
		uint64_t wa, wb;
		const int na = label_boxes(m, &v, a, 512, &wa);
		struct rv_row_sum *sums[64];
		for (uint32_t k = 0; k < m->nrows; k++) {
			sums[k] = m->rows[k].sum;
			m->rows[k].sum = NULL;
		}
		const int nb = label_boxes(m, &v, b, 512, &wb);
		for (uint32_t k = 0; k < m->nrows; k++)
			m->rows[k].sum = sums[k];
		assert_true(na < 512 && nb < 512);
		if (na != nb || memcmp(a, b, (size_t)na * sizeof *a))
			fail_msg("zoom %d at %d/8 (%.0f ns/px): %d labels from "
				 "the summaries, %d from the lists", z / 8,
				 z % 8, v.ns_per_px, na, nb);
		labelled += na;
		/* where a summary is used, the walk over the lists reads
		 * about twice what the walk from the summaries would
		 * without the skips (its column searches count too) */
		bool used = false;
		for (uint32_t k = 0; k < m->nrows; k++)
			used |= sums[k] && rv_row_level_for(&m->rows[k], sh);
		if (used && !(3 * wa < wb))
			fail_msg("zoom %d at %d/8: %llu items read from the "
				 "summaries, %llu from the lists", z / 8, z % 8,
				 (unsigned long long)wa,
				 (unsigned long long)wb);
		summarised_views += used;
	}
	assert_true(labelled > 0);
	assert_true(summarised_views >= 16);
	cairo_debug_reset_static_data();
	rv_model_free(m);
	g_rand_free(r);
}

RS_TEST_SUITE(viewer_sum,
	      cmocka_unit_test(test_sum_entries),
	      cmocka_unit_test(test_sum_picture),
	      cmocka_unit_test(test_sum_rows),
	      cmocka_unit_test(test_sum_row_labels))
