/*
 * cpu_beats.h - each CPU's own heartbeat (hb_ticks / hb_tsc in its
 * rs_cpu_ring; RING.md, "Several CPUs"), watched by the collect loop so
 * that one stuck CPU is told from a hung guest: a CPU whose heartbeat
 * stops for --hang-secs while another CPU's goes on is stuck. A CPU whose
 * hb_ticks is zero keeps no heartbeat of its own and is never judged.
 */
#ifndef RS_COLLECTOR_CPU_BEATS_H
#define RS_COLLECTOR_CPU_BEATS_H

#include <stdint.h>

#include "ringside_ring.h"

struct rs_cpu_beats {
	uint32_t ncpus;
	int started;                    /* a first look was taken */
	uint64_t ticks[RS_MAX_CPUS];    /* as last seen */
	uint64_t tsc[RS_MAX_CPUS];
	double moved_at[RS_MAX_CPUS];   /* when it last moved, by our clock */
	int moved[RS_MAX_CPUS];         /* seen to move since the first look */
};

/* Forget everything; the next rs_beats_look is a first look. */
void rs_beats_reset(struct rs_cpu_beats *b, uint32_t ncpus);
/* Read every CPU's heartbeat from the region's header at time `now`. A
 * paused VM (`paused`) cannot beat: its silence restarts every clock. */
void rs_beats_look(struct rs_cpu_beats *b, const volatile void *region,
		   double now, int paused);
/* Has every CPU that keeps a heartbeat been seen to move? */
int rs_beats_all_moved(const struct rs_cpu_beats *b);
/*
 * Is a CPU stuck: its heartbeat (non-zero) has not moved for `hang_secs`
 * while another CPU's went on moving for at least `hang_secs` / 2 after
 * it stopped, and within `hang_secs`? (CPUs that stop within moments of
 * each other are a guest-wide hang, not one stuck CPU.)
 * Returns 1 with the CPU that stopped first in *cpu and its last
 * heartbeat's tsc (0: unknown) in *tsc, else 0.
 */
int rs_beats_stuck(const struct rs_cpu_beats *b, double now, double hang_secs,
		   unsigned *cpu, uint64_t *tsc);

#endif
