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
uint64_t kernel_ticks(void);

#endif /* KERNEL_TICK_H */
