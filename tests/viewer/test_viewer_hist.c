/*
 * test_viewer_hist.c - ringside-view's latency histogram: the headless
 * --render-histogram (figures, bars, pixels) and the window's pane under
 * Xvfb, driven by --test-script (select a promise or a thread, click a
 * bar, print what is highlighted). Everything is checked against the
 * database itself (SQL over the promises table) and against
 * rs_report_compute, on a real trace of the hosted fanout workload.
 *
 * As in test_viewer_window.c, the window runs with leak detection off
 * under ASan (GTK keeps allocations until exit) and a missing Xvfb fails.
 */
#include "testlib.h"

#include <cairo.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "histogram.h"
#include "report.h"

#define ENV "ASAN_OPTIONS=detect_leaks=0 GSK_RENDERER=cairo NO_AT_BRIDGE=1 "

static char *dir, *db;
static void cleanup(void)
{
	if (dir)
		rs_tmpdir_cleanup(dir);
	free(db);
}

/* One fanout trace for every test, made on first use. */
static const char *trace(void)
{
	if (db)
		return db;
	dir = rs_tmpdir();
	atexit(cleanup);
	db = rs_make_trace(dir, "fanout", 5, 0);
	return db;
}

/* ---- SQL: what the database says ------------------------------------------ */

/* The report's lifetime samples (REPORT.md): resolved or failed, both
 * times known, in order. `where` narrows them. */
#define SAMPLES_SQL "FROM promises p WHERE trace_id = (SELECT max(id) FROM " \
	"trace) AND state IN ('resolved', 'failed') AND created_ns IS NOT " \
	"NULL AND resolved_ns IS NOT NULL AND resolved_ns >= created_ns "

/* Creating thread of promise p: ctx of its promise_create record. */
#define CREATOR_SQL "(SELECT ctx FROM events e WHERE e.trace_id = p.trace_id" \
	" AND e.type = 16 AND e.a = p.id ORDER BY ts_ns DESC LIMIT 1)"

static int64_t sql_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t sql_int(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	sqlite3 *h;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), 0);
	assert_int_equal(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	sqlite3_free(q);
	return v;
}

/* ---- parsing ringside-view's output --------------------------------------- */

typedef struct {
	uint64_t count, min, p50, p90, p99, p999, max;
	int nbars;
	uint64_t lo[64], hi[64], cnt[64];
} hist_t;

static void parse_hist(const char *log, hist_t *h)
{
	memset(h, 0, sizeof *h);
	const char *p = strstr(log, "hist ");
	assert_non_null(p);
	assert_int_equal(sscanf(strstr(p, " count="), " count=%" SCNu64
				" min=%" SCNu64 " p50=%" SCNu64 " p90=%" SCNu64
				" p99=%" SCNu64 " p999=%" SCNu64 " max=%" SCNu64
				" bars=%d", &h->count, &h->min, &h->p50, &h->p90,
				&h->p99, &h->p999, &h->max, &h->nbars), 8);
	assert_true(h->nbars >= 1 && h->nbars <= 40);
	for (int i = 0; i < h->nbars; i++) {
		char key[32];
		snprintf(key, sizeof key, "\nbar %d ", i);
		const char *b = strstr(p, key);
		assert_non_null(b);
		assert_int_equal(sscanf(b + strlen(key), "%" SCNu64 " %" SCNu64
					" %" SCNu64, &h->lo[i], &h->hi[i],
					&h->cnt[i]), 3);
	}
}

/* rs_report_compute's figures for one group, as the test sees them. */
static void check_against_report(const hist_t *h, enum rs_report_by by,
				 const char *group)
{
	char err[256];
	struct rs_trace_db *t = rs_trace_open(db, err, sizeof err);
	assert_non_null(t);
	struct rs_report r;
	assert_int_equal(rs_report_compute(t, 0, INT64_MIN, INT64_MAX, by, &r,
					   err, sizeof err), 0);
	const struct rs_report_section *sec = &r.sec[RS_REPORT_LIFETIME];
	const struct rs_hdr *g = NULL;
	for (size_t i = 0; i < sec->n; i++)
		if (!strcmp(sec->groups[i].name, group))
			g = sec->groups[i].h;
	assert_non_null(g);
	assert_int_equal(h->count, rs_hdr_count(g));
	assert_int_equal(h->min, rs_hdr_min(g));
	assert_int_equal(h->max, rs_hdr_max(g));
	assert_int_equal(h->p50, rs_hdr_percentile(g, 50));
	assert_int_equal(h->p90, rs_hdr_percentile(g, 90));
	assert_int_equal(h->p99, rs_hdr_percentile(g, 99));
	assert_int_equal(h->p999, rs_hdr_percentile(g, 99.9));
	rs_report_free(&r);
	rs_trace_close(t);
}

/* Bars tile [min, max] without gaps or overlaps, and each holds exactly
 * the group's samples (per SQL, `cond` selecting the group) in its
 * range; so they also sum to the group's count. */
static void check_bars(const hist_t *h, const char *cond)
{
	uint64_t sum = 0;
	assert_true(h->lo[0] <= h->min && h->hi[h->nbars - 1] >= h->max);
	for (int i = 0; i < h->nbars; i++) {
		assert_true(h->lo[i] <= h->hi[i]);
		if (i)
			assert_int_equal(h->lo[i], h->hi[i - 1] + 1);
		int64_t n = sql_int("SELECT count(*) " SAMPLES_SQL " AND %s AND "
				    "resolved_ns - created_ns BETWEEN %" PRIu64
				    " AND %" PRIu64, cond, h->lo[i], h->hi[i]);
		assert_int_equal(h->cnt[i], n);
		sum += h->cnt[i];
	}
	assert_int_equal(sum, sql_int("SELECT count(*) " SAMPLES_SQL " AND %s",
				      cond));
	assert_int_equal(sum, h->count);
}

static void render(const char *spec, hist_t *h, const char *png)
{
	char *log = NULL;
	int rc = rs_run(&log, 60, "'%s' --render-histogram '%s' '%s' "
			"--size 800x420 '%s'", rs_bin("ringside-view"), png,
			spec, trace());
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	parse_hist(log, h);
	free(log);
}

/* The bar colour at (x +- 2, y): a 1 px percentile marker may cross. */
static bool bar_pixel(cairo_surface_t *s, int x, int y)
{
	unsigned char *d = cairo_image_surface_get_data(s);
	for (int dx = -2; dx <= 2; dx++) {
		uint32_t v = *(uint32_t *)(d + y * cairo_image_surface_get_stride(s)
					   + (x + dx) * 4);
		if (((v >> 16) & 255) == RV_HIST_BAR_R &&
		    ((v >> 8) & 255) == RV_HIST_BAR_G &&
		    (v & 255) == RV_HIST_BAR_B)
			return true;
	}
	return false;
}

/* --render-histogram type:task: figures = the report's, bars = SQL, and
 * the PNG has a column of the bar colour exactly over non-empty bars,
 * the tallest reaching the top of the plot. */
static void test_hist_render_type(void **state)
{
	char png[512];
	hist_t h;
	trace();
	snprintf(png, sizeof png, "%s/task.png", dir);
	render("type:task", &h, png);
	assert_true(h.count >= 10);
	check_bars(&h, "type = 'task'");
	check_against_report(&h, RS_REPORT_BY_TYPE, "task");

	cairo_surface_t *s = cairo_image_surface_create_from_png(png);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	assert_int_equal(cairo_image_surface_get_width(s), 800);
	cairo_surface_flush(s);
	double bw = (800.0 - RV_HIST_PLOT_LEFT - RV_HIST_PLOT_RIGHT) / h.nbars;
	int y1 = 420 - RV_HIST_PLOT_BOTTOM - 1, nonempty = 0;
	uint64_t top = 0;
	for (int i = 0; i < h.nbars; i++)
		top = h.cnt[i] > top ? h.cnt[i] : top;
	for (int i = 0; i < h.nbars; i++) {
		int x = (int)(RV_HIST_PLOT_LEFT + (i + 0.5) * bw);
		assert_int_equal(bar_pixel(s, x, y1), h.cnt[i] > 0);
		if (h.cnt[i] == top)
			assert_true(bar_pixel(s, x, RV_HIST_PLOT_TOP + 1));
		else
			assert_false(bar_pixel(s, x, RV_HIST_PLOT_TOP + 1));
		nonempty += h.cnt[i] > 0;
	}
	assert_true(nonempty >= 2);
	cairo_surface_destroy(s);
}

/* A label group (one promise here) and a creating-thread group. */
static void test_hist_render_label_and_thread(void **state)
{
	char png[512];
	hist_t h;
	trace();
	snprintf(png, sizeof png, "%s/label.png", dir);
	/* labels by pattern, as the report groups them */
	render("label:req # part #", &h, png);
	check_bars(&h, "label GLOB 'req [0-9]* part [0-9]*'");
	check_against_report(&h, RS_REPORT_BY_LABEL, "req # part #");
	render("thread:1", &h, png);
	check_bars(&h, CREATOR_SQL " = 1");
	check_against_report(&h, RS_REPORT_BY_THREAD, "1");
	/* a group that does not exist is one line and exit 1 */
	char *log = NULL;
	assert_int_equal(rs_run(&log, 30, "'%s' --render-histogram '%s' "
				"type:nosuch '%s'", rs_bin("ringside-view"), png,
				db), 1);
	assert_non_null(strstr(log, "no samples"));
	free(log);
}

/* The promise ids a "bar:" step highlighted, as a sorted SQL-style list. */
static char *ids_after(const char *log, int nth)
{
	const char *p = log;
	for (int i = 0; i <= nth; i++) {
		p = strstr(p, "highlighted_ids");
		assert_non_null(p);
		p += strlen("highlighted_ids");
	}
	const char *e = strchr(p, '\n');
	return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

/* SQL's list of the promises of a group in [lo, hi], " 3 4 7" style. */
static char *sql_ids(const char *cond, uint64_t lo, uint64_t hi)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char *q = sqlite3_mprintf("SELECT id " SAMPLES_SQL " AND %s AND "
				  "resolved_ns - created_ns BETWEEN %" PRIu64
				  " AND %" PRIu64 " ORDER BY id", cond, lo, hi);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), 0);
	assert_int_equal(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
	char *out = calloc(1, 1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *n;
		if (asprintf(&n, "%s %lld", out,
			     (long long)sqlite3_column_int64(st, 0)) < 0)
			abort();
		free(out);
		out = n;
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	sqlite3_free(q);
	return out;
}

/* Run the window with `script`, return its stdout. */
static char *window(const char *script)
{
	const char *display = rs_test_display();
	char *log = NULL;
	int rc = rs_run(&log, 90, "DISPLAY=%s " ENV "'%s' --test-script '%s' "
			"'%s' 2>/dev/null", display, rs_bin("ringside-view"),
			script, trace());
	if (rc)
		fprintf(stderr, "%s\n", log ? log : "");
	assert_int_equal(rc, 0);
	return log;
}

static int first_bar(const hist_t *h, bool last)
{
	for (int k = 0; k < h->nbars; k++) {
		int i = last ? h->nbars - 1 - k : k;
		if (h->cnt[i])
			return i;
	}
	fail();
	return -1;
}

/* Select a task promise, group by type, click its first and last
 * non-empty bars: exactly SQL's task promises in each bar's range are
 * highlighted, and the status bar says how many. The pane's figures are
 * the report's. */
static void test_hist_window_click_bar(void **state)
{
	trace();
	int64_t id = sql_int("SELECT min(id) FROM promises WHERE type = 'task'");
	char *script, *log;
	/* bars first, to know which to click: the headless render is the
	 * same computation, checked equal to the pane's below */
	hist_t hr, hw;
	char png[512];
	snprintf(png, sizeof png, "%s/w.png", dir);
	render("type:task", &hr, png);
	int a = first_bar(&hr, false), b = first_bar(&hr, true);
	assert_true(a < b);
	if (asprintf(&script, "select:%" PRId64 ";by:type;hist;bar:%d;bar:%d;"
		     "quit", id, a, b) < 0)
		abort();
	log = window(script);
	parse_hist(log, &hw);
	assert_memory_equal(&hw, &hr, sizeof hw);
	check_against_report(&hw, RS_REPORT_BY_TYPE, "task");
	for (int k = 0; k < 2; k++) {
		int bar = k ? b : a;
		char *got = ids_after(log, k);
		char *want = sql_ids("type = 'task'", hw.lo[bar], hw.hi[bar]);
		assert_string_equal(got, want);
		assert_true(strlen(want) > 0);
		char status[64];
		snprintf(status, sizeof status, "status %" PRIu64 " promise",
			 hw.cnt[bar]);
		assert_non_null(strstr(log, status));
		free(got);
		free(want);
	}
	free(log);
	free(script);
}

/* Clicking the thread lane of `main` groups by creating thread: the
 * highlighted promises of a bar are SQL's promises created by tid 1 in
 * that bar's range. */
static void test_hist_window_thread(void **state)
{
	trace();
	hist_t hr, hw;
	char png[512];
	snprintf(png, sizeof png, "%s/t.png", dir);
	render("thread:1", &hr, png);
	int b = first_bar(&hr, true);
	char *script;
	if (asprintf(&script, "thread:1;hist;bar:%d;quit", b) < 0)
		abort();
	char *log = window(script);
	parse_hist(log, &hw);
	assert_non_null(strstr(log, "hist promise_lifetime:1 by=thread"));
	assert_memory_equal(&hw, &hr, sizeof hw);
	char *got = ids_after(log, 0);
	char *want = sql_ids(CREATOR_SQL " = 1", hw.lo[b], hw.hi[b]);
	assert_string_equal(got, want);
	free(got);
	free(want);
	free(log);
	free(script);
}

RS_TEST_SUITE(viewer_hist,
	      cmocka_unit_test(test_hist_render_type),
	      cmocka_unit_test(test_hist_render_label_and_thread),
	      cmocka_unit_test(test_hist_window_click_bar),
	      cmocka_unit_test(test_hist_window_thread))
