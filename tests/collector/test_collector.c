/*
 * test_collector.c - the `ringside` CLI as a user runs it: real ring files
 * written by the real guest-trace writer, the real binary, the real
 * database. Each bad-input test corrupts exactly one thing, so it fails if
 * the check for that one thing is removed; each asserts the exit status,
 * that stderr is one line, and that no database was created or touched.
 *
 * Records written here carry a = their own index, so counts can be checked
 * exactly: accepted + lost must equal what was written.
 *
 * This file holds the one-shot collects and bad inputs, plus the helpers
 * every collector-facing test shares (test_collector.h); following a live
 * writer and the hosted-kernel end-to-end runs are in
 * test_collector_live.c.
 */
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_trace.h"
#include "rs_decode.h"
#include "test_collector.h"


/* ---- fixtures ---------------------------------------------------------- */

char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

/* Map (creating or resizing) a ring file for writing, as a guest would. */
struct rs_header *map_file(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(p != MAP_FAILED);
	return p;
}

void init_region(struct rs_header *h, size_t size, uint32_t ncpus,
			uint32_t mode, uint64_t nonce)
{
	struct gt_config cfg = {
		.region_gpa = 0, .region_size = size, .ncpus = ncpus,
		.mode = mode, .nonce = nonce, .tsc_hz = 2000000000ull,
		.boot_tsc = gt_rdtsc(),
	};
	assert_int_equal(gt_region_init(h, &cfg), 0);
	gt_set_state(h, RS_STATE_RUNNING);
}

/* Events [from, to): a fixed mix of types, spread over the CPUs. Returns
 * how many of each type it wrote into counts[] (if given). */
void emit_range(struct rs_header *h, uint32_t ncpus, uint64_t from,
		       uint64_t to, uint64_t counts[RS_EV_TYPE_LIMIT])
{
	for (uint64_t i = from; i < to; i++) {
		unsigned cpu = (unsigned)(i % ncpus);
		uint16_t type;
		switch (i % 4) {
		case 0:
			type = RS_EV_PROMISE_CREATE;
			gt_emit(h, cpu, type, 1, RS_EV_NARGS(PROMISE_CREATE), i,
				0, RS_PT_TASK);
			break;
		case 1:
			type = RS_EV_PROMISE_RESOLVE;
			gt_emit(h, cpu, type, 1, RS_EV_NARGS(PROMISE_RESOLVE),
				i - 1, 1, 0);
			break;
		case 2:
			type = RS_EV_COUNTER;
			gt_emit_str(h, cpu, type, 1, RS_EV_NARGS(COUNTER), i, 0,
				    "queue");
			break;
		default:
			type = RS_EV_THREAD_SWITCH;
			gt_emit(h, cpu, type, 1, RS_EV_NARGS(THREAD_SWITCH), 1, 2,
				0);
			break;
		}
		if (counts)
			counts[type]++;
	}
}

/* A complete, valid ring file holding `n` events and the given state. */
char *make_ring(const char *dir, const char *name, size_t size,
		       uint32_t ncpus, uint64_t n, uint32_t state)
{
	char *path = path_in(dir, name);
	struct rs_header *h = map_file(path, size);

	init_region(h, size, ncpus, RS_MODE_OVERWRITE, 0xfeedf00d0000ull + n);
	emit_range(h, ncpus, 0, n, NULL);
	gt_set_state(h, state);
	munmap(h, size);
	return path;
}

static void patch(const char *path, off_t off, const void *val, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, val, len, off), (ssize_t)len);
	close(fd);
}

static void patch_u64(const char *path, size_t off, uint64_t v)
{
	patch(path, (off_t)off, &v, sizeof(v));
}

static void patch_u32(const char *path, size_t off, uint32_t v)
{
	patch(path, (off_t)off, &v, sizeof(v));
}

#define CPU_FIELD(i, f) (offsetof(struct rs_header, cpu) + \
			 (i) * sizeof(struct rs_cpu_ring) + \
			 offsetof(struct rs_cpu_ring, f))

int exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* stderr holds exactly one non-empty line that names the program. */
void assert_one_line(const char *out)
{
	assert_non_null(out);
	size_t len = strlen(out);
	if (len == 0 || out[len - 1] != '\n' || strchr(out, '\n') != out + len - 1)
		fail_msg("expected one line on stderr, got: '%s'", out);
	assert_true(strncmp(out, "ringside: ", 10) == 0);
}

/*
 * Run `ringside collect SRC -o DB` on a bad ring and check the contract:
 * exit 1, one line on stderr mentioning `needle`, no database created.
 */
static void expect_rejected(const char *dir, const char *ring,
			    const char *needle)
{
	char *db = path_in(dir, "rejected.db"), *out = NULL;
	int rc = rs_run(&out, 30, "'%s' collect 'file:%s' -o '%s' >/dev/null",
			rs_bin("ringside"), ring, db);

	if (rc != 1 || (needle && !strstr(out, needle)))
		fail_msg("ring %s: exit %d (want 1), message '%s' (want '%s')",
			 ring, rc, out, needle ? needle : "");
	assert_one_line(out);
	assert_false(exists(db));
	free(out);
	free(db);
}

int64_t sql_int(const char *db, const char *sql)
{
	sqlite3 *d;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(d, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(d);
	return v;
}

/* A number from `ringside info --json` output; INT64_MIN if absent/null. */
int64_t json_int(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(json, pat);
	if (!p || strncmp(p + strlen(pat), "null", 4) == 0)
		return INT64_MIN;
	return strtoll(p + strlen(pat), NULL, 10);
}

int json_has(const char *json, const char *key, const char *raw)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "\"%s\": %s", key, raw);
	return strstr(json, pat) != NULL;
}

char *info_json(const char *db)
{
	char *out = NULL;
	int rc = rs_run(&out, 30, "'%s' info '%s' --json 2>/dev/null",
			rs_bin("ringside"), db);
	if (rc != 0)
		fail_msg("info --json %s: exit %d: %s", db, rc, out);
	return out;
}

int collect(const char *ring, const char *db, const char *extra,
		   char **out)
{
	return rs_run(out, 60, "'%s' collect 'file:%s' -o '%s' %s 2>&1 >/dev/null",
		      rs_bin("ringside"), ring, db, extra ? extra : "");
}

char *write_bytes(const char *dir, const char *name, const uint8_t *bytes,
		  size_t len)
{
	char *path = path_in(dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	fclose(f);
	return path;
}

int collect_core_file(const char *core, const char *db, char **out)
{
	return rs_run(out, 60, "'%s' collect 'core:%s' -o '%s' 2>&1 >/dev/null",
		      rs_bin("ringside"), core, db);
}

/* ---- bad rings: one lie at a time ---------------------------------------- */


static void bad_ring_case(size_t off, uint64_t v, int is32, uint32_t ncpus,
			  const char *needle)
{
	char *dir = rs_tmpdir();
	char *ring = make_ring(dir, "ring", RING_SIZE, ncpus, 100, RS_STATE_EXITED);

	/* The unmodified ring is accepted: the failure below is the patch. */
	char *okdb = path_in(dir, "ok.db"), *out = NULL;
	assert_int_equal(collect(ring, okdb, NULL, &out), 0);
	free(out);
	if (is32)
		patch_u32(ring, off, (uint32_t)v);
	else
		patch_u64(ring, off, v);
	expect_rejected(dir, ring, needle);
	free(okdb);
	free(ring);
	rs_tmpdir_cleanup(dir);
}


static void test_bad_data_offset_outside_file(void **state)
{
	bad_ring_case(CPU_FIELD(0, data_offset), 64ull * MiB, 0, 1, "outside");
}

static void test_bad_data_offset_unaligned(void **state)
{
	bad_ring_case(CPU_FIELD(0, data_offset), RS_HEADER_SIZE + 8, 0, 1,
		      "offset");
}

static void test_bad_data_size_not_pow2(void **state)
{
	bad_ring_case(CPU_FIELD(0, data_size), 3 * RS_PAGE_SIZE, 0, 1,
		      "power of two");
}

static void test_bad_data_size_larger_than_file(void **state)
{
	bad_ring_case(CPU_FIELD(0, data_size), 1ull << 40, 0, 1, "outside");
}

static void test_bad_chunk_bigger_than_ring(void **state)
{
	/* 2 CPUs in 256 KiB: 64 KiB rings; a 64 KiB chunk is > half a ring
	 * (and over the 32 KiB maximum). */
	bad_ring_case(CPU_FIELD(1, chunk_size), 65536, 1, 2, "chunk");
}

static void test_bad_chunk_half_ring_limit(void **state)
{
	/* A power of two within the 32 KiB maximum, but > half of a 16 KiB
	 * ring: only the "at least two chunks" rule rejects it. */
	char *dir = rs_tmpdir();
	char *ring = make_ring(dir, "ring", RS_HEADER_SIZE + 4 * 16384, 4, 10,
			       RS_STATE_EXITED);
	patch_u32(ring, CPU_FIELD(2, chunk_size), 16384);
	expect_rejected(dir, ring, "chunk");
	free(ring);
	rs_tmpdir_cleanup(dir);
}

static void test_bad_ncpus_zero(void **state)
{
	bad_ring_case(offsetof(struct rs_header, ncpus), 0, 1, 1, "CPU");
}

static void test_bad_ncpus_too_many(void **state)
{
	bad_ring_case(offsetof(struct rs_header, ncpus), RS_MAX_CPUS + 1, 1, 1,
		      "CPU");
}

static void test_bad_overlapping_rings(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = make_ring(dir, "ring", RING_SIZE, 2, 10, RS_STATE_EXITED);
	patch_u64(ring, CPU_FIELD(1, data_offset), RS_HEADER_SIZE);
	expect_rejected(dir, ring, "overlap");
	free(ring);
	rs_tmpdir_cleanup(dir);
}

static void test_bad_region_size_larger_than_file(void **state)
{
	bad_ring_case(offsetof(struct rs_header, region_size), 2ull * RING_SIZE,
		      0, 1, "region");
}

static void test_bad_abi_version(void **state)
{
	bad_ring_case(offsetof(struct rs_header, abi_version), RS_ABI_VERSION + 1,
		      1, 1, "ABI");
}

static void test_bad_truncated_file(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = make_ring(dir, "ring", RING_SIZE, 2, 1000, RS_STATE_EXITED);

	/* Cut inside the rings: the header's sizes now exceed the file. */
	assert_int_equal(truncate(ring, RING_SIZE / 2), 0);
	expect_rejected(dir, ring, "region");
	/* Cut inside the header itself. */
	assert_int_equal(truncate(ring, RS_HEADER_SIZE / 2), 0);
	expect_rejected(dir, ring, NULL);
	free(ring);
	rs_tmpdir_cleanup(dir);
}

static void test_bad_empty_file(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "empty");
	close(open(ring, O_WRONLY | O_CREAT, 0644));
	expect_rejected(dir, ring, "empty");
	free(ring);
	rs_tmpdir_cleanup(dir);
}

static void test_bad_random_bytes(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "random");
	size_t n = 64 * 1024;
	uint8_t *buf = malloc(n);
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	int fd = open(ring, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
	expect_rejected(dir, ring, NULL);
	free(buf);
	free(ring);
	rs_tmpdir_cleanup(dir);
}

static void test_bad_missing_file(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "nonexistent");
	expect_rejected(dir, ring, "No such file");
	free(ring);
	rs_tmpdir_cleanup(dir);
}

/* ---- databases that are not ours ----------------------------------------- */

static void expect_db_untouched(const char *dir, const char *db)
{
	char *ring = make_ring(dir, "ring", RING_SIZE, 1, 100, RS_STATE_EXITED);
	size_t len_before, len_after;
	char *before = rs_read_file(db, &len_before), *out = NULL;

	assert_non_null(before);
	int rc = collect(ring, db, NULL, &out);
	if (rc != 1)
		fail_msg("collect into foreign %s: exit %d: %s", db, rc, out);
	assert_one_line(out);
	assert_non_null(strstr(out, "not a ringside"));
	free(out);

	rc = rs_run(&out, 30, "'%s' info '%s' 2>&1 >/dev/null", rs_bin("ringside"), db);
	assert_int_equal(rc, 1);
	assert_one_line(out);
	free(out);

	char *after = rs_read_file(db, &len_after);
	assert_non_null(after);
	assert_int_equal(len_before, len_after);
	assert_memory_equal(before, after, len_before);
	free(before);
	free(after);
	free(ring);
}

static void test_foreign_sqlite_untouched(void **state)
{
	char *dir = rs_tmpdir();
	char *db = path_in(dir, "foreign.db");
	sqlite3 *d;

	assert_int_equal(sqlite3_open(db, &d), SQLITE_OK);
	assert_int_equal(sqlite3_exec(d, "CREATE TABLE events (x); "
				      "INSERT INTO events VALUES (42);",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(d);
	expect_db_untouched(dir, db);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_foreign_text_file_untouched(void **state)
{
	char *dir = rs_tmpdir();
	char *db = path_in(dir, "notes.txt");
	FILE *f = fopen(db, "w");

	assert_non_null(f);
	for (int i = 0; i < 50; i++)
		fprintf(f, "line %d of somebody's precious notes\n", i);
	fclose(f);
	expect_db_untouched(dir, db);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_info_missing_db(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *db = path_in(dir, "none.db");
	int rc = rs_run(&out, 30, "'%s' info '%s' 2>&1 >/dev/null",
			rs_bin("ringside"), db);
	assert_int_equal(rc, 1);
	assert_one_line(out);
	assert_false(exists(db));
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/*
 * Ours, but another process holds SQLite's lock on the whole file (here
 * the test, in exclusive locking mode): `info` and `collect` say the database is busy once the
 * busy timeout (rs_db.h: 2 s reading, 5 s writing) runs out, not that it is "not a SQLite
 * database". 60 s is 12x the longer timeout, for a slow, loaded host.
 */
static void test_locked_db_is_busy(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = make_ring(dir, "ring", RING_SIZE, 1, 100, RS_STATE_EXITED);
	char *db = path_in(dir, "t.db");
	sqlite3 *lock;

	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	assert_int_equal(sqlite3_open(db, &lock), SQLITE_OK);
	/* The store is in WAL mode, where a write transaction does not stop
	 * readers; exclusive locking mode takes the whole file. */
	assert_int_equal(sqlite3_exec(lock, "PRAGMA locking_mode = EXCLUSIVE;"
				      " BEGIN EXCLUSIVE", NULL, NULL, NULL),
			 SQLITE_OK);
	int rc = rs_run(&out, 60, "'%s' info '%s' 2>&1 >/dev/null",
			rs_bin("ringside"), db);
	if (rc != 1 || !strstr(out, "database is busy"))
		fail_msg("info on a locked database: exit %d: %s", rc, out);
	assert_one_line(out);
	free(out);
	rc = rs_run(&out, 60, "'%s' collect 'file:%s' -o '%s' 2>&1 >/dev/null",
		    rs_bin("ringside"), ring, db);
	if (rc != 1 || !strstr(out, "database is busy"))
		fail_msg("collect into a locked database: exit %d: %s", rc, out);
	assert_one_line(out);
	free(out);
	sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(lock);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* ---- usage errors -------------------------------------------------------- */

static void test_usage_errors(void **state)
{
	static const char *const cases[] = {
		"",
		"frobnicate",
		"collect",
		"collect file:/nonexistent",          /* no -o */
		"collect -o x.db",                     /* no source */
		"collect nosuchkind:/x -o x.db",
		"collect file:/x -o x.db --poll-ms 0",
		"collect file:/x -o x.db --hang-secs abc",
		"collect file:/x -o x.db --bogus",
		"collect file:/x file:/y -o x.db",
		"info",
		"info a.db b.db",
		"info a.db --trace zero",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		int rc = rs_run(&out, 30, "'%s' %s 2>&1 >/dev/null",
				rs_bin("ringside"), cases[i]);
		if (rc != 2)
			fail_msg("'ringside %s': exit %d (want 2): %s", cases[i],
				 rc, out);
		assert_one_line(out);
		free(out);
	}
}

/* ---- collecting ---------------------------------------------------------- */

static void test_collect_twice_no_duplicates(void **state)
{
	char *dir = rs_tmpdir();
	const uint64_t n = 20000;
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db");
	uint64_t counts[RS_EV_TYPE_LIMIT] = { 0 };
	struct rs_header *h = map_file(ring, 4 * MiB);
	char *out = NULL;

	init_region(h, 4 * MiB, 3, RS_MODE_OVERWRITE, 0xabcdef);
	gt_emit_str(h, 0, RS_EV_THREAD_CREATE, 0, RS_EV_NARGS(THREAD_CREATE),
		    7, 0, "worker");
	counts[RS_EV_THREAD_CREATE]++;
	emit_range(h, 3, 0, n, counts);
	gt_emit(h, 1, RS_EV_THREAD_EXIT, 7, RS_EV_NARGS(THREAD_EXIT), 7, 0, 0);
	counts[RS_EV_THREAD_EXIT]++;
	gt_set_state(h, RS_STATE_EXITED);

	assert_int_equal(collect(ring, db, NULL, &out), 0);
	assert_one_line(out);
	free(out);
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	assert_non_null(strstr(out, " 0 events stored"));
	free(out);

	const int64_t total = (int64_t)n + 2;
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"), total);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM trace"), 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM lost"), 0);
	assert_int_equal(sql_int(db, "SELECT sum(accepted) FROM trace_cpu"), total);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM promises WHERE state = 'resolved'"),
			 (int64_t)n / 4);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM counters WHERE name = 'queue'"),
			 (int64_t)n / 4);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM threads WHERE name = 'worker'"
				 " AND exited_ns IS NOT NULL"), 1);
	assert_int_equal(sql_int(db, "PRAGMA application_id"), 0x52534442);
	/* Every promise_create's id survives exactly (a = index). */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events WHERE type = 16"
				 " AND a % 4 <> 0"), 0);

	char *js = info_json(db);
	assert_int_equal(json_int(js, "events"), total);
	assert_int_equal(json_int(js, "lost_events"), 0);
	assert_int_equal(json_int(js, "threads"), 1);
	assert_int_equal(json_int(js, "promises"), (int64_t)n / 4);
	assert_int_equal(json_int(js, "cpus"), 3);
	assert_int_equal(json_int(js, "tsc_hz"), 2000000000);
	assert_true(json_int(js, "first_ts_ns") >= 0);
	assert_true(json_int(js, "last_ts_ns") >= json_int(js, "first_ts_ns"));
	assert_true(json_has(js, "guest_state", "\"exited\""));
	assert_true(json_has(js, "panic_reason", "null"));
	assert_non_null(strstr(js, "\"source\": \"file:"));
	for (int t = 0; t < RS_EV_TYPE_LIMIT; t++) {
		if (!counts[t])
			continue;
		char key[64];
		snprintf(key, sizeof(key), "%s", rs_event_name((uint16_t)t));
		assert_int_equal(json_int(js, key), (int64_t)counts[t]);
	}
	free(js);

	/* The text form is there too, and names the state. */
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s'", rs_bin("ringside"), db), 0);
	assert_non_null(strstr(out, "exited"));
	free(out);

	munmap(h, 4 * MiB);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A second collect resumes: it stores only what is new, and does not
 * report an old loss again. */
static void test_collect_resumes_and_counts_losses(void **state)
{
	char *dir = rs_tmpdir();
	const size_t size = RS_HEADER_SIZE + 2 * 16384;  /* 16 KiB ring */
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db"), *out = NULL;
	struct rs_header *h = map_file(ring, size);

	init_region(h, size, 1, RS_MODE_OVERWRITE, 77);
	emit_range(h, 1, 0, 5000, NULL);  /* far more than 16 KiB holds */
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	int64_t acc1 = sql_int(db, "SELECT accepted FROM trace_cpu");
	int64_t lost1 = sql_int(db, "SELECT lost FROM trace_cpu");
	assert_true(lost1 > 0);
	assert_int_equal(acc1 + lost1, 5000);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"), acc1);
	assert_int_equal(sql_int(db, "SELECT sum(count) FROM lost"), lost1);

	/* Nothing new: nothing stored, no new gap. */
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	assert_int_equal(sql_int(db, "SELECT sum(count) FROM lost"), lost1);

	/* A few more, fewer than the ring holds: all arrive, no loss. */
	emit_range(h, 1, 5000, 5100, NULL);
	gt_set_state(h, RS_STATE_EXITED);
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"), acc1 + 100);
	assert_int_equal(sql_int(db, "SELECT sum(count) FROM lost"), lost1);
	assert_int_equal(sql_int(db, "SELECT accepted + lost FROM trace_cpu"), 5100);
	assert_int_equal(sql_int(db, "SELECT max(seq) FROM events"), 5099);

	char *js = info_json(db);
	assert_int_equal(json_int(js, "lost_events"), lost1);
	assert_int_equal(json_int(js, "events"), acc1 + 100);
	free(js);

	munmap(h, size);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_discard_mode_losses(void **state)
{
	char *dir = rs_tmpdir();
	const size_t size = RS_HEADER_SIZE + 2 * 16384;
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db"), *out = NULL;
	struct rs_header *h = map_file(ring, size);

	init_region(h, size, 2, RS_MODE_DISCARD, 78);
	emit_range(h, 2, 0, 4000, NULL);
	gt_set_state(h, RS_STATE_EXITED);
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	int64_t stored = sql_int(db, "SELECT count(*) FROM events");
	int64_t lost = sql_int(db, "SELECT sum(count) FROM lost");
	assert_true(lost > 0);
	assert_int_equal(stored + lost, 4000);
	/* Discard keeps the oldest. */
	assert_int_equal(sql_int(db, "SELECT min(a) FROM events WHERE type = 16"), 0);
	munmap(h, size);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_crash_panic_recorded(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db"), *out = NULL;
	struct rs_header *h = map_file(ring, RING_SIZE);

	init_region(h, RING_SIZE, 1, RS_MODE_OVERWRITE, 79);
	emit_range(h, 1, 0, 10, NULL);
	struct rs_panic *p = gt_panic_begin(h);
	assert_non_null(p);
	strcpy(p->reason, "page fault at \"0xdead\"");
	p->vector = 14;
	p->error_code = 2;
	p->fault_addr = 0xdead;
	p->regs[RS_REG_RIP] = 0xffffffff81234567ull;
	p->regs[RS_REG_RSP] = 0x7000;
	p->backtrace_len = 2;
	p->backtrace[0] = 0x101000;
	p->backtrace[1] = 0x102000;
	gt_panic_commit(h, p);

	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	char *js = info_json(db);
	assert_true(json_has(js, "guest_state", "\"crashed\""));
	assert_true(json_has(js, "panic_reason", "\"page fault at \\\"0xdead\\\"\""));
	assert_true(json_has(js, "panic_rip", "\"0xffffffff81234567\""));
	assert_true(json_has(js, "panic_vector", "14"));
	free(js);
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s'", rs_bin("ringside"), db), 0);
	assert_non_null(strstr(out, "page fault"));
	assert_non_null(strstr(out, "0xffffffff81234567"));
	assert_non_null(strstr(out, "rsp=0x7000"));
	free(out);
	munmap(h, RING_SIZE);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(collector,
	cmocka_unit_test(test_bad_data_offset_outside_file),
	cmocka_unit_test(test_bad_data_offset_unaligned),
	cmocka_unit_test(test_bad_data_size_not_pow2),
	cmocka_unit_test(test_bad_data_size_larger_than_file),
	cmocka_unit_test(test_bad_chunk_bigger_than_ring),
	cmocka_unit_test(test_bad_chunk_half_ring_limit),
	cmocka_unit_test(test_bad_ncpus_zero),
	cmocka_unit_test(test_bad_ncpus_too_many),
	cmocka_unit_test(test_bad_overlapping_rings),
	cmocka_unit_test(test_bad_region_size_larger_than_file),
	cmocka_unit_test(test_bad_abi_version),
	cmocka_unit_test(test_bad_truncated_file),
	cmocka_unit_test(test_bad_empty_file),
	cmocka_unit_test(test_bad_random_bytes),
	cmocka_unit_test(test_bad_missing_file),
	cmocka_unit_test(test_foreign_sqlite_untouched),
	cmocka_unit_test(test_foreign_text_file_untouched),
	cmocka_unit_test(test_info_missing_db),
	cmocka_unit_test(test_locked_db_is_busy),
	cmocka_unit_test(test_usage_errors),
	cmocka_unit_test(test_collect_twice_no_duplicates),
	cmocka_unit_test(test_collect_resumes_and_counts_losses),
	cmocka_unit_test(test_discard_mode_losses),
	cmocka_unit_test(test_crash_panic_recorded))
