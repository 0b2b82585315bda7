/*
 * test_export_fxt.c - `ringside export --fxt` read back by an independent
 * minimal reader (tests/fxt/read_fxt.py: Python, sharing nothing with the
 * writer), which checks every record's size, every string reference and
 * the inline threads, and counts what it read; the counts must be exactly
 * what SQL over the database says.
 */
#include "testlib.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *reader(void)
{
	return rs_src_path("tests/fxt/read_fxt.py");
}

/* The number on the reader's line that starts with `key ` (0 if none). */
static int64_t got(const char *out, const char *key)
{
	const size_t n = strlen(key);
	for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return atoll(p + n + 1);
	return 0;
}

static int64_t sql_int(sqlite3 *d, const char *q)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(d, q, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(d));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Exports `db` as FXT and returns what the reader printed. */
static char *export_and_read(const char *dir, const char *db)
{
	char *out = NULL;
	assert_int_equal(rs_run(&out, 60, "'%s' export --fxt -o '%s/t.fxt' '%s'",
				rs_bin("ringside"), dir, db), 0);
	free(out);
	int rc = rs_run(&out, 60, "python3 '%s' '%s/t.fxt'", reader(), dir);
	if (rc != 0)
		fail_msg("read_fxt.py: exit %d: %s", rc, out);
	return out;
}

#define EXPECT(key, q) do {                                                  \
		int64_t want_ = sql_int(d, q), got_ = got(out, key);         \
		if (want_ != got_)                                           \
			fail_msg("%s: %lld, want %lld (%s)", key,            \
				 (long long)got_, (long long)want_, q);      \
	} while (0)

/* A lossy demo: threads, CPUs, promises, flows, counters, marks, losses. */
static void test_fxt_counts_match_database(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_make_lossy_trace(dir, "demo", 40, 8);
	char *out = export_and_read(dir, db);
	sqlite3 *d;
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(got(out, "ticks_per_second"), 1000000000);
	assert_int_equal(got(out, "async_unmatched"), 0);
	assert_int_equal(got(out, "flow_unmatched"), 0);
	/* processes, and threads: kernel threads, 3 per CPU, "promises" */
	assert_int_equal(got(out, "kobj 1"), 4);
	EXPECT("kobj 2", "SELECT count(*) + 1 + 3 * (SELECT ncpus FROM trace)"
	       " FROM threads");
	/* each promise event a 1 ns slice on its thread */
	EXPECT("event complete promise create", "SELECT count(*) FROM events"
	       " WHERE type = 16");
	EXPECT("event complete promise read", "SELECT count(*) FROM events"
	       " WHERE type = 17");
	EXPECT("event complete promise resolve", "SELECT count(*) FROM events"
	       " WHERE type = 19");
	EXPECT("event complete promise fail", "SELECT count(*) FROM events"
	       " WHERE type = 20");
	EXPECT("event complete promise try_read", "SELECT count(*) FROM events"
	       " WHERE type = 18");
	EXPECT("event complete promise signal", "SELECT count(*) FROM events"
	       " WHERE type = 23");
	EXPECT("event complete promise cancel", "SELECT count(*) FROM events"
	       " WHERE type = 24");
	assert_true(sql_int(d, "SELECT count(*) FROM events WHERE type = 18")
		    > 0);
	EXPECT("args complete promise promise", "SELECT sum(a) FROM events"
	       " WHERE type IN (16, 17, 18, 19, 20, 21, 23, 24)");
	/* every word of the record, under its name */
	EXPECT("args complete promise parent", "SELECT sum(b) FROM events"
	       " WHERE type = 16");
	EXPECT("args complete promise type", "SELECT sum(c) FROM events"
	       " WHERE type = 16");
	EXPECT("args complete promise reader", "SELECT sum(b) FROM events"
	       " WHERE type IN (17, 18)");
	EXPECT("args complete promise signaller", "SELECT sum(b) FROM events"
	       " WHERE type = 23");
	EXPECT("args complete promise resolver", "SELECT sum(b) FROM events"
	       " WHERE type IN (19, 20)");
	EXPECT("args complete promise follows", "SELECT sum(b) FROM events"
	       " WHERE type = 21");
	/* each promise an async begin and end */
	EXPECT("events async_begin promise", "SELECT count(*) FROM promises"
	       " WHERE created_ns IS NOT NULL");
	EXPECT("events async_end promise", "SELECT count(*) FROM promises"
	       " WHERE created_ns IS NOT NULL");
	EXPECT("strarg async_end promise state failed", "SELECT count(*) FROM"
	       " promises WHERE created_ns IS NOT NULL AND state = 'failed'");
	/* flows: creates (to the first settle after), resolves (to reads) */
	EXPECT("event flow_begin promise creates", "SELECT count(*) FROM events"
	       " c WHERE type = 16 AND EXISTS (SELECT 1 FROM events s WHERE"
	       " s.a = c.a AND s.type IN (19, 20) AND s.ts_ns > c.ts_ns)");
	EXPECT("event flow_begin promise resolves", "SELECT count(*) FROM events"
	       " s JOIN events r ON r.a = s.a AND r.type = 17 AND r.ts_ns >"
	       " s.ts_ns WHERE s.type IN (19, 20)");
	/* counters, marks */
	EXPECT("events counter counter", "SELECT count(*) FROM events WHERE"
	       " type IN (8, 34, 64)");
	EXPECT("args counter counter value", "SELECT sum(a) FROM events WHERE"
	       " type IN (8, 34, 64)");
	EXPECT("events instant mark", "SELECT count(*) FROM events WHERE"
	       " type = 65");
	/* losses: a duration each, with its count */
	assert_true(sql_int(d, "SELECT count(*) FROM lost") > 0);
	EXPECT("events complete lost", "SELECT count(*) FROM lost");
	EXPECT("args complete lost count", "SELECT sum(count) FROM lost");
	/* the run slices are there (the Chrome tests check their times) */
	assert_true(got(out, "event complete sched running") > 0);
	sqlite3_close(d);
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A crashed guest: the panic, with its reason. */
static void test_fxt_panic(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "crash", 20, 134);
	char *out = export_and_read(dir, db), key[256];

	assert_int_equal(got(out, "event instant panic panic"), 1);
	sqlite3 *d;
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(d, "SELECT replace(panic_reason,"
					    " ' ', '_') FROM trace", -1, &s,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(key, sizeof(key), "strarg instant panic reason %s",
		 (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(d);
	assert_true(strlen(key) > strlen("strarg instant panic reason "));
	assert_int_equal(got(out, key), 1);
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* The command line's rules for -o, --fxt and a window. */
static void test_fxt_cli_usage(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *db = rs_make_trace(dir, "pingpong", 5, 0);
	static const char *const bad[] = {
		"--fxt",                               /* no -o */
		"-o x.fxt",                            /* no --fxt */
		"--fxt -o x.fxt --chrome x.json",      /* two formats */
		"--ctf x --from 1ms",                  /* CTF takes no window */
		"--fxt -o x.fxt --from 2ms --to 1ms",  /* backwards */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = rs_run(&out, 10, "cd '%s' && '%s' export %s '%s'", dir,
				rs_bin("ringside"), bad[i], db);
		if (rc != 2)
			fail_msg("export %s: exit %d, want 2: %s", bad[i], rc, out);
		free(out);
	}
	assert_int_equal(rs_run(&out, 30, "'%s' export --fxt -o '%s/w.fxt' --from"
				" 1ms --to 2ms '%s'", rs_bin("ringside"), dir, db), 0);
	assert_non_null(strstr(out, "as Fuchsia trace format to"));
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A window (--from/--to): nothing outside it, and each promise event,
 * counter sample and mark in it, as SQL counts them there. */
static void test_fxt_window(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL, q[300];
	char *db = rs_make_lossy_trace(dir, "demo", 40, 8);
	sqlite3 *d;
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	const int64_t t0 = sql_int(d, "SELECT min(ts_ns) FROM events");
	const int64_t t1 = sql_int(d, "SELECT max(ts_ns) FROM events");
	const int64_t from = t0 + (t1 - t0) / 3, to = t0 + 2 * (t1 - t0) / 3;
	assert_int_equal(rs_run(&out, 60, "'%s' export --fxt -o '%s/w.fxt' --from"
				" %lldns --to %lldns '%s'", rs_bin("ringside"), dir,
				(long long)from, (long long)to, db), 0);
	free(out);
	int rc = rs_run(&out, 60, "python3 '%s' '%s/w.fxt'", reader(), dir);
	if (rc != 0)
		fail_msg("read_fxt.py: exit %d: %s", rc, out);
	assert_true(got(out, "ts_first") >= from);
	assert_true(got(out, "ts_last") <= to);
	assert_true(got(out, "ts_last") > got(out, "ts_first"));
#define IN_WINDOW(key, types) do {                                            \
		snprintf(q, sizeof(q), "SELECT count(*) FROM events WHERE"    \
			 " type IN (%s) AND ts_ns BETWEEN %lld AND %lld",     \
			 types, (long long)from, (long long)to);              \
		EXPECT(key, q);                                               \
	} while (0)
	IN_WINDOW("event complete promise create", "16");
	IN_WINDOW("event complete promise resolve", "19");
	IN_WINDOW("event complete promise read", "17");
	IN_WINDOW("events counter counter", "8, 34, 64");
	IN_WINDOW("events instant mark", "65");
#undef IN_WINDOW
	assert_true(got(out, "event complete promise create") > 0);
	assert_true(got(out, "event complete promise create") <
		    sql_int(d, "SELECT count(*) FROM events WHERE type = 16"));
	sqlite3_close(d);
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(export_fxt,
	cmocka_unit_test(test_fxt_cli_usage),
	cmocka_unit_test(test_fxt_counts_match_database),
	cmocka_unit_test(test_fxt_panic),
	cmocka_unit_test(test_fxt_window))
