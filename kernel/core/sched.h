/*
 * sched.h - kernel threads and the cooperative scheduler.
 *
 * The context that calls sched_init() becomes thread 0: the boot thread,
 * which doubles as the idle loop (sched_run). Thread ids count from 1.
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
void thread_exit(void) __attribute__((noreturn));
/* Waits for t to exit (blocking, reason RS_BLOCK_JOIN) and frees it. The
 * boot thread may join only threads that have already exited. */
void thread_join(struct thread *t);
/* t's descriptor is freed by the scheduler once it exits. */
void thread_detach(struct thread *t);

uint32_t thread_id(const struct thread *t);
const char *thread_name(const struct thread *t);
struct thread *sched_current(void);

void thread_yield(void);
/* Blocks the current thread until sched_wake(). Callers loop on their own
 * condition: a wake only means "look again". */
void sched_block(uint32_t reason, uint64_t object);
/* Makes a blocked thread runnable; a no-op for any other state. */
void sched_wake(struct thread *t);

/*
 * The boot thread's loop: runs threads, timers and events, and idles when
 * nothing is runnable. Returns 0 once every created thread has exited.
 * If the remaining threads are all blocked and nothing (no armed timer,
 * no event waiter, nothing pending) could ever wake them, it emits one
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
