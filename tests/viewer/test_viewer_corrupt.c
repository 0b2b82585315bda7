/*
 * test_viewer_corrupt.c - ringside-view on a trace database that lies
 * (issue 12, "the viewer's loader"): one corrupt chunk in a CPU of more
 * than a million records, and a chunk whose record numbers run past
 * INT64_MAX. Both get one line on stderr and exit 1, from --render and
 * from the window, and quickly.
 *
 * The loader splits a CPU's records into ranges of 500 k and decodes at
 * most two ranges ahead of its merge; a corrupt first range once stopped
 * the merge while the workers waited for it to move on, forever. Only a
 * CPU with more than two ranges shows it, hence the million records. The
 * rs_run timeout is what catches that hang: the wait is bounded there,
 * never here.
 */
#include "testlib.h"
#include "ringside_ring.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLES "samples/traces"
#define ENV "ASAN_OPTIONS=detect_leaks=0 GSK_RENDERER=cairo NO_AT_BRIDGE=1 "
#define BIG_TRACE 2
/* Records on CPU 0: over 1 M, so the loader makes more ranges than it
 * decodes ahead (LOOKAHEAD in viewer/model.c). Added in rounds, as the
 * test writer's ring holds about 500 k of these 16-byte records. */
#define BIG_RECORDS 1200000
#define PER_ROUND   400000

static void exec(sqlite3 *db, const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, e);
		fail();
	}
}

/* A copy of a sample trace with a second, newer trace (the one the viewer
 * shows) holding BIG_RECORDS idle records on CPU 0 and a few on CPU 1. */
static char *big_trace(const char *dir)
{
	char *path = NULL;
	assert_true(asprintf(&path, "%s/big.db", dir) > 0);
	assert_int_equal(rs_run(NULL, 30, "cp %s/pingpong.db %s", SAMPLES,
				path), 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, "BEGIN");
	exec(db, "INSERT INTO trace (id, source, nonce, region_gpa, region_size,"
	     " ncpus, mode, tsc_hz, boot_tsc, guest_state, collected_at)"
	     " VALUES (2, 'generated', 4242, 0, 0, 2, 'overwrite', 1000000000,"
	     " 0, 'exited', 0)");
	int64_t t = 1000;
	for (int done = 0; done < BIG_RECORDS; done += PER_ROUND) {
		struct rs_test_events *w = rs_events_begin(db, BIG_TRACE);
		for (int i = 0; i < PER_ROUND; i++, t += 10)
			rs_events_add(w, 0, t, (uint16_t)(i & 1 ? RS_EV_IDLE_EXIT
							 : RS_EV_IDLE_ENTER),
				      0, 0, 0, 0, NULL);
		rs_events_add(w, 1, t, RS_EV_MARK, 0, 1, 0, 0, "cpu1");
		rs_events_end(w);
	}
	exec(db, "COMMIT");
	sqlite3_close(db);
	return path;
}

static void corrupt(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, sql);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

/* Lines of `log` that contain `s`. */
static int lines_with(const char *log, const char *s)
{
	int n = 0;
	for (const char *p = log; (p = strstr(p, s)) != NULL; n++) {
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : p + strlen(p);   /* on to the next line */
	}
	return n;
}

/* --render (and, with a display, the window) says `why` in one line and
 * exits 1. The fixed loader gives up within a second or two here; 120 s
 * is a margin of well over 20x for a machine 2.5x slower and loaded, and
 * the broken one never returned at all. GTK may add its own warnings
 * (no session bus under Xvfb), so the window's output is held to one
 * line of ours. */
static void expect_one_line(const char *path, const char *why, bool window)
{
	char *log = NULL;
	int rc = window ?
		rs_run(&log, 120, "DISPLAY=%s " ENV "%s %s", rs_test_display(),
		       rs_bin("ringside-view"), path) :
		rs_run(&log, 120, "%s --render /dev/null.png %s",
		       rs_bin("ringside-view"), path);
	assert_non_null(log);
	const int ours = lines_with(log, "ringside-view: ");
	if (rc != 1 || ours != 1 || !strstr(log, why) ||
	    (!window && lines_with(log, "\n") != 1))
		fprintf(stderr, "%s: exit %d (-1: timed out): %s\n",
			window ? "window" : "--render", rc, log);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(log, why));
	assert_int_equal(ours, 1);
	if (!window)   /* exactly one line, and nothing else */
		assert_int_equal(lines_with(log, "\n"), 1);
	free(log);
}

/* A chunk whose bytes were cut short, at the start of a CPU with three
 * ranges: once a hang, now one line. */
static void test_corrupt_chunk_in_big_trace(void **state)
{
	char *dir = rs_tmpdir(), *path = big_trace(dir);
	/* All records are there before one chunk is cut short. */
	sqlite3 *db;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT sum(count) FROM chunks"
					    " WHERE trace_id = 2 AND cpu = 0",
					    -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), BIG_RECORDS);
	sqlite3_finalize(q);
	sqlite3_close(db);
	corrupt(path, "UPDATE chunks SET records = substr(records, 1, "
		"length(records) / 2) WHERE trace_id = 2 AND cpu = 0 AND "
		"first_seq = 0");
	expect_one_line(path, "corrupt chunk (cpu 0, records from 0)", false);
	expect_one_line(path, "corrupt chunk (cpu 0, records from 0)", true);
	free(path);
	rs_tmpdir_cleanup(dir);
}

/* Record numbers near INT64_MAX: the loader's range arithmetic once
 * overflowed on them (max + 1, and span * k when a CPU also has records
 * from 0; UBSan stops a SANITIZE=1 build there, a plain one loaded them
 * silently), and below zero. Each is refused as the lie it is. The
 * sample's CPU 0 has one chunk, records 0 to 432. */
static void test_chunk_seq_near_int64_max(void **state)
{
	static const char *const lies[] = {
		"UPDATE chunks SET first_seq = 9223372036854775807 WHERE "
		"cpu = 0 AND first_seq = 0",
		"INSERT INTO chunks (trace_id, cpu, first_seq, count, min_ns, "
		"max_ns, raw_size, records) SELECT trace_id, cpu, "
		"9223372036854775797, count, min_ns, max_ns, raw_size, records "
		"FROM chunks WHERE cpu = 0 AND first_seq = 0",
		"UPDATE chunks SET first_seq = -5 WHERE cpu = 0 AND "
		"first_seq = 0",
	};
	char *dir = rs_tmpdir(), *path = NULL;
	assert_true(asprintf(&path, "%s/seq.db", dir) > 0);
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		assert_int_equal(rs_run(NULL, 30, "cp %s/pingpong.db %s",
					SAMPLES, path), 0);
		corrupt(path, lies[i]);
		expect_one_line(path, "record numbers out of range", false);
	}
	free(path);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(viewer_corrupt,
	      cmocka_unit_test(test_corrupt_chunk_in_big_trace),
	      cmocka_unit_test(test_chunk_seq_near_int64_max))
