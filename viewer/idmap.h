/*
 * idmap.h - the viewer's map from a guest's promise or thread id to its
 * row index (derive.c). Lookups are inline: the derivation makes one per
 * promise event, the largest cost of loading 10 M events.
 *
 * Kernels hand out promise and thread ids
 * from counters, so ids below RV_DENSE_MAX go to a plain array indexed by id:
 * the events of a trace touch recent ids, which stay in cache, where a
 * hash spreads them over tens of MB (a hash probe per promise event was
 * the largest cost of loading 10 M events). Other ids, which a guest may
 * choose freely, go to the shared open-addressing map (rs_u64map.h;
 * GHashTable would allocate per entry, too slow at millions of promises).
 */
#ifndef RV_IDMAP_H
#define RV_IDMAP_H

#include <stdint.h>

#include "rs_u64map.h"

/* At most 1 GB of dense slots (and only while the ids stay dense, below).
 * It was 2^24: a trace past ~150 M events had its newer promises in the
 * hash, whose growth rehashes everything it holds, a stall of 0.5-1.8 s
 * at 2, 4 and 8 M entries in a follow of a 1 M events/s guest (bench/
 * README.md, "a five-minute follow"). */
#define RV_DENSE_MAX (1u << 28)
/* ...and the array grows to cover an id only while it stays within this
 * many slots per id held: a trace whose ids are sparse (a guest's own
 * choice, or a hostile one) goes to the hash instead of costing 64 MB
 * for a handful of ids. */
#define RV_DENSE_SLOTS_PER_ID 16u

typedef struct {
	uint32_t *dense;   /* pp index + 1 by id; 0 = none */
	uint32_t dense_cap;
	uint32_t dense_n;  /* ids held in dense */
	struct rs_u64map hash;   /* id -> pp index: the rest */
} rv_idmap;

/* Id k maps to index v (v < UINT32_MAX). Aborts on out of memory, as
 * GLib's allocators do. */
void rv_idmap_put(rv_idmap *m, uint64_t k, uint32_t v);
void rv_idmap_free(rv_idmap *m);

/* The index id k maps to, or -1. */
static inline int64_t rv_idmap_get(const rv_idmap *m, uint64_t k)
{
	if (k < m->dense_cap && m->dense[k])
		return (int64_t)m->dense[k] - 1;
	const uint64_t *v = rs_u64map_find(&m->hash, k);
	return v ? (int64_t)*v : -1;
}

#endif
