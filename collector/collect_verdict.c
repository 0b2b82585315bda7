/*
 * collect_verdict.c - what a session concludes about the guest from its
 * status and heartbeats: "running" only for a heartbeat seen to move
 * (a one-shot read watches it, up to --hang-secs; a core, one instant,
 * is unknown unless it shows a deadlock), hung, deadlocked (a stall with
 * ticks after it, RING.md), a stuck CPU (its own heartbeat stopped while
 * another's went on). The loop that asks is collect.c.
 */
#include <stdio.h>
#include <string.h>

#include "collect_internal.h"
#include "mono.h"

const char *rs_state_of(const struct rs_status *s)
{
	if (s->panic_valid || s->state == RS_STATE_CRASHED)
		return RS_GS_CRASHED;
	switch (s->state) {
	case RS_STATE_BOOTING:
	case RS_STATE_RUNNING:
		return RS_GS_RUNNING;
	case RS_STATE_EXITED:
		return RS_GS_EXITED;
	default:
		return RS_GS_UNKNOWN;
	}
}

/* Does the ring say the guest is up (booting or running, no panic)? */
int rs_ring_says_running(const struct rs_status *st)
{
	return strcmp(rs_state_of(st), RS_GS_RUNNING) == 0;
}

/*
 * Remember the stall the guest published and the heartbeat when we first
 * saw it: a deadlock is a stall with ticks after it (RING.md), and only
 * ticks we saw move count, so a guest that stalled and then stopped
 * beating is hung, not deadlocked.
 */
static void note_stall(struct rs_session *s, const struct rs_status *st)
{
	if (st->stall_threads && st->stall_tsc != s->stall_tsc) {
		s->stall_tsc = st->stall_tsc;
		s->stall_ticks = st->heartbeat_ticks;
	}
}

static int ticks_went_on_after_stall(const struct rs_session *s,
				     const struct rs_status *st)
{
	return st->stall_threads && st->stall_tsc == s->stall_tsc &&
	       st->heartbeat_ticks != s->stall_ticks;
}

/*
 * A one-shot read of a live guest cannot take the ring's "running" on
 * trust: a guest that stopped beating says it too. Watch the heartbeat for
 * up to --hang-secs, returning as soon as it (or the state) moves, and
 * every CPU that keeps a heartbeat of its own was seen to beat too (a CPU
 * that did not, while the guest's went on, is stuck: s->beats says): 1 if
 * the guest's moved, 0 if not, -1 if a signal cut the watch short.
 */
int rs_heartbeat_moves(struct rs_session *s)
{
	const double until = rs_mono_now() + s->o->hang_secs;
	struct rs_status first, now;
	int moved = 0;

	rs_status_read(s->reader->region, &s->layout, &first);
	note_stall(s, &first);
	rs_beats_reset(&s->beats, s->layout.ncpus);
	rs_beats_look(&s->beats, s->reader->region, rs_mono_now(), 0);
	for (;;) {
		rs_sleep_secs(0.001);
		rs_status_read(s->reader->region, &s->layout, &now);
		rs_beats_look(&s->beats, s->reader->region, rs_mono_now(), 0);
		if (!rs_ring_says_running(&now))
			return 1;
		moved |= now.heartbeat_ticks != first.heartbeat_ticks;
		if (moved && rs_beats_all_moved(&s->beats))
			return 1;
		if (rs_collect_stop_signal())
			return moved ? 1 : -1;
		if (rs_mono_now() >= until)
			return moved;
	}
}

/* Hung, for a guest that says it runs. One that still says it is booting
 * may not have started its tick yet: unknown, and no reason to stop. */
static void verdict_hung(struct rs_session *s, const struct rs_status *st,
			 struct rs_verdict *v, const char *how)
{
	const int booting = st->state == RS_STATE_BOOTING;

	v->state = booting ? RS_GS_UNKNOWN : RS_GS_HUNG;
	if (st->heartbeat_tsc && !booting)
		v->hung_at_ns = rs_tsc_to_ns(&s->layout, st->heartbeat_tsc);
	snprintf(s->why, sizeof(s->why), "%sthe heartbeat did not move for"
		 " %g s (--hang-secs) %s", booting ? "the guest says it is booting"
		 " and " : "", s->o->hang_secs, how);
	v->why = s->why;
}

/* One CPU stopped beating while another went on (rs_beats_stuck). */
static int verdict_stuck_cpu(struct rs_session *s, struct rs_verdict *v,
			     const char *how)
{
	unsigned cpu = 0;
	uint64_t tsc = 0;

	if (!rs_beats_stuck(&s->beats, rs_mono_now(), s->o->hang_secs, &cpu,
			    &tsc))
		return 0;
	v->state = RS_GS_STUCK_CPU;
	v->stuck_cpu = cpu;
	v->stuck_at_ns = tsc ? rs_tsc_to_ns(&s->layout, tsc) : UINT64_MAX;
	snprintf(s->why, sizeof(s->why), "cpu %u's own heartbeat did not move"
		 " for %g s (--hang-secs) %s, while another CPU's went on", cpu,
		 s->o->hang_secs, how);
	v->why = s->why;
	return 1;
}

static void verdict_deadlocked(struct rs_session *s, const struct rs_status *st,
			       struct rs_verdict *v, const char *how)
{
	v->state = RS_GS_DEADLOCKED;
	snprintf(s->why, sizeof(s->why), "the guest found all %llu threads"
		 " blocked with nothing that could wake one, and its ticks %s",
		 (unsigned long long)st->stall_threads, how);
	v->why = s->why;
}

/*
 * The verdict on a guest whose ring says it runs, which only watching can
 * confirm. `watched` is heartbeat_moves' answer for a one-shot read. Sets
 * *stop for a follow that should end (hung, deadlocked).
 */
void rs_judge_running(struct rs_session *s, const struct rs_status *st,
			  int watched, struct rs_verdict *v, enum rs_stop *stop)
{
	note_stall(s, st);
	if (!s->src.live) {
		/* One image: it cannot show the heartbeat move, but ticks
		 * stamped after a stall show it did then. */
		if (st->stall_threads && st->heartbeat_tsc > st->stall_tsc) {
			verdict_deadlocked(s, st, v, "went on after that (the"
					   " image holds later ticks)");
			return;
		}
		v->state = RS_GS_UNKNOWN;
		v->why = "one memory image: the ring says running, but a single"
			 " image cannot show whether the heartbeat still moved";
		return;
	}
	if (!s->o->follow) {
		if (watched < 0) {
			v->state = RS_GS_UNKNOWN;
			v->why = "interrupted before the heartbeat was seen to move";
			return;
		}
		if (watched == 0) {
			verdict_hung(s, st, v, "while this snapshot watched");
			return;
		}
		s->hb_seen_moving = 1;
	} else {
		double now = rs_mono_now();
		rs_beats_look(&s->beats, s->reader->region, now, s->paused);
		if (st->heartbeat_ticks != s->hb_ticks || s->paused) {
			if (s->hb_ticks != UINT64_MAX &&
			    st->heartbeat_ticks != s->hb_ticks)
				s->hb_seen_moving = 1;
			s->hb_ticks = st->heartbeat_ticks;
			s->hb_moved_at = now;
		} else if (now - s->hb_moved_at >= s->o->hang_secs) {
			verdict_hung(s, st, v, "while the collector followed it");
			if (strcmp(v->state, RS_GS_HUNG) == 0)
				*stop = RS_STOP_HUNG;
			return;
		}
	}
	if (!s->hb_seen_moving) {
		v->state = RS_GS_UNKNOWN;
		v->why = "the heartbeat has not been seen to move yet";
		return;
	}
	if (ticks_went_on_after_stall(s, st)) {
		verdict_deadlocked(s, st, v, "went on");
		if (s->o->follow)
			*stop = RS_STOP_DEADLOCK;
		return;
	}
	if (verdict_stuck_cpu(s, v, s->o->follow ? "while the collector"
			      " followed it" : "while this snapshot watched") &&
	    s->o->follow)
		*stop = RS_STOP_STUCK_CPU;
}
