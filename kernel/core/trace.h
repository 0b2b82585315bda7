/*
 * trace.h - the kernel's trace points: one inline wrapper per event.
 *
 * Every record goes through here so that (1) tracing can be switched off at
 * run time by leaving trace_region NULL (one predictable branch per event)
 * and (2) compiled out entirely with -DKERNEL_TRACE=0, which the overhead
 * benchmarks need as their baseline. ctx is always the running thread.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <stdint.h>

#include "guest_trace.h"
#include "platform.h"

#ifndef KERNEL_TRACE
#define KERNEL_TRACE 1
#endif

/* Set by boot once the region is initialised; NULL means tracing is off. */
extern struct rs_header *trace_region;
/* Id of the running thread (0 = boot/idle); kept by the scheduler. */
extern uint32_t kernel_current_tid;

#if KERNEL_TRACE
static inline void trace_emit(uint16_t type, unsigned n, uint64_t a,
			      uint64_t b, uint64_t c)
{
	struct rs_header *h = trace_region;
	if (h)
		gt_emit(h, platform_cpu(), type, kernel_current_tid, n, a, b, c);
}

static inline void trace_emit_str(uint16_t type, unsigned n, uint64_t a,
				  uint64_t b, const char *s)
{
	struct rs_header *h = trace_region;
	if (h)
		gt_emit_str(h, platform_cpu(), type, kernel_current_tid, n, a,
			    b, s);
}
#else
static inline void trace_emit(uint16_t type, unsigned n, uint64_t a,
			      uint64_t b, uint64_t c)
{
}

static inline void trace_emit_str(uint16_t type, unsigned n, uint64_t a,
				  uint64_t b, const char *s)
{
}
#endif

/* scheduler */
static inline void trace_thread_create(uint32_t tid, uint32_t parent,
				       const char *name)
{
	trace_emit_str(RS_EV_THREAD_CREATE, 2, tid, parent, name);
}
static inline void trace_thread_exit(uint32_t tid)
{
	trace_emit(RS_EV_THREAD_EXIT, 1, tid, 0, 0);
}
static inline void trace_thread_switch(uint32_t from, uint32_t to)
{
	trace_emit(RS_EV_THREAD_SWITCH, 2, from, to, 0);
}
static inline void trace_thread_block(uint32_t tid, uint32_t reason,
				      uint64_t obj)
{
	trace_emit(RS_EV_THREAD_BLOCK, 3, tid, reason, obj);
}
static inline void trace_thread_wake(uint32_t tid, uint32_t waker)
{
	trace_emit(RS_EV_THREAD_WAKE, 2, tid, waker, 0);
}
static inline void trace_thread_yield(uint32_t tid)
{
	trace_emit(RS_EV_THREAD_YIELD, 1, tid, 0, 0);
}
static inline void trace_runq_len(uint64_t n)
{
	trace_emit(RS_EV_RUNQ_LEN, 1, n, 0, 0);
}

/* promises */
static inline void trace_promise_create(uint64_t id, uint64_t parent,
					uint64_t type)
{
	trace_emit(RS_EV_PROMISE_CREATE, 3, id, parent, type);
}
static inline void trace_promise_read(uint64_t id, uint64_t reader)
{
	trace_emit(RS_EV_PROMISE_READ, 2, id, reader, 0);
}
static inline void trace_promise_try_read(uint64_t id, uint64_t reader)
{
	trace_emit(RS_EV_PROMISE_TRY_READ, 2, id, reader, 0);
}
static inline void trace_promise_resolve(uint64_t id, uint64_t resolver)
{
	trace_emit(RS_EV_PROMISE_RESOLVE, 2, id, resolver, 0);
}
static inline void trace_promise_fail(uint64_t id, uint64_t resolver,
				      const char *msg)
{
	trace_emit_str(RS_EV_PROMISE_FAIL, 2, id, resolver, msg);
}
static inline void trace_promise_becomes(uint64_t id, uint64_t follows)
{
	trace_emit(RS_EV_PROMISE_BECOMES, 2, id, follows, 0);
}
static inline void trace_promise_label(uint64_t id, const char *label)
{
	trace_emit_str(RS_EV_PROMISE_LABEL, 1, id, 0, label);
}
static inline void trace_promise_signal(uint64_t id, uint64_t signaller)
{
	trace_emit(RS_EV_PROMISE_SIGNAL, 2, id, signaller, 0);
}
static inline void trace_promise_cancel(uint64_t id, uint64_t canceller)
{
	trace_emit(RS_EV_PROMISE_CANCEL, 2, id, canceller, 0);
}

/* allocator */
static inline void trace_page_alloc(uint64_t addr, uint64_t order)
{
	trace_emit(RS_EV_PAGE_ALLOC, 2, addr, order, 0);
}
static inline void trace_page_free(uint64_t addr, uint64_t order)
{
	trace_emit(RS_EV_PAGE_FREE, 2, addr, order, 0);
}
static inline void trace_heap(uint64_t in_use, int64_t delta)
{
	trace_emit(RS_EV_HEAP, 2, in_use, (uint64_t)delta, 0);
}

/* event paths */
static inline void trace_irq_enter(uint64_t vector)
{
	trace_emit(RS_EV_IRQ_ENTER, 1, vector, 0, 0);
}
static inline void trace_irq_exit(uint64_t vector)
{
	trace_emit(RS_EV_IRQ_EXIT, 1, vector, 0, 0);
}
static inline void trace_timer_fire(uint64_t id, uint64_t due)
{
	trace_emit(RS_EV_TIMER_FIRE, 2, id, due, 0);
}
static inline void trace_evtchn_notify(uint64_t port)
{
	trace_emit(RS_EV_EVTCHN_NOTIFY, 1, port, 0, 0);
}
static inline void trace_idle_enter(void)
{
	trace_emit(RS_EV_IDLE_ENTER, 0, 0, 0, 0);
}
static inline void trace_idle_exit(void)
{
	trace_emit(RS_EV_IDLE_EXIT, 0, 0, 0, 0);
}

/* generic */
static inline void trace_counter(uint64_t value, const char *name)
{
	trace_emit_str(RS_EV_COUNTER, 1, value, 0, name);
}
static inline void trace_mark(uint64_t value, const char *text)
{
	trace_emit_str(RS_EV_MARK, 1, value, 0, text);
}

/* The header's stall (RING.md): `nthreads` blocked with nothing that could
 * wake one, found now; 0 clears it. Not a record: a host that missed the
 * MARK (overwritten, or it attached later) still sees the stall. */
static inline void trace_stall(uint64_t nthreads)
{
#if KERNEL_TRACE
	if (trace_region)
		gt_set_stall(trace_region, nthreads ? gt_rdtsc() : 0, nthreads);
#else
	(void)nthreads;
#endif
}

#endif /* KERNEL_TRACE_H */
