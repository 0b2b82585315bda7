/*
 * event.h - event channels: interrupts mark ports pending, threads wait on
 * them through EVENT promises.
 */
#ifndef KERNEL_EVENT_H
#define KERNEL_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#define EVENT_PORTS 64

struct promise;

void event_init(void);

/* Interrupt context: IRQ_ENTER/EXIT around marking `port` pending. */
void event_irq(unsigned vector, unsigned port);
/* Any context: mark `port` pending (a notification to ourselves, like an
 * event channel bound to a local port). Cheap, no records. */
void event_notify(unsigned port);

/* An EVENT promise resolved (value: port) at the next delivery on port. */
struct promise *event_wait(unsigned port);

/* Thread context: deliver pending ports that have waiters. A port with
 * no waiters stays pending until someone waits for it. */
bool event_pending_any(void);
void event_dispatch(void);
unsigned event_waiter_count(void);
uint64_t event_delivered_count(void);

#endif /* KERNEL_EVENT_H */
