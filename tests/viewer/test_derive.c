/*
 * test_derive.c - the viewer's derivation (viewer/derive.c) fed events
 * directly through rv_builder, without a database: how guest ids map to
 * promise rows when the ids are dense, sparse, or both; what a gap of lost
 * records does to lanes, states and promises (and how such a promise's
 * end is drawn); what a search matches.
 */
#include "testlib.h"

#include <glib.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "draw.h"
#include "idmap.h"
#include "model.h"
#include "ringside_ring.h"
#include "view_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
/* The ASan runtime's count (declared here: gcc ships no header for it,
 * clang's is sanitizer/allocator_interface.h). */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_in_use(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}
#endif

static void create(rv_builder *b, int64_t t, uint64_t id)
{
	rv_builder_event(b, 0, t, RS_EV_PROMISE_CREATE, 1, id, 0, 0, NULL);
}

static void resolve(rv_builder *b, int64_t t, uint64_t id)
{
	rv_builder_event(b, 0, t, RS_EV_PROMISE_RESOLVE, 1, id, 0, 0, NULL);
}

static uint32_t promises(const rv_model *m)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->pp.n; i++)
		n += !rv_pp_is_thread(&m->pp, i);
	return n;
}

static int64_t pp_of(const rv_model *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->pp.n; i++)
		if (!rv_pp_is_thread(&m->pp, i) && rv_pp_id(&m->pp, i) == id)
			return i;
	return -1;
}

/* An id first seen far above the others goes to the hash; once enough
 * ids below it arrive, the dense array grows over it. A later event for
 * that id must still find its promise, not make a second one. */
static void test_sparse_id_then_dense_growth(void **state)
{
	(void)state;
	const uint64_t far = 1000007;   /* below 2^20, so the array reaches it */
	rv_model *m = fed_model_new();
	rv_builder *b = rv_builder_new(m);
	create(b, 1, far);
	for (uint64_t id = 1; id <= 70000; id++)
		create(b, 1 + (int64_t)id, id);
	resolve(b, 100000, far);
	resolve(b, 100001, 5);
	create(b, 100002, far);   /* the same id again: the same promise */
	rv_builder_finish(b);

	assert_int_equal(promises(m), 70001);
	int64_t x = pp_of(m, far);
	assert_true(x >= 0);
	assert_int_equal(rv_pp_resolved(&m->pp, x), 100000);
	assert_int_equal(rv_pp_resolved(&m->pp, pp_of(m, 5)), 100001);
	rv_model_free(m);
}

/* A handful of ids scattered below 2^24 (a guest's own choice, or a
 * hostile trace) must not cost the dense array's 64 MB. */
static void test_sparse_ids_stay_small(void **state)
{
	(void)state;
	rv_model *m = fed_model_new();
	rv_builder *b = rv_builder_new(m);
	const size_t before = heap_in_use();
	for (uint64_t k = 1; k <= 8; k++)
		create(b, (int64_t)k, k * 2000000 - 1);
	const size_t grew = heap_in_use() - before;
	for (uint64_t k = 1; k <= 8; k++)
		resolve(b, 100 + (int64_t)k, k * 2000000 - 1);
	rv_builder_finish(b);
	assert_int_equal(promises(m), 8);
	for (uint64_t k = 1; k <= 8; k++)
		assert_int_equal(rv_pp_resolved(&m->pp, pp_of(m, k * 2000000 - 1)),
				 100 + (int64_t)k);
	/* the old dense array took 4 bytes for every id below the highest:
	 * 64 MB here; a hash of 8 ids and the rows are well under 4 MB */
	if (grew >= (4u << 20))
		fail_msg("8 sparse ids took %zu bytes", grew);
	rv_model_free(m);
}

/* Counter-allocated ids past 2^24 (a trace past ~150 M events) stay in
 * the dense array: in the hash, whose growth rehashes all it holds, a
 * follow stalled for seconds. */
static void test_dense_ids_past_2p24(void **state)
{
	(void)state;
	rv_idmap map = { 0 };
	const uint32_t n = (1u << 24) + 4096;
	for (uint32_t id = 1; id <= n; id++)
		rv_idmap_put(&map, id, id - 1);
	assert_int_equal(rs_u64map_count(&map.hash), 0);
	assert_int_equal(map.dense_n, n);
	for (uint32_t id = 1; id <= n; id += 4093)
		assert_int_equal(rv_idmap_get(&map, id), id - 1);
	assert_int_equal(rv_idmap_get(&map, n), n - 1);
	assert_int_equal(rv_idmap_get(&map, n + 1), -1);
	rv_idmap_free(&map);
}

/* Records of CPU 0 lost between 100 and 200: thread 2's run, its
 * running state and the lane stop at 100; the lane resumes at 200 with
 * the thread the first record after names (3), not the one before; a
 * promise created at 60 and never seen again ends "unknown" at 100, one
 * resolved after the gap keeps its end (its line is cut when drawn). */
static void test_gap_cuts_and_end_unknown(void **state)
{
	(void)state;
	rv_model *m = fed_model_new();
	rv_lost gap = { .cpu = 0, .count = 7, .from = 100, .to = 200 };
	m->lost = &gap;
	m->nlost = 1;
	rv_builder *b = rv_builder_new(m);
	rv_builder_event(b, 0, 10, RS_EV_THREAD_SWITCH, 1, 1, 2, 0, NULL);
	rv_builder_event(b, 0, 60, RS_EV_PROMISE_CREATE, 2, 5, 0, 0, NULL);
	rv_builder_event(b, 0, 70, RS_EV_PROMISE_CREATE, 2, 6, 0, 0, NULL);
	rv_builder_event(b, 0, 100, RS_EV_HEAP, 2, 64, 0, 0, NULL);
	rv_builder_event(b, 0, 200, RS_EV_PROMISE_RESOLVE, 3, 6, 0, 0, NULL);
	rv_builder_event(b, 0, 300, RS_EV_MARK, 3, 1, 0, 0, "end");
	rv_builder_finish(b);
	m->lost = NULL;
	m->nlost = 0;

	const rv_spans *lane = &m->cpu_lane[0];
	assert_int_equal(lane->n, 2);
	assert_int_equal(RV_START(lane, 0), 10);
	assert_int_equal(RV_END(lane, 0), 100);
	assert_int_equal(m->threads[RV_REF(lane, 0)].tid, 2);
	assert_int_equal(RV_START(lane, 1), 200);
	assert_int_equal(RV_END(lane, 1), 300);
	assert_int_equal(m->threads[RV_REF(lane, 1)].tid, 3);
	for (uint32_t t = 0; t < m->nthreads; t++)
		for (uint32_t i = 0; i < m->threads[t].states.n; i++)
			assert_true(RV_END(&m->threads[t].states, i) <= 100 ||
				    RV_START(&m->threads[t].states, i) >= 200);
	int64_t p5 = pp_of(m, 5), p6 = pp_of(m, 6);
	assert_int_equal(m->pp.state[p5], RV_PS_END_UNKNOWN);
	assert_int_equal(rv_pp_own_end(&m->pp, p5), 100);
	assert_int_equal(rv_pp_resolved(&m->pp, p5), INT64_MAX);
	assert_int_equal(m->pp.state[p6], RV_PS_RESOLVED);
	assert_int_equal(rv_pp_own_end(&m->pp, p6), 200);
	rv_model_free(m);
}

/* A promise another became (A becomes B: B's line moves onto A's row)
 * was pending when the becomes was recorded, after the first gap on its
 * CPU: its end is unknown from the first gap after the move (700), not
 * from the one before it (100). Drawn, its line ends on A's row in the
 * end-unknown mark, and where it moved (500) its own row has no mark:
 * the line goes on elsewhere. (Before, its end was put at 100 and the
 * mark drawn at the move; a real trace's test caught it, sometimes.) */
static void test_moved_promise_ends_after_the_move(void **state)
{
	(void)state;
	rv_model *m = fed_model_new();
	rv_lost gaps[2] = { { .cpu = 0, .count = 3, .from = 100, .to = 200 },
			    { .cpu = 0, .count = 4, .from = 700, .to = 800 } };
	m->lost = gaps;
	m->nlost = 2;
	rv_builder *b = rv_builder_new(m);
	rv_builder_event(b, 0, 10, RS_EV_THREAD_SWITCH, 1, 1, 2, 0, NULL);
	rv_builder_event(b, 0, 20, RS_EV_PROMISE_CREATE, 2, 5, 0, 0, NULL);
	rv_builder_event(b, 0, 60, RS_EV_PROMISE_CREATE, 2, 6, 0, 0, NULL);
	rv_builder_event(b, 0, 100, RS_EV_HEAP, 2, 64, 0, 0, NULL);
	rv_builder_event(b, 0, 200, RS_EV_MARK, 2, 1, 0, 0, "back");
	rv_builder_event(b, 0, 500, RS_EV_PROMISE_BECOMES, 2, 5, 6, 0, NULL);
	rv_builder_event(b, 0, 700, RS_EV_HEAP, 2, 64, 0, 0, NULL);
	rv_builder_event(b, 0, 800, RS_EV_MARK, 2, 2, 0, 0, "back");
	rv_builder_event(b, 0, 1000, RS_EV_MARK, 2, 3, 0, 0, "end");
	rv_builder_finish(b);
	rv_layout(m);
	m->lost = NULL;
	m->nlost = 0;

	const int64_t pa = pp_of(m, 5), pb = pp_of(m, 6);
	assert_true(pa >= 0 && pb >= 0);
	assert_int_equal(rv_pp_follows(&m->pp, pa), pb);
	assert_int_equal(rv_pp_own_end(&m->pp, pa), 500);
	assert_int_equal(m->pp.state[pb], RV_PS_END_UNKNOWN);
	assert_int_equal(rv_pp_own_end(&m->pp, pb), 700);
	const int32_t own = rv_pp_row_at(m, pb, 499);
	const int32_t root = rv_pp_row_at(m, pb, 500);
	assert_int_equal(root, m->pp.row[pa]);
	assert_int_not_equal(own, root);

	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = { .width = RV_LEFT_W + 500,
		      .height = (int)g.total_h + RV_RULER_H + 20 };
	rv_view_fit(&v, m);
	pic p = draw_view(m, &v);
	const end_ink at_end = end_mark_ink(&p, (int)floor(rv_x(&v, 700)),
		(int)lround(rv_row_line_y(&g, &v, root)));
	const end_ink at_move = end_mark_ink(&p, (int)floor(rv_x(&v, 500)),
		(int)lround(rv_row_line_y(&g, &v, own)));
	cairo_surface_destroy(p.s);
	if (!at_end.above || !at_end.below || at_end.after)
		fail_msg("no end-unknown mark at 700 on A's row: ink %d above,"
			 " %d below, %d after", at_end.above, at_end.below,
			 at_end.after);
	if (at_move.above || at_move.below)
		fail_msg("a mark where B's line moved: ink %d above, %d below",
			 at_move.above, at_move.below);
	rv_model_free(m);
}

/* rv_search ignores case, ASCII or not: its in-place ASCII path and the
 * casefolding path find the same labels. */
static void test_search_ignores_case(void **state)
{
	static const char *labels[] = {
		"GET /index 12", "get /Index 3", "POST /api", "Überweisung 7",
		"ÜBERWEISUNG 8", "db query 12", NULL, "K-line",
		"\xe2\x84\xaa-mark",  /* KELVIN SIGN, casefolded to k */
	};
	const int n = (int)(sizeof labels / sizeof labels[0]);
	rv_model *m = fed_model_new();
	rv_builder *b = rv_builder_new(m);
	for (int i = 0; i < n; i++) {
		create(b, 10 * i + 1, 100 + i);
		if (labels[i])
			rv_builder_event(b, 0, 10 * i + 2, RS_EV_PROMISE_LABEL,
					 1, 100 + i, 0, 0, labels[i]);
	}
	rv_builder_finish(b);
	uint8_t *match = g_malloc0(m->pp.n);
	static const struct {
		const char *needle;
		const char *want;   /* one letter per label: 1 = match */
	} cases[] = {
		{ "get /index", "110000000" }, { "INDEX", "110000000" },
		{ "überw", "000110000" },      { "ÜBERW", "000110000" },
		{ "12", "100001000" },         { "", "000000000" },
		{ "/", "111000000" },          { "zzz", "000000000" },
		/* U+212A KELVIN SIGN casefolds to an ASCII k */
		{ "\xe2\x84\xaa-LINE", "000000010" },
		{ "k-MARK", "000000001" },     { "-", "000000011" },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		uint32_t hits = rv_search(m, cases[c].needle, match);
		uint32_t want = 0;
		for (int i = 0; i < n; i++) {
			int64_t p = pp_of(m, 100 + i);
			assert_true(p >= 0);
			bool w = cases[c].want[i] == '1';
			want += w;
			if (match[p] != w)
				fail_msg("search '%s': label %d ('%s') %s",
					 cases[c].needle, i,
					 labels[i] ? labels[i] : "(none)",
					 w ? "missed" : "matched");
		}
		assert_int_equal(hits, want);
	}
	g_free(match);
	rv_model_free(m);
}

RS_TEST_SUITE(derive,
	      cmocka_unit_test(test_sparse_id_then_dense_growth),
	      cmocka_unit_test(test_dense_ids_past_2p24),
	      cmocka_unit_test(test_sparse_ids_stay_small),
	      cmocka_unit_test(test_gap_cuts_and_end_unknown),
	      cmocka_unit_test(test_moved_promise_ends_after_the_move),
	      cmocka_unit_test(test_search_ignores_case))
