/*
 * vals.h - int64 values in 4 bytes each that may be set again (issue 18:
 * 100 M events in 4 GiB): a promise's times, which its later events
 * change (a create heard of after its first mention, a resolve, a
 * becomes, a --follow's publish and unpublish), its id, a counter's
 * samples. times.h is the append-only, sorted kind.
 *
 * As there, values sit in blocks of RV_TB_LEN as a 32-bit offset from
 * the block's base. The base is fixed by the first value written into
 * the block that is not INT64_MAX, less the list's bias (0 for times,
 * which later writes move only forward; about 2^31 for values that go
 * either way), and never changes after, so no offset stored changes its
 * meaning. INT64_MAX, a time that never comes, has a code of its own. A
 * value the base cannot reach is exact all the same: its offset reads
 * RV_V_FAR and the value sits in a hash by index. Reading one is a shift,
 * two loads and an add; a far one a hash probe.
 */
#ifndef RV_VALS_H
#define RV_VALS_H

#include <assert.h>
#include <stdint.h>

#include "rs_u64map.h"
#include "times.h"

#define RV_V_FAR UINT32_MAX
#define RV_V_NEVER (UINT32_MAX - 1)    /* INT64_MAX */
#define RV_V_UNSET INT64_MIN           /* a block's base before its first value */
#define RV_V_SIGNED ((int64_t)1 << 31) /* the bias for values either way */

typedef struct {
	uint32_t *off;
	int64_t *base;        /* per block, RV_V_UNSET until a value fixes it */
	uint32_t n, cap;
	int64_t bias;         /* set before the first push; 0 for times */
	struct rs_u64map far; /* index -> value, for offsets RV_V_FAR */
} rv_vals;

int64_t rv_vals_far(const rv_vals *a, uint32_t i);

static inline int64_t rv_vals_at(const rv_vals *a, uint32_t i)
{
	assert(i < a->n);
	const uint32_t o = a->off[i];
	if (o < RV_V_NEVER)
		return a->base[i >> RV_TB_SHIFT] + (int64_t)o;
	return o == RV_V_NEVER ? INT64_MAX : rv_vals_far(a, i);
}

/* Asks the cache for value i's memory, without waiting: drawing fetches
 * what a column ahead will read (draw_counters.c). Always inlined: GCC
 * drops a call to a function that only prefetches. */
static inline __attribute__((always_inline))
void rv_vals_prefetch(const rv_vals *a, uint32_t i)
{
	__builtin_prefetch(&a->off[i]);
	__builtin_prefetch(&a->base[i >> RV_TB_SHIFT]);
}

/* rv_vals_set's whole path (vals.c): a block's first value, a far one. */
void rv_vals_set_out(rv_vals *a, uint32_t i, int64_t v);
/* Value i (< n) is v from now on. Inline for the common cases, as
 * derivation sets several a promise event. */
static inline void rv_vals_set(rv_vals *a, uint32_t i, int64_t v)
{
	assert(i < a->n);
	const int64_t b = a->base[i >> RV_TB_SHIFT];
	/* v - b computed unsigned: both may be anywhere in int64 */
	if (b != RV_V_UNSET && v >= b &&
	    (uint64_t)v - (uint64_t)b < RV_V_NEVER) {
		a->off[i] = (uint32_t)((uint64_t)v - (uint64_t)b);
		return;
	}
	if (v == INT64_MAX) {
		a->off[i] = RV_V_NEVER;
		return;
	}
	rv_vals_set_out(a, i, v);
}

/* rv_vals_push's whole path (vals.c): growing, a block's first value. */
void rv_vals_push_out(rv_vals *a, int64_t v);
/* Appends v (n grows by one; the arrays double when full). Inline for
 * the common case, room left inside a block: a promise pushes four. */
static inline void rv_vals_push(rv_vals *a, int64_t v)
{
	const uint32_t i = a->n;
	if (i < a->cap && (i & (RV_TB_LEN - 1))) {
		a->n = i + 1;
		rv_vals_set(a, i, v);
		return;
	}
	rv_vals_push_out(a, v);
}
void rv_vals_free(rv_vals *a);

/*
 * uint32 values in as few bytes as the largest of them needs: none while
 * they are all one value, else 1, 2 or 4 bytes each, the list widened
 * (copied) when a value needs more. For what a span refers to and its
 * kind: a CPU lane's spans are all of one kind, and their refs (thread
 * indexes, CPUs, vectors, records in a burst) mostly fit in a byte.
 */
typedef struct {
	void *d;
	uint32_t n, cap;
	uint32_t one;         /* every value, while width is 0 */
	uint8_t width;        /* bytes a value: 0, 1, 2 or 4 */
} rv_u32s;

static inline uint32_t rv_u32s_at(const rv_u32s *a, uint32_t i)
{
	assert(i < a->n);
	switch (a->width) {
	case 0: return a->one;
	case 1: return ((const uint8_t *)a->d)[i];
	case 2: return ((const uint16_t *)a->d)[i];
	default: return ((const uint32_t *)a->d)[i];
	}
}

/* Asks the cache for value i's memory, without waiting: drawing fetches
 * what a column ahead will read (draw.c). Always inlined: GCC drops a
 * call to a function that only prefetches. */
static inline __attribute__((always_inline))
void rv_u32s_prefetch(const rv_u32s *a, uint32_t i)
{
	if (a->width)
		__builtin_prefetch((const char *)a->d + (size_t)i * a->width);
}

/* rv_u32s_push's whole path (vals.c): growing, widening. */
void rv_u32s_push_out(rv_u32s *a, uint32_t v);
static inline void rv_u32s_push(rv_u32s *a, uint32_t v)
{
	if (a->width == 0 && a->n && v == a->one) {
		a->n++;
		return;
	}
	if (a->width == 1 && a->n < a->cap && v <= UINT8_MAX) {
		((uint8_t *)a->d)[a->n++] = (uint8_t)v;
		return;
	}
	rv_u32s_push_out(a, v);
}
/* rv_u32s_set's whole path (vals.c): widening. */
void rv_u32s_set_out(rv_u32s *a, uint32_t i, uint32_t v);
/* Value i (< n) is v from now on. */
static inline void rv_u32s_set(rv_u32s *a, uint32_t i, uint32_t v)
{
	assert(i < a->n);
	if (a->width == 1 && v <= UINT8_MAX)
		((uint8_t *)a->d)[i] = (uint8_t)v;
	else
		rv_u32s_set_out(a, i, v);
}
/* Drops the values from index n on (the width stays). */
static inline void rv_u32s_truncate(rv_u32s *a, uint32_t n)
{
	assert(n <= a->n);
	a->n = n;
}
void rv_u32s_free(rv_u32s *a);

#endif
