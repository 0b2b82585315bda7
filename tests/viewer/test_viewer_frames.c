/*
 * test_viewer_frames.c - a frame's work is bounded by its pixels, not by
 * the events they hold (issue 18, "Frames").
 *
 * Two synthetic traces of one shape, the second ten times longer (so the
 * whole-trace view puts ten times the events in every pixel column): 2
 * CPUs, 8 threads, promises created, resolved, failed, labelled and read,
 * interrupts, idle, heap and counters, MARK records, migrations, cross-CPU
 * wakes and gaps of lost records, all at a steady rate. Both are drawn
 * whole on one thread (rv_draw_whole: what rv_draw shares between two
 * bands, split.c) and the drawing's work is read from rv_work (times.h,
 * per thread): every probe of a search in a time list
 * and every list item a drawing loop visits. No clock is read: the test
 * says the same on any machine.
 *
 * What it asserts, with the arithmetic in the open:
 *  - drawn 70 px wide, so every column holds thousands of events in
 *    both, the bigger trace's frame visits at most 25 % more than the
 *    smaller one's (a search within a bucket and the counters' pyramid
 *    levels may cost a probe or two more per column: log2 10 is 3.3), and
 *  - either frame visits fewer than RV_VISITS_PER_PX items per pixel
 *    column and drawn lane (CPU lanes, thread lanes, counters, rows).
 * Before the lanes' searches started from per-bucket fingers (lod.c) and
 * crossings and marks were bisected to the view, the 70 px view of the
 * bigger trace visited 3.0x the smaller one's (382 k against 126 k, 140
 * per column and lane): the test fails there.
 */
#include "testlib.h"

#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view_fixture.h"
#include "draw.h"
#include "model.h"
#include "ringside_ring.h"
#include "times.h"

#define SAMPLES "samples/traces"
/* Events per rs_events_begin/end batch: fits the test writer's ring. */
#define BATCH 150000
#define VISITS_PER_PX 48

static void exec(sqlite3 *db, const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s: %s", sql, e);
}

typedef struct {
	sqlite3 *db;
	struct rs_test_events *w;
	int64_t t;
	uint64_t n, in_batch;
	uint32_t rng;
	int64_t gap_from;    /* cpu 1's last record before a gap */
	uint64_t gap_count;  /* records "lost" in it */
} gen;

static uint32_t rnd(gen *g)
{
	g->rng = g->rng * 1664525u + 1013904223u;
	return g->rng >> 8;
}

static void ev(gen *g, unsigned cpu, uint16_t type, uint32_t ctx, uint64_t a,
	       uint64_t b, uint64_t c, const char *str)
{
	g->t += 40 + rnd(g) % 200;
	if (cpu == 1 && g->gap_count) {
		/* inside a gap: the record was lost */
		g->gap_count++;
		return;
	}
	rs_events_add(g->w, cpu, g->t, type, ctx, a, b, c, str);
	g->n++;
	if (++g->in_batch == BATCH) {
		rs_events_end(g->w);
		g->w = rs_events_begin(g->db, 2);
		g->in_batch = 0;
	}
}

/* Every 5 000 steps CPU 1 loses the records of 40 steps. */
static void gap(gen *g, uint64_t step)
{
	if (step % 5000 == 2500) {
		g->gap_from = g->t;
		g->gap_count = 1;
	} else if (g->gap_count && step % 5000 == 2540) {
		char sql[200];
		snprintf(sql, sizeof sql, "INSERT INTO lost (trace_id, cpu, count,"
			 " from_ns, to_ns) VALUES (2, 1, %llu, %lld, %lld)",
			 (unsigned long long)g->gap_count - 1,
			 (long long)g->gap_from, (long long)g->t + 1);
		g->gap_count = 0;
		/* the next record on cpu 1 is the gap's end */
		g->t += 1;
		exec(g->db, sql);
	}
}

static void step(gen *g, uint64_t s, uint64_t *cur)
{
	char label[48];
	const unsigned cpu = (unsigned)(s & 1);
	const uint64_t th = 1 + cpu * 4 + (s / 2) % 4;
	const uint64_t id = s + 1;
	gap(g, s);
	ev(g, cpu, RS_EV_THREAD_SWITCH, (uint32_t)cur[cpu], cur[cpu], th, 0, NULL);
	cur[cpu] = th;
	if (s >= 16) {
		const uint64_t old = id - 16;   /* this thread's, 8 steps ago */
		if (rnd(g) % 16 == 0)
			ev(g, cpu, RS_EV_PROMISE_FAIL, (uint32_t)th, old, 0, 0,
			   "failed");
		else
			ev(g, cpu, RS_EV_PROMISE_RESOLVE, (uint32_t)th, old, 0, 0,
			   NULL);
		ev(g, cpu, RS_EV_PROMISE_READ, (uint32_t)th, old, 0, 0, NULL);
	}
	ev(g, cpu, RS_EV_PROMISE_CREATE, (uint32_t)th, id,
	   id % 3 == 0 && s >= 2 ? id - 2 : 0, rnd(g) % RS_PT_COUNT, NULL);
	if (id % 4 == 0) {
		snprintf(label, sizeof label, "request %llu",
			 (unsigned long long)id);
		ev(g, cpu, RS_EV_PROMISE_LABEL, (uint32_t)th, id, 0, 0, label);
	}
	ev(g, cpu, RS_EV_HEAP, (uint32_t)th, 4096 + rnd(g) % 1024, 128, 0, NULL);
	if (rnd(g) % 10 == 0) {
		ev(g, cpu, RS_EV_IRQ_ENTER, (uint32_t)th, 32, 0, 0, NULL);
		ev(g, cpu, RS_EV_IRQ_EXIT, (uint32_t)th, 32, 0, 0, NULL);
	}
	if (s % 64 == 0)
		ev(g, cpu, RS_EV_COUNTER, (uint32_t)th, s / 64, 0, 0, "requests");
	/* a thread of the other CPU woken from here: a cross-CPU wake */
	ev(g, cpu, RS_EV_THREAD_WAKE, (uint32_t)th, 1 + (1 - cpu) * 4 + (s / 2 + 1) % 4,
	   th, 0, NULL);
	if (s % 50 == 0)
		ev(g, cpu, RS_EV_THREAD_MIGRATE, (uint32_t)th, th, cpu, 1 - cpu,
		   NULL);
	if (s % 40 == 0) {
		snprintf(label, sizeof label, "m%llu", (unsigned long long)s);
		ev(g, cpu, RS_EV_MARK, (uint32_t)th, s, 0, 0, label);
	}
	ev(g, cpu, RS_EV_THREAD_BLOCK, (uint32_t)th, th, 1 + rnd(g) % 4, id, NULL);
	if (rnd(g) % 12 == 0) {
		ev(g, cpu, RS_EV_THREAD_SWITCH, (uint32_t)th, th, 0, 0, NULL);
		cur[cpu] = 0;
		ev(g, cpu, RS_EV_IDLE_ENTER, 0, 0, 0, 0, NULL);
		g->t += 2000;
		ev(g, cpu, RS_EV_IDLE_EXIT, 0, 0, 0, 0, NULL);
	}
}

/* dir/NAME: the pingpong sample with a second trace of `steps` steps
 * (~11 events each) as above, the one the viewer loads. */
static char *make_trace(const char *dir, const char *name, uint64_t steps)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	assert_int_equal(rs_run(NULL, 30, "cp '%s' '%s'",
				SAMPLES "/pingpong.db", path), 0);
	gen g = { .t = 1000000, .rng = 4242 };
	assert_int_equal(sqlite3_open(path, &g.db), SQLITE_OK);
	exec(g.db, "BEGIN");
	exec(g.db, "INSERT INTO trace (id, source, nonce, region_gpa, region_size,"
	     " ncpus, mode, tsc_hz, boot_tsc, guest_state, collected_at)"
	     " VALUES (2, 'frames', 4244, 0, 0, 2, 'overwrite', 1000000000,"
	     " 0, 'exited', 0)");
	g.w = rs_events_begin(g.db, 2);
	char tname[32];
	for (unsigned th = 1; th <= 8; th++) {
		snprintf(tname, sizeof tname, "worker %u", th);
		ev(&g, (th - 1) / 4, RS_EV_THREAD_CREATE, 0, th, 0, 0, tname);
	}
	uint64_t cur[2] = { 0, 0 };
	for (uint64_t s = 0; s < steps; s++)
		step(&g, s, cur);
	rs_events_end(g.w);
	exec(g.db, "COMMIT");
	sqlite3_close(g.db);
	return path;
}

typedef struct {
	uint64_t events, visits, lanes;
	int width;
} frame_work;

/* The whole trace drawn once; what it visited. */
static frame_work whole_view(const char *db, int width)
{
	rv_model *m = load(db);
	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = { .width = width, .height = (int)g.total_h + RV_RULER_H };
	rv_view_fit(&v, m);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							v.width, v.height);
	cairo_t *cr = cairo_create(s);
	rv_work = 0;
	rv_draw_whole(cr, m, &v);
	frame_work f = { m->nevents, rv_work,
			 (uint64_t)m->ncpus + (m->show_threads ? m->nthreads : 0) +
			 g.ncounters_shown + m->nrows, v.width - RV_LEFT_W };
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	cairo_debug_reset_static_data();
	/* the pixels the drawing stores are the ones cairo draws, whole and
	 * zoomed in on this busy trace too (test_viewer_pixels.c) */
	assert_frame_as_cairo(m, &v, CAIRO_FORMAT_RGB24);
	v.ns_per_px /= 40;
	v.from += (double)(m->t_max - m->t_min) / 3;
	assert_frame_as_cairo(m, &v, CAIRO_FORMAT_ARGB32);
	/* what the test is about is there in both: crossings, marks, gaps */
	printf("# %llu events: %u crossings, %u marks, %u lost ranges\n",
	       (unsigned long long)m->nevents, m->xcpu.n, m->nmarks, m->nlost);
	assert_true(m->xcpu.n >= 400 && m->nmarks >= 500 && m->nlost >= 4);
	rv_model_free(m);
	return f;
}

static uint64_t bound(const frame_work *f)
{
	return (uint64_t)VISITS_PER_PX * (uint64_t)f->width * f->lanes;
}

static void report(const frame_work *a, const frame_work *b)
{
	printf("# whole view, %d px x %llu lanes: %llu events: %llu visits "
	       "(%.1f per px and lane); %llu events: %llu (%.1f)\n", a->width,
	       (unsigned long long)a->lanes, (unsigned long long)a->events,
	       (unsigned long long)a->visits,
	       (double)a->visits / a->width / a->lanes,
	       (unsigned long long)b->events, (unsigned long long)b->visits,
	       (double)b->visits / b->width / b->lanes);
}

static void test_whole_view_work_bounded_by_pixels(void **state)
{
	char *dir = rs_tmpdir();
	char *small = make_trace(dir, "small.db", 20000);
	char *big = make_trace(dir, "big.db", 200000);
	/* 70 px of plot: every column holds thousands of events in both */
	frame_work a = whole_view(small, 200), b = whole_view(big, 200);
	report(&a, &b);
	assert_true(b.events > 9 * a.events && a.lanes == b.lanes);
	assert_true(b.visits <= a.visits + a.visits / 4);
	assert_true(a.visits < bound(&a) && b.visits < bound(&b));
	/* 1070 px: the small trace has about one promise per column and
	 * row there, the big one ten; both within the same bound */
	a = whole_view(small, 1200);
	b = whole_view(big, 1200);
	report(&a, &b);
	assert_true(a.visits < bound(&a) && b.visits < bound(&b));
	free(small);
	free(big);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(viewer_frames,
	      cmocka_unit_test(test_whole_view_work_bounded_by_pixels))
