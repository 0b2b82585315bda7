/*
 * spinlock.h - ticket spinlocks for the state CPUs share (kernel/README.md,
 * "SMP"): FIFO, so no CPU starves, and taken with interrupts off, so an
 * interrupt handler never spins on a lock its own CPU holds.
 *
 * The uncontended path is one atomic add and one load. A lock that is not
 * free at once goes to the out-of-line slow path (spinlock.c), which times
 * the wait and, once the lock is taken, writes lock_contend (lock id,
 * wait cycles) to the waiting CPU's ring.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "platform.h"

struct spinlock {
	uint32_t next;          /* the ticket the next taker draws */
	uint32_t owner;         /* the ticket that holds the lock */
	uint32_t id;            /* enum rs_lock, for lock_contend */
};

#define SPINLOCK_INIT(lock_id) { 0, 0, (lock_id) }

static inline void spin_init(struct spinlock *l, uint32_t id)
{
	l->next = 0;
	l->owner = 0;
	l->id = id;
}

/* A busy-wait step; a spinner also calls platform_cpu_relax now and
 * then. */
static inline void cpu_pause(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

void spin_wait_slow(struct spinlock *l, uint32_t ticket);

/* CPUs running (cpu.h); fixed by sched_init before any lock is taken. On
 * one CPU interrupts off already exclude everyone, so the locks cost no
 * atomic there. */
extern unsigned kernel_ncpus;

/* With interrupts already off. */
static inline void spin_lock(struct spinlock *l)
{
	if (kernel_ncpus == 1)
		return;
	uint32_t t = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != t)
		spin_wait_slow(l, t);
}

static inline void spin_unlock(struct spinlock *l)
{
	if (kernel_ncpus == 1)
		return;
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

static inline unsigned long spin_lock_irqsave(struct spinlock *l)
{
	unsigned long flags = platform_irq_save();
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l,
					  unsigned long flags)
{
	spin_unlock(l);
	platform_irq_restore(flags);
}

#endif /* KERNEL_SPINLOCK_H */
