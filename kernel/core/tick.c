/*
 * tick.c - what the kernel does on every timer interrupt: prove it is alive
 * (the heartbeat a host watches to tell a hang from a quiet guest) and
 * notice due timers. It runs in interrupt context, possibly in the middle
 * of a thread's trace emit, which the writer is built to allow. Every CPU
 * ticks on its own timer.
 */
#include "tick.h"

#include "cpu.h"
#include "event.h"
#include "guest_trace.h"
#include "platform.h"
#include "sched.h"
#include "timer.h"
#include "trace.h"

/* Every CPU's ticks, and who is writing the header's heartbeat now. */
static uint64_t ticks;
static uint32_t hb_busy;

/* A simulated device that the tick drives (tick_set_device). */
static struct {
	volatile uint64_t period;       /* cycles; 0 = off */
	uint64_t next;
	unsigned vector, port;
} dev;

void tick_init(void)
{
	ticks = 0;
	hb_busy = 0;
	dev.period = 0;
}

void tick_set_device(uint64_t period_cycles, unsigned vector, unsigned port)
{
	unsigned long flags = platform_irq_save();
	dev.vector = vector;
	dev.port = port;
	dev.next = platform_cycles() + period_cycles;
	dev.period = period_cycles;
	platform_irq_restore(flags);
}

/* The CPU's own heartbeat, then the guest-wide one (RING.md, "Several
 * CPUs"): that one is written by whichever CPU gets to it, never by two at
 * once, so its tsc and count stay a pair and the count never goes back. */
static void heartbeat(struct cpu *c, uint64_t now)
{
	c->ticks++;
	__atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED);
	if (!trace_region)
		return;
	gt_heartbeat_cpu(trace_region, c->id, c->ticks, now);
	if (__atomic_exchange_n(&hb_busy, 1, __ATOMIC_ACQUIRE))
		return;
	gt_heartbeat(trace_region, __atomic_load_n(&ticks, __ATOMIC_RELAXED),
		     now);
	__atomic_store_n(&hb_busy, 0, __ATOMIC_RELEASE);
}

void kernel_tick(void)
{
	struct cpu *c = cpu_this();
	trace_irq_enter(TICK_VECTOR);
	uint64_t now = platform_cycles();
	heartbeat(c, now);
	timer_tick(now);
	trace_irq_exit(TICK_VECTOR);
	/* The device's own interrupt, taken right after the tick's; it is
	 * wired to CPU 0, as a device's interrupt is routed to one CPU. */
	if (c->id == 0 && dev.period && now >= dev.next) {
		dev.next = now + dev.period;
		event_irq(dev.vector, dev.port);
	}
}

/* An idle CPU woken because work was queued for it: the wait is over
 * (the interrupt ended it); what is left is to record why. A stop on
 * panic is the platform's own (platform_stop_other_cpus). */
void kernel_ipi(void)
{
	sched_ipi();
}

uint64_t kernel_ticks(void)
{
	return __atomic_load_n(&ticks, __ATOMIC_RELAXED);
}
