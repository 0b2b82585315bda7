/*
 * sched.c - threads and a cooperative round-robin scheduler.
 *
 * Nothing preempts a thread: interrupts only mark work pending (timers due,
 * event ports), and that work is turned into promise resolutions here, on
 * the way through schedule() or in the idle loop. So the run queue needs no
 * locking against interrupts; they are disabled only across the stack
 * switch itself, where a handler would otherwise run on a half-switched
 * context (and, under ASan, between the fiber annotations).
 */
#include "sched.h"

#include "event.h"
#include "heap.h"
#include "klib.h"
#include "mm.h"
#include "panic.h"
#include "platform.h"
#include "timer.h"
#include "trace.h"

#ifdef __SANITIZE_ADDRESS__
#define STACK_ORDER 5          /* ASan frames are several times larger */
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom,
				    size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save,
				     const void **bottom_old, size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#else
#define STACK_ORDER 4          /* 64 KiB */
#endif
#define STACK_SIZE (PAGE_SIZE << STACK_ORDER)
/* The lowest page of every stack is a guard (platform_stack_guard): an
 * overflow faults there instead of running into the block below. */
#define STACK_GUARD PAGE_SIZE

enum thread_state { T_RUNNABLE, T_RUNNING, T_BLOCKED, T_EXITED };

struct thread {
	uint32_t tid;
	uint32_t parent;
	enum thread_state state;
	uint32_t block_reason;      /* while T_BLOCKED */
	bool detached;
	bool zombie;                /* exited, stack not yet freed */
	uint64_t sp;
	void *stack;                /* NULL for the boot thread */
	void (*fn)(void *);
	void *arg;
	struct thread *next;        /* run queue or zombie list */
	struct thread *joiner;
	uint64_t promise_ctx;
	char name[32];
#ifdef __SANITIZE_ADDRESS__
	void *asan_fake;
	const void *asan_bottom;
	size_t asan_size;
#endif
};

uint32_t kernel_current_tid;

static struct {
	struct thread boot;
	struct thread *current;
	struct thread *runq_head, *runq_tail;
	struct thread *zombies;
	struct thread *switched_from;   /* for the ASan bookkeeping */
	uint32_t next_tid;
	bool in_deferred;
	bool deadlock_reported;         /* MARK sent for this stall */
	uint64_t blocked_on_promise;
	struct sched_stats stats;
} S;

void sched_init(void)
{
	memset(&S, 0, sizeof(S));
	S.boot.state = T_RUNNING;
	kstrlcpy(S.boot.name, "boot", sizeof(S.boot.name));
	S.current = &S.boot;
	S.next_tid = 1;
	kernel_current_tid = 0;
}

uint32_t thread_id(const struct thread *t)
{
	return t->tid;
}

const char *thread_name(const struct thread *t)
{
	return t->name;
}

struct thread *sched_current(void)
{
	return S.current;
}

uint64_t sched_promise_ctx(void)
{
	return S.current->promise_ctx;
}

void sched_set_promise_ctx(uint64_t id)
{
	S.current->promise_ctx = id;
}

bool sched_current_stack(uintptr_t *lo, uintptr_t *hi)
{
	struct thread *t = S.current;
	if (!t || !t->stack)
		return false;
	*lo = (uintptr_t)t->stack + STACK_GUARD;
	*hi = (uintptr_t)t->stack + STACK_SIZE;
	return true;
}

void sched_stats(struct sched_stats *out)
{
	*out = S.stats;
}

static void runq_push(struct thread *t)
{
	t->next = NULL;
	if (S.runq_tail)
		S.runq_tail->next = t;
	else
		S.runq_head = t;
	S.runq_tail = t;
	trace_runq_len(++S.stats.runnable);
}

static struct thread *runq_pop(void)
{
	struct thread *t = S.runq_head;
	if (!t)
		return NULL;
	S.runq_head = t->next;
	if (!S.runq_head)
		S.runq_tail = NULL;
	t->next = NULL;
	trace_runq_len(--S.stats.runnable);
	return t;
}

/* Timers and events marked by interrupts, run in thread context. Guarded
 * because promise callbacks run from here may wake threads, which must not
 * recurse into another round of the same work. */
static void run_deferred(void)
{
	if (S.in_deferred)
		return;
	S.in_deferred = true;
	if (timer_due())
		timer_run_due();
	if (event_pending_any())
		event_dispatch();
	S.in_deferred = false;
}

static bool deferred_pending(void)
{
	return timer_due() || event_pending_any();
}

/* Frees the stacks of exited threads; called only from a thread that is
 * not one of them, i.e. after switching away. */
static void reap_zombies(void)
{
	while (S.zombies) {
		struct thread *t = S.zombies;
		S.zombies = t->next;
		t->next = NULL;
		t->zombie = false;
#ifdef __SANITIZE_ADDRESS__
		/* The thread never returned from its frames, so their redzones
		 * are still poisoned; the pages are about to be reused. */
		__asan_unpoison_memory_region(t->stack, STACK_SIZE);
#endif
		platform_stack_unguard(t->stack);
		free_pages(t->stack, STACK_ORDER);
		t->stack = NULL;
		if (t->detached)
			kfree(t);
	}
}

static void after_switch(void)
{
#ifdef __SANITIZE_ADDRESS__
	struct thread *from = S.switched_from;
	__sanitizer_finish_switch_fiber(S.current->asan_fake,
					&from->asan_bottom, &from->asan_size);
#endif
	reap_zombies();
}

static void switch_to(struct thread *prev, struct thread *next)
{
	trace_thread_switch(prev->tid, next->tid);
	S.stats.switches++;
	S.switched_from = prev;
	S.current = next;
	next->state = T_RUNNING;
	kernel_current_tid = next->tid;
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_start_switch_fiber(prev->state == T_EXITED ? NULL
							       : &prev->asan_fake,
				       next->asan_bottom, next->asan_size);
#endif
	arch_switch(&prev->sp, next->sp);
	after_switch();
}

/* The caller has already set the current thread's state (runnable and
 * queued, blocked, or exited). */
static void schedule(void)
{
	struct thread *prev = S.current;

	run_deferred();
	unsigned long flags = platform_irq_save();
	struct thread *next = runq_pop();
	if (!next)
		next = &S.boot;
	if (next == prev) {
		prev->state = T_RUNNING;
	} else {
		if (prev == &S.boot)
			prev->state = T_RUNNABLE;
		switch_to(prev, next);
	}
	platform_irq_restore(flags);
}

static void thread_entry(void *arg)
{
	struct thread *t = arg;
	after_switch();
	platform_irq_enable();
	t->fn(t->arg);
	thread_exit();
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
	struct thread *t = kzalloc(sizeof(*t));
	if (!t)
		return NULL;
	t->stack = alloc_pages(STACK_ORDER);
	if (!t->stack) {
		kfree(t);
		return NULL;
	}
	platform_stack_guard(t->stack);
	t->tid = S.next_tid++;
	t->parent = S.current->tid;
	t->fn = fn;
	t->arg = arg;
	kstrlcpy(t->name, name ? name : "", sizeof(t->name));
	t->sp = arch_stack_init((uint8_t *)t->stack + STACK_SIZE, thread_entry,
				t);
#ifdef __SANITIZE_ADDRESS__
	t->asan_bottom = (uint8_t *)t->stack + STACK_GUARD;
	t->asan_size = STACK_SIZE - STACK_GUARD;
#endif
	S.stats.created++;
	S.stats.live++;
	trace_thread_create(t->tid, t->parent, t->name);
	t->state = T_RUNNABLE;
	runq_push(t);
	return t;
}

void thread_exit(void)
{
	struct thread *t = S.current;
	if (t == &S.boot)
		panic("thread_exit: the boot thread cannot exit");
	trace_thread_exit(t->tid);
	t->state = T_EXITED;
	t->zombie = true;
	S.stats.exited++;
	S.stats.live--;
	if (t->joiner)
		sched_wake(t->joiner);
	t->next = S.zombies;
	S.zombies = t;
	schedule();
	panic("thread_exit: exited thread %u was scheduled again", t->tid);
}

void thread_join(struct thread *t)
{
	if (t == S.current)
		panic("thread_join: thread %u joins itself", t->tid);
	if (t->joiner || t->detached)
		panic("thread_join: thread %u already joined or detached",
		      t->tid);
	t->joiner = S.current;
	while (t->state != T_EXITED)
		sched_block(RS_BLOCK_JOIN, t->tid);
	/* It may have exited but not yet been switched away from by anyone
	 * who reaps; we are not it, so reaping now is safe. */
	if (t->zombie)
		reap_zombies();
	kfree(t);
}

void thread_detach(struct thread *t)
{
	if (t->joiner)
		panic("thread_detach: thread %u has a joiner", t->tid);
	if (t->state == T_EXITED && !t->zombie)
		kfree(t);
	else
		t->detached = true;
}

void thread_yield(void)
{
	struct thread *t = S.current;
	trace_thread_yield(t->tid);
	if (t != &S.boot) {
		t->state = T_RUNNABLE;
		runq_push(t);
	}
	schedule();
}

void sched_block(uint32_t reason, uint64_t object)
{
	struct thread *t = S.current;
	if (t == &S.boot)
		panic("sched_block: the boot thread cannot block (reason %u)",
		      reason);
	trace_thread_block(t->tid, reason, object);
	t->state = T_BLOCKED;
	t->block_reason = reason;
	if (reason == RS_BLOCK_PROMISE)
		S.blocked_on_promise++;
	schedule();
}

void sched_wake(struct thread *t)
{
	if (t->state != T_BLOCKED)
		return;
	trace_thread_wake(t->tid, S.current->tid);
	if (t->block_reason == RS_BLOCK_PROMISE)
		S.blocked_on_promise--;
	t->block_reason = 0;
	t->state = T_RUNNABLE;
	runq_push(t);
}

/* Nothing runnable, nothing pending, no timer armed and nobody waiting for
 * an event: only another thread could wake the blocked ones, and every
 * thread is blocked. Said once per stall, in the trace, in the region
 * header (the stall fields a host reads without the records) and on the
 * console; the kernel then idles on (the tick keeps the heartbeat moving),
 * like a real one, so a host sees a live but stuck guest. */
static void report_deadlock(void)
{
	char msg[64];
	S.deadlock_reported = true;
	ksnprintf(msg, sizeof(msg), "deadlock: %lu threads blocked on promises",
		  (unsigned long)S.blocked_on_promise);
	trace_mark(S.blocked_on_promise, msg);
	/* Every live thread is blocked: that is the count a host shows. */
	trace_stall(S.stats.live);
	kprintf("kernel: %s (%lu live)\n", msg, (unsigned long)S.stats.live);
}

int sched_run_until(uint64_t deadline)
{
	if (S.current != &S.boot)
		panic("sched_run: must be called from the boot thread");
	for (;;) {
		run_deferred();
		if (S.runq_head) {
			/* A thread can run again: the stall, if any, is over. */
			if (S.deadlock_reported)
				trace_stall(0);
			S.deadlock_reported = false;
			schedule();
			continue;
		}
		reap_zombies();
		if (S.stats.live == 0)
			return 0;
		if (deadline && platform_cycles() >= deadline)
			return -1;
		if (!S.deadlock_reported && !deferred_pending() &&
		    timer_armed_count() == 0 && event_waiter_count() == 0)
			report_deadlock();
		/* Check for work and wait with interrupts off, so a tick that
		 * lands in between is delivered by platform_idle's enable
		 * instead of being slept through. */
		unsigned long flags = platform_irq_save();
		if (!deferred_pending()) {
			trace_idle_enter();
			platform_idle();
			trace_idle_exit();
		}
		platform_irq_restore(flags);
	}
}

int sched_run(void)
{
	return sched_run_until(0);
}

bool sched_deadlock_reported(void)
{
	return S.deadlock_reported;
}
