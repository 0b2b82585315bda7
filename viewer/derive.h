/*
 * derive.h - the derivation's state between events (derive.c), shared
 * with the --follow publish (derive_follow.c), which keeps it across
 * reloads so a reload derives only the new events.
 */
#ifndef RV_DERIVE_H
#define RV_DERIVE_H

#include <glib.h>

#include "idmap.h"
#include "model.h"
#include "xcpu.h"

typedef struct {
	int32_t thread;        /* running thread index, -1 none */
	int64_t since;
	bool idle;
	int64_t idle_since;
	int irq_depth;
	int64_t irq_since;
	uint32_t irq_vec;
	uint32_t burst_n;      /* records in the open allocator burst */
	int64_t burst_start, burst_last;
} cpu_state;

/* What a --follow publish added for show only (open spans closed at the
 * end, bands merged past the settled ones, promises' ends unknown), taken
 * back before the next events are derived (derive_follow.c). */
typedef struct {
	bool on;
	uint32_t *cpu_n;          /* [4 * ncpus]: lane, idle, irq, alloc */
	cpu_state *cpu;           /* [ncpus] as the events left them */
	uint32_t band_n[3];       /* idle, irq, alloc */
	int64_t band_end[3];      /* the last settled band's end */
	uint32_t nthreads;        /* threads then, their states' n and */
	uint32_t *thread_n;
	rv_thread *thread;        /* their state as the events left it */
	int64_t t_min, t_max;
	GArray *pp_undo;          /* rv_pp_undo: end_unknown's changes */
} rv_provisional;

typedef struct {
	uint32_t pp;
	uint8_t state;
	int64_t own_end;
} rv_pp_undo;

struct rv_builder {
	rv_model *m;
	rv_idmap promises;
	rv_idmap threads;
	cpu_state *cpu;
	int nidle;
	int64_t all_idle_since;
	int32_t heap_ctr, runq_ctr;   /* counter indexes, -1 until seen */
	uint8_t ev_cpu;               /* CPU of the event being derived */
	uint32_t *gap_pos;            /* per CPU: its first gap not yet passed */
	rv_spans gap_all;             /* every CPU's gaps, merged */
	rv_xcpu_builder *xcpu;        /* migrations, cross-CPU wakes */
	/* --follow: the last event derived (time, CPU), which every new one
	 * must come after for appending to equal a fresh load */
	bool any;
	int64_t last_t;
	int last_cpu;
	/* pps the incremental layout has placed (their start and parent
	 * are settled), and set when an event changed something a publish
	 * had settled (a promise created again, resolved twice, becoming
	 * after its end): the follow then loads afresh */
	uint32_t placed;
	bool stale;
	/* per CPU: irq and alloc spans already merged into the bands */
	uint32_t *band_pos[2];
	uint32_t xcpu_sorted;         /* m->xcpu entries in order */
	rv_provisional prov;
};

void rv_push_cut(rv_spans *out, const rv_spans *gaps, int64_t s, int64_t e,
		 uint8_t kind, uint32_t ref);
void rv_thread_state(rv_builder *b, uint32_t ti, int64_t t, uint8_t kind,
		     uint32_t ref);
void rv_close_burst(rv_model *m, cpu_state *cs, int cpu);
void rv_cpu_switch(rv_builder *b, int cpu, int64_t t, int32_t to);
/* Merges the spans of in[0..n) from pos[i] on whose start is <= upto
 * into out (sorted by start, overlaps joined), advancing pos. */
void rv_union_more(rv_spans *out, rv_spans *in, int n, uint8_t kind,
		   uint32_t *pos, int64_t upto);
void rv_union_spans(rv_spans *out, rv_spans *in, int n, uint8_t kind);
/* Brings s->cum up to s->n (from the first value not known valid). */
void rv_span_lengths(rv_spans *s);
/* ... for every list that has them (the bands, CPUs' irq and alloc). */
void rv_span_totals(rv_model *m);
/* Closes every open span at the last event, changing the builder's
 * state as the end of the trace would. */
void rv_close_open(rv_builder *b);
/* Promises whose end may lie in a gap (derive.c's rule); with undo, what
 * it changed is recorded there (rv_pp_undo). */
void rv_end_unknown(rv_model *m, GArray *undo);
void rv_provisional_free(rv_provisional *p);

#endif
