/*
 * test_viewer_pack.c - the viewer model's packed storage (issue 18): times
 * in 4 bytes (viewer/times.h) read back exactly whatever their spacing or
 * order, values that are set again (viewer/vals.h) too, so do span refs
 * and kinds in the bytes they need, and a counter's min/max over any sample range equals a plain
 * scan now that its pyramid starts at blocks of 16. The loader's tsc to
 * ns without a division (viewer/clock.h) gives rs_tsc_to_ns's ns.
 */
#include "testlib.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "clock.h"
#include "model.h"
#include "ringside_ring.h"
#include "times.h"
#include "vals.h"

/* Times around every edge of a block's 32-bit reach: exactly 2^32 - 2
 * past the base (the last offset stored), 2^32 - 1 (the first that is
 * not), gaps of seconds, the ends of int64, and a list out of order. */
static void test_times_exact(void **state)
{
	(void)state;
	const uint32_t n = 48 * RV_TB_LEN + 77;
	int64_t *want = g_new(int64_t, n);
	rv_times a = { 0 };
	int64_t t = -5000;
	GRand *r = g_rand_new_with_seed(18);
	for (uint32_t i = 0; i < n; i++) {
		if (i % 3001 == 0)   /* mid-block: the rest of it is far */
			t += 5000000000ll;   /* a 5 s gap */
		else
			t += g_rand_int_range(r, 0, 3000);
		want[i] = t;
		rv_times_push(&a, t);
	}
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(rv_times_at(&a, i), want[i]);
	/* the far ones are few: the rest of a block after each gap */
	assert_true(a.nfar > 0 && a.nfar < n / 4);
	for (int k = 0; k < 2000; k++) {
		int64_t q = want[0] - 10 + (int64_t)(g_rand_double(r) *
			    (double)(want[n - 1] - want[0] + 20));
		uint32_t lo = 0;
		while (lo < n && want[lo] < q)
			lo++;
		assert_int_equal(rv_times_lower_bound(&a, 0, n, q), lo);
		uint32_t from = (uint32_t)g_rand_int_range(r, 0, (gint32)n);
		assert_int_equal(rv_times_gallop(&a, from, q),
				 from > lo ? from : lo);
	}
	rv_times_free(&a);

	/* the last offset a block holds and the first it does not; then
	 * anything at all, in any order */
	static const int64_t odd[] = { 7, 7 + (int64_t)UINT32_MAX - 1,
				       7 + (int64_t)UINT32_MAX, 8, INT64_MAX,
				       INT64_MIN, 0, -1, 1, INT64_MAX - 1,
				       INT64_MIN + 1, 42 };
	for (size_t i = 0; i < G_N_ELEMENTS(odd); i++)
		rv_times_push(&a, odd[i]);
	rv_times_trim(&a);
	for (size_t i = 0; i < G_N_ELEMENTS(odd); i++)
		assert_int_equal(rv_times_at(&a, (uint32_t)i), odd[i]);
	assert_int_equal(a.nfar, 8);   /* all but 7, 7 + 2^32 - 2, 8, 42 */
	rv_times_free(&a);
	g_rand_free(r);
	g_free(want);
}

/* base + d, wrapping around int64 as the values may lie anywhere */
static int64_t wrap_add(int64_t base, int64_t d)
{
	return (int64_t)((uint64_t)base + (uint64_t)d);
}

/* A value near base, about a base's reach either way from it, seconds
 * away, or anywhere at all. */
static int64_t some_value(GRand *r, int64_t base)
{
	static const int64_t odd[] = { INT64_MAX, INT64_MIN, INT64_MIN + 1,
				       INT64_MAX - 1, 0, -1 };
	switch (g_rand_int_range(r, 0, 8)) {
	case 0:
		return odd[g_rand_int_range(r, 0, G_N_ELEMENTS(odd))];
	case 1:
		return wrap_add(base, (int64_t)UINT32_MAX -
				g_rand_int_range(r, 0, 4) - ((int64_t)1 << 31));
	case 2:
		return wrap_add(base, -((int64_t)1 << 31) -
				g_rand_int_range(r, -2, 2));
	case 3:
		return wrap_add(base, (int64_t)g_rand_int_range(r, -10, 10) *
				3000000000ll);
	default:
		return wrap_add(base, g_rand_int_range(r, -100000, 100000));
	}
}

/* Values pushed and then set again in any order, to anything: each
 * reads back what was written last, for times (bias 0) and for values
 * either way (RV_V_SIGNED); a far one set back within reach and out
 * again, a block whose first values are INT64_MAX. */
static void test_vals_exact(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(24);
	for (int signed_ = 0; signed_ < 2; signed_++) {
		const uint32_t n = 9 * RV_TB_LEN + 13;
		int64_t *want = g_new(int64_t, n);
		rv_vals a = { .bias = signed_ ? RV_V_SIGNED : 0 };
		int64_t t = 1000000;
		for (uint32_t i = 0; i < n; i++) {
			t += g_rand_int_range(r, 0, 5000);
			/* block 3 starts with never-resolved ones */
			want[i] = (i >> RV_TB_SHIFT) == 3 && (i & 255) < 40 ?
				INT64_MAX : g_rand_int_range(r, 0, 10) ? t :
				some_value(r, t);
			rv_vals_push(&a, want[i]);
		}
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(rv_vals_at(&a, i), want[i]);
		for (int k = 0; k < 20 * (int)n; k++) {
			const uint32_t i = (uint32_t)g_rand_int_range(r, 0, (gint32)n);
			want[i] = some_value(r, want[i] == INT64_MAX ? t : want[i]);
			rv_vals_set(&a, i, want[i]);
			if (k % 97 == 0)
				for (uint32_t j = 0; j < n; j++)
					assert_int_equal(rv_vals_at(&a, j), want[j]);
		}
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(rv_vals_at(&a, i), want[i]);
		/* values a block's base reaches take 4 bytes, not the hash */
		rv_vals b = { .bias = a.bias };
		for (uint32_t i = 0; i < n; i++)
			rv_vals_push(&b, signed_ ? 5000 - (int64_t)i * 7 : (int64_t)i * 7);
		assert_int_equal(rs_u64map_count(&b.far), 0);
		rv_vals_free(&b);
		rv_vals_free(&a);
		g_free(want);
	}
	g_rand_free(r);
}

/* Refs that stay one value (narrow or wide), then fit a byte, two,
 * four, in runs and truncated back, as a follow's unpublish does, or set
 * again in place: each reads back as written last, and the list is as
 * wide as its widest value needs. */
static void test_u32s_exact(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(32);
	/* 7: every value 7 (no bytes at all) */
	static const uint32_t tops[] = { 7, 0, 1, 255, 256, 65535, 65536,
					 UINT32_MAX };
	for (size_t k = 0; k < 2 * G_N_ELEMENTS(tops); k++) {
		const uint32_t n = 5000, top = tops[k / 2];
		/* the first 1000 all one value, 7 or one that needs 4 bytes */
		const uint32_t first = k % 2 ? 70000 : 7;
		uint32_t *want = g_new(uint32_t, n);
		rv_u32s a = { 0 };
		uint32_t held = 0, widest = 0;
		bool one = true;   /* every value written was `first` */
		for (uint32_t i = 0; i < n; i++) {
			if (i % 700 == 699) {   /* take some back */
				held -= 50;
				rv_u32s_truncate(&a, held);
			}
			/* then up to top, or (top 7) `first` still */
			const uint32_t v = i < 1000 || top == 7 ? first : (uint32_t)
				(g_rand_double(r) * ((double)top + 1));
			want[held++] = v;
			widest = MAX(widest, v);
			one = one && v == first;
			rv_u32s_push(&a, v);
			assert_int_equal(a.n, held);
			if (i >= 1000 && i % 3 == 0) {   /* one set again */
				const uint32_t j = (uint32_t)g_rand_int_range(
					r, 0, (gint32)held);
				want[j] = i % 2 ? want[(j + 1) % held] : top;
				widest = MAX(widest, want[j]);
				one = one && want[j] == first;
				rv_u32s_set(&a, j, want[j]);
			}
		}
		for (uint32_t i = 0; i < held; i++)
			assert_int_equal(rv_u32s_at(&a, i), want[i]);
		/* (a list never narrows: what was taken back counts) */
		const int width = one ? 0 : widest <= UINT8_MAX ? 1 :
				  widest <= UINT16_MAX ? 2 : 4;
		assert_int_equal(a.width, width);
		rv_u32s_free(&a);
		g_free(want);
	}
	g_rand_free(r);
}

/* rv_counter_extent against a scan, for every range of a short counter
 * (all below, at and past the pyramid's first level) and random ranges
 * of a long one. */
static void check_extent(const rv_counter *c, uint32_t i0, uint32_t i1)
{
	int64_t mn = INT64_MAX, mx = INT64_MIN, gmn, gmx;
	for (uint32_t i = i0; i < i1; i++) {
		mn = MIN(mn, rv_counter_v(c, i));
		mx = MAX(mx, rv_counter_v(c, i));
	}
	rv_counter_extent(c, i0, i1, &gmn, &gmx);
	if (gmn != mn || gmx != mx)
		fail_msg("[%u, %u) of %u: got %lld..%lld, want %lld..%lld", i0,
			 i1, c->n, (long long)gmn, (long long)gmx,
			 (long long)mn, (long long)mx);
}

static void test_counter_extent_exact(void **state)
{
	(void)state;
	GRand *r = g_rand_new_with_seed(7);
	static const uint32_t sizes[] = { 1, 15, 16, 17, 33, 130, 70001 };
	for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
		rv_model *m = g_new0(rv_model, 1);
		m->ncpus = 1;
		m->strings = g_string_chunk_new(4096);
		rv_builder *b = rv_builder_new(m);
		for (uint32_t i = 0; i < sizes[s]; i++)
			rv_builder_event(b, 0, 10 * (int64_t)i, RS_EV_RUNQ_LEN,
					 0, (uint64_t)g_rand_int_range(r, 0, 1000000),
					 0, 0, NULL);
		rv_builder_finish(b);
		rv_layout(m);
		assert_int_equal(m->ncounters, 1);
		const rv_counter *c = &m->counters[0];
		assert_int_equal(c->n, sizes[s]);
		if (c->n <= 200) {
			for (uint32_t i0 = 0; i0 <= c->n; i0++)
				for (uint32_t i1 = i0 + 1; i1 <= c->n; i1++)
					check_extent(c, i0, i1);
		} else {
			for (int k = 0; k < 3000; k++) {
				uint32_t i0 = (uint32_t)g_rand_int_range(r, 0, (gint32)c->n);
				uint32_t i1 = i0 + 1 + (uint32_t)g_rand_int_range(
					r, 0, (gint32)(c->n - i0));
				check_extent(c, i0, i1);
			}
			check_extent(c, 0, c->n);
		}
		rv_model_free(m);
	}
	g_rand_free(r);
}

/* One clock at one tsc: the loader's ns are rs_tsc_to_ns's. */
static void clock_check(const struct rs_layout *l, uint64_t tsc)
{
	rv_clock c;
	rv_clock_init(&c, l);
	const uint64_t want = rs_tsc_to_ns(l, tsc), got = rv_clock_ns(&c, tsc);
	if (got != want)
		fail_msg("tsc_hz %llu boot_tsc %llu tsc %llu: %llu ns, "
			 "rs_tsc_to_ns says %llu", (unsigned long long)l->tsc_hz,
			 (unsigned long long)l->boot_tsc,
			 (unsigned long long)tsc, (unsigned long long)got,
			 (unsigned long long)want);
}

/* Clock rates from 1 Hz to 2^64 - 1 (below, at and above 1 GHz, primes,
 * powers of two and their neighbours), boots at 0, in the middle and at
 * the top, and times at the boot, at whole and half seconds and one
 * tick either side (where a quotient steps), past the point where the ns
 * no longer fit 64 bits, up to 2^64 - 1; then random ones. */
static void test_clock_exact(void **state)
{
	(void)state;
	static const uint64_t hzs[] = {
		1, 2, 3, 7, 1000, 999999999, 1000000000, 1000000001,
		1000000007, 2400000000ull, 2593907000ull, 3000000007ull,
		(1ull << 32) - 1, 1ull << 32, (1ull << 32) + 1, 1ull << 40,
		10000000000000ull, (1ull << 63) - 1, 1ull << 63, UINT64_MAX - 1,
		UINT64_MAX };
	static const uint64_t boots[] = { 0, 1, 123456789012345ull,
					  1ull << 63, UINT64_MAX - 1, UINT64_MAX };
	GRand *r = g_rand_new_with_seed(1800);
	for (size_t h = 0; h < G_N_ELEMENTS(hzs); h++)
		for (size_t b = 0; b < G_N_ELEMENTS(boots); b++) {
			struct rs_layout l = { .tsc_hz = hzs[h],
					       .boot_tsc = boots[b] };
			const uint64_t room = UINT64_MAX - boots[b];
			const uint64_t ds[] = { 0, 1, 2, hzs[h] - 1, hzs[h],
						hzs[h] + 1, hzs[h] / 2,
						hzs[h] / 2 + 1, 1ull << 32,
						1ull << 63, room - 1, room };
			if (boots[b])
				clock_check(&l, boots[b] - 1);
			for (size_t k = 0; k < G_N_ELEMENTS(ds); k++) {
				if (ds[k] > room)
					continue;
				clock_check(&l, boots[b] + ds[k]);
				/* whole seconds k, a tick either side */
				for (uint64_t s = 2; s < 4000000000ull; s *= 7) {
					unsigned __int128 at =
						(unsigned __int128)hzs[h] * s;
					if (at > room)
						break;
					for (int e = -1; e <= 1; e++)
						clock_check(&l, boots[b] +
							    (uint64_t)at + (uint64_t)e);
				}
			}
			for (int k = 0; k < 2000; k++) {
				const uint64_t d = ((uint64_t)g_rand_int(r) << 32 |
						    g_rand_int(r)) >>
						   g_rand_int_range(r, 0, 64);
				if (d <= room)
					clock_check(&l, boots[b] + d);
			}
		}
	g_rand_free(r);
}

RS_TEST_SUITE(viewer_pack,
	      cmocka_unit_test(test_times_exact),
	      cmocka_unit_test(test_vals_exact),
	      cmocka_unit_test(test_u32s_exact),
	      cmocka_unit_test(test_counter_extent_exact),
	      cmocka_unit_test(test_clock_exact))
