/*
 * crash.c - two ways to die, both leaving a complete panic record:
 *   crash: some pingpong-style work (count rounds, default 100), then a
 *          panic() from three frames deep, reason "crash workload: ...";
 *   fault: the same work, then an invalid opcode (ud2), which the
 *          platform reports as exception vector 6 (#UD) with the trap
 *          frame's registers.
 * Frames are kept (noinline) so the backtrace has known depth.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/panic.h"
#include "../core/platform.h"
#include "../core/promise.h"
#include "../core/sched.h"
#include "../core/trace.h"

#define CRASH_DEFAULT 100

struct crash_ctx {
	struct promise *p;
	uint64_t rounds;
};

static void helper(void *arg)
{
	struct crash_ctx *c = arg;
	promise_resolve(c->p, c->rounds);
}

static uint64_t do_work(const struct workload_args *args)
{
	uint64_t i = 0, start = platform_cycles();
	while (!workload_done(args, i, CRASH_DEFAULT, start)) {
		struct crash_ctx c = { promise_create(RS_PT_WAIT), i };
		struct thread *t = thread_create("helper", helper, &c);
		if (!t)
			break;
		promise_wait(c.p, NULL);
		promise_unref(c.p);
		thread_join(t);
		i++;
	}
	return i;
}

static __attribute__((noinline)) void crash_level3(uint64_t rounds, int fault)
{
	if (fault)
		__asm__ __volatile__("ud2");
	panic("crash workload: deliberate panic after %lu rounds",
	      (unsigned long)rounds);
}

static __attribute__((noinline)) void crash_level2(uint64_t rounds, int fault)
{
	crash_level3(rounds, fault);
	__asm__ __volatile__("" ::: "memory");     /* keep the frame */
}

static __attribute__((noinline)) void crash_level1(uint64_t rounds, int fault)
{
	crash_level2(rounds, fault);
	__asm__ __volatile__("" ::: "memory");
}

static int run(const struct workload_args *args, int fault)
{
	uint64_t rounds = do_work(args);
	trace_mark(rounds, fault ? "fault: about to fault" :
				   "crash: about to panic");
	crash_level1(rounds, fault);
	return 1;
}

static int crash_run(const struct workload_args *args)
{
	return run(args, 0);
}

static int fault_run(const struct workload_args *args)
{
	return run(args, 1);
}

const struct workload workload_crash = {
	"crash", "works, then panics", crash_run,
};

const struct workload workload_fault = {
	"fault", "works, then executes an invalid opcode", fault_run,
};
