/*
 * causal.h - pairs of events where one caused the other, across CPUs or
 * on one: a thread_wake and the woken thread's next thread_switch in; an
 * ipi_send and the target CPU's ipi_recv. They give the wake-to-run
 * latency (the report) and bound the skew between CPUs' clocks (skew.h;
 * RING.md, "Several CPUs").
 *
 * Events must be fed in time order (rs_trace_events, RS_ORDER_TIME). Two
 * clocks that disagree can put an effect before its cause in that order;
 * the pairing still finds it, and gives the pair a negative gap:
 *   - a thread is woken only while blocked (thread_block, then
 *     thread_wake; the kernel wakes no other), so a switch in to a thread
 *     still blocked, with no wake seen yet, is the run that wake caused,
 *     stamped early; the wake, when it comes, pairs with it;
 *   - an ipi_recv with no ipi_send to its CPU (of its reason) pending
 *     waits for the next such send.
 * A pair found in order has a gap of 0 or more, so clocks that disagree
 * the other way are seen only by the pairs that run the other way.
 */
#ifndef RS_CAUSAL_H
#define RS_CAUSAL_H

#include <stdint.h>

#include "ringside_ring.h"
#include "rs_u64map.h"
#include "trace_read.h"

enum rs_causal_kind {
	RS_CAUSAL_WAKE,   /* thread_wake -> that thread's switch in */
	RS_CAUSAL_IPI,    /* ipi_send -> the target's ipi_recv */
};

struct rs_causal_pair {
	enum rs_causal_kind kind;
	uint16_t from_cpu, to_cpu;
	int64_t from_ns, to_ns;   /* to_ns - from_ns < 0: clocks disagree */
	uint64_t tid;             /* RS_CAUSAL_WAKE: the woken thread */
};

typedef void (*rs_causal_cb)(void *opaque, const struct rs_causal_pair *p);

/* The IPI reasons told apart (enum rs_ipi_reason; others share slot 0). */
#define RS_CAUSAL_IPI_REASONS 3

struct rs_causal_mark {
	int has;
	uint16_t cpu;
	int64_t ns;
};

struct rs_causal {
	rs_causal_cb cb;
	void *opaque;
	struct rs_u64map by_tid;          /* tid -> index + 1 in thr */
	struct rs_causal_thread {
		int blocked;                  /* blocked, not yet run again */
		struct rs_causal_mark wake;   /* woken, not yet run */
		struct rs_causal_mark early;  /* ran while blocked, no wake seen */
	} *thr;
	size_t nthr, cap;
	/* by target CPU and reason */
	struct rs_causal_mark sent[RS_MAX_CPUS][RS_CAUSAL_IPI_REASONS];
	struct rs_causal_mark recv_early[RS_MAX_CPUS][RS_CAUSAL_IPI_REASONS];
	int oom;                          /* a thread was not tracked */
};

void rs_causal_init(struct rs_causal *c, rs_causal_cb cb, void *opaque);
/* The event types rs_causal_feed looks at (it returns at once on any
 * other): a caller feeding every event of a trace may skip the rest
 * without building their rows (the viewer's load does, per event). */
static inline int rs_causal_takes(uint16_t type)
{
	return type == RS_EV_THREAD_BLOCK || type == RS_EV_THREAD_WAKE ||
	       type == RS_EV_THREAD_SWITCH || type == RS_EV_IPI_SEND ||
	       type == RS_EV_IPI_RECV;
}
/* One event, in time order; calls cb for every pair it completes. */
void rs_causal_feed(struct rs_causal *c, const struct rs_row *row);
void rs_causal_free(struct rs_causal *c);

#endif
