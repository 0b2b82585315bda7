/*
 * test_viewer_live.c - the real GTK window (under Xvfb, as
 * test_viewer_window.c) following a growing database, waiting for one
 * that does not exist yet, showing load progress, and its search, status
 * line, panning limits and frame-time readout, driven by the hidden
 * --test-script (window_script.c lists the steps).
 *
 * GTK_A11Y=none: without a session bus (CI, Xvfb) GTK's accessibility
 * layer warns that it cannot reach one; that warning is about the
 * machine, not the window, and would hide the ones these tests look for.
 */
#include "testlib.h"
#include "view_fixture.h"
#include "ringside_ring.h"

#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "draw.h"
#include "model.h"

#define SAMPLES "samples/traces"
#define ENV "ASAN_OPTIONS=detect_leaks=0 GSK_RENDERER=cairo NO_AT_BRIDGE=1 " \
	"GTK_A11Y=none "

/* The nth value after key in log (0 = first). */
static double nth(const char *log, int n, const char *key)
{
	const char *p = log;
	for (int i = 0; i <= n; i++) {
		p = strstr(p, key);
		assert_non_null(p);
		p += strlen(key);
	}
	return strtod(p, NULL);
}

/* Wait (up to 60 s, polled every 10 ms) until file holds text. */
static void wait_for_text(const char *file, const char *text)
{
	for (int i = 0; i < 6000; i++) {
		char *seen = rs_read_file(file, NULL);
		int found = seen && strstr(seen, text);
		free(seen);
		if (found)
			return;
		usleep(10000);
	}
}

/* Append n MARK records to CPU 0, 1 us apart after the last chunk, as a
 * collector batch would (accepted counts them, so --follow sees it). */
static void append_marks(const char *db, int n)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
	sqlite3_stmt *q;
	sqlite3_prepare_v2(h, "SELECT max(max_ns) FROM chunks", -1, &q, NULL);
	sqlite3_step(q);
	int64_t last = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	struct rs_test_events *ev = rs_events_begin(h, 1);
	for (int i = 1; i <= n; i++)
		rs_events_add(ev, 0, last + i * 1000, RS_EV_MARK, 0,
			      (uint64_t)i, 0, 0, NULL);
	rs_events_end(ev);
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE trace_cpu SET accepted = accepted"
		 " + %d WHERE cpu = 0; COMMIT", n);
	sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
}

/* --follow slides with the newest data, keeping the view's width; a pan
 * stops that (a reload then leaves the view where it is); End resumes.
 * The writer appends once the window printed its first view, and again
 * once it printed the view after the pan; each reload has the script's
 * 3.5 s sleep (a fraction of a second here, loaded: >= 5x). */
static void test_window_follow_slides(void **state)
{
	const char *display = rs_test_display();
	char *dir = rs_tmpdir(), *log = NULL;
	char db[512], out[512];
	snprintf(db, sizeof db, "%s/live.db", dir);
	snprintf(out, sizeof out, "%s/view.out", dir);
	assert_int_equal(rs_run(NULL, 10, "cp %s %s", SAMPLES "/pingpong.db",
				db), 0);
	pid_t w = fork();
	if (w == 0) {
		wait_for_text(out, "view ");
		append_marks(db, 100);
		wait_for_text(out, "following=0");
		append_marks(db, 100);
		_exit(0);
	}
	int rc = rs_run(&log, 120, "DISPLAY=%s " ENV "%s --follow --test-script"
			" 'view;sleep:3500;view;key:Left;sleep:3500;view;"
			"key:End;view;quit' %s >'%s' 2>&1; r=$?; cat '%s';"
			" exit $r", display, rs_bin("ringside-view"), db, out,
			out);
	waitpid(w, NULL, 0);
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	/* views: 0 first fit, 1 after a reload, 2 after the pan, 3 after
	 * another reload, 4 after End */
	double from[5], npp[5], to[5], end[5];
	for (int i = 0; i < 5; i++) {
		from[i] = nth(log, i, "view from=");
		npp[i] = nth(log, i, "ns_per_px=");
		to[i] = nth(log, i, " to=");
		end[i] = nth(log, i, "data_end=");
	}
	double spare = to[0] - end[0];   /* the fit's 2 % past the end */
	assert_true(spare > 0);
	assert_true(end[1] == end[0] + 100000);
	assert_true(npp[1] == npp[0]);             /* same width in time */
	assert_true(fabs(to[1] - end[1] - spare) < 2);   /* slid with it */
	assert_true(from[2] < from[1]);             /* the pan */
	assert_true(end[3] == end[2] + 100000);     /* reloaded ... */
	assert_true(from[3] == from[2] && npp[3] == npp[2]);  /* ... unmoved */
	assert_true(fabs(to[4] - end[4] - spare) < 2);   /* End: the end */
	assert_true(nth(log, 4, "following=") == 1);
	free(log);
	rs_tmpdir_cleanup(dir);
}

/* --follow on a path that does not exist yet waits (the window says so)
 * and shows the database once it is there: here copied into place,
 * which a poll may see half-written (then it waits on). A file that
 * exists and is no ringside database is still refused at once. */
static void test_window_follow_waits(void **state)
{
	const char *display = rs_test_display();
	char *dir = rs_tmpdir(), *log = NULL;
	char db[512], out[512], foreign[512];
	snprintf(db, sizeof db, "%s/later.db", dir);
	snprintf(out, sizeof out, "%s/view.out", dir);
	snprintf(foreign, sizeof foreign, "%s/foreign.db", dir);
	/* 1 s after the start the viewer must still run (a refusal exits at
	 * once); the copy comes after that check. */
	int rc = rs_run(&log, 120, "DISPLAY=%s " ENV "%s --follow --test-script"
			" 'events;status;quit' %s >'%s' 2>&1 & p=$!; sleep 1;"
			" kill -0 $p || { echo EXITED EARLY; cat '%s'; exit 9; };"
			" cp %s %s; wait $p; r=$?; cat '%s'; exit $r", display,
			rs_bin("ringside-view"), db, out, out,
			SAMPLES "/pingpong.db", db, out);
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	assert_non_null(strstr(log, "events 431"));
	assert_null(strstr(log, "cannot open"));
	free(log);
	log = NULL;
	FILE *f = fopen(foreign, "w");
	assert_non_null(f);
	fputs("not a database at all\n", f);
	fclose(f);
	rc = rs_run(&log, 20, "DISPLAY=%s " ENV "%s --follow %s", display,
		    rs_bin("ringside-view"), foreign);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(log, "ringside-view: "));
	assert_non_null(strchr(log, '\n'));
	assert_null(strchr(strchr(log, '\n') + 1, '\n'));   /* one line */
	free(log);
	rs_tmpdir_cleanup(dir);
}

/* Esc after a filter shows every row again and clears the status;
 * Enter / Shift+Enter move the selection across the matches (pingpong:
 * "n" matches three items). sleep:500 after Esc: the entry's
 * search-changed comes after a delay, and used to hide every row. */
static void test_window_search_esc_enter(void **state)
{
	const char *display = rs_test_display();
	char *log = NULL;
	int rc = rs_run(&log, 60, "DISPLAY=%s " ENV "%s --test-script "
			"'shown;search:n;filter;shown;key:Escape;sleep:500;"
			"shown;status;search:n;key:Return;selected;"
			"key:Return;selected;key:S-Return;selected;quit' %s",
			display, rs_bin("ringside-view"),
			SAMPLES "/pingpong.db");
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	double all = nth(log, 0, "shown ");
	assert_true(nth(log, 1, "shown ") == 3 && all > 3);
	assert_true(nth(log, 2, "shown ") == all);
	assert_non_null(strstr(log, "shown 44 of 44 filter=0\nstatus "
			       SAMPLES "/pingpong.db: "));
	double s0 = nth(log, 0, "selected pp="), s1 = nth(log, 1, "selected pp=");
	double s2 = nth(log, 2, "selected pp=");
	assert_true(s0 >= 0 && s1 > s0 && s2 == s0);
	free(log);
}

/* A search runs on a worker, not on the UI thread: with each search made
 * to take 2 s (search-delay), the script's next step, 150 ms later, runs
 * while it is still going, well before its 2 s (margin: 13x a step's
 * delay), and the result arrives afterwards. Done on the UI thread, the
 * search step itself would block for the 2 s, and no step could run
 * before they were over. */
static void test_window_search_off_ui_thread(void **state)
{
	const char *display = rs_test_display();
	char *log = NULL;
	int rc = rs_run(&log, 60, "DISPLAY=%s " ENV "%s --test-script "
			"'search-delay:2000;search:n;busy;status;busy;quit' %s",
			display, rs_bin("ringside-view"),
			SAMPLES "/pingpong.db");
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	const char *b1 = strstr(log, "busy search=1 after_ms=");
	assert_non_null(b1);
	long after = atol(b1 + strlen("busy search=1 after_ms="));
	if (after < 0 || after >= 2000)
		fail_msg("the step after the search ran %ld ms into it", after);
	const char *st = strstr(b1, "status 3 matches for \"n\"");
	assert_non_null(st);
	assert_non_null(strstr(st, "busy search=0 after_ms=-1\n"));
	free(log);
}

/* The packed rows' per-row match counts follow every change of the
 * matches: a search, the filter, Esc, a histogram bar (pingpong's packed
 * rows hold its "wait" promises, which no label search finds). */
static void test_window_search_indexed(void **state)
{
	const char *display = rs_test_display();
	char *log = NULL;
	int rc = rs_run(&log, 60, "DISPLAY=%s " ENV "%s --test-script "
			"'search:n;indexed;filter;indexed;key:Escape;sleep:500;"
			"indexed;select:5;by:type;bar:0;indexed;quit' %s",
			display, rs_bin("ringside-view"),
			SAMPLES "/pingpong.db");
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	/* matching segments: some, some, none after Esc, some */
	const bool some[4] = { true, true, false, true };
	const char *at = log;
	for (int i = 0; i < 4; i++) {
		long long idx = -2, all = -2;
		at = strstr(at, "indexed ");
		assert_non_null(at);
		at += strlen("indexed ");
		assert_int_equal(sscanf(at, "%lld of %lld", &idx, &all), 2);
		if (idx != all || (all > 0) != some[i])
			fail_msg("step %d: indexed %lld of %lld\n%s", i, idx,
				 all, log);
	}
	free(log);
}

/* The F readout in the window's own pixels: between a screenshot before
 * F and one after, what changed is a dark box with white text at the
 * top right (window.c draws it over the view's top right corner), and
 * nothing else. Returns how many pixels changed. */
static int frametime_drawn(const char *before, const char *after)
{
	cairo_surface_t *a = cairo_image_surface_create_from_png(before);
	cairo_surface_t *b = cairo_image_surface_create_from_png(after);
	assert_int_equal(cairo_surface_status(a), CAIRO_STATUS_SUCCESS);
	assert_int_equal(cairo_surface_status(b), CAIRO_STATUS_SUCCESS);
	const int w = cairo_image_surface_get_width(a);
	const int h = cairo_image_surface_get_height(a);
	assert_int_equal(cairo_image_surface_get_width(b), w);
	assert_int_equal(cairo_image_surface_get_height(b), h);
	const int sa = cairo_image_surface_get_stride(a);
	const int sb = cairo_image_surface_get_stride(b);
	const unsigned char *da = cairo_image_surface_get_data(a);
	const unsigned char *db = cairo_image_surface_get_data(b);
	int changed = 0, dark = 0, white = 0, x0 = w, y1 = -1;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint32_t pa = *(const uint32_t *)(da + y * sa + x * 4);
			uint32_t pb = *(const uint32_t *)(db + y * sb + x * 4);
			if ((pa & 0xffffff) == (pb & 0xffffff))
				continue;
			changed++;
			x0 = MIN(x0, x);
			y1 = MAX(y1, y);
			int r = pb >> 16 & 255, g = pb >> 8 & 255, bl = pb & 255;
			dark += r < 90 && g < 90 && bl < 90;
			white += r > 220 && g > 220 && bl > 220;
		}
	cairo_surface_destroy(a);
	cairo_surface_destroy(b);
	print_message("frame-time readout: %d pixels changed (%d dark, %d"
		      " white) from x %d, down to y %d of %dx%d\n", changed,
		      dark, white, x0, y1, w, h);
	/* a box 16 px high and some 200 wide, mostly dark, with text */
	assert_true(changed >= 1000);
	assert_true(dark >= changed / 2 && white >= 20);
	assert_true(x0 > w / 2 && y1 < h / 3);
	return changed;
}

static int info_count(const char *info, const char *key)
{
	const char *p = strstr(info, key);
	assert_non_null(p);
	return atoi(p + strlen(key));
}

/* The status line counts what `info` counts (no boot pseudo-thread);
 * no GTK warning at start (the scrollbars' adjustments used to change
 * while the area was drawn); panning stops at the trace's ends (2 % of
 * the page past them); F shows the frame-time readout, drawn in the
 * window (its screenshots before and after F differ by it alone). */
static void test_window_status_pan_frametime(void **state)
{
	const char *display = rs_test_display();
	char *log = NULL, *info = NULL;
	const char *db = SAMPLES "/crash.db";
	assert_int_equal(rs_run(&info, 30, "%s info %s", rs_bin("ringside"),
				db), 0);
	char keys[4096] = "status;key:plus;key:plus;";
	for (int i = 0; i < 30; i++)
		strcat(keys, "key:Left;");
	strcat(keys, "view;");
	for (int i = 0; i < 40; i++)
		strcat(keys, "key:Right;");
	char *dir = rs_tmpdir(), shot0[512], shot1[512], more[1200];
	snprintf(shot0, sizeof shot0, "%s/before.png", dir);
	snprintf(shot1, sizeof shot1, "%s/after.png", dir);
	snprintf(more, sizeof more, "view;shot:%s;key:F;sleep:300;shot:%s;"
		 "frametime;quit", shot0, shot1);
	strcat(keys, more);
	int rc = rs_run(&log, 60, "DISPLAY=%s " ENV "%s --test-script '%s' %s"
			" 2>&1", display, rs_bin("ringside-view"), keys, db);
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	assert_null(strstr(log, "Gtk-WARNING"));
	assert_null(strstr(log, "Gtk-CRITICAL"));
	char want[128];
	snprintf(want, sizeof want, ": %d events, %d threads, %d promises,",
		 info_count(info, "events: "), info_count(info, "threads: "),
		 info_count(info, "promises: "));
	assert_non_null(strstr(log, want));
	/* every key prints the view: 2 zooms, then 30 x 10 % left (view
	 * 31), then 40 x 10 % right (view 71); from the first event, and
	 * past the last, at most 2 % of a page */
	double from = nth(log, 31, "view from="), to = nth(log, 31, " to=");
	double page = to - from;
	const char *t = strstr(info, "time: ");
	assert_non_null(t);
	double t_min = strtod(t + 6, NULL) * 1e9;
	assert_true(page > 0 && from >= t_min - 0.02 * page - 1e3);
	double to2 = nth(log, 71, " to="), end = nth(log, 71, "data_end=");
	assert_true(to2 <= end + 0.02 * page + 1);
	assert_non_null(strstr(log, "frametime shown=1"));
	frametime_drawn(shot0, shot1);
	rs_tmpdir_cleanup(dir);
	free(info);
	assert_int_equal(rs_run(&info, 30, "%s --help",
				rs_bin("ringside-view")), 0);
	assert_non_null(strstr(info, "frame-time readout"));
	assert_non_null(strstr(info, "Shift+Enter"));
	assert_true(nth(log, 0, "frames=") >= 1);
	free(info);
	free(log);
}

/* A trace of several loader ranges (500 000 records each: model.c) says
 * how far its load got, once per range, whatever the machine's speed. */
/* The window's first preview (window_load.c): announced and painted
 * before the load ended, of fewer events than the whole, and what it
 * shows is the trace so far: pingpong's lanes at the left, in colour,
 * and nothing but the grid past the last mark loaded. */
static void check_preview(const char *log, const char *events, char *png,
			  size_t len, const char *dir)
{
	const char *pv = strstr(log, "preview 0: ");
	const char *drawn = strstr(log, "preview 0 drawn");
	if (!pv || !drawn || drawn > events)
		fail_msg("no preview drawn before the load ended:\n%s", log);
	const double shown = nth(log, 0, "preview 0: "), all = nth(log, 0, "events ");
	assert_true(shown > 0 && shown < all);
	snprintf(png, len, "%s/preview0.png", dir);
	cairo_surface_t *s = cairo_image_surface_create_from_png(png);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	const unsigned char *d = cairo_image_surface_get_data(s);
	const int stride = cairo_image_surface_get_stride(s);
	const int w = cairo_image_surface_get_width(s);
	const int h = cairo_image_surface_get_height(s);
	assert_true(w > RV_LEFT_W + 100 && h > RV_RULER_H + 100);
	/* the loaded share of the plot's width, from the preview's events:
	 * marks come at a steady pace after pingpong's short start */
	const int edge = RV_LEFT_W + (int)((w - RV_LEFT_W) / 1.02 * shown / all);
	long left = 0, right = 0;
	for (int y = RV_RULER_H; y < h; y++)
		for (int x = RV_LEFT_W; x < w; x++) {
			uint32_t px = *(const uint32_t *)(d + y * stride + x * 4);
			int r = (px >> 16) & 255, g = (px >> 8) & 255, b = px & 255;
			int hi = r > g ? (r > b ? r : b) : (g > b ? g : b);
			int lo = r < g ? (r < b ? r : b) : (g < b ? g : b);
			if (hi - lo > 40)   /* colour: not white, grey or the grid */
				*(x < edge ? &left : &right) += x < edge - 5 || x >= edge + 5;
		}
	printf("# preview 0: %.0f of %.0f events, colour %ld px left of x=%d, %ld "
	       "right\n", shown, all, left, edge, right);
	assert_true(left > 20);
	assert_int_equal(right, 0);
	cairo_surface_destroy(s);
}

static void test_window_load_progress(void **state)
{
	const char *display = rs_test_display();
	char *dir = rs_tmpdir(), *log = NULL;
	char db[512], png[512];
	snprintf(db, sizeof db, "%s/big.db", dir);
	assert_int_equal(rs_run(NULL, 10, "cp %s %s", SAMPLES "/pingpong.db",
				db), 0);
	/* 1.2 M records on CPU 0: three ranges. 200 000 a batch fits the
	 * test writer's 8 MB ring. */
	for (int i = 0; i < 6; i++)
		append_marks(db, 200000);
	/* previews at every range used up (PREVIEW_MS 0), each saved */
	int rc = rs_run(&log, 120, "DISPLAY=%s " ENV "RINGSIDE_VIEW_PREVIEW_MS=0"
			" RINGSIDE_VIEW_PREVIEW_PNG=%s/preview %s --test-script "
			"'events;quit' %s", display, dir, rs_bin("ringside-view"),
			db);
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	const char *p = strstr(log, "loading ");
	assert_non_null(p);
	double pc = nth(log, 0, "loading ");
	assert_true(pc > 0 && pc < 100);
	const char *events = strstr(log, "events ");
	assert_true(p < events);
	check_preview(log, events, png, sizeof png, dir);
	free(log);
	rs_tmpdir_cleanup(dir);
}

/* A MARK flag 4 px from the right edge: its text is drawn left of the
 * flag instead of being cut off (--render draws as the window does; run
 * as a program, so fontconfig's state is not this process's). */
static void test_mark_label_at_right_edge(void **state)
{
	char err[256], *dir = rs_tmpdir(), out[512];
	rv_model *m = rv_model_load(SAMPLES "/pingpong.db", err, sizeof err);
	assert_non_null(m);
	assert_true(m->nmarks >= 1 && m->marks[0].text);
	const int w = 1000;
	/* [from, to] onto [130, w): the mark at x = w - 4 */
	double from = (double)m->t_min, mark = (double)m->marks[0].t;
	double npp = (mark - from) / (w - 4 - RV_LEFT_W);
	snprintf(out, sizeof out, "%s/edge.png", dir);
	assert_int_equal(rs_run(NULL, 60, "%s --render %s --from %.0f --to %.0f"
				" --size %dx300 %s", rs_bin("ringside-view"),
				out, from, from + npp * (w - RV_LEFT_W), w,
				SAMPLES "/pingpong.db"), 0);
	rv_model_free(m);
	cairo_surface_t *s = cairo_image_surface_create_from_png(out);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	const unsigned char *d = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s), purple = 0;
	for (int y = 13; y < RV_RULER_H; y++)
		for (int x = w - 200; x < w - 6; x++) {
			uint32_t p = *(const uint32_t *)(d + y * stride + x * 4);
			int r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
			purple += r > 60 && b > 90 && g < r - 30 && g < b - 30;
		}
	assert_true(purple >= 5);
	cairo_surface_destroy(s);
	rs_tmpdir_cleanup(dir);
}

/* The events of [a, b] by type, as the window's selection counts them. */
static void range_counts(const char *path, int64_t trace, int64_t a,
			 int64_t b, uint64_t c[256])
{
	char err[300];
	if (rv_db_type_counts(path, trace, a, b, c, err, sizeof err) != 0)
		fail_msg("%s", err);
}

/* A selection's summary counts its events in the database (the model
 * keeps no per-event list). Counts read as English: a range holding one
 * event says "1 event". The whole trace's counts by type equal
 * type_counts, which the collector kept as it stored the events, and the
 * model's event count; a range split anywhere adds up to the whole. */
static void test_range_summary_counts(void **state)
{
	char err[256];
	const char *path = SAMPLES "/crash.db";
	rv_model *m = rv_model_load(path, err, sizeof err);
	assert_non_null(m);
	uint64_t ne, c[256], whole[256], left[256], right[256];
	int64_t *et = db_event_times(path, &ne);
	assert_int_equal(ne, m->nevents);
	/* an event whose neighbours are at other times */
	uint64_t i = 1;
	while (i + 1 < ne && (et[i] == et[i - 1] || et[i] == et[i + 1]))
		i++;
	assert_true(i + 1 < ne);
	range_counts(path, m->trace_id, et[i], et[i], c);
	char *s = rv_range_summary(c, et[i], et[i]);
	assert_non_null(strstr(s, " selected: 1 event -"));
	g_free(s);

	range_counts(path, m->trace_id, m->t_min, m->t_max, whole);
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, count FROM"
					    " type_counts WHERE trace_id = ?1",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, m->trace_id);
	uint64_t kept[256] = { 0 }, sum = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		kept[sqlite3_column_int(st, 0) & 255] =
			(uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	for (int k = 0; k < 256; k++) {
		assert_int_equal(whole[k], kept[k]);
		sum += whole[k];
	}
	assert_int_equal(sum, m->nevents);
	for (uint64_t at = 1; at < 4; at++) {
		const int64_t t = et[ne * at / 4];
		range_counts(path, m->trace_id, m->t_min, t, left);
		range_counts(path, m->trace_id, t + 1, m->t_max, right);
		for (int k = 0; k < 256; k++)
			assert_int_equal(left[k] + right[k], whole[k]);
	}
	g_free(et);
	rv_model_free(m);
}

/* The window's selection (as a drag makes it, "range:A:B") is counted by
 * a worker and its summary lands in the status line: the whole trace
 * gives every event, with the biggest type first and its exact count. */
static void test_window_selection_counted(void **state)
{
	const char *display = rs_test_display();
	const char *path = SAMPLES "/crash.db";
	char err[256], *log = NULL, want[160];
	rv_model *m = rv_model_load(path, err, sizeof err);
	assert_non_null(m);
	uint64_t c[256];
	assert_int_equal(rv_db_type_counts(path, m->trace_id, m->t_min,
					   m->t_max, c, err, sizeof err), 0);
	int best = 0;
	for (int k = 1; k < 256; k++)
		if (c[k] > c[best])
			best = k;
	snprintf(want, sizeof want, " selected: %llu events - %llu %s",
		 (unsigned long long)m->nevents, (unsigned long long)c[best],
		 rv_event_name(best));
	int rc = rs_run(&log, 60, "DISPLAY=%s " ENV "%s --test-script "
			"'range:%lld:%lld;status;quit' %s", display,
			rs_bin("ringside-view"), (long long)m->t_min,
			(long long)m->t_max, path);
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	if (!strstr(log, want))
		fail_msg("want '%s' in the status: %s", want, log);
	free(log);
	rv_model_free(m);
}

RS_TEST_SUITE(viewer_live,
	      cmocka_unit_test(test_range_summary_counts),
	      cmocka_unit_test(test_window_selection_counted),
	      cmocka_unit_test(test_mark_label_at_right_edge),
	      cmocka_unit_test(test_window_follow_slides),
	      cmocka_unit_test(test_window_follow_waits),
	      cmocka_unit_test(test_window_search_esc_enter),
	      cmocka_unit_test(test_window_search_off_ui_thread),
	      cmocka_unit_test(test_window_search_indexed),
	      cmocka_unit_test(test_window_status_pan_frametime),
	      cmocka_unit_test(test_window_load_progress))
