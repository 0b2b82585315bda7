/*
 * sched.h - kernel threads and the cooperative scheduler, on every CPU
 * (kernel/README.md, "SMP").
 *
 * The context that calls sched_init() becomes thread 0: the boot thread,
 * which doubles as CPU 0's idle loop (sched_run). Each other CPU runs
 * sched_secondary, its own idle loop, also thread 0 in its records.
 * Thread ids count from 1.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct thread;

void sched_init(void);

/* A new runnable thread with its own stack; NULL when out of memory.
 * Every thread must eventually be joined or detached, or its descriptor
 * (not its stack) stays allocated. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
/* The same, but the thread runs only on CPU `cpu` (never stolen); NULL if
 * that CPU is not running. */
struct thread *thread_create_on(unsigned cpu, const char *name,
				void (*fn)(void *), void *arg);
void thread_exit(void) __attribute__((noreturn));
/* Waits for t to exit (blocking, reason RS_BLOCK_JOIN) and frees it. The
 * boot thread may join only threads that have already exited. */
void thread_join(struct thread *t);
/* t's descriptor is freed by the scheduler once it exits. */
void thread_detach(struct thread *t);

uint32_t thread_id(const struct thread *t);
/* The CPU t runs on, last ran on, or is queued on. */
unsigned sched_cpu(const struct thread *t);
const char *thread_name(const struct thread *t);
struct thread *sched_current(void);

void thread_yield(void);
/* Blocks the current thread until sched_wake(). Callers loop on their own
 * condition: a wake only means "look again". A caller that holds the
 * promise lock (promise.h) around its look and the block cannot miss a
 * wake from another CPU; sched_block lets it go while blocked. */
void sched_block(uint32_t reason, uint64_t object);
/* Called by sched_block after it let the promise lock go and before it
 * switches away, the moment a wake from another CPU may already be under
 * way. A weak no-op: the test suite defines its own, which widens that
 * window to show no wake is lost in it (tests/kernel/test_kernel_smp.c). */
void sched_block_window(void);
/* Makes a blocked thread runnable; a no-op for any other state. */
void sched_wake(struct thread *t);

/*
 * The boot thread's loop: runs threads, timers and events, and idles when
 * nothing is runnable. Returns 0 once every created thread has exited.
 * If the remaining threads are all blocked, every CPU idles and nothing
 * (no armed timer, no event waiter, nothing pending or queued on any CPU)
 * could ever wake them, one CPU emits one
 * MARK "deadlock: N threads blocked on promises" and idles on forever,
 * ticking, like a real kernel: it does not return.
 */
int sched_run(void);
/* The same, but gives up at `deadline` (cycles; 0 = never) and returns -1
 * if threads are still alive then. Needs a tick to notice the deadline
 * while idle. */
int sched_run_until(uint64_t deadline);
/* Whether the current stall was reported as a deadlock. */
bool sched_deadlock_reported(void);

/* CPUs 1..n-1 start here (boot.c hands it to platform_start_cpu): on
 * their own stack, interrupts disabled. Never returns: the CPU runs
 * threads and idles until CPU 0's sched_run returns, then parks. On
 * several CPUs sched_run returns once: the kernel then exits. */
void sched_secondary(void) __attribute__((noreturn));
/* kernel_ipi's work (tick.h): records the IPIs that arrived. */
void sched_ipi(void);

/* The promise whose callback is running on this thread (0 = none): the
 * parent of promises created now, and the reader/resolver id of records. */
uint64_t sched_promise_ctx(void);
void sched_set_promise_ctx(uint64_t id);

/* Bounds of the current thread's stack; false for the boot stack, whose
 * extent the kernel does not know. */
bool sched_current_stack(uintptr_t *lo, uintptr_t *hi);

struct sched_stats {
	uint64_t created, exited, switches, live, runnable;
};
void sched_stats(struct sched_stats *out);

#endif /* KERNEL_SCHED_H */
