/*
 * tick.h - the periodic timer interrupt's handler.
 */
#ifndef KERNEL_TICK_H
#define KERNEL_TICK_H

#include <stdint.h>

#define TICK_VECTOR 32u

void tick_init(void);
/* Called by the platform from interrupt context, interrupts disabled. */
void kernel_tick(void);
/* Ticks of every CPU together. */
uint64_t kernel_ticks(void);
/* Called by the platform on an inter-processor interrupt (platform.h),
 * on the CPU it was sent to, interrupt context, interrupts disabled: one
 * call may stand for several IPIs sent meanwhile. */
void kernel_ipi(void);

/*
 * A simulated device interrupt (a "network card") raised from the tick:
 * every `period_cycles` (rounded up to whole ticks) the tick handler
 * follows its own IRQ_EXIT with event_irq(vector, port), the same path a
 * real device interrupt takes. 0 turns it off. Thread context.
 */
void tick_set_device(uint64_t period_cycles, unsigned vector, unsigned port);

#endif /* KERNEL_TICK_H */
