/*
 * follow.h - --follow without rebuilding: a loader that keeps what it has
 * read (each CPU's next record) and the derivation's state between
 * reloads, so a reload decodes and derives only the new chunks and
 * extends the model in place (follow.c).
 *
 * Threads: rv_follow_fetch reads and decodes the new chunks and touches
 * no model, so it runs on a worker; rv_follow_apply extends the model and
 * must run where nothing reads the model meanwhile (the window's UI
 * thread, between frames; no search worker running).
 */
#ifndef RV_FOLLOW_H
#define RV_FOLLOW_H

#include "model.h"
#include "rs_chunk.h"
#include "rs_db.h"

/*
 * What a load shows while it runs. progress: as rv_model_load_progress.
 * preview (or NULL): the trace as far as it is loaded, so a window can
 * draw it long before the end. It is called on the loading thread where
 * the merge has used up a range of records, at most once every
 * preview_ms of wall time (the first after preview_ms too), with the
 * model laid out and closed for show as a follow publishes it, and
 * [t_lo, t_hi] the whole trace's extent as its chunks say, so a picture
 * of all of it can fill in from the left. m may be read only during the
 * call; it is taken back and derived on after it.
 */
typedef void (*rv_preview_fn)(void *data, const rv_model *m, int64_t t_lo,
			      int64_t t_hi);
/* The window's preview_ms: how often a preview may come, at the least
 * (the loader spaces them wider as the load goes on: model.c);
 * RINGSIDE_VIEW_PREVIEW_MS sets it for tests (window_load.c). */
#define RV_PREVIEW_MS 300
typedef struct {
	rv_progress_fn progress;
	void *progress_data;
	rv_preview_fn preview;
	void *preview_data;
	int preview_ms;
} rv_load_show;

/* A first load that keeps its builder for a follow (model.c). */
typedef struct rv_layout_inc rv_layout_inc;
typedef struct {
	rv_builder *b;
	/* per CPU: the first record not read, then (at [ncpus + cpu]) where
	 * the last stored chunk read starts */
	int64_t *next_seq;
	struct rs_layout clock;
	/* the layout the previews grew (NULL without one), and whether one
	 * found the rows ran out (rv_layout_grow) */
	rv_layout_inc *l;
	bool rows_out;
} rv_load_keep;
rv_model *rv_model_load_keep(const char *path, char *err, size_t errlen,
			     const rv_load_show *show, rv_load_keep *keep);
/* One preview (model.c calls it between events): lays out what the
 * events so far settle, publishes, calls show->preview, takes the
 * publish back (follow.c). */
void rv_load_preview(rv_load_keep *keep, rv_model *m, rv_builder *b,
		     const rv_load_show *show, int64_t t_lo, int64_t t_hi);
/* A whole load through the follow's path, for its previews, with the
 * follow's state dropped after: the model a plain load gives. */
rv_model *rv_model_load_shown(const char *path, char *err, size_t errlen,
			      const rv_load_show *show);

/* Each CPU's stored chunks from next_seq[cpu] on, decoded on one
 * connection in one read transaction, with the trace row and the number
 * of losses as of that commit. NULL with err on failure. */
typedef struct rv_newdata rv_newdata;
rv_newdata *rv_model_fetch_new(const char *path, int64_t trace_id,
			       const struct rs_layout *clock, int ncpus,
			       const int64_t *next_seq, char *err,
			       size_t errlen);
const struct rs_trace_row *rv_newdata_row(const rv_newdata *d,
					  uint32_t *nlost);
void rv_newdata_counts(const rv_newdata *d, uint64_t *events,
		       uint64_t *chunks);
/* Derives the new events into b in the order a load merges them, at
 * most `budget` a call: 0 when there are more (call again), 1 when all
 * are (next_seq advanced). -1 (nothing derived) when some new event sorts
 * before the last one derived, or a CPU's are out of time order: then
 * appending would not give what a fresh load gives. */
int rv_model_merge_new(rv_newdata *d, rv_builder *b, int64_t *next_seq,
		       uint64_t budget);
void rv_newdata_free(rv_newdata *d);

/* The incremental layout (layout.c): rows placed as items settle. */
rv_layout_inc *rv_layout_inc_new(rv_model *m);
/* Places what the events up to t_last have settled; false when the rows
 * ran out (MAX_ROWS: items would share the last row, which an append
 * cannot keep exact). */
bool rv_layout_grow(rv_model *m, rv_layout_inc *l, rv_builder *b,
		    int64_t t_last);
/* Closes every open row at the end and places the rest, as rv_layout
 * would, for show; unpublish takes that back. */
void rv_layout_publish(rv_model *m, rv_layout_inc *l);
void rv_layout_unpublish(rv_model *m, rv_layout_inc *l);
void rv_layout_inc_free(rv_layout_inc *l);

/* Touches (touch.c): arrows [from, to) into their rows' lists, kept
 * sorted; with undo, what it displaced is recorded to be put back. */
typedef struct rv_touch_undo rv_touch_undo;
void rv_touch_add(rv_model *m, uint32_t from, uint32_t to,
		  rv_touch_undo **undo);
void rv_touch_undo_apply(rv_model *m, rv_touch_undo *undo);   /* m NULL:
								 * just free it */

/* The follow itself. */
typedef struct {
	uint64_t events;       /* decoded by the last reload */
	uint64_t chunks;       /* stored chunks read by the last reload */
	uint64_t derived;      /* events the last reload derived so far */
	bool rebuilt;          /* the last reload loaded afresh */
	uint64_t reloads, rebuilds;   /* since the follow began */
} rv_follow_stats;

typedef struct rv_follow rv_follow;
/* The first load (as rv_model_load_progress), kept for following;
 * _shown with previews too (show may be NULL). */
rv_follow *rv_follow_open(const char *path, char *err, size_t errlen,
			  rv_progress_fn progress, void *data);
rv_follow *rv_follow_open_shown(const char *path, char *err, size_t errlen,
				const rv_load_show *show);
rv_model *rv_follow_model(const rv_follow *f);
/* Worker side: decode what is new, or, when the follow cannot append
 * (the losses or the trace row changed, or the last apply found it
 * could not), load the whole database afresh. 1: something to apply,
 * 0: nothing new, -1: error (err). Touches no model. */
int rv_follow_fetch(rv_follow *f, char *err, size_t errlen);
/* Model side: extend the model in place with what fetch decoded, or
 * swap in the fresh load fetch made: then *replaced is the old model,
 * now the caller's to free (NULL when extended in place). The model is
 * always whole to draw after it. False with err only on a failure. */
bool rv_follow_apply(rv_follow *f, rv_model **replaced, char *err,
		     size_t errlen);
/* Apply derives at most this many events a call (default: all); the
 * model is published whole after each call, so a window can draw
 * between slices. True from rv_follow_more while some are left. */
void rv_follow_set_slice(rv_follow *f, uint64_t events);
/* The window's slice: about 10 ms of deriving here. */
#define RV_FOLLOW_UI_SLICE 50000
bool rv_follow_more(const rv_follow *f);
/* True when the last apply found that appending could not give what a
 * load gives (it published the model as it could): the next fetch, due
 * at once, loads afresh. */
bool rv_follow_behind(const rv_follow *f);
/* Fetch then apply, on one thread (--bench-follow, tests). */
int rv_follow_reload(rv_follow *f, char *err, size_t errlen);
const rv_follow_stats *rv_follow_stats_get(const rv_follow *f);
/* Frees the follow and, unless kept, its model. */
rv_model *rv_follow_free(rv_follow *f, bool keep_model);

#endif
