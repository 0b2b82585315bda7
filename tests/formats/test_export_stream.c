/*
 * test_export_stream.c - the Chrome and FXT exports stream: their peak
 * memory does not grow with the trace (formats/interchange/README.md:
 * nothing is held per event, the flows' join goes through a temporary
 * SQLite table).
 *
 * Two traces, one four times the other, made of units that exercise
 * everything an export might be tempted to keep per event: two promises
 * (durations) on two threads, a flow between them (a read), both settled,
 * and a counter sample. They are written here as FXT byte by byte and
 * stored by `ringside import fxt:`. Each export runs as a child of this
 * process and its peak RSS is read from wait4(): the larger trace may
 * cost only a few MiB more (SQLite's caches filling), where keeping even
 * 16 bytes per event would cost tens.
 *
 * Under AddressSanitizer the figure means nothing (freed memory waits in
 * its quarantine): the exports still run, the bound is not checked.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define CHECK_RSS 0
#else
#define CHECK_RSS 1
#endif

#define SMALL_UNITS 25000            /* 8 events each: 200 000 events */
#define EVENTS_PER_UNIT 8
#define GROWTH_LIMIT_KB (6 * 1024)   /* for 600 000 more events */

static void put(FILE *f, uint64_t v)
{
	assert_int_equal(fwrite(&v, 8, 1, f), 1);
}

static void put_string(FILE *f, unsigned idx, const char *s)
{
	const size_t len = strlen(s), words = (len + 7) / 8;
	char pad[16] = { 0 };
	put(f, 2 | (1 + words) << 4 | (uint64_t)idx << 16 | (uint64_t)len << 32);
	memcpy(pad, s, len);
	assert_int_equal(fwrite(pad, 8, words, f), words);
}

/* An event record's header (FXT: type 4). */
static uint64_t ev(unsigned words, unsigned etype, unsigned nargs,
		   unsigned thread, unsigned name)
{
	return 4 | (uint64_t)words << 4 | (uint64_t)etype << 16 |
	       (uint64_t)nargs << 20 | (uint64_t)thread << 24 |
	       (uint64_t)1 << 32 | (uint64_t)name << 48;   /* category 1 */
}

enum { BEGIN = 2, END = 3, COUNTER = 1, FLOW_BEGIN = 8, FLOW_END = 10 };

/* `units` units, each 1 us long, in an FXT file at `path`. */
static void write_trace(const char *path, unsigned units)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	put(f, 0x0016547846040010ull);               /* magic */
	put(f, 1 | 2 << 4);                          /* 10^9 ticks/s */
	put(f, 1000000000);
	put_string(f, 1, "work");
	put_string(f, 2, "job");
	put_string(f, 3, "value");
	put(f, 3 | 3 << 4 | 1 << 16), put(f, 1), put(f, 7);  /* thread 1 */
	put(f, 3 | 3 << 4 | 2 << 16), put(f, 1), put(f, 8);  /* thread 2 */
	for (uint64_t i = 0; i < units; i++) {
		const uint64_t t = 1000 + 1000 * i;
		/* job A on thread 1, a flow leaving it, job B on 2 reads A */
		put(f, ev(2, BEGIN, 0, 1, 2)), put(f, t);
		put(f, ev(3, FLOW_BEGIN, 0, 1, 2)), put(f, t + 10), put(f, i + 1);
		put(f, ev(2, END, 0, 1, 2)), put(f, t + 100);
		put(f, ev(2, BEGIN, 0, 2, 2)), put(f, t + 200);
		put(f, ev(3, FLOW_END, 0, 2, 2)), put(f, t + 210), put(f, i + 1);
		put(f, ev(2, END, 0, 2, 2)), put(f, t + 300);
		/* a counter sample: value (uint64) = i, counter id 1 */
		put(f, ev(5, COUNTER, 1, 1, 3)), put(f, t + 400);
		put(f, 4 | 2 << 4 | 3 << 16), put(f, i), put(f, 1);
	}
	assert_int_equal(fclose(f), 0);
}

/* A trace of `units` units as a database in `dir`; returns its path. */
static char *make_db(const char *dir, const char *name, unsigned units)
{
	char *fxt, *db, *out = NULL;
	assert_true(asprintf(&fxt, "%s/%s.fxt", dir, name) > 0);
	assert_true(asprintf(&db, "%s/%s.db", dir, name) > 0);
	write_trace(fxt, units);
	if (rs_run(&out, 120, "'%s' import 'fxt:%s' -o '%s'", rs_bin("ringside"),
		   fxt, db) != 0)
		fail_msg("import: %s", out);
	free(out);
	/* Every unit is all its events (nothing merged or dropped). */
	sqlite3 *d;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(d, "SELECT sum(count) FROM"
					    " type_counts", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(s, 0),
			 (int64_t)units * EVENTS_PER_UNIT);
	sqlite3_finalize(s);
	sqlite3_close(d);
	unlink(fxt);
	free(fxt);
	return db;
}

/* Runs `ringside export ARGS... DB` (output to /dev/null) as a child;
 * returns its peak RSS in KiB. */
static long export_rss(const char *db, const char *a1, const char *a2,
		       const char *a3)
{
	const char *argv[] = { rs_bin("ringside"), "export", a1, a2, a3, db,
			       NULL };
	if (!a3)   /* two arguments: the database comes third */
		argv[4] = db, argv[5] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status;
	struct rusage ru;
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("export %s %s: status 0x%x", a1, a2, status);
	return ru.ru_maxrss;
}

static void test_export_memory_flat(void **state)
{
	char *dir = rs_tmpdir();
	char *small = make_db(dir, "small", SMALL_UNITS);
	char *big = make_db(dir, "big", 4 * SMALL_UNITS);

	static const char *const how[][3] = {
		{ "--chrome", "/dev/null", NULL },
		{ "--fxt", "-o", "/dev/null" },
	};
	for (size_t i = 0; i < sizeof(how) / sizeof(how[0]); i++) {
		const long s = export_rss(small, how[i][0], how[i][1], how[i][2]);
		const long b = export_rss(big, how[i][0], how[i][1], how[i][2]);
		print_message("export %s: peak RSS %ld KiB for %d events, %ld KiB"
			      " for %d\n", how[i][0], s,
			      SMALL_UNITS * EVENTS_PER_UNIT, b,
			      4 * SMALL_UNITS * EVENTS_PER_UNIT);
		if (CHECK_RSS && b - s > GROWTH_LIMIT_KB)
			fail_msg("export %s holds what grows with the trace:"
				 " %ld KiB more for 4x the events", how[i][0],
				 b - s);
	}
	free(small);
	free(big);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(export_stream,
	cmocka_unit_test(test_export_memory_flat))
