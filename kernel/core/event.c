/*
 * event.c - the two halves of event delivery. The interrupt half sets a bit
 * in a pending mask and returns: it runs with interrupts off and may have
 * interrupted anything. The scheduler half (event_dispatch, thread context)
 * turns bits into promise resolutions, where it is safe to wake threads.
 * The waiter lists are the promise lock's (promise.h); the pending mask is
 * atomic, set by any CPU's interrupt.
 */
#include "event.h"

#include "heap.h"
#include "klib.h"
#include "panic.h"
#include "promise.h"
#include "trace.h"

struct ev_waiter {
	struct promise *p;              /* reference held */
	struct ev_waiter *next;
};

static struct {
	volatile uint64_t pending;
	uint64_t waited;                /* ports with at least one waiter */
	struct ev_waiter *waiters[EVENT_PORTS];
	unsigned nwaiters;
	uint64_t delivered;
} E;

void event_init(void)
{
	memset((void *)&E, 0, sizeof(E));
}

void event_notify(unsigned port)
{
	if (port >= EVENT_PORTS)
		return;
	/* An atomic OR: a thread and an interrupt may both set bits. */
	__atomic_fetch_or(&E.pending, 1ull << port, __ATOMIC_RELAXED);
}

void event_irq(unsigned vector, unsigned port)
{
	trace_irq_enter(vector);
	event_notify(port);
	trace_irq_exit(vector);
}

static void remove_waiter(unsigned port, struct promise *p)
{
	for (struct ev_waiter **pp = &E.waiters[port]; *pp;
	     pp = &(*pp)->next) {
		if ((*pp)->p == p) {
			struct ev_waiter *w = *pp;
			*pp = w->next;
			E.nwaiters--;
			if (!E.waiters[port])
				E.waited &= ~(1ull << port);
			promise_unref(w->p);
			kfree(w);
			return;
		}
	}
}

/* A cancelled wait leaves the port's list; port + 1 is stored so that
 * port 0 is not a NULL argument. */
static void event_hook(struct promise *p, void *arg, bool cancelled)
{
	if (cancelled)
		remove_waiter((unsigned)(uintptr_t)arg - 1, p);
}

struct promise *event_wait(unsigned port)
{
	if (port >= EVENT_PORTS)
		panic("event_wait: bad port %u", port);
	unsigned long f = promise_lock();
	struct promise *p = promise_create(RS_PT_EVENT);
	struct ev_waiter *w = kmalloc(sizeof(*w));
	if (!w)
		panic("event_wait: out of memory");
	w->p = promise_ref(p);
	w->next = NULL;
	struct ev_waiter **pp = &E.waiters[port];
	while (*pp)
		pp = &(*pp)->next;
	*pp = w;
	E.nwaiters++;
	E.waited |= 1ull << port;
	promise_set_hook(p, event_hook, (void *)(uintptr_t)(port + 1));
	promise_unlock(f);
	return p;
}

/* Only ports someone waits for count: a notification nobody waits for
 * stays pending but is no work, or the idle loop would spin on it (a
 * device interrupting faster than its listener comes back). */
bool event_pending_any(void)
{
	return (E.pending & E.waited) != 0;
}

void event_dispatch(void)
{
	unsigned long f = promise_lock();
	uint64_t bits = E.pending;
	for (unsigned port = 0; bits; port++, bits >>= 1) {
		if (!(bits & 1) || !E.waiters[port])
			continue;
		__atomic_fetch_and(&E.pending, ~(1ull << port),
				   __ATOMIC_RELAXED);
		E.delivered++;
		trace_evtchn_notify(port);
		/* Detach first: a resolution may wait on this port again. */
		struct ev_waiter *w = E.waiters[port];
		E.waiters[port] = NULL;
		E.waited &= ~(1ull << port);
		while (w) {
			struct ev_waiter *next = w->next;
			E.nwaiters--;
			promise_set_hook(w->p, NULL, NULL);
			/* An event signals its waiters: the record says who
			 * delivered it (PROMISE_SIGNAL), then the resolve. */
			promise_signal(w->p, port);
			promise_unref(w->p);
			kfree(w);
			w = next;
		}
	}
	promise_unlock(f);
}

unsigned event_waiter_count(void)
{
	return E.nwaiters;
}

uint64_t event_delivered_count(void)
{
	return E.delivered;
}
