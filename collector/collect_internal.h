/*
 * collect_internal.h - the session's state, shared by collect.c (the
 * loop, attach, storing) and collect_verdict.c (what the heartbeat and
 * the guest's state say: running, hung, deadlocked, stuck-cpu) and
 * nothing else.
 */
#ifndef RS_COLLECTOR_COLLECT_INTERNAL_H
#define RS_COLLECTOR_COLLECT_INTERNAL_H

#include <stdint.h>

#include "collect.h"
#include "cpu_beats.h"
#include "rs_decode.h"
#include "source.h"
#include "store.h"

struct rs_session {
	const struct rs_collect_opts *o;
	struct rs_source src;
	int attached;
	size_t off;
	struct rs_layout layout;
	struct rs_reader *reader;
	struct rs_store *store;
	/* hang detection: when the heartbeat last moved, by our clock */
	uint64_t hb_ticks;
	double hb_moved_at;
	int hb_seen_moving;         /* we saw the heartbeat change */
	int paused;                 /* the VM is stopped: no hang verdict */
	struct rs_cpu_beats beats;  /* each CPU's own heartbeat (stuck CPU) */
	/* the guest's published stall as first seen, and the heartbeat then */
	uint64_t stall_tsc, stall_ticks;
	char why[200];              /* the last verdict's reason */
	const char *written_state;  /* last state stored, NULL before any */
	int guest_done;             /* the ring said exited or crashed */
	uint64_t rewrites;          /* looks at a header the guest rewrote */
	char rewrite_why[160];      /* the last such header's fault */
	char err[480];              /* the last failure, for rs_session_error */
	/* records read and not yet committed, and the thread committing
	 * them (spool.h); the store is the session thread's only after
	 * quiesce() */
	struct rs_spool *spool;
	/* the longest time between two reads of the rings, in seconds:
	 * what a ring must hold not to be lapped */
	double last_read, max_read_gap;
};

/* ---- collect_verdict.c ------------------------------------------------ */

/* The guest_state a status says by itself (RS_GS_*). */
const char *rs_state_of(const struct rs_status *s);
/* Does the ring say the guest is up (booting or running, no panic)? */
int rs_ring_says_running(const struct rs_status *st);
/* A one-shot read of a live guest: watch the heartbeat for up to
 * --hang-secs. 1 moved, 0 did not, -1 a signal cut the watch short. */
int rs_heartbeat_moves(struct rs_session *s);
/* The verdict on a guest whose ring says it runs (`watched`:
 * rs_heartbeat_moves' answer for a one-shot read); sets *stop for a
 * follow that should end. */
void rs_judge_running(struct rs_session *s, const struct rs_status *st,
		      int watched, struct rs_verdict *v, enum rs_stop *stop);

#endif /* RS_COLLECTOR_COLLECT_INTERNAL_H */
