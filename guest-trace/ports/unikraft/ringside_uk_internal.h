/*
 * ringside_uk_internal.h - state shared by the tracer's files (region.c,
 * hooks.c, crash.c). Unikraft runs its cooperative scheduler on one CPU,
 * so every record goes to ring 0; interrupts nest into an emit, which
 * guest-trace's writer is built for (formats/contract/RING.md).
 */
#ifndef RINGSIDE_UK_INTERNAL_H
#define RINGSIDE_UK_INTERNAL_H

#include <stdint.h>

#include <uk/thread.h>

#include "guest_trace.h"
#include "ringside_uk.h"

/* NULL until region.c has laid the region out: every hook checks it, so
 * anything that happens before (early boot allocations) is simply not
 * traced rather than written into an unformatted buffer. */
extern struct rs_header *rsuk_hdr;
/* Id of the thread running now; kept by the context-switch hook so an
 * emit does not have to look it up. */
extern uint32_t rsuk_cur_tid;

static inline void rsuk_emit(uint16_t type, unsigned nargs, uint64_t a,
			     uint64_t b, uint64_t c)
{
	struct rs_header *h = rsuk_hdr;

	if (h)
		gt_emit(h, 0, type, rsuk_cur_tid, nargs, a, b, c);
}

/* One record of type RS_EV_<T> with the table's own argument count, so a
 * count here can never disagree with the decoder (as kernel/core/trace.h). */
#define RSUK_EMIT(T, a, b, c)                                               \
	do {                                                                \
		_Static_assert(!RS_EV_HAS_STR(T), #T " has a string");      \
		rsuk_emit(RS_EV_##T, RS_EV_NARGS(T), (a), (b), (c));        \
	} while (0)
#define RSUK_EMIT_STR(T, a, b, s)                                           \
	do {                                                                \
		_Static_assert(RS_EV_HAS_STR(T) && RS_EV_NARGS(T) <= 2,     \
			       #T " has no string, or too many words");     \
		if (rsuk_hdr)                                               \
			gt_emit_str(rsuk_hdr, 0, RS_EV_##T, rsuk_cur_tid,   \
				    RS_EV_NARGS(T), (a), (b), (s));         \
	} while (0)

/* hooks.c: the thread id table, and what region.c starts once the region
 * exists. */
uint32_t rsuk_tid_of(const struct uk_thread *t);
void rsuk_hooks_start(void);
/* Unikraft ns (ukplat_monotonic_clock) to the ring's TSC timeline. */
uint64_t rsuk_ns_to_tsc(uint64_t ns);
/* region.c: one heartbeat (any context). */
void rsuk_beat(void);

#endif /* RINGSIDE_UK_INTERNAL_H */
