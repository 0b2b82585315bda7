/*
 * lod.c - level of detail for drawing: a finger per time bucket on every
 * sorted time list a frame searches (times.h: rv_times.lod), built once
 * when a model is loaded (rv_lod_build, the one entry point).
 *
 * Zoomed out, a frame asks every lane, row, counter and the arrows "where
 * does the next pixel column start?" about once per column. Galloping
 * there from the last column costs ~2 log2(k) probes for k items per
 * column, each a cache miss on a 10 M-event trace (the worst frames were
 * the whole trace, waiting on memory, not computing). With a finger per
 * bucket -- the first index at or after the bucket's start, buckets a
 * power of two ns wide and holding ~RV_LOD_PER items on average -- the
 * search reads one finger and gallops over the few items of one bucket:
 * the same answer, exactly (pictures do not change), in work independent
 * of how many events the column holds. Running totals already kept
 * beside the lists (span fill, resolved/failed ends, counter pyramids)
 * turn those indexes into the per-column summaries.
 *
 * Memory: 4 bytes per bucket, ~1/RV_LOD_PER of a 4-byte finger per item
 * (rv_lod_bytes). A list that grows after it was indexed keeps working:
 * its old fingers are still right where they are used (rv_times_gallop
 * checks), and items past them are reached by galloping; re-running the
 * builder on a list (rv_lod_index) refreshes it, which is what an
 * appending loader would call for the lists it grew.
 */
#include "lod.h"
#include "sum.h"
#include "xcpu.h"

#include <glib.h>

/* Average items per bucket: fingers cost 4 / RV_LOD_PER bytes an item,
 * a lookup gallops over about this many. */
#define RV_LOD_PER 8
/* Lists shorter than this are searched as they are. */
#define RV_LOD_MIN 64

void rv_lod_index(rv_times *a)
{
	g_free(a->lod);
	a->lod = NULL;
	a->lod_nb = 0;
	if (a->n < RV_LOD_MIN)
		return;
	const int64_t t0 = rv_times_at(a, 0), t1 = rv_times_at(a, a->n - 1);
	if (t1 <= t0)
		return;
	/* the smallest power of two giving at most n / RV_LOD_PER buckets */
	const uint64_t span = (uint64_t)t1 - (uint64_t)t0;
	const uint64_t want = a->n / RV_LOD_PER;
	int shift = 0;
	while (shift < 62 && (span >> shift) + 1 > want)
		shift++;
	const uint64_t nb = (span >> shift) + 1;
	uint32_t *lod = g_new(uint32_t, nb);
	uint32_t i = 0;
	int64_t prev = t0;
	for (uint64_t b = 0; b < nb; b++) {
		const int64_t tb = t0 + (int64_t)(b << shift);
		while (i < a->n) {
			const int64_t t = rv_times_at(a, i);
			if (t < prev) {
				/* not sorted: no fingers (searches need order) */
				g_free(lod);
				return;
			}
			prev = t;
			if (t >= tb)
				break;
			i++;
		}
		lod[b] = i;
	}
	/* the rest must be sorted too */
	for (; i < a->n; i++) {
		const int64_t t = rv_times_at(a, i);
		if (t < prev) {
			g_free(lod);
			return;
		}
		prev = t;
	}
	a->lod = lod;
	a->lod_nb = (uint32_t)nb;
	a->lod_shift = shift;
	a->lod_t0 = t0;
}

/*
 * Searching many columns at once. One at a time, a zoomed-out column's
 * search waits for its finger, then for the times the finger points at:
 * two or three cache misses one after the other, for every column of
 * every lane and row (half of a whole-trace frame's time went there,
 * waiting). Here every finger is read in one pass (loads that depend on
 * nothing but the column's time, so the CPU has many in flight), then
 * the searches run, each asking the cache for the times the search
 * SEARCH_AHEAD on will read (prefetches, which wait for nothing), so
 * that they are there when it runs. The answers are rv_times_search's:
 * each is checked against the times on either side of its bucket, and a
 * list whose fingers no longer bound it (it grew or was cut back after
 * it was indexed) is searched as before.
 */
/* Searches ahead whose times are fetched while one runs. */
#define SEARCH_AHEAD 16

void rv_lod_search_many(const rv_times *a, const int64_t *t, uint32_t n,
			uint32_t *out)
{
	if (!a->lod) {
		for (uint32_t k = 0, from = 0; k < n; k++)
			out[k] = from = rv_times_gallop(a, from, t[k]);
		return;
	}
	const uint32_t nb = a->lod_nb, len = a->n;
	/* the bucket of t, or nb when t is at or before the first time */
#define BUCKET(tk) ((tk) <= a->lod_t0 ? nb : (uint64_t)((uint64_t)(tk) - \
	(uint64_t)a->lod_t0) >> a->lod_shift >= nb ? nb - 1 : \
	(uint32_t)(((uint64_t)(tk) - (uint64_t)a->lod_t0) >> a->lod_shift))
	for (uint32_t k = 0; k < n; k++) {
		const uint32_t b = BUCKET(t[k]);
		out[k] = b == nb ? 0 : a->lod[b];
	}
	uint32_t prev = 0;
	for (uint32_t k = 0; k < n; k++) {
		if (k + SEARCH_AHEAD < n) {
			/* the times the search SEARCH_AHEAD on will read: the
			 * one before its finger and the next finger's */
			const uint32_t f = out[k + SEARCH_AHEAD];
			const uint32_t b = BUCKET(t[k + SEARCH_AHEAD]);
			const uint32_t g = b == nb ? 0 : b + 1 < nb ?
					   a->lod[b + 1] : len;
			if (f && f <= len)
				rv_times_prefetch(a, f - 1);
			/* the next finger's time, where it is likely on
			 * another line (a prefetch too many stalls the loop:
			 * the memory system takes only so many at once) */
			if (g < len && (g >> 4) != ((f ? f - 1 : 0) >> 4))
				rv_times_prefetch(a, g);
		}
		const int64_t tk = t[k];
		const uint32_t b = BUCKET(tk);
		uint32_t lo = out[k] < len ? out[k] : len;
		uint32_t hi = b == nb ? 0 : b + 1 < nb ? a->lod[b + 1] : len;
		hi = hi < lo ? lo : hi > len ? len : hi;
		/* the answer lies in [lo, hi] when the fingers still bound
		 * the list there; else search as one search would */
		if ((lo && rv_times_at(a, lo - 1) >= tk) ||
		    (hi < len && rv_times_at(a, hi) < tk)) {
			RV_WORK(2);
			prev = rv_times_gallop(a, prev, tk);
		} else {
			/* its probes counted once (a search per column and
			 * list) */
			uint32_t probes = 2;
			prev = rv_times_bisect(a, lo, hi, tk, &probes);
			RV_WORK(probes);
		}
		out[k] = prev;
	}
#undef BUCKET
}

static void index_spans(rv_spans *s)
{
	rv_lod_index(&s->start);
	rv_lod_index(&s->end);
	rv_sum_build(s);
}

void rv_lod_build(rv_model *m)
{
	for (int c = 0; c < m->ncpus; c++) {
		index_spans(&m->cpu_lane[c]);
		index_spans(&m->cpu_idle[c]);
		index_spans(&m->cpu_irq[c]);
		index_spans(&m->cpu_alloc[c]);
	}
	index_spans(&m->band_idle);
	index_spans(&m->band_irq);
	index_spans(&m->band_alloc);
	for (uint32_t i = 0; i < m->nthreads; i++)
		index_spans(&m->threads[i].states);
	for (uint32_t r = 0; r < m->nrows; r++) {
		rv_row *row = &m->rows[r];
		rv_lod_index(&row->start);
		rv_lod_index(&row->end);
		for (int t = 0; t < RV_T_COUNT; t++)
			rv_lod_index(&row->touch_t[t]);
		rv_row_sum_build(row);
	}
	for (uint32_t i = 0; i < m->ncounters; i++)
		rv_lod_index(&m->counters[i].t);
	rv_lod_index(&m->arrows.t1);
	rv_xcpu_index(&m->xcpu);
}

static size_t times_bytes(const rv_times *a)
{
	return a->lod ? (size_t)a->lod_nb * sizeof *a->lod : 0;
}

static size_t spans_bytes(const rv_spans *s)
{
	return times_bytes(&s->start) + times_bytes(&s->end);
}

size_t rv_lod_bytes(const rv_model *m)
{
	size_t n = 0;
	for (int c = 0; c < m->ncpus; c++) {
		n += spans_bytes(&m->cpu_lane[c]) + spans_bytes(&m->cpu_idle[c]);
		n += spans_bytes(&m->cpu_irq[c]) + spans_bytes(&m->cpu_alloc[c]);
	}
	n += spans_bytes(&m->band_idle) + spans_bytes(&m->band_irq) +
	     spans_bytes(&m->band_alloc);
	for (uint32_t i = 0; i < m->nthreads; i++)
		n += spans_bytes(&m->threads[i].states);
	for (uint32_t r = 0; r < m->nrows; r++) {
		n += times_bytes(&m->rows[r].start) + times_bytes(&m->rows[r].end);
		for (int t = 0; t < RV_T_COUNT; t++)
			n += times_bytes(&m->rows[r].touch_t[t]);
	}
	for (uint32_t i = 0; i < m->ncounters; i++)
		n += times_bytes(&m->counters[i].t);
	n += times_bytes(&m->arrows.t1);
	n += (size_t)m->xcpu.n * sizeof *m->xcpu.hi_max;
	return n;
}
