/*
 * timer.c - sleeping, per CPU: a timer is armed on the CPU of the thread
 * that arms it and fired by that CPU, so a sleeper's TIMER_FIRE lands on
 * its own CPU's ring and its wake-up needs no IPI. Each CPU keeps one
 * sorted list; few timers are armed at a time in these workloads, so an
 * ordered insert beats a heap on both code size and constant factors.
 *
 * The tick reads single words (the earliest deadline of each list) and
 * sets flags; list surgery happens only in thread context, under the
 * promise lock (promise.h): cancelling may come from any CPU, and firing
 * resolves promises, which needs that lock anyway.
 *
 * A CPU that stops coming round (stuck with interrupts off, as in the
 * stuckcpu workload) would keep its sleepers asleep for ever. So another
 * CPU fires a list's timers once they are RESCUE_NS overdue: long enough
 * that a live CPU, even one whose host is busy, has fired its own by
 * then; short enough that the others go on. Such a rescue is counted
 * (timer_rescued_count) and its TIMER_FIRE is on the rescuer's ring.
 */
#include "timer.h"

#include "cpu.h"
#include "heap.h"
#include "klib.h"
#include "panic.h"
#include "platform.h"
#include "promise.h"
#include "sched.h"
#include "trace.h"

#define RESCUE_NS 100000000ull          /* 100 ms */

struct timer {
	uint64_t id;
	uint64_t due;
	struct promise *p;              /* reference held while armed */
	struct timer *next;
	unsigned cpu;                   /* whose list it is on */
};

/* One CPU's timers, in a cache line of their own: the owner's tick reads
 * next_due at every tick. */
struct timer_list {
	struct timer *head;             /* under the promise lock */
	volatile uint64_t next_due;     /* read by every CPU's tick */
	volatile bool due;              /* set by the owner's tick */
	volatile bool rescue;           /* another list is long overdue */
} __attribute__((aligned(64)));

static struct timer_list lists[KERNEL_MAX_CPUS];

static struct {
	uint64_t next_id;
	unsigned armed;                 /* all lists */
	uint64_t fired, rescued;
	uint64_t rescue_cycles;
} T;

void timer_init(void)
{
	memset(lists, 0, sizeof(lists));
	for (unsigned i = 0; i < KERNEL_MAX_CPUS; i++)
		lists[i].next_due = UINT64_MAX;
	memset(&T, 0, sizeof(T));
	T.next_id = 1;
	T.rescue_cycles = ns_to_cycles(RESCUE_NS);
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

static void update_next_due(struct timer_list *l)
{
	l->next_due = l->head ? l->head->due : UINT64_MAX;
}

static void unlink_timer(struct timer *t)
{
	struct timer_list *l = &lists[t->cpu];
	for (struct timer **pp = &l->head; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			T.armed--;
			break;
		}
	}
	update_next_due(l);
}

/* A cancelled sleep disarms its timer; a fired one is released by
 * fire_due instead. */
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
	/* Interrupts are off under the promise lock: this is the CPU. */
	t->cpu = platform_cpu();
	promise_set_hook(p, timer_hook, t);

	struct timer_list *l = &lists[t->cpu];
	struct timer **pp = &l->head;
	while (*pp && (*pp)->due <= due)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	T.armed++;
	update_next_due(l);
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

/* Another CPU's list whose earliest deadline is `now` - RESCUE_NS or
 * older: that CPU is not coming round. */
static bool overdue_elsewhere(unsigned self, uint64_t now)
{
	if (now < T.rescue_cycles)
		return false;
	for (unsigned i = 0; i < kernel_ncpus; i++)
		if (i != self && lists[i].next_due <= now - T.rescue_cycles)
			return true;
	return false;
}

void timer_tick(uint64_t now)
{
	unsigned self = platform_cpu();
	struct timer_list *l = &lists[self];
	if (now >= l->next_due)
		l->due = true;
	if (kernel_ncpus > 1 && overdue_elsewhere(self, now))
		l->rescue = true;
}

bool timer_due(void)
{
	const struct timer_list *l = &lists[platform_cpu()];
	return l->due || l->rescue;
}

/* Fires list l's timers due by `until` (promise lock held). */
static void fire_due(struct timer_list *l, uint64_t until, uint64_t now,
		     bool rescue)
{
	while (l->head && l->head->due <= until) {
		struct timer *t = l->head;
		l->head = t->next;
		T.armed--;
		update_next_due(l);
		T.fired++;
		if (rescue)
			T.rescued++;
		trace_timer_fire(t->id, t->due);
		promise_resolve(t->p, now);
		promise_unref(t->p);
		kfree(t);
	}
}

void timer_run_due(void)
{
	unsigned long f = promise_lock();
	unsigned self = platform_cpu();
	struct timer_list *own = &lists[self];
	uint64_t now = platform_cycles();
	bool rescue = own->rescue;
	own->due = false;
	own->rescue = false;
	fire_due(own, now, now, false);
	if (rescue && now >= T.rescue_cycles)
		for (unsigned i = 0; i < kernel_ncpus; i++)
			if (i != self)
				fire_due(&lists[i], now - T.rescue_cycles,
					 now, true);
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

uint64_t timer_rescued_count(void)
{
	return T.rescued;
}
