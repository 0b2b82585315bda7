/*
 * times.h - a list of int64 times in 4 bytes each (issue 18: the model
 * must hold 100 M events in 4 GiB, and 8-byte times were most of it).
 *
 * Times are stored in blocks of RV_TB_LEN: t[i] = base[i / RV_TB_LEN] +
 * off[i], base being the block's first time. A time the block's base
 * cannot reach in 32 bits (before it, or 2^32 - 1 ns = 4.3 s or more past
 * it: a gap, or a list out of order) is exact all the same: its offset
 * reads RV_TB_FAR and the time sits in a side list of such indexes, sorted
 * because times are only appended. Reading one is a shift, two loads and
 * an add; a far one a binary search among the far ones. Blocks are short
 * (256) so that a gap costs at most the rest of its block in far ones (12
 * bytes each), while the bases cost 8 / 256 bytes a time.
 */
#ifndef RV_TIMES_H
#define RV_TIMES_H

#include <assert.h>
#include <stdint.h>

#define RV_TB_SHIFT 8
#define RV_TB_LEN (1u << RV_TB_SHIFT)
#define RV_TB_FAR UINT32_MAX

typedef struct {
	uint32_t *off;
	int64_t *base;       /* per block */
	uint32_t n, cap;
	uint32_t nfar, cap_far;
	uint32_t *far_i;     /* indexes whose offset is RV_TB_FAR, ascending */
	int64_t *far_t;
	/* Fingers for searches (lod.c; NULL until rv_lod_index_all indexes the
	 * list): lod[b] is the first index whose time is >= lod_t0 +
	 * (b << lod_shift), buckets of a power of two ns holding ~8 times
	 * each on average. A search starts from its bucket's finger, so a
	 * pixel column's lookup reads one finger and a few times next to it,
	 * however many times lie before it (rv_times_gallop). */
	uint32_t *lod;
	uint32_t lod_nb, lod_cap;
	uint32_t lod_n;      /* n when the fingers were last made */
	int lod_shift;
	int64_t lod_t0;
} rv_times;

/* Items the drawing of a frame visited on this thread: each probe of a
 * search in a time list and each list item a drawing loop looked at.
 * Tests read it (reset, draw, read) to check that a frame's work is
 * bounded by pixels, not by events; it is never read for anything else. */
extern _Thread_local uint64_t rv_work;
#define RV_WORK(n) ((void)(rv_work += (uint64_t)(n)))

/* Where v is in a[0..n) (ascending, distinct), or -1: for the far
 * times and the model's sparse lists, off the hot paths. */
int64_t rv_u32_find(const uint32_t *a, uint32_t n, uint32_t v);

int64_t rv_times_far(const rv_times *a, uint32_t i);

/* Room for one more in a list of blocks (times here, values in vals.h):
 * off doubles, from RV_TB_LEN, and base keeps one per block. */
void rv_tb_grow(uint32_t **off, int64_t **base, uint32_t *cap);

static inline int64_t rv_times_at(const rv_times *a, uint32_t i)
{
	const uint32_t o = a->off[i];
	if (o == RV_TB_FAR)
		return rv_times_far(a, i);
	return a->base[i >> RV_TB_SHIFT] + (int64_t)o;
}

/* Asks the cache for time i's memory, without waiting for it: a search
 * of many times at once (rv_lod_search_many) fetches what it will probe
 * before probing it. Prefetching helpers are always inlined: GCC counts
 * a function that only prefetches as having no effect, and a call to it
 * that it has not inlined yet is dropped (it was, in draw.c). */
static inline __attribute__((always_inline))
void rv_times_prefetch(const rv_times *a, uint32_t i)
{
	__builtin_prefetch(&a->off[i]);
	__builtin_prefetch(&a->base[i >> RV_TB_SHIFT]);
}

/* rv_times_push's whole path (times.c): growing, a block's first time,
 * a far one. */
void rv_times_push_out(rv_times *a, int64_t t);
/* Appends t. Inline for the common case, a time within its block's reach
 * with room left, as pushes are several per event a load or a follow
 * derives (the call and its register saves were half a push's cost). */
static inline void rv_times_push(rv_times *a, int64_t t)
{
	const uint32_t i = a->n;
	if (i < a->cap && (i & (RV_TB_LEN - 1))) {
		const int64_t b = a->base[i >> RV_TB_SHIFT];
		/* t - b computed unsigned, as times.c does */
		if (t >= b && (uint64_t)t - (uint64_t)b < RV_TB_FAR) {
			a->off[i] = (uint32_t)((uint64_t)t - (uint64_t)b);
			a->n = i + 1;
			return;
		}
	}
	rv_times_push_out(a, t);
}
/* The same with a block's base fixed at 0: for lengths, which are not
 * sorted but mostly under 4.3 s. */
void rv_times_push_len(rv_times *a, int64_t len);
/* Replaces the last time (a span list growing its last span). */
void rv_times_set_last(rv_times *a, int64_t t);
void rv_times_free(rv_times *a);
/* Drops the times from index n on (a --follow reload takes back what its
 * last publish added provisionally; viewer/follow.c). */
void rv_times_truncate(rv_times *a, uint32_t n);
/* Shrinks the arrays to what they hold (loading doubles them). */
void rv_times_trim(rv_times *a);
/* First index in [lo, hi) whose time is >= t, or hi; the times there
 * must be ascending. Inline, as rv_lower_bound: drawing calls these a
 * few times per pixel column and row (a call each was 6 % of a frame's
 * instructions). */
static inline uint32_t rv_times_lower_bound(const rv_times *a, uint32_t lo,
					    uint32_t hi, int64_t t)
{
	assert(lo <= hi && hi <= a->n);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		RV_WORK(1);
		if (rv_times_at(a, mid) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* rv_times_lower_bound of a sorted list's [lo, hi), adding the probes
 * it made to *probes: where the range lies in one block and t within the
 * block's reach, the probes compare offsets from the block's base (in a
 * sorted block every time is at or after its base, and a far one's
 * offset, all ones, is past any t in reach), one load a probe instead of
 * two; else as rv_times_lower_bound. A frame searches every column of a
 * few dozen lists so (lod.c). */
static inline uint32_t rv_times_bisect(const rv_times *a, uint32_t lo,
				       uint32_t hi, int64_t t,
				       uint32_t *probes)
{
	assert(lo <= hi && hi <= a->n);
	if (hi > lo && lo >> RV_TB_SHIFT == (hi - 1) >> RV_TB_SHIFT) {
		const int64_t base = a->base[lo >> RV_TB_SHIFT];
		if (t <= base)
			return lo;
		if ((uint64_t)t - (uint64_t)base < RV_TB_FAR) {
			const uint32_t d = (uint32_t)((uint64_t)t -
						      (uint64_t)base);
			while (lo < hi) {
				const uint32_t mid = lo + (hi - lo) / 2;
				++*probes;
				if (a->off[mid] < d)
					lo = mid + 1;
				else
					hi = mid;
			}
			return lo;
		}
	}
	while (lo < hi) {
		const uint32_t mid = lo + (hi - lo) / 2;
		++*probes;
		if (rv_times_at(a, mid) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The same from a hint, galloping forward from `from` (as rv_gallop). */
static inline uint32_t rv_times_gallop(const rv_times *a, uint32_t from,
				       int64_t t)
{
	const uint32_t n = a->n;
	if (a->lod && t > a->lod_t0) {
		/* start from t's bucket's finger when it is further on, and
		 * still right: the time before it is below t (a list that
		 * grew after it was indexed keeps its old fingers) */
		const uint64_t b = ((uint64_t)t - (uint64_t)a->lod_t0) >>
				   a->lod_shift;
		const uint32_t f = a->lod[b < a->lod_nb ? b : a->lod_nb - 1];
		RV_WORK(2);
		if (f > from && f <= n && rv_times_at(a, f - 1) < t)
			from = f;
	}
	RV_WORK(1);
	if (from >= n || rv_times_at(a, from) >= t)
		return from;
	/* the time at lo is below t; the steps double from there */
	uint32_t lo = from, step = 1;
	while ((uint64_t)lo + step < n && rv_times_at(a, lo + step) < t) {
		RV_WORK(1);
		lo += step;
		if (step < (1u << 31))
			step *= 2;
	}
	const uint32_t hi = (uint64_t)lo + step < n ? lo + step : n;
	return rv_times_lower_bound(a, lo + 1, hi, t);
}

/* First index whose time is >= t: from the bucket's finger when the list
 * has them (a few probes), else by bisection (log n). */
static inline uint32_t rv_times_search(const rv_times *a, int64_t t)
{
	return a->lod ? rv_times_gallop(a, 0, t)
		      : rv_times_lower_bound(a, 0, a->n, t);
}

#endif
