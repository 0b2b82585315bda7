/*
 * smp_fixture.c - the four-CPU story of smp_fixture.h, written with the
 * real writer into a ring file and stored by the real collector.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guest_trace.h"
#include "rs_decode.h"
#include "smp_fixture.h"
#include "test_collector.h"

#define BOOT_TSC 1000000ull

struct ev {
	unsigned cpu;
	int us;
	uint16_t type;
	uint32_t ctx;
	uint64_t a, b, c;
	const char *str;
};

#define E(cpu, us, T, ctx, a, b, c) { cpu, us, RS_EV_##T, ctx, a, b, c, NULL }
#define S(cpu, us, T, ctx, a, b, s) { cpu, us, RS_EV_##T, ctx, a, b, 0, s }

/* Each CPU's records in time order (the writer's rule). */
static const struct ev story[] = {
	S(0, 5, THREAD_CREATE, 0, 1, 0, "main"),
	S(0, 6, THREAD_CREATE, 1, 2, 1, "wa"),
	S(0, 7, THREAD_CREATE, 1, 3, 1, "wb"),
	S(0, 8, THREAD_CREATE, 1, 4, 1, "wc"),
	E(0, 9, THREAD_BLOCK, 3, 3, RS_BLOCK_PROMISE, 7),
	E(0, 10, THREAD_SWITCH, 0, 0, 1, 0),
	E(0, 100, THREAD_WAKE, 1, 2, 1, 0),
	E(0, 100, IPI_SEND, 1, 1, RS_IPI_WAKE, 0),
	E(0, 300, THREAD_WAKE, 1, 3, 1, 0),
	E(0, 310, THREAD_SWITCH, 1, 1, 3, 0),
	E(0, 399, THREAD_BLOCK, 3, 3, RS_BLOCK_PROMISE, 8),
	E(0, 400, THREAD_SWITCH, 3, 3, 1, 0),
	S(0, 1000, MARK, 1, 0, 0, "end"),

	E(1, 8, THREAD_SWITCH, 0, 0, 2, 0),
	E(1, 9, THREAD_BLOCK, 2, 2, RS_BLOCK_PROMISE, 7),
	E(1, 10, IDLE_ENTER, 2, 0, 0, 0),
	E(1, 105, IPI_RECV, 2, RS_IPI_WAKE, 0, 0),
	E(1, 106, IDLE_EXIT, 2, 0, 0, 0),
	E(1, 110, THREAD_SWITCH, 2, 0, 2, 0),
	E(1, 200, LOCK_CONTEND, 2, RS_LOCK_RUNQ, 3000, 0),
	E(1, 250, LOCK_CONTEND, 2, RS_LOCK_HEAP, 1000, 0),
	E(1, 500, THREAD_BLOCK, 2, 2, RS_BLOCK_PROMISE, 9),
	E(1, 500, IDLE_ENTER, 2, 0, 0, 0),
	E(1, 1000, IDLE_EXIT, 2, 0, 0, 0),

	E(2, 10, IDLE_ENTER, 0, 0, 0, 0),
	E(2, 205, IPI_RECV, 0, RS_IPI_WAKE, 0, 0),
	E(2, 600, IDLE_EXIT, 0, 0, 0, 0),
	E(2, 600, THREAD_MIGRATE, 0, 4, 3, 2),
	E(2, 601, THREAD_SWITCH, 0, 0, 4, 0),
	E(2, 700, LOCK_CONTEND, 4, RS_LOCK_RUNQ, 5000, 0),
	E(2, 800, THREAD_BLOCK, 4, 4, RS_BLOCK_PROMISE, 10),
	E(2, 800, IDLE_ENTER, 4, 0, 0, 0),
	E(2, 1000, IDLE_EXIT, 4, 0, 0, 0),

	E(3, 10, THREAD_SWITCH, 0, 0, 4, 0),
	E(3, 200, IPI_SEND, 4, 2, RS_IPI_WAKE, 0),
	E(3, 590, IDLE_ENTER, 4, 0, 0, 0),
	E(3, 1000, IDLE_EXIT, 4, 0, 0, 0),
};

char *rs_smp_fixture(const char *dir, int64_t cpu1_skew_ns)
{
	const size_t size = 1u << 20;
	char *ring = path_in(dir, "smp.ring"), *db = path_in(dir, "smp.db");
	struct rs_header *h = map_file(ring, size);
	struct gt_config cfg = {
		.region_size = size, .ncpus = SMP_CPUS, .mode = RS_MODE_DISCARD,
		.nonce = 0x53a9, .tsc_hz = 1000000000ull, .boot_tsc = BOOT_TSC,
	};

	assert_int_equal(gt_region_init(h, &cfg), 0);
	for (size_t i = 0; i < sizeof(story) / sizeof(story[0]); i++) {
		const struct ev *e = &story[i];
		int64_t ns = SMP_NS(e->us) - (e->cpu == 1 ? cpu1_skew_ns : 0);
		uint64_t tsc = BOOT_TSC + (uint64_t)ns;
		int nargs = rs_event_nargs(e->type);
		assert_true(nargs >= 0 && ns > 0);
		if (e->str)
			gt_emit_str_at(h, e->cpu, tsc, e->type, e->ctx,
				       (unsigned)nargs, e->a, e->b, e->str);
		else
			gt_emit_at(h, e->cpu, tsc, e->type, e->ctx,
				   (unsigned)nargs, e->a, e->b, e->c);
	}
	gt_set_state(h, RS_STATE_EXITED);
	munmap(h, size);
	char *out = NULL;
	int rc = collect(ring, db, NULL, &out);
	if (rc != 0)
		fail_msg("collect of the SMP story: exit %d: %s", rc, out);
	free(out);
	free(ring);
	return db;
}
