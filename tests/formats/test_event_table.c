/*
 * test_event_table.c - the one table of event types (formats/contract/
 * rs_event_table.h) and everything made from it agree: the released
 * numbers and names are pinned, the decoder's vocabulary, a fresh store's
 * event_types rows, the sample traces' rows, the viewer's names, and the
 * kernel's emit helpers (their counts come from the table at compile
 * time, RS_EV_NARGS; here each helper's record must also decode as its
 * type, so a count written by hand would show).
 */
#include "testlib.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../collector/store.h"
#include "../kernel/core/trace.h"
#include "guest_trace.h"
#include "model.h"
#include "ringside_ring.h"
#include "rs_decode.h"

#define SAMPLES "samples/traces"

/* The table, expanded once for the checks below. */
struct entry {
	int value;
	const char *id;
	const char *name;
	int nargs;
	int has_str;
	const char *str;
	const char *arg[3];
};

#define ENTRY(id, v, nm, n, ...)       { v, #id, nm, n, 0, NULL, { __VA_ARGS__ } },
#define ENTRY_S(id, v, nm, n, s, ...)  { v, #id, nm, n, 1, s, { __VA_ARGS__ } },
static const struct entry table[] = { RS_EVENT_TABLE(ENTRY, ENTRY_S) };
#define NTABLE (sizeof(table) / sizeof(table[0]))

static const struct entry *table_find(int value)
{
	for (size_t i = 0; i < NTABLE; i++)
		if (table[i].value == value)
			return &table[i];
	return NULL;
}

/*
 * The released vocabulary, written out on purpose a second time: stored
 * traces, exported files and SQL users depend on these numbers, names and
 * sizes, so changing one in the table must fail here. Adding a type adds
 * a line here too; changing a line here means breaking old traces.
 */
static const struct released {
	int value;
	const char *name;
	int nargs, has_str;
} released[] = {
	{ 0, "pad", 0, 0 },               { 1, "lost", 3, 0 },
	{ 2, "thread_create", 2, 1 },     { 3, "thread_exit", 1, 0 },
	{ 4, "thread_switch", 2, 0 },     { 5, "thread_block", 3, 0 },
	{ 6, "thread_wake", 2, 0 },       { 7, "thread_yield", 1, 0 },
	{ 8, "runq_len", 1, 0 },          { 9, "thread_migrate", 3, 0 },
	{ 10, "lock_contend", 2, 0 },     { 16, "promise_create", 3, 0 },
	{ 17, "promise_read", 2, 0 },     { 18, "promise_try_read", 2, 0 },
	{ 19, "promise_resolve", 2, 0 },  { 20, "promise_fail", 2, 1 },
	{ 21, "promise_becomes", 2, 0 },  { 22, "promise_label", 1, 1 },
	{ 23, "promise_signal", 2, 0 },   { 24, "promise_cancel", 2, 0 },
	{ 32, "page_alloc", 2, 0 },       { 33, "page_free", 2, 0 },
	{ 34, "heap", 2, 0 },             { 48, "irq_enter", 1, 0 },
	{ 49, "irq_exit", 1, 0 },         { 50, "timer_fire", 2, 0 },
	{ 51, "evtchn_notify", 1, 0 },    { 52, "idle_enter", 0, 0 },
	{ 53, "idle_exit", 0, 0 },        { 54, "ipi_send", 2, 0 },
	{ 55, "ipi_recv", 1, 0 },         { 64, "counter", 1, 1 },
	{ 65, "mark", 1, 1 },
};

static void test_event_table_released_values_pinned(void **state)
{
	(void)state;
	assert_int_equal(NTABLE, sizeof(released) / sizeof(released[0]));
	for (size_t i = 0; i < sizeof(released) / sizeof(released[0]); i++) {
		const struct released *r = &released[i];
		const struct entry *e = table_find(r->value);
		if (!e)
			fail_msg("type %d (%s) left the table", r->value, r->name);
		assert_string_equal(e->name, r->name);
		assert_int_equal(e->nargs, r->nargs);
		assert_int_equal(e->has_str, r->has_str);
	}
	/* The enum is made from the same lines: spot-check its spelling. */
	assert_int_equal(RS_EV_THREAD_CREATE, 2);
	assert_int_equal(RS_EV_PROMISE_CANCEL, 24);
	assert_int_equal(RS_EV_MARK, 65);
	assert_int_equal(RS_EV_NARGS(THREAD_BLOCK), 3);
	assert_int_equal(RS_EV_HAS_STR(PROMISE_LABEL), 1);
	assert_int_equal(RS_EV_TYPE_LIMIT, 128);
}

/* Values in range and unique, a name each, names unique, at most three
 * arguments with a name for each. */
static void test_event_table_well_formed(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTABLE; i++) {
		const struct entry *e = &table[i];
		assert_true(e->value >= 0 && e->value < RS_EV_TYPE_LIMIT);
		assert_true(e->nargs >= 0 && e->nargs <= 3);
		assert_non_null(e->name);
		assert_int_equal(e->has_str, e->str != NULL);
		for (int a = 0; a < 3; a++)
			assert_int_equal(e->arg[a] != NULL, a < e->nargs);
		for (size_t j = 0; j < i; j++) {
			assert_int_not_equal(table[j].value, e->value);
			assert_string_not_equal(table[j].name, e->name);
		}
	}
}

/* The decoder knows exactly the table's types, with its names and counts. */
static void test_event_table_decoder_matches_table(void **state)
{
	(void)state;
	for (int t = 0; t < RS_EV_TYPE_LIMIT; t++) {
		const struct entry *e = table_find(t);
		if (!e) {
			assert_int_equal(rs_event_nargs((uint16_t)t), -1);
			assert_string_equal(rs_event_name((uint16_t)t), "unknown");
			continue;
		}
		assert_string_equal(rs_event_name((uint16_t)t), e->name);
		assert_int_equal(rs_event_nargs((uint16_t)t), e->nargs);
		assert_int_equal(rs_event_has_str((uint16_t)t), e->has_str);
		if (e->has_str)
			assert_string_equal(rs_event_str_name((uint16_t)t), e->str);
		else
			assert_null(rs_event_str_name((uint16_t)t));
		for (unsigned a = 0; a < 3; a++) {
			const char *n = rs_event_arg_name((uint16_t)t, a);
			if (a < (unsigned)e->nargs)
				assert_string_equal(n, e->arg[a]);
			else
				assert_null(n);
		}
	}
	assert_int_equal(rs_event_nargs(RS_EV_TYPE_LIMIT), -1);
	/* signed words: heap's delta, and nothing else (released) */
	int nsigned = 0;
	for (int t = 0; t < RS_EV_TYPE_LIMIT; t++)
		for (unsigned a = 0; a < 3; a++)
			nsigned += rs_event_arg_signed((uint16_t)t, a);
	assert_int_equal(nsigned, 1);
	assert_int_equal(rs_event_arg_signed(RS_EV_HEAP, 1), 1);
	assert_string_equal(rs_event_arg_name(RS_EV_HEAP, 1), "delta");
}

/* event_types rows of the database at `path` are the table's, exactly
 * (subset: every row is the table's, but the table may have more). */
static void check_event_types(const char *path, int subset)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t rows = 0;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, name FROM event_types"
					    " ORDER BY id", -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const int id = sqlite3_column_int(st, 0);
		const struct entry *e = table_find(id);
		if (!e)
			fail_msg("%s: event_types has %d, the table does not",
				 path, id);
		assert_string_equal((const char *)sqlite3_column_text(st, 1),
				    e->name);
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (subset)
		assert_true(rows > 0);
	else
		assert_int_equal(rows, NTABLE);
}

static void test_event_table_fresh_store_rows_are_the_table(void **state)
{
	(void)state;
	char *dir = rs_tmpdir();
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/fresh.db", dir);

	struct rs_store *st = rs_store_open(path, 1, err, sizeof(err));
	if (!st)
		fail_msg("rs_store_open: %s", err);
	rs_store_close(st);
	check_event_types(path, 0);
	rs_tmpdir_cleanup(dir);
}

/* Traces made before the table keep their meaning: every row they hold
 * is the table's. */
static void test_event_table_sample_rows_agree(void **state)
{
	(void)state;
	static const char *const samples[] = { "pingpong", "hang", "crash" };
	char path[256];

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		snprintf(path, sizeof(path), SAMPLES "/%s.db", samples[i]);
		check_event_types(path, 1);
	}
}

static void test_event_table_viewer_names_are_the_decoders(void **state)
{
	(void)state;
	for (int t = -1; t <= RS_EV_TYPE_LIMIT + 1; t++) {
		const struct entry *e = table_find(t);
		const char *n = rv_event_name(t);
		if (!e || t == RS_EV_PAD) {
			assert_null(n);
			continue;
		}
		assert_non_null(n);
		assert_string_equal(n, e->name);
		assert_string_equal(n, rs_event_name((uint16_t)t));
	}
	for (int p = 0; p < RS_PT_COUNT; p++)
		assert_string_equal(rv_ptype_name(p),
				    rs_promise_type_name((uint64_t)p));
}

/* ---- the kernel's emit helpers ------------------------------------------- */

struct seen {
	struct rs_event ev[40];
	int n, lost;
};

static int seen_cb(void *opaque, const struct rs_event *ev)
{
	struct seen *s = opaque;
	if (ev->type == RS_EV_LOST)
		s->lost++;
	else if (s->n < 40)
		s->ev[s->n++] = *ev;
	return 0;
}

/* Every helper once, in this order; argument k of helper i is
 * ARG(i, k), so a word in the wrong place shows. */
#define ARG(i, k) (0x100u * (i) + (k) + 1)
static const uint16_t helper_types[] = {
	RS_EV_THREAD_CREATE, RS_EV_THREAD_EXIT, RS_EV_THREAD_SWITCH,
	RS_EV_THREAD_BLOCK, RS_EV_THREAD_WAKE, RS_EV_THREAD_YIELD,
	RS_EV_RUNQ_LEN, RS_EV_THREAD_MIGRATE, RS_EV_LOCK_CONTEND,
	RS_EV_PROMISE_CREATE, RS_EV_PROMISE_READ,
	RS_EV_PROMISE_TRY_READ, RS_EV_PROMISE_RESOLVE, RS_EV_PROMISE_FAIL,
	RS_EV_PROMISE_BECOMES, RS_EV_PROMISE_LABEL, RS_EV_PROMISE_SIGNAL,
	RS_EV_PROMISE_CANCEL, RS_EV_PAGE_ALLOC, RS_EV_PAGE_FREE, RS_EV_HEAP,
	RS_EV_IRQ_ENTER, RS_EV_IRQ_EXIT, RS_EV_TIMER_FIRE,
	RS_EV_EVTCHN_NOTIFY, RS_EV_IDLE_ENTER, RS_EV_IDLE_EXIT,
	RS_EV_IPI_SEND, RS_EV_IPI_RECV, RS_EV_COUNTER, RS_EV_MARK,
};
#define NHELPERS (sizeof(helper_types) / sizeof(helper_types[0]))

static void call_every_helper(void)
{
	int i = 0;
	trace_thread_create(ARG(i, 0), ARG(i, 1), "s"); i++;
	trace_thread_exit(ARG(i, 0)); i++;
	trace_thread_switch(ARG(i, 0), ARG(i, 1)); i++;
	trace_thread_block(ARG(i, 0), ARG(i, 1), ARG(i, 2)); i++;
	trace_thread_wake(ARG(i, 0), ARG(i, 1)); i++;
	trace_thread_yield(ARG(i, 0)); i++;
	trace_runq_len(ARG(i, 0)); i++;
	trace_thread_migrate(ARG(i, 0), ARG(i, 1), ARG(i, 2)); i++;
	trace_lock_contend(ARG(i, 0), ARG(i, 1)); i++;
	trace_promise_create(ARG(i, 0), ARG(i, 1), ARG(i, 2)); i++;
	trace_promise_read(ARG(i, 0), ARG(i, 1)); i++;
	trace_promise_try_read(ARG(i, 0), ARG(i, 1)); i++;
	trace_promise_resolve(ARG(i, 0), ARG(i, 1)); i++;
	trace_promise_fail(ARG(i, 0), ARG(i, 1), "s"); i++;
	trace_promise_becomes(ARG(i, 0), ARG(i, 1)); i++;
	trace_promise_label(ARG(i, 0), "s"); i++;
	trace_promise_signal(ARG(i, 0), ARG(i, 1)); i++;
	trace_promise_cancel(ARG(i, 0), ARG(i, 1)); i++;
	trace_page_alloc(ARG(i, 0), ARG(i, 1)); i++;
	trace_page_free(ARG(i, 0), ARG(i, 1)); i++;
	trace_heap(ARG(i, 0), ARG(i, 1)); i++;
	trace_irq_enter(ARG(i, 0)); i++;
	trace_irq_exit(ARG(i, 0)); i++;
	trace_timer_fire(ARG(i, 0), ARG(i, 1)); i++;
	trace_evtchn_notify(ARG(i, 0)); i++;
	trace_idle_enter(); i++;
	trace_idle_exit(); i++;
	trace_ipi_send(ARG(i, 0), ARG(i, 1)); i++;
	trace_ipi_recv(ARG(i, 0)); i++;
	trace_counter(ARG(i, 0), "s"); i++;
	trace_mark(ARG(i, 0), "s"); i++;
	assert_int_equal(i, NHELPERS);
}

static void test_event_table_kernel_helpers_write_the_table(void **state)
{
	(void)state;
	const size_t size = RS_HEADER_SIZE + 64 * 1024;
	struct gt_config cfg = {
		.region_gpa = 0x100000, .region_size = size, .ncpus = 1,
		.mode = RS_MODE_DISCARD, .chunk_size = 4096, .nonce = 7,
		.tsc_hz = 2000000000ull, .boot_tsc = gt_rdtsc(),
	};
	struct rs_header *h = aligned_alloc(RS_PAGE_SIZE, size);
	struct rs_layout l;
	struct rs_reader rd;
	struct seen s = { .n = 0 };
	char err[160];

	assert_non_null(h);
	assert_int_equal(gt_region_init(h, &cfg), 0);
	assert_int_equal(rs_layout_read(h, size, RS_GPA_ANY, &l, err,
					sizeof(err)), 0);
	assert_int_equal(rs_reader_init(&rd, h, size, &l), 0);
	struct rs_header *saved = trace_region;
	trace_region = h;
	call_every_helper();
	trace_region = saved;
	assert_true(rs_reader_poll(&rd, seen_cb, &s) >= 0);

	/* A helper whose count is not the table's writes a record the
	 * decoder refuses (counted lost) or misreads. */
	assert_int_equal(s.lost, 0);
	assert_int_equal(s.n, NHELPERS);
	for (int i = 0; i < (int)NHELPERS; i++) {
		const struct rs_event *ev = &s.ev[i];
		const struct entry *e = table_find(ev->type);
		assert_int_equal(ev->type, helper_types[i]);
		assert_non_null(e);
		/* exact size: a count above the table's would still decode */
		assert_int_equal(ev->raw_size, RS_RECORD_HDR + 8u * e->nargs +
						(e->has_str ? 8u : 0));
		const uint64_t got[3] = { ev->a, ev->b, ev->c };
		for (int k = 0; k < 3; k++)
			assert_int_equal(got[k], k < e->nargs ? ARG(i, k) : 0);
		if (e->has_str)
			assert_string_equal(ev->str, "s");
		else
			assert_null(ev->str);
	}
	rs_reader_free(&rd);
	free(h);
}

RS_TEST_SUITE(event_table,
	      cmocka_unit_test(test_event_table_released_values_pinned),
	      cmocka_unit_test(test_event_table_well_formed),
	      cmocka_unit_test(test_event_table_decoder_matches_table),
	      cmocka_unit_test(test_event_table_fresh_store_rows_are_the_table),
	      cmocka_unit_test(test_event_table_sample_rows_agree),
	      cmocka_unit_test(test_event_table_viewer_names_are_the_decoders),
	      cmocka_unit_test(test_event_table_kernel_helpers_write_the_table))
