/*
 * test_kernel_workloads.c - the workloads that finish, each run through
 * ringside-hosted out of process, its ring file decoded with the one
 * decoder, and the record counts each workload documents (the comment at
 * the top of its file) checked exactly.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_kernel.h"

static void test_hosted_pingpong(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;
	const uint64_t n = 1000;

	assert_int_equal(run_hosted("pingpong", "--count 1000 --quiet", &t, &st,
				    &out), 0);
	free(out);
	check_clean(&t, &st);
	assert_int_equal(t.n[RS_EV_THREAD_CREATE], 3);
	assert_int_equal(t.saw_names, 7);
	assert_int_equal(t.n[RS_EV_PROMISE_CREATE], 2 * n);
	assert_int_equal(t.promise_types[RS_PT_WAIT], 2 * n);
	assert_int_equal(t.n[RS_EV_PROMISE_RESOLVE], 2 * n);
	assert_int_equal(t.n[RS_EV_PROMISE_READ], 2 * n);
	assert_int_equal(t.n[RS_EV_PROMISE_CREATE],
			 t.n[RS_EV_PROMISE_RESOLVE] + t.n[RS_EV_PROMISE_FAIL] +
				 t.n[RS_EV_PROMISE_CANCEL]);
	assert_int_equal(t.n[RS_EV_PROMISE_FAIL], 0);
	assert_int_equal(t.n[RS_EV_PROMISE_BECOMES], 0);
	assert_int_equal(t.n[RS_EV_THREAD_BLOCK], 2 * n);
	assert_int_equal(t.n[RS_EV_THREAD_WAKE], 2 * n);
	assert_int_equal(t.n[RS_EV_MARK], 1);
	assert_int_equal(t.last_mark_a, n);
	assert_string_equal(t.last_mark, "pingpong done");
}

void check_fanout(const struct tally *t, uint64_t r)
{
	assert_int_equal(t->n[RS_EV_THREAD_CREATE], 1 + r);
	assert_int_equal(t->n[RS_EV_PROMISE_CREATE], 14 * r);
	assert_int_equal(t->n[RS_EV_PROMISE_RESOLVE], 9 * r);
	assert_int_equal(t->n[RS_EV_PROMISE_FAIL], 4 * r);
	assert_int_equal(t->n[RS_EV_PROMISE_CANCEL], r);
	assert_int_equal(t->n[RS_EV_PROMISE_BECOMES], 2 * r);
	assert_int_equal(t->n[RS_EV_PROMISE_LABEL], 10 * r);
	assert_int_equal(t->n[RS_EV_TIMER_FIRE], 4 * r);
	assert_int_equal(t->n[RS_EV_EVTCHN_NOTIFY], r);
	assert_int_equal(t->n[RS_EV_PROMISE_SIGNAL], r);
	assert_int_equal(t->promise_types[RS_PT_JOIN], r);
	assert_int_equal(t->promise_types[RS_PT_CHOOSE], r);
	assert_int_equal(t->promise_types[RS_PT_SLEEP], 5 * r);
	assert_int_equal(t->promise_types[RS_PT_EVENT], r);
	assert_true(t->saw_label_req3_part7);
	assert_int_equal(t->n[RS_EV_MARK], 1);
	assert_int_equal(t->last_mark_a, r);
	assert_string_equal(t->last_mark, "fanout done");
}

static void test_hosted_fanout(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	assert_int_equal(run_hosted("fanout", "--count 20 --quiet", &t, &st,
				    &out), 0);
	free(out);
	check_clean(&t, &st);
	check_fanout(&t, 20);
	/* Timers only fire from ticks, so the tick must have run. */
	assert_true(st.heartbeat_ticks > 0);
	assert_true(t.n[RS_EV_IRQ_ENTER] > 0);
}

/* The alloc workload's generator, mirrored: how many page blocks it asks
 * for in `iters` iterations. */
static uint64_t alloc_page_blocks(uint64_t iters)
{
	uint64_t s = 42, n = 0;
	for (uint64_t i = 0; i < iters; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		if ((s >> 33) % 3 == 0)
			n++;
	}
	return n;
}

static void test_hosted_alloc(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	assert_int_equal(run_hosted("alloc", "--count 1000", &t, &st, &out), 0);
	char expect[128];
	snprintf(expect, sizeof(expect), "%lu page blocks, %lu heap objects",
		 (unsigned long)alloc_page_blocks(1000),
		 (unsigned long)(1000 - alloc_page_blocks(1000)));
	assert_non_null(strstr(out, expect));
	free(out);
	check_clean(&t, &st);
	assert_int_equal(t.n[RS_EV_THREAD_CREATE], 1);
	/* Explicit blocks, the main thread's stack, and heap slabs. */
	assert_true(t.n[RS_EV_PAGE_ALLOC] >= alloc_page_blocks(1000) + 1);
	/* 15 periodic + 1 final, of each of the two counters. */
	assert_int_equal(t.n[RS_EV_COUNTER], 2 * (1000 / 64 + 1));
	assert_string_equal(t.last_counter, "pages_free");
	assert_int_equal(t.n[RS_EV_THREAD_YIELD], 1000 / 256);
	assert_string_equal(t.last_mark, "alloc done");
	assert_int_equal(t.last_mark_a, 1000);
}

/* demo.c's documented counts for N requests served. */
void check_demo(const struct tally *t, uint64_t n)
{
	const uint64_t f = n / 5 + (n % 5 == 4 ? 1 : 0), s = n - f;

	assert_true(n > 0);
	assert_int_equal(t->n[RS_EV_THREAD_CREATE], n + 2);
	assert_int_equal(t->n[RS_EV_PROMISE_CREATE], 7 * s + 6 * f + 1);
	assert_int_equal(t->promise_types[RS_PT_TASK], n);
	assert_int_equal(t->promise_types[RS_PT_BIND], 2 * n);
	assert_int_equal(t->promise_types[RS_PT_SLEEP], 3 * s + f);
	assert_int_equal(t->promise_types[RS_PT_EVENT], n);
	assert_int_equal(t->promise_types[RS_PT_WAIT], f + 1);
	assert_int_equal(t->n[RS_EV_PROMISE_RESOLVE], 7 * s + 2 * f + 1);
	assert_int_equal(t->n[RS_EV_PROMISE_FAIL], 4 * f);
	assert_int_equal(t->n[RS_EV_PROMISE_CANCEL], 0);
	assert_int_equal(t->n[RS_EV_PROMISE_BECOMES], 2 * s);
	assert_int_equal(t->n[RS_EV_PROMISE_READ], 2 * n + 1);
	assert_int_equal(t->n[RS_EV_PROMISE_TRY_READ], n);
	assert_int_equal(t->n[RS_EV_PROMISE_SIGNAL], n);
	assert_int_equal(t->n[RS_EV_PROMISE_LABEL], 4 * s + 2 * f + n + 1);
	assert_int_equal(t->n[RS_EV_TIMER_FIRE], 3 * s + f);
	assert_int_equal(t->n[RS_EV_EVTCHN_NOTIFY], n);
	assert_true(t->irq_by_vector[34] >= n);
	assert_int_equal(t->n[RS_EV_COUNTER], 2 * n + 2);
	assert_int_equal(t->last_requests, n);
	assert_string_equal(t->last_counter, "heap_in_use");
	assert_int_equal(t->n[RS_EV_MARK], 1);
	assert_string_equal(t->last_mark, "demo done");
	assert_int_equal(t->last_mark_a, n);
	assert_true(t->saw_label_get_index);
}

static void test_hosted_demo_count(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	assert_int_equal(run_hosted("demo", "--count 30", &t, &st, &out), 0);
	assert_non_null(strstr(out, "demo: 30 requests served"));
	free(out);
	check_clean(&t, &st);
	check_demo(&t, 30);
}

static void test_hosted_demo_seconds(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	/* Time-bound: the number of requests varies (8 ms apart), the
	 * counts per request do not. */
	assert_int_equal(run_hosted("demo", "--seconds 0.3 --quiet", &t, &st,
				    &out), 0);
	free(out);
	check_clean(&t, &st);
	assert_true(t.last_mark_a >= 5 && t.last_mark_a <= 60);
	check_demo(&t, t.last_mark_a);
}

RS_TEST_SUITE(kernel_workloads,
	cmocka_unit_test(test_hosted_pingpong),
	cmocka_unit_test(test_hosted_fanout),
	cmocka_unit_test(test_hosted_alloc),
	cmocka_unit_test(test_hosted_demo_count),
	cmocka_unit_test(test_hosted_demo_seconds))
