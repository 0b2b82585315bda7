/*
 * xcpu.h - what crosses between CPU lanes: thread migrations
 * (THREAD_MIGRATE) and wakes whose thread next ran on another CPU (a
 * thread_wake on CPU A, the woken thread's switch in on CPU B, paired as
 * formats/analysis/causal.h does, so clocks that disagree still pair).
 * Derived while loading (derive.c feeds every event), drawn over the CPU
 * lanes: a migration as a vertical line at its time from the lane it left
 * to the lane it entered, with a notch there; a cross-CPU wake as an
 * arrow from the waker's lane at the wake to the woken thread's lane
 * where it ran. A stuck CPU (guest_state stuck-cpu) gets a red band on
 * its lane from its last heartbeat on.
 */
#ifndef RV_XCPU_H
#define RV_XCPU_H

#include <cairo.h>
#include <glib.h>

#include "draw.h"
#include "causal.h"
#include "model.h"

typedef struct rv_xcpu_builder rv_xcpu_builder;

rv_xcpu_builder *rv_xcpu_builder_new(rv_model *m);
/* Whether rv_xcpu_event does anything with an event of this type: a
 * migration, or a type the causal pairing looks at. Most events are
 * neither, and a load skips the call for them. */
static inline bool rv_xcpu_takes(int type)
{
	return type == RS_EV_THREAD_MIGRATE || rs_causal_takes((uint16_t)type);
}
/* One event, in time order (cpu within the model's). */
void rv_xcpu_event(rv_xcpu_builder *x, int cpu, int64_t t, int type,
		   uint64_t a, uint64_t b, uint64_t c);
void rv_xcpu_builder_free(rv_xcpu_builder *x);
/* Sorts x by first time, stably, given x[0..from) sorted already: the
 * new entries are sorted and merged in (a --follow reload's cost is what
 * it added plus the older entries they sort before). */
void rv_xcpu_sort_from(rv_xcpu *x, uint32_t from);
void rv_xcpu_free(rv_xcpu *x);
/* Builds x->hi_max (rv_lod_index_all calls it once the model is loaded). */
void rv_xcpu_index(rv_xcpu *x);
/* Brings it up to date after crossings were added and merged in (a
 * follow's reload, rv_lod_follow): from where the first new one went. */
void rv_xcpu_index_more(rv_xcpu *x);

/* Migration and wake colours (the tests look for them). */
#define RV_XCPU_MIGRATE_RGB 0.85, 0.35, 0.0
#define RV_XCPU_WAKE_RGB    0.1, 0.3, 0.9
#define RV_XCPU_STUCK_RGB   0.85, 0.0, 0.0

/* For a tooltip on CPU lane c at time t: the crossings that leave or
 * reach it within 3 px, one line each, appended to s. */
void rv_xcpu_describe(GString *s, const rv_model *m, const rv_view *v,
		      int c, double t);

/* Draw over the CPU lanes, whose first lane's top is at `lanes_y`. */
void rv_draw_xcpu(cairo_t *cr, const rv_model *m, const rv_view *v,
		  double lanes_y);

#endif
