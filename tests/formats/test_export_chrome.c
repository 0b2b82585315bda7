/*
 * test_export_chrome.c - the Chrome JSON export as its readers read it.
 *
 * DevTools' own trace engine (npm @paulirish/trace_engine, installed by
 * `make deps` into tests/chrome/node_modules) must parse the demo's export
 * without an error and bind every flow written, and no two slices of a
 * thread may overlap under a reader's floating-point arithmetic
 * (tests/chrome/check_chrome.mjs). The flows' counts are computed here
 * from the database with SQL, the times' encoding from the events' ns,
 * and the JSON is read with SQLite's JSON functions: nothing is shared
 * with the writer.
 */
#include "testlib.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* tests/chrome/check_chrome.mjs, found above the test binary
 * (build/tests/ or build/asan/tests/ in the source tree). */
static const char *check_script(void)
{
	return rs_src_path("tests/chrome/check_chrome.mjs");
}

/* Runs the readers' check; returns its exit status, its counts in
 * w (flows written), b (bound), o (overlaps). */
static int run_check(const char *json, long *w, long *b, long *o)
{
	char *out = NULL, dir[PATH_MAX + 64];
	const char *script = check_script();

	snprintf(dir, sizeof(dir), "%s", script);
	*strrchr(dir, '/') = 0;
	if (rs_run(&out, 30, "command -v node") != 0)
		fail_msg("node is not installed: `make deps` installs it"
			 " (Debian's nodejs, and npm ci in tests/chrome)");
	free(out);
	char mods[PATH_MAX + 128];
	snprintf(mods, sizeof(mods), "%s/node_modules/@paulirish/trace_engine",
		 dir);
	if (access(mods, R_OK) != 0)
		fail_msg("%s is missing: `make deps` installs it (npm ci)", mods);
	int rc = rs_run(&out, 300, "node '%s' '%s'", script, json);
	const char *line = out ? strstr(out, "flows written") : NULL;
	if (!line || sscanf(line, "flows written %ld bound %ld, slices %*d,"
			    " overlaps %ld", w, b, o) != 3)
		fail_msg("check_chrome.mjs: %s", out ? out : "(no output)");
	if (rc != 0)
		print_message("check_chrome.mjs: %s", out);
	free(out);
	return rc;
}

static int64_t q_int(sqlite3 *d, const char *json, const char *q)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(d, q, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", q, sqlite3_errmsg(d));
	if (json)
		sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The database, with the export's events as table j (one JSON object
 * per row) beside it. */
static sqlite3 *open_both(const char *db_path, const char *json_path)
{
	sqlite3 *d;
	char *json = rs_read_file(json_path, NULL);
	assert_non_null(json);
	assert_int_equal(sqlite3_open_v2(db_path, &d, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	sqlite3_exec(d, "CREATE TEMP TABLE j (v)", NULL, NULL, NULL);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(d, "INSERT INTO temp.j SELECT value"
			 " FROM json_each(json_extract(?1, '$.traceEvents'))",
			 -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	free(json);
	return d;
}

static void export_json(const char *db, const char *json)
{
	char *out = NULL;
	if (rs_run(&out, 60, "'%s' export --chrome '%s' '%s'",
		   rs_bin("ringside"), json, db) != 0)
		fail_msg("export --chrome: %s", out);
	free(out);
}

#define FLOWS(kind) "SELECT count(*) FROM temp.j WHERE v->>'ph' = 's' AND" \
	" v->>'name' = '" kind "'"

/* The demo's export: every flow bound by DevTools, none overlapping, and
 * each kind of flow as many as the database says. */
static void test_chrome_flows_bind_in_devtools(void **state)
{
	char *dir = rs_tmpdir(), json[PATH_MAX];
	char *db = rs_make_trace(dir, "demo", 40, 0);
	long w, b, o;

	snprintf(json, sizeof(json), "%s/demo.json", dir);
	export_json(db, json);
	assert_int_equal(run_check(json, &w, &b, &o), 0);
	assert_true(w > 100);
	assert_int_equal(b, w);
	assert_int_equal(o, 0);

	sqlite3 *d = open_both(db, json);
	/* reads: the promise's lifetime -> each later read of it */
	int64_t reads = q_int(d, NULL, "SELECT count(*) FROM events e JOIN"
			      " promises p ON p.id = e.a WHERE e.type = 17 AND"
			      " p.created_ns < e.ts_ns");
	/* resolves: a settle -> each read after it */
	int64_t resolves = q_int(d, NULL, "SELECT count(*) FROM events s JOIN"
				 " events r ON r.a = s.a AND r.type = 17 AND"
				 " r.ts_ns > s.ts_ns WHERE s.type IN (19, 20)");
	/* becomes: the promise followed -> the becomes */
	int64_t becomes = q_int(d, NULL, "SELECT count(*) FROM events e JOIN"
				" promises p ON p.id = e.b WHERE e.type = 21 AND"
				" p.created_ns < e.ts_ns");
	/* creates: each create inside a run slice that began before it */
	int64_t creates = q_int(d, NULL, "SELECT count(*) FROM events e"
		" WHERE e.type = 16 AND EXISTS (SELECT 1 FROM temp.j WHERE"
		" v->>'ph' = 'X' AND v->>'pid' = 1 AND v->>'tid' ="
		" (CASE e.ctx WHEN 0 THEN 1073741824 + e.cpu ELSE e.ctx END)"
		" AND v->>'name' IN ('running', 'idle', 'ctx 0') AND"
		" v->>'ts' * 1000 < e.ts_ns AND"
		" (v->>'ts' + v->>'dur') * 1000 >= e.ts_ns)");
	assert_true(reads > 0 && resolves > 0 && becomes > 0 && creates > 0);
	assert_int_equal(q_int(d, NULL, FLOWS("reads")), reads);
	assert_int_equal(q_int(d, NULL, FLOWS("resolves")), resolves);
	assert_int_equal(q_int(d, NULL, FLOWS("becomes")), becomes);
	assert_int_equal(q_int(d, NULL, FLOWS("creates")), creates);
	assert_int_equal(reads + resolves + becomes + creates, w);
	/* every create has its flow here: all ran inside a run slice */
	assert_int_equal(creates, q_int(d, NULL, "SELECT count(*) FROM events"
					" WHERE type = 16"));
	sqlite3_close(d);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Times: whole 1/1024 us, the nearest to each event's ns; a slice of one
 * promise event per event, at its own time. */
static void test_chrome_times_exact_in_binary(void **state)
{
	char *dir = rs_tmpdir(), json[PATH_MAX];
	char *db = rs_make_trace(dir, "fanout", 5, 0);

	snprintf(json, sizeof(json), "%s/t.json", dir);
	export_json(db, json);
	sqlite3 *d = open_both(db, json);
	/* every ts and dur is k / 1024 exactly */
	assert_int_equal(q_int(d, NULL, "SELECT count(*) FROM temp.j WHERE"
			       " v->>'ts' IS NOT NULL AND (v->>'ts' * 1024 !="
			       " round(v->>'ts' * 1024) OR"
			       " coalesce(v->>'dur', 0) * 1024 !="
			       " round(coalesce(v->>'dur', 0) * 1024))"), 0);
	/* the creates' slices are at round(ns * 1.024) ticks, one each */
	int64_t n = q_int(d, NULL, "SELECT count(*) FROM events WHERE type = 16");
	assert_true(n > 0);
	assert_int_equal(q_int(d, NULL, "SELECT count(*) FROM events e JOIN"
			       " temp.j ON v->>'ph' = 'X' AND v->>'name' ="
			       " 'create' AND v->>'args.promise' = e.a AND"
			       " CAST(round(v->>'ts' * 1024) AS INTEGER) ="
			       " (e.ts_ns * 256 + 125) / 250 WHERE e.type = 16"),
			 n);
	sqlite3_close(d);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static int64_t db_window_events(const char *db, int64_t from, int64_t to)
{
	sqlite3 *d;
	char q[160];
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	snprintf(q, sizeof(q), "SELECT count(*) FROM events WHERE ts_ns"
		 " BETWEEN %lld AND %lld", (long long)from, (long long)to);
	int64_t n = q_int(d, NULL, q);
	sqlite3_close(d);
	return n;
}

/* --from/--to: only the window, its flows bound; a loss is a slice. */
static void test_chrome_window_and_losses(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL, json[PATH_MAX];
	char *db = rs_make_lossy_trace(dir, "demo", 40, 8);
	long w, b, o;

	snprintf(json, sizeof(json), "%s/all.json", dir);
	export_json(db, json);
	sqlite3 *d = open_both(db, json);
	int64_t lost = q_int(d, NULL, "SELECT sum(count) FROM lost");
	assert_true(lost > 0);
	assert_int_equal(q_int(d, NULL, "SELECT sum(v->>'args.count') FROM"
			       " temp.j WHERE v->>'ph' = 'X' AND v->>'cat' ="
			       " 'lost' AND v->>'pid' = 4"), lost);
	assert_int_equal(q_int(d, NULL, "SELECT count(*) FROM temp.j WHERE"
			       " v->>'cat' = 'lost'"),
			 q_int(d, NULL, "SELECT count(*) FROM lost"));
	assert_int_equal(q_int(d, NULL, "SELECT count(*) FROM temp.j WHERE"
			       " v->>'ph' = 'i' AND v->>'name' LIKE 'lost%'"), 0);
	/* the middle third of the trace */
	int64_t t0 = q_int(d, NULL, "SELECT min(ts_ns) FROM events");
	int64_t t1 = q_int(d, NULL, "SELECT max(ts_ns) FROM events");
	int64_t from = t0 + (t1 - t0) / 3, to = t0 + 2 * (t1 - t0) / 3;
	sqlite3_close(d);

	snprintf(json, sizeof(json), "%s/win.json", dir);
	assert_int_equal(rs_run(&out, 60, "'%s' export --chrome '%s' --from"
				" %lldns --to %lldus '%s'", rs_bin("ringside"),
				json, (long long)from, (long long)to / 1000, db),
			 0);
	to = to / 1000 * 1000;
	char want[64];
	snprintf(want, sizeof(want), "wrote %lld events", (long long)
		 db_window_events(db, from, to));
	assert_non_null(strstr(out, want));
	free(out);
	assert_int_equal(run_check(json, &w, &b, &o), 0);
	assert_true(w > 0);
	assert_int_equal(b, w);
	d = open_both(db, json);
	char q[512];
	/* nothing outside the window (in ticks: 1.024 per ns) */
	snprintf(q, sizeof(q), "SELECT count(*) FROM temp.j WHERE v->>'ts' IS"
		 " NOT NULL AND (round(v->>'ts' * 1024) < %lld OR"
		 " round((v->>'ts' + coalesce(v->>'dur', 0)) * 1024) > %lld)",
		 (long long)((from * 256 + 125) / 250),
		 (long long)((to * 256 + 125) / 250));
	assert_int_equal(q_int(d, NULL, q), 0);
	/* every create of the window has its slice */
	snprintf(q, sizeof(q), "SELECT (SELECT count(*) FROM events WHERE"
		 " type = 16 AND ts_ns BETWEEN %lld AND %lld) - (SELECT"
		 " count(*) FROM temp.j WHERE v->>'name' = 'create')",
		 (long long)from, (long long)to);
	assert_int_equal(q_int(d, NULL, q), 0);
	sqlite3_close(d);
	/* a window the wrong way round is a usage error */
	assert_int_equal(rs_run(&out, 10, "'%s' export --chrome '%s/x.json'"
				" --from 2ms --to 1ms '%s'", rs_bin("ringside"),
				dir, db), 2);
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(export_chrome,
	cmocka_unit_test(test_chrome_flows_bind_in_devtools),
	cmocka_unit_test(test_chrome_times_exact_in_binary),
	cmocka_unit_test(test_chrome_window_and_losses))
