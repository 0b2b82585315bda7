/*
 * hang.c - a guest that stops: after a short busy period every CPU
 * disables interrupts and spins. The heartbeat stops advancing on every
 * CPU and guest-wide, state stays RUNNING and no record follows the MARK
 * "hang: interrupts off" - the signature a host-side watchdog must
 * recognise as `hung`. (One CPU stopping while the others go on is
 * another verdict, `stuck-cpu`: the stuckcpu workload.)
 *
 * Before the hang (default 100 ms, or --seconds): a "ticker" thread sleeps
 * 1 ms at a time (TIMER_FIRE records) until the hang.
 *
 * On one CPU, main itself stops. On several, main starts a "stopper"
 * pinned to every online CPU and goes to sleep, so its own CPU runs one
 * too. Each stopper disables interrupts, then says it has; the last one
 * prints the console line and writes the MARK, when every CPU is already
 * silent, so no record on any CPU comes after it.
 */
#include "workloads.h"

#include "../core/cpu.h"
#include "../core/klib.h"
#include "../core/panic.h"
#include "../core/platform.h"
#include "../core/sched.h"
#include "../core/timer.h"
#include "../core/trace.h"

static struct {
	unsigned stoppers;              /* started, set before any runs */
	unsigned stopped;               /* interrupts off, atomically */
	bool quiet;
} H;

static void ticker(void *arg)
{
	for (;;)
		ksleep_ns(1000000);
}

static void announce(bool quiet)
{
	if (!quiet)
		kprintf("hang: disabling interrupts and spinning\n");
	trace_mark(0, "hang: interrupts off");
}

/* Not inlined: a vCPU caught here is named `spin` in its registers. */
static __attribute__((noreturn, noinline)) void spin(void)
{
	for (;;)
		__asm__ __volatile__("pause" ::: "memory");
}

static void stopper(void *arg)
{
	platform_irq_disable();
	if (__atomic_add_fetch(&H.stopped, 1, __ATOMIC_ACQ_REL) ==
	    __atomic_load_n(&H.stoppers, __ATOMIC_ACQUIRE))
		announce(H.quiet);
	spin();
}

/* A stopper on every online CPU; main then sleeps for good, so the
 * stopper pinned to its own CPU runs too. The count is set before any
 * stopper can run, so the one that reaches it is the last. */
static __attribute__((noreturn)) void stop_every_cpu(void)
{
	unsigned online = 0;

	for (unsigned cpu = 0; cpu < kernel_ncpus; cpu++)
		online += __atomic_load_n(&kernel_cpus[cpu].online,
					  __ATOMIC_ACQUIRE);
	__atomic_store_n(&H.stoppers, online, __ATOMIC_RELEASE);
	for (unsigned cpu = 0; cpu < kernel_ncpus; cpu++) {
		if (!__atomic_load_n(&kernel_cpus[cpu].online, __ATOMIC_ACQUIRE))
			continue;
		char name[24];
		ksnprintf(name, sizeof(name), "stopper %u", cpu);
		struct thread *t = thread_create_on(cpu, name, stopper, NULL);
		if (!t)
			panic("hang: cannot start a stopper on cpu %u", cpu);
		thread_detach(t);
	}
	for (;;)
		ksleep_ns(1000000000ull);
}

static int hang_run(const struct workload_args *args)
{
	struct thread *t = thread_create("ticker", ticker, NULL);
	if (!t)
		return 1;
	thread_detach(t);
	ksleep_ns(args->duration_ns ? args->duration_ns : 100000000ull);
	H.quiet = args->quiet;
	if (kernel_ncpus > 1)
		stop_every_cpu();
	announce(args->quiet);
	platform_irq_disable();
	spin();
	return 0;
}

const struct workload workload_hang = {
	"hang", "runs briefly, then every CPU spins with interrupts off",
	hang_run,
};
