/*
 * test_u64map.c - the one u64 -> u64 map (formats/store/rs_u64map.c) that
 * the collector's ingest, the report and the viewer key guest ids by:
 * growth, keys that collide, the edge keys 0 and UINT64_MAX, clearing,
 * and visiting every key.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "rs_u64map.h"

/* Keys spread like a hostile guest's: counters, multiples of large powers
 * of two (the same low bits), and their complements. */
static uint64_t key_of(uint64_t i)
{
	switch (i % 3) {
	case 0: return i;
	case 1: return (i / 3 + 1) << 32;
	default: return ~i;
	}
}

static void test_u64map_grow_and_find(void **state)
{
	enum { N = 200000 };
	struct rs_u64map m = { 0 };

	assert_null(rs_u64map_find(&m, 5));
	for (uint64_t i = 0; i < N; i++) {
		uint64_t *v = rs_u64map_put(&m, key_of(i), i * 7);
		assert_non_null(v);
		assert_int_equal(*v, i * 7);
	}
	assert_int_equal(rs_u64map_count(&m), N);
	/* Half full at most, whatever it grew to. */
	assert_true(m.n * 2 <= m.cap);
	for (uint64_t i = 0; i < N; i++) {
		uint64_t *v = rs_u64map_find(&m, key_of(i));
		if (!v || *v != i * 7)
			fail_msg("key %#llx lost after growth",
				 (unsigned long long)key_of(i));
	}
	/* put of a present key returns its value, not `init`. */
	assert_int_equal(*rs_u64map_put(&m, key_of(10), 99), 70);
	assert_int_equal(rs_u64map_count(&m), N);
	assert_null(rs_u64map_find(&m, (uint64_t)N << 40));
	rs_u64map_free(&m);
	assert_int_equal(rs_u64map_count(&m), 0);
	assert_null(rs_u64map_find(&m, key_of(1)));
}

/* 0 marks an empty slot inside the table, so key 0 lives apart: it must
 * behave like any other key, as must UINT64_MAX. */
static void test_u64map_edge_keys(void **state)
{
	struct rs_u64map m = { 0 };

	assert_null(rs_u64map_find(&m, 0));
	assert_non_null(rs_u64map_put(&m, 0, 0));
	assert_int_equal(rs_u64map_count(&m), 1);
	*rs_u64map_find(&m, 0) = 17;
	assert_int_equal(*rs_u64map_put(&m, UINT64_MAX, UINT64_MAX), UINT64_MAX);
	assert_int_equal(*rs_u64map_find(&m, 0), 17);
	assert_int_equal(*rs_u64map_find(&m, UINT64_MAX), UINT64_MAX);
	assert_null(rs_u64map_find(&m, 1));
	assert_int_equal(rs_u64map_count(&m), 2);

	/* Every key visited once, 0 included. */
	uint64_t k, v, sum = 0;
	int n = 0, zero = 0;
	for (size_t pos = 0; rs_u64map_next(&m, &pos, &k, &v); n++) {
		zero += k == 0;
		sum += v;
	}
	assert_int_equal(n, 2);
	assert_int_equal(zero, 1);
	assert_int_equal(sum, 16);   /* 17 + UINT64_MAX, wrapped */

	rs_u64map_clear(&m);
	assert_int_equal(rs_u64map_count(&m), 0);
	assert_null(rs_u64map_find(&m, 0));
	assert_null(rs_u64map_find(&m, UINT64_MAX));
	size_t pos = 0;
	assert_int_equal(rs_u64map_next(&m, &pos, &k, &v), 0);
	/* Usable again after clearing, at its old size. */
	size_t cap = m.cap;
	for (uint64_t i = 1; i <= 20; i++)
		*rs_u64map_put(&m, i << 40, 0) = i;
	assert_int_equal(m.cap, cap);
	for (uint64_t i = 1; i <= 20; i++)
		assert_int_equal(*rs_u64map_find(&m, i << 40), i);
	rs_u64map_free(&m);
}

/* The keys that land on one slot of a small table: a run of them fills
 * the probe sequence past the table's end and wraps. */
static void test_u64map_collisions(void **state)
{
	struct rs_u64map m = { 0 };
	uint64_t keys[31];
	int n = 0;

	assert_non_null(rs_u64map_put(&m, 1, 1));
	const size_t cap = m.cap;
	/* Keys whose home slot is the table's last one (found by probing
	 * the map itself: a key alone in a fresh map sits at its home). */
	for (uint64_t k = 2; n < 31 && k < 10000000; k++) {
		struct rs_u64map one = { 0 };
		rs_u64map_put(&one, k, 0);
		if (one.slot[cap - 1].key == k)
			keys[n++] = k;
		rs_u64map_free(&one);
	}
	assert_int_equal(n, 31);
	for (int i = 0; i < n; i++)
		assert_non_null(rs_u64map_put(&m, keys[i], (uint64_t)i));
	assert_int_equal(m.cap, cap);   /* 32 of 64: not grown yet */
	for (int i = 0; i < n; i++)
		assert_int_equal(*rs_u64map_find(&m, keys[i]), (uint64_t)i);
	assert_int_equal(*rs_u64map_find(&m, 1), 1);
	rs_u64map_free(&m);
}

RS_TEST_SUITE(u64map,
	cmocka_unit_test(test_u64map_grow_and_find),
	cmocka_unit_test(test_u64map_edge_keys),
	cmocka_unit_test(test_u64map_collisions),
)
