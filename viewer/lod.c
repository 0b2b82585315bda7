/*
 * lod.c - level of detail for drawing: a finger per time bucket on every
 * sorted time list a frame searches (times.h: rv_times.lod), built once
 * when a model is loaded (rv_lod_index_all) and carried on by a follow
 * (rv_lod_follow).
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
 * checks), and items past them are reached by galloping; a follow
 * carries its fingers on after every reload (rv_lod_follow).
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

/* Fingers of buckets from..nb-1 of a list sorted up to them, scanning
 * from index i (at or before bucket from's finger); false when the rest
 * of the list is not sorted (searches need order). */
static bool fingers_from(rv_times *a, uint64_t from, uint64_t nb, uint32_t i)
{
	const int64_t t0 = a->lod_t0;
	int64_t prev = i ? rv_times_at(a, i - 1) : INT64_MIN;
	for (uint64_t b = from; b < nb; b++) {
		const int64_t tb = t0 + (int64_t)(b << a->lod_shift);
		while (i < a->n) {
			const int64_t t = rv_times_at(a, i);
			if (t < prev)
				return false;
			prev = t;
			if (t >= tb)
				break;
			i++;
		}
		a->lod[b] = i;
	}
	for (; i < a->n; i++) {
		const int64_t t = rv_times_at(a, i);
		if (t < prev)
			return false;
		prev = t;
	}
	return true;
}

static void drop_fingers(rv_times *a)
{
	g_free(a->lod);
	a->lod = NULL;
	a->lod_nb = a->lod_cap = a->lod_n = 0;
}

/* The buckets from the list's first to its last time, or 0 (none). */
static uint64_t buckets(const rv_times *a)
{
	const int64_t t1 = rv_times_at(a, a->n - 1);
	return t1 < a->lod_t0 ? 0 :
	       (((uint64_t)t1 - (uint64_t)a->lod_t0) >> a->lod_shift) + 1;
}

void rv_lod_index(rv_times *a)
{
	drop_fingers(a);
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
	a->lod_t0 = t0;
	a->lod_shift = shift;
	const uint64_t nb = buckets(a);
	a->lod = g_new(uint32_t, nb);
	a->lod_nb = a->lod_cap = (uint32_t)nb;
	a->lod_n = a->n;
	if (!fingers_from(a, 0, nb, 0))
		drop_fingers(a);
}

/* Fingers per bucket kept as a list grows at a rate that changes: twice
 * too many buckets for RV_LOD_PER items each, and every other finger is
 * kept, the next power of two ns a bucket (no time is read); a quarter
 * too few, and the list is indexed afresh (it has then grown severalfold
 * since it was, so that is O(1) an item, amortised; false). */
static bool rebucket(rv_times *a, uint64_t *nb)
{
	*nb = buckets(a);
	const uint64_t want = a->n / RV_LOD_PER;
	while (*nb > 2 * want + 2 && a->lod_shift < 62) {
		const uint32_t keep = (a->lod_nb + 1) / 2;
		for (uint32_t b = 0; b < keep; b++)
			a->lod[b] = a->lod[2 * b];
		a->lod_nb = keep;
		a->lod_shift++;
		*nb = buckets(a);
	}
	if (4 * *nb + 4 < want) {
		rv_lod_index(a);
		return false;
	}
	return true;
}

/* A follow's reload grows its lists at their ends (and takes back and
 * redoes their last few items: what a load closes at the end). Their
 * fingers are carried on from the last old bucket, in work proportional
 * to what is new, and their buckets kept near RV_LOD_PER items (rebucket)
 * -- not indexed afresh as they double: in a follow of a 1 M events/s
 * guest that read every list's times at once, 0.3-0.7 s of one reload
 * past 190 M events. A finger an insertion further back made stale (a
 * touch end among older ones, touch.c) is still safe -- every search
 * checks the time before its finger -- only a probe or two slower. */
void rv_lod_extend(rv_times *a)
{
	/* most of a big trace's lists (rows) are short or did not change:
	 * a reload costs them a test each */
	if (!a->lod && a->n < RV_LOD_MIN)
		return;
	if (a->lod && a->n == a->lod_n && buckets(a) <= a->lod_nb)
		return;
	if (!a->lod || a->n < RV_LOD_MIN || rv_times_at(a, 0) < a->lod_t0) {
		rv_lod_index(a);
		return;
	}
	/* the bucket holding the last item both had (and the one before,
	 * whose finger may point past it) is redone, and those after */
	const int64_t tl = rv_times_at(a, MIN(a->lod_n, a->n) - 1);
	uint64_t nb;
	if (!rebucket(a, &nb))
		return;   /* indexed afresh */
	if (nb > UINT32_MAX) {
		drop_fingers(a);
		return;
	}
	if (nb > a->lod_cap) {
		a->lod_cap = (uint32_t)MAX(nb, MIN((uint64_t)2 * a->lod_cap,
						   UINT32_MAX));
		a->lod = g_renew(uint32_t, a->lod, a->lod_cap);
	}
	uint64_t from = tl <= a->lod_t0 ? 0 :
		((uint64_t)tl - (uint64_t)a->lod_t0) >> a->lod_shift;
	from = MIN(from ? from - 1 : 0, MIN(nb, a->lod_nb));
	const int64_t tb = a->lod_t0 + (int64_t)(from << a->lod_shift);
	a->lod_nb = (uint32_t)nb;
	a->lod_n = a->n;
	if (!fingers_from(a, from, nb,
			  rv_times_lower_bound(a, 0, a->n, tb)))
		drop_fingers(a);
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

void rv_lod_each(rv_model *m, void (*fn)(rv_times *, void *), void *data)
{
	rv_spans *spans[] = { m->cpu_lane, m->cpu_idle, m->cpu_irq,
			      m->cpu_alloc };
	for (int c = 0; c < m->ncpus; c++)
		for (size_t k = 0; k < G_N_ELEMENTS(spans); k++) {
			fn(&spans[k][c].start, data);
			fn(&spans[k][c].end, data);
		}
	rv_spans *bands[] = { &m->band_idle, &m->band_irq, &m->band_alloc };
	for (size_t k = 0; k < G_N_ELEMENTS(bands); k++) {
		fn(&bands[k]->start, data);
		fn(&bands[k]->end, data);
	}
	for (uint32_t i = 0; i < m->nthreads; i++) {
		fn(&m->threads[i].states.start, data);
		fn(&m->threads[i].states.end, data);
	}
	for (uint32_t r = 0; r < m->nrows; r++) {
		rv_row *row = &m->rows[r];
		fn(&row->start, data);
		fn(&row->end, data);
		for (int t = 0; t < RV_T_COUNT; t++)
			fn(&row->touch_t[t], data);
	}
	for (uint32_t i = 0; i < m->ncounters; i++)
		fn(&m->counters[i].t, data);
	fn(&m->arrows.t1, data);
}

static void index_one(rv_times *a, void *data)
{
	(void)data;
	rv_lod_index(a);
}

static void extend_one(rv_times *a, void *data)
{
	(void)data;
	rv_lod_extend(a);
}

void rv_lod_summarise(rv_model *m)
{
	for (int c = 0; c < m->ncpus; c++) {
		rv_sum_build(&m->cpu_lane[c]);
		rv_sum_build(&m->cpu_idle[c]);
		rv_sum_build(&m->cpu_irq[c]);
		rv_sum_build(&m->cpu_alloc[c]);
	}
	rv_sum_build(&m->band_idle);
	rv_sum_build(&m->band_irq);
	rv_sum_build(&m->band_alloc);
	for (uint32_t i = 0; i < m->nthreads; i++) {
		rv_sum_build(&m->threads[i].states);
		rv_sum_build_runs(&m->threads[i].states);
	}
	for (uint32_t r = 0; r < m->nrows; r++)
		rv_row_sum_build(&m->rows[r]);
	for (uint32_t i = 0; i < m->ncounters; i++)
		rv_ctr_sum_build(&m->counters[i]);
}

void rv_lod_index_all(rv_model *m)
{
	rv_lod_each(m, index_one, NULL);
	rv_xcpu_index(&m->xcpu);
}

void rv_lod_follow(rv_model *m)
{
	rv_lod_each(m, extend_one, NULL);
	rv_xcpu_index_more(&m->xcpu);
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
