/*
 * lod.h - level of detail for drawing (lod.c): fingers per time bucket on
 * the sorted time lists a frame searches, so a zoomed-out frame's work is
 * bounded by its pixels, not by the events they hold.
 */
#ifndef RV_LOD_H
#define RV_LOD_H

#include <stddef.h>

#include "model.h"

/* Fingers on every list drawing searches, and the crossings' prefix
 * maxima: once a model is laid out (model.c, whose touch lists get
 * theirs as they are attached; follow.c when a follow opens). A follow
 * that appends calls rv_lod_follow after. */
void rv_lod_index_all(rv_model *m);
/* (Re)index one sorted time list; unsorted or short lists get none. */
void rv_lod_index(rv_times *a);
/* The zoomed-out frames' per-bucket summaries (sum.h) of every span list,
 * row and counter, after the fingers (a loaded model's last step). A
 * follow has none: they would be out of date at its first reload. */
void rv_lod_summarise(rv_model *m);
/* The same for a list that grew at its end since (lod.c says how). */
void rv_lod_extend(rv_times *a);
/* rv_lod_extend on every list rv_lod_index_all indexes: what a follow's
 * reload calls once it has appended to a model (follow.c). */
void rv_lod_follow(rv_model *m);
/* fn(list, data) for every list those index, always in the same order
 * (the tests compare a followed model's fingers with a load's). */
void rv_lod_each(rv_model *m, void (*fn)(rv_times *, void *), void *data);
/* rv_times_search of every t[k], k < n (t ascending), into out[k]: the
 * pixel columns of a frame looked up in one list at once (draw.h,
 * rv_cols), with the same answers. */
void rv_lod_search_many(const rv_times *a, const int64_t *t, uint32_t n,
			uint32_t *out);
/* What the fingers take, for bytes-per-event figures. */
size_t rv_lod_bytes(const rv_model *m);

#endif
