/*
 * run_ring.c - the ring `ringside run` gives the guest by default
 * (run_ring.h says how it is sized and why). A file of its own: the test
 * suite links it without run.c.
 */
#include <assert.h>

#include "guest_cmdline.h"
#include "ringside_ring.h"
#include "run_ring.h"

unsigned rs_run_ring_pages(unsigned poll_ms, unsigned mem_mb, unsigned smp)
{
	const uint64_t want = RS_RUN_GUEST_BYTES_PER_S *
			      (poll_ms + RS_RUN_READ_SLACK_MS) / 1000 *
			      (smp ? smp : 1) / RS_PAGE_SIZE;
	const uint64_t most = (uint64_t)mem_mb * (1u << 20) / 4 / RS_PAGE_SIZE;
	uint64_t pages = RS_RING_PAGES_DEFAULT;

	while (pages * 2 <= want && pages * 2 <= most &&
	       pages * 2 <= RS_RING_PAGES_MAX)
		pages *= 2;
	assert(rs_ring_pages_ok(pages));
	return (unsigned)pages;
}
