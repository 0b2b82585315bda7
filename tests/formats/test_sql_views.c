/*
 * test_sql_views.c - the Perfetto-shaped views of schema.sql.
 *
 * thread_state on a hand-made trace whose every row is known (a thread
 * blocked and woken while still on its CPU leaves it runnable, not
 * blocked); on a real trace, its Running time per thread equals the time
 * on a CPU computed here from the switch records; SCHEMA.md's example
 * queries, taken from the file and run against a real trace, each
 * checked against the same figure computed here from the raw records or
 * the base tables; an older database's views replaced by a collect.
 */
#include "testlib.h"

#include "ringside_ring.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXTID 1024

static void exec(sqlite3 *db, const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s: %s", sql, e);
}

/* The rows of `sql`, one line each, columns joined by '|'. */
static char *rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const unsigned char *v = sqlite3_column_text(s, i);
			fprintf(f, "%s%s", i ? "|" : "", v ? (const char *)v : "");
		}
		fputc('\n', f);
	}
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	fclose(f);
	return out;
}

static void assert_rows(sqlite3 *db, const char *sql, const char *want)
{
	char *got = rows(db, sql);
	if (strcmp(got, want) != 0)
		fail_msg("%s\n got:\n%s want:\n%s", sql, got, want);
	free(got);
}

/* ---- a hand-made trace ---------------------------------------------- */

static void ev(struct rs_test_events *w, unsigned cpu, int64_t ts, int type,
	       uint64_t a, uint64_t b, uint64_t c)
{
	rs_events_add(w, cpu, ts, (uint16_t)type, 0, a, b, c, NULL);
}

/*
 * Trace 2 (1 GHz from tsc 0, so ns = tsc). CPU 0: thread 1 runs from
 * 1000, blocks on a promise at 1100, is woken (on CPU 1) at 1200 and
 * switched out at 1300: runnable, not blocked. Thread 2 runs 1300-1600,
 * blocking on a sleep at 1500; thread 1 runs 1600-1900 and is switched
 * out without a record (preempted, R+); thread 2, woken by 1 at 1800,
 * runs 1900-2100, exits at 2000; CPU 0 idles at 2100. CPU 1 switches to
 * thread 1 at 2200; the trace's last record is at 2500.
 */
static void hand_trace(sqlite3 *db)
{
	exec(db, "INSERT INTO trace (id, source, nonce, region_gpa, region_size,"
		 " ncpus, mode, tsc_hz, boot_tsc, guest_state, collected_at)"
		 " VALUES (2, 'generated', 7002, 0, 0, 2, 'overwrite',"
		 " 1000000000, 0, 'exited', 0)");
	exec(db, "INSERT INTO threads (trace_id, tid, name, created_ns) VALUES"
		 " (2, 1, 'one', 0), (2, 2, 'two', 0)");
	struct rs_test_events *w = rs_events_begin(db, 2);
	ev(w, 0, 1000, 4, 0, 1, 0);     /* switch 0 -> 1 */
	ev(w, 0, 1100, 5, 1, 1, 77);    /* 1 blocks on promise 77 */
	ev(w, 1, 1200, 6, 1, 2, 0);     /* 1 woken by 2 */
	ev(w, 0, 1300, 4, 1, 2, 0);     /* switch 1 -> 2 */
	ev(w, 0, 1500, 5, 2, 2, 0);     /* 2 sleeps */
	ev(w, 0, 1600, 4, 2, 1, 0);     /* switch 2 -> 1 */
	ev(w, 0, 1800, 6, 2, 1, 0);     /* 2 woken by 1 */
	ev(w, 0, 1900, 4, 1, 2, 0);     /* switch 1 -> 2: 1 preempted */
	ev(w, 0, 2000, 3, 2, 0, 0);     /* 2 exits */
	ev(w, 0, 2100, 52, 0, 0, 0);    /* idle */
	ev(w, 1, 2200, 4, 0, 1, 0);     /* CPU 1: switch 0 -> 1 */
	ev(w, 1, 2500, 8, 0, 0, 0);     /* runq_len 0: the last record */
	rs_events_end(w);
}

static void test_thread_state_hand(void **state)
{
	char *dir = rs_tmpdir();
	char *path = rs_make_trace(dir, "pingpong", 2, 0);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	hand_trace(db);
	/* utid = (trace_id - 1) * 2^32 + tid. */
	assert_rows(db, "SELECT ts, dur, cpu, utid - 4294967296, state,"
		    " waker_utid - 4294967296, blocked_on FROM thread_state"
		    " WHERE trace_id = 2 ORDER BY utid, ts",
		    "1000|300|0|1|Running||\n"
		    "1300|300||1|R|2|\n"
		    "1600|300|0|1|Running||\n"
		    "1900|300||1|R+||\n"
		    "2200|300|1|1|Running||\n"
		    "1300|300|0|2|Running||\n"
		    "1600|200||2|S||sleep\n"
		    "1800|100||2|R|1|\n"
		    "1900|200|0|2|Running||\n"
		    "2100|400||2|X||\n");
	assert_rows(db, "SELECT ts, dur, cpu, utid - 4294967296 FROM sched"
		    " WHERE trace_id = 2 ORDER BY ts",
		    "1000|300|0|1\n1300|300|0|2\n1600|300|0|1\n"
		    "1900|200|0|2\n2200|300|1|1\n");
	assert_rows(db, "SELECT tid, thread.name, start_ts FROM thread JOIN"
		    " thread_track USING (utid) WHERE thread.trace_id = 2"
		    " ORDER BY tid", "1|one|0\n2|two|0\n");
	sqlite3_close(db);
	free(path);
	rs_tmpdir_cleanup(dir);
}

/* ---- figures computed from the raw records -------------------------- */

struct truth {
	int64_t on_cpu[MAXTID], runs_of[MAXTID];     /* per tid */
	int64_t busy[RS_MAX_CPUS], runs[RS_MAX_CPUS];
	int64_t first_mark[MAXTID];                  /* -1: none */
	int64_t last_ts;
};

/* Per CPU in record order: a switch starts a run of its next tid, a
 * switch or idle_enter ends the current one, the CPU's last record ends
 * its last. */
static void compute_truth(sqlite3 *db, struct truth *t)
{
	sqlite3_stmt *s;
	int64_t cur = 0, since = 0, last = 0, cpu = -1;

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < MAXTID; i++)
		t->first_mark[i] = -1;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT cpu, ts_ns, type, a, b"
					    " FROM events WHERE trace_id = 1"
					    " ORDER BY cpu, seq", -1, &s, NULL),
			 SQLITE_OK);
	for (int more = 1; more;) {
		more = sqlite3_step(s) == SQLITE_ROW;
		int64_t c = more ? sqlite3_column_int64(s, 0) : -2;
		int64_t ts = more ? sqlite3_column_int64(s, 1) : 0;
		int type = more ? sqlite3_column_int(s, 2) : 0;
		int64_t a = more ? sqlite3_column_int64(s, 3) : 0;
		int64_t b = more ? sqlite3_column_int64(s, 4) : 0;
		if (c != cpu || type == 4 || type == 52) {
			int64_t end = c != cpu ? last : ts;
			if (cpu >= 0 && cur != 0) {
				t->on_cpu[cur] += end - since;
				t->busy[cpu] += end - since;
			}
			cur = 0;
		}
		if (!more)
			break;
		cpu = c;
		last = ts;
		if (ts > t->last_ts)
			t->last_ts = ts;
		int64_t tid = type == 4 ? b : a;
		assert_true(cpu < RS_MAX_CPUS);
		if (type >= 3 && type <= 7)
			assert_true(tid >= 0 && tid < MAXTID);
		if (type == 4 && b != 0) {
			cur = b, since = ts;
			t->runs_of[b]++, t->runs[cpu]++;
		}
		if ((type == 4 && b != 0) || (type >= 3 && type <= 7 && type != 4))
			if (t->first_mark[tid] < 0 || ts < t->first_mark[tid])
				t->first_mark[tid] = ts;
	}
	sqlite3_finalize(s);
}

/* A real trace of one CPU, so a thread's states tile its time. */
static char *real_trace(const char *dir)
{
	return rs_make_trace(dir, "demo", 3, 0);
}

static void test_thread_state_real(void **state)
{
	char *dir = rs_tmpdir(), *path = real_trace(dir);
	sqlite3 *db;
	struct truth *t = malloc(sizeof(*t));

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	compute_truth(db, t);
	/* Running per thread = its time on a CPU, exactly. */
	sqlite3_stmt *s;
	int threads = 0;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT utid, sum(dur), count(*)"
					    " FROM thread_state WHERE state ="
					    " 'Running' GROUP BY utid", -1, &s,
					    NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t tid = sqlite3_column_int64(s, 0);
		assert_true(tid > 0 && tid < MAXTID);
		assert_int_equal(sqlite3_column_int64(s, 1), t->on_cpu[tid]);
		assert_int_equal(sqlite3_column_int64(s, 2), t->runs_of[tid]);
		threads++;
	}
	sqlite3_finalize(s);
	assert_true(threads >= 3);
	/* Each thread's intervals tile its time from its first mark to the
	 * trace's end: no gap, no overlap. */
	assert_rows(db, "SELECT count(*) FROM (SELECT ts, dur, LEAD(ts) OVER"
		    " (PARTITION BY utid ORDER BY ts) AS nx FROM thread_state)"
		    " WHERE nx IS NOT NULL AND ts + dur != nx", "0\n");
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT utid, min(ts),"
					    " max(ts + dur) FROM thread_state"
					    " GROUP BY utid", -1, &s, NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t tid = sqlite3_column_int64(s, 0);
		assert_int_equal(sqlite3_column_int64(s, 1), t->first_mark[tid]);
		assert_int_equal(sqlite3_column_int64(s, 2), t->last_ts);
	}
	sqlite3_finalize(s);
	/* The demo blocks on promises and sleeps, and is woken. */
	assert_rows(db, "SELECT count(DISTINCT state) FROM thread_state WHERE"
		    " state IN ('Running', 'R', 'S')", "3\n");
	assert_rows(db, "SELECT count(*) FROM thread_state WHERE state = 'S'"
		    " AND blocked_on IS NULL", "0\n");
	sqlite3_close(db);
	free(t);
	free(path);
	rs_tmpdir_cleanup(dir);
}

/* ---- SCHEMA.md's examples ------------------------------------------- */

/* The statements of the ```sql block after the views' heading. */
static int doc_queries(char *q[], int max)
{
	char *doc = rs_read_file("formats/store/SCHEMA.md", NULL);
	assert_non_null(doc);
	char *at = strstr(doc, "## Views: Perfetto-shaped tables");
	assert_non_null(at);
	at = strstr(at, "```sql\n");
	assert_non_null(at);
	at += 7;
	char *end = strstr(at, "```");
	assert_non_null(end);
	*end = '\0';
	int n = 0;
	for (char *semi; (semi = strchr(at, ';')) != NULL; at = semi + 1) {
		assert_true(n < max);
		q[n++] = strndup(at, (size_t)(semi - at + 1));
	}
	free(doc);
	return n;
}

/* Example 1: time on a CPU per thread, for the threads the table knows. */
static char *want_running(sqlite3 *db, const struct truth *t)
{
	char *out = NULL, *names = rows(db, "SELECT tid, name FROM threads"
					     " WHERE trace_id = 1 ORDER BY tid");
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	char *save = NULL;
	for (char *l = strtok_r(names, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		int64_t tid = atoll(l);
		if (t->runs_of[tid])
			fprintf(f, "%s|%lld\n", l, (long long)t->on_cpu[tid]);
	}
	fclose(f);
	free(names);
	return out;
}

/* Example 2's rows summed per thread: its span, and Running = on CPU. */
static void check_states(const char *got, const struct truth *t)
{
	int64_t total[MAXTID] = { 0 }, running[MAXTID] = { 0 };
	int seen_s = 0, seen_r = 0;
	char *copy = strdup(got), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		long long utid, n, ns;
		char st[16];
		assert_int_equal(sscanf(l, "%lld|%15[^|]|%lld|%lld", &utid, st,
					&n, &ns), 4);
		assert_true(utid > 0 && utid < MAXTID && n > 0);
		total[utid] += ns;
		if (strcmp(st, "Running") == 0)
			running[utid] += ns;
		seen_s |= strcmp(st, "S") == 0;
		seen_r |= strcmp(st, "R") == 0;
	}
	for (int i = 1; i < MAXTID; i++) {
		assert_int_equal(running[i], t->on_cpu[i]);
		if (t->first_mark[i] >= 0)
			assert_int_equal(total[i], t->last_ts - t->first_mark[i]);
	}
	assert_true(seen_s && seen_r);
	free(copy);
}

static char *want_sched(const struct truth *t)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	for (unsigned c = 0; c < RS_MAX_CPUS; c++)
		if (t->runs[c])
			fprintf(f, "%u|%lld|%lld\n", c, (long long)t->runs[c],
				(long long)t->busy[c]);
	fclose(f);
	return out;
}

/* Example 4 from the promises table; 5 from the create records; 6 from
 * the counter, heap and runq_len records. */
static const char *const from_tables[] = {
	"SELECT id, coalesce(label, type, 'promise'), resolved_ns - created_ns"
	" AS d FROM promises WHERE trace_id = 1 AND created_ns IS NOT NULL AND"
	" resolved_ns IS NOT NULL ORDER BY d DESC, id LIMIT 5",
	"SELECT e.b, coalesce(p.label, p.type, 'promise'), count(*) AS n"
	" FROM events e JOIN promises p ON p.trace_id = 1 AND p.id = e.b"
	" JOIN promises k ON k.trace_id = 1 AND k.id = e.a"
	" WHERE e.trace_id = 1 AND e.type = 16 AND p.created_ns IS NOT NULL"
	" AND k.created_ns IS NOT NULL GROUP BY e.b ORDER BY n DESC, e.b"
	" LIMIT 5",
	"SELECT CASE type WHEN 34 THEN 'heap' WHEN 8 THEN 'runq_len' ELSE str"
	" END AS nm, max(a) FROM events WHERE trace_id = 1 AND (type IN (8, 34)"
	" OR (type = 64 AND str IS NOT NULL)) GROUP BY nm ORDER BY nm",
};

static void test_schema_examples(void **state)
{
	char *dir = rs_tmpdir(), *path = real_trace(dir), *q[16];
	int n = doc_queries(q, 16);
	sqlite3 *db;
	struct truth *t = malloc(sizeof(*t));

	/* Each example has its check: a new one needs one here. */
	assert_int_equal(n, 6);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	compute_truth(db, t);
	char *want = want_running(db, t);
	assert_true(strlen(want) > 0);
	assert_rows(db, q[0], want);
	free(want);
	char *got = rows(db, q[1]);
	check_states(got, t);
	free(got);
	want = want_sched(t);
	assert_rows(db, q[2], want);
	free(want);
	for (int i = 0; i < 3; i++) {
		want = rows(db, from_tables[i]);
		assert_true(strlen(want) > 0);
		assert_rows(db, q[3 + i], want);
		free(want);
	}
	for (int i = 0; i < n; i++)
		free(q[i]);
	sqlite3_close(db);
	free(t);
	free(path);
	rs_tmpdir_cleanup(dir);
}

/* ---- fanout's known counts ------------------------------------------ */

/* fanout R=4 (kernel/workloads/fanout.c): PROMISE_CREATE 14R, RESOLVE
 * 9R, FAIL 4R, BECOMES 2R; the views agree with the tables. */
static void test_views_fanout_counts(void **state)
{
	char *dir = rs_tmpdir(), *path = rs_make_trace(dir, "fanout", 4, 0);
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_rows(db, "SELECT count(*), sum(dur < 0), count(DISTINCT"
		    " track_id) FROM slice", "56|0|1\n");
	/* Every arrow whose two ends are promises, by kind. */
	char *kinds = rows(db, "SELECT CASE type WHEN 16 THEN 'creates' WHEN 17"
			 " THEN 'reads' WHEN 18 THEN 'try_read' WHEN 19 THEN"
			 " 'resolves' WHEN 20 THEN 'fails' WHEN 21 THEN 'becomes'"
			 " ELSE 'cancels' END AS k, count(*) FROM events e"
			 " WHERE type IN (16, 17, 18, 19, 20, 21, 24) AND"
			 " (SELECT count(*) FROM promises WHERE created_ns IS NOT"
			 " NULL AND id IN (e.a, e.b)) = 2 GROUP BY k ORDER BY k");
	assert_true(strlen(kinds) > 20);
	assert_rows(db, "SELECT kind, count(*) FROM flow GROUP BY kind"
		    " ORDER BY kind", kinds);
	free(kinds);
	assert_rows(db, "SELECT count(*) FROM flow WHERE kind = 'becomes'",
		    "8\n");
	assert_rows(db, "SELECT count(*) = (SELECT count(*) FROM counters)"
		    " FROM counter", "1\n");
	assert_rows(db, "SELECT count(*) FROM track WHERE type = 'counter'",
		    "2\n");
	assert_rows(db, "SELECT count(*) FROM counter c LEFT JOIN track t ON"
		    " t.id = c.track_id WHERE t.id IS NULL", "0\n");
	char *exited = rows(db, "SELECT count(*) FROM threads WHERE exited_ns"
			    " IS NOT NULL");
	assert_rows(db, "SELECT count(*) FROM thread_state WHERE state = 'X'",
		    exited);
	free(exited);
	sqlite3_close(db);
	free(path);
	rs_tmpdir_cleanup(dir);
}

/* ---- an older database ---------------------------------------------- */

/* A view as an older ringside wrote it is replaced when collect opens
 * the database; a view of the user's own is left alone. */
static void test_old_views_refreshed(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *path = rs_make_trace(dir, "pingpong", 2, 0);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec(db, "DROP VIEW thread_state; CREATE VIEW thread_state AS SELECT"
		 " 1 AS utid, 'Running' AS old; CREATE VIEW mine AS SELECT 42");
	sqlite3_close(db);
	assert_int_equal(rs_run(&out, 60, "'%s' collect 'file:%s/pingpong.ring'"
				" -o '%s'", rs_bin("ringside"), dir, path), 0);
	free(out);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_rows(db, "SELECT count(*) FROM pragma_table_info('thread_state')"
		    " WHERE name IN ('old', 'waker_utid')", "1\n");
	assert_rows(db, "SELECT name FROM pragma_table_info('thread_state')"
		    " WHERE name = 'waker_utid'", "waker_utid\n");
	assert_rows(db, "SELECT * FROM mine", "42\n");
	sqlite3_close(db);
	free(path);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(sql_views,
	cmocka_unit_test(test_thread_state_hand),
	cmocka_unit_test(test_thread_state_real),
	cmocka_unit_test(test_schema_examples),
	cmocka_unit_test(test_views_fanout_counts),
	cmocka_unit_test(test_old_views_refreshed))
