/*
 * hdr.c - the HDR histogram (see hdr.h): HdrHistogram's index math with
 * lowest value 1 and 3 significant digits, and lazily allocated counters.
 *
 * Index math: a value v lives in bucket b = (position of v's highest set
 * bit) - 10, floored at 0, and sub-bucket s = v >> b. Bucket 0 holds
 * s = 0..2047 exactly (unit width); bucket b > 0 holds s = 1024..2047, each
 * sub-bucket 2^b wide, so its width is at most 1/1024 of the values in it.
 * That is what makes every reported value correct to 3 significant digits.
 */
#include "hdr.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BITS     11u                       /* 2048 sub-buckets */
#define SUB_COUNT    (1u << SUB_BITS)
#define SUB_HALF     (SUB_COUNT / 2)
#define SUB_MASK     ((uint64_t)SUB_COUNT - 1)
#define BUCKETS      (64u - SUB_BITS + 1u)     /* 0..53: covers UINT64_MAX */
#define CHUNK_BITS   6u                        /* 64 counters per chunk */
#define CHUNK        (1u << CHUNK_BITS)
#define CHUNKS       (SUB_COUNT / CHUNK)

/* One bucket's counters, indexed by sub-bucket (bucket > 0 leaves its
 * lower half of chunks unused, which keeps one indexing rule). */
struct bucket {
	uint64_t *chunk[CHUNKS];
};

struct rs_hdr {
	uint64_t count, min, max;
	unsigned __int128 sum;      /* exact: 2^64 values of 2^64 fit */
	struct bucket *b[BUCKETS];
};

static unsigned bucket_of(uint64_t v)
{
	return 64u - (unsigned)__builtin_clzll(v | SUB_MASK) - SUB_BITS;
}

uint64_t rs_hdr_lowest_equivalent(uint64_t v)
{
	unsigned b = bucket_of(v);
	return (v >> b) << b;
}

uint64_t rs_hdr_highest_equivalent(uint64_t v)
{
	unsigned b = bucket_of(v);
	/* Cannot overflow: the top sub-bucket of bucket 53 ends at
	 * UINT64_MAX exactly. */
	return rs_hdr_lowest_equivalent(v) + ((1ull << b) - 1);
}

struct rs_hdr *rs_hdr_new(void)
{
	return calloc(1, sizeof(struct rs_hdr));
}

static void free_counters(struct rs_hdr *h)
{
	for (unsigned i = 0; i < BUCKETS; i++) {
		if (!h->b[i])
			continue;
		for (unsigned c = 0; c < CHUNKS; c++)
			free(h->b[i]->chunk[c]);
		free(h->b[i]);
		h->b[i] = NULL;
	}
}

void rs_hdr_free(struct rs_hdr *h)
{
	if (!h)
		return;
	free_counters(h);
	free(h);
}

void rs_hdr_reset(struct rs_hdr *h)
{
	free_counters(h);
	memset(h, 0, sizeof(*h));
}

/* The counter for v, allocating its chunk if needed; NULL when out of
 * memory. */
static uint64_t *slot(struct rs_hdr *h, uint64_t v)
{
	unsigned b = bucket_of(v);
	unsigned s = (unsigned)(v >> b);

	if (!h->b[b] && !(h->b[b] = calloc(1, sizeof(struct bucket))))
		return NULL;
	uint64_t **c = &h->b[b]->chunk[s >> CHUNK_BITS];
	if (!*c && !(*c = calloc(CHUNK, sizeof(uint64_t))))
		return NULL;
	return &(*c)[s & (CHUNK - 1)];
}

int rs_hdr_record(struct rs_hdr *h, uint64_t value, uint64_t count)
{
	assert(h);
	if (count == 0)
		return 0;
	uint64_t *c = slot(h, value);
	if (!c)
		return -1;
	*c += count;
	if (h->count == 0 || value < h->min)
		h->min = value;
	if (h->count == 0 || value > h->max)
		h->max = value;
	h->count += count;
	h->sum += (unsigned __int128)value * count;
	return 0;
}

int rs_hdr_merge(struct rs_hdr *dst, const struct rs_hdr *src)
{
	assert(dst && src && dst != src);
	struct rs_hdr_iter it;

	if (src->count == 0)
		return 0;
	/* Allocate every chunk first so a failure leaves dst unchanged. */
	rs_hdr_iter_init(&it, src);
	while (rs_hdr_iter_next(&it))
		if (!slot(dst, it.lo))
			return -1;
	rs_hdr_iter_init(&it, src);
	while (rs_hdr_iter_next(&it))
		*slot(dst, it.lo) += it.count;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	return 0;
}

uint64_t rs_hdr_count(const struct rs_hdr *h) { return h->count; }
uint64_t rs_hdr_min(const struct rs_hdr *h) { return h->min; }
uint64_t rs_hdr_max(const struct rs_hdr *h) { return h->max; }

double rs_hdr_mean(const struct rs_hdr *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

uint64_t rs_hdr_percentile(const struct rs_hdr *h, double p)
{
	struct rs_hdr_iter it;
	uint64_t seen = 0;

	if (h->count == 0)
		return 0;
	if (!(p > 0.0))             /* also catches NaN */
		return h->min;
	if (p > 100.0)
		p = 100.0;
	/* The rank is ceil(p/100 * count), in integers: p as parts per
	 * million, so 99.9% of 1000 is exactly 999, not 999.0000001 -> 1000
	 * as floating point would give. */
	uint64_t ppm = (uint64_t)(p * 10000.0 + 0.5);
	unsigned __int128 want = ((unsigned __int128)ppm * h->count + 999999) /
				 1000000;
	if (want < 1)
		want = 1;
	rs_hdr_iter_init(&it, h);
	while (rs_hdr_iter_next(&it)) {
		seen += it.count;
		if (seen >= want)
			return it.hi < h->max ? it.hi : h->max;
	}
	return h->max;
}

void rs_hdr_iter_init(struct rs_hdr_iter *it, const struct rs_hdr *h)
{
	assert(it && h);
	memset(it, 0, sizeof(*it));
	it->h = h;
}

int rs_hdr_iter_next(struct rs_hdr_iter *it)
{
	while (it->bucket < BUCKETS) {
		const struct bucket *bk = it->h->b[it->bucket];
		if (!bk || it->sub >= SUB_COUNT) {
			it->bucket++;
			it->sub = SUB_HALF;   /* upper half only above bucket 0 */
			continue;
		}
		const uint64_t *c = bk->chunk[it->sub >> CHUNK_BITS];
		if (!c) {
			it->sub = (it->sub | (CHUNK - 1)) + 1;
			continue;
		}
		unsigned s = it->sub++;
		uint64_t n = c[s & (CHUNK - 1)];
		if (n) {
			it->lo = (uint64_t)s << it->bucket;
			it->hi = it->lo + ((1ull << it->bucket) - 1);
			it->count = n;
			return 1;
		}
	}
	return 0;
}
