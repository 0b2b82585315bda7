/*
 * deadlock.c - two threads each waiting for the other's promise: "alice"
 * resolves her reply only after bob's arrives, and "bob" likewise. Nothing
 * else can wake them, so the scheduler reports the stall once (a MARK,
 * and stall_threads = 3 with stall_tsc in the ring header) and the
 * kernel idles on with the tick running: the heartbeat keeps advancing
 * (unlike hang), the state stays RUNNING and the workload never exits;
 * a collector calls it deadlocked. Takes no count= or seconds=.
 *
 * Records, exactly (beyond ticks and idle enter/exit):
 *   THREAD_CREATE 3 (main, alice, bob)      THREAD_EXIT 0
 *   THREAD_BLOCK 3 (alice and bob: reason PROMISE; main: JOIN on alice)
 *   THREAD_WAKE 0
 *   PROMISE_CREATE 2 (WAIT)  PROMISE_LABEL 2 ("alice's reply",
 *   "bob's reply")  PROMISE_RESOLVE/FAIL/CANCEL/READ 0
 *   MARK 2: (a = 2, "deadlock: alice and bob wait on each other") from the
 *   workload, then (a = 2, "deadlock: 2 threads blocked on promises") from
 *   the scheduler once it finds nothing that could ever run again.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/promise.h"
#include "../core/sched.h"
#include "../core/trace.h"

struct pair {
	struct promise *alice_reply, *bob_reply;
};

static void alice(void *arg)
{
	struct pair *p = arg;
	promise_wait(p->bob_reply, NULL);       /* never returns */
	promise_resolve(p->alice_reply, 1);
}

static void bob(void *arg)
{
	struct pair *p = arg;
	promise_wait(p->alice_reply, NULL);     /* never returns */
	promise_resolve(p->bob_reply, 2);
}

static int deadlock_run(const struct workload_args *args)
{
	struct pair p;
	p.alice_reply = promise_create(RS_PT_WAIT);
	promise_label(p.alice_reply, "alice's reply");
	p.bob_reply = promise_create(RS_PT_WAIT);
	promise_label(p.bob_reply, "bob's reply");
	struct thread *a = thread_create("alice", alice, &p);
	struct thread *b = thread_create("bob", bob, &p);
	if (!a || !b)
		return 1;
	trace_mark(2, "deadlock: alice and bob wait on each other");
	if (!args->quiet)
		kprintf("deadlock: alice and bob wait on each other\n");
	thread_join(a);                         /* never returns */
	thread_join(b);
	promise_unref(p.alice_reply);
	promise_unref(p.bob_reply);
	return 1;
}

const struct workload workload_deadlock = {
	"deadlock", "two threads wait on each other's promises forever",
	deadlock_run,
};
