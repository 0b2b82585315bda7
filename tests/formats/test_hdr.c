/*
 * test_hdr.c - the HDR histogram against exact answers: percentiles of
 * random values across 1..1e12 within 1 part in 10^3 of the exact sorted
 * percentile (and never below it), exact results for small values, and
 * the edges: empty, one value, 0, 2^63 and UINT64_MAX, merge, iteration.
 */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"

static const double pcts[] = { 50.0, 90.0, 99.0, 99.9, 100.0 };

static uint64_t rng(uint64_t *s)
{
	/* xorshift64*: fixed seed, so a failure reproduces. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The exact HdrHistogram-semantics percentile of sorted values: the
 * lowest v with at least p% of values <= v. Integer rank, like hdr.c,
 * computed independently here from the definition. */
static uint64_t exact_pct(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = 0;
	while (rank < n && (double)(rank + 1) * 100.0 < p * (double)n - 1e-6)
		rank++;
	return sorted[rank];
}

static void check_against_exact(uint64_t *v, size_t n)
{
	struct rs_hdr *h = rs_hdr_new();
	assert_non_null(h);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(rs_hdr_record(h, v[i], 1), 0);
	qsort(v, n, sizeof(*v), cmp_u64);
	assert_int_equal(rs_hdr_count(h), n);
	assert_true(rs_hdr_min(h) == v[0]);
	assert_true(rs_hdr_max(h) == v[n - 1]);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		uint64_t want = exact_pct(v, n, pcts[i]);
		uint64_t got = rs_hdr_percentile(h, pcts[i]);
		if (got < want || (double)(got - want) > (double)want / 1000.0) {
			fprintf(stderr, "p%g: got %llu, exact %llu\n", pcts[i],
				(unsigned long long)got, (unsigned long long)want);
			fail();
		}
		assert_true(got <= v[n - 1]);
	}
	rs_hdr_free(h);
}

static void test_hdr_random_precision(void **state)
{
	size_t n = 200000;
	uint64_t s = 0x9E3779B97F4A7C15ull, *v = malloc(n * sizeof(*v));
	assert_non_null(v);
	/* Log-uniform over 1..1e12: every decade gets the same share, so
	 * every bucket size is exercised. */
	for (size_t i = 0; i < n; i++) {
		double e = (double)(rng(&s) >> 11) / 9007199254740992.0 * 12.0;
		uint64_t x = (uint64_t)pow(10.0, e);
		v[i] = x ? x : 1;
	}
	check_against_exact(v, n);
	/* And a few small sets, where one rank off would show. */
	for (size_t m = 1; m <= 1001; m += 250) {
		for (size_t i = 0; i < m; i++)
			v[i] = 1 + rng(&s) % 1000000000000ull;
		check_against_exact(v, m);
	}
	free(v);
}

static void test_hdr_small_values_exact(void **state)
{
	/* Below 2048 every sub-bucket is one value wide: percentiles are
	 * exact, e.g. 1..1000 once each. */
	struct rs_hdr *h = rs_hdr_new();
	for (uint64_t i = 1; i <= 1000; i++)
		rs_hdr_record(h, i, 1);
	assert_int_equal(rs_hdr_percentile(h, 50), 500);
	assert_int_equal(rs_hdr_percentile(h, 90), 900);
	assert_int_equal(rs_hdr_percentile(h, 99), 990);
	assert_int_equal(rs_hdr_percentile(h, 99.9), 999);
	assert_int_equal(rs_hdr_percentile(h, 100), 1000);
	assert_int_equal(rs_hdr_percentile(h, 0), 1);
	assert_true(rs_hdr_mean(h) == 500.5);
	rs_hdr_free(h);
}

static void test_hdr_edges(void **state)
{
	struct rs_hdr *h = rs_hdr_new();

	/* Empty: everything 0, nothing to iterate. */
	struct rs_hdr_iter it;
	assert_int_equal(rs_hdr_count(h), 0);
	assert_int_equal(rs_hdr_percentile(h, 99), 0);
	assert_int_equal(rs_hdr_min(h), 0);
	assert_int_equal(rs_hdr_max(h), 0);
	assert_true(rs_hdr_mean(h) == 0.0);
	rs_hdr_iter_init(&it, h);
	assert_false(rs_hdr_iter_next(&it));

	/* One value: every percentile is that value, not its bucket top. */
	rs_hdr_record(h, 123456789, 1);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		assert_int_equal(rs_hdr_percentile(h, pcts[i]), 123456789);
	assert_int_equal(rs_hdr_min(h), 123456789);
	assert_int_equal(rs_hdr_max(h), 123456789);

	/* Zero and the largest values. */
	rs_hdr_reset(h);
	rs_hdr_record(h, 0, 3);
	rs_hdr_record(h, 1ull << 63, 1);
	rs_hdr_record(h, UINT64_MAX, 1);
	assert_int_equal(rs_hdr_count(h), 5);
	assert_int_equal(rs_hdr_percentile(h, 50), 0);
	assert_true(rs_hdr_percentile(h, 100) == UINT64_MAX);
	uint64_t p80 = rs_hdr_percentile(h, 80);
	assert_true(p80 >= 1ull << 63);
	assert_true(p80 - (1ull << 63) <= (1ull << 63) / 1000);
	assert_true(rs_hdr_highest_equivalent(UINT64_MAX) == UINT64_MAX);
	assert_true(rs_hdr_lowest_equivalent(1ull << 63) == 1ull << 63);
	assert_int_equal(rs_hdr_highest_equivalent(2047), 2047);
	assert_int_equal(rs_hdr_highest_equivalent(2048), 2049);

	/* Iteration: increasing, counts add up, ranges hold their values. */
	uint64_t total = 0, last_hi = 0;
	int first = 1;
	rs_hdr_iter_init(&it, h);
	while (rs_hdr_iter_next(&it)) {
		assert_true(first || it.lo > last_hi);
		assert_true(it.lo <= it.hi);
		first = 0;
		last_hi = it.hi;
		total += it.count;
	}
	assert_int_equal(total, 5);
	rs_hdr_free(h);
}

static void test_hdr_merge(void **state)
{
	struct rs_hdr *a = rs_hdr_new(), *b = rs_hdr_new(), *all = rs_hdr_new();
	uint64_t s = 42;
	for (int i = 0; i < 20000; i++) {
		uint64_t v = rng(&s) % 10000000;
		rs_hdr_record(i & 1 ? a : b, v, 1);
		rs_hdr_record(all, v, 1);
	}
	assert_int_equal(rs_hdr_merge(a, b), 0);
	assert_int_equal(rs_hdr_count(a), rs_hdr_count(all));
	assert_int_equal(rs_hdr_min(a), rs_hdr_min(all));
	assert_int_equal(rs_hdr_max(a), rs_hdr_max(all));
	assert_true(rs_hdr_mean(a) == rs_hdr_mean(all));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		assert_int_equal(rs_hdr_percentile(a, pcts[i]),
				 rs_hdr_percentile(all, pcts[i]));
	/* Merging an empty histogram changes nothing; into an empty one
	 * copies. */
	struct rs_hdr *e = rs_hdr_new();
	assert_int_equal(rs_hdr_merge(a, e), 0);
	assert_int_equal(rs_hdr_count(a), 20000);
	assert_int_equal(rs_hdr_merge(e, all), 0);
	assert_int_equal(rs_hdr_percentile(e, 99), rs_hdr_percentile(all, 99));
	assert_int_equal(rs_hdr_min(e), rs_hdr_min(all));
	rs_hdr_free(a);
	rs_hdr_free(b);
	rs_hdr_free(all);
	rs_hdr_free(e);
}

RS_TEST_SUITE(hdr,
	cmocka_unit_test(test_hdr_random_precision),
	cmocka_unit_test(test_hdr_small_values_exact),
	cmocka_unit_test(test_hdr_edges),
	cmocka_unit_test(test_hdr_merge))
