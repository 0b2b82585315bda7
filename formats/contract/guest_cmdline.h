/*
 * guest_cmdline.h - the ringside kernel's boot command line as host and
 * guest both see it, so the two cannot disagree: the names of the
 * workloads the kernel has (kernel/workloads/table.c builds its table from
 * this list; `ringside run --workload` checks names against it before it
 * boots anything) and the rule for ring_pages= (the PVH platform parses
 * it with rs_ring_pages_ok, the hosted kernel its --ring-pages; `ringside
 * run --ring-pages` checks the same).
 * Freestanding: the kernel includes it too.
 */
#ifndef RS_GUEST_CMDLINE_H
#define RS_GUEST_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "ringside_ring.h"

/*
 * Every workload, by name: X(name) for each. The kernel defines
 * `const struct workload workload_<name>` with .name "<name>" for each
 * (tests/collector/test_qemu_checks.c checks that the kernel lists exactly these).
 */
#define RS_WORKLOADS(X)                                                     \
	X(pingpong) X(fanout) X(alloc) X(hang) X(crash) X(fault) X(panic)   \
	X(pagefault) X(stackoverflow) X(triple) X(deadlock) X(demo)         \
	X(nestedpanic) X(evil) X(stuckcpu) X(emitstorm)

/*
 * ring_pages=N: the trace region's data pages (one more page holds the
 * header). The kernel gives them to one CPU ring, whose default chunk is a
 * sixteenth of the ring (guest-trace/gt.c) and must hold the largest
 * record: so at least 4 pages. A power of two, because the ring is one
 * (pages beyond it would lie unused); at most 256 MiB.
 */
#define RS_RING_PAGES_MIN     4u
#define RS_RING_PAGES_MAX     65536u
#define RS_RING_PAGES_DEFAULT 256u

RS_STATIC_ASSERT(RS_RING_PAGES_MIN * RS_PAGE_SIZE / 16 >= RS_MAX_RECORD,
		 "the smallest ring's default chunk holds the largest record");

static inline bool rs_ring_pages_ok(uint64_t pages)
{
	return pages >= RS_RING_PAGES_MIN && pages <= RS_RING_PAGES_MAX &&
	       (pages & (pages - 1)) == 0;
}

#endif /* RS_GUEST_CMDLINE_H */
