/*
 * test_ring_consumer.c - the decoder's side of its contract with a
 * consumer (RING.md, the end of "The reader"): a callback that stops a
 * poll, after any event and while the writer laps the ring, resumes
 * exactly where it stopped; and the batch interface delivers the very
 * events the one-at-a-time interface does. accepted + lost == written
 * throughout.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring_fixture.h"

/* Stops the poll after every `every`-th event (or every array) it is
 * handed, returning `ret`; checks each event as check_cb does. */
struct stopper {
	struct tally t;
	uint64_t handed, every;
	int ret;
};

static int stop_one(void *opaque, const struct rs_event *ev)
{
	struct stopper *s = opaque;
	check_cb(&s->t, ev);
	return ++s->handed % s->every ? 0 : s->ret;
}

static int stop_many(void *opaque, const struct rs_event *ev, size_t n)
{
	struct stopper *s = opaque;
	for (size_t i = 0; i < n; i++)
		check_cb(&s->t, &ev[i]);
	s->handed += n;
	return s->ret;
}

/* One poll; a stopped one returns what rs_decode.h says: negative, the
 * callback's value or its negation. */
static long poll_stopping(struct ring *r, struct stopper *s, int batch)
{
	long got = batch ? rs_reader_poll_batch(&r->reader, stop_many, s)
			 : rs_reader_poll(&r->reader, stop_one, s);
	if (got < 0)
		assert_int_equal(got, s->ret < 0 ? s->ret : -s->ret);
	return got;
}

/* A stop keeps the event it stopped at delivered, and the next poll goes
 * on with the one after: 10 written are 10 accepted, once each, in order,
 * whether the callback stops after each event, every third, or each array
 * of the batch API. (Once, a stopped poll was delivered again from its
 * start: 11 accepted for 10 written.) */
static void test_stop_resumes_exactly(void **state)
{
	static const struct { uint64_t written, every; int ret, batch; } c[] = {
		{ 10, 1, 1, 0 }, { 10, 3, -7, 0 }, { 200, 1, 2, 1 },
	};
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		struct ring r;
		struct stopper s = { .t = { .type = PATTERN_TYPE },
				     .every = c[k].every, .ret = c[k].ret };
		ring_open(&r, RS_HEADER_SIZE + 65536, 1, RS_MODE_OVERWRITE,
			  1024);
		for (uint64_t i = 0; i < c[k].written; i++)
			emit_pattern(r.h, 0, i);
		uint64_t stops = 0;
		while (poll_stopping(&r, &s, c[k].batch) < 0)
			assert_true(++stops <= c[k].written);
		assert_int_equal(s.t.bad, 0);
		assert_int_equal(s.t.accepted, c[k].written);
		assert_int_equal(s.t.last_seq, c[k].written - 1);
		assert_int_equal(r.reader.cpu[0].stats.accepted, c[k].written);
		assert_int_equal(r.reader.cpu[0].stats.lost, 0);
		if (!c[k].batch)   /* a stop after each `every` events */
			assert_int_equal(stops, c[k].written / c[k].every);
		ring_close(&r);
	}
}

/* The same through losses, in both modes: the writer laps (or fills) the
 * ring while the reader is stopped, every event stops the poll, LOST ones
 * included, and still accepted + lost == written, in the reader's
 * counters and in what the callback saw, with no LOST reported twice. */
static void test_stop_through_losses(void **state)
{
	for (uint32_t mode = RS_MODE_OVERWRITE; ; mode = RS_MODE_DISCARD) {
		struct ring r;
		struct stopper s = { .t = { .type = PATTERN_TYPE }, .every = 1,
				     .ret = 1 };
		uint64_t written = 0;
		ring_open(&r, RS_HEADER_SIZE + 8192, 1, mode, 1024);
		for (int poll = 0; poll < 3000; poll++) {
			/* bursts of a lap and more, now and then */
			for (int i = poll % 97 == 0 ? 300 : 0; i > 0; i--)
				emit_pattern(r.h, 0, written++);
			if (poll_stopping(&r, &s, 0) >= 0 && poll > 2000)
				break;
		}
		/* one event a poll: what is left takes a lap's worth at most */
		for (int polls = 0; poll_stopping(&r, &s, 0) < 0; polls++)
			assert_true(polls < (int)(8192 / RS_PAD_MIN));
		const struct rs_cpu_stats *st = &r.reader.cpu[0].stats;
		assert_int_equal(s.t.bad, 0);
		assert_true(s.t.lost_events >= 2);
		assert_int_equal(s.t.accepted, st->accepted);
		assert_int_equal(s.t.lost, st->lost);
		assert_int_equal(st->accepted + st->lost, written);
		assert_int_equal(r.reader.anomalies, 0);
		ring_close(&r);
		if (mode == RS_MODE_DISCARD)
			break;
	}
}

/* rs_reader_poll_batch delivers the same events as rs_reader_poll, LOST
 * included, in arrays. */
struct flat {
	struct rs_event ev[4096];
	char str[4096][32];
	size_t n, calls;
};

static void flat_add(struct flat *f, const struct rs_event *ev)
{
	assert_true(f->n < 4096);
	f->ev[f->n] = *ev;
	f->ev[f->n].raw = NULL;
	if (ev->str) {
		snprintf(f->str[f->n], sizeof(f->str[0]), "%s", ev->str);
		f->ev[f->n].str = f->str[f->n];
	}
	f->n++;
}

static int flat_one(void *opaque, const struct rs_event *ev)
{
	flat_add(opaque, ev);
	return 0;
}

static int flat_many(void *opaque, const struct rs_event *ev, size_t n)
{
	struct flat *f = opaque;
	assert_true(n >= 1);
	f->calls++;
	for (size_t i = 0; i < n; i++)
		flat_add(f, &ev[i]);
	return 0;
}

static void test_batch_same_events(void **state)
{
	struct ring r;
	struct rs_reader second;
	static struct flat a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ring_open(&r, RS_HEADER_SIZE + 8192, 1, RS_MODE_OVERWRITE, 1024);
	assert_int_equal(rs_reader_init(&second, r.h, r.size, &r.layout), 0);
	for (int round = 0; round < 20; round++) {
		/* Some rounds overwrite what the readers have not read. */
		for (uint64_t i = 0; i < (uint64_t)(round % 3 ? 40 : 400); i++) {
			if (i % 5 == 0)
				gt_emit_str(r.h, 0, RS_EV_MARK, 1, RS_EV_NARGS(MARK),
					    i, 0,
					    round % 2 ? "odd" : "even");
			else
				emit_pattern(r.h, 0, i);
		}
		long na = rs_reader_poll(&r.reader, flat_one, &a);
		long nb = rs_reader_poll_batch(&second, flat_many, &b);
		assert_int_equal(na, nb);
	}
	assert_int_equal(a.n, b.n);
	assert_true(b.calls < b.n);
	for (size_t i = 0; i < a.n; i++) {
		const struct rs_event *x = &a.ev[i], *y = &b.ev[i];
		assert_int_equal(x->seq, y->seq);
		assert_int_equal(x->tsc, y->tsc);
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->cpu, y->cpu);
		assert_int_equal(x->ctx, y->ctx);
		assert_int_equal(x->a, y->a);
		assert_int_equal(x->b, y->b);
		assert_int_equal(x->c, y->c);
		assert_int_equal(x->str_len, y->str_len);
		assert_int_equal(x->raw_size, y->raw_size);
		assert_int_equal(!x->str, !y->str);
		if (x->str)
			assert_string_equal(x->str, y->str);
	}
	assert_int_equal(r.reader.cpu[0].stats.accepted,
			 second.cpu[0].stats.accepted);
	assert_int_equal(r.reader.cpu[0].stats.lost, second.cpu[0].stats.lost);
	assert_true(second.cpu[0].stats.lost > 0);
	rs_reader_free(&second);
	ring_close(&r);
}

RS_TEST_SUITE(ring_consumer,
	cmocka_unit_test(test_stop_resumes_exactly),
	cmocka_unit_test(test_stop_through_losses),
	cmocka_unit_test(test_batch_same_events))
