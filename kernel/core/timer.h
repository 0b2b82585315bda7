/*
 * timer.h - sleeping: promises resolved once the cycle counter passes a
 * deadline. Interrupt side (timer_tick) only notices that the earliest
 * deadline passed; thread side (timer_run_due) fires them.
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct promise;

void timer_init(void);

/* A SLEEP promise resolved (value: the firing cycle count) at or after
 * `due` cycles. Cancelling the promise disarms the timer. */
struct promise *timer_sleep_until(uint64_t due);
struct promise *timer_sleep_ns(uint64_t ns);
/* Blocks the calling thread for at least ns nanoseconds. */
void ksleep_ns(uint64_t ns);

uint64_t ns_to_cycles(uint64_t ns);
uint64_t cycles_to_ns(uint64_t cycles);

/* Interrupt context: cheap, touches no lists. */
void timer_tick(uint64_t now);
bool timer_due(void);
/* Thread context: fires every timer whose deadline has passed. */
void timer_run_due(void);
unsigned timer_armed_count(void);
uint64_t timer_fired_count(void);

#endif /* KERNEL_TIMER_H */
