/*
 * test_viewer_sum_counters.c - counters' per-bucket summaries
 * (viewer/sum_counters.c).
 *
 * An entry holds what a counter's step line reads at a grid point: the
 * first sample at or after it, that sample's time, the value before it,
 * and the extent of the samples in the cell up to the next grid point.
 * Checked against a plain scan at grid points of every level, inside and
 * outside the levels' ranges, for values of the whole int64 range and
 * gaps past 32 bits' reach.
 *
 * And the pictures: a counter dense enough for the summaries, drawn with
 * them and without (the exact path) in views whose columns lie on the
 * grid, must be the same byte for byte -- and must not be once one
 * entry's extent in a column is made wrong.
 */
#include "testlib.h"

#include <cairo.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "draw.h"
#include "lod.h"
#include "model.h"
#include "ringside_ring.h"
#include "sum.h"
#include "view_fixture.h"

/* A model of one counter of n samples (RUNQ_LEN on CPU 0), mostly a few
 * hundred ns apart, some bursts at one instant, some tens of us; where
 * far, two gaps of 5 s; where wide, values over all of int64 now and
 * then. */
static rv_model *counter_model(GRand *r, uint32_t n, bool far, bool wide)
{
	rv_model *m = g_new0(rv_model, 1);
	m->ncpus = 1;
	m->strings = g_string_chunk_new(4096);
	rv_builder *b = rv_builder_new(m);
	int64_t t = 1000000;
	int64_t val = 500;
	for (uint32_t i = 0; i < n; i++) {
		const int k = g_rand_int_range(r, 0, 1000);
		if (far && (i == n / 3 || i == 2 * n / 3))
			t += 5000000000ll;
		else if (k < 30)
			t += g_rand_int_range(r, 20000, 90000);
		else if (k > 100)
			t += g_rand_int_range(r, 1, 600);
		val += g_rand_int_range(r, -40, 41);
		if (val < 0)
			val = 0;
		uint64_t out = (uint64_t)val;
		if (wide && k % 97 == 0)
			out = ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
		rv_builder_event(b, 0, t, RS_EV_RUNQ_LEN, 0, out, 0, 0, NULL);
	}
	rv_builder_finish(b);
	rv_layout(m);
	assert_int_equal(m->ncounters, 1);
	assert_int_equal(m->counters[0].n, n);
	rv_lod_index_all(m);
	rv_lod_summarise(m);
	return m;
}

/* The entry at g of a level of cell width 2^shift, by a plain scan. */
static void plain(const rv_counter *c, int64_t g, int shift, rv_ctr_ent *p)
{
	uint32_t e = 0;
	while (e < c->n && rv_times_at(&c->t, e) < g)
		e++;
	p->e = e;
	p->dt = 0;
	p->vprev = e ? rv_counter_v(c, e - 1) : 0;
	p->mn = INT64_MAX;
	p->mx = INT64_MIN;
	for (uint32_t j = e; j < c->n &&
	     rv_times_at(&c->t, j) < g + (INT64_C(1) << shift); j++) {
		p->mn = MIN(p->mn, rv_counter_v(c, j));
		p->mx = MAX(p->mx, rv_counter_v(c, j));
	}
}

static void test_ctr_sum_entries(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(1819);
	for (int variant = 0; variant < 2; variant++) {
		rv_model *m = counter_model(r, 30000, variant, variant);
		const rv_counter *c = &m->counters[0];
		assert_non_null(c->sum);
		assert_true(c->sum->nlevels >= 3);
		const int64_t t0 = rv_times_at(&c->t, 0);
		const int64_t t1 = rv_times_at(&c->t, c->n - 1);
		for (int l = 0; l < c->sum->nlevels; l++) {
			const rv_ctr_level *L = &c->sum->lv[l];
			assert_ptr_equal(rv_ctr_level_for(c, L->shift), L);
			for (int k = 0; k < 1500; k++) {
				/* from before the samples to after them */
				const int64_t t = t0 - 3000000 + (int64_t)
					((double)(t1 - t0 + 6000000) * k / 1499);
				const int64_t g = t & -(INT64_C(1) << L->shift);
				rv_ctr_ent a, b;
				plain(c, g, L->shift, &a);
				rv_ctr_sum_get(c, L, g, &b);
				/* the time, where in reach, is the sample's */
				if (b.e < c->n && b.dt != RV_SUM_FAR)
					assert_int_equal(g + b.dt,
						rv_times_at(&c->t, b.e));
				else if (b.e < c->n &&
					 (uint64_t)rv_times_at(&c->t, b.e) -
					 (uint64_t)g <= INT32_MAX)
					fail_msg("variant %d level %d g %lld: e %u"
						 " (plain %u) at %lld, no time",
						 variant, l, (long long)g, b.e,
						 a.e, (long long)rv_times_at(
							 &c->t, b.e));
				b.dt = 0;
				if (memcmp(&a, &b, sizeof a))
					fail_msg("variant %d level %d g %lld: e %u"
						 " not %u, extent %lld..%lld not "
						 "%lld..%lld", variant, l,
						 (long long)g, b.e, a.e,
						 (long long)b.mn, (long long)b.mx,
						 (long long)a.mn, (long long)a.mx);
			}
		}
		rv_model_free(m);
	}
	g_rand_free(r);
}

static void test_ctr_sum_picture(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(78);
	rv_model *m = counter_model(r, 200000, false, false);
	rv_counter *c = &m->counters[0];
	int used = 0, broke = 0;
	for (int z = 0; z < 8; z++) {
		/* columns on their grid, from the whole counter inwards */
		int sh;
		rv_view v = grid_view(m, 200, z, &sh);
		const rv_ctr_level *L = rv_ctr_level_for(c, sh);
		used += L != NULL;
		cairo_surface_t *a = draw_surface(m, &v);
		rv_ctr_sum *keep = c->sum;
		c->sum = NULL;
		cairo_surface_t *b = draw_surface(m, &v);
		c->sum = keep;
		if (!same_pixels(a, b))
			fail_msg("zoom %d (%.0f ns/px, summary %s): pictures "
				 "differ", z, v.ns_per_px, L ? "used" : "not");
		if (L) {
			/* one cell's extent made the counter's whole range
			 * at a column's start: the first column where that
			 * is more than its samples span shows a taller
			 * bar */
			rv_cols *cols = rv_cols_new(&v);
			for (int k = 200; k < 260; k++) {
				const int64_t q = (cols->t[k] >> L->shift) - L->q0;
				rv_ctr_ent *en = &((rv_ctr_level *)L)->ent[q];
				if (en->mn == INT64_MAX || (en->mn == c->vmin &&
							   en->mx == c->vmax))
					continue;
				const rv_ctr_ent old = *en;
				en->mn = c->vmin;
				en->mx = c->vmax;
				cairo_surface_t *bad = draw_surface(m, &v);
				const bool seen = !same_pixels(bad, b);
				*en = old;
				cairo_surface_destroy(bad);
				if (seen) {
					broke++;
					break;
				}
			}
			rv_cols_free(cols);
		}
		cairo_surface_destroy(a);
		cairo_surface_destroy(b);
	}
	/* the zooms took both paths, and wrong entries showed */
	assert_true(used >= 2 && used < 8);
	assert_int_equal(broke, used);
	cairo_debug_reset_static_data();
	rv_model_free(m);
	g_rand_free(r);
}

RS_TEST_SUITE(viewer_sum_counters,
	      cmocka_unit_test(test_ctr_sum_entries),
	      cmocka_unit_test(test_ctr_sum_picture))
