/*
 * tick.c - what the kernel does on every timer interrupt: prove it is alive
 * (the heartbeat a host watches to tell a hang from a quiet guest) and
 * notice due timers. It runs in interrupt context, possibly in the middle
 * of a thread's trace emit, which the writer is built to allow.
 */
#include "tick.h"

#include "guest_trace.h"
#include "platform.h"
#include "timer.h"
#include "trace.h"

static volatile uint64_t ticks;

void tick_init(void)
{
	ticks = 0;
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
}

uint64_t kernel_ticks(void)
{
	return ticks;
}
