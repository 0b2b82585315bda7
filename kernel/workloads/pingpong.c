/*
 * pingpong.c - two threads handing a value back and forth through promises:
 * the smallest workload that exercises create/resolve/read, block/wake and
 * switches in a fixed pattern.
 *
 * For N rounds (count=N) the trace holds exactly:
 *   THREAD_CREATE 3 (main, ping, pong)    THREAD_EXIT 3
 *   PROMISE_CREATE 2N (type WAIT)         PROMISE_RESOLVE 2N
 *   PROMISE_READ 2N                       FAIL/CANCEL/BECOMES 0
 *   THREAD_BLOCK 2N (ping N, pong N-1, main 1 join)
 *   THREAD_WAKE 2N                        MARK 1 (a = N, "pingpong done")
 * On several CPUs ping stays on CPU 0 and pong on CPU 1, so a round trip
 * is two cross-CPU wakes (each an IPI to an idle CPU). The counts stay,
 * but for blocks and wakes: a resolution may now come before its waiter
 * blocked, or a join find its thread gone, so THREAD_BLOCK ==
 * THREAD_WAKE, near 2N, not exactly 2N.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/platform.h"
#include "../core/promise.h"
#include "../core/sched.h"
#include "../core/trace.h"

#define PINGPONG_DEFAULT 2000000

struct pingpong {
	const struct workload_args *args;
	struct promise *req;       /* owned by pong once stored */
	struct promise *rep;       /* borrowed: ping holds the reference */
	uint64_t rounds;
	uint64_t errors;
	uint64_t start;
};

/* Bit 0 of every value says "last round", the rest is the round number. */
static void ping(void *arg)
{
	struct pingpong *s = arg;
	for (uint64_t i = 0;; i++) {
		bool last = workload_done(s->args, i + 1, PINGPONG_DEFAULT,
					  s->start);
		struct promise *rep = promise_create(RS_PT_WAIT);
		s->rep = rep;
		promise_resolve(s->req, i << 1 | (last ? 1 : 0));
		uint64_t v = 0;
		if (promise_wait(rep, &v) != PROMISE_OK || v != i + 1)
			s->errors++;
		promise_unref(rep);
		if (last)
			break;
	}
}

static void pong(void *arg)
{
	struct pingpong *s = arg;
	for (;;) {
		struct promise *req = s->req;
		uint64_t v = 0;
		if (promise_wait(req, &v) != PROMISE_OK)
			s->errors++;
		promise_unref(req);
		bool last = v & 1;
		/* The next request must exist before ping can run again. */
		if (!last)
			s->req = promise_create(RS_PT_WAIT);
		s->rounds++;
		promise_resolve(s->rep, (v >> 1) + 1);
		if (last)
			break;
	}
}

static int pingpong_run(const struct workload_args *args)
{
	struct pingpong s = { .args = args, .start = platform_cycles() };
	s.req = promise_create(RS_PT_WAIT);
	unsigned other = platform_ncpus() > 1 ? 1 : 0;
	struct thread *a = thread_create_on(0, "ping", ping, &s);
	struct thread *b = thread_create_on(other, "pong", pong, &s);
	if (!a || !b)
		return 1;
	thread_join(a);
	thread_join(b);
	trace_mark(s.rounds, "pingpong done");
	if (!args->quiet)
		kprintf("pingpong: %lu round trips, %lu errors\n",
			(unsigned long)s.rounds, (unsigned long)s.errors);
	return s.errors ? 1 : 0;
}

const struct workload workload_pingpong = {
	"pingpong", "two threads exchanging promises", pingpong_run,
};
