/*
 * test_viewer_truth.c - what the viewer's picture says must be true
 * (issue 14): a gap of lost records is drawn as a gap (lanes, thread
 * states and promise lines stop at it and resume after it; a promise
 * whose end fell in it ends there in an "end unknown" mark, not "never
 * resolved"; close gaps share one label; the band is hatched; counters
 * stop at it, and at the trace's end), the idle band shows at every zoom, a `becomes` is a
 * vertical line between the two rows, try_read and signal arrows are
 * drawn in their colours, and the
 * double-clicked chain lies over the running boxes.
 *
 * Traces are real: the hosted kernel's demo and hang workloads, collected
 * by `ringside collect`. The lossy one is the demo's records written again
 * through the real writer and store (testlib_events.c) as a second trace,
 * less three windows of records, with rows in `lost` for them as the
 * collector writes them. Pictures are drawn in-process by rv_draw, the
 * code --render and the window use, so a test can set a chain.
 */
#include "testlib.h"

#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view_fixture.h"
#include "draw.h"
#include "model.h"
#include "ringside_ring.h"

#if defined(__SANITIZE_ADDRESS__)
/* These tests draw text in this process (the other viewer tests draw in
 * a ringside-view child), and fontconfig keeps a few hundred bytes it
 * never frees, unreachable once cairo lets go of its caches: a system
 * library's, not ours, so LeakSanitizer is told to let them be. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}
#endif


/* The whole trace in a w x h view. */
static rv_view fit(const rv_model *m, int w, int h)
{
	rv_view v = { .width = w, .height = h };
	rv_view_fit(&v, m);
	return v;
}

/* Windows of records left out of the lossy copy: [ta, tb) in ns. */
typedef struct {
	int64_t ta, tb;
	int64_t from, to;   /* the lost row's: last record before, first after */
	int64_t count;
	uint32_t ctx_after; /* the thread running after the first record after */
} cut;

static void exec(sqlite3 *db, const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s: %s", sql, e);
}

/* dir/lossy.db: src's trace again as trace 2, less the records in the
 * cuts, with a row in lost for each as the collector writes them. */
static char *lossy_copy(const char *dir, const char *src, cut *cuts,
			int ncuts)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/lossy.db", dir) > 0);
	assert_int_equal(rs_run(NULL, 30, "cp '%s' '%s'", src, path), 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* events: the rs_events module testlib registers on every connection */
	exec(db, "BEGIN");
	exec(db, "INSERT INTO trace (id, source, nonce, region_gpa, region_size,"
	     " ncpus, mode, tsc_hz, boot_tsc, guest_state, collected_at)"
	     " VALUES (2, 'lossy copy', 4243, 0, 0, 1, 'overwrite', 1000000000,"
	     " 0, 'exited', 0)");
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT ts_ns, type, ctx, a, b,"
			 " c, str FROM events WHERE trace_id = 1 AND cpu = 0"
			 " ORDER BY seq", -1, &q, NULL), SQLITE_OK);
	struct rs_test_events *w = rs_events_begin(db, 2);
	int64_t last = INT64_MIN;
	int in = -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(q, 0);
		int k;
		for (k = 0; k < ncuts; k++)
			if (t >= cuts[k].ta && t < cuts[k].tb)
				break;
		if (k < ncuts) {
			if (in != k) {
				cuts[k].from = last;
				in = k;
			}
			cuts[k].count++;
			continue;
		}
		if (in >= 0) {
			cuts[in].to = t;
			/* the thread running once that record is done: a
			 * switch's first record already hands the CPU on */
			cuts[in].ctx_after = (uint32_t)sqlite3_column_int64(q,
				sqlite3_column_int(q, 1) == RS_EV_THREAD_SWITCH ? 4 : 2);
		}
		in = -1;
		last = t;
		rs_events_add(w, 0, t, (uint16_t)sqlite3_column_int(q, 1),
			      (uint32_t)sqlite3_column_int64(q, 2),
			      (uint64_t)sqlite3_column_int64(q, 3),
			      (uint64_t)sqlite3_column_int64(q, 4),
			      (uint64_t)sqlite3_column_int64(q, 5),
			      (const char *)sqlite3_column_text(q, 6));
	}
	sqlite3_finalize(q);
	rs_events_end(w);
	for (int k = 0; k < ncuts; k++) {
		assert_true(cuts[k].count > 0 && cuts[k].to > cuts[k].from);
		char sql[200];
		snprintf(sql, sizeof sql, "INSERT INTO lost (trace_id, cpu, count,"
			 " from_ns, to_ns) VALUES (2, 0, %lld, %lld, %lld)",
			 (long long)cuts[k].count, (long long)cuts[k].from,
			 (long long)cuts[k].to);
		exec(db, sql);
	}
	exec(db, "COMMIT");
	sqlite3_close(db);
	return path;
}

/* Does any span of s cross the inside of (from, to)? */
static bool crosses(const rv_spans *s, int64_t from, int64_t to)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (RV_START(s, i) < to && RV_END(s, i) > from)
			return true;
	return false;
}

static int64_t pp_by_id(const rv_model *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->pp.n; i++)
		if (!rv_pp_is_thread(&m->pp, i) && rv_pp_id(&m->pp, i) == id)
			return i;
	return -1;
}

/* What the loss band makes of an empty background: pink, g = b. */
static bool bare(int r, int g, int b)
{
	return r > 215 && abs(g - b) < 10;
}

/* A counter's step line (0.15, 0.35, 0.65). */
static bool is_ink(int r, int g, int b)
{
	return r < 90 && b > 120 && b - r > 60;
}

/* The counter step-line ink in columns [xa, xb) of the counter band whose
 * top is at y = top; the first inked pixel goes to *ax, *ay. */
static int counter_ink_in(pic *p, int top, int xa, int xb, int *ax, int *ay)
{
	int n = 0;
	for (int y = top + 1; y < top + RV_COUNTER_H - 1; y++)
		for (int x = xa; x < xb; x++) {
			int r, g, b;
			px(p, x, y, &r, &g, &b);
			if (is_ink(r, g, b) && !n++) {
				*ax = x;
				*ay = y;
			}
		}
	return n;
}

/* The model: nothing crosses the big gap, and every promise whose end
 * fell in a gap ends there, marked end-unknown (none runs to the end). */
static void check_gap_model(const rv_model *full, const rv_model *m,
			    const cut *big)
{
	assert_int_equal(m->nlost, 3);
	assert_false(crosses(&m->cpu_lane[0], big->from, big->to));
	/* after it, the lane resumes with the thread its first record names */
	const rv_spans *lane = &m->cpu_lane[0];
	uint32_t after = rv_spans_first_ending_after(lane, big->to + 1);
	assert_true(after < lane->n && RV_START(lane, after) == big->to);
	assert_int_equal(m->threads[RV_REF(lane, after)].tid, big->ctx_after);
	assert_false(crosses(&m->cpu_idle[0], big->from, big->to));
	assert_false(crosses(&m->band_idle, big->from, big->to));
	for (uint32_t i = 0; i < m->nthreads; i++)
		assert_false(crosses(&m->threads[i].states, big->from, big->to));
	int ended_in_gap = 0, to_the_end = 0;
	for (uint32_t i = 0; i < m->pp.n; i++) {
		if (rv_pp_is_thread(&m->pp, i))
			continue;
		int64_t f = pp_by_id(full, rv_pp_id(&m->pp, i));
		assert_true(f >= 0);
		/* (a promise that became another ended its line there) */
		bool lost_end = rv_pp_resolved(&full->pp, f) != INT64_MAX &&
			rv_pp_resolved(&m->pp, i) == INT64_MAX && rv_pp_follows(&m->pp, i) < 0;
		if (lost_end && rv_pp_resolved(&full->pp, f) > big->from &&
		    rv_pp_resolved(&full->pp, f) < big->to) {
			ended_in_gap++;
			assert_int_equal(m->pp.state[i], RV_PS_END_UNKNOWN);
			assert_int_equal(rv_pp_own_end(&m->pp, i), big->from);
		}
		if (lost_end && rv_pp_own_end(&m->pp, i) == INT64_MAX)
			to_the_end++;
	}
	assert_true(ended_in_gap > 0);
	assert_int_equal(to_the_end, 0);
}

/* After the big gap, the line of each promise alive across it is drawn
 * again (lines stop at a gap and resume after it): some of its ink lies
 * within a few pixels after the gap, on its row. Rows drawn as a packed
 * aggregate at this zoom have no lines to look at. */
static void check_lines_resume(const rv_model *m, const rv_view *v,
			       const rv_geom *g, const pic *p, const cut *big)
{
	const double margin = 20 * v->ns_per_px;
	const int xg = (int)ceil(rv_x(v, (double)big->to));
	int checked = 0;
	for (uint32_t i = 0; i < m->pp.n; i++) {
		if (rv_pp_created(&m->pp, i) > big->from - margin ||
		    rv_pp_own_end(&m->pp, i) < big->to + margin || rv_pp_cpu(&m->pp, i) != 0)
			continue;
		int32_t row = rv_pp_row_at(m, i, big->to + 1);
		if (row < 0 || rv_row_dense(m, v, row) ||
		    rv_pp_row_at(m, i, big->from - 1) != row)
			continue;
		int ly = (int)lround(rv_row_line_y(g, v, row)), ink = 0;
		if (ly + 6 >= p->h)
			continue;
		/* ly +- 3: a running box (white inside) has its edges there */
		for (int x = xg + 1; x <= xg + 8; x++)
			for (int y = ly - 3; y <= ly + 3; y++) {
				int r, gg, b;
				px(p, x, y, &r, &gg, &b);
				ink += gg < 170;
			}
		if (!ink)
			fail_msg("promise %llu (row %d): no line after the gap",
				 (unsigned long long)rv_pp_id(&m->pp, i), row);
		checked++;
	}
	assert_true(checked > 0);
}

/* A promise whose end fell in the gap ends in the end-unknown mark, two
 * slanted strokes just before its line's end (draw_promises.c), not in
 * a never-resolved arrowhead past it: in z, a view that spans the line,
 * ink 4 px above and below the line within 8 px before its end, and
 * none on the line just after it (the gap, where an arrowhead would be). */
static bool end_unknown_mark(const rv_model *m, const rv_geom *g,
			     const rv_view *z, uint32_t i, int32_t row)
{
	pic p = draw_view(m, z);
	const int x1 = (int)floor(rv_x(z, (double)rv_pp_own_end(&m->pp, i)));
	const int ly = (int)lround(rv_row_line_y(g, z, row));
	const end_ink k = end_mark_ink(&p, x1, ly);
	cairo_surface_destroy(p.s);
	if (k.above && k.below && !k.after)
		return true;
	fprintf(stderr, "promise %llu: end mark at x %d, line y %d: ink %d"
		" above, %d below, %d after\n", (unsigned long long)rv_pp_id(&m->pp, i),
		x1, ly, k.above, k.below, k.after);
	return false;
}

/* The picture: inside the big gap the CPU lane is bare and no row has a
 * line; across it the hatch alternates. */
static void check_gap_pixels(const rv_model *m, const rv_view *v,
			     const cut *big)
{
	pic p = draw_view(m, v);
	rv_geom g;
	rv_geom_compute(m, &g);
	int x0 = (int)ceil(rv_x(v, (double)big->from)) + 3;
	int x1 = (int)floor(rv_x(v, (double)big->to)) - 3;
	assert_true(x1 - x0 > 20);
	int lane = RV_RULER_H + (int)g.cpu_y;
	for (int y = lane + 1; y < lane + RV_LANE_H - 3; y++)
		for (int x = x0; x <= x1; x++) {
			int r, gg, b;
			px(&p, x, y, &r, &gg, &b);
			if (!bare(r, gg, b))
				fail_msg("lane pixel %d,%d in the gap: %d %d %d",
					 x, y, r, gg, b);
		}
	for (uint32_t row = 0; row < m->nrows; row++) {
		int ly = (int)lround(rv_row_line_y(&g, v, (int32_t)row));
		if (ly + 2 >= p.h)
			break;
		for (int x = x0; x <= x1; x++)
			for (int y = ly - 1; y <= ly + 1; y++) {
				int r, gg, b;
				px(&p, x, y, &r, &gg, &b);
				if (gg < 90)
					fail_msg("row %u line at %d,%d in the gap",
						 row, x, y);
			}
	}
	/* counters: their step lines stop at the gap (the records lost
	 * there may have changed them) and were drawn before it */
	for (uint32_t i = 0, k = 0; i < m->ncounters; i++) {
		if (!m->counters[i].shown)
			continue;
		int top = RV_RULER_H + (int)g.counter_y + (int)k++ * RV_COUNTER_H;
		int ax, ay;
		if (counter_ink_in(&p, top, x0, x1 + 1, &ax, &ay))
			fail_msg("counter %s at %d,%d in the gap",
				 m->counters[i].name, ax, ay);
		if (counter_ink_in(&p, top, x0 - 40, x0 - 3, &ax, &ay) < 30)
			fail_msg("counter %s: no line before the gap",
				 m->counters[i].name);
	}
	/* below the rows only the bands lie: hatch lines 8 px apart */
	int y = p.h - 3, changes = 0, prev = -1;
	assert_true(y > rv_row_line_y(&g, v, (int32_t)m->nrows) + 4);
	for (int x = x0; x <= x1; x++) {
		int r, gg, b;
		px(&p, x, y, &r, &gg, &b);
		int dark = gg < 170;
		changes += prev >= 0 && dark != prev;
		prev = dark;
	}
	if (changes < 2 * ((x1 - x0) / 8) - 2)
		fail_msg("hatch: %d changes over %d px", changes, x1 - x0);
	check_lines_resume(m, v, &g, &p, big);
	cairo_surface_destroy(p.s);
}

static void test_losses_drawn_as_gaps(void **state)
{
	char *dir = rs_tmpdir();
	char *src = rs_make_trace(dir, "demo", 12, 0);
	rv_model *full = load(src);
	/* a long gap, then two of three records each about 12 px apart at
	 * full view (1000 px wide) */
	uint64_t ne;
	int64_t *et = db_event_times(src, &ne);
	assert_int_equal(ne, full->nevents);
	rv_view v0 = fit(full, 1000, 100);
	cut cuts[3] = { { et[ne * 40 / 100], et[ne * 55 / 100], 0, 0, 0, 0 } };
	uint64_t k = ne * 80 / 100;
	while (k + 4 < ne && et[k + 3] == et[k])
		k++;
	cuts[1].ta = et[k];
	cuts[1].tb = et[k + 3];
	while (k + 4 < ne && et[k] < cuts[1].tb + 12 * v0.ns_per_px)
		k++;
	assert_true(k + 4 < ne);
	cuts[2].ta = et[k];
	cuts[2].tb = et[k + 3];
	g_free(et);
	char *db = lossy_copy(dir, src, cuts, 3);
	rv_model *m = load(db);
	check_gap_model(full, m, &cuts[0]);

	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = fit(m, 1000, (int)g.total_h + RV_RULER_H + 20);
	check_gap_pixels(m, &v, &cuts[0]);

	/* two labels: the long gap's, and one for the two close ones */
	rv_lost_label lab[8];
	int n = rv_lost_labels(m, &v, lab, 8);
	for (int i = 0; i < n; i++)
		fprintf(stderr, "label %d at %.0f: %s\n", i, lab[i].x,
			lab[i].text);
	assert_int_equal(n, 2);
	char want[80];
	snprintf(want, sizeof want, "%lld lost (cpu 0)", (long long)cuts[0].count);
	assert_string_equal(lab[0].text, want);
	snprintf(want, sizeof want, "%lld lost in 2 gaps (cpu 0)",
		 (long long)(cuts[1].count + cuts[2].count));
	assert_string_equal(lab[1].text, want);

	/* the tooltip of a promise whose end was lost says so, and its
	 * line ends in the end-unknown mark: hovered in the middle of its
	 * line, in a view that spans just that line (at full view a run's
	 * short ones can be a pixel wide) */
	int said = 0, asked = 0, marked = 0;
	for (uint32_t i = 0; i < m->pp.n; i++) {
		if (m->pp.state[i] != RV_PS_END_UNKNOWN || rv_pp_follows(&m->pp, i) >= 0 ||
		    rv_pp_own_end(&m->pp, i) <= rv_pp_created(&m->pp, i))
			continue;
		const int64_t a = rv_pp_created(&m->pp, i), e = rv_pp_own_end(&m->pp, i);
		const int64_t mid = a + (e - a) / 2;
		rv_view z = v;
		z.ns_per_px = 2.0 * (double)(e - a) / (z.width - RV_LEFT_W);
		z.from = (double)a - (double)(e - a) / 2;
		const int32_t row = rv_pp_row_at(m, i, mid);
		char *t = rv_hit_describe(m, &z, rv_x(&z, (double)mid),
					  rv_row_line_y(&g, &z, row));
		asked++;
		/* the mark is on the row its line ends in: another's, if
		 * its line moved there (test_derive.c) */
		marked += end_unknown_mark(m, &g, &z, i,
					   rv_pp_row_at(m, i, e - 1 > a ? e - 1 : a));
		if (t && strstr(t, "end unknown: lost records"))
			said++;
		else
			fprintf(stderr, "promise %llu: tooltip '%s'\n",
				(unsigned long long)rv_pp_id(&m->pp, i), t ? t : "(none)");
		g_free(t);
	}
	assert_true(asked > 0);
	assert_int_equal(said, asked);
	assert_int_equal(marked, asked);
	rv_model_free(m);
	rv_model_free(full);
	free(db);
	free(src);
	rs_tmpdir_cleanup(dir);
}

/* An idle guest (hang's ticker sleeps 1 ms at a time): zoomed fully out,
 * each pixel column holds several idle spans and the gaps between them,
 * and the band is grey where the guest idled, not gone. */
static void test_idle_band_at_every_zoom(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL, *db = NULL;
	assert_true(asprintf(&db, "%s/hang.db", dir) > 0);
	/* the hang workload spins at the end: timeout stops it */
	int rc = rs_run(&out, 30, "timeout 2 '%s' --workload hang --seconds 0.6"
			" --ring '%s/hang.ring' --quiet", rs_bin("ringside-hosted"),
			dir);
	assert_int_equal(rc, 124);
	free(out);
	assert_int_equal(rs_run(&out, 60, "'%s' collect 'file:%s/hang.ring' -o"
				" '%s'", rs_bin("ringside"), dir, db), 0);
	free(out);
	rv_model *m = load(db);
	assert_true(m->band_idle.n > 300);
	rv_geom g;
	rv_geom_compute(m, &g);
	for (int zoom = 1; zoom <= 64; zoom *= 4) {
		rv_view v = fit(m, 330, (int)g.total_h + RV_RULER_H + 20);
		v.ns_per_px /= zoom;
		if (zoom > 1)
			v.from += (double)(m->t_max - m->t_min) / 3;
		pic p = draw_view(m, &v);
		int grey = 0, cols = 0;
		for (int x = RV_LEFT_W + 1; x < v.width - 1; x++) {
			if (rv_t(&v, x + 1) > (double)m->t_max)
				break;
			int r, gg, b;
			px(&p, x, p.h - 3, &r, &gg, &b);
			cols++;
			grey += gg < 242;
		}
		if (grey < cols * 8 / 10)
			fail_msg("zoom x%d: %d of %d columns grey", zoom, grey,
				 cols);
		cairo_surface_destroy(p.s);
	}
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}


/* "X becomes Y": a dark vertical line at its time between Y's own row
 * and X's, where Y carries on. */
static void test_becomes_vertical_line(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "demo", 12, 0);
	rv_model *m = load(db);
	rv_geom g;
	rv_geom_compute(m, &g);
	int checked = 0;
	for (uint32_t k = 0; k < m->arrows.n && checked < 3; k++) {
		if (m->arrows.kind[k] != RV_A_BECOMES)
			continue;
		uint32_t y = m->arrows.from[k], x = m->arrows.to[k];
		int64_t t = rv_arrow_t1(&m->arrows, k);
		int32_t ry = m->pp.row[y], rx = rv_pp_row_at(m, x, t);
		if (abs(ry - rx) < 2)
			continue;
		/* 2 us across: nothing else at this time on screen */
		rv_view v = { .width = 1000, .height = (int)g.total_h + 40,
			      .from = (double)t - 1000, .ns_per_px = 2000.0 / 870 };
		pic p = draw_view(m, &v);
		int xx = (int)floor(rv_x(&v, (double)t));
		int ya = (int)rv_row_line_y(&g, &v, ry < rx ? ry : rx);
		int yb = (int)rv_row_line_y(&g, &v, ry < rx ? rx : ry);
		int hits = 0, n = 0;
		for (int yy = ya + 4; yy <= yb - 4; yy += 3, n++) {
			int r, gg, b, found = 0;
			for (int dx = -1; dx <= 1; dx++) {
				px(&p, xx + dx, yy, &r, &gg, &b);
				found |= is_dark(r, gg, b);
			}
			hits += found;
		}
		if (hits < n)
			fail_msg("becomes at %lld: %d of %d points dark",
				 (long long)t, hits, n);
		cairo_surface_destroy(p.s);
		checked++;
	}
	assert_true(checked > 0);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static bool is_orange(int r, int g, int b)
{
	return r > 220 && g > 110 && g < 170 && b < 60;
}

/* try_read's yellow (0.85, 0.75, 0) at full strength. */
static bool is_yellow(int r, int g, int b)
{
	return r > 190 && g > 165 && g < 215 && b < 50;
}

/* The demo polls each rx event before blocking on it (PROMISE_TRY_READ)
 * and each delivered event signals its waiter (PROMISE_SIGNAL): one arrow
 * per record, drawn in its own colour from the actor's row to the
 * promise's at that instant. Arrows short enough to be drawn at full
 * strength are checked pixel by pixel along their shaft. */
static void check_arrows_of(const rv_model *m, const rv_geom *g, uint8_t kind,
			    bool (*hue)(int, int, int), int want)
{
	int n = 0, checked = 0;
	for (uint32_t k = 0; k < m->arrows.n; k++) {
		if (m->arrows.kind[k] != kind)
			continue;
		n++;
		int64_t t = rv_arrow_t1(&m->arrows, k);
		assert_int_equal(rv_arrow_t0(m, k), t);
		int32_t r0 = rv_pp_row_at(m, m->arrows.from[k], t);
		int32_t r1 = rv_pp_row_at(m, m->arrows.to[k], t);
		rv_view v = { .width = 1000, .height = (int)g->total_h + 40,
			      .from = (double)t - 1000,
			      .ns_per_px = 2000.0 / 870 };
		double y0 = rv_row_line_y(g, &v, r0), y1 = rv_row_line_y(g, &v, r1);
		/* alpha is 1 up to 120 px (draw_arrows.c) */
		if (checked >= 3 || fabs(y1 - y0) < 14 || fabs(y1 - y0) > 110)
			continue;
		pic p = draw_view(m, &v);
		int x = (int)floor(rv_x(&v, (double)t));
		/* Rows between the two are drawn under the arrow, but row
		 * labels (on a pale backdrop) over it, so only part of the
		 * shaft shows: count its pixels in the arrow's colour, in
		 * the arrow's column; nothing else there has that colour. */
		int hits = 0;
		for (int y = (int)ceil(fmin(y0, y1)); y <= (int)fmax(y0, y1); y++)
			for (int dx = -1; dx <= 1; dx++) {
				int r, gg, b;
				px(&p, x + dx, y, &r, &gg, &b);
				hits += hue(r, gg, b);
			}
		if (hits < 4)
			fail_msg("arrow kind %d at %lld (rows %d->%d): %d pixels"
				 " in its colour", kind, (long long)t, r0, r1,
				 hits);
		cairo_surface_destroy(p.s);
		checked++;
	}
	assert_int_equal(n, want);
	assert_true(checked > 0);
}

static void test_try_read_and_signal_arrows(void **state)
{
	char *dir = rs_tmpdir();
	const int requests = 12;
	char *db = rs_make_trace(dir, "demo", requests, 0);
	rv_model *m = load(db);
	rv_geom g;
	rv_geom_compute(m, &g);
	check_arrows_of(m, &g, RV_A_TRY_READ, is_yellow, requests);
	check_arrows_of(m, &g, RV_A_SIGNAL, is_orange, requests);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A chain member's line where its creating thread runs (under a white
 * running box): the chain's orange is on top. */
static void test_chain_over_running_box(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "demo", 12, 0);
	rv_model *m = load(db);
	rv_geom g;
	rv_geom_compute(m, &g);
	uint8_t *chain = calloc(m->pp.n + 1, 1);
	int checked = 0;
	for (uint32_t p = 0; p < m->pp.n && checked < 3; p++) {
		if (rv_pp_is_thread(&m->pp, p) || rv_pp_thread(&m->pp, p) < 0 ||
		    (rv_pp_follows(&m->pp, p) < 0 && rv_pp_cont_root(&m->pp, p) < 0))
			continue;
		/* a run of its creating thread within its line */
		const rv_spans *s = &m->threads[rv_pp_thread(&m->pp, p)].states;
		int64_t a = rv_pp_created(&m->pp, p), e = rv_pp_own_end(&m->pp, p);
		if (e == INT64_MAX)
			e = m->t_max;
		uint32_t i;
		for (i = 0; i < s->n; i++)
			if (RV_KIND(s, i) == RV_K_RUNNING &&
			    (RV_END(s, i) < e ? RV_END(s, i) : e) -
			    (RV_START(s, i) > a ? RV_START(s, i) : a) > 400)
				break;
		if (i == s->n)
			continue;
		int64_t r0 = RV_START(s, i) > a ? RV_START(s, i) : a;
		int64_t r1 = RV_END(s, i) < e ? RV_END(s, i) : e;
		rv_chain_mark(m, p, chain);
		assert_true(chain[p]);
		int64_t len = r1 - r0, mid = r0 + len / 2;
		rv_view v = { .width = 1000, .height = (int)g.total_h + 40,
			      .from = (double)(r0 - len),
			      .ns_per_px = 3.0 * (double)len / 870,
			      .chain = chain };
		pic pc = draw_view(m, &v);
		int x = (int)rv_x(&v, (double)mid);
		int ly = (int)lround(rv_row_line_y(&g, &v, rv_pp_row_at(m, p,
							mid)));
		int r, gg, b, orange = 0;
		for (int y = ly - 2; y <= ly + 1; y++) {
			px(&pc, x, y, &r, &gg, &b);
			orange += is_orange(r, gg, b);
		}
		if (orange < 3)
			fail_msg("chain of promise %llu at %d,%d: %d orange",
				 (unsigned long long)rv_pp_id(&m->pp, p), x, ly, orange);
		cairo_surface_destroy(pc.s);
		checked++;
	}
	assert_true(checked > 0);
	free(chain);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A loss of unknown size (an imported file's, table lost_unknown) is a
 * gap like any other, labelled "?" for its count, and "+?" beside a
 * counted loss it is grouped with. */
static void test_unknown_loss_labelled(void **state)
{
	(void)state;
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "demo", 12, 0);
	uint64_t ne;
	int64_t *et = db_event_times(db, &ne);
	const int64_t t0 = et[ne / 4], t1 = et[ne / 2];
	g_free(et);
	sqlite3 *d;
	assert_int_equal(sqlite3_open(db, &d), SQLITE_OK);
	char sql[300];
	snprintf(sql, sizeof sql, "INSERT INTO lost_unknown (trace_id, cpu,"
		 " from_ns, to_ns, what) VALUES (1, 0, %lld, %lld, 'test')",
		 (long long)t0, (long long)t1);
	assert_int_equal(sqlite3_exec(d, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(d);
	rv_model *m = load(db);
	rv_view v = fit(m, 1000, 100);
	rv_lost_label lab[4];
	assert_int_equal(rv_lost_labels(m, &v, lab, 4), 1);
	assert_string_equal(lab[0].text, "? lost (cpu 0)");
	assert_int_equal(m->nlost, 1);
	assert_true(m->lost[0].count < 0);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A counter's value is known only while the trace lasts: in a view that
 * runs past the last event, every counter's step line stops there and
 * the band beyond it is bare (it ran on to the right edge, so a deep
 * render at 300 s still showed the heap of a guest that had hung at
 * 35 ms). */
static void test_counter_stops_at_trace_end(void **state)
{
	(void)state;
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "demo", 12, 0);
	rv_model *m = load(db);
	rv_view v = fit(m, 1000, 800);
	/* the trace's last tenth in the left half, nothing in the right */
	v.ns_per_px = (double)(m->t_max - m->t_min) / 10 / 500;
	v.from = (double)m->t_max - 500 * v.ns_per_px;
	pic p = draw_view(m, &v);
	rv_geom g;
	rv_geom_compute(m, &g);
	const int x_end = (int)ceil(rv_x(&v, (double)m->t_max));
	int shown = 0;
	for (uint32_t i = 0, k = 0; i < m->ncounters; i++) {
		if (!m->counters[i].shown)
			continue;
		shown++;
		int top = RV_RULER_H + (int)g.counter_y + (int)k++ * RV_COUNTER_H;
		int ax, ay;
		if (counter_ink_in(&p, top, x_end + 2, p.w, &ax, &ay))
			fail_msg("counter %s at %d,%d, past the trace's end"
				 " (x %d)", m->counters[i].name, ax, ay, x_end);
		if (counter_ink_in(&p, top, x_end - 40, x_end - 1, &ax, &ay) < 30)
			fail_msg("counter %s: no line before the trace's end",
				 m->counters[i].name);
	}
	assert_true(shown > 0);
	cairo_surface_destroy(p.s);
	rv_model_free(m);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(viewer_truth,
	      cmocka_unit_test(test_unknown_loss_labelled),
	      cmocka_unit_test(test_losses_drawn_as_gaps),
	      cmocka_unit_test(test_idle_band_at_every_zoom),
	      cmocka_unit_test(test_becomes_vertical_line),
	      cmocka_unit_test(test_try_read_and_signal_arrows),
	      cmocka_unit_test(test_chain_over_running_box),
	      cmocka_unit_test(test_counter_stops_at_trace_end))
