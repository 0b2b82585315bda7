/*
 * test_viewer_smp.c - the viewer on a guest of four CPUs (the story of
 * smp_fixture.h, written by the real writer and collected): a lane per
 * CPU with what ran there, the migration of thread 4 from cpu 3 to cpu 2
 * drawn between their lanes, and the wake of thread 2 on cpu 0 drawn as
 * an arrow to cpu 1's lane where it ran; with cpu 1's clock behind, the
 * same wake still pairs (its arrow runs back in time); a stuck CPU's lane
 * is marked from its last heartbeat. And the real kernel's fanout on
 * four vCPUs under QEMU: a thread's run in every CPU's lane.
 */
#include "testlib.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smp_fixture.h"
#include "view_fixture.h"
#include "xcpu.h"

/* A pixel near (x, y) (within 1 px, lines are antialiased) that `ok` likes. */
static bool near(const pic *p, double x, double y,
		 bool (*ok)(int r, int g, int b))
{
	for (int dy = -1; dy <= 1; dy++)
		for (int dx = -1; dx <= 1; dx++) {
			int r, g, b;
			px(p, (int)x + dx, (int)y + dy, &r, &g, &b);
			if (ok(r, g, b))
				return true;
		}
	return false;
}

static bool orange(int r, int g, int b) { return r > 170 && g > 50 && g < 140 && b < 70; }
static bool blue(int r, int g, int b) { return b > 160 && r < 90 && g < 130; }

/* The index of thread `tid` in the model. */
static int32_t thread_index(const rv_model *m, uint64_t tid)
{
	for (uint32_t i = 0; i < m->nthreads; i++)
		if (m->threads[i].tid == tid)
			return (int32_t)i;
	fail_msg("no thread %llu", (unsigned long long)tid);
	return -1;
}

static void test_viewer_smp_model(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_smp_fixture(dir, 0);
	rv_model *m = load(db);

	assert_int_equal(m->ncpus, 4);
	/* what ran where: thread 4 on cpu 3 until it idled, then on cpu 2 */
	const rv_spans *l3 = &m->cpu_lane[3], *l2 = &m->cpu_lane[2];
	assert_true(l3->n >= 1 && l2->n >= 1);
	assert_int_equal(RV_REF(l3, 0), thread_index(m, 4));
	assert_int_equal(RV_START(l3, 0), SMP_NS(10));
	assert_int_equal(RV_REF(l2, 0), thread_index(m, 4));
	assert_int_equal(RV_START(l2, 0), SMP_NS(601));
	/* the wake across CPUs (100 on cpu 0 -> 110 on cpu 1), then the
	 * migration; thread 3's wake stayed on cpu 0 and is no crossing */
	assert_int_equal(m->xcpu.n, 2);
	assert_int_equal(m->xcpu.kind[0], RV_X_WAKE);
	assert_int_equal(m->xcpu.t0[0], SMP_NS(100));
	assert_int_equal(m->xcpu.t1[0], SMP_NS(110));
	assert_int_equal(m->xcpu.from[0], 0);
	assert_int_equal(m->xcpu.to[0], 1);
	assert_int_equal(m->xcpu.tid[0], 2);
	assert_int_equal(m->xcpu.kind[1], RV_X_MIGRATE);
	assert_int_equal(m->xcpu.t0[1], SMP_NS(600));
	assert_int_equal(m->xcpu.from[1], 3);
	assert_int_equal(m->xcpu.to[1], 2);
	assert_int_equal(m->xcpu.tid[1], 4);

	/* drawn: the migration's line between lanes 3 and 2, the wake's
	 * arrow halfway between lanes 0 and 1 */
	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = { .width = 1000, .height = (int)g.total_h + RV_RULER_H + 20 };
	rv_view_range(&v, (double)SMP_NS(0), (double)SMP_NS(1000));
	pic p = draw_view(m, &v);
	const double lanes = RV_RULER_H + g.cpu_y;
	if (!near(&p, rv_x(&v, (double)SMP_NS(600)), lanes + 3.0 * RV_LANE_H, orange))
		fail_msg("no migration line between cpu 3 and cpu 2");
	const double wx = (rv_x(&v, (double)SMP_NS(100)) + rv_x(&v, (double)SMP_NS(110))) / 2;
	if (!near(&p, wx, lanes + 1.0 * RV_LANE_H, blue))
		fail_msg("no wake arrow from cpu 0 to cpu 1");
	/* and nothing of the kind where nothing crossed */
	if (near(&p, rv_x(&v, (double)SMP_NS(300)), lanes + 1.0 * RV_LANE_H, blue) ||
	    near(&p, rv_x(&v, (double)SMP_NS(450)), lanes + 3.0 * RV_LANE_H, orange))
		fail_msg("a crossing drawn where none was");
	/* the tooltip on cpu 2's lane at the migration says what crossed */
	char *tip = rv_hit_describe(m, &v, rv_x(&v, (double)SMP_NS(600)),
				    lanes + 2.5 * RV_LANE_H);
	if (!tip || !strstr(tip, "thread wc (tid 4) migrated from cpu 3 to cpu 2"))
		fail_msg("tooltip: %s", tip ? tip : "(none)");
	g_free(tip);
	tip = rv_hit_describe(m, &v, rv_x(&v, (double)SMP_NS(110)),
			      lanes + 1.5 * RV_LANE_H);
	if (!tip || !strstr(tip, "thread wa (tid 2) woken on cpu 0, ran on cpu 1"
			    " 10.000 us later"))
		fail_msg("tooltip: %s", tip ? tip : "(none)");
	g_free(tip);
	if (getenv("RS_SHOW"))
		cairo_surface_write_to_png(p.s, getenv("RS_SHOW"));
	cairo_surface_destroy(p.s);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* cpu 1 20 µs behind: thread 2 ran at 90 by its clock, woken at 100. */
static void test_viewer_smp_skewed_wake(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_smp_fixture(dir, 20000);
	rv_model *m = load(db);

	assert_true(m->xcpu.n >= 1);
	assert_int_equal(m->xcpu.kind[0], RV_X_WAKE);
	assert_int_equal(m->xcpu.t0[0], SMP_NS(100));
	assert_int_equal(m->xcpu.t1[0], SMP_NS(110) - 20000);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static bool red(int r, int g, int b) { return r > 180 && g < 40 && b < 40; }

/* A trace whose cpu 2 is stuck since 700 µs (the verdict as the collector
 * stores it): its lane is banded red from there, the others not, and its
 * tooltip says so. */
static void test_viewer_smp_stuck_cpu(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_smp_fixture(dir, 0);
	sqlite3 *q;
	char sql[200];

	assert_int_equal(sqlite3_open(db, &q), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE trace SET guest_state = 'stuck-cpu',"
		 " stuck_cpu = 2, stuck_at_ns = %lld", (long long)SMP_NS(700));
	assert_int_equal(sqlite3_exec(q, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(q);
	rv_model *m = load(db);
	assert_true(m->stuck);
	assert_int_equal(m->stuck_cpu, 2);
	assert_int_equal(m->stuck_at, SMP_NS(700));

	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = { .width = 1000, .height = (int)g.total_h + RV_RULER_H + 20 };
	rv_view_range(&v, (double)SMP_NS(0), (double)SMP_NS(1000));
	pic p = draw_view(m, &v);
	const double lanes = RV_RULER_H + g.cpu_y;
	const double after = rv_x(&v, (double)SMP_NS(900));
	const double before = rv_x(&v, (double)SMP_NS(500));
	if (!near(&p, after, lanes + 2 * RV_LANE_H + 1, red))
		fail_msg("cpu 2's lane is not marked stuck after 700 us");
	if (near(&p, before, lanes + 2 * RV_LANE_H + 1, red) ||
	    near(&p, after, lanes + 1 * RV_LANE_H + 1, red))
		fail_msg("a stuck mark before 700 us, or on another lane");
	if (getenv("RS_SHOW"))
		cairo_surface_write_to_png(p.s, getenv("RS_SHOW"));
	char *tip = rv_hit_describe(m, &v, after, lanes + 2.5 * RV_LANE_H);
	if (!tip || !strstr(tip, "STUCK: cpu 2's own heartbeat stopped at"))
		fail_msg("tooltip: %s", tip ? tip : "(none)");
	g_free(tip);
	cairo_surface_destroy(p.s);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* The real kernel on four vCPUs under QEMU (`ringside run --smp 4
 * --workload fanout`): every CPU's lane shows a thread other than its
 * idle context running, drawn in that lane, and the cross-CPU wakes the
 * scheduler made are in the model. */
static void test_viewer_smp_real_fanout(void **state)
{
	char *dir = rs_tmpdir(), *db = NULL, *out = NULL;
	assert_true(asprintf(&db, "%s/fanout4.db", dir) > 0);
	/* 300 s: one short boot, a wide margin on a slow, busy machine */
	if (rs_run(&out, 300, "'%s' run --smp 4 --workload fanout --count 20"
		   " -o '%s'", rs_bin("ringside"), db) != 0)
		fail_msg("ringside run: %s", out ? out : "");
	free(out);
	rv_model *m = load(db);
	assert_int_equal(m->ncpus, 4);
	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = { .width = 1000, .height = (int)g.total_h + RV_RULER_H + 20 };
	rv_view_fit(&v, m);
	pic p = draw_view(m, &v);
	const double lanes = RV_RULER_H + g.cpu_y;
	for (int c = 0; c < 4; c++) {
		const rv_spans *l = &m->cpu_lane[c];
		int64_t longest = -1;
		uint32_t at = 0;
		for (uint32_t i = 0; i < l->n; i++)
			if (m->threads[RV_REF(l, i)].tid != 0 &&
			    RV_END(l, i) - RV_START(l, i) > longest) {
				longest = RV_END(l, i) - RV_START(l, i);
				at = i;
			}
		if (longest < 0)
			fail_msg("cpu %d: no thread ran in its lane", c);
		/* the run is in the picture: inked in its lane across its
		 * columns (at least the one it falls in) */
		const int x0 = (int)floor(rv_x(&v, (double)RV_START(l, at)));
		const int x1 = (int)ceil(rv_x(&v, (double)RV_END(l, at)));
		const int y = (int)(lanes + c * RV_LANE_H + RV_LANE_H / 2);
		int inked = 0;
		for (int x = x0 - 1; x <= x1 + 1; x++) {
			int r, gg, b;
			if (x < RV_LEFT_W || x >= v.width)
				continue;
			px(&p, x, y, &r, &gg, &b);
			inked += !(r > 235 && gg > 235 && b > 235);
		}
		if (!inked) {
			if (getenv("RS_SHOW"))
				cairo_surface_write_to_png(p.s, getenv("RS_SHOW"));
			fail_msg("cpu %d: its longest run (%lld ns, x %d..%d) is not"
				 " drawn", c, (long long)longest, x0, x1);
		}
	}
	assert_true(m->xcpu.n > 0);
	if (getenv("RS_SHOW"))
		cairo_surface_write_to_png(p.s, getenv("RS_SHOW"));
	cairo_surface_destroy(p.s);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(viewer_smp,
	cmocka_unit_test(test_viewer_smp_stuck_cpu),
	cmocka_unit_test(test_viewer_smp_model),
	cmocka_unit_test(test_viewer_smp_skewed_wake),
	cmocka_unit_test(test_viewer_smp_real_fanout),
);
