/*
 * sched.c - threads and a cooperative scheduler on every CPU
 * (kernel/README.md, "SMP").
 *
 * Nothing preempts a thread: interrupts only mark work pending (timers due,
 * event ports, IPIs), and that work is turned into promise resolutions
 * here, on the way through schedule() or in a CPU's idle loop. Each CPU has
 * its own run queue under its own lock; a thread is woken onto the CPU it
 * last ran on, a new one goes to the least loaded CPU, and a CPU with
 * nothing to run steals the oldest thread of the longest other queue.
 *
 * Who may touch what: a thread's state, its joiner and the blocked count
 * change under the promise lock (promise.h), so a wake can never slip
 * between a waiter's last look and its block. `on_cpu` is set while a
 * thread's context is live on some CPU and cleared by that CPU only after
 * the switch away has saved it: whoever wants to run the thread elsewhere
 * waits for it first (a thief leaves it queued meanwhile). Interrupts are
 * off across every switch.
 */
#include "sched.h"

#include "cpu.h"
#include "event.h"
#include "heap.h"
#include "klib.h"
#include "mm.h"
#include "panic.h"
#include "platform.h"
#include "promise.h"
#include "spinlock.h"
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

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define ADD(x, v) __atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

enum thread_state { T_RUNNABLE, T_RUNNING, T_BLOCKED, T_EXITED };

struct thread {
	uint32_t tid;
	uint32_t parent;
	enum thread_state state;
	uint32_t block_reason;      /* while T_BLOCKED */
	unsigned cpu;               /* where it runs, last ran, or is queued */
	bool pinned;                /* never stolen (thread_create_on) */
	bool detached;
	bool on_cpu;                /* context live or still being saved */
	/* Two owners: the CPU that reaps its stack after it exits, and its
	 * joiner (or thread_detach). The last to let go frees it. */
	uint32_t refs;
	uint64_t sp;
	void *stack;                /* NULL for an idle context */
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

struct cpu kernel_cpus[KERNEL_MAX_CPUS];
unsigned kernel_ncpus = 1;

/* Each CPU's idle context; CPU 0's is the boot thread. */
static struct thread idle_threads[KERNEL_MAX_CPUS];

static struct {
	uint32_t next_tid;
	uint32_t rotor;                 /* where placement starts looking */
	bool deadlock_reported;         /* MARK sent for this stall */
	bool shutdown;                  /* CPU 0 is done: the others park */
	uint64_t blocked_on_promise;    /* under the promise lock */
	uint64_t created, exited, live;
	uint64_t unreaped;              /* exited, stack not yet freed */
} S;

void sched_init(void)
{
	memset(kernel_cpus, 0, sizeof(kernel_cpus));
	memset(idle_threads, 0, sizeof(idle_threads));
	memset(&S, 0, sizeof(S));
	unsigned n = platform_ncpus();
	kernel_ncpus = n < 1 ? 1 : n > KERNEL_MAX_CPUS ? KERNEL_MAX_CPUS : n;
	for (unsigned i = 0; i < KERNEL_MAX_CPUS; i++) {
		struct cpu *c = &kernel_cpus[i];
		struct thread *idle = &idle_threads[i];
		c->id = i;
		c->idle = c->current = idle;
		spin_init(&c->runq_lock, RS_LOCK_RUNQ);
		idle->cpu = i;
		idle->pinned = true;
		idle->refs = 1;
		kstrlcpy(idle->name, i ? "idle" : "boot", sizeof(idle->name));
	}
	idle_threads[0].state = T_RUNNING;
	idle_threads[0].on_cpu = true;
	kernel_cpus[0].online = true;
	S.next_tid = 1;
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
	return cpu_this()->current;
}

uint64_t sched_promise_ctx(void)
{
	return cpu_this()->current->promise_ctx;
}

void sched_set_promise_ctx(uint64_t id)
{
	cpu_this()->current->promise_ctx = id;
}

bool sched_current_stack(uintptr_t *lo, uintptr_t *hi)
{
	struct thread *t = cpu_this()->current;
	if (!t || !t->stack)
		return false;
	*lo = (uintptr_t)t->stack + STACK_GUARD;
	*hi = (uintptr_t)t->stack + STACK_SIZE;
	return true;
}

void sched_stats(struct sched_stats *out)
{
	*out = (struct sched_stats){
		.created = LOAD(S.created),
		.exited = LOAD(S.exited),
		.live = LOAD(S.live),
	};
	for (unsigned i = 0; i < kernel_ncpus; i++) {
		out->switches += LOAD(kernel_cpus[i].switches);
		out->runnable += LOAD(kernel_cpus[i].runq_len);
	}
}

unsigned sched_cpu(const struct thread *t)
{
	return LOAD(t->cpu);
}

/* ---- run queues --------------------------------------------------------------- */

/* The caller holds c->runq_lock. A runq_len record counts the queue of
 * the CPU it is written on (RING.md), so only the CPU's own queue changes
 * are written; another CPU's push or steal shows when it next changes. */
static void runq_append(struct cpu *c, struct thread *t)
{
	t->next = NULL;
	if (c->runq_tail)
		c->runq_tail->next = t;
	else
		c->runq_head = t;
	c->runq_tail = t;
	STORE(c->runq_len, c->runq_len + 1);
	if (c == cpu_this())
		trace_runq_len(c->runq_len);
}

/* The oldest thread on c's queue; the caller holds c->runq_lock. A thief
 * skips pinned threads and threads still switching out on c (queued by a
 * yield, or woken while blocking): waiting for those while c might be
 * waiting, the same way, for one of the thief's would deadlock both. */
static struct thread *runq_take(struct cpu *c, bool thief)
{
	struct thread **pp = &c->runq_head, *prev = NULL;
	while (thief && *pp &&
	       ((*pp)->pinned ||
		__atomic_load_n(&(*pp)->on_cpu, __ATOMIC_ACQUIRE))) {
		prev = *pp;
		pp = &prev->next;
	}
	struct thread *t = *pp;
	if (!t)
		return NULL;
	*pp = t->next;
	if (c->runq_tail == t)
		c->runq_tail = prev;
	t->next = NULL;
	STORE(c->runq_len, c->runq_len - 1);
	if (c == cpu_this())
		trace_runq_len(c->runq_len);
	return t;
}

/* Interrupts CPU c for `reason` unless such an IPI is already on its way:
 * the send record goes first, so every ipi_recv has one before it. */
static void cpu_kick(struct cpu *c, uint32_t reason)
{
	uint32_t bit = 1u << reason;
	if (LOAD(c->ipi_pending) & bit)
		return;
	trace_ipi_send(c->id, reason);
	if (!(__atomic_fetch_or(&c->ipi_pending, bit, __ATOMIC_SEQ_CST) & bit))
		platform_send_ipi(c->id);
}

void sched_ipi(void)
{
	struct cpu *c = cpu_this();
	uint32_t bits = __atomic_exchange_n(&c->ipi_pending, 0,
					    __ATOMIC_SEQ_CST);
	for (uint32_t reason = 1; reason < 32; reason++)
		if (bits & (1u << reason))
			trace_ipi_recv(reason);
}

/* Queues a runnable t on CPU `cpu` and wakes that CPU if it idles. Its
 * idle loop raises `idling` before it looks at its queue a last time, and
 * this looks at `idling` after the push: one of the two sees the other. */
static void enqueue(struct thread *t, unsigned cpu)
{
	struct cpu *c = &kernel_cpus[cpu];
	unsigned long flags = spin_lock_irqsave(&c->runq_lock);
	STORE(t->cpu, cpu);
	runq_append(c, t);
	spin_unlock_irqrestore(&c->runq_lock, flags);
	if (c != cpu_this()) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (LOAD(c->idling))
			cpu_kick(c, RS_IPI_WAKE);
	}
}

/* A new thread's CPU: the online one with the least load (queued threads
 * plus the one it runs), ties going round the CPUs so that equal work
 * spreads over all of them. */
static unsigned place(void)
{
	unsigned n = kernel_ncpus, best = 0, best_load = ~0u;
	if (n == 1)
		return 0;
	unsigned start = __atomic_fetch_add(&S.rotor, 1, __ATOMIC_RELAXED);
	for (unsigned k = 0; k < n; k++) {
		struct cpu *c = &kernel_cpus[(start + k) % n];
		if (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
			continue;
		unsigned load = LOAD(c->runq_len) +
				(LOAD(c->current) != c->idle ? 1u : 0u);
		if (load < best_load) {
			best = c->id;
			best_load = load;
		}
	}
	return best;
}

/* The oldest unpinned thread of the longest queue of another CPU that is
 * busy running a thread, now c's (thread_migrate on c's ring); NULL if
 * there is none. A CPU in its idle loop runs its own queue as soon as it
 * comes round (it was kicked), so its work is left to it. */
static struct thread *steal(struct cpu *c)
{
	struct cpu *victim = NULL;
	uint32_t most = 0;
	for (unsigned i = 0; i < kernel_ncpus; i++) {
		struct cpu *o = &kernel_cpus[i];
		uint32_t len = LOAD(o->runq_len);
		if (o != c && len > most && LOAD(o->online) &&
		    LOAD(o->current) != o->idle) {
			most = len;
			victim = o;
		}
	}
	if (!victim)
		return NULL;
	spin_lock(&victim->runq_lock);
	struct thread *t = runq_take(victim, true);
	spin_unlock(&victim->runq_lock);
	if (t) {
		trace_thread_migrate(t->tid, t->cpu, c->id);
		STORE(t->cpu, c->id);
	}
	return t;
}

/* Interrupts off. */
static struct thread *pick_next(struct cpu *c)
{
	struct thread *t = NULL;
	if (LOAD(c->runq_len)) {
		spin_lock(&c->runq_lock);
		t = runq_take(c, false);
		spin_unlock(&c->runq_lock);
	}
	if (!t && kernel_ncpus > 1)
		t = steal(c);
	return t;
}

/* ---- switching ---------------------------------------------------------------- */

/* Timers and events marked by interrupts, run in thread context. Guarded
 * because promise callbacks run from here may wake threads, which must not
 * recurse into another round of the same work. */
static void run_deferred(struct cpu *c)
{
	if (c->in_deferred)
		return;
	c->in_deferred = true;
	if (timer_due())
		timer_run_due();
	if (event_pending_any())
		event_dispatch();
	c->in_deferred = false;
}

static bool deferred_pending(void)
{
	return timer_due() || event_pending_any();
}

static void thread_put(struct thread *t)
{
	if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(t);
}

/* Frees the stacks of threads that exited on this CPU; called after
 * switching away from them, so none of them is running. */
static void reap_zombies(struct cpu *c)
{
	while (c->zombies) {
		struct thread *t = c->zombies;
		c->zombies = t->next;
		t->next = NULL;
#ifdef __SANITIZE_ADDRESS__
		/* The thread never returned from its frames, so their redzones
		 * are still poisoned; the pages are about to be reused. */
		__asan_unpoison_memory_region(t->stack, STACK_SIZE);
#endif
		platform_stack_unguard(t->stack);
		free_pages(t->stack, STACK_ORDER);
		t->stack = NULL;
		thread_put(t);
		ADD(S.unreaped, (uint64_t)-1);
	}
}

/* The first thing on the new stack: the previous context is saved now,
 * so another CPU may run it from here on. */
static void after_switch(void)
{
	struct cpu *c = cpu_this();
	struct thread *from = c->switched_from;
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_finish_switch_fiber(c->current->asan_fake,
					&from->asan_bottom, &from->asan_size);
#endif
	if (from->state != T_EXITED)
		__atomic_store_n(&from->on_cpu, false, __ATOMIC_RELEASE);
	reap_zombies(c);
}

static void switch_to(struct cpu *c, struct thread *prev, struct thread *next)
{
	/* A thread is taken only once its context is saved (a thief skips
	 * it before; its own CPU saved it itself): this wait is the guard of
	 * that rule, it does not spin. */
	for (unsigned n = 0; __atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE);) {
		cpu_pause();
		if (++n % 64 == 0)
			platform_cpu_relax();
	}
	trace_thread_switch(prev->tid, next->tid);
	STORE(c->switches, c->switches + 1);
	c->switched_from = prev;
	next->on_cpu = true;
	next->state = T_RUNNING;
	STORE(next->cpu, c->id);
	STORE(c->current, next);
	c->current_tid = next->tid;
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_start_switch_fiber(prev->state == T_EXITED ? NULL
							       : &prev->asan_fake,
				       next->asan_bottom, next->asan_size);
#endif
	arch_switch(&prev->sp, next->sp);
	after_switch();
}

/* The caller has already set the current thread's state (runnable and
 * queued, blocked, or exited). It may resume on another CPU. */
static void schedule(void)
{
	struct cpu *c = cpu_this();
	struct thread *prev = c->current;

	run_deferred(c);
	unsigned long flags = platform_irq_save();
	struct thread *next = pick_next(c);
	if (!next)
		next = c->idle;
	if (next == prev) {
		prev->state = T_RUNNING;
	} else {
		if (prev == c->idle)
			prev->state = T_RUNNABLE;
		switch_to(c, prev, next);
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

/* pin: the CPU the thread stays on, or -1 to place and balance it. */
static struct thread *create(const char *name, void (*fn)(void *), void *arg,
			     int pin)
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
	t->tid = __atomic_fetch_add(&S.next_tid, 1, __ATOMIC_RELAXED);
	t->parent = sched_current()->tid;
	t->fn = fn;
	t->arg = arg;
	t->refs = 2;
	t->pinned = pin >= 0;
	kstrlcpy(t->name, name ? name : "", sizeof(t->name));
	t->sp = arch_stack_init((uint8_t *)t->stack + STACK_SIZE, thread_entry,
				t);
#ifdef __SANITIZE_ADDRESS__
	t->asan_bottom = (uint8_t *)t->stack + STACK_GUARD;
	t->asan_size = STACK_SIZE - STACK_GUARD;
#endif
	ADD(S.created, 1);
	ADD(S.live, 1);
	trace_thread_create(t->tid, t->parent, t->name);
	t->state = T_RUNNABLE;
	enqueue(t, pin >= 0 ? (unsigned)pin : place());
	return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
	return create(name, fn, arg, -1);
}

struct thread *thread_create_on(unsigned cpu, const char *name,
				void (*fn)(void *), void *arg)
{
	if (cpu >= kernel_ncpus ||
	    !__atomic_load_n(&kernel_cpus[cpu].online, __ATOMIC_ACQUIRE))
		return NULL;
	return create(name, fn, arg, (int)cpu);
}

void thread_exit(void)
{
	struct cpu *c = cpu_this();
	struct thread *t = c->current;
	if (t == c->idle)
		panic("thread_exit: the boot thread cannot exit");
	trace_thread_exit(t->tid);
	/* Interrupts stay off from here to the switch: t is on this CPU's
	 * zombie list, which only this CPU's after_switch empties. */
	platform_irq_disable();
	unsigned long flags = promise_lock();
	t->state = T_EXITED;
	ADD(S.exited, 1);
	ADD(S.unreaped, 1);
	ADD(S.live, (uint64_t)-1);
	if (t->joiner)
		sched_wake(t->joiner);
	t->next = c->zombies;
	c->zombies = t;
	promise_unlock(flags);
	schedule();
	panic("thread_exit: exited thread %u was scheduled again", t->tid);
}

void thread_join(struct thread *t)
{
	struct thread *me = sched_current();
	if (t == me)
		panic("thread_join: thread %u joins itself", t->tid);
	unsigned long flags = promise_lock();
	if (t->joiner || t->detached)
		panic("thread_join: thread %u already joined or detached",
		      t->tid);
	t->joiner = me;
	while (t->state != T_EXITED)
		sched_block(RS_BLOCK_JOIN, t->tid);
	promise_unlock(flags);
	thread_put(t);
}

void thread_detach(struct thread *t)
{
	unsigned long flags = promise_lock();
	if (t->joiner)
		panic("thread_detach: thread %u has a joiner", t->tid);
	t->detached = true;
	promise_unlock(flags);
	thread_put(t);
}

void thread_yield(void)
{
	struct cpu *c = cpu_this();
	struct thread *t = c->current;
	trace_thread_yield(t->tid);
	if (t != c->idle) {
		unsigned long flags = spin_lock_irqsave(&c->runq_lock);
		t->state = T_RUNNABLE;
		runq_append(c, t);
		spin_unlock_irqrestore(&c->runq_lock, flags);
	}
	schedule();
}

/* Marks the thread blocked under the promise lock, then lets the lock go
 * (interrupts stay off) and switches away: a waker that takes the lock
 * next finds it blocked and queues it, and whoever runs it next waits
 * for on_cpu, i.e. for this CPU to have saved it. */
void sched_block(uint32_t reason, uint64_t object)
{
	struct cpu *c = cpu_this();
	struct thread *t = c->current;
	if (t == c->idle)
		panic("sched_block: the boot thread cannot block (reason %u)",
		      reason);
	trace_thread_block(t->tid, reason, object);
	unsigned long flags = promise_lock();
	t->state = T_BLOCKED;
	t->block_reason = reason;
	if (reason == RS_BLOCK_PROMISE)
		S.blocked_on_promise++;
	unsigned depth = promise_lock_drop();
	sched_block_window();
	schedule();
	promise_lock_retake(depth);
	promise_unlock(flags);
}

/* The test suite's seam (sched.h); nothing anywhere else. */
__attribute__((weak)) void sched_block_window(void)
{
}

void sched_wake(struct thread *t)
{
	unsigned long flags = promise_lock();
	if (t->state == T_BLOCKED) {
		trace_thread_wake(t->tid, sched_current()->tid);
		if (t->block_reason == RS_BLOCK_PROMISE)
			S.blocked_on_promise--;
		t->block_reason = 0;
		t->state = T_RUNNABLE;
		enqueue(t, LOAD(t->cpu));
	}
	promise_unlock(flags);
}

/* ---- idle loops and verdicts -------------------------------------------------- */

/* Nothing runnable or pending on any CPU, every other CPU in its idle
 * loop, no timer armed and nobody waiting for an event: only another
 * thread could wake the blocked ones, and every thread is blocked. Said
 * once per stall, in the trace, in the region header (the stall fields a
 * host reads without the records) and on the console; the kernel then
 * idles on (the tick keeps the heartbeat moving), like a real one, so a
 * host sees a live but stuck guest. Decided under the promise lock, which
 * every wake takes. */
static void check_deadlock(struct cpu *c)
{
	if (LOAD(S.deadlock_reported) || LOAD(S.live) == 0 ||
	    deferred_pending() || timer_armed_count() != 0 ||
	    event_waiter_count() != 0)
		return;
	unsigned long flags = promise_lock();
	bool stuck = !S.deadlock_reported && LOAD(S.live) != 0 &&
		     !deferred_pending() && timer_armed_count() == 0 &&
		     event_waiter_count() == 0;
	for (unsigned i = 0; stuck && i < kernel_ncpus; i++) {
		struct cpu *o = &kernel_cpus[i];
		if (!LOAD(o->online))
			continue;
		if (LOAD(o->runq_len) || (o != c && !LOAD(o->idling)))
			stuck = false;
	}
	if (stuck) {
		char msg[64];
		STORE(S.deadlock_reported, true);
		ksnprintf(msg, sizeof(msg),
			  "deadlock: %lu threads blocked on promises",
			  (unsigned long)S.blocked_on_promise);
		trace_mark(S.blocked_on_promise, msg);
		/* Every live thread is blocked: that is the count a host
		 * shows. */
		trace_stall(LOAD(S.live));
		kprintf("kernel: %s (%lu live)\n", msg,
			(unsigned long)LOAD(S.live));
	}
	promise_unlock(flags);
}

/* Stops this CPU for good once CPU 0 has finished (a clean exit): with
 * interrupts off, so nothing more lands in its ring. */
static void __attribute__((noreturn)) park(struct cpu *c)
{
	platform_irq_disable();
	__atomic_store_n(&c->parked, true, __ATOMIC_RELEASE);
	for (;;) {
		cpu_pause();
		platform_cpu_relax();
	}
}

/* Takes a thread from another CPU onto this one's queue, if any. */
static void steal_onto(struct cpu *c)
{
	unsigned long flags = platform_irq_save();
	struct thread *t = steal(c);
	if (t) {
		spin_lock(&c->runq_lock);
		runq_append(c, t);
		spin_unlock(&c->runq_lock);
	}
	platform_irq_restore(flags);
}

/* Waits for the next interrupt unless work came in meanwhile. Interrupts
 * are off across the last look and the wait, so a tick or an IPI that
 * lands in between is delivered by platform_idle's enable instead of
 * being slept through. */
static void idle_wait(struct cpu *c)
{
	STORE(c->idling, true);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	check_deadlock(c);
	unsigned long flags = platform_irq_save();
	if (!deferred_pending() && !LOAD(c->runq_len) && !LOAD(S.shutdown)) {
		trace_idle_enter();
		platform_idle();
		trace_idle_exit();
	}
	platform_irq_restore(flags);
	STORE(c->idling, false);
}

/* A CPU's loop while no thread runs on it. CPU 0 (`boot`) returns 0 once
 * every thread has exited and been reaped, or -1 at `deadline`. */
static int idle_loop(struct cpu *c, uint64_t deadline, bool boot)
{
	for (;;) {
		run_deferred(c);
		if (!LOAD(c->runq_len) && kernel_ncpus > 1)
			steal_onto(c);
		if (LOAD(c->runq_len)) {
			/* A thread can run again: the stall, if any, is over. */
			if (__atomic_exchange_n(&S.deadlock_reported, false,
						__ATOMIC_RELAXED))
				trace_stall(0);
			schedule();
			continue;
		}
		reap_zombies(c);
		if (boot && LOAD(S.live) == 0 && LOAD(S.unreaped) == 0)
			return 0;
		if (!boot && __atomic_load_n(&S.shutdown, __ATOMIC_ACQUIRE))
			park(c);
		if (deadline && platform_cycles() >= deadline)
			return -1;
		idle_wait(c);
	}
}

/* CPU 0 is done: the others park (each within its next idle round; the
 * kick ends the wait they may be in). A bounded wait, a second of
 * cycles, for a CPU that never comes round (stuck with interrupts off). */
static void park_others(void)
{
	__atomic_store_n(&S.shutdown, true, __ATOMIC_RELEASE);
	for (unsigned i = 1; i < kernel_ncpus; i++) {
		struct cpu *o = &kernel_cpus[i];
		if (!LOAD(o->online))
			continue;
		cpu_kick(o, RS_IPI_WAKE);
		uint64_t until = platform_cycles() + platform_tsc_hz();
		while (!__atomic_load_n(&o->parked, __ATOMIC_ACQUIRE) &&
		       platform_cycles() < until)
			platform_cpu_relax();
	}
}

int sched_run_until(uint64_t deadline)
{
	struct cpu *c = cpu_this();
	if (c->id != 0 || c->current != c->idle)
		panic("sched_run: must be called from the boot thread");
	int rc = idle_loop(c, deadline, true);
	if (rc == 0 && kernel_ncpus > 1)
		park_others();
	return rc;
}

int sched_run(void)
{
	return sched_run_until(0);
}

bool sched_deadlock_reported(void)
{
	return LOAD(S.deadlock_reported);
}

void sched_secondary(void)
{
	struct cpu *c = cpu_this();
	struct thread *idle = c->idle;
	idle->state = T_RUNNING;
	idle->on_cpu = true;
	c->current = idle;
	c->current_tid = 0;
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	platform_irq_enable();
	idle_loop(c, 0, false);
	park(c);
}
