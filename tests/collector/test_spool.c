/*
 * test_spool.c - reading the rings apart from committing them
 * (collector/spool.c), through the session API on a ring file that this
 * test writes with guest-trace's writer while the session follows it.
 * The spool's writer is held (it commits nothing, as a stalled disk
 * would), so what is checked never depends on this machine's speed:
 *   - the reader keeps draining a ring the guest laps three times over
 *     while nothing is committed, and every record is stored, none lost;
 *   - with the spool capped at one poll, polls while the writer is
 *     behind are not read (counted), and what the ring overwrote
 *     meanwhile is stored as lost, exactly: the stored records are the
 *     first poll's and an unbroken run up to the last written, and the
 *     lost rows count the hole between them.
 */
#include "testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test_collector.h"
#include "../collector/collect.h"
#include "../collector/run_ring.h"
#include "../collector/spool.h"
#include "guest_trace.h"
#include "rs_decode.h"

/* One page of header and a 64 KiB ring (4 KiB chunks): 2730 records of
 * 24 bytes fill a lap. */
#define REGION (RS_HEADER_SIZE + (64u << 10))
#define STEP 1000u           /* records written between two polls */

struct fixture {
	char *dir, *ring, *db, spec[600];
	struct rs_header *h;
	struct rs_collect_opts o;
	struct rs_session *s;
	uint64_t written, tsc;
};

static void fixture_open(struct fixture *f, size_t spool_bytes)
{
	char err[400];
	struct rs_source src;

	memset(f, 0, sizeof(*f));
	f->dir = rs_tmpdir();
	f->ring = path_in(f->dir, "ring");
	f->db = path_in(f->dir, "t.db");
	int fd = open(f->ring, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, REGION), 0);
	f->h = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(f->h != MAP_FAILED);
	close(fd);
	struct gt_config cfg = {
		.region_size = REGION, .ncpus = 1, .tsc_hz = 1000000000,
		.boot_tsc = 1, .nonce = 0x5b001, .region_gpa = 0,
	};
	assert_int_equal(gt_region_init(f->h, &cfg), 0);
	gt_set_state(f->h, RS_STATE_RUNNING);
	f->tsc = 10;
	snprintf(f->spec, sizeof(f->spec), "file:%s", f->ring);
	f->o = (struct rs_collect_opts){ .source = f->spec, .db_path = f->db,
		.follow = 1, .poll_ms = 1, .hang_secs = 3600,
		.spool_bytes = spool_bytes };
	f->s = rs_session_new(&f->o);
	assert_non_null(f->s);
	assert_int_equal(rs_source_open(f->spec, &src, err, sizeof(err)), 0);
	if (rs_session_attach(f->s, &src, err, sizeof(err)) != 0)
		fail_msg("attach: %s", err);
}

static void fixture_close(struct fixture *f)
{
	rs_session_free(f->s);
	munmap(f->h, REGION);
	free(f->ring);
	free(f->db);
	rs_tmpdir_cleanup(f->dir);
}

/* The guest writes n records (runq_len, its argument the record's
 * number) and the session polls once. */
static void write_and_poll(struct fixture *f, unsigned n)
{
	enum rs_stop stop;

	for (unsigned i = 0; i < n; i++, f->written++)
		gt_emit_at(f->h, 0, f->tsc++, RS_EV_RUNQ_LEN, 1,
			   RS_EV_NARGS(RUNQ_LEN), f->written, 0, 0);
	gt_heartbeat(f->h, f->written, f->tsc);
	if (rs_session_poll(f->s, 0, &stop) != 0)
		fail_msg("poll: %s", rs_session_error(f->s));
	assert_int_equal(stop, RS_STOP_NONE);
}

static void last_poll(struct fixture *f)
{
	enum rs_stop stop;

	if (rs_session_poll(f->s, 1, &stop) != 0)
		fail_msg("last poll: %s", rs_session_error(f->s));
}

/* A ring lapped three times while the writer commits nothing is still
 * read whole: the reader copies each poll out at once. */
static void test_spool_drains_while_writer_held(void **state)
{
	struct fixture f;

	fixture_open(&f, 0);
	rs_spool_hold(rs_session_spool(f.s), 1);
	for (int i = 0; i < 8; i++)        /* 8000 records, ~2.9 laps */
		write_and_poll(&f, STEP);
	/* Nothing committed yet (no chunk), though the ring went round. */
	assert_int_equal(sql_int(f.db, "SELECT count(*) FROM chunks"), 0);
	rs_spool_hold(rs_session_spool(f.s), 0);
	last_poll(&f);
	assert_int_equal(sql_int(f.db, "SELECT sum(count) FROM chunks"),
			 f.written);
	assert_int_equal(sql_int(f.db, "SELECT count(*) FROM lost"), 0);
	assert_int_equal(sql_int(f.db, "SELECT sum(lost) FROM trace_cpu"), 0);
	assert_int_equal(sql_int(f.db, "SELECT max(first_seq + count) FROM"
				" chunks"), f.written);
	struct rs_spool_stats st;
	rs_spool_stats(rs_session_spool(f.s), &st);
	assert_int_equal(st.deferred, 0);
	fixture_close(&f);
}

/* The spool capped at one poll, the writer held: the second and third
 * polls find no room and read nothing; the ring laps meanwhile, and the
 * loss is counted exactly. */
static void test_spool_cap_counts_losses(void **state)
{
	struct fixture f;

	fixture_open(&f, 1);            /* raised to one poll's room */
	rs_spool_hold(rs_session_spool(f.s), 1);
	write_and_poll(&f, STEP);       /* copied: 0..999 */
	write_and_poll(&f, 2 * STEP);   /* no room: deferred */
	write_and_poll(&f, 2 * STEP);   /* deferred; 5000 written, > a lap */
	struct rs_spool_stats st;
	rs_spool_stats(rs_session_spool(f.s), &st);
	assert_int_equal(st.deferred, 2);
	assert_int_equal(st.polls, 1);
	rs_spool_hold(rs_session_spool(f.s), 0);
	last_poll(&f);

	const int64_t stored = sql_int(f.db, "SELECT sum(count) FROM chunks");
	const int64_t lost = sql_int(f.db, "SELECT sum(count) FROM lost");
	/* The first poll's records, whole, then from the first that
	 * survived the laps to the last written, unbroken. */
	assert_int_equal(sql_int(f.db, "SELECT sum(count) FROM chunks WHERE"
				" first_seq < 1000"), STEP);
	assert_int_equal(sql_int(f.db, "SELECT max(first_seq + count) FROM"
				" chunks"), f.written);
	const int64_t after = sql_int(f.db, "SELECT min(first_seq) FROM chunks"
				     " WHERE first_seq >= 1000");
	assert_true(after > (int64_t)STEP);
	assert_int_equal(stored, STEP + (int64_t)f.written - after);
	/* The hole is the lost count, exactly, in one row. */
	assert_int_equal(lost, after - STEP);
	assert_int_equal(sql_int(f.db, "SELECT count(*) FROM lost"), 1);
	assert_int_equal(stored + lost, f.written);
	assert_int_equal(sql_int(f.db, "SELECT sum(lost) FROM trace_cpu"), lost);
	assert_int_equal(sql_int(f.db, "SELECT sum(accepted) FROM trace_cpu"),
			 stored);
	fixture_close(&f);
}

/* run's default ring: what 160 MiB/s writes in a poll plus 100 ms, per
 * vCPU, rounded down to a power of two, within 256 pages and a quarter
 * of RAM (and the guest's 65536). 5 ms: 105 ms is 4300.8 pages a vCPU. */
static void test_run_ring_pages(void **state)
{
	assert_int_equal(rs_run_ring_pages(5, 64, 1), 4096);
	assert_int_equal(rs_run_ring_pages(5, 16, 1), 1024);   /* RAM / 4 */
	assert_int_equal(rs_run_ring_pages(5, 64, 4), 4096);   /* RAM / 4 */
	assert_int_equal(rs_run_ring_pages(5, 2047, 4), 16384);
	assert_int_equal(rs_run_ring_pages(5, 2047, 16), 65536); /* the max */
	assert_int_equal(rs_run_ring_pages(1000, 2047, 1), 32768);
	assert_int_equal(rs_run_ring_pages(1, 2047, 1), 4096); /* 101 ms */
	/* too little RAM for more than the guest's own default */
	assert_int_equal(rs_run_ring_pages(5, 1, 1), 256);
}

RS_TEST_SUITE(spool,
	cmocka_unit_test(test_spool_drains_while_writer_held),
	cmocka_unit_test(test_spool_cap_counts_losses),
	cmocka_unit_test(test_run_ring_pages))
