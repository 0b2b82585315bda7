/*
 * test_export.c - the exporters against real traces: babeltrace2 must read
 * every event of the CTF export (a normal trace and a crashed guest's),
 * and the Chrome JSON must parse, with matching begin/end pairs, flows in
 * pairs, and the panic present. JSON is checked with SQLite's own JSON
 * functions, so the check shares no code with the writer.
 */
#include "testlib.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

static int64_t count_lines(const char *text)
{
	int64_t n = 0;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void check_ctf(const char *dir, const char *db_path,
		      const char *want_state)
{
	char err[256], *out = NULL, *ctf;
	uint64_t written = 0;
	struct rs_trace_meta m;

	if (asprintf(&ctf, "%s/ctf", dir) < 0)
		abort();
	struct rs_trace_db *db = rs_trace_open(db_path, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(rs_trace_meta(db, 0, &m), 0);
	assert_string_equal(m.guest_state, want_state);
	assert_int_equal(rs_export_ctf(db, 0, ctf, &written, err, sizeof(err)), 0);
	assert_int_equal((int64_t)written, m.events);
	rs_trace_close(db);

	/* babeltrace2 prints one line per event on stdout. */
	int rc = rs_run(&out, 120, "babeltrace2 '%s' 2>/dev/null", ctf);
	assert_int_equal(rc, 0);
	assert_true(m.events > 0);
	/* one line per event, and the panic's own */
	assert_int_equal(count_lines(out), m.events + (m.has_panic ? 1 : 0));
	/* Field names come from the vocabulary, not a0/a1. */
	assert_non_null(strstr(out, "thread_create"));
	assert_non_null(strstr(out, "name = \""));
	free(out);
	rs_run(NULL, 10, "rm -rf '%s'", ctf);
	free(ctf);
}

static void test_ctf_normal_trace(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "fanout", 5, 0);
	check_ctf(dir, db, "exited");
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_ctf_crashed_trace(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_make_trace(dir, "crash", 20, 134);
	check_ctf(dir, db, "crashed");
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_ctf_counts_losses(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL, err[256], *ctf;
	char *db_path = NULL;
	uint64_t written;

	/* A small ring collected once at the end: most records were
	 * overwritten, and CTF must say how many. */
	if (asprintf(&db_path, "%s/lossy.db", dir) < 0 ||
	    asprintf(&ctf, "%s/ctf", dir) < 0)
		abort();
	assert_int_equal(rs_run(&out, 60, "'%s' --workload pingpong --count 20000"
				" --ring-pages 4 --ring '%s/r' --quiet &&"
				" '%s' collect 'file:%s/r' -o '%s'",
				rs_bin("ringside-hosted"), dir, rs_bin("ringside"),
				dir, db_path), 0);
	free(out);
	struct rs_trace_db *db = rs_trace_open(db_path, err, sizeof(err));
	struct rs_trace_meta m;
	assert_non_null(db);
	assert_int_equal(rs_trace_meta(db, 0, &m), 0);
	assert_true(m.lost > 0);
	assert_int_equal(rs_export_ctf(db, 0, ctf, &written, err, sizeof(err)), 0);
	rs_trace_close(db);
	assert_int_equal(rs_run(&out, 60, "babeltrace2 '%s' 2>&1 >/dev/null", ctf), 0);
	/* babeltrace2 reports the discarded events on stderr. */
	char want[64];
	snprintf(want, sizeof(want), "%lld", (long long)m.lost);
	assert_non_null(strstr(out, "discarded"));
	assert_non_null(strstr(out, want));
	free(out);
	free(ctf);
	free(db_path);
	rs_tmpdir_cleanup(dir);
}

static int64_t json_query(sqlite3 *sql, const char *json, const char *q)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	assert_int_equal(sqlite3_prepare_v2(sql, q, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

#define EVENTS_OF(ph) "SELECT count(*) FROM json_each(json_extract(?1," \
	" '$.traceEvents')) WHERE json_extract(value, '$.ph') = '" ph "'"

static void test_chrome_json(void **state)
{
	char *dir = rs_tmpdir(), err[256], *path;
	char *db_path = rs_make_trace(dir, "crash", 10, 134);
	struct rs_trace_meta m;
	sqlite3 *sql;

	if (asprintf(&path, "%s/trace.json", dir) < 0)
		abort();
	struct rs_trace_db *db = rs_trace_open(db_path, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(rs_trace_meta(db, 0, &m), 0);
	assert_int_equal(rs_export_chrome(db, 0, path, err, sizeof(err)), 0);

	char *json = rs_read_file(path, NULL);
	assert_non_null(json);
	assert_int_equal(sqlite3_open(":memory:", &sql), SQLITE_OK);
	assert_int_equal(json_query(sql, json, "SELECT json_valid(?1)"), 1);

	/* Every promise is one slice (on a lane of pid 3). */
	int64_t promises = 0;
	sqlite3_stmt *s;
	sqlite3_prepare_v2(rs_trace_sqlite(db), "SELECT count(*) FROM promises"
			   " WHERE created_ns IS NOT NULL", -1, &s, NULL);
	if (sqlite3_step(s) == SQLITE_ROW)
		promises = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	assert_true(promises > 0);
	assert_int_equal(json_query(sql, json, EVENTS_OF("X") " AND"
				    " json_extract(value, '$.pid') = 3"), promises);
	/* Flows come in start/finish pairs. */
	assert_true(json_query(sql, json, EVENTS_OF("s")) > 0);
	assert_int_equal(json_query(sql, json, EVENTS_OF("s")),
			 json_query(sql, json, EVENTS_OF("f")));
	/* No X without a dur; no B/E at all (they must nest; ours don't). */
	assert_int_equal(json_query(sql, json, "SELECT count(*) FROM json_each("
				    "json_extract(?1, '$.traceEvents')) WHERE"
				    " json_extract(value, '$.ph') = 'X' AND"
				    " json_type(value, '$.dur') IS NULL"), 0);
	assert_true(json_query(sql, json, EVENTS_OF("X")) > 0);
	assert_int_equal(json_query(sql, json, EVENTS_OF("B")), 0);
	/* Counters, thread names, and the panic as a global instant. */
	assert_true(json_query(sql, json, EVENTS_OF("C")) > 0);
	assert_true(json_query(sql, json, EVENTS_OF("M")) >= 4);
	assert_int_equal(json_query(sql, json, "SELECT count(*) FROM json_each("
				    "json_extract(?1, '$.traceEvents')) WHERE"
				    " json_extract(value, '$.name') LIKE 'panic: %'"),
			 1);
	sqlite3_close(sql);
	rs_trace_close(db);
	free(json);
	free(path);
	free(db_path);
	rs_tmpdir_cleanup(dir);
}

static int64_t db_int(const char *path, const char *q)
{
	sqlite3 *d;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(path, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	if (sqlite3_prepare_v2(d, q, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(d));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(d);
	return v;
}

static void test_export_refuses_foreign_db(void **state)
{
	char *dir = rs_tmpdir(), err[256], *path;
	sqlite3 *sql;

	if (asprintf(&path, "%s/foreign.db", dir) < 0)
		abort();
	assert_int_equal(sqlite3_open(path, &sql), SQLITE_OK);
	sqlite3_exec(sql, "CREATE TABLE events (x)", NULL, NULL, NULL);
	sqlite3_close(sql);
	assert_null(rs_trace_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "not a ringside trace"));
	free(path);
	rs_tmpdir_cleanup(dir);
}

/* The command line: each format, and the errors a user can make. */
static void test_export_cli(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *db = rs_make_trace(dir, "pingpong", 20, 0);

	assert_int_equal(rs_run(&out, 60, "'%s' export '%s' --ctf '%s/ctf'"
				" 2>/dev/null && babeltrace2 '%s/ctf' 2>/dev/null"
				" | wc -l", rs_bin("ringside"), db, dir, dir), 0);
	assert_int_equal(atoll(out), db_int(db, "SELECT count(*) FROM events"));
	free(out);
	assert_int_equal(rs_run(&out, 60, "'%s' export '%s' --chrome '%s/t.json'",
				rs_bin("ringside"), db, dir), 0);
	free(out);
	/* Neither or both formats: usage. */
	assert_int_equal(rs_run(&out, 10, "'%s' export '%s'", rs_bin("ringside"), db), 2);
	free(out);
	assert_int_equal(rs_run(&out, 10, "'%s' export '%s' --ctf a --chrome b",
				rs_bin("ringside"), db), 2);
	free(out);
	/* Not a trace: one line, exit 1. */
	assert_int_equal(rs_run(&out, 10, "echo hello > '%s/x.db'; '%s' export"
				" '%s/x.db' --chrome '%s/y.json'", dir,
				rs_bin("ringside"), dir, dir), 1);
	assert_non_null(strstr(out, "not a SQLite file"));
	free(out);
	/* A stored chunk that lies about its records: both exports say so,
	 * in one line, and exit 1. */
	assert_int_equal(rs_run(&out, 10, "sqlite3 '%s' 'UPDATE chunks SET"
				" count = count + 1'", db), 0);
	free(out);
	assert_int_equal(rs_run(&out, 60, "'%s' export '%s' --chrome '%s/c.json'",
				rs_bin("ringside"), db, dir), 1);
	assert_non_null(strstr(out, "corrupt chunk"));
	free(out);
	assert_int_equal(rs_run(&out, 60, "'%s' export '%s' --ctf '%s/c.ctf'",
				rs_bin("ringside"), db, dir), 1);
	assert_non_null(strstr(out, "corrupt chunk"));
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(export,
	cmocka_unit_test(test_ctf_normal_trace),
	cmocka_unit_test(test_ctf_crashed_trace),
	cmocka_unit_test(test_ctf_counts_losses),
	cmocka_unit_test(test_chrome_json),
	cmocka_unit_test(test_export_refuses_foreign_db),
	cmocka_unit_test(test_export_cli))
