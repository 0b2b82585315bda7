/*
 * test_viewer_sum_runs.c - the running overlays drawn from thread state
 * summaries (viewer/sum.c, rv_sum_run; draw_promises.c, draw_running).
 *
 * Zoomed out, a wide promise's running overlay marks, column by column,
 * the first run of its thread in the column. A summary entry holds the
 * column's first two states; where neither runs (the thread blocked, then
 * runnable), the walk used to read on in the list. Each level now also
 * keeps the first running state at every grid point, and the walk goes
 * straight to it. A model of three threads taking turns on one CPU, each
 * blocking now and then, is drawn with its thread state summaries and
 * without them (the exact walk), in views whose columns lie on the grid:
 * the pictures must be the same byte for byte, and must not be once the
 * first-running entries are made wrong (so the walk took them).
 */
#include "testlib.h"

#include <cairo.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "draw.h"
#include "model.h"
#include "ringside_ring.h"
#include "sum.h"
#include "view_fixture.h"

#define NTHR 3

/* Three threads round-robin on CPU 0: each runs 20-300 ns, then is
 * switched out runnable or, one time in two, blocks first and is woken
 * just before its next turn (blocked, runnable, running). */
static rv_model *turns_model(GRand *r, uint32_t nturns)
{
	rv_model *m = fed_model_new();
	rv_builder *b = rv_builder_new(m);
	int64_t t = 1000;
	bool blocked[NTHR + 1] = { false };
	for (uint64_t th = 1; th <= NTHR; th++)
		rv_builder_event(b, 0, t++, RS_EV_THREAD_CREATE, 0, th, th, 0,
				 "worker");
	/* thread 1 on the CPU first (a switch from tid 0 would make the
	 * boot thread) */
	rv_builder_event(b, 0, t++, RS_EV_THREAD_SWITCH, 1, 1, 1, 0, NULL);
	uint64_t cur = 1;
	for (uint32_t k = 0; k < nturns; k++) {
		t += g_rand_int_range(r, 20, 300);
		const uint64_t next = cur % NTHR + 1;
		if (g_rand_boolean(r)) {
			rv_builder_event(b, 0, t++, RS_EV_THREAD_BLOCK, cur, cur,
					 1, 7, NULL);
			blocked[cur] = true;
		}
		if (blocked[next]) {
			rv_builder_event(b, 0, t++, RS_EV_THREAD_WAKE, cur, next,
					 cur, 0, NULL);
			blocked[next] = false;
		}
		rv_builder_event(b, 0, t++, RS_EV_THREAD_SWITCH, cur, cur, next,
				 0, NULL);
		cur = next;
	}
	rv_builder_finish(b);
	fed_model_lay_out(m);
	return m;
}

/* m drawn in v, with its thread state summaries or without them. */
static cairo_surface_t *draw_with(rv_model *m, const rv_view *v, bool sums)
{
	struct rv_span_sum *keep[NTHR];
	for (uint32_t i = 0; i < m->nthreads; i++) {
		keep[i] = m->threads[i].states.sum;
		if (!sums)
			m->threads[i].states.sum = NULL;
	}
	cairo_surface_t *s = draw_surface(m, v);
	for (uint32_t i = 0; i < m->nthreads; i++)
		m->threads[i].states.sum = keep[i];
	return s;
}

/* Every level's first running span made "none": the overlays stop at
 * the first column they jump to (back: restored from keep). */
static void runs_broken(rv_model *m, rv_sum_run **keep, bool back)
{
	int n = 0;
	for (uint32_t i = 0; i < m->nthreads; i++) {
		rv_spans *s = &m->threads[i].states;
		for (int l = 0; s->sum && l < s->sum->nlevels; l++) {
			rv_sum_level *L = &s->sum->lv[l];
			if (back) {
				g_free(L->run);
				L->run = keep[n++];
				continue;
			}
			keep[n++] = L->run;
			L->run = g_new(rv_sum_run, L->nb);
			for (uint32_t q = 0; q < L->nb; q++)
				L->run[q] = (rv_sum_run){
					{ s->n, s->n },
					{ RV_SUM_FAR, RV_SUM_FAR },
					{ RV_SUM_FAR, RV_SUM_FAR } };
		}
	}
}

static void test_sum_running_overlays(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(1234);
	rv_model *m = turns_model(r, 150000);
	assert_int_equal(m->nthreads, NTHR);
	for (uint32_t i = 0; i < m->nthreads; i++) {
		const rv_spans *s = &m->threads[i].states;
		assert_non_null(s->sum);
		assert_non_null(s->sum->lv[0].run);
	}
	rv_geom g;
	rv_geom_compute(m, &g);
	int used = 0;
	for (int z = 0; z < 6; z++) {
		int sh;
		rv_view v = grid_view(m, (int)g.total_h + RV_RULER_H + 20, z,
				      &sh);
		if (!rv_sum_level_for(&m->threads[0].states, sh))
			continue;
		used++;
		cairo_surface_t *a = draw_with(m, &v, true);
		cairo_surface_t *b = draw_with(m, &v, false);
		if (!same_pixels(a, b))
			fail_msg("zoom %d (%.0f ns/px): the overlays from the "
				 "summaries differ from the lists'", z,
				 v.ns_per_px);
		rv_sum_run *keep[NTHR * RV_SUM_MAXLV];
		runs_broken(m, keep, false);
		cairo_surface_t *c = draw_with(m, &v, true);
		runs_broken(m, keep, true);
		if (same_pixels(a, c))
			fail_msg("zoom %d: wrong first-running entries went "
				 "unseen", z);
		cairo_surface_destroy(a);
		cairo_surface_destroy(b);
		cairo_surface_destroy(c);
	}
	assert_true(used >= 2);
	cairo_debug_reset_static_data();
	rv_model_free(m);
	g_rand_free(r);
}

RS_TEST_SUITE(viewer_sum_runs,
	      cmocka_unit_test(test_sum_running_overlays))
