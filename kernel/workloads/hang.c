/*
 * hang.c - a guest that stops: after a short busy period it disables
 * interrupts and spins. The heartbeat stops advancing, state stays
 * RUNNING and no record follows the MARK "hang: interrupts off" - the
 * signature a host-side watchdog must recognise.
 *
 * Before the hang (default 100 ms, or --seconds): a "ticker" thread sleeps
 * 1 ms at a time (TIMER_FIRE records) until the hang.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/platform.h"
#include "../core/sched.h"
#include "../core/timer.h"
#include "../core/trace.h"

static void ticker(void *arg)
{
	for (;;)
		ksleep_ns(1000000);
}

static int hang_run(const struct workload_args *args)
{
	struct thread *t = thread_create("ticker", ticker, NULL);
	if (!t)
		return 1;
	thread_detach(t);
	ksleep_ns(args->duration_ns ? args->duration_ns : 100000000ull);
	if (!args->quiet)
		kprintf("hang: disabling interrupts and spinning\n");
	trace_mark(0, "hang: interrupts off");
	platform_irq_disable();
	for (;;)
		__asm__ __volatile__("pause" ::: "memory");
	return 0;
}

const struct workload workload_hang = {
	"hang", "runs briefly, then spins with interrupts off", hang_run,
};
