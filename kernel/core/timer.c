/*
 * timer.c - one sorted list of armed timers. Few timers are armed at a
 * time in these workloads, so an ordered insert beats a heap on both code
 * size and constant factors.
 *
 * The tick reads a single word (the earliest deadline) and sets a flag;
 * list surgery happens only in thread context, under the promise lock
 * (promise.h), which every CPU's tick and idle loop may end up taking.
 */
#include "timer.h"

#include "heap.h"
#include "klib.h"
#include "panic.h"
#include "platform.h"
#include "promise.h"
#include "sched.h"
#include "trace.h"

struct timer {
	uint64_t id;
	uint64_t due;
	struct promise *p;              /* reference held while armed */
	struct timer *next;
};

static struct {
	struct timer *head;
	volatile uint64_t next_due;     /* read by the tick */
	volatile bool due;              /* set by the tick */
	uint64_t next_id;
	unsigned armed;
	uint64_t fired;
} T;

void timer_init(void)
{
	memset((void *)&T, 0, sizeof(T));
	T.next_due = UINT64_MAX;
	T.next_id = 1;
}

uint64_t ns_to_cycles(uint64_t ns)
{
	/* MHz granularity keeps this in 64 bits for sleeps up to hours and
	 * avoids a 128-bit division (no libgcc on bare metal). */
	uint64_t mhz = platform_tsc_hz() / 1000000u;
	if (mhz == 0)
		mhz = 1;
	return ns * mhz / 1000u;
}

uint64_t cycles_to_ns(uint64_t cycles)
{
	uint64_t mhz = platform_tsc_hz() / 1000000u;
	if (mhz == 0)
		mhz = 1;
	return cycles * 1000u / mhz;
}

static void update_next_due(void)
{
	T.next_due = T.head ? T.head->due : UINT64_MAX;
}

static void unlink_timer(struct timer *t)
{
	for (struct timer **pp = &T.head; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			T.armed--;
			break;
		}
	}
	update_next_due();
}

/* A cancelled sleep disarms its timer; a fired one is released by
 * timer_run_due instead. */
static void timer_hook(struct promise *p, void *arg, bool cancelled)
{
	struct timer *t = arg;
	if (!cancelled)
		return;
	unlink_timer(t);
	promise_unref(t->p);
	kfree(t);
}

struct promise *timer_sleep_until(uint64_t due)
{
	unsigned long f = promise_lock();
	struct timer *t = kmalloc(sizeof(*t));
	if (!t)
		panic("timer_sleep_until: out of memory");
	struct promise *p = promise_create(RS_PT_SLEEP);
	t->id = T.next_id++;
	t->due = due;
	t->p = promise_ref(p);
	promise_set_hook(p, timer_hook, t);

	struct timer **pp = &T.head;
	while (*pp && (*pp)->due <= due)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	T.armed++;
	update_next_due();
	promise_unlock(f);
	return p;
}

struct promise *timer_sleep_ns(uint64_t ns)
{
	return timer_sleep_until(platform_cycles() + ns_to_cycles(ns));
}

void ksleep_ns(uint64_t ns)
{
	struct promise *p = timer_sleep_ns(ns);
	promise_wait(p, NULL);
	promise_unref(p);
}

void timer_tick(uint64_t now)
{
	if (now >= T.next_due)
		T.due = true;
}

bool timer_due(void)
{
	return T.due;
}

void timer_run_due(void)
{
	unsigned long f = promise_lock();
	T.due = false;
	uint64_t now = platform_cycles();
	while (T.head && T.head->due <= now) {
		struct timer *t = T.head;
		T.head = t->next;
		T.armed--;
		update_next_due();
		T.fired++;
		trace_timer_fire(t->id, t->due);
		promise_resolve(t->p, now);
		promise_unref(t->p);
		kfree(t);
	}
	promise_unlock(f);
}

unsigned timer_armed_count(void)
{
	return T.armed;
}

uint64_t timer_fired_count(void)
{
	return T.fired;
}
