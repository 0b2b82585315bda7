/*
 * hooks.c - where Unikraft tells the tracer what happens: threads made
 * and gone (uk_thread init/term callbacks), blocks, wakes, sleeps and
 * yields (the scheduler's own function table, wrapped), the allocator
 * (the default uk_alloc's function table, wrapped), interrupts (the
 * UK_INTCTLR_EVENT_IRQ event), and, through the small patch in patches/,
 * the context switch, the end of an interrupt and Unikraft's tracepoints
 * (UK_TRACEPOINT).
 *
 * Wrapping the function tables needs no change to Unikraft: every caller
 * goes through s->thread_blocked, a->malloc and so on. Built with
 * Unikraft's ISR flags (Makefile.uk, "|isr"): the interrupt hooks run
 * where extended registers are not saved.
 */
#include <string.h>

#include <uk/alloc.h>
#include <uk/event.h>
#include <uk/intctlr.h>
#include <uk/plat/lcpu.h>
#include <uk/plat/time.h>
#include <uk/sched.h>
#include <uk/thread.h>
#include <uk/trace.h>

#include "ringside_uk_internal.h"

/* ---- thread ids --------------------------------------------------------
 * Unikraft threads have no number; the trace needs one per thread (ctx).
 * A small table maps thread to id, filled as threads are made (before the
 * region exists too, so the first threads keep their ids). The idle
 * thread is 0, as "idle/boot" is in ringside's own kernel. A guest with
 * more live threads than slots gets id RSUK_TID_NONE for the rest.
 *
 * A thread's term callback runs before it switches away for the last
 * time, so its slot stays (marked gone) and keeps answering for it; a
 * gone slot is reused only by a new thread at the same address (made
 * after the old one was released) or when no slot is free. */
#define RSUK_MAX_THREADS 128
#define RSUK_TID_NONE 0xffffffffu

static struct {
	const struct uk_thread *t;
	uint32_t id;
	uint32_t gone;
} tids[RSUK_MAX_THREADS];
static uint32_t next_tid = 1;
static const struct uk_thread *idle_thread;

/* Call with interrupts off. */
static uint32_t tid_add(const struct uk_thread *t)
{
	int free_slot = -1, gone_slot = -1;

	for (int i = 0; i < (int)RSUK_MAX_THREADS; i++) {
		if (tids[i].t == t) {
			/* The address of a released thread, made anew. */
			free_slot = i;
			break;
		}
		if (!tids[i].t && free_slot < 0)
			free_slot = i;
		if (tids[i].t && tids[i].gone && gone_slot < 0)
			gone_slot = i;
	}
	int i = free_slot >= 0 ? free_slot : gone_slot;

	if (i < 0)
		return RSUK_TID_NONE;
	tids[i].t = t;
	tids[i].id = next_tid++;
	tids[i].gone = 0;
	return tids[i].id;
}

/* Interrupts off around the table: a wake from an interrupt handler
 * may look a thread up while thread code is adding one. */
uint32_t rsuk_tid_of(const struct uk_thread *t)
{
	uint32_t id = RSUK_TID_NONE;

	if (!t)
		return 0;
	if (t == idle_thread)
		return 0;
	unsigned long flags = ukplat_lcpu_save_irqf();
	for (unsigned i = 0; i < RSUK_MAX_THREADS; i++) {
		if (tids[i].t == t) {
			id = tids[i].id;
			goto out;
		}
	}
	/* A thread made before the callbacks saw it (the boot context). */
	id = tid_add(t);
out:
	ukplat_lcpu_restore_irqf(flags);
	return id;
}

static int thread_init_cb(struct uk_thread *child, struct uk_thread *parent)
{
	unsigned long flags = ukplat_lcpu_save_irqf();
	uint32_t id = tid_add(child);

	ukplat_lcpu_restore_irqf(flags);
	RSUK_EMIT_STR(THREAD_CREATE, id, parent ? rsuk_tid_of(parent) : 0,
		      child->name ? child->name : "");
	return 0;
}

static void thread_term_cb(struct uk_thread *child)
{
	unsigned long flags = ukplat_lcpu_save_irqf();

	for (unsigned i = 0; i < RSUK_MAX_THREADS; i++) {
		if (tids[i].t == child && !tids[i].gone) {
			RSUK_EMIT(THREAD_EXIT, tids[i].id, 0, 0);
			tids[i].gone = 1;
			break;
		}
	}
	ukplat_lcpu_restore_irqf(flags);
}

/* Flags 0: called for every thread, whatever TLS or stacks it has. */
UK_THREAD_INIT_PRIO_FLAGS(thread_init_cb, thread_term_cb, UK_PRIO_LATEST, 0);

/* ---- the context switch (patched in: uk_sched_thread_switch) ---------- */

void uk_sched_thread_switch_hook(struct uk_thread *prev, struct uk_thread *next)
{
	uint32_t p = rsuk_tid_of(prev), n = rsuk_tid_of(next);

	if (!rsuk_hdr) {
		rsuk_cur_tid = n;
		return;
	}
	/* Idle is a thread here; the idle records bracket its turns, as
	 * ringside's kernel brackets its halt. */
	if (prev == idle_thread)
		RSUK_EMIT(IDLE_EXIT, 0, 0, 0);
	RSUK_EMIT(THREAD_SWITCH, p, n, 0);
	rsuk_cur_tid = n;
	if (next == idle_thread)
		RSUK_EMIT(IDLE_ENTER, 0, 0, 0);
}

/* ---- the scheduler's table -------------------------------------------- */

/* The scheduler's own functions, called by the wrappers. */
static struct {
	uk_sched_yield_func_t yield;
	uk_sched_thread_blocked_func_t thread_blocked;
	uk_sched_thread_woken_func_t thread_woken;
	uk_sched_thread_woken_func_t thread_woken_isr;
} orig_sched;

static void sched_yield(struct uk_sched *s)
{
	struct uk_thread *t = uk_thread_current();

	/* A yield of a runnable thread is a yield; a blocked thread calls
	 * yield to give the CPU away, and its block was recorded already. */
	if (t && uk_thread_is_runnable(t))
		RSUK_EMIT(THREAD_YIELD, rsuk_cur_tid, 0, 0);
	orig_sched.yield(s);
}

static void sched_blocked(struct uk_sched *s, struct uk_thread *t)
{
	if (t->wakeup_time > 0)
		RSUK_EMIT(THREAD_BLOCK, rsuk_tid_of(t), RS_BLOCK_SLEEP,
			  rsuk_ns_to_tsc((uint64_t)t->wakeup_time));
	else
		RSUK_EMIT(THREAD_BLOCK, rsuk_tid_of(t), RS_BLOCK_EVENT, 0);
	orig_sched.thread_blocked(s, t);
}

/* uk_thread_wake clears wakeup_time only after this runs: a deadline at
 * or before now means the timer woke the thread, not another thread. */
static void note_wake(struct uk_thread *t)
{
	uint32_t id = rsuk_tid_of(t);

	if (t->wakeup_time > 0 &&
	    (__snsec)ukplat_monotonic_clock() >= t->wakeup_time)
		RSUK_EMIT(TIMER_FIRE, id,
			  rsuk_ns_to_tsc((uint64_t)t->wakeup_time), 0);
	RSUK_EMIT(THREAD_WAKE, id, rsuk_cur_tid, 0);
}

static void sched_woken(struct uk_sched *s, struct uk_thread *t)
{
	note_wake(t);
	orig_sched.thread_woken(s, t);
}

static void sched_woken_isr(struct uk_sched *s, struct uk_thread *t)
{
	note_wake(t);
	orig_sched.thread_woken_isr(s, t);
}

static void hook_sched(struct uk_sched *s)
{
	unsigned long flags = ukplat_lcpu_save_irqf();

	orig_sched.yield = s->yield;
	orig_sched.thread_blocked = s->thread_blocked;
	orig_sched.thread_woken = s->thread_woken;
	orig_sched.thread_woken_isr = s->thread_woken_isr;
	s->yield = sched_yield;
	s->thread_blocked = sched_blocked;
	s->thread_woken = sched_woken;
	if (s->thread_woken_isr)
		s->thread_woken_isr = sched_woken_isr;
	idle_thread = uk_sched_idle_thread(s, 0);
	ukplat_lcpu_restore_irqf(flags);
}

/* ---- the allocator's table --------------------------------------------
 * Pages held through the allocator since tracing began: the heap
 * records' in_use (pages taken before the tracer started are not in it,
 * so it is clamped at 0 if they are freed). Every malloc of the default
 * buddy allocator takes whole pages, so its delta is what the heap
 * really cost, not what was asked for. */
/* The allocator's own functions, called by the wrappers. */
static struct {
	uk_alloc_malloc_func_t malloc;
	uk_alloc_calloc_func_t calloc;
	uk_alloc_realloc_func_t realloc;
	uk_alloc_posix_memalign_func_t posix_memalign;
	uk_alloc_memalign_func_t memalign;
	uk_alloc_free_func_t free;
	uk_alloc_palloc_func_t palloc;
	uk_alloc_pfree_func_t pfree;
} orig_alloc;
static int64_t pages_held;

static unsigned page_order(unsigned long n)
{
	unsigned o = 0;

	while (o < 63 && (1ul << o) < n)
		o++;
	return o;
}

static void *alloc_palloc(struct uk_alloc *a, unsigned long n)
{
	void *p = orig_alloc.palloc(a, n);

	if (p) {
		pages_held += (int64_t)n;
		RSUK_EMIT(PAGE_ALLOC, (uint64_t)(uintptr_t)p, page_order(n), 0);
	}
	return p;
}

static void alloc_pfree(struct uk_alloc *a, void *p, unsigned long n)
{
	orig_alloc.pfree(a, p, n);
	if (p) {
		pages_held -= (int64_t)n;
		RSUK_EMIT(PAGE_FREE, (uint64_t)(uintptr_t)p, page_order(n), 0);
	}
}

static void heap_note(int64_t before)
{
	int64_t held = pages_held > 0 ? pages_held : 0;

	RSUK_EMIT(HEAP, (uint64_t)held * 4096u,
		  (uint64_t)((pages_held - before) * 4096), 0);
}

static void *alloc_malloc(struct uk_alloc *a, __sz size)
{
	int64_t before = pages_held;
	void *p = orig_alloc.malloc(a, size);

	heap_note(before);
	return p;
}

static void *alloc_calloc(struct uk_alloc *a, __sz n, __sz size)
{
	int64_t before = pages_held;
	void *p = orig_alloc.calloc(a, n, size);

	heap_note(before);
	return p;
}

static void *alloc_realloc(struct uk_alloc *a, void *old, __sz size)
{
	int64_t before = pages_held;
	void *p = orig_alloc.realloc(a, old, size);

	heap_note(before);
	return p;
}

static int alloc_posix_memalign(struct uk_alloc *a, void **out, __sz align,
				__sz size)
{
	int64_t before = pages_held;
	int rc = orig_alloc.posix_memalign(a, out, align, size);

	heap_note(before);
	return rc;
}

static void *alloc_memalign(struct uk_alloc *a, __sz align, __sz size)
{
	int64_t before = pages_held;
	void *p = orig_alloc.memalign(a, align, size);

	heap_note(before);
	return p;
}

static void alloc_free(struct uk_alloc *a, void *p)
{
	int64_t before = pages_held;

	orig_alloc.free(a, p);
	if (p)
		heap_note(before);
}

/* Each wrapper calls the saved original, which may call back through the
 * table (malloc takes pages with a->palloc): that nested call is traced
 * as the page allocation it is. */
static void hook_alloc(struct uk_alloc *a)
{
	unsigned long flags = ukplat_lcpu_save_irqf();

	orig_alloc.malloc = a->malloc;
	orig_alloc.calloc = a->calloc;
	orig_alloc.realloc = a->realloc;
	orig_alloc.posix_memalign = a->posix_memalign;
	orig_alloc.memalign = a->memalign;
	orig_alloc.free = a->free;
	orig_alloc.palloc = a->palloc;
	orig_alloc.pfree = a->pfree;
	a->malloc = alloc_malloc;
	a->calloc = alloc_calloc;
	a->realloc = alloc_realloc;
	a->posix_memalign = alloc_posix_memalign;
	a->memalign = alloc_memalign;
	a->free = alloc_free;
	if (a->palloc)
		a->palloc = alloc_palloc;
	if (a->pfree)
		a->pfree = alloc_pfree;
	ukplat_lcpu_restore_irqf(flags);
}

/* ---- interrupts -------------------------------------------------------- */

static int irq_event(void *data)
{
	const struct uk_intctlr_event_irq_data *d = data;

	RSUK_EMIT(IRQ_ENTER, d->irq, 0, 0);
	/* The timer's interrupt is Unikraft's tick: it beats too. */
	if (d->irq == ukplat_time_get_irq())
		rsuk_beat();
	/* Not handled: the drivers' own handlers must still run. */
	return UK_EVENT_NOT_HANDLED;
}
UK_EVENT_HANDLER_PRIO(UK_INTCTLR_EVENT_IRQ, irq_event, UK_PRIO_EARLIEST);

/* Patched in at the end of uk_intctlr_irq_handle. */
void uk_intctlr_irq_exit_hook(unsigned long irq)
{
	RSUK_EMIT(IRQ_EXIT, irq, 0, 0);
}

/* ---- Unikraft's tracepoints (patched in: every enabled UK_TRACEPOINT) ---
 * Each becomes a MARK: the tracepoint's name, and its first argument
 * when that is an integer (a string argument is a pointer: not a value).
 * The name is the tracepoint's function name, a string literal in the
 * guest's image; gt_emit_str cuts it to fit a record. */
void uk_trace_tracepoint_hook(const char *name, unsigned int nargs,
			      const long *args, const unsigned char *types)
{
	uint64_t value = 0;

	if (!rsuk_hdr || !name)
		return;
	if (nargs > 0 && args && types && types[0] == __UK_TRACE_ARG_INT)
		value = (uint64_t)args[0];
	RSUK_EMIT_STR(MARK, value, 0, name);
}

/* ---- start ------------------------------------------------------------- */

void rsuk_hooks_start(void)
{
	struct uk_sched *s = uk_sched_current();
	struct uk_alloc *a = uk_alloc_get_default();

	if (s)
		hook_sched(s);
	if (a)
		hook_alloc(a);
	/* The idle thread was made (and given a slot) before it was known
	 * to be idle: it is 0 from now on. */
	for (unsigned i = 0; i < RSUK_MAX_THREADS; i++)
		if (idle_thread && tids[i].t == idle_thread)
			tids[i].t = NULL;
	rsuk_cur_tid = rsuk_tid_of(uk_thread_current());
	/* Threads made before the region existed: say they exist. */
	for (unsigned i = 0; i < RSUK_MAX_THREADS; i++) {
		const struct uk_thread *t = tids[i].t;

		if (t && !tids[i].gone)
			RSUK_EMIT_STR(THREAD_CREATE, tids[i].id, 0,
				      t->name ? t->name : "");
	}
}
