/*
 * testlib.h - the shared test harness: cmocka, plus registration so every
 * tests/test_*.c file adds its suite to one binary and one group. One group
 * means `make check` ends with a single cmocka summary covering everything.
 *
 *   RS_TEST_SUITE(ring, cmocka_unit_test(test_a), cmocka_unit_test(test_b))
 *
 * Helpers here are for tests only: temp dirs, running the built binaries,
 * reading whole files.
 */
#ifndef RS_TESTLIB_H
#define RS_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

void rs_test_register(const char *suite, const struct CMUnitTest *tests,
		      size_t n);

#define RS_TEST_SUITE(name, ...)                                              \
	static const struct CMUnitTest name##_suite_tests[] = { __VA_ARGS__ };  \
	__attribute__((constructor)) static void name##_suite_register(void)   \
	{                                                                       \
		rs_test_register(#name, name##_suite_tests,                     \
				 sizeof(name##_suite_tests) /                   \
					 sizeof(name##_suite_tests[0]));        \
	}

/* A fresh directory under $TMPDIR, removed by rs_tmpdir_cleanup(). */
char *rs_tmpdir(void);
void rs_tmpdir_cleanup(char *dir);

/* Path of a built program (RS_BIN_DIR, set by `make check`). Static buffer
 * per call slot; copy it if you need two at once. */
const char *rs_bin(const char *name);

/*
 * Run a command line through /bin/sh, capturing stdout+stderr into *out
 * (malloc'd, may be NULL). Kills it after `timeout_s` seconds. Returns the
 * exit status, 128+signal if killed by a signal, or -1 on timeout.
 */
int rs_run(char **out, int timeout_s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * An X display for tests of real windows: $RS_TEST_DISPLAY if set, else an
 * Xvfb this process starts on a free display (once, stopped at exit).
 * Fails the calling test loudly when no server can be started: CI has
 * xvfb, so a missing display is a broken setup, never a skip.
 */
const char *rs_test_display(void);

/*
 * A real trace: the hosted kernel runs `workload` with --count `count`,
 * its ring in `dir`, and `ringside collect` stores it in a database
 * (returned, malloc'd: dir/WORKLOAD.db). The kernel must exit with
 * `hosted_status` (0, or 134 for a workload that panics by design), and
 * the collect must succeed.
 */
char *rs_make_trace(const char *dir, const char *workload, int count,
		    int hosted_status);

/* Like rs_make_trace (exit 0), but the ring is `ring_pages` pages and is
 * read once, at the end: most records are overwritten, and lost. The
 * database is dir/lossy.db (malloc'd). */
char *rs_make_lossy_trace(const char *dir, const char *workload, int count,
			  int ring_pages);

/*
 * Waits until the ring file at `path` has its magic (a writer lays out the
 * header and sets the magic last), polling every millisecond for up to
 * `timeout_s` seconds. 0 once it has, -1 on timeout. For waits on another
 * process's progress: the timeout only bounds a writer that never starts.
 */
int rs_wait_ring_magic(const char *path, int timeout_s);

/* A file of the source tree (e.g. "tests/chrome/check_chrome.mjs"),
 * found in the folders above the test binary (build/tests/ or
 * build/asan/tests/ of the tree). Static buffer; fails the test if none. */
const char *rs_src_path(const char *rel);

/* Whole file into a malloc'd buffer; NULL if unreadable. */
char *rs_read_file(const char *path, size_t *len);

/*
 * Events for a database a test builds by hand (testlib_events.c): encoded
 * by guest-trace's writer, decoded by the one decoder and stored as chunks
 * of trace `trace_id` (ts in ns since boot, by the trace row's clock).
 * Appends after the trace's stored records. Two CPUs; each CPU's events
 * must be added in time order.
 */
struct rs_test_events;
struct rs_test_events *rs_events_begin(sqlite3 *db, int64_t trace_id);
void rs_events_add(struct rs_test_events *w, unsigned cpu, int64_t ts,
		   uint16_t type, uint32_t ctx, uint64_t a, uint64_t b,
		   uint64_t c, const char *str);
void rs_events_end(struct rs_test_events *w);

#endif
