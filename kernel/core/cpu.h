/*
 * cpu.h - what each CPU keeps for itself (kernel/README.md, "SMP"): the
 * thread it runs, its idle context, its run queue and the lock on it, its
 * tick count, and the IPIs waiting for it. kernel_cpus[platform_cpu()] is
 * the running CPU's; only that CPU writes its own slot, except the run
 * queue (under runq_lock) and ipi_pending (atomically).
 */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "platform.h"
#include "spinlock.h"

struct thread;

struct cpu {
	/* Read by every trace emit as the record's ctx: first, and in a
	 * cache line of its own CPU's, so emitting shares nothing. */
	uint32_t current_tid;
	unsigned id;
	struct thread *current;
	struct thread *idle;            /* CPU 0's is the boot thread */
	/* FIFO of runnable threads, under runq_lock; runq_len may be read
	 * without it (placement and stealing only need a hint). */
	struct spinlock runq_lock;
	struct thread *runq_head, *runq_tail;
	uint32_t runq_len;
	struct thread *zombies;         /* exited here, stacks to free */
	struct thread *switched_from;   /* for after_switch */
	bool in_deferred;
	bool online;                    /* running its scheduler */
	bool idling;                    /* in its idle loop, nothing to run */
	bool parked;                    /* stopped for a clean exit */
	uint32_t ipi_pending;           /* bit per enum rs_ipi_reason */
	uint64_t ticks;
	uint64_t switches;
} __attribute__((aligned(64)));

extern struct cpu kernel_cpus[KERNEL_MAX_CPUS];
/* platform_ncpus(), fixed at sched_init (declared in spinlock.h). */

static inline struct cpu *cpu_this(void)
{
	return &kernel_cpus[platform_cpu()];
}

#endif /* KERNEL_CPU_H */
