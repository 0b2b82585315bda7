/*
 * test_clock_info.c - the trace says how its clocks were calibrated: the
 * ring header's line 1 fields (tsc_source, tick_method, tick_hz,
 * timer_hz) reach the trace row and `ringside info` (text and --json),
 * 0 ("unknown", a guest older than the fields) becomes null, a value no
 * ringside knows is shown as "invalid" rather than trusted, and the
 * hosted kernel says what it used. The bare-metal kernel's own choices
 * are checked under QEMU in test_qemu_clock.c.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringside_ring.h"
#include "test_collector.h"

/* A valid ring file whose header then gets the given clock fields. */
static char *ring_with_clocks(const char *dir, uint32_t source, uint32_t method,
			      uint32_t tick_hz, uint64_t timer_hz)
{
	char *ring = make_ring(dir, "ring", RING_SIZE, 1, 50, RS_STATE_EXITED);
	struct rs_header *h = map_file(ring, RING_SIZE);

	h->tsc_source = source;
	h->tick_method = method;
	h->tick_hz = tick_hz;
	h->timer_hz = timer_hz;
	munmap(h, RING_SIZE);
	return ring;
}

static char *collected(const char *dir, const char *ring)
{
	char *db = path_in(dir, "t.db"), *out = NULL;
	int rc = collect(ring, db, NULL, &out);

	if (rc != 0)
		fail_msg("collect: exit %d: %s", rc, out);
	free(out);
	return db;
}

/* `ringside info DB` (text) must succeed and say `line`. */
static void assert_info_says(const char *db, const char *line)
{
	char *out = NULL;
	int rc = rs_run(&out, 60, "'%s' info '%s' 2>&1", rs_bin("ringside"), db);

	if (rc != 0)
		fail_msg("info: exit %d: %s", rc, out);
	if (!strstr(out, line))
		fail_msg("no \"%s\" in: %s", line, out);
	free(out);
}

static void done(char *dir, char *ring, char *db)
{
	free(db);
	free(ring);
	rs_tmpdir_cleanup(dir);
}

static void test_clocks_from_the_header(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = ring_with_clocks(dir, RS_CLOCK_PIT, RS_TICK_LAPIC_PERIODIC,
				      1000, 62500000);
	char *db = collected(dir, ring);

	assert_int_equal(sql_int(db, "SELECT tsc_source = 'pit' AND tick_method ="
				 " 'lapic-periodic' AND tick_hz = 1000 AND timer_hz ="
				 " 62500000 FROM trace"), 1);
	char *js = info_json(db);
	if (!json_has(js, "tsc_source", "\"pit\"") ||
	    !json_has(js, "tick_method", "\"lapic-periodic\""))
		fail_msg("clock fields missing: %s", js);
	assert_int_equal(json_int(js, "tick_hz"), 1000);
	assert_int_equal(json_int(js, "timer_hz"), 62500000);
	free(js);
	assert_info_says(db, "clocks: tsc from pit, tick 1000 Hz by lapic-periodic"
			 " (timer 62500000 Hz)");
	done(dir, ring, db);
}

/* A guest that predates the fields leaves zeros: unknown, not "0 Hz". */
static void test_clocks_unknown_for_an_old_guest(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = ring_with_clocks(dir, 0, 0, 0, 0);
	char *db = collected(dir, ring);

	assert_int_equal(sql_int(db, "SELECT tsc_source IS NULL AND tick_method IS NULL"
				 " AND tick_hz IS NULL AND timer_hz IS NULL FROM trace"), 1);
	char *js = info_json(db);
	if (!json_has(js, "tsc_source", "null") || !json_has(js, "tick_method", "null") ||
	    !json_has(js, "tick_hz", "null") || !json_has(js, "timer_hz", "null"))
		fail_msg("want nulls: %s", js);
	free(js);
	assert_info_says(db, "clocks: tsc from an unknown source");
	done(dir, ring, db);
}

/* Guest memory is hostile: an enum value past the end is named, not
 * indexed. */
static void test_clocks_invalid_values_named(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = ring_with_clocks(dir, 0xdeadbeef, RS_TICK_LIMIT, 7, UINT64_MAX);
	char *db = collected(dir, ring);

	char *js = info_json(db);
	if (!json_has(js, "tsc_source", "\"invalid\"") ||
	    !json_has(js, "tick_method", "\"invalid\""))
		fail_msg("want invalid: %s", js);
	assert_int_equal(json_int(js, "tick_hz"), 7);
	free(js);
	done(dir, ring, db);
}

/* The hosted kernel measures its TSC with clock_gettime and ticks from an
 * interval timer at --tick-hz; its trace says so. */
static void test_hosted_kernel_says_hosted(void **state)
{
	if (access(rs_bin("ringside-hosted"), X_OK) != 0)
		skip();
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = path_in(dir, "ring");
	int rc = rs_run(&out, 60, "'%s' --workload pingpong --count 5 --tick-hz 250"
			" --ring '%s' --quiet", rs_bin("ringside-hosted"), ring);
	if (rc != 0)
		fail_msg("ringside-hosted: exit %d: %s", rc, out);
	free(out);
	char *db = collected(dir, ring);
	char *js = info_json(db);
	if (!json_has(js, "tsc_source", "\"hosted\"") ||
	    !json_has(js, "tick_method", "\"hosted\""))
		fail_msg("want hosted clocks: %s", js);
	assert_int_equal(json_int(js, "tick_hz"), 250);
	if (!json_has(js, "timer_hz", "null"))
		fail_msg("no LAPIC timer in a process: %s", js);
	free(js);
	done(dir, ring, db);
}

RS_TEST_SUITE(clock_info,
	cmocka_unit_test(test_clocks_from_the_header),
	cmocka_unit_test(test_clocks_unknown_for_an_old_guest),
	cmocka_unit_test(test_clocks_invalid_values_named),
	cmocka_unit_test(test_hosted_kernel_says_hosted))
