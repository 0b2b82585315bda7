/*
 * timer.h - sleeping: promises resolved once the cycle counter passes a
 * deadline, by the CPU that armed them (timer.c). Interrupt side
 * (timer_tick, on each CPU's tick) only notices that that CPU's earliest
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

/* Interrupt context, on the CPU whose tick it is: cheap, touches no
 * lists. */
void timer_tick(uint64_t now);
/* This CPU has timers to fire: its own, or another CPU's long overdue. */
bool timer_due(void);
/* Thread context: fires this CPU's timers whose deadline has passed, and
 * those of a CPU that stopped coming round (timer.c, RESCUE_NS). */
void timer_run_due(void);
unsigned timer_armed_count(void);       /* on all CPUs */
uint64_t timer_fired_count(void);
uint64_t timer_rescued_count(void);     /* fired by another CPU */

#endif /* KERNEL_TIMER_H */
