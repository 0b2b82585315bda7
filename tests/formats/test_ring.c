/*
 * test_ring.c - the ring protocol end to end in one process: the real
 * guest-trace writer against the one decoder. Encode/decode, wrap-around,
 * overwrite and discard loss accounting, hostile headers, and interrupt
 * nesting via signals (writers racing a live reader: test_stress.c; a
 * consumer stopping polls, and the batch interface: test_ring_consumer.c).
 *
 * The invariant checked everywhere: every accepted record is exactly what
 * was written (payload carries its own sequence number), and
 * accepted + counted-lost == written.
 */
#include "testlib.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_trace.h"
#include "rs_decode.h"

#include "ring_fixture.h"

/* ---- encode / decode --------------------------------------------------- */

struct collect {
	struct rs_event ev[64];
	char str[64][RS_MAX_RECORD + 1];
	int n;
};

static int collect_cb(void *opaque, const struct rs_event *ev)
{
	struct collect *c = opaque;
	if (c->n < 64) {
		c->ev[c->n] = *ev;
		if (ev->str) {
			strcpy(c->str[c->n], ev->str);
			c->ev[c->n].str = c->str[c->n];
		}
		c->n++;
	}
	return 0;
}

static void test_roundtrip_every_type(void **state)
{
	struct ring r;
	struct collect c = { .n = 0 };

	ring_open(&r, 64 * 1024, 1, RS_MODE_OVERWRITE, 0);
	gt_emit_str(r.h, 0, RS_EV_THREAD_CREATE, 1, RS_EV_NARGS(THREAD_CREATE),
		    5, 1, "worker-5");
	gt_emit(r.h, 0, RS_EV_THREAD_SWITCH, 1, RS_EV_NARGS(THREAD_SWITCH),
		1, 5, 0);
	gt_emit(r.h, 0, RS_EV_THREAD_BLOCK, 5, RS_EV_NARGS(THREAD_BLOCK),
		5, RS_BLOCK_SLEEP, 99);
	gt_emit(r.h, 0, RS_EV_PROMISE_CREATE, 5, RS_EV_NARGS(PROMISE_CREATE),
		42, 41, RS_PT_BIND);
	gt_emit_str(r.h, 0, RS_EV_PROMISE_FAIL, 5, RS_EV_NARGS(PROMISE_FAIL),
		    42, 43, "boom");
	gt_emit_str(r.h, 0, RS_EV_PROMISE_LABEL, 5, RS_EV_NARGS(PROMISE_LABEL),
		    42, 0, "");
	gt_emit(r.h, 0, RS_EV_IDLE_ENTER, 0, RS_EV_NARGS(IDLE_ENTER), 0, 0, 0);
	gt_emit_str(r.h, 0, RS_EV_COUNTER, 0, RS_EV_NARGS(COUNTER),
		    4096, 0, "heap");

	assert_int_equal(rs_reader_poll(&r.reader, collect_cb, &c), 8);
	assert_int_equal(c.n, 8);
	assert_int_equal(c.ev[0].type, RS_EV_THREAD_CREATE);
	assert_int_equal(c.ev[0].a, 5);
	assert_int_equal(c.ev[0].b, 1);
	assert_string_equal(c.ev[0].str, "worker-5");
	assert_int_equal(c.ev[1].b, 5);
	assert_int_equal(c.ev[2].ctx, 5);
	assert_int_equal(c.ev[2].c, 99);
	assert_int_equal(c.ev[3].c, RS_PT_BIND);
	assert_string_equal(c.ev[4].str, "boom");
	assert_int_equal(c.ev[4].b, 43);
	assert_string_equal(c.ev[5].str, "");
	assert_int_equal(c.ev[6].type, RS_EV_IDLE_ENTER);
	assert_int_equal(c.ev[7].a, 4096);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(c.ev[i].seq, i);
		if (i)
			assert_true(c.ev[i].tsc >= c.ev[i - 1].tsc);
	}
	/* Nothing new: a second poll delivers nothing. */
	assert_int_equal(rs_reader_poll(&r.reader, collect_cb, &c), 0);
	ring_close(&r);
}

static void test_long_string_truncated(void **state)
{
	struct ring r;
	struct collect c = { .n = 0 };
	char big[4000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ring_open(&r, 64 * 1024, 1, RS_MODE_OVERWRITE, 0);
	gt_emit_str(r.h, 0, RS_EV_MARK, 0, RS_EV_NARGS(MARK), 1, 0, big);
	assert_int_equal(rs_reader_poll(&r.reader, collect_cb, &c), 1);
	assert_true(c.ev[0].str_len > 900);
	assert_true(c.ev[0].str_len < RS_MAX_RECORD);
	assert_int_equal(c.ev[0].str[0], 'x');
	ring_close(&r);
}

static void test_decode_rejects_bad_records(void **state)
{
	uint64_t rec[8] = { 0 };
	struct rs_event ev;
	char sb[RS_MAX_RECORD + 1];

	/* size not a multiple of 8 */
	rec[0] = RS_EV_THREAD_EXIT | (20ull << 16);
	assert_int_equal(rs_decode_record((uint8_t *)rec, sizeof(rec), &ev, sb), 0);
	/* size larger than what is readable */
	rec[0] = RS_EV_THREAD_EXIT | (24ull << 16);
	assert_int_equal(rs_decode_record((uint8_t *)rec, 16, &ev, sb), 0);
	/* too small for the type's arguments */
	rec[0] = RS_EV_PROMISE_CREATE | (24ull << 16);
	assert_int_equal(rs_decode_record((uint8_t *)rec, sizeof(rec), &ev, sb), 0);
	/* unknown type */
	rec[0] = 100 | (24ull << 16);
	assert_int_equal(rs_decode_record((uint8_t *)rec, sizeof(rec), &ev, sb), 0);
	/* a guest may not forge LOST */
	rec[0] = RS_EV_LOST | (40ull << 16);
	assert_int_equal(rs_decode_record((uint8_t *)rec, sizeof(rec), &ev, sb), 0);
	/* string with no terminator inside the record is cut at the end */
	rec[0] = RS_EV_MARK | (32ull << 16);
	memset(&rec[3], 'y', 8);
	assert_int_equal(rs_decode_record((uint8_t *)rec, sizeof(rec), &ev, sb), 32);
	assert_int_equal(ev.str_len, 8);
	/* and a good one */
	rec[0] = RS_EV_THREAD_EXIT | (24ull << 16);
	rec[2] = 77;
	assert_int_equal(rs_decode_record((uint8_t *)rec, sizeof(rec), &ev, sb), 24);
	assert_int_equal(ev.a, 77);
}

/* ---- wrap-around and loss accounting ----------------------------------- */

static void test_wraparound_no_loss(void **state)
{
	struct ring r;
	struct tally t = { .type = PATTERN_TYPE };
	uint64_t written = 0;

	/* 8 KiB ring, 1 KiB chunks: 40-byte records pad at every chunk end.
	 * Polling every 50 records (2000 bytes) never lets the writer lap. */
	ring_open(&r, RS_HEADER_SIZE + 8192, 1, RS_MODE_OVERWRITE, 1024);
	for (int round = 0; round < 2000; round++) {
		for (int i = 0; i < 50; i++)
			emit_pattern(r.h, 0, written++);
		rs_reader_poll(&r.reader, check_cb, &t);
	}
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.lost, 0);
	assert_int_equal(t.accepted, written);
	assert_true(r.h->cpu[0].head > 10 * 8192);  /* it really wrapped */
	ring_close(&r);
}

static void test_overwrite_counts_loss_exactly(void **state)
{
	struct ring r;
	struct tally t = { .type = PATTERN_TYPE };
	uint64_t written = 0;

	ring_open(&r, RS_HEADER_SIZE + 8192, 1, RS_MODE_OVERWRITE, 1024);
	/* Irregular bursts, some far larger than the ring. */
	for (int round = 0; round < 300; round++) {
		int burst = (round * 7919) % 1500;
		for (int i = 0; i < burst; i++)
			emit_pattern(r.h, 0, written++);
		rs_reader_poll(&r.reader, check_cb, &t);
	}
	assert_int_equal(t.bad, 0);
	assert_true(t.lost > 0);
	assert_true(t.lost_events > 0);
	assert_int_equal(t.accepted + t.lost, written);
	assert_int_equal(r.reader.cpu[0].stats.lost, t.lost);
	/* The newest record always survives a flight recorder. */
	assert_int_equal(t.last_seq, written - 1);
	ring_close(&r);
}

static void test_late_reader_sees_newest(void **state)
{
	struct ring r;
	struct tally t = { .type = PATTERN_TYPE };

	ring_open(&r, RS_HEADER_SIZE + 16384, 1, RS_MODE_OVERWRITE, 1024);
	for (uint64_t i = 0; i < 100000; i++)
		emit_pattern(r.h, 0, i);
	rs_reader_poll(&r.reader, check_cb, &t);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.lost_events, 1);
	assert_int_equal(t.accepted + t.lost, 100000);
	assert_int_equal(t.last_seq, 99999);
	/* All but at most one chunk of the last lap is recovered. */
	assert_true(t.accepted * 40 >= 16384 - 2 * 1024);
	ring_close(&r);
}

static void test_discard_counts_drops(void **state)
{
	struct ring r;
	struct tally t = { .type = PATTERN_TYPE };

	ring_open(&r, RS_HEADER_SIZE + 8192, 1, RS_MODE_DISCARD, 1024);
	for (uint64_t i = 0; i < 1000; i++)
		emit_pattern(r.h, 0, i);
	rs_reader_poll(&r.reader, check_cb, &t);
	assert_int_equal(t.bad, 0);
	/* Keep-first: the oldest records survive, in order from seq 0. */
	assert_true(t.accepted > 150);
	assert_int_equal(t.accepted + t.lost, 1000);
	assert_int_equal(t.lost, r.h->cpu[0].dropped);
	assert_int_equal(t.lost_events, 1);
	/* Further drops are reported once each, not again. */
	for (uint64_t i = 1000; i < 1010; i++)
		emit_pattern(r.h, 0, i);
	rs_reader_poll(&r.reader, check_cb, &t);
	assert_int_equal(t.accepted + t.lost, 1010);
	assert_int_equal(t.lost_events, 2);
	ring_close(&r);
}

static void test_multi_cpu_rings_independent(void **state)
{
	struct ring r;
	struct collect c = { .n = 0 };

	ring_open(&r, RS_HEADER_SIZE + 4 * 16384, 4, RS_MODE_OVERWRITE, 0);
	for (unsigned cpu = 0; cpu < 4; cpu++)
		for (unsigned i = 0; i <= cpu; i++)
			gt_emit(r.h, cpu, RS_EV_IRQ_ENTER, 0, RS_EV_NARGS(IRQ_ENTER),
				cpu * 10 + i, 0, 0);
	assert_int_equal(rs_reader_poll(&r.reader, collect_cb, &c), 10);
	int per_cpu[4] = { 0 };
	for (int i = 0; i < c.n; i++) {
		per_cpu[c.ev[i].cpu]++;
		assert_int_equal(c.ev[i].a / 10, c.ev[i].cpu);
	}
	for (int cpu = 0; cpu < 4; cpu++)
		assert_int_equal(per_cpu[cpu], cpu + 1);
	ring_close(&r);
}

/* The reader copies a large lap in windows and checks each one; here the
 * writer laps it between two windows of one poll (the callback emits,
 * as an interrupt or another CPU would). The window that was reused must
 * not be delivered, and the loss must still be exact. */
struct lapper {
	struct tally t;
	struct rs_header *h;
	uint64_t at, burst, written;
};

static int lap_cb(void *opaque, const struct rs_event *ev)
{
	struct lapper *l = opaque;
	int rc = check_cb(&l->t, ev);

	if (ev->type != RS_EV_LOST && l->t.accepted == l->at)
		for (uint64_t i = 0; i < l->burst; i++)
			emit_pattern(l->h, 0, l->written++);
	return rc;
}

static void test_lapped_between_windows(void **state)
{
	struct ring r;
	/* 256 KiB: two 128 KiB windows. 6000 records (240 000 bytes) fit;
	 * 4000 more, emitted while the first window is delivered, reuse
	 * ring bytes up to 144 000, inside the second window. */
	const size_t ring = 256 * 1024;
	struct lapper l = { .t = { .type = PATTERN_TYPE }, .at = 100,
			    .burst = 4000 };

	ring_open(&r, RS_HEADER_SIZE + ring, 1, RS_MODE_OVERWRITE, 1024);
	l.h = r.h;
	for (; l.written < 6000; l.written++)
		emit_pattern(r.h, 0, l.written);
	rs_reader_poll(&r.reader, lap_cb, &l);
	assert_int_equal(l.t.bad, 0);
	assert_int_equal(l.t.lost_events, 1);
	/* Everything of the first window arrived, then the gap. */
	assert_true(l.t.accepted >= 128 * 1024 / 40 - 1024 / 40);
	assert_true(l.t.lost > 0);
	assert_int_equal(l.t.accepted + l.t.lost, 6000);
	/* The burst itself is intact and follows on. */
	rs_reader_poll(&r.reader, check_cb, &l.t);
	assert_int_equal(l.t.bad, 0);
	assert_int_equal(l.t.accepted + l.t.lost, l.written);
	assert_int_equal(r.reader.anomalies, 0);
	ring_close(&r);
}

/* ---- stopping and resuming (rs_decode.h) -------------------------------- */

/* ---- hostile headers and records --------------------------------------- */

static int layout_of(struct rs_header *h, size_t avail)
{
	struct rs_layout l;
	char err[160];
	return rs_layout_read(h, avail, RS_GPA_ANY, &l, err, sizeof(err));
}

static void test_header_lies_rejected(void **state)
{
	struct ring r;
	const size_t size = RS_HEADER_SIZE + 2 * 16384;

	ring_open(&r, size, 2, RS_MODE_OVERWRITE, 0);
	struct rs_header good = *r.h;
	assert_int_equal(layout_of(r.h, size), 0);
	assert_int_equal(layout_of(r.h, RS_HEADER_SIZE - 1), -1);  /* truncated */
	assert_int_equal(layout_of(r.h, size - 1), -1);  /* region > mapping */

#define LIE(field, value)                                   \
	do {                                                 \
		*r.h = good;                                 \
		r.h->field = (value);                        \
		assert_int_equal(layout_of(r.h, size), -1);  \
	} while (0)
	LIE(magic, RS_MAGIC + 1);
	LIE(abi_version, 99);
	LIE(header_size, 8192);
	LIE(ncpus, 0);
	LIE(ncpus, RS_MAX_CPUS + 1);
	LIE(ncpus, 0xffffffffu);
	LIE(mode, 7);
	LIE(region_size, (uint64_t)1 << 40);
	LIE(region_size, 100);
	LIE(region_gpa, 0x100123);
	LIE(tsc_hz, 0);
	LIE(cpu[0].data_offset, 0);                  /* inside the header */
	LIE(cpu[0].data_offset, RS_HEADER_SIZE + 8); /* not page aligned */
	LIE(cpu[1].data_offset, (uint64_t)-4096);    /* wraps around */
	LIE(cpu[0].data_size, 12288);                /* not a power of two */
	LIE(cpu[0].data_size, (uint64_t)1 << 62);    /* larger than region */
	LIE(cpu[1].data_offset, RS_HEADER_SIZE);     /* overlaps cpu 0 */
	LIE(cpu[0].chunk_size, 100);
	LIE(cpu[0].chunk_size, 16384);               /* half the ring max */
	LIE(cpu[0].chunk_size, 0);
#undef LIE
	*r.h = good;
	assert_int_equal(layout_of(r.h, size), 0);
	ring_close(&r);
}

static void test_region_find_by_scan(void **state)
{
	const size_t len = 64 * RS_PAGE_SIZE;
	uint8_t *mem = aligned_alloc(RS_PAGE_SIZE, len);
	struct rs_layout l;
	char err[160];
	struct gt_config cfg = {
		.region_gpa = 0x200000 + 17 * RS_PAGE_SIZE,
		.region_size = 9 * RS_PAGE_SIZE, .ncpus = 1, .nonce = 5,
		.tsc_hz = 1000000000, .boot_tsc = 1,
	};

	memset(mem, 0, len);
	/* A decoy: the magic with garbage after it. */
	memcpy(mem + 3 * RS_PAGE_SIZE, &(uint64_t){ RS_MAGIC }, 8);
	assert_int_equal(gt_region_init(mem + 17 * RS_PAGE_SIZE, &cfg), 0);
	assert_int_equal(rs_region_find(mem, len, 0x200000, &l, err,
					sizeof(err)), 17 * RS_PAGE_SIZE);
	assert_int_equal(l.nonce, 5);
	/* Found at the wrong address: the self-address check refuses it. */
	assert_int_equal(rs_region_find(mem, len, 0x300000, &l, err,
					sizeof(err)), -1);
	assert_non_null(strstr(err, "magic"));
	/* No magic at all. */
	memset(mem, 0, len);
	assert_int_equal(rs_region_find(mem, len, 0, &l, err, sizeof(err)), -1);
	free(mem);
}

static void test_corrupt_record_skips_chunk(void **state)
{
	struct ring r;
	struct tally t = { .type = PATTERN_TYPE };

	ring_open(&r, RS_HEADER_SIZE + 8192, 1, RS_MODE_OVERWRITE, 1024);
	for (uint64_t i = 0; i < 100; i++)
		emit_pattern(r.h, 0, i);
	/* Corrupt the 3rd record's size field in chunk 0. */
	uint8_t *data = (uint8_t *)r.h + r.h->cpu[0].data_offset;
	data[2 * 40 + 2] = 0x33;
	rs_reader_poll(&r.reader, check_cb, &t);
	assert_true(r.reader.anomalies > 0);
	/* Chunk 0 after the bad record is skipped; later chunks survive and
	 * the accounting still adds up. */
	assert_true(t.accepted >= 100 - 1024 / 40);
	assert_int_equal(t.accepted + t.lost, 100);
	ring_close(&r);
}

static void test_published_lies_bounded(void **state)
{
	struct ring r;
	struct tally t = { 0 };

	ring_open(&r, RS_HEADER_SIZE + 8192, 1, RS_MODE_OVERWRITE, 1024);
	for (uint64_t i = 0; i < 10; i++)
		emit_pattern(r.h, 0, i);
	rs_reader_poll(&r.reader, check_cb, &t);
	/* head jumps to absurd values: the copy is still one lap at most,
	 * inside the mapping (ASan would catch anything else). */
	r.h->cpu[0].head = UINT64_MAX - 7;
	r.h->cpu[0].head_pair = RS_PAIR_PACK(UINT64_MAX - 7, 1000000);
	r.h->cpu[0].head_written = 1000000;
	r.h->cpu[0].reserve = 5;
	rs_reader_poll(&r.reader, check_cb, &t);
	assert_int_equal(t.accepted + t.lost, 1000000);
	/* A pair that contradicts the full-width words is resolved to the
	 * nearest value; a position that goes backwards is refused. */
	uint64_t before = r.reader.anomalies;
	r.h->cpu[0].head = 8;
	r.h->cpu[0].head_pair = RS_PAIR_PACK(8, 1);
	r.h->cpu[0].head_written = 1;
	rs_reader_poll(&r.reader, check_cb, &t);
	assert_int_equal(r.reader.anomalies, before + 1);
	/* A record count that shrinks is refused too. */
	r.h->cpu[0].head = UINT64_MAX - 7;
	r.h->cpu[0].head_pair = RS_PAIR_PACK(UINT64_MAX - 7, 0);
	r.h->cpu[0].head_written = 0;
	rs_reader_poll(&r.reader, check_cb, &t);
	assert_int_equal(r.reader.anomalies, before + 2);
	ring_close(&r);
}

/* The writer packs head_pair with its own shift sequence; it must be the
 * contract's RS_PAIR_PACK for every head and count, wrapped bits too. */
static void test_pair_pack_matches_contract(void **state)
{
	static const uint64_t heads[] = {
		0, 8, 40, (1ull << 43) - 8, 1ull << 43, (1ull << 43) + 48,
		0x123456789abcdef0ull, UINT64_MAX - 7,
	};
	static const uint64_t counts[] = {
		0, 1, (1ull << 24) - 1, 1ull << 24, 0xfedcba987654ull,
		UINT64_MAX,
	};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		for (size_t j = 0; j < sizeof(counts) / sizeof(counts[0]); j++)
			assert_int_equal(gt_pair_pack(heads[i], counts[j]),
					 RS_PAIR_PACK(heads[i], counts[j]));
	/* and one worked by hand: head 0x28 is 5 words, count 3 */
	assert_int_equal(gt_pair_pack(0x28, 3), (3ull << 40) | 5);
}

/* ---- concurrency ------------------------------------------------------- */

/* Writer threads racing a live reader are in test_stress.c (the engine is
 * tests/stress/stress.c, shared with `make stress`). */

/* Interrupt nesting: a signal handler emits on the same ring while the
 * thread is anywhere inside an emit. */
/* Another three-argument type, so the handler's records carry a check too. */
#define NEST_IRQ_TYPE RS_EV_PROMISE_CREATE
#define NEST_IRQ_NARGS RS_EV_NARGS(PROMISE_CREATE)
static struct rs_header *nest_ring;
static volatile uint64_t nest_irq_count;

static void nest_handler(int sig)
{
	(void)sig;
	uint64_t i = nest_irq_count;
	gt_emit(nest_ring, 0, NEST_IRQ_TYPE, 0, NEST_IRQ_NARGS, i, ~i, 0);
	gt_emit_str(nest_ring, 0, RS_EV_MARK, 0, RS_EV_NARGS(MARK),
		    i, 0, "irq");
	nest_irq_count = i + 1;
}

struct nest_tally {
	uint64_t thread, irq, irq_marks, lost, bad, last_thread, last_irq;
	int have_thread, have_irq;
	/* records whose tsc is below the one before them in the ring */
	uint64_t last_tsc, tsc_back;
};

static int nest_cb(void *opaque, const struct rs_event *ev)
{
	struct nest_tally *t = opaque;

	/* One CPU's records are in time order, interrupts or not: the
	 * writer reads the TSC after its reservation's load of `reserve`,
	 * so a handler that emits in between makes its swap fail. */
	if (ev->type != RS_EV_LOST) {
		if (ev->tsc < t->last_tsc)
			t->tsc_back++;
		t->last_tsc = ev->tsc;
	}
	switch (ev->type) {
	case RS_EV_LOST:
		t->lost += ev->a;
		break;
	case PATTERN_TYPE:
		if (ev->b != ~ev->a || ev->c != ev->a * 0x9e3779b97f4a7c15ull ||
		    (t->have_thread && ev->a <= t->last_thread))
			t->bad++;
		t->last_thread = ev->a;
		t->have_thread = 1;
		t->thread++;
		break;
	case NEST_IRQ_TYPE:
		if (ev->b != ~ev->a || (t->have_irq && ev->a <= t->last_irq))
			t->bad++;
		t->last_irq = ev->a;
		t->have_irq = 1;
		t->irq++;
		break;
	case RS_EV_MARK:
		if (!ev->str || strcmp(ev->str, "irq") != 0)
			t->bad++;
		t->irq_marks++;
		break;
	default:
		t->bad++;
	}
	if (t->bad && getenv("RS_TEST_VERBOSE"))
		fprintf(stderr, "bad: type %u seq %lu a %lu b %lx\n", ev->type,
			(unsigned long)ev->seq, (unsigned long)ev->a,
			(unsigned long)ev->b);
	return 0;
}

/* Signals that must land during the run: enough that many arrive
 * mid-emit, few enough that a loaded 2-CPU machine delivers them in
 * seconds (20000 took over a minute with fuzzers running beside). */
#define NEST_SIGNALS 5000

struct nest_writer {
	struct rs_header *h;
	uint64_t count;
	pthread_t thread;
	volatile int done;
};

static void *nest_writer_thread(void *arg)
{
	struct nest_writer *w = arg;

	/* One CPU, so the TSC it reads only goes forward (the time-order
	 * check must not see two CPUs' counters). */
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
	/* Run until enough signals have landed mid-emit. */
	uint64_t i = 0;
	while (i < w->count || nest_irq_count < NEST_SIGNALS)
		emit_pattern(w->h, 0, i++);
	w->count = i;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Interrupts as fast as the kernel delivers them, to the writer only. */
static void *nest_kicker_thread(void *arg)
{
	struct nest_writer *w = arg;
	while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
		pthread_kill(w->thread, SIGUSR1);
	return NULL;
}

static void test_interrupt_nesting(void **state)
{
	struct ring r;
	struct nest_tally t = { 0 };
	struct sigaction sa = { .sa_handler = nest_handler };
	struct nest_writer w;
	pthread_t kicker;

	/* 64 KiB: the writer laps the live reader, so nesting, overwrite
	 * and torn copies all happen together. */
	ring_open(&r, RS_HEADER_SIZE + (1 << 16), 1, RS_MODE_OVERWRITE, 0);
	nest_ring = r.h;
	nest_irq_count = 0;
	w = (struct nest_writer){ .h = r.h, .count = 3000000 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	assert_int_equal(pthread_create(&w.thread, NULL, nest_writer_thread,
					&w), 0);
	assert_int_equal(pthread_create(&kicker, NULL, nest_kicker_thread, &w),
			 0);
	while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
		rs_reader_poll(&r.reader, nest_cb, &t);
	pthread_join(w.thread, NULL);
	pthread_join(kicker, NULL);
	signal(SIGUSR1, SIG_IGN);
	rs_reader_poll(&r.reader, nest_cb, &t);

	assert_true(nest_irq_count >= NEST_SIGNALS);
	assert_int_equal(t.bad, 0);
	assert_int_equal(t.tsc_back, 0);
	if (r.reader.anomalies)
		fprintf(stderr, "anomaly: %s\n", r.reader.err);
	assert_int_equal(r.reader.anomalies, 0);
	assert_int_equal(t.thread + t.irq + t.irq_marks + t.lost,
			 w.count + 2 * nest_irq_count);
	/* Everything published: nothing is stuck below an unpublished head. */
	assert_int_equal(r.h->cpu[0].head, r.h->cpu[0].reserve);
	assert_int_equal(r.h->cpu[0].nesting, 0);
	ring_close(&r);
}

RS_TEST_SUITE(ring,
	cmocka_unit_test(test_roundtrip_every_type),
	cmocka_unit_test(test_long_string_truncated),
	cmocka_unit_test(test_decode_rejects_bad_records),
	cmocka_unit_test(test_wraparound_no_loss),
	cmocka_unit_test(test_overwrite_counts_loss_exactly),
	cmocka_unit_test(test_late_reader_sees_newest),
	cmocka_unit_test(test_discard_counts_drops),
	cmocka_unit_test(test_multi_cpu_rings_independent),
	cmocka_unit_test(test_lapped_between_windows),
	cmocka_unit_test(test_header_lies_rejected),
	cmocka_unit_test(test_region_find_by_scan),
	cmocka_unit_test(test_corrupt_record_skips_chunk),
	cmocka_unit_test(test_published_lies_bounded),
	cmocka_unit_test(test_pair_pack_matches_contract),
	cmocka_unit_test(test_interrupt_nesting))
