/*
 * ring_fixture.h - what the ring suites (test_ring.c, test_ring_consumer.c)
 * share: a region made by the real guest-trace writer and read by the one
 * decoder, and records that carry their own sequence number so a torn or
 * misplaced one shows.
 */
#ifndef RING_FIXTURE_H
#define RING_FIXTURE_H

#include <stdlib.h>

#include "guest_trace.h"
#include "rs_decode.h"
#include "testlib.h"

struct ring {
	struct rs_header *h;
	size_t size;
	struct rs_layout layout;
	struct rs_reader reader;
};

static inline void ring_open(struct ring *r, size_t size, uint32_t ncpus,
		      uint32_t mode, uint32_t chunk)
{
	struct gt_config cfg = {
		.region_gpa = 0x100000, .region_size = size, .ncpus = ncpus,
		.mode = mode, .chunk_size = chunk, .nonce = 0x1234abcd,
		.tsc_hz = 2000000000ull, .boot_tsc = gt_rdtsc(),
	};
	char err[160];

	r->size = size;
	r->h = aligned_alloc(RS_PAGE_SIZE, size);
	assert_non_null(r->h);
	assert_int_equal(gt_region_init(r->h, &cfg), 0);
	assert_int_equal(rs_layout_read(r->h, size, RS_GPA_ANY, &r->layout, err,
					 sizeof(err)), 0);
	assert_int_equal(rs_reader_init(&r->reader, r->h, size, &r->layout), 0);
}

static inline void ring_close(struct ring *r)
{
	rs_reader_free(&r->reader);
	free(r->h);
}

/* What a poll delivered, checked as it arrives. */
struct tally {
	uint64_t accepted, lost, lost_events, bad;
	uint64_t last_seq;
	int have_last;
	uint16_t type;          /* if nonzero, only this type is expected */
};

/* Records written by the tests carry a = their own sequence number, b = ~a
 * and c = a * 0x9e3779b97f4a7c15, so a torn or misplaced record shows. */
static inline int check_cb(void *opaque, const struct rs_event *ev)
{
	struct tally *t = opaque;

	if (ev->type == RS_EV_LOST) {
		t->lost += ev->a;
		t->lost_events++;
		return 0;
	}
	t->accepted++;
	if ((t->type && ev->type != t->type) || ev->a != ev->seq ||
	    ev->b != ~ev->a || ev->c != ev->a * 0x9e3779b97f4a7c15ull)
		t->bad++;
	if (t->have_last && ev->seq <= t->last_seq)
		t->bad++;
	t->last_seq = ev->seq;
	t->have_last = 1;
	return 0;
}

/* The pattern needs a type with three u64 arguments. */
#define PATTERN_TYPE RS_EV_THREAD_BLOCK
#define PATTERN_NARGS RS_EV_NARGS(THREAD_BLOCK)
static inline void emit_pattern(struct rs_header *h, unsigned cpu, uint64_t i)
{
	gt_emit(h, cpu, PATTERN_TYPE, 7, PATTERN_NARGS, i, ~i,
		i * 0x9e3779b97f4a7c15ull);
}

#endif
