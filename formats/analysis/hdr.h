/*
 * hdr.h - an HDR (high dynamic range) histogram with 3 significant digits,
 * for latency and size distributions in `ringside report` and the viewer.
 *
 * Same bucketing as HdrHistogram (lowest discernible value 1, 3 digits):
 * 2048 sub-buckets in bucket 0, then one bucket per power of two holding
 * 1024 sub-buckets each, so any value is stored within 1 part in 1024 of
 * itself. Values 0 .. UINT64_MAX (the brief's 1..2^63 and more).
 *
 * Memory: the counters are allocated lazily in chunks of 64 sub-buckets
 * (512 bytes), because a report holds one histogram per group and most
 * groups touch a few octaves only; a histogram is ~0.5 KB plus 0.6 KB per
 * touched chunk (a typical latency group: tens of KB; worst case ~450 KB).
 * min, max, count and the sum (for the mean) are exact, not bucketed.
 */
#ifndef RS_HDR_H
#define RS_HDR_H

#include <stdint.h>

struct rs_hdr;

struct rs_hdr *rs_hdr_new(void);
void rs_hdr_free(struct rs_hdr *h);
void rs_hdr_reset(struct rs_hdr *h);

/* Add `count` occurrences of `value`. Returns 0, or -1 when out of memory
 * (the histogram is then unchanged). */
int rs_hdr_record(struct rs_hdr *h, uint64_t value, uint64_t count);
/* Add everything recorded in `src` to `dst`. Returns 0 or -1 (memory). */
int rs_hdr_merge(struct rs_hdr *dst, const struct rs_hdr *src);

uint64_t rs_hdr_count(const struct rs_hdr *h);
uint64_t rs_hdr_min(const struct rs_hdr *h);   /* 0 when empty */
uint64_t rs_hdr_max(const struct rs_hdr *h);   /* 0 when empty */
double rs_hdr_mean(const struct rs_hdr *h);    /* exact; 0 when empty */

/*
 * HdrHistogram's getValueAtPercentile: the lowest recorded value v such
 * that at least p% of the values are <= v, reported as the highest value
 * equivalent to v (the top of its sub-bucket), but never above max.
 * p is clamped to 0..100; p = 0 gives min. 0 when empty.
 */
uint64_t rs_hdr_percentile(const struct rs_hdr *h, double p);

/* The range of values stored in the same sub-bucket as `v`. */
uint64_t rs_hdr_lowest_equivalent(uint64_t v);
uint64_t rs_hdr_highest_equivalent(uint64_t v);

/*
 * Walk the non-empty sub-buckets in increasing value order:
 *
 *   struct rs_hdr_iter it;
 *   rs_hdr_iter_init(&it, h);
 *   while (rs_hdr_iter_next(&it))
 *       use(it.lo, it.hi, it.count);
 *
 * lo..hi (inclusive) is the sub-bucket's value range; `count` its count.
 */
struct rs_hdr_iter {
	const struct rs_hdr *h;
	unsigned bucket, sub;      /* position of the next sub-bucket to test */
	uint64_t lo, hi, count;
};
void rs_hdr_iter_init(struct rs_hdr_iter *it, const struct rs_hdr *h);
int rs_hdr_iter_next(struct rs_hdr_iter *it);

#endif /* RS_HDR_H */
