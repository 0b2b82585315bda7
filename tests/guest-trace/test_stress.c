/*
 * test_stress.c - the short version of `make stress` inside `make check`:
 * writer threads at full speed, one ring each, against a live reader
 * (tests/stress/stress.c holds the engine and its checks). A few million
 * events in a few seconds; `make stress` runs 10^8.
 *
 * Each run asserts: no accepted record failed its self-check (payload,
 * sequence, string), the reader saw no anomaly, and on every CPU
 * accepted + lost == written, with every LOST count equal to the jump in
 * sequence numbers it stands for.
 */
#include "testlib.h"

#include <stdio.h>

#include "ringside_ring.h"
#include "stress/stress.h"

static struct rs_stress_result run(const struct rs_stress_opts *o)
{
	struct rs_stress_result r;
	int rc = rs_stress_run(o, &r);

	if (rc != 0)
		fail_msg("stress (%u cpus, %zu-byte rings, mode %u): %s; written"
			 " %llu accepted %llu lost %llu corrupt %llu anomalies"
			 " %llu", o->cpus, o->ring_bytes, o->mode, r.first_bad,
			 (unsigned long long)r.written,
			 (unsigned long long)r.accepted,
			 (unsigned long long)r.lost,
			 (unsigned long long)r.corrupt,
			 (unsigned long long)r.anomalies);
	assert_int_equal(r.written, o->events);
	assert_int_equal(r.accepted + r.lost, r.written);
	assert_int_equal(r.corrupt, 0);
	assert_true(r.accepted > 0);
	return r;
}

/* Small rings: every writer laps the reader constantly, so overwritten
 * and torn copies are the common case, not the rare one. */
static void test_stress_small_rings_lapping(void **state)
{
	struct rs_stress_opts o = {
		.events = 10000000, .cpus = 4, .ring_bytes = 16384,
		.chunk = 1024, .mode = RS_MODE_OVERWRITE, .str_every = 16,
	};
	/* The case under test really happened: the reader fell behind. */
	assert_true(run(&o).lost_events > 0);
}

/* One larger ring: mostly lossless streaming of fixed-size records. */
static void test_stress_large_ring_streaming(void **state)
{
	struct rs_stress_opts o = {
		.events = 5000000, .cpus = 1, .ring_bytes = 1 << 20,
		.mode = RS_MODE_OVERWRITE,
	};
	run(&o);
}

/* Discard mode: the oldest survive, every drop is counted. */
static void test_stress_discard(void **state)
{
	struct rs_stress_opts o = {
		.events = 1000000, .cpus = 2, .ring_bytes = 65536,
		.mode = RS_MODE_DISCARD, .str_every = 7,
	};
	assert_true(run(&o).lost > 0);
}

RS_TEST_SUITE(stress,
	cmocka_unit_test(test_stress_small_rings_lapping),
	cmocka_unit_test(test_stress_large_ring_streaming),
	cmocka_unit_test(test_stress_discard))
