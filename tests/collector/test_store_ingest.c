/*
 * test_store_ingest.c - the collector's ingest (collector/store_ingest.c)
 * called directly: records written by guest-trace's writer into a ring in
 * memory, read back by the one decoder, and handed to rs_store_event in
 * batches, without a `ringside` process. What it checks is what the
 * binaries' tests only see from outside: promise rows merged over a batch
 * whatever the order of their events (and over batches), every 64-bit id
 * kept (0 and UINT64_MAX too), duplicates skipped, a rollback forgotten,
 * a small chunk extended by the next batch.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../collector/store.h"
#include "guest_trace.h"
#include "rs_decode.h"

#define RING_BYTES (4u << 20)

struct ring {
	struct rs_header *h;
	struct rs_layout l;
};

static void ring_new(struct ring *r, unsigned ncpus)
{
	struct gt_config cfg = {
		.region_size = RING_BYTES, .ncpus = ncpus, .tsc_hz = 1000000000,
		.boot_tsc = 1, .nonce = 0x5107e, .region_gpa = 0x100000,
	};
	r->h = aligned_alloc(RS_PAGE_SIZE, RING_BYTES);
	assert_non_null(r->h);
	assert_int_equal(gt_region_init(r->h, &cfg), 0);
}

static void ring_free(struct ring *r)
{
	free(r->h);
}

static int store_cb(void *opaque, const struct rs_event *ev)
{
	return rs_store_event(opaque, ev);
}

/* Read the ring from its start into `st`, in one batch (commit or
 * rollback); the layout is read once, on the first call. */
static void ingest(struct ring *r, struct rs_store *st, int commit)
{
	struct rs_reader rd;
	char err[160];

	assert_int_equal(rs_layout_read(r->h, RING_BYTES, RS_GPA_ANY, &r->l, err,
					sizeof(err)), 0);
	assert_int_equal(rs_reader_init(&rd, r->h, RING_BYTES, &r->l), 0);
	assert_int_equal(rs_store_begin(st), 0);
	assert_true(rs_reader_poll(&rd, store_cb, st) >= 0);
	if (commit)
		assert_int_equal(rs_store_commit(st), 0);
	else
		rs_store_rollback(st);
	rs_reader_free(&rd);
}

static struct rs_store *store_for(const char *dir, struct ring *r)
{
	char path[512], err[320];
	struct rs_reader_cpu resume[RS_MAX_CPUS];
	int resumed;

	snprintf(path, sizeof(path), "%s/t.db", dir);
	struct rs_store *st = rs_store_open(path, 1, err, sizeof(err));
	if (!st)
		fail_msg("open: %s", err);
	assert_int_equal(rs_layout_read(r->h, RING_BYTES, RS_GPA_ANY, &r->l, err,
					sizeof(err)), 0);
	assert_int_equal(rs_store_trace_begin(st, "test", &r->l, resume,
					      &resumed), 0);
	return st;
}

static sqlite3 *open_ro(const char *dir)
{
	char path[512];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	return db;
}

static int64_t q64(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = INT64_MIN;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

#define NMANY 5000   /* promises: the batch's map grows many times */

/*
 * Two CPUs; the resolves and the failure are on CPU 1, so the reader
 * (CPU by CPU) may hand them over before or after their creates on CPU 0.
 * Every row must carry what each of its events said.
 */
static void test_ingest_merges_promises(void **state)
{
	char *dir = rs_tmpdir();
	struct ring r;

	ring_new(&r, 2);
	uint64_t t = 10;
	gt_emit_at(r.h, 0, t++, RS_EV_PROMISE_CREATE, 1, 3, 7, 0, 1);
	gt_emit_at(r.h, 0, t++, RS_EV_PROMISE_CREATE, 1, 3, 0, 7, 1);
	gt_emit_at(r.h, 0, t++, RS_EV_PROMISE_CREATE, 1, 3, UINT64_MAX, 0, 1);
	gt_emit_str_at(r.h, 0, t++, RS_EV_PROMISE_LABEL, 1, 1, 7, 0, "seven");
	for (uint64_t id = 100; id < 100 + NMANY; id++)
		gt_emit_at(r.h, 0, t++, RS_EV_PROMISE_CREATE, 1, 3, id, 7, 1);
	gt_emit_at(r.h, 1, t++, RS_EV_PROMISE_RESOLVE, 2, 2, 7, 2, 0);
	gt_emit_str_at(r.h, 1, t++, RS_EV_PROMISE_FAIL, 2, 2, 0, 2, "boom");
	gt_emit_at(r.h, 1, t++, RS_EV_PROMISE_CANCEL, 2, 2, UINT64_MAX, 2, 0);
	for (uint64_t id = 100; id < 100 + NMANY; id += 2)
		gt_emit_at(r.h, 1, t++, RS_EV_PROMISE_RESOLVE, 2, 2, id, 2, 0);

	struct rs_store *st = store_for(dir, &r);
	ingest(&r, st, 1);
	rs_store_close(st);

	sqlite3 *db = open_ro(dir);
	assert_int_equal(q64(db, "SELECT count(*) FROM promises"), NMANY + 3);
	assert_int_equal(q64(db, "SELECT state = 'resolved' AND label = 'seven'"
			     " AND parent = 0 AND created_ns IS NOT NULL"
			     " AND resolved_ns > created_ns FROM promises"
			     " WHERE id = 7"), 1);
	assert_int_equal(q64(db, "SELECT state = 'failed' AND fail_message = 'boom'"
			     " AND parent = 7 FROM promises WHERE id = 0"), 1);
	/* UINT64_MAX is stored bit for bit in SQLite's signed INTEGER. */
	assert_int_equal(q64(db, "SELECT state = 'cancelled' AND created_ns IS NOT"
			     " NULL FROM promises WHERE id = -1"), 1);
	assert_int_equal(q64(db, "SELECT count(*) FROM promises WHERE id >= 100"
			     " AND state = 'resolved'"), NMANY / 2);
	assert_int_equal(q64(db, "SELECT count(*) FROM promises WHERE id >= 100"
			     " AND state = 'pending' AND parent = 7"), NMANY / 2);
	sqlite3_close(db);
	ring_free(&r);
	rs_tmpdir_cleanup(dir);
}

/* The same records twice: the second time every one is a duplicate, and
 * nothing is stored or derived again. A rolled-back batch leaves nothing,
 * and the next batch is not confused by what it held. */
static void test_ingest_dedup_and_rollback(void **state)
{
	char *dir = rs_tmpdir();
	struct ring r;
	struct rs_store_counts c;

	ring_new(&r, 1);
	for (uint64_t id = 1; id <= 300; id++)
		gt_emit_at(r.h, 0, 10 + id, RS_EV_PROMISE_CREATE, 1, 3, id, 0, 1);
	struct rs_store *st = store_for(dir, &r);

	ingest(&r, st, 0);   /* rolled back */
	ingest(&r, st, 1);
	rs_store_counts(st, &c);
	uint64_t inserted = c.inserted, dup = c.duplicates;
	ingest(&r, st, 1);
	rs_store_counts(st, &c);
	assert_int_equal(c.inserted, inserted);
	assert_int_equal(c.duplicates - dup, 300);
	rs_store_close(st);

	sqlite3 *db = open_ro(dir);
	assert_int_equal(q64(db, "SELECT sum(count) FROM chunks"), 300);
	assert_int_equal(q64(db, "SELECT count(*) FROM promises"), 300);
	assert_int_equal(q64(db, "SELECT count FROM type_counts WHERE type = 16"),
			 300);
	sqlite3_close(db);
	ring_free(&r);
	rs_tmpdir_cleanup(dir);
}

/* A promise created in one batch and resolved in a later one: the second
 * write touches only the columns its events knew. */
static void test_ingest_across_batches(void **state)
{
	char *dir = rs_tmpdir();
	struct ring r;

	ring_new(&r, 1);
	gt_emit_at(r.h, 0, 10, RS_EV_PROMISE_CREATE, 1, 3, 42, 41, 1);
	gt_emit_str_at(r.h, 0, 11, RS_EV_PROMISE_LABEL, 1, 1, 42, 0, "answer");
	struct rs_store *st = store_for(dir, &r);
	ingest(&r, st, 1);
	/* New ids first: the batch's map must not remember 42's place in
	 * the batch before. */
	gt_emit_at(r.h, 0, 18, RS_EV_PROMISE_CREATE, 1, 3, 50, 0, 1);
	gt_emit_at(r.h, 0, 19, RS_EV_PROMISE_CREATE, 1, 3, 51, 0, 1);
	gt_emit_at(r.h, 0, 20, RS_EV_PROMISE_RESOLVE, 1, 2, 42, 1, 0);
	ingest(&r, st, 1);
	rs_store_close(st);

	sqlite3 *db = open_ro(dir);
	assert_int_equal(q64(db, "SELECT count(*) FROM promises"), 3);
	assert_int_equal(q64(db, "SELECT count(*) FROM promises WHERE id IN"
			     " (50, 51) AND state = 'pending'"), 2);
	assert_int_equal(q64(db, "SELECT parent = 41 AND label = 'answer' AND"
			     " state = 'resolved' AND resolved_ns > created_ns"
			     " FROM promises WHERE id = 42"), 1);
	/* The second batch's three records extend the first batch's small
	 * chunk (take_tail) rather than start a chunk of their own: one
	 * chunk of all five, which decodes back to records 0..4. */
	assert_int_equal(q64(db, "SELECT count(*) FROM chunks"), 1);
	assert_int_equal(q64(db, "SELECT first_seq = 0 AND count = 5 AND"
			     " min_ns <= max_ns FROM chunks"), 1);
	sqlite3_close(db);
	ring_free(&r);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(store_ingest,
	cmocka_unit_test(test_ingest_merges_promises),
	cmocka_unit_test(test_ingest_dedup_and_rollback),
	cmocka_unit_test(test_ingest_across_batches),
)
