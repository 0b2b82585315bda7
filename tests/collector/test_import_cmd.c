/*
 * test_import_cmd.c - `ringside import` end to end, on the peers' real
 * files (PEERS=DIR, default ../shared/peers; skipped, saying so, when
 * they are absent):
 *   - the mirage-profile example: babeltrace2 reads it (its metadata's
 *     version corrected to 1.8) and its count of every op must equal
 *     what the import made of that op, by the stated mapping
 *     (formats/interchange/import_mirage.c); the same from the raw ring
 *     and from a metadata+stream directory; importing again adds nothing;
 *   - the FXT example (test.fxt): the exact events;
 *   - the command's contract: a bad SOURCE is a usage error (2), a bad
 *     file one line and exit 1 with no database made, a wrapped ring's
 *     loss shown by info.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringside_ring.h"
#include "sql_events.h"
#include "test_collector.h"

#define TOOL_SECS 60   /* each run takes well under a second */

static const char *peers(void)
{
	const char *p = getenv("PEERS");
	return p && *p ? p : "../shared/peers";
}

/* The peer file, or NULL (the test is skipped, saying why). */
static char *peer_file(const char *rel)
{
	char *path;
	assert_true(asprintf(&path, "%s/%s", peers(), rel) > 0);
	if (access(path, R_OK) != 0) {
		print_message("skipped: %s is absent (set PEERS=DIR to the"
			      " peers directory)\n", path);
		free(path);
		return NULL;
	}
	return path;
}

static sqlite3 *open_db(const char *db)
{
	sqlite3 *d;
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(rs_sql_register(d), SQLITE_OK);
	return d;
}

static int64_t q_int(sqlite3 *d, const char *sql, int64_t trace)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(d, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(d));
	sqlite3_bind_int64(s, 1, trace);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Events of trace `trace` that stand for mirage op `op` (the mapping). */
static int64_t made_of(sqlite3 *d, int64_t trace, const char *op)
{
	static const struct { const char *op; int type; } one[] = {
		{ "creates", RS_EV_PROMISE_CREATE }, { "read", RS_EV_PROMISE_READ },
		{ "try_read", RS_EV_PROMISE_TRY_READ },
		{ "fulfills", RS_EV_PROMISE_RESOLVE },
		{ "fails", RS_EV_PROMISE_FAIL }, { "becomes", RS_EV_PROMISE_BECOMES },
		{ "label", RS_EV_PROMISE_LABEL }, { "signal", RS_EV_PROMISE_SIGNAL },
	};
	char sql[200];
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (strcmp(op, one[i].op) == 0) {
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM events"
				 " WHERE trace_id = ?1 AND type = %d", one[i].type);
			return q_int(d, sql, trace);
		}
	if (strcmp(op, "increase+counter") == 0)
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE"
			 " trace_id = ?1 AND type = %d", RS_EV_COUNTER);
	else if (strcmp(op, "switch") == 0)
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE"
			 " trace_id = ?1 AND (type = %d OR (type = %d AND"
			 " str = 'switch'))", RS_EV_IDLE_ENTER, RS_EV_MARK);
	else if (strcmp(op, "gc") == 0)
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE"
			 " trace_id = ?1 AND type = %d AND str = 'gc'", RS_EV_MARK);
	else
		fail_msg("babeltrace2 names an op the mapping does not: %s", op);
	return q_int(d, sql, trace);
}

struct bt_count { char op[32]; int64_t n; };

/* babeltrace2's count of each event name in `dir`; returns how many. */
static int babeltrace_counts(const char *dir, struct bt_count *c, int max,
			     int64_t *total)
{
	char *out = NULL;
	int rc = rs_run(&out, TOOL_SECS, "babeltrace2 '%s' | awk '{n[$3]++}"
			" END {for (k in n) print k, n[k]}'", dir);
	if (rc != 0)
		fail_msg("babeltrace2 (make deps installs it): exit %d: %s",
			 rc, out ? out : "");
	int n = 0;
	*total = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		assert_true(n < max);
		long long v;
		if (sscanf(line, "%31[^:]: %lld", c[n].op, &v) != 2)
			fail_msg("babeltrace2 line not understood: %s", line);
		c[n].n = v;
		*total += v;
		n++;
	}
	free(out);
	return n;
}

static char *import(const char *spec, const char *db, int want_rc)
{
	char *out = NULL;
	int rc = rs_run(&out, TOOL_SECS, "'%s' import '%s' -o '%s'",
			rs_bin("ringside"), spec, db);
	if (rc != want_rc)
		fail_msg("import %s: exit %d, want %d: %s", spec, rc, want_rc,
			 out ? out : "");
	assert_one_line(out);
	return out;
}

/* Every op babeltrace2 counts is accounted for in trace `trace`. */
static void check_accounting(const char *db, int64_t trace,
			     const struct bt_count *c, int n, int64_t total)
{
	sqlite3 *d = open_db(db);
	int64_t sum = 0, inc_counter = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(c[i].op, "increase") == 0 ||
		    strcmp(c[i].op, "counter") == 0) {
			inc_counter += c[i].n;
			continue;
		}
		const int64_t made = made_of(d, trace, c[i].op);
		if (made != c[i].n)
			fail_msg("op %s: babeltrace2 reads %lld, the import made"
				 " %lld", c[i].op, (long long)c[i].n,
				 (long long)made);
		sum += made;
	}
	assert_int_equal(made_of(d, trace, "increase+counter"), inc_counter);
	sum += inc_counter;
	assert_int_equal(sum, total);
	/* The only events not read: an idle_exit before each switch that
	 * ends an idle period, never more than the idle_enters. */
	const int64_t exits = q_int(d, "SELECT count(*) FROM events WHERE"
				    " trace_id = ?1 AND type = 53", trace);
	assert_true(exits <= q_int(d, "SELECT count(*) FROM events WHERE"
				   " trace_id = ?1 AND type = 52", trace));
	assert_int_equal(q_int(d, "SELECT count(*) FROM events WHERE"
			       " trace_id = ?1", trace), total + exits);
	sqlite3_close(d);
}

static void test_import_mirage_accounts_for_babeltrace(void **state)
{
	(void)state;
	char *ring = peer_file("mirage-profile/net.ctf");
	char *meta = peer_file("mirage-profile/metadata");
	if (!ring || !meta) {
		free(ring);
		free(meta);
		skip();
	}
	char *dir = rs_tmpdir(), *out = NULL;
	/* babeltrace2 wants CTF 1.8; mirage-profile's metadata says 0.1. */
	assert_int_equal(rs_run(&out, TOOL_SECS, "mkdir '%s/ctf' && cp '%s'"
				" '%s' '%s/ctf/' && chmod u+w '%s/ctf/'* && sed"
				" -i 's/major = 0;/major = 1;/; s/minor = 1;/"
				"minor = 8;/' '%s/ctf/metadata'", dir, ring, meta,
				dir, dir, dir), 0);
	free(out);
	char ctf[512], db[512], spec[600];
	snprintf(ctf, sizeof(ctf), "%s/ctf", dir);
	snprintf(db, sizeof(db), "%s/t.db", dir);
	struct bt_count c[16];
	int64_t total;
	const int n = babeltrace_counts(ctf, c, 16, &total);
	assert_true(n > 5 && total > 0);

	snprintf(spec, sizeof(spec), "mirage:%s", ring);
	free(import(spec, db, 0));
	check_accounting(db, 1, c, n, total);
	/* A metadata+stream directory is the same trace's events. */
	snprintf(spec, sizeof(spec), "mirage:%s", ctf);
	free(import(spec, db, 0));
	check_accounting(db, 2, c, n, total);
	/* Again: nothing added. */
	snprintf(spec, sizeof(spec), "mirage:%s", ring);
	out = import(spec, db, 0);
	assert_non_null(strstr(out, "(0 stored"));
	free(out);
	check_accounting(db, 1, c, n, total);

	out = info_json(db);
	assert_non_null(strstr(out, "\"source\": \"mirage:"));
	free(out);
	assert_int_equal(rs_run(&out, TOOL_SECS, "'%s' info --trace 1 '%s'",
				rs_bin("ringside"), db), 0);
	assert_non_null(strstr(out, "imported from a mirage-profile trace"));
	assert_non_null(strstr(out, "net.ctf"));
	free(out);
	/* And the report reads it. */
	assert_int_equal(rs_run(&out, TOOL_SECS, "'%s' report '%s'",
				rs_bin("ringside"), db), 0);
	assert_non_null(strstr(out, "Gntshr.grant_access"));
	free(out);
	/* And the viewer draws it. */
	char png[600];
	snprintf(png, sizeof(png), "%s/net.png", dir);
	assert_int_equal(rs_run(&out, TOOL_SECS, "'%s' --render '%s' '%s'",
				rs_bin("ringside-view"), png, db), 0);
	free(out);
	assert_true(exists(png));
	rs_tmpdir_cleanup(dir);
	free(ring);
	free(meta);
}

static void test_import_fxt_peer_file(void **state)
{
	(void)state;
	char *file = peer_file("fxt/test.fxt");
	if (!file)
		skip();
	char *dir = rs_tmpdir(), spec[600], db[512];
	snprintf(db, sizeof(db), "%s/f.db", dir);
	snprintf(spec, sizeof(spec), "fxt:%s", file);
	free(import(spec, db, 0));
	/* A thread "Thread 1" (koid 1) and three nested durations:
	 * evt1 0..100, evt2 200..300 holding evt3 240..260 (1 tick = 1 ns,
	 * the file having no initialization record). */
	static const char *const want[] = {
		"0|2|1|1|0||Thread 1", "0|16|1|D1|0|1|", "0|22|1|D1|||evt1",
		"100|19|1|D1|0||", "200|16|1|D2|0|1|", "200|22|1|D2|||evt2",
		"240|16|1|D3|D2|1|", "240|22|1|D3|||evt3", "260|19|1|D3|0||",
		"300|19|1|D2|0||",
	};
	sqlite3 *d = open_db(db);
	sqlite3_stmt *s;
	/* Durations' promise ids are 2^48 + n: shown as Dn. */
#define DUR(x) "CASE WHEN " x " >= 281474976710656 THEN 'D' || (" x \
	" - 281474976710656) ELSE coalesce(" x ", '') END"
	assert_int_equal(sqlite3_prepare_v2(d, "SELECT ts_ns || '|' || type ||"
		" '|' || ctx || '|' || " DUR("a") " || '|' || " DUR("b") " ||"
		" '|' || coalesce(c, '') || '|' || coalesce(str, '') FROM"
		" events ORDER BY cpu, seq", -1, &s, NULL), SQLITE_OK);
#undef DUR
	size_t i = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		assert_true(i < sizeof(want) / sizeof(want[0]));
		assert_string_equal((const char *)sqlite3_column_text(s, 0),
				    want[i]);
		i++;
	}
	assert_int_equal(i, sizeof(want) / sizeof(want[0]));
	sqlite3_finalize(s);
	sqlite3_close(d);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM promises WHERE"
				 " state = 'resolved'"), 3);
	rs_tmpdir_cleanup(dir);
	free(file);
}

/* A ring of two 64-byte packets, numbered 3 (one label) and 2 (one
 * read): it wrapped, and packets 0 and 1 were overwritten. */
static char *wrapped_ring(const char *dir)
{
	static const uint8_t uuid[16] = {
		0x05, 0x88, 0x3b, 0x8d, 0x52, 0x1a, 0x48, 0x7b,
		0xb3, 0x97, 0x45, 0x6a, 0xb1, 0x50, 0x68, 0x0c,
	};
	uint8_t b[128] = { 0 };
	for (int k = 0; k < 2; k++) {
		uint8_t *p = b + 64 * k;
		p[0] = 0xc1; p[1] = 0x1f; p[2] = 0xfc; p[3] = 0xc1;
		memcpy(p + 4, uuid, 16);
		p[21] = 2;                      /* 512 bits */
		p[24] = k == 0 ? 3 : 2;         /* packet number */
		const unsigned content = k == 0 ? 30 + 9 + 8 + 3 : 30 + 9 + 16;
		p[26] = (uint8_t)(content * 8);
		p[27] = (uint8_t)(content * 8 >> 8);
		p[30] = k == 0 ? 50 : 40;       /* ts */
		p[38] = k == 0 ? 5 : 1;         /* label : read */
		if (k == 0)
			memcpy(p + 47, "ab", 3);
		else
			p[47] = 7;              /* read's source: 7 */
	}
	return write_bytes(dir, "wrapped.ctf", b, sizeof(b));
}

static void test_import_cmd_contract(void **state)
{
	(void)state;
	char *dir = rs_tmpdir(), *out = NULL;
	char *db = path_in(dir, "t.db"), spec[600];
	const char *rs = rs_bin("ringside");

	/* Not a kind it knows: a usage error. */
	assert_int_equal(rs_run(&out, TOOL_SECS, "'%s' import nope:x -o '%s'",
				rs, db), 2);
	free(out);
	/* Missing, garbage, or a truncated FXT: one line, exit 1, no db. */
	static const uint8_t garbage[64] = { 1, 2, 3 };
	char *bad = write_bytes(dir, "bad", garbage, sizeof(garbage));
	const char *specs[] = { "mirage:%s/missing", "mirage:%s", "fxt:%s" };
	for (int i = 0; i < 3; i++) {
		snprintf(spec, sizeof(spec), specs[i], i ? bad : dir);
		free(import(spec, db, 1));
		assert_false(exists(db));
	}
	/* A wrapped ring: read in order, its loss stated with no count. */
	char *ring = wrapped_ring(dir);
	snprintf(spec, sizeof(spec), "mirage:%s", ring);
	free(import(spec, db, 0));
	assert_int_equal(sql_int(db, "SELECT count(*) FROM lost_unknown"), 1);
	assert_int_equal(sql_int(db, "SELECT to_ns FROM lost_unknown"), 40);
	assert_int_equal(sql_int(db, "SELECT from_ns IS NULL FROM lost_unknown"),
			 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM lost"), 0);
	assert_int_equal(sql_int(db, "SELECT label = 'ab' FROM promises WHERE"
				 " id = 1"), 1);
	assert_int_equal(rs_run(&out, TOOL_SECS, "'%s' info '%s'", rs, db), 0);
	assert_non_null(strstr(out, "losses of unknown size: 1 (mirage ring"
			       " wrapped: its oldest packet is number 2"));
	free(out);
	/* The report states it before any figure. */
	assert_int_equal(rs_run(&out, TOOL_SECS, "'%s' report '%s'", rs, db), 0);
	assert_non_null(strstr(out, "LOST: 1 gap, 0 records lost (and more in"
			       " gaps of unknown size)"));
	free(out);
	out = info_json(db);
	assert_int_equal(json_int(out, "lost_unknown"), 1);
	assert_int_equal(json_int(out, "events"), 2);
	free(out);
	/* Again: no second gap. */
	free(import(spec, db, 0));
	assert_int_equal(sql_int(db, "SELECT count(*) FROM lost_unknown"), 1);
	free(ring);
	free(bad);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Rows of `sql` (over db `a` and attached `b`) in one and not the other. */
static int64_t differ(const char *a, const char *b, const char *cols,
		      const char *table)
{
	sqlite3 *d;
	char sql[1024];
	int64_t n = -1;
	assert_int_equal(sqlite3_open_v2(a, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS b", b);
	assert_int_equal(sqlite3_exec(d, sql, NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM (SELECT %s"
		 " FROM main.%s EXCEPT SELECT %s FROM b.%s)) + (SELECT count(*)"
		 " FROM (SELECT %s FROM b.%s EXCEPT SELECT %s FROM main.%s))",
		 cols, table, cols, table, cols, table, cols, table);
	n = q_int(d, sql, 0);
	sqlite3_close(d);
	return n;
}

/* export --fxt then import fxt: gives back the same threads, promises
 * (every column), promise events of every kind, counter samples by name
 * (heap and runq_len come back as named counters) and marks. */
static void test_import_fxt_round_trip(void **state)
{
	(void)state;
	char *dir = rs_tmpdir(), *out = NULL, spec[600];
	char *db = rs_make_trace(dir, "demo", 12, 0);
	char *fxt = path_in(dir, "demo.fxt"), *back = path_in(dir, "back.db");
	assert_int_equal(rs_run(&out, TOOL_SECS, "'%s' export '%s' --fxt -o"
				" '%s'", rs_bin("ringside"), db, fxt), 0);
	free(out);
	snprintf(spec, sizeof(spec), "fxt:%s", fxt);
	free(import(spec, back, 0));
	assert_true(sql_int(back, "SELECT count(*) FROM promises") > 50);
	assert_int_equal(differ(db, back, "id, parent, type, created_ns,"
				" resolved_ns, state, label, fail_message",
				"promises"), 0);
	assert_int_equal(differ(db, back, "tid, name", "threads"), 0);
	assert_int_equal(differ(db, back, "name, ts_ns, value", "counters"), 0);
	/* promise events and marks, by type: create, read, try_read,
	 * resolve, fail, becomes, label, signal, cancel, mark */
	assert_int_equal(differ(db, back, "type, count", "type_counts WHERE"
				" type BETWEEN 16 AND 24 OR type = 65"), 0);
	/* the demo has every promise record but cancel */
	assert_int_equal(sql_int(back, "SELECT count(*) FROM type_counts WHERE"
				 " type BETWEEN 16 AND 23"), 8);
	free(fxt);
	free(back);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(import_cmd,
	      cmocka_unit_test(test_import_fxt_round_trip),
	      cmocka_unit_test(test_import_mirage_accounts_for_babeltrace),
	      cmocka_unit_test(test_import_fxt_peer_file),
	      cmocka_unit_test(test_import_cmd_contract))
