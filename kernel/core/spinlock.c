/*
 * spinlock.c - the contended path of the ticket spinlock (spinlock.h):
 * kept out of line so the fast path stays small, and so the header need
 * not include the trace points (trace.h includes cpu.h, which embeds a
 * spinlock).
 */
#include "spinlock.h"

#include "trace.h"

/* How many pauses before a spinner calls platform_cpu_relax. */
#define RELAX_EVERY 64u

/* Bare metal: a CPU is a CPU, pausing is all there is to do. */
__attribute__((weak)) void platform_cpu_relax(void)
{
}

void spin_wait_slow(struct spinlock *l, uint32_t ticket)
{
	uint64_t t0 = platform_cycles();
	unsigned n = 0;
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket) {
		cpu_pause();
		if (++n % RELAX_EVERY == 0)
			platform_cpu_relax();
	}
	trace_lock_contend(l->id, platform_cycles() - t0);
}
