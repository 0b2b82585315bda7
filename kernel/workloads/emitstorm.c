/*
 * emitstorm.c - every CPU writes records at full speed at once: the SMP
 * ring stress under QEMU (`make stress`, tests/stress/stress_qemu.c; a
 * short run in tests/collector/test_qemu_smp.c). With the default ring the
 * collector cannot keep up, so records are lost, and the host checks that
 * accepted + lost == written on every CPU and that every record it kept
 * is the one the guest wrote there.
 *
 * One thread "storm" pinned to each CPU (thread_create_on) emits, as fast
 * as it can, COUNTER records named "emitstorm" whose value is
 * cpu << 48 | i for i = 0, 1, 2, ... in order: count=N records each
 * (default 1000000), or for seconds=S. Then it writes MARK (a = cpu << 48
 * | records it emitted, "emitstorm: cpu done") on its own CPU. Main joins
 * them all and writes MARK (a = CPUs, "emitstorm done") on CPU 0.
 *
 * Then it never exits: it sleeps 100 ms at a time until the host stops
 * it (`ringside run --seconds S` stops the guest S + 1 s after start).
 * A clean exit takes QEMU with it, and there is no guest memory left to
 * dump: kept running, `--dump` writes a core whose ring header says how
 * many records each CPU wrote (its head_written), read after the run's
 * last poll of the frozen guest.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/platform.h"
#include "../core/sched.h"
#include "../core/timer.h"
#include "../core/trace.h"

#define STORM_DEFAULT 1000000
/* The clock is read once every this many records in seconds= mode, so
 * the writer spends its time writing. */
#define STORM_CLOCK_EVERY 64

struct storm {
	const struct workload_args *args;
	uint64_t start;
	unsigned cpu;
};

static void storm(void *arg)
{
	struct storm *s = arg;
	const uint64_t tag = (uint64_t)s->cpu << 48;
	uint64_t i = 0;

	for (;;) {
		if (i % STORM_CLOCK_EVERY == 0 &&
		    workload_done(s->args, i, STORM_DEFAULT, s->start))
			break;
		if (s->args->count && i >= s->args->count)
			break;
		trace_counter(tag | i, "emitstorm");
		i++;
	}
	trace_mark(tag | i, "emitstorm: cpu done");
}

static int emitstorm_run(const struct workload_args *args)
{
	static struct storm s[KERNEL_MAX_CPUS];
	static struct thread *t[KERNEL_MAX_CPUS];
	unsigned n = platform_ncpus(), started = 0;

	if (n > KERNEL_MAX_CPUS)
		n = KERNEL_MAX_CPUS;
	const uint64_t start = platform_cycles();
	for (unsigned cpu = 0; cpu < n; cpu++) {
		s[cpu] = (struct storm){ args, start, cpu };
		t[cpu] = thread_create_on(cpu, "storm", storm, &s[cpu]);
		if (t[cpu])
			started++;
		else if (!args->quiet)
			kprintf("emitstorm: no storm on cpu %u\n", cpu);
	}
	for (unsigned cpu = 0; cpu < n; cpu++)
		if (t[cpu])
			thread_join(t[cpu]);
	trace_mark(started, "emitstorm done");
	if (!args->quiet)
		kprintf("emitstorm: %u cpus done; idling until stopped\n",
			started);
	for (;;)
		ksleep_ns(100000000ull);
	return 0;
}

const struct workload workload_emitstorm = {
	"emitstorm", "every CPU emits at full speed, then idles until stopped",
	emitstorm_run,
};
