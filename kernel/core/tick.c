/*
 * tick.c - what the kernel does on every timer interrupt: prove it is alive
 * (the heartbeat a host watches to tell a hang from a quiet guest) and
 * notice due timers. It runs in interrupt context, possibly in the middle
 * of a thread's trace emit, which the writer is built to allow.
 */
#include "tick.h"

#include "event.h"
#include "guest_trace.h"
#include "platform.h"
#include "timer.h"
#include "trace.h"

static volatile uint64_t ticks;

/* A simulated device that the tick drives (tick_set_device). */
static struct {
	volatile uint64_t period;       /* cycles; 0 = off */
	uint64_t next;
	unsigned vector, port;
} dev;

void tick_init(void)
{
	ticks = 0;
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

void kernel_tick(void)
{
	trace_irq_enter(TICK_VECTOR);
	uint64_t now = platform_cycles();
	ticks = ticks + 1;
	if (trace_region)
		gt_heartbeat(trace_region, ticks, now);
	timer_tick(now);
	trace_irq_exit(TICK_VECTOR);
	/* The device's own interrupt, taken right after the tick's. */
	if (dev.period && now >= dev.next) {
		dev.next = now + dev.period;
		event_irq(dev.vector, dev.port);
	}
}

/* One CPU has nobody to interrupt it; the SMP scheduler gives this its
 * work (a wake-up of an idle CPU, a stop on panic). */
void kernel_ipi(void)
{
}

uint64_t kernel_ticks(void)
{
	return ticks;
}
