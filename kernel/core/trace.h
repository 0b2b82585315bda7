/*
 * trace.h - the kernel's trace points: one inline wrapper per event.
 *
 * Every record goes through here so that (1) tracing can be switched off at
 * run time by leaving trace_region NULL (one predictable branch per event)
 * and (2) compiled out entirely with -DKERNEL_TRACE=0, which the overhead
 * benchmarks need as their baseline. ctx is always the running thread, and
 * a record goes to the ring of the CPU it happens on.
 */
#ifndef KERNEL_TRACE_H
#define KERNEL_TRACE_H

#include <stdint.h>

#include "cpu.h"
#include "guest_trace.h"
#include "platform.h"

#ifndef KERNEL_TRACE
#define KERNEL_TRACE 1
#endif

/* Set by boot once the region is initialised; NULL means tracing is off. */
extern struct rs_header *trace_region;
/* Id of the thread running on this CPU (0 = boot/idle); kept by the
 * scheduler in the CPU's own slot (cpu.h). */
static inline uint32_t kernel_current_tid(unsigned cpu)
{
	return kernel_cpus[cpu].current_tid;
}

#if KERNEL_TRACE
/* Inlined at every trace point, as gt_emit is (GT_INLINE): outlined, it
 * costs a call and a frame per record (pingpong: +32 instructions). */
GT_INLINE void trace_emit(uint16_t type, unsigned n, uint64_t a, uint64_t b,
			  uint64_t c)
{
	struct rs_header *h = trace_region;
	if (h) {
		unsigned cpu = platform_cpu();
		gt_emit(h, cpu, type, kernel_current_tid(cpu), n, a, b, c);
	}
}

GT_INLINE void trace_emit_str(uint16_t type, unsigned n, uint64_t a,
				  uint64_t b, const char *s)
{
	struct rs_header *h = trace_region;
	if (h) {
		unsigned cpu = platform_cpu();
		gt_emit_str(h, cpu, type, kernel_current_tid(cpu), n, a, b, s);
	}
}
#else
GT_INLINE void trace_emit(uint16_t type, unsigned n, uint64_t a,
			      uint64_t b, uint64_t c)
{
}

GT_INLINE void trace_emit_str(uint16_t type, unsigned n, uint64_t a,
				  uint64_t b, const char *s)
{
}
#endif

/*
 * One record of type RS_EV_<T>, its argument count taken from the event
 * table (rs_event_table.h), so a helper below cannot write a count the
 * decoder would reject; and a type with a string must go through
 * TRACE_EMIT_STR, one without through TRACE_EMIT, or the build fails.
 * trace_emit_str carries two words before its string.
 */
#define TRACE_EMIT(T, a, b, c)                                              \
	do {                                                                \
		_Static_assert(!RS_EV_HAS_STR(T), #T " has a string");      \
		trace_emit(RS_EV_##T, RS_EV_NARGS(T), a, b, c);             \
	} while (0)
#define TRACE_EMIT_STR(T, a, b, s)                                          \
	do {                                                                \
		_Static_assert(RS_EV_HAS_STR(T) && RS_EV_NARGS(T) <= 2,     \
			       #T " has no string, or too many words");     \
		trace_emit_str(RS_EV_##T, RS_EV_NARGS(T), a, b, s);         \
	} while (0)

/* scheduler */
GT_INLINE void trace_thread_create(uint32_t tid, uint32_t parent,
				       const char *name)
{
	TRACE_EMIT_STR(THREAD_CREATE, tid, parent, name);
}
GT_INLINE void trace_thread_exit(uint32_t tid)
{
	TRACE_EMIT(THREAD_EXIT, tid, 0, 0);
}
GT_INLINE void trace_thread_switch(uint32_t from, uint32_t to)
{
	TRACE_EMIT(THREAD_SWITCH, from, to, 0);
}
GT_INLINE void trace_thread_block(uint32_t tid, uint32_t reason,
				      uint64_t obj)
{
	TRACE_EMIT(THREAD_BLOCK, tid, reason, obj);
}
GT_INLINE void trace_thread_wake(uint32_t tid, uint32_t waker)
{
	TRACE_EMIT(THREAD_WAKE, tid, waker, 0);
}
GT_INLINE void trace_thread_yield(uint32_t tid)
{
	TRACE_EMIT(THREAD_YIELD, tid, 0, 0);
}
GT_INLINE void trace_runq_len(uint64_t n)
{
	TRACE_EMIT(RUNQ_LEN, n, 0, 0);
}
GT_INLINE void trace_thread_migrate(uint32_t tid, uint32_t from_cpu,
					uint32_t to_cpu)
{
	TRACE_EMIT(THREAD_MIGRATE, tid, from_cpu, to_cpu);
}
GT_INLINE void trace_lock_contend(uint32_t lock, uint64_t wait_cycles)
{
	TRACE_EMIT(LOCK_CONTEND, lock, wait_cycles, 0);
}

/* promises */
GT_INLINE void trace_promise_create(uint64_t id, uint64_t parent,
					uint64_t type)
{
	TRACE_EMIT(PROMISE_CREATE, id, parent, type);
}
GT_INLINE void trace_promise_read(uint64_t id, uint64_t reader)
{
	TRACE_EMIT(PROMISE_READ, id, reader, 0);
}
GT_INLINE void trace_promise_try_read(uint64_t id, uint64_t reader)
{
	TRACE_EMIT(PROMISE_TRY_READ, id, reader, 0);
}
GT_INLINE void trace_promise_resolve(uint64_t id, uint64_t resolver)
{
	TRACE_EMIT(PROMISE_RESOLVE, id, resolver, 0);
}
GT_INLINE void trace_promise_fail(uint64_t id, uint64_t resolver,
				      const char *msg)
{
	TRACE_EMIT_STR(PROMISE_FAIL, id, resolver, msg);
}
GT_INLINE void trace_promise_becomes(uint64_t id, uint64_t follows)
{
	TRACE_EMIT(PROMISE_BECOMES, id, follows, 0);
}
GT_INLINE void trace_promise_label(uint64_t id, const char *label)
{
	TRACE_EMIT_STR(PROMISE_LABEL, id, 0, label);
}
GT_INLINE void trace_promise_signal(uint64_t id, uint64_t signaller)
{
	TRACE_EMIT(PROMISE_SIGNAL, id, signaller, 0);
}
GT_INLINE void trace_promise_cancel(uint64_t id, uint64_t canceller)
{
	TRACE_EMIT(PROMISE_CANCEL, id, canceller, 0);
}

/* allocator */
GT_INLINE void trace_page_alloc(uint64_t addr, uint64_t order)
{
	TRACE_EMIT(PAGE_ALLOC, addr, order, 0);
}
GT_INLINE void trace_page_free(uint64_t addr, uint64_t order)
{
	TRACE_EMIT(PAGE_FREE, addr, order, 0);
}
GT_INLINE void trace_heap(uint64_t in_use, int64_t delta)
{
	TRACE_EMIT(HEAP, in_use, (uint64_t)delta, 0);
}

/* event paths */
GT_INLINE void trace_irq_enter(uint64_t vector)
{
	TRACE_EMIT(IRQ_ENTER, vector, 0, 0);
}
GT_INLINE void trace_irq_exit(uint64_t vector)
{
	TRACE_EMIT(IRQ_EXIT, vector, 0, 0);
}
GT_INLINE void trace_timer_fire(uint64_t id, uint64_t due)
{
	TRACE_EMIT(TIMER_FIRE, id, due, 0);
}
GT_INLINE void trace_evtchn_notify(uint64_t port)
{
	TRACE_EMIT(EVTCHN_NOTIFY, port, 0, 0);
}
GT_INLINE void trace_idle_enter(void)
{
	TRACE_EMIT(IDLE_ENTER, 0, 0, 0);
}
GT_INLINE void trace_idle_exit(void)
{
	TRACE_EMIT(IDLE_EXIT, 0, 0, 0);
}
GT_INLINE void trace_ipi_send(uint32_t cpu, uint32_t reason)
{
	TRACE_EMIT(IPI_SEND, cpu, reason, 0);
}
GT_INLINE void trace_ipi_recv(uint32_t reason)
{
	TRACE_EMIT(IPI_RECV, reason, 0, 0);
}

/* generic */
GT_INLINE void trace_counter(uint64_t value, const char *name)
{
	TRACE_EMIT_STR(COUNTER, value, 0, name);
}
GT_INLINE void trace_mark(uint64_t value, const char *text)
{
	TRACE_EMIT_STR(MARK, value, 0, text);
}

/* The header's stall (RING.md): `nthreads` blocked with nothing that could
 * wake one, found now; 0 clears it. Not a record: a host that missed the
 * MARK (overwritten, or it attached later) still sees the stall. */
GT_INLINE void trace_stall(uint64_t nthreads)
{
#if KERNEL_TRACE
	if (trace_region)
		gt_set_stall(trace_region, nthreads ? gt_rdtsc() : 0, nthreads);
#else
	(void)nthreads;
#endif
}

#endif /* KERNEL_TRACE_H */
