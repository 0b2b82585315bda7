/*
 * cpu_beats.c - watching each CPU's own heartbeat (cpu_beats.h). The
 * guest writes hb_tsc, then hb_ticks (gt_heartbeat_cpu); we read the
 * count first, so a tsc read after it is at least as new.
 */
#include "cpu_beats.h"

#include <string.h>

#define VREAD(x) (*(const volatile __typeof__(x) *)&(x))

void rs_beats_reset(struct rs_cpu_beats *b, uint32_t ncpus)
{
	memset(b, 0, sizeof(*b));
	b->ncpus = ncpus <= RS_MAX_CPUS ? ncpus : RS_MAX_CPUS;
}

void rs_beats_look(struct rs_cpu_beats *b, const volatile void *region,
		   double now, int paused)
{
	const volatile struct rs_header *h = region;

	for (uint32_t c = 0; c < b->ncpus; c++) {
		uint64_t ticks = VREAD(h->cpu[c].hb_ticks);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uint64_t tsc = VREAD(h->cpu[c].hb_tsc);

		if (!b->started || paused) {
			b->moved_at[c] = now;
		} else if (ticks != b->ticks[c]) {
			b->moved_at[c] = now;
			b->moved[c] = 1;
		}
		b->ticks[c] = ticks;
		b->tsc[c] = tsc;
	}
	b->started = 1;
}

int rs_beats_all_moved(const struct rs_cpu_beats *b)
{
	for (uint32_t c = 0; c < b->ncpus; c++)
		if (b->ticks[c] && !b->moved[c])
			return 0;
	return 1;
}

int rs_beats_stuck(const struct rs_cpu_beats *b, double now, double hang_secs,
		   unsigned *cpu, uint64_t *tsc)
{
	int found = 0;

	if (!b->started)
		return 0;
	for (uint32_t c = 0; c < b->ncpus; c++) {
		if (!b->ticks[c] || now - b->moved_at[c] < hang_secs)
			continue;
		/* another CPU went on beating for at least half the hang
		 * time after this one stopped, and lately: the guest as a
		 * whole is alive, so this is one CPU's trouble. CPUs that go
		 * quiet one after another within moments (every CPU of a
		 * hung guest, each stopping in turn) are not: a later one
		 * has beaten after the first, but only just, and the verdict
		 * is the guest-wide one once all are silent (`hung`). */
		int others = 0;
		for (uint32_t d = 0; d < b->ncpus && !others; d++)
			others = d != c && b->ticks[d] && b->moved[d] &&
				 b->moved_at[d] - b->moved_at[c] >=
					 hang_secs / 2 &&
				 now - b->moved_at[d] < hang_secs;
		if (others && (!found || b->moved_at[c] < b->moved_at[*cpu])) {
			*cpu = c;
			found = 1;
		}
	}
	if (found)
		*tsc = b->tsc[*cpu];
	return found;
}
