/*
 * test_viewer_window.c - the real GTK window of ringside-view under an X
 * server (Xvfb, started here on a free display unless RS_TEST_DISPLAY
 * names one). The window is driven by its hidden --test-script option:
 * key presses go through the same handler as real keys, and the
 * screenshot is what GTK's renderer drew for the whole window. If no X
 * server can be started the test fails: CI has Xvfb, so a skip would
 * hide a broken window.
 *
 * Under ASan (SANITIZE=1) GTK and fontconfig keep allocations until exit
 * that LeakSanitizer reports; leak detection is switched off for the
 * window process only (ASAN_OPTIONS=detect_leaks=0). UBSan and the rest of
 * ASan stay on.
 */
#include "testlib.h"
#include "ringside_ring.h"

#include <cairo.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SAMPLES "samples/traces"
#define ENV "ASAN_OPTIONS=detect_leaks=0 GSK_RENDERER=cairo NO_AT_BRIDGE=1 "

static double field(const char *log, int nth, const char *key)
{
	const char *p = log;
	for (int i = 0; i <= nth; i++) {
		p = strstr(p, key);
		assert_non_null(p);
		p += strlen(key);
	}
	return strtod(p, NULL);
}

static void test_window_keys_and_screenshot(void **state)
{
	const char *display = rs_test_display();
	char *dir = rs_tmpdir(), *log = NULL;
	char shot[512];
	snprintf(shot, sizeof shot, "%s/window.png", dir);
	int rc = rs_run(&log, 60, "DISPLAY=%s " ENV "%s --test-script "
			"'key:plus;key:plus;key:minus;shot:%s;quit' %s",
			display, rs_bin("ringside-view"), shot,
			SAMPLES "/pingpong.db");
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	/* + zooms in by 1.2 around the middle, - zooms back out */
	double z0 = field(log, 0, "ns_per_px=");
	double z1 = field(log, 1, "ns_per_px=");
	double z2 = field(log, 2, "ns_per_px=");
	assert_true(z1 < z0 && z1 > z0 / 1.2 / 1.2 - 1e-6);
	assert_true(z2 > z1 * 1.19 && z2 < z1 * 1.21);
	assert_non_null(strstr(log, "written"));
	cairo_surface_t *s = cairo_image_surface_create_from_png(shot);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	int w = cairo_image_surface_get_width(s);
	int h = cairo_image_surface_get_height(s);
	assert_true(w >= 600 && h >= 400);
	/* not blank: many colours (lanes, lines, text) */
	unsigned char *d = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s), n = 0;
	uint32_t seen[32];
	for (int y = 0; y < h && n < 32; y += 4)
		for (int x = 0; x < w && n < 32; x += 4) {
			uint32_t v = *(uint32_t *)(d + y * stride + x * 4) & 0xffffff;
			int k;
			for (k = 0; k < n && seen[k] != v; k++)
				;
			if (k == n)
				seen[n++] = v;
		}
	assert_true(n >= 16);
	cairo_surface_destroy(s);
	free(log);
	rs_tmpdir_cleanup(dir);
}

/* --follow: events added to the database while the window is open show
 * up without restarting it. */
static void test_window_follow(void **state)
{
	const char *display = rs_test_display();
	char *dir = rs_tmpdir(), *log = NULL;
	char db[512], view_out[512];
	snprintf(db, sizeof db, "%s/live.db", dir);
	snprintf(view_out, sizeof view_out, "%s/view.out", dir);
	assert_int_equal(rs_run(NULL, 10, "cp %s %s", SAMPLES "/pingpong.db",
				db), 0);
	/* the writer: 100 more events, as a collector batch would, once the
	 * window has counted what it loaded first (its first "events"
	 * line: 1 s here with two busy loops; polled for up to 60 s), so a
	 * slow start cannot make it load them in its first go. */
	pid_t w = fork();
	if (w == 0) {
		for (int i = 0; i < 6000; i++) {
			char *seen = rs_read_file(view_out, NULL);
			int counted = seen && strstr(seen, "events ");
			free(seen);
			if (counted)
				break;
			usleep(10000);
		}
		sqlite3 *h;
		sqlite3_open(db, &h);
		sqlite3_busy_timeout(h, 5000);
		sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
		sqlite3_stmt *q;
		sqlite3_prepare_v2(h, "SELECT max(max_ns) FROM chunks", -1, &q,
				   NULL);
		sqlite3_step(q);
		int64_t last = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		struct rs_test_events *ev = rs_events_begin(h, 1);
		for (int i = 1; i <= 100; i++)
			rs_events_add(ev, 0, last + i * 1000, RS_EV_MARK, 0,
				      (uint64_t)i, 0, 0, "live");
		rs_events_end(ev);
		sqlite3_exec(h, "UPDATE trace_cpu SET accepted = accepted + 100;"
			     " COMMIT", NULL, NULL, NULL);
		sqlite3_close(h);
		_exit(0);
	}
	/* The batch lands right after the first count; the follow poll
	 * (200 ms) and the reload of this small trace (a fraction of a
	 * second here, loaded) have the 3.5 s sleep. */
	int rc = rs_run(&log, 120, "DISPLAY=%s " ENV "%s --follow --test-script "
			"'events;sleep:3500;events;key:plus;quit' %s >'%s' 2>&1;"
			" r=$?; cat '%s'; exit $r", display,
			rs_bin("ringside-view"), db, view_out, view_out);
	waitpid(w, NULL, 0);
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	double e0 = field(log, 0, "events "), e1 = field(log, 1, "events ");
	assert_true(e1 == e0 + 100);
	free(log);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(viewer_window,
	      cmocka_unit_test(test_window_keys_and_screenshot),
	      cmocka_unit_test(test_window_follow))
