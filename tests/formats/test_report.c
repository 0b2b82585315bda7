/*
 * test_report.c - `ringside report` against traces whose answers are
 * known: a generated database (real schema from a real collect, then our
 * own rows) with 10000 promises of known lifetimes and known waits, whose
 * exact percentiles the test computes; a hand-built resolve/read/becomes
 * chain for --critical-path; lost ranges; a foreign database; and a real
 * hosted fanout trace whose label groups must match the promises table.
 *
 * The report runs through the real `ringside report`.
 * JSON is read back with SQLite's JSON functions, sharing no code with
 * the writer.
 */
#include "testlib.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "ringside_ring.h"

#define GEN_TRACE   99      /* the generated trace's id */
#define CHAIN_TRACE 98
#define NPROM       10000

/* ---- running the report ----------------------------------------------- */

/*
 * Run `ringside report ARGS...` (NULL-terminated); stdout into *out and
 * stderr into *err (both malloc'd). Returns the exit status.
 */
static int report(char **out, char **err, const char *first, ...)
{
	const char *args[32] = { "report" };
	int n = 1;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && n < 31; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;

	char *dir = rs_tmpdir(), *po, *pe;
	if (asprintf(&po, "%s/out", dir) < 0 || asprintf(&pe, "%s/err", dir) < 0)
		abort();
	char cmd[8192];
	size_t at = (size_t)snprintf(cmd, sizeof(cmd), "'%s'", rs_bin("ringside"));
	for (int i = 0; i < n; i++)  /* no quotes in our arguments */
		at += (size_t)snprintf(cmd + at, sizeof(cmd) - at, " '%s'",
				       args[i]);
	snprintf(cmd + at, sizeof(cmd) - at, " >'%s' 2>'%s'", po, pe);
	int rc = rs_run(NULL, 120, "%s", cmd);
	size_t len;
	*out = rs_read_file(po, &len);
	*err = rs_read_file(pe, &len);
	assert_non_null(*out);
	assert_non_null(*err);
	free(po);
	free(pe);
	rs_tmpdir_cleanup(dir);
	return rc;
}

/* ---- JSON through SQLite ------------------------------------------------ */

static sqlite3 *mem_db(void)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	return db;
}

/* An integer from `json` at `path`; -1 if absent or null. */
static int64_t jint(const char *json, const char *path)
{
	sqlite3 *db = mem_db();
	sqlite3_stmt *s;
	int64_t v = -1;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_extract(?1, ?2)",
					    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		fprintf(stderr, "not JSON: %.300s\n", json);
		fail();
	}
	if (sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static char *jtext(const char *json, const char *path)
{
	sqlite3 *db = mem_db();
	sqlite3_stmt *s;
	char *v = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_extract(?1, ?2)",
					    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, path, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Index of the group named `name` in $.SECTION.groups, or -1. */
static int jgroup(const char *json, const char *section, const char *name)
{
	char path[128];
	for (int i = 0;; i++) {
		snprintf(path, sizeof(path), "$.%s.groups[%d].name", section, i);
		char *n = jtext(json, path);
		if (!n)
			return -1;
		int same = strcmp(n, name) == 0;
		free(n);
		if (same)
			return i;
	}
}

/* ---- databases ----------------------------------------------------------- */

static sqlite3 *open_rw(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, e);
		fail();
	}
}

/* A trace row of our own: 1 GHz clock from tsc 0, so tsc == ns. */
static void add_trace(sqlite3 *db, int id)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO trace (id, source, nonce, region_gpa, region_size,"
		 " ncpus, mode, tsc_hz, boot_tsc, guest_state, collected_at)"
		 " VALUES (%d, 'generated', %d, 0, 0, 2, 'overwrite',"
		 " 1000000000, 0, 'exited', 0)", id, 7000 + id);
	exec(db, sql);
}

/* Events of one hand-made trace, stored as the collector stores them. */
struct ins {
	struct rs_test_events *w;
};

static void ins_init(struct ins *in, sqlite3 *db, int trace)
{
	in->w = rs_events_begin(db, trace);
}

static void ev(struct ins *in, int cpu, int64_t ts, int type, uint32_t ctx,
	       int64_t a, int64_t b, int64_t c)
{
	rs_events_add(in->w, (unsigned)cpu, ts, (uint16_t)type, ctx,
		      (uint64_t)a, (uint64_t)b, (uint64_t)c, NULL);
}

/* ---- the generated distribution ------------------------------------------ */

struct gen {
	int64_t created[NPROM], life[NPROM];
	int64_t wait[NPROM];      /* -1: nobody waited on it */
};

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 11;
}

struct item { int64_t ts; int kind, i; };

/* Time order; at one instant creates, then blocks, then resolves. */
static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return x->ts != y->ts ? (x->ts < y->ts ? -1 : 1) : x->kind - y->kind;
}

/*
 * NPROM promises: even ids labelled "alpha" with lifetimes log-uniform in
 * 1 us .. 1 ms, odd ids "beta" in 1 ms .. 10 s. Two in ten have a
 * thread (its own tid) blocking on it halfway through its life. Events
 * are written in time order per CPU, as a collector would have.
 */
static void gen_trace(sqlite3 *db, struct gen *g)
{
	struct ins in;
	sqlite3_stmt *p;
	uint64_t s = 12345;

	exec(db, "BEGIN");
	add_trace(db, GEN_TRACE);
	ins_init(&in, db, GEN_TRACE);
	assert_int_equal(sqlite3_prepare_v2(db,
		"INSERT INTO promises (trace_id, id, type, created_ns, resolved_ns,"
		" state, label) VALUES (?1, ?2, 'wait', ?3, ?4, 'resolved', ?5)",
		-1, &p, NULL), SQLITE_OK);
	for (int i = 0; i < NPROM; i++) {
		double u = (double)lcg(&s) / 9007199254740992.0;
		double lo = i % 2 ? 6.0 : 3.0;   /* decades of ns */
		g->created[i] = 1000000 + (int64_t)i * 1000;
		g->life[i] = (int64_t)pow(10.0, lo + 3.0 * u * (i % 2 ? 4.0 / 3 : 1));
		g->wait[i] = i % 10 < 2 ? g->life[i] - g->life[i] / 2 : -1;
		sqlite3_reset(p);
		sqlite3_bind_int(p, 1, GEN_TRACE);
		sqlite3_bind_int(p, 2, 1000 + i);
		sqlite3_bind_int64(p, 3, g->created[i]);
		sqlite3_bind_int64(p, 4, g->created[i] + g->life[i]);
		sqlite3_bind_text(p, 5, i % 2 ? "beta" : "alpha", -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(p), SQLITE_DONE);
	}
	sqlite3_finalize(p);

	/* Events in time order: build (ts, kind, i) and sort. */
	struct item *it = malloc(3 * NPROM * sizeof(*it));
	size_t n = 0;
	for (int i = 0; i < NPROM; i++) {
		it[n++] = (struct item){ g->created[i], 0, i };
		if (g->wait[i] >= 0)
			it[n++] = (struct item){ g->created[i] + g->life[i] / 2, 1, i };
		it[n++] = (struct item){ g->created[i] + g->life[i], 2, i };
	}
	qsort(it, n, sizeof(*it), cmp_item);
	for (size_t k = 0; k < n; k++) {
		int i = it[k].i;
		if (it[k].kind == 0)
			ev(&in, 0, it[k].ts, RS_EV_PROMISE_CREATE, 1, 1000 + i, 0,
			   RS_PT_WAIT);
		else if (it[k].kind == 1)
			ev(&in, 0, it[k].ts, RS_EV_THREAD_BLOCK, 100 + i, 100 + i,
			   RS_BLOCK_PROMISE, 1000 + i);
		else
			ev(&in, 0, it[k].ts, RS_EV_PROMISE_RESOLVE, 1, 1000 + i, 0, 0);
	}
	free(it);
	rs_events_end(in.w);
	exec(db, "COMMIT");
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Check one JSON group against the exact sorted values. */
static void check_group(const char *json, const char *section,
			const char *name, int64_t *v, size_t n)
{
	static const char *const keys[] = { "p50_ns", "p90_ns", "p99_ns", "p999_ns" };
	static const double pct[] = { 50, 90, 99, 99.9 };
	char path[160];
	int g = jgroup(json, section, name);
	assert_true(g >= 0);
	qsort(v, n, sizeof(*v), cmp_i64);
	snprintf(path, sizeof(path), "$.%s.groups[%d].count", section, g);
	assert_int_equal(jint(json, path), n);
	snprintf(path, sizeof(path), "$.%s.groups[%d].min_ns", section, g);
	assert_int_equal(jint(json, path), v[0]);
	snprintf(path, sizeof(path), "$.%s.groups[%d].max_ns", section, g);
	assert_int_equal(jint(json, path), v[n - 1]);
	for (int k = 0; k < 4; k++) {
		/* Exact: the lowest value with at least p% at or below it. */
		size_t rank = (size_t)ceil(pct[k] / 100.0 * (double)n - 1e-9);
		int64_t want = v[rank ? rank - 1 : 0];
		snprintf(path, sizeof(path), "$.%s.groups[%d].%s", section, g, keys[k]);
		int64_t got = jint(json, path);
		if (got < want || (double)(got - want) > (double)want / 1000.0) {
			fprintf(stderr, "%s %s %s: got %lld, exact %lld\n", section,
				name, keys[k], (long long)got, (long long)want);
			fail();
		}
	}
}

static void test_report_known_distribution(void **state)
{
	char *dir = rs_tmpdir(), *out, *err;
	char *path = rs_make_trace(dir, "pingpong", 2, 0);
	struct gen *g = malloc(sizeof(*g));
	sqlite3 *db = open_rw(path);
	gen_trace(db, g);
	sqlite3_close(db);

	int rc = report(&out, &err, path, "--json", "--trace", "99", NULL);
	if (rc != 0)
		fprintf(stderr, "%s%s", out, err);
	assert_int_equal(rc, 0);
	int64_t *v = malloc(NPROM * sizeof(*v));
	for (int parity = 0; parity < 2; parity++) {
		size_t n = 0;
		for (int i = parity; i < NPROM; i += 2)
			v[n++] = g->life[i];
		check_group(out, "promise_lifetime", parity ? "beta" : "alpha", v, n);
		n = 0;
		for (int i = parity; i < NPROM; i += 2)
			if (g->wait[i] >= 0)
				v[n++] = g->wait[i];
		check_group(out, "wait_time", parity ? "beta" : "alpha", v, n);
	}
	assert_int_equal(jint(out, "$.lost.gaps"), 0);
	free(out), free(err);

	/* --from/--to: only promises created and settled inside count. */
	int64_t from = 3000000, to = 9000000;
	char sfrom[32], sto[32];
	snprintf(sfrom, sizeof(sfrom), "%lld", (long long)from);
	snprintf(sto, sizeof(sto), "%lldns", (long long)to);
	assert_int_equal(report(&out, &err, path, "--json", "--trace", "99",
				"--from", sfrom, "--to", sto, NULL), 0);
	size_t n = 0;
	for (int i = 0; i < NPROM; i += 2)
		if (g->created[i] >= from && g->created[i] + g->life[i] <= to)
			v[n++] = g->life[i];
	assert_true(n > 100);
	check_group(out, "promise_lifetime", "alpha", v, n);
	assert_int_equal(jint(out, "$.range.from_ns"), from);
	assert_int_equal(jint(out, "$.range.to_ns"), to);
	free(out), free(err);

	/* --by thread: all were created by thread 1; waits by each waiter. */
	assert_int_equal(report(&out, &err, path, "--json", "--trace", "99",
				"--by", "thread", NULL), 0);
	assert_int_equal(jint(out, "$.promise_lifetime.groups[0].count"), NPROM);
	assert_int_equal(jint(out, "$.wait_time.groups[#-1].count"), 1);
	free(out), free(err);

	/* The text report and a histogram of one group. */
	assert_int_equal(report(&out, &err, path, "--trace", "99", NULL), 0);
	assert_non_null(strstr(out, "alpha"));
	assert_non_null(strstr(out, "p99.9"));
	assert_non_null(strstr(out, "lost: nothing lost"));
	free(out), free(err);
	assert_int_equal(report(&out, &err, path, "--trace", "99", "--histogram",
				"promise_lifetime:beta", NULL), 0);
	assert_non_null(strstr(out, "|#"));
	free(out), free(err);
	assert_int_equal(report(&out, &err, path, "--trace", "99", "--histogram",
				"promise_lifetime:nosuch", NULL), 1);
	free(out), free(err);

	free(v);
	free(g);
	free(path);
	rs_tmpdir_cleanup(dir);
}

/* ---- critical path --------------------------------------------------------- */

/*
 * A: 500, resolved by B's callback (resolver 501) right after B read C;
 * C: 502, resolved from timer 9 (due at 900 ns, fired at 1000 ns);
 * D: 503, follows A (BECOMES), resolved with A as resolver.
 */
static void chain_trace(sqlite3 *db)
{
	struct ins in;
	exec(db, "BEGIN");
	add_trace(db, CHAIN_TRACE);
	exec(db, "INSERT INTO promises (trace_id, id, type, created_ns,"
		 " resolved_ns, state, label) VALUES"
		 " (98, 500, 'bind', 100, 1040, 'resolved', 'A'),"
		 " (98, 501, 'task', 110, 1050, 'resolved', 'B'),"
		 " (98, 502, 'sleep', 120, 1010, 'resolved', 'C'),"
		 " (98, 503, 'bind', 115, 1045, 'resolved', 'D');"
		 "INSERT INTO threads (trace_id, tid, name) VALUES (98, 2, 'cb')");
	ins_init(&in, db, CHAIN_TRACE);
	ev(&in, 0, 100, RS_EV_PROMISE_CREATE, 1, 500, 0, RS_PT_BIND);
	ev(&in, 0, 110, RS_EV_PROMISE_CREATE, 1, 501, 0, RS_PT_TASK);
	ev(&in, 0, 120, RS_EV_PROMISE_CREATE, 1, 502, 0, RS_PT_SLEEP);
	ev(&in, 0, 130, RS_EV_THREAD_SWITCH, 1, 1, 0, 0);
	ev(&in, 0, 1000, RS_EV_TIMER_FIRE, 0, 9, 900, 0);
	ev(&in, 0, 1010, RS_EV_PROMISE_RESOLVE, 0, 502, 0, 0);
	ev(&in, 0, 1020, RS_EV_THREAD_SWITCH, 0, 0, 2, 0);
	ev(&in, 0, 1030, RS_EV_PROMISE_READ, 2, 502, 501, 0);
	ev(&in, 0, 1040, RS_EV_PROMISE_RESOLVE, 2, 500, 501, 0);
	ev(&in, 0, 1050, RS_EV_PROMISE_RESOLVE, 2, 501, 0, 0);
	ev(&in, 1, 115, RS_EV_PROMISE_CREATE, 3, 503, 0, RS_PT_BIND);
	ev(&in, 1, 1036, RS_EV_PROMISE_BECOMES, 3, 503, 500, 0);
	ev(&in, 1, 1045, RS_EV_PROMISE_RESOLVE, 0, 503, 500, 0);
	rs_events_end(in.w);
	exec(db, "COMMIT");
}

static void test_report_critical_path(void **state)
{
	char *dir = rs_tmpdir(), *out, *err;
	char *path = rs_make_trace(dir, "pingpong", 2, 0);
	sqlite3 *db = open_rw(path);
	chain_trace(db);
	sqlite3_close(db);

	assert_int_equal(report(&out, &err, path, "--trace", "98",
				"--critical-path", "500", "--json", NULL), 0);
	assert_int_equal(jint(out, "$.steps[0].promise"), 500);
	assert_int_equal(jint(out, "$.steps[0].resolver"), 501);
	assert_int_equal(jint(out, "$.steps[0].thread"), 2);
	char *via = jtext(out, "$.steps[0].via");
	assert_string_equal(via, "read");
	free(via);
	assert_int_equal(jint(out, "$.steps[0].via_ts_ns"), 1030);
	assert_int_equal(jint(out, "$.steps[1].promise"), 502);
	assert_int_equal(jint(out, "$.steps[1].ts_ns"), 1010);
	assert_int_equal(jint(out, "$.steps[1].delta_ns"), 30);
	assert_int_equal(jint(out, "$.steps[2].promise"), -1);
	char *kind = jtext(out, "$.root.kind");
	assert_string_equal(kind, "timer");
	free(kind);
	assert_int_equal(jint(out, "$.root.id"), 9);
	assert_int_equal(jint(out, "$.root.late_ns"), 100);
	free(out), free(err);

	/* D follows A: D, then A, then C, in that order, in the text. */
	assert_int_equal(report(&out, &err, path, "--trace", "98",
				"--critical-path", "503", NULL), 0);
	char *d = strstr(out, "promise 503 \"D\""), *a = strstr(out, "promise 500 \"A\"");
	char *c = strstr(out, "promise 502 \"C\""), *t = strstr(out, "root: timer 9");
	assert_true(d && a && c && t && d < a && a < c && c < t);
	assert_non_null(strstr(out, "becomes"));
	assert_non_null(strstr(out, "its resolver 501 had read promise 502"));
	assert_non_null(strstr(out, "thread 2 (cb)"));
	free(out), free(err);

	/* An id that is nowhere: bad input, one line. */
	assert_int_equal(report(&out, &err, path, "--trace", "98",
				"--critical-path", "4242", NULL), 1);
	assert_non_null(strstr(err, "no promise 4242"));
	free(out), free(err);
	free(path);
	rs_tmpdir_cleanup(dir);
}

/* ---- bad input and usage ---------------------------------------------------- */

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* stderr is one line, with the prefix every ringside command's errors
 * carry, and names the problem. */
static void expect_error_line(const char *err, const char *needle)
{
	if (lines(err) != 1 || strncmp(err, "ringside: ", 10) != 0 ||
	    !strstr(err, needle))
		fail_msg("want one 'ringside: ' line with '%s', got '%s'",
			 needle, err);
}

static void test_report_bad_input(void **state)
{
	char *dir = rs_tmpdir(), *out, *err, *foreign, *missing;
	if (asprintf(&foreign, "%s/foreign.db", dir) < 0 ||
	    asprintf(&missing, "%s/missing.db", dir) < 0)
		abort();
	sqlite3 *db = open_rw(foreign);
	exec(db, "CREATE TABLE events (x); INSERT INTO events VALUES (1)");
	sqlite3_close(db);

	assert_int_equal(report(&out, &err, foreign, NULL), 1);
	expect_error_line(err, "not a ringside trace");
	assert_string_equal(out, "");
	free(out), free(err);

	assert_int_equal(report(&out, &err, missing, "--json", NULL), 1);
	expect_error_line(err, "cannot open");
	free(out), free(err);

	/* A text file is not SQLite at all. */
	char *cmd_out = NULL;
	rs_run(&cmd_out, 10, "echo hello > '%s/text.db'", dir);
	free(cmd_out);
	char *text;
	if (asprintf(&text, "%s/text.db", dir) < 0)
		abort();
	assert_int_equal(report(&out, &err, text, NULL), 1);
	expect_error_line(err, "not a SQLite file");
	free(out), free(err);

	/* Usage errors: 2, and one line that says what is wrong. */
	assert_int_equal(report(&out, &err, NULL), 2);
	expect_error_line(err, "missing TRACE.db");
	free(out), free(err);
	assert_int_equal(report(&out, &err, foreign, "--by", "colour", NULL), 2);
	expect_error_line(err, "'colour'");
	free(out), free(err);
	assert_int_equal(report(&out, &err, foreign, "--from", "soon", NULL), 2);
	expect_error_line(err, "--from wants a time");
	free(out), free(err);
	assert_int_equal(report(&out, &err, foreign, "--bogus", NULL), 2);
	expect_error_line(err, "'--bogus'");
	free(out), free(err);
	/* Crossed bounds name the bound, not the whole usage. */
	assert_int_equal(report(&out, &err, foreign, "--from", "5s", "--to",
				"1s", NULL), 2);
	expect_error_line(err, "--from 5s is after --to 1s");
	free(out), free(err);

	free(text);
	free(foreign);
	free(missing);
	rs_tmpdir_cleanup(dir);
}

/* ---- losses ------------------------------------------------------------------- */

static void test_report_lost_ranges(void **state)
{
	char *dir = rs_tmpdir(), *out, *err;
	char *path = rs_make_trace(dir, "pingpong", 2, 0);
	struct gen *g = malloc(sizeof(*g));
	sqlite3 *db = open_rw(path);
	gen_trace(db, g);
	/* Two gaps on two CPUs overlapping in time: 1.0-2.0 ms and
	 * 1.5-3.0 ms cover 2.0 ms together. */
	exec(db, "INSERT INTO lost (trace_id, cpu, count, from_ns, to_ns) VALUES"
		 " (99, 0, 10, 1000000, 2000000), (99, 1, 5, 1500000, 3000000)");
	sqlite3_close(db);

	assert_int_equal(report(&out, &err, path, "--json", "--trace", "99", NULL), 0);
	assert_int_equal(jint(out, "$.lost.gaps"), 2);
	assert_int_equal(jint(out, "$.lost.records"), 15);
	assert_int_equal(jint(out, "$.lost.ns"), 2000000);
	assert_int_equal(jint(out, "$.lost.incomplete"), 1);
	free(out), free(err);

	assert_int_equal(report(&out, &err, path, "--trace", "99", NULL), 0);
	char *lost = strstr(out, "LOST: 2 gaps, 15 records lost, 2.00 ms of");
	char *warn = strstr(out, "WARNING: records were lost inside this range");
	char *first = strstr(out, "promise lifetime");
	assert_true(lost && warn && first && lost < first && warn < first);
	free(out), free(err);

	/* A range after both gaps: nothing lost there, no warning. */
	assert_int_equal(report(&out, &err, path, "--trace", "99", "--from",
				"4ms", NULL), 0);
	assert_non_null(strstr(out, "lost: nothing lost in this range"));
	assert_null(strstr(out, "WARNING"));
	free(out), free(err);

	/* The histogram says it too. */
	assert_int_equal(report(&out, &err, path, "--trace", "99", "--histogram",
				"promise_lifetime:alpha", NULL), 0);
	assert_non_null(strstr(out, "WARNING"));
	free(out), free(err);
	free(g);
	free(path);

	/* A real ring that lapped its reader: the loss at the start is
	 * inside the default range, and stated. */
	char *lossy, *cmd = NULL;
	if (asprintf(&lossy, "%s/lossy.db", dir) < 0)
		abort();
	assert_int_equal(rs_run(&cmd, 60, "'%s' --workload pingpong --count 20000"
				" --ring-pages 4 --ring '%s/r' --quiet &&"
				" '%s' collect 'file:%s/r' -o '%s'",
				rs_bin("ringside-hosted"), dir, rs_bin("ringside"),
				dir, lossy), 0);
	free(cmd);
	assert_int_equal(report(&out, &err, lossy, "--json", NULL), 0);
	db = open_rw(lossy);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT sum(count) FROM lost",
					    -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_true(sqlite3_column_int64(s, 0) > 0);
	assert_int_equal(jint(out, "$.lost.records"), sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_int_equal(jint(out, "$.lost.incomplete"), 1);
	assert_true(jint(out, "$.lost.ns") > 0);
	free(out), free(err);
	free(lossy);
	rs_tmpdir_cleanup(dir);
}

/* ---- a real trace ---------------------------------------------------------------- */

static void test_report_real_fanout(void **state)
{
	char *dir = rs_tmpdir(), *out, *err;
	char *path = rs_make_trace(dir, "fanout", 5, 0);

	assert_int_equal(report(&out, &err, path, "--json", "--top", "0", NULL),
			 0);
	assert_true(jgroup(out, "promise_lifetime", "req # part #") >= 0);
	assert_true(jgroup(out, "promise_lifetime", "req # join") >= 0);

	/* Every label pattern's count equals the promises table's (resolved
	 * or failed: lifetimes end at a resolve or a fail), and no group
	 * more. The pattern here: every digit '#', then runs of '#' one. */
	sqlite3 *db = open_rw(path);
	sqlite3_stmt *s;
	char digits[512] = "coalesce(label, '(unlabelled)')";
	for (int d = 0; d < 10; d++) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "replace(%s, '%d', '#')", digits, d);
		snprintf(digits, sizeof(digits), "%s", tmp);
	}
	char sql[2048];
	snprintf(sql, sizeof(sql),
		"WITH p AS (SELECT replace(replace(replace(%s, '##', '#'), '##',"
		"  '#'), '##', '#') AS n, count(*) AS c"
		"  FROM promises WHERE trace_id = (SELECT max(id) FROM trace)"
		"  AND state IN ('resolved', 'failed') GROUP BY 1),", digits);
	assert_int_equal(sqlite3_prepare_v2(db, strcat(sql,
		" j AS (SELECT json_extract(value, '$.name') AS n,"
		"  json_extract(value, '$.count') AS c"
		"  FROM json_each(?1, '$.promise_lifetime.groups'))"
		" SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM j),"
		"  (SELECT count(*) FROM p LEFT JOIN j USING (n) WHERE j.c IS NOT p.c),"
		"  (SELECT sum(c) FROM p)"), -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, out, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_true(sqlite3_column_int(s, 0) >= 2);
	assert_int_equal(sqlite3_column_int(s, 0), sqlite3_column_int(s, 1));
	assert_int_equal(jint(out, "$.promise_lifetime.ngroups"),
			 sqlite3_column_int(s, 0));
	assert_int_equal(sqlite3_column_int(s, 2), 0);
	/* Per request 9 resolves + 4 fails, as fanout.c promises. */
	assert_int_equal(sqlite3_column_int(s, 3), 5 * 13);
	assert_int_equal(jint(out, "$.promise_lifetime.total.count"), 5 * 13);
	assert_int_equal(jint(out, "$.promise_lifetime.more_groups"), 0);
	sqlite3_finalize(s);

	/* A join's critical path ends at a root the trace explains. */
	int64_t join = -1;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM promises WHERE"
		" label = 'req 2 join'", -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		join = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_true(join > 0);
	free(out), free(err);

	char id[32];
	snprintf(id, sizeof(id), "%lld", (long long)join);
	assert_int_equal(report(&out, &err, path, "--critical-path", id, NULL), 0);
	assert_non_null(strstr(out, "req 2 join"));
	assert_non_null(strstr(out, "root: "));
	free(out), free(err);

	/* Other groupings and the text form run. */
	assert_int_equal(report(&out, &err, path, "--by", "type", NULL), 0);
	assert_non_null(strstr(out, "sleep"));
	assert_non_null(strstr(out, "timer lateness"));
	free(out), free(err);
	assert_int_equal(report(&out, &err, path, "--by", "thread", "--json", NULL), 0);
	assert_true(jgroup(out, "wake_to_run", "1") >= 0);
	free(out), free(err);

	free(path);
	rs_tmpdir_cleanup(dir);
}

/* ---- defaults: top groups with a total, how the guest ended ---------- */

/* The hosted demo's wake -> run has a group per thread (22 for 20
 * requests): --top 3 shows
 * three, says how many more, and totals them all (--top 0's groups). */
static void test_report_top_and_total(void **state)
{
	char *dir = rs_tmpdir(), *out, *err, *all, *text;
	char *path = rs_make_trace(dir, "demo", 20, 0);

	assert_int_equal(report(&all, &err, path, "--json", "--top", "0", NULL), 0);
	free(err);
	sqlite3 *db = mem_db();
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*), sum(json_extract("
		"value, '$.count')) FROM json_each(?1, '$.wake_to_run.groups')",
		-1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, all, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t groups = sqlite3_column_int64(s, 0), samples = sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_true(groups > 10 && samples > groups);
	assert_int_equal(jint(all, "$.wake_to_run.more_groups"), 0);
	assert_int_equal(report(&out, &err, path, "--json", "--top", "3", NULL), 0);
	assert_int_equal(jint(out, "$.wake_to_run.ngroups"), groups);
	assert_int_equal(jint(out, "$.wake_to_run.more_groups"), groups - 3);
	assert_int_equal(jint(out, "$.wake_to_run.total.count"), samples);
	assert_int_equal(jint(out, "$.wake_to_run.groups[3].count"), -1);
	/* The three shown have the most samples. */
	assert_true(jint(out, "$.wake_to_run.groups[2].count") >=
		    jint(all, "$.wake_to_run.groups[3].count"));
	free(out), free(err);
	/* Text: the default 10, the rest in one line, then the total. */
	assert_int_equal(report(&text, &err, path, NULL), 0);
	char want[128];
	snprintf(want, sizeof(want), "  (%lld more groups; --top 0 shows all)\n"
		 "  %-12s %9lld ", (long long)groups - 10, "(total)",
		 (long long)samples);
	char *at = strstr(text, "wake -> run latency, by thread");
	assert_non_null(at);
	if (!strstr(at, "(total)") || !strstr(at, want))
		fail_msg("want \"%s\" in:\n%s", want, at);
	free(text), free(err), free(all);
	free(path);
	rs_tmpdir_cleanup(dir);
}

/* A crashed guest's report starts with its panic, as the trace row has
 * it; a guest that exited has none. */
static void test_report_starts_with_panic(void **state)
{
	char *dir = rs_tmpdir(), *out, *err, want[512];
	char *path = rs_make_trace(dir, "crash", 20, 134);
	sqlite3 *db = open_rw(path);
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT panic_reason, printf("
		"'0x%x', panic_rip), panic_cpu, panic_ts_ns FROM trace", -1, &s,
		NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	const char *reason = (const char *)sqlite3_column_text(s, 0);
	assert_non_null(strstr(reason, "deliberate panic"));
	snprintf(want, sizeof(want), "PANIC: %s\n  at rip %s, cpu %d, ", reason,
		 sqlite3_column_text(s, 1), sqlite3_column_int(s, 2));
	assert_int_equal(report(&out, &err, path, NULL), 0);
	if (strncmp(out, want, strlen(want)) != 0)
		fail_msg("want the report to start with \"%s\":\n%s", want, out);
	free(out), free(err);
	assert_int_equal(report(&out, &err, path, "--json", NULL), 0);
	char *r = jtext(out, "$.panic.reason"), *rip = jtext(out, "$.panic.rip");
	assert_string_equal(r, reason);
	assert_string_equal(rip, (const char *)sqlite3_column_text(s, 1));
	assert_int_equal(jint(out, "$.panic.ts_ns"), sqlite3_column_int64(s, 3));
	assert_int_equal(jint(out, "$.panic.cpu"), sqlite3_column_int64(s, 2));
	assert_int_equal(jint(out, "$.deadlock"), -1);
	free(r), free(rip), free(out), free(err);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(path);
	path = rs_make_trace(dir, "fanout", 2, 0);
	assert_int_equal(report(&out, &err, path, "--json", NULL), 0);
	assert_non_null(strstr(out, "\"panic\":null,\n\"deadlock\":null,\n"));
	free(out), free(err);
	assert_int_equal(report(&out, &err, path, NULL), 0);
	assert_int_equal(strncmp(out, "trace 1: ", 9), 0);
	free(out), free(err);
	free(path);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(report,
	cmocka_unit_test(test_report_known_distribution),
	cmocka_unit_test(test_report_critical_path),
	cmocka_unit_test(test_report_bad_input),
	cmocka_unit_test(test_report_lost_ranges),
	cmocka_unit_test(test_report_real_fanout),
	cmocka_unit_test(test_report_top_and_total),
	cmocka_unit_test(test_report_starts_with_panic))
