/*
 * model.h - the viewer's in-memory picture of one trace: everything the
 * drawing code needs, derived once from the database at load time and
 * never touched again (so drawing can run without locks while a reload
 * builds a new model on another thread).
 *
 * Layout in memory is struct-of-arrays: a 10 M-event trace must load in
 * about a second and each frame must find its visible window by binary
 * search, so every time-ordered list is a set of parallel arrays sorted by
 * start time. Times are int64 nanoseconds since the guest's boot, as in
 * the database; per-event arrays keep only what the range summary needs.
 *
 * Vocabulary (after mirage-trace-viewer): a "pp" is a promise-like item.
 * Every promise is one, and so is every kernel thread (its pseudo-promise
 * is the root its parent-less promises hang from and the source of arrows
 * whose resolver/reader id is 0).
 */
#ifndef RV_MODEL_H
#define RV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "times.h"
#include "vals.h"


/* Sorted, non-overlapping intervals on one lane or row. */
typedef struct {
	rv_times start, end;   /* 4 bytes each (times.h): rv_times_at */
	/* thread index, pp index, object id... per lane kind; and the kind:
	 * in the bytes they need (vals.h), read through RV_REF, RV_KIND */
	rv_u32s ref, kind;
	uint32_t n, cap;
	/* Bands and the CPUs' interrupt and allocator marks: cum[i] = total
	 * length of spans 0..i-1 (n + 1 values, rising: times.h, read
	 * through RV_CUM), so a pixel that merges many spans knows how much
	 * of it they fill; empty elsewhere. cum[0..cum_n] are valid. */
	rv_times cum;
	uint32_t cum_n;
	/* per-bucket summaries for zoomed-out frames (sum.h), built after
	 * the fingers (rv_lod_summarise), or NULL */
	struct rv_span_sum *sum;
} rv_spans;

/* Span i's start and end, of an rv_spans or an rv_row (below). */
#define RV_START(s, i) rv_times_at(&(s)->start, (i))
#define RV_END(s, i) rv_times_at(&(s)->end, (i))
/* ... and of an rv_spans, its ref, kind and running total. */
#define RV_REF(s, i) rv_u32s_at(&(s)->ref, (i))
#define RV_KIND(s, i) ((uint8_t)rv_u32s_at(&(s)->kind, (i)))
#define RV_CUM(s, i) rv_times_at(&(s)->cum, (i))

/* Span kinds. CPU lanes: RV_K_THREAD (ref = thread), RV_K_IDLE.
 * Thread lanes: RUNNING (ref = cpu), RUNNABLE, BLOCK_* (ref = object id).
 * Bands: IDLE, IRQ (ref = vector), ALLOC (ref = records in the burst). */
enum {
	RV_K_THREAD = 1, RV_K_IDLE, RV_K_IRQ, RV_K_ALLOC,
	RV_K_RUNNING, RV_K_RUNNABLE,
	RV_K_BLOCK_PROMISE, RV_K_BLOCK_SLEEP, RV_K_BLOCK_EVENT,
	RV_K_BLOCK_JOIN, RV_K_BLOCK_OTHER,
	/* promise row segments */
	RV_K_SEG, RV_K_SEG_CONT,
};

/* Arrow kinds (mirage colours). */
enum {
	RV_A_CREATE = 0, RV_A_BECOMES, RV_A_RESOLVE, RV_A_READ,
	RV_A_READ_FAILED, RV_A_TRY_READ, RV_A_SIGNAL, RV_A_FAIL, RV_A_COUNT
};

/* END_UNKNOWN: no resolve/fail/cancel was seen and records of its CPU
 * were lost after its creation: its end may lie in that gap, so its line
 * stops at the gap's start (own_end) instead of running to the end of the
 * trace; resolved stays INT64_MAX (derive.c, rv_builder_finish). */
enum { RV_PS_PENDING = 0, RV_PS_RESOLVED, RV_PS_FAILED, RV_PS_CANCELLED,
       RV_PS_END_UNKNOWN };

typedef struct {
	uint64_t tid;
	const char *name;
	int64_t created, exited;  /* exited = INT64_MAX while alive */
	uint32_t pp;              /* its pseudo-promise */
	int32_t parent;           /* thread index or -1 */
	rv_spans states;          /* running / runnable / blocked */
	/* derivation state while loading */
	uint8_t cur_kind;
	int64_t cur_since;
	uint32_t cur_ref;
	uint8_t cur_cpu;          /* CPU of the event that set cur_kind */
	uint8_t pending_block;    /* block reason seen, switch-out not yet */
	uint32_t pending_obj;
} rv_thread;

/* Values of the few items that have one, by item index (ascending):
 * a continuation's start, a label set after creation, a fail message. */
typedef struct {
	uint32_t n;
	uint32_t *idx;
	int64_t *t;
	const char **s;
} rv_sparse;

/* Promise-like items, struct-of-arrays, in creation order. The id and
 * times take 4 bytes each (vals.h): read them through rv_pp_id,
 * rv_pp_created, rv_pp_resolved, rv_pp_own_end, set them with
 * rv_vals_set. */
typedef struct {
	uint32_t n, cap;
	rv_vals id;           /* guest promise id; tid for threads */
	int32_t *parent;      /* pp index or -1 */
	/* These in the bytes they need (vals.h), through rv_pp_thread,
	 * rv_pp_cont_root, rv_pp_follows (index + 1, 0 for none: most have
	 * none, and threads are few), rv_pp_lost_create, rv_pp_cpu. */
	rv_u32s thread;       /* creating thread (for threads: itself) */
	rv_vals created, resolved;   /* resolved = INT64_MAX if never */
	rv_vals own_end;      /* end of its own row segment (becomes time) */
	rv_u32s cont_root;    /* pp whose row it continues on, or -1 */
	/* While loading only (NULL after rv_builder_finish, which moves
	 * what differs from the default into the rv_sparse lists below):
	 * when it moved onto cont_root's row (INT64_MAX), when it was
	 * labelled (created), why it failed (NULL). Read them through
	 * rv_pp_cont_start, rv_pp_label_t, rv_pp_fail_msg. */
	int64_t *cont_start;
	rv_u32s follows;      /* X.follows = Y after "X becomes Y", or -1 */
	uint16_t *row;        /* < MAX_ROWS (layout.c) */
	uint8_t *ptype;       /* rs_promise_type, 255 = thread */
	uint8_t *state;
	rv_u32s lost_create;
	rv_u32s cpu;          /* CPU of its first record: whose gaps cut it */
	const char **label;
	const char **fail_msg;
	int64_t *label_t;
	rv_sparse cont_start_x, label_t_x, fail_msg_x;
} rv_pps;

static inline uint64_t rv_pp_id(const rv_pps *pp, uint32_t p)
{
	return (uint64_t)rv_vals_at(&pp->id, p);
}

static inline int64_t rv_pp_created(const rv_pps *pp, uint32_t p)
{
	return rv_vals_at(&pp->created, p);
}

static inline int64_t rv_pp_resolved(const rv_pps *pp, uint32_t p)
{
	return rv_vals_at(&pp->resolved, p);
}

static inline int64_t rv_pp_own_end(const rv_pps *pp, uint32_t p)
{
	return rv_vals_at(&pp->own_end, p);
}

static inline bool rv_pp_is_thread(const rv_pps *pp, uint32_t p)
{
	return pp->ptype[p] == 255;
}

/* An index or -1, kept as index + 1 (rv_pps). */
static inline int32_t rv_pp_link(const rv_u32s *a, uint32_t p)
{
	return (int32_t)rv_u32s_at(a, p) - 1;
}

static inline void rv_pp_set_link(rv_u32s *a, uint32_t p, int32_t v)
{
	rv_u32s_set(a, p, (uint32_t)(v + 1));
}

static inline int32_t rv_pp_thread(const rv_pps *pp, uint32_t p)
{
	return rv_pp_link(&pp->thread, p);
}

static inline int32_t rv_pp_cont_root(const rv_pps *pp, uint32_t p)
{
	return rv_pp_link(&pp->cont_root, p);
}

static inline int32_t rv_pp_follows(const rv_pps *pp, uint32_t p)
{
	return rv_pp_link(&pp->follows, p);
}

static inline bool rv_pp_lost_create(const rv_pps *pp, uint32_t p)
{
	return rv_u32s_at(&pp->lost_create, p) != 0;
}

static inline uint8_t rv_pp_cpu(const rv_pps *pp, uint32_t p)
{
	return (uint8_t)rv_u32s_at(&pp->cpu, p);
}

typedef struct {
	uint32_t n, cap;
	/* target time (sorted), 4 bytes (times.h). The source time is the
	 * same but for a read of a promise resolved before it, which starts
	 * at the resolve: bit k of t0_res says so, and the time is the
	 * promise's (from's) resolved, which is set once (derive.c). Read
	 * them through rv_arrow_t1 / rv_arrow_t0. */
	rv_times t1;
	uint64_t *t0_res;
	uint32_t *from, *to;  /* pp indexes */
	uint8_t *kind;
} rv_arrows;

static inline int64_t rv_arrow_t1(const rv_arrows *a, uint32_t k)
{
	return rv_times_at(&a->t1, k);
}

/* Migrations and cross-CPU wakes between CPU lanes (xcpu.c), sorted by
 * min(t0, t1). A migration has t0 == t1; a wake goes from the waker's
 * CPU at t0 to the CPU the woken thread ran on at t1 (t1 < t0 when that
 * CPU's clock is behind). */
enum { RV_X_MIGRATE = 1, RV_X_WAKE = 2 };
typedef struct {
	uint32_t n, cap;
	int64_t *t0, *t1;
	uint64_t *tid;
	uint8_t *from, *to, *kind;
	/* hi_max[i]: the latest max(t0, t1) of crossings 0..i (lod.c,
	 * rv_xcpu_index), so a frame finds its first crossing by bisection;
	 * right for i < hi_n only (a follow's new crossings are merged in
	 * among the old ones: rv_xcpu_sort_from lowers hi_n to where they
	 * went, rv_xcpu_index_more computes on from there) */
	int64_t *hi_max;
	uint32_t hi_n, hi_cap;
} rv_xcpu;

/* One promise row: segments sorted by start, non-overlapping (so end is
 * sorted too). rv_row_nres(row, i) / rv_row_nfail: how many of segments
 * 0..i-1 end with their promise's resolve / fail (i <= n, layout.c), so
 * a zoomed-out pixel column counts its ends by two lookups. They are
 * kept as a bit a segment and a count before each 64 (rv_row_ends):
 * 0.4 bytes a segment where two running counts took 8. */
/* The arrow kinds a zoomed-out row summarises per column as its own
 * ticks (touch.c): read, read-failed, try_read, signal. Create, resolve
 * and fail are the row's create/resolve/fail ticks; becomes is drawn. */
enum { RV_T_READ = 0, RV_T_READ_FAILED, RV_T_TRY_READ, RV_T_SIGNAL,
       RV_T_COUNT };

typedef struct {
	uint64_t res, fail;   /* bit k: segment 64 b + k ends so */
	uint32_t nres, nfail; /* segments before 64 b that do */
} rv_row_ends;

typedef struct {
	uint32_t n, cap;
	rv_times start, end;   /* 4 bytes each (times.h): rv_times_at */
	uint32_t *pp;
	rv_row_ends *ends;     /* [cap / 64 + 1] once counted, else NULL */
	/* per touch kind, the arrows of that kind with an end in this row:
	 * the end's time (sorted) and the arrow's index */
	uint32_t ntouch[RV_T_COUNT], touch_cap[RV_T_COUNT];
	rv_times touch_t[RV_T_COUNT];
	uint32_t *touch_arrow[RV_T_COUNT];
	/* per-bucket counts for zoomed-out frames (sum.h), built after the
	 * fingers (rv_lod_summarise), or NULL */
	struct rv_row_sum *sum;
} rv_row;

/* Bits set in x. Inline even where the target has no popcnt (the
 * build's baseline x86-64 has none, and __builtin_popcountll became a
 * call to libgcc there: 0.7 % of a frame's instructions). */
static inline uint32_t rv_popcount(uint64_t x)
{
#ifdef __POPCNT__
	return (uint32_t)__builtin_popcountll(x);
#else
	x -= (x >> 1) & 0x5555555555555555ull;
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (uint32_t)((x * 0x0101010101010101ull) >> 56);
#endif
}

static inline uint32_t rv_row_nres(const rv_row *r, uint32_t i)
{
	const rv_row_ends *e = &r->ends[i >> 6];
	return e->nres + rv_popcount(e->res & ((1ull << (i & 63)) - 1));
}

static inline uint32_t rv_row_nfail(const rv_row *r, uint32_t i)
{
	const rv_row_ends *e = &r->ends[i >> 6];
	return e->nfail + rv_popcount(e->fail & ((1ull << (i & 63)) - 1));
}

/* Asks the cache for what rv_row_nres/nfail(r, i) read, without waiting:
 * drawing fetches what a column ahead will read (draw_packed.c). Always
 * inlined: GCC drops a call to a function that only prefetches. */
static inline __attribute__((always_inline))
void rv_row_ends_prefetch(const rv_row *r, uint32_t i)
{
	__builtin_prefetch(&r->ends[i >> 6]);
}

/* Counter samples with a min/max pyramid: level k holds the min and max
 * of blocks of 2^k samples, so any index range's extent is O(log n). */
typedef struct {
	const char *name;
	uint32_t n, cap;
	rv_times t;              /* t.n == n */
	rv_vals v;               /* v.n == n, 4 bytes each: rv_counter_v */
	int64_t vmin, vmax;
	int nlevels;
	int64_t **pmin, **pmax;  /* pmin[k][i] over samples [i<<k, (i+1)<<k),
				  * k >= 4 (layout.c: RV_PYR_BASE) */
	uint32_t pyr_n, pyr_cap; /* samples the pyramid covers; it is sized
				  * for pyr_cap (a follow's room to grow) */
	uint64_t cpus;           /* CPUs its samples came from (bit 63: 63+):
				  * their gaps make its value unknown */
	bool shown;
	struct rv_ctr_sum *sum;  /* per-bucket summary (sum_counters.c) */
} rv_counter;

static inline int64_t rv_counter_v(const rv_counter *c, uint32_t i)
{
	return rv_vals_at(&c->v, i);
}

typedef struct {
	int cpu;
	int64_t count, from, to;   /* count < 0: unknown (table lost_unknown) */
} rv_lost;

typedef struct {
	int64_t t;
	int64_t value;
	const char *text;
} rv_mark;

typedef struct rv_model {
	char *path;
	int64_t trace_id;
	int ncpus;
	int64_t t_min, t_max;     /* extent of everything loaded */
	char guest_state[16];
	bool hung;
	int64_t hung_at;
	/* guest_state stuck-cpu: that CPU's last heartbeat (INT64_MIN if
	 * unknown); drawn on its lane (xcpu.c) */
	bool stuck;
	int stuck_cpu;
	int64_t stuck_at;
	bool panicked;
	int64_t panic_t;
	char *panic_reason, *panic_regs, *panic_backtrace;
	int64_t panic_cpu, panic_vector, panic_rip, panic_fault_addr;
	/* Stored names (table frames), NULL without: the rip's
	 * "FUNCTION (FILE:LINE)", the backtrace one "#N 0xADDR ..." a line. */
	char *panic_rip_name, *panic_frames;
	/* Every CPU as the panic path left it (table panic_cpus), one
	 * "cpu N: STATE at rip 0x.. in NAME" a line; NULL without. */
	char *panic_cpus;

	/* Events derived. Each event's own time and type are not kept
	 * (5 bytes an event): a range summary counts them in the database
	 * (rv_db_type_counts), which decodes only the chunks in the range. */
	uint64_t nevents;

	rv_spans *cpu_lane;       /* [ncpus]: thread runs */
	rv_spans *cpu_idle;       /* [ncpus] */
	rv_spans *cpu_irq;        /* [ncpus] */
	rv_spans *cpu_alloc;      /* [ncpus] */
	rv_spans band_idle, band_irq, band_alloc;  /* all CPUs */
	/* [ncpus]: lost ranges (start = last record before, end = first
	 * after; INT64_MIN/MAX when unknown), merged and sorted. Spans of a
	 * CPU's lanes, its threads' states and its promises' lines never
	 * cross them: a gap is drawn as a gap. */
	rv_spans *cpu_gap;
	rv_xcpu xcpu;             /* migrations, cross-CPU wakes */

	rv_thread *threads;
	uint32_t nthreads, cap_threads;

	rv_pps pp;
	rv_arrows arrows;
	rv_row *rows;
	uint32_t nrows;

	bool show_threads;        /* thread lanes (default: when <= 16) */
	rv_counter *counters;
	uint32_t ncounters;

	rv_lost *lost;
	uint32_t nlost;
	rv_mark *marks;
	uint32_t nmarks, cap_marks;

	void *strings;            /* GStringChunk holding every name/label */
	double load_secs;
} rv_model;

/* Arrow k's source time (rv_arrows). An arrow held t1 less a length
 * that saturates at INT64_MAX (a lying trace's times may lie further
 * apart): the same time comes out. */
static inline int64_t rv_arrow_t0(const rv_model *m, uint32_t k)
{
	const rv_arrows *a = &m->arrows;
	const int64_t t1 = rv_arrow_t1(a, k);
	if (!(a->t0_res[k >> 6] >> (k & 63) & 1))
		return t1;
	const uint64_t len = (uint64_t)t1 -
			     (uint64_t)rv_pp_resolved(&m->pp, a->from[k]);
	return t1 - (len > INT64_MAX ? INT64_MAX : (int64_t)len);
}

/* Open read-only and check it is ours. On failure returns NULL and writes
 * one line (no newline) into err. */
rv_model *rv_model_load(const char *path, char *err, size_t errlen);
/* The same, calling progress(data, permille) from the loading thread each
 * time the merge has used up one more range of records (0..1000: ranges
 * finished of all planned), so a window can say how far it got. */
typedef void (*rv_progress_fn)(void *data, int permille);
rv_model *rv_model_load_progress(const char *path, char *err, size_t errlen,
				 rv_progress_fn progress, void *data);
void rv_model_free(rv_model *m);
/* The same checks as rv_model_load without loading: true if path is a
 * ringside database holding a trace. */
bool rv_model_check(const char *path, char *err, size_t errlen);

/* Cheap "has the database changed" probe for --follow: returns the
 * number of events visible now, or -1 on error. */
int64_t rv_db_event_count(const char *path);
/* The events of trace trace_id in path with a <= ts_ns <= b, by type,
 * into counts (zeroed first): the `events` table, which decodes only the
 * chunks that reach into [a, b]. 0, or -1 with the reason in err. */
int rv_db_type_counts(const char *path, int64_t trace_id, int64_t a,
		      int64_t b, uint64_t counts[256], char *err,
		      size_t errlen);

/* Helpers shared by load, layout and drawing. */
void rv_spans_push(rv_spans *s, int64_t start, int64_t end, uint8_t kind,
		   uint32_t ref);
void rv_spans_free(rv_spans *s);
/* First span whose end is >= t (spans are non-overlapping and sorted). */
uint32_t rv_spans_first_ending_after(const rv_spans *s, int64_t t);
uint32_t rv_row_first_ending_after(const rv_row *r, int64_t t);
/* First index with t1 >= t in the arrows / counter / event arrays. */
/* First index with a[index] >= t (a sorted ascending), or n. */
static inline uint32_t rv_lower_bound(const int64_t *a, uint32_t n, int64_t t)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (a[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
/* Min/max of counter samples [i0, i1). */
void rv_counter_extent(const rv_counter *c, uint32_t i0, uint32_t i1,
		       int64_t *mn, int64_t *mx);

/* Derivation (derive.c): feed events in time order, then finish. */
typedef struct rv_builder rv_builder;
rv_builder *rv_builder_new(rv_model *m);
void rv_builder_event(rv_builder *b, int cpu, int64_t t, int type,
		      uint64_t ctx, uint64_t a, uint64_t bb, uint64_t c,
		      const char *str);
/* One CPU's decoded events by field (a decoded range's arrays). */
typedef struct {
	const int64_t *t;
	const uint8_t *type;
	const uint64_t *ctx, *a, *b, *c;
	char *const *str;
} rv_events;
/* rv_builder_event of ev's events [k0, k1) in order, all of CPU cpu. */
void rv_builder_run(rv_builder *b, int cpu, const rv_events *ev, uint32_t k0,
		    uint32_t k1);
void rv_builder_finish(rv_builder *b);
/* rv_builder_finish in two steps, the second free to run beside the
 * touches (model.c): what is open at the end closed, the promises' ends
 * settled, the builder freed; then the all-CPU bands, the span totals
 * and the cross-CPU list's order, which nothing the layout or the
 * touches read depends on. */
void rv_builder_close(rv_builder *b);
void rv_finish_spans(rv_model *m);
/* --follow (derive_follow.c): instead of finishing, publish closes what
 * is open at the end for show, and unpublish takes that back before more
 * events are derived; the builder lives on (rv_builder_free). True from
 * rv_builder_stale when an event changed something already settled (the
 * follow then loads afresh). */
void rv_builder_publish(rv_builder *b);
void rv_builder_unpublish(rv_builder *b);
bool rv_builder_stale(const rv_builder *b);
/* The last event derived (false if none). */
bool rv_builder_last(const rv_builder *b, int64_t *t, int *cpu);
/* Tells the builder that pps [0, n) are laid out for good (layout.c). */
void rv_builder_set_placed(rv_builder *b, uint32_t n);
void rv_builder_free(rv_builder *b);

/* Layout (layout.c): assign promise rows, build row segment lists and
 * counter pyramids. rv_layout is rv_layout_rows, rv_layout_totals and
 * rv_touch_index; a load runs the touches beside the rest (model.c). */
void rv_layout(rv_model *m);
/* The rows: which row each pp goes to, the rows' segment lists. */
void rv_layout_rows(rv_model *m);
/* Once the rows are laid out: their running end counts, and the
 * counters' pyramids. */
void rv_layout_totals(rv_model *m);

/* Each row's touches (touch.c): rv_layout builds them after the rows;
 * rv_touch_kind maps an arrow kind to RV_T_*, or -1 for the kinds a row
 * does not summarise that way. */
int rv_touch_kind(uint8_t arrow_kind);
void rv_touch_index(rv_model *m);
/* rv_touch_index in two steps, for another thread: the lists built
 * apart from the model, which the build only reads (nothing of it may
 * change meanwhile but what rv_layout_totals and rv_lod_index_all write),
 * and then moved into its rows, which hold none yet, with their
 * fingers (lod.h) as rv_lod_index_all would give them. */
rv_row *rv_touch_build(const rv_model *m);
void rv_touch_attach(rv_model *m, rv_row *rows);
void rv_touch_free(rv_row *row);

/* Frees what a row holds (not the row itself). */
void rv_row_free(rv_row *row);

/* The pp's sparse fields (see rv_pps). */
int64_t rv_pp_cont_start(const rv_pps *pp, uint32_t p);
int64_t rv_pp_label_t(const rv_pps *pp, uint32_t p);
const char *rv_pp_fail_msg(const rv_pps *pp, uint32_t p);
/* rv_builder_finish: the dense fields into the sparse lists. */
void rv_pp_sparsify(rv_pps *pp);
void rv_pp_sparse_free(rv_pps *pp);

/* Which row a pp is drawn on at time t (continuations move rows). */
int32_t rv_pp_row_at(const rv_model *m, uint32_t p, int64_t t);

/* The decoder's names (rs_decode.h): a promise kind ("thread" for 255,
 * "?" for none), an event type (NULL for PAD and numbers no type has). */
const char *rv_ptype_name(int t);
const char *rv_event_name(int type);
const char *rv_kind_name(int kind);

#endif
