/*
 * test_viewer_cols.c - a frame's column lookups made a list at a time
 * (viewer/lod.c rv_lod_search_many, viewer/cols.c) answer what one
 * search at a time answers: for sorted lists with fingers, with times
 * clustered, spread, and past a block's 32-bit reach (far ones), for
 * column times before, inside and after the list, and for lists that
 * grew or were cut back after they were indexed (a --follow's), whose
 * fingers no longer bound them. And a lane's starts derived from its
 * ends (rv_cols_lb_starts) equal their own search, overlapping or not;
 * and a follow's fingers, carried on as its list grows (rv_lod_extend),
 * stay exact.
 */
#include "testlib.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "lod.h"
#include "times.h"

/* Sorted times: runs of close ones, gaps, and 5 s gaps (far ones). */
static void fill(rv_times *a, GRand *r, uint32_t n, int64_t t)
{
	for (uint32_t i = 0; i < n; i++) {
		const int k = g_rand_int_range(r, 0, 100);
		t += k < 2 ? 5000000000ll : k < 10 ? g_rand_int_range(r, 0, 90000)
				 : g_rand_int_range(r, 0, 40);
		rv_times_push(a, t);
	}
}

static int cmp_t(const void *p, const void *q)
{
	const int64_t a = *(const int64_t *)p, b = *(const int64_t *)q;
	return a < b ? -1 : a > b;
}

/* n column times from below the list's first time to past its last, a
 * fifth of them exactly a time of the list, in order. */
static int64_t *columns(const rv_times *a, GRand *r, uint32_t n)
{
	int64_t *t = g_new(int64_t, n);
	const int64_t t0 = rv_times_at(a, 0) - 1000;
	const int64_t t1 = rv_times_at(a, a->n - 1) + 1000;
	for (uint32_t k = 0; k < n; k++)
		t[k] = k % 5 == 1 ? rv_times_at(a, (uint32_t)g_rand_int_range(
						r, 0, (gint32)a->n))
		       : t0 + (int64_t)((double)(t1 - t0) * k / (n - 1));
	t[n / 2] = t[n / 2 - 1];   /* a column of no width */
	qsort(t, n, sizeof *t, cmp_t);
	return t;
}

static void check(const rv_times *a, const int64_t *t, uint32_t n,
		  const char *what)
{
	uint32_t *got = g_new(uint32_t, n);
	rv_lod_search_many(a, t, n, got);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t want = 0;
		while (want < a->n && rv_times_at(a, want) < t[k])
			want++;
		if (got[k] != want)
			fail_msg("%s: column %u (t %lld): %u, not %u", what, k,
				 (long long)t[k], got[k], want);
	}
	g_free(got);
}

static void test_cols_search_many(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(1818);
	for (int round = 0; round < 6; round++) {
		rv_times a = { 0 };
		fill(&a, r, 20000 + 7000 * (uint32_t)round, -3000000);
		rv_lod_index(&a);
		assert_non_null(a.lod);
		const uint32_t n = 300 + 400 * (uint32_t)round;
		int64_t *t = columns(&a, r, n);
		check(&a, t, n, "indexed");
		/* grown after indexing, as a follow appends */
		fill(&a, r, 9000, rv_times_at(&a, a.n - 1));
		g_free(t);
		t = columns(&a, r, n);
		check(&a, t, n, "grown");
		/* cut back, then grown with other times */
		rv_times_truncate(&a, a.n / 2);
		fill(&a, r, 15000, rv_times_at(&a, a.n - 1) - 50);
		g_free(t);
		t = columns(&a, r, n);
		check(&a, t, n, "cut and regrown");
		g_free(t);
		rv_times_free(&a);
	}
	g_rand_free(r);
}

/* Intervals after one another, or some overlapping the next: the starts'
 * column lookups derived from the ends' equal a search of the starts. */
static void test_cols_starts_from_ends(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(4242);
	for (int overlap = 0; overlap < 2; overlap++) {
		rv_times start = { 0 }, end = { 0 };
		int64_t t = 1000;
		for (uint32_t i = 0; i < 30000; i++) {
			t += g_rand_int_range(r, 0, 50);
			const int64_t len = g_rand_int_range(r, 0, 400);
			rv_times_push(&start, t);
			/* overlapping: an interval may end after the next
			 * starts, ends still rising */
			rv_times_push(&end, t + len + (overlap && i % 5 == 0 ?
						       100 : 0));
			t += len;
		}
		rv_lod_index(&start);
		rv_lod_index(&end);
		rv_view v = { .width = RV_LEFT_W + 900, .height = 100 };
		v.from = 500;
		v.ns_per_px = (double)(t + 1000) / 900;
		rv_cols *c = rv_cols_new(&v);
		const uint32_t *got = rv_cols_lb_starts(c, &start, &end);
		uint32_t *want = g_new(uint32_t, (size_t)c->n);
		rv_lod_search_many(&start, c->t, (uint32_t)c->n, want);
		for (int k = 0; k < c->n; k++)
			if (got[k] != want[k])
				fail_msg("overlap %d column %d: %u, not %u",
					 overlap, k, got[k], want[k]);
		/* asked again, the frame's answer is kept */
		assert_ptr_equal(rv_cols_lb_starts(c, &start, &end), got);
		g_free(want);
		rv_cols_free(c);
		rv_times_free(&start);
		rv_times_free(&end);
	}
	g_rand_free(r);
}

/* Every finger is the first index at or after its bucket's start, and
 * the buckets reach the last time: what rv_lod_index would give with the
 * same shift. */
static void fingers_exact(const rv_times *a)
{
	assert_non_null(a->lod);
	assert_int_equal(a->lod_n, a->n);
	const int64_t last = rv_times_at(a, a->n - 1);
	assert_true((uint64_t)(last - a->lod_t0) >> a->lod_shift < a->lod_nb);
	for (uint32_t b = 0; b < a->lod_nb; b++) {
		const int64_t tb = a->lod_t0 + ((int64_t)b << a->lod_shift);
		const uint32_t want = rv_times_lower_bound(a, 0, a->n, tb);
		if (a->lod[b] != want)
			fail_msg("finger %u of %u: %u, not %u", b, a->lod_nb,
				 a->lod[b], want);
	}
}

/* A follow's list (rv_lod_extend, lod.c) grows in batches at a rate that
 * changes -- steady, a hundred times sparser, fifty times denser than at first -- and
 * after each its fingers are exact and hold between 2 and 32 items a
 * bucket on average (RV_LOD_PER is 8); a call with nothing new changes
 * nothing. */
static void test_lod_extend(void **state)
{
	(void)state;
	rv_times a = { 0 };
	int64_t t = 1000;
	const struct { uint32_t batches, per; int64_t gap; } phase[] = {
		{ 1, 200, 50 }, { 40, 500, 50 }, { 40, 300, 5000 },
		{ 40, 5000, 1 }, { 30, 1, 50 }, { 10, 2000, 50 },
	};
	bool indexed = false;
	for (size_t p = 0; p < G_N_ELEMENTS(phase); p++)
		for (uint32_t k = 0; k < phase[p].batches; k++) {
			for (uint32_t i = 0; i < phase[p].per; i++)
				rv_times_push(&a, t += phase[p].gap);
			if (!indexed)
				rv_lod_index(&a);
			else
				rv_lod_extend(&a);
			indexed = true;
			fingers_exact(&a);
			const double per = (double)a.n / a.lod_nb;
			if (per < 2 || per > 32)
				fail_msg("%u items in %u buckets", a.n, a.lod_nb);
			const uint32_t nb = a.lod_nb;
			const uint32_t *lod = a.lod;
			rv_lod_extend(&a);   /* nothing new: nothing done */
			assert_int_equal(a.lod_nb, nb);
			assert_ptr_equal(a.lod, lod);
		}
	rv_times_free(&a);
}

RS_TEST_SUITE(viewer_cols,
	      cmocka_unit_test(test_cols_search_many),
	      cmocka_unit_test(test_cols_starts_from_ends),
	      cmocka_unit_test(test_lod_extend))
