/*
 * stuckcpu.c - one CPU stops while the others go on: a thread pinned to
 * CPU 1 disables interrupts and spins, so CPU 1's own heartbeat (its
 * ring's hb_ticks, RING.md "Several CPUs") stops moving while every other
 * CPU's, and the guest-wide one, go on. A host must name CPU 1 as stuck,
 * not the guest as hung.
 *
 * Before the stop (default 100 ms, or seconds=S) the spinner sleeps on
 * CPU 1, so that CPU has ticked. Then: MARK 1 (a = 1, "stuckcpu: cpu 1
 * interrupts off") on CPU 1's ring, and nothing more there. Meanwhile,
 * and forever after, a "ticker" thread sleeps 1 ms at a time (TIMER_FIRE
 * records) and main 10 ms at a time. The ticker starts on CPU 1 (CPU 0
 * runs main): once CPU 1 is stuck, the ticker woken there is stolen by an
 * idle CPU (THREAD_MIGRATE from 1), and goes on there. Never exits.
 * Needs two CPUs: on one it says so and exits with status 1.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/platform.h"
#include "../core/sched.h"
#include "../core/timer.h"
#include "../core/trace.h"

#define STUCK_CPU 1u

static void ticker(void *arg)
{
	for (;;)
		ksleep_ns(1000000);
}

static void spinner(void *arg)
{
	const struct workload_args *args = arg;
	ksleep_ns(args->duration_ns ? args->duration_ns : 100000000ull);
	if (!args->quiet)
		kprintf("stuckcpu: cpu %u disabling interrupts and spinning\n",
			platform_cpu());
	/* interrupts off first, so the mark is this CPU's last record: one
	 * written before could be followed by an interrupt's records */
	platform_irq_disable();
	trace_mark(STUCK_CPU, "stuckcpu: cpu 1 interrupts off");
	for (;;)
		__asm__ __volatile__("pause" ::: "memory");
}

static int stuckcpu_run(const struct workload_args *args)
{
	if (platform_ncpus() <= STUCK_CPU) {
		kprintf("stuckcpu: needs at least 2 cpus\n");
		return 1;
	}
	struct thread *s = thread_create_on(STUCK_CPU, "spinner", spinner,
					    (void *)args);
	struct thread *t = thread_create("ticker", ticker, NULL);
	if (!s || !t)
		return 1;
	thread_detach(s);
	thread_detach(t);
	for (;;)
		ksleep_ns(10000000);
	return 0;
}

const struct workload workload_stuckcpu = {
	"stuckcpu", "cpu 1 spins with interrupts off, the others go on",
	stuckcpu_run,
};
