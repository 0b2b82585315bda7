/*
 * rs_reader.c - the incremental lock-free reader: the reader side of the
 * protocol in formats/contract/RING.md ("The reader"), one poll of one
 * CPU at a time, delivering every record once and counting every loss,
 * so that accepted + lost == head_written after every poll.
 */
#include "rs_decode_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the reader -------------------------------------------------------- */

int rs_reader_init(struct rs_reader *r, const volatile void *region,
		   size_t avail, const struct rs_layout *layout)
{
	/* The layout comes from rs_layout_read, never straight from a guest. */
	assert(r && layout && layout->ncpus >= 1 &&
	       layout->ncpus <= RS_MAX_CPUS);
	memset(r, 0, sizeof(*r));
	r->region = region;
	r->avail = avail;
	r->layout = *layout;
	if (layout->region_size > avail) {
		snprintf(r->err, sizeof(r->err), "region larger than mapping");
		return -1;
	}
	/* Bounded by the mapping: rs_layout_read checked each ring lies in
	 * region_size <= avail, so a lying header cannot make this huge. */
	size_t max = 0;
	for (uint32_t i = 0; i < layout->ncpus; i++)
		if (layout->cpu[i].data_size > max)
			max = layout->cpu[i].data_size;
	/* COPY_SLACK more than a lap, zeroed so the fast path's
	 * unconditional argument loads past the end read defined bytes. */
	r->copy = malloc(max + COPY_SLACK);
	if (!r->copy) {
		snprintf(r->err, sizeof(r->err), "out of memory for a %zu-byte "
			 "ring copy", max);
		return -1;
	}
	memset(r->copy + max, 0, COPY_SLACK);
	r->copy_size = max;
	return 0;
}

void rs_reader_free(struct rs_reader *r)
{
	free(r->copy);
	r->copy = NULL;
}

static void anomaly(struct rs_reader *r, unsigned cpu, const char *what)
{
	r->anomalies++;
	r->cpu[cpu].stats.rejected++;
	snprintf(r->err, sizeof(r->err), "cpu %u: %s", cpu, what);
}

/* Restore a value's high bits from `approx`, a full-width reading taken
 * just after the packed low `bits` were: the true value is the one nearest
 * to it with those low bits. */
static uint64_t unwrap(uint64_t low, uint64_t approx, unsigned bits)
{
	const uint64_t mask = (1ull << bits) - 1;
	const uint64_t behind = (approx - low) & mask;

	if (behind < (1ull << (bits - 1)))
		return approx - behind;
	return approx + (mask + 1 - behind);
}

/* Read (head, head_written) as the pair the outermost writer published:
 * one load of head_pair, then the full-width words for the high bits.
 * Returns -1 if the pair is further ahead of those words than one lap:
 * the writer stores the pair just before them, so an honest pair leads
 * by one publication at most, while a lying one could otherwise move
 * `pos` terabytes ahead and blind the reader for good. */
static int read_published(struct rs_reader *r, unsigned cpu, uint64_t *head,
			  uint64_t *n)
{
	const volatile struct rs_cpu_ring *cr =
		&((const volatile struct rs_header *)r->region)->cpu[cpu];

	const uint64_t pair = cr->head_pair;
	RMB();
	const uint64_t head_now = cr->head, n_now = cr->head_written;
	const uint64_t head_units = unwrap(pair & ((1ull << RS_PAIR_HEAD_BITS) - 1),
					   head_now >> 3, RS_PAIR_HEAD_BITS);
	*head = head_units << 3;
	*n = unwrap(pair >> RS_PAIR_HEAD_BITS, n_now, RS_PAIR_COUNT_BITS);
	const uint64_t lap = r->layout.cpu[cpu].data_size;
	if (*head > head_now && *head - head_now > lap)
		return -1;
	if (*n > n_now && *n - n_now > lap / RS_PAD_MIN)
		return -1;
	return 0;
}

/* Copy ring bytes [from, to) (to - from <= data_size) out of guest memory
 * into r->copy, unwrapping the ring. */
static void copy_out(struct rs_reader *r, unsigned cpu, uint64_t from,
		     uint64_t to)
{
	const uint64_t size = r->layout.cpu[cpu].data_size;
	const volatile uint8_t *data = r->region + r->layout.cpu[cpu].data_offset;
	const uint64_t len = to - from, off = from & (size - 1);
	const uint64_t first = len < size - off ? len : size - off;

	memcpy(r->copy, (const void *)(data + off), first);
	memcpy(r->copy + first, (const void *)data, len - first);
}

/* Where events go: one at a time (rs_reader_poll) or in arrays
 * (rs_reader_poll_batch). Both are fed by the same decoding loop. */
struct sink {
	rs_event_cb one;
	rs_batch_cb many;
	void *opaque;
};

/* Hand ev[0..n) to the sink; returns how many went out (the one a
 * per-event callback refused included) and the callback's value. */
static inline size_t emit(const struct sink *sk, const struct rs_event *ev,
			  size_t n, int *ret)
{
	if (sk->many) {
		*ret = sk->many(sk->opaque, ev, n);
		return n;
	}
	size_t i = 0;
	while (i < n && !*ret)
		*ret = sk->one(sk->opaque, &ev[i++]);
	return i;
}

static int deliver_lost(struct rs_reader *r, unsigned cpu, uint64_t count,
			uint64_t from_tsc, uint64_t to_tsc,
			const struct sink *sk, long *delivered)
{
	struct rs_event ev = {
		.seq = UINT64_MAX, .tsc = from_tsc, .type = RS_EV_LOST,
		.cpu = (uint16_t)cpu, .a = count, .b = from_tsc, .c = to_tsc,
	};
	r->cpu[cpu].stats.lost += count;
	int ret = 0;
	*delivered += (long)emit(sk, &ev, 1, &ret);
	return ret;
}

/* Bytes readable from copy offset `off` without crossing a chunk boundary
 * or the end of what was copied. Chunk boundaries are ring positions, and
 * the copy starts at ring position `start`, which need not be aligned. */
static size_t chunk_limit(uint64_t start, size_t off, size_t end,
			  uint64_t chunk)
{
	size_t chunk_end = (size_t)(((start + off) | (chunk - 1)) + 1 - start);
	return (chunk_end < end ? chunk_end : end) - off;
}

/*
 * Count the records in copy[off, end) that parse, stopping at the first
 * invalid one. Used only after a loss, to number the records that follow
 * the gap: they are the last `k` of the N the writer published.
 */
static uint64_t count_records(const struct rs_reader *r, uint64_t start,
			      size_t off, size_t end, uint64_t chunk,
			      size_t *stop)
{
	struct rs_event ev;
	char scratch[RS_MAX_RECORD + 1];
	uint64_t k = 0;

	while (off < end) {
		size_t lim = chunk_limit(start, off, end, chunk);
		size_t sz = rs_decode_record(r->copy + off, lim, &ev, scratch);
		if (sz == 0)
			break;
		if (ev.type != RS_EV_PAD)
			k++;
		off += sz;
	}
	*stop = off;
	return k;
}

/* Records decoded ahead of delivery. Decoding a run of records in a loop
 * with no call in it keeps the loop's state in registers; the callback
 * then runs over the finished events. 64 events are 5 KiB, in L1. */
#define BATCH 64

/*
 * Decode records from copy[*offp, end), where copy[0] is ring position
 * `start`, into ev[], numbered from seq: at most BATCH, across chunk
 * boundaries, each bounded by the end of its chunk (*stopp, carried
 * between calls). Stops after a string cut into strbuf (the next would
 * overwrite it) and at an invalid record, with *bad set and *offp on it.
 * PAD is decoded into the next slot and not counted, so the slot is
 * reused. Out of line and free of calls on its hot path, so its state
 * lives in registers.
 */
static __attribute__((noinline)) size_t
decode_batch(const uint8_t *copy, char *strbuf, uint64_t start, size_t *offp,
	     size_t *stopp, size_t end, uint64_t chunk, uint16_t cpu,
	     uint64_t seq, struct rs_event *ev, int *bad)
{
	size_t off = *offp, stop = *stopp, k = 0;
	int used = 0;

	while (k < BATCH && !used) {
		if (off >= stop) {
			if (off >= end)
				break;
			stop = off + chunk_limit(start, off, end, chunk);
		}
		const size_t sz = decode_record(copy + off, stop - off, &ev[k],
						strbuf, 1, &used, cpu, seq + k);
		if (sz == 0) {
			*bad = 1;
			break;
		}
		off += sz;
		k += ev[k].type != RS_EV_PAD;
	}
	*offp = off;
	*stopp = stop;
	return k;
}

/*
 * Deliver the records of copy[off, end), where copy[0] is ring position
 * `start`, numbering them from *seq. PAD is skipped; an invalid record
 * skips to the next chunk, where records start again. Returns 0, or the
 * callback's non-zero value: the record it stopped at still counts as
 * delivered, and *resume is the copy offset just past it, where the next
 * poll must start so that nothing is delivered twice or skipped.
 *
 * Ring positions [pf, pf_end) are what the next window will copy: as
 * each batch is decoded, as many bytes of it are prefetched, so the next
 * copy finds them in cache instead of waiting on memory with nothing
 * else to do. A prefetch is only a hint (it never faults, and nothing
 * read through it is trusted: the copy is checked as always); it stays
 * inside the ring, below the published head.
 */
static int deliver_span(struct rs_reader *r, unsigned cpu, uint64_t start,
			size_t off, size_t end, uint64_t chunk, uint64_t *seqp,
			const struct sink *sk, long *delivered, uint64_t pf,
			uint64_t pf_end, size_t *resume)
{
	const uint64_t ring = r->layout.cpu[cpu].data_size;
	const volatile uint8_t *data =
		r->region + r->layout.cpu[cpu].data_offset;
	struct rs_reader_cpu *rc = &r->cpu[cpu];
	struct rs_event ev[BATCH];
	uint64_t seq = *seqp;
	size_t stop = off;
	int ret = 0;

	while (off < end) {
		int bad = 0;
		const size_t was = off;
		const size_t k = decode_batch(r->copy, r->strbuf, start, &off,
					      &stop, end, chunk, (uint16_t)cpu,
					      seq, ev, &bad);
		for (const uint64_t lim = pf + (off - was);
		     pf < lim && pf < pf_end; pf += 64)
			__builtin_prefetch((const void *)(data +
							  (pf & (ring - 1))));
		const size_t i = k ? emit(sk, ev, k, &ret) : 0;
		seq += i;
		rc->stats.accepted += i;
		*delivered += (long)i;
		if (i)
			rc->last_tsc = ev[i - 1].tsc;
		if (ret) {
			/* emit hands out at least one event before a stop;
			 * every event lies in the copy (decode_record) */
			assert(i >= 1 && ev[i - 1].raw >= r->copy);
			*resume = (size_t)(ev[i - 1].raw - r->copy) +
				  ev[i - 1].raw_size;
			break;
		}
		if (bad) {
			anomaly(r, cpu, "invalid record; skipped to the next "
				"chunk");
			off = stop;
		}
	}
	*seqp = seq;
	return ret;
}

/* What the reader may trust of a copy made before it read `reserve`:
 * the writer reuses ring position q only after reserving past
 * q + data_size, so bytes at positions >= reserve - data_size were not
 * touched during the copy (RING.md, "Why the copy is trustworthy"). */
static uint64_t intact_from(const volatile struct rs_cpu_ring *cr,
			    uint64_t head, uint64_t size)
{
	uint64_t reserve = cr->reserve;
	if (reserve < head)
		reserve = head;  /* a lie; the data below head is ours */
	return reserve > size ? reserve - size : 0;
}

/* The reader copies and checks a live ring this many bytes at a time
 * (rounded down to a chunk boundary, so no record spans two copies).
 * Copying a whole lap first, then decoding it, sent every byte through
 * memory three times and faulted in a lap-sized buffer on the first
 * poll; a window this size stays in the L2 cache between the copy and
 * the decode. It must be at least the largest chunk (32 KiB). */
#define COPY_WINDOW (128u * 1024)

/*
 * A callback stopped the poll: the reader keeps its place right after the
 * event it stopped at (ring position `pos`, `seen` records accounted for),
 * as if the poll had ended there, so the next one resumes exactly. The
 * value returned is negative, never a count (rs_decode.h).
 */
static long stopped(struct rs_reader_cpu *rc, uint64_t pos, uint64_t seen,
		    int cb_ret)
{
	assert(cb_ret != 0);
	rc->pos = pos;
	rc->seen = seen;
	return cb_ret < 0 ? cb_ret : -(long)cb_ret;
}

/*
 * One poll of one CPU, in RING.md's steps ("The reader"). `at` is the
 * ring position delivered up to in this poll and `seq` the records
 * accounted for below it: together they are what a reader that had
 * stopped at `at` would hold in (pos, seen).
 */
struct poll_cpu {
	struct rs_reader *r;
	unsigned cpu;
	const struct sink *sk;
	const volatile struct rs_cpu_ring *cr;
	uint64_t size, chunk;   /* the ring's data_size and chunk_size */
	uint64_t head, n;       /* step 1: what the writer published */
	uint64_t at, seq;
	uint64_t intact;        /* positions >= this survived the copy */
	int copied;             /* step 2's last copy reached head */
	long delivered;
};

/* Step 2: stream, while we still have our place: copy a window, re-read
 * the reservation point, and deliver the window only if none of it can
 * have been reused during its copy. Each window is checked on its own,
 * exactly as a whole-lap copy is, so what is delivered is what was
 * written. Returns a callback's stop (rs_reader_cpu updated) or 0. */
static long poll_stream(struct poll_cpu *p)
{
	struct rs_reader_cpu *rc = &p->r->cpu[p->cpu];
	size_t resume = 0;

	if (p->head - p->at > p->size)
		return 0;   /* lapped before this poll: step 3 */
	while (p->at < p->head) {
		uint64_t to = (p->at + COPY_WINDOW) & ~(p->chunk - 1);
		if (to > p->head)
			to = p->head;
		copy_out(p->r, p->cpu, p->at, to);
		RMB();
		p->intact = intact_from(p->cr, p->head, p->size);
		if (p->intact > p->at) {
			/* Overwritten under us: the rest is a gap, handled
			 * as after a lap. If this copy reached head it is
			 * the whole-lap copy step 3 would make. */
			p->copied = to == p->head;
			return 0;
		}
		int cb = deliver_span(p->r, p->cpu, p->at, 0,
				      (size_t)(to - p->at), p->chunk, &p->seq,
				      p->sk, &p->delivered, to, p->head,
				      &resume);
		if (cb)
			return stopped(rc, p->at + resume, p->seq, cb);
		p->at = to;
	}
	return 0;
}

/* Step 3, its gap: the records that survived in copy[off, end) are the
 * last of the n below head, so those between seq and the first of them
 * are lost; deliver that LOST and number on from there. */
static long poll_count_gap(struct poll_cpu *p, uint64_t start, size_t off,
			   size_t end)
{
	struct rs_reader *r = p->r;
	struct rs_reader_cpu *rc = &r->cpu[p->cpu];
	size_t stop;
	uint64_t k = count_records(r, start, off, end, p->chunk, &stop);
	uint64_t first = p->n >= k ? p->n - k : 0;

	if (stop != end)
		first = p->seq;   /* corrupt: cannot number */
	if (first < p->seq)
		first = p->seq;
	if (first > p->seq) {
		uint64_t to_tsc = 0;
		struct rs_event ev;
		if (off < end && rs_decode_record(r->copy + off, end - off,
						  &ev, r->strbuf))
			to_tsc = ev.tsc;
		int cb = deliver_lost(r, p->cpu, first - p->seq,
				      rc->last_tsc ? rc->last_tsc
						   : r->layout.boot_tsc,
				      to_tsc, p->sk, &p->delivered);
		/* the gap is counted: resume after it */
		if (cb)
			return stopped(rc, start + off, first, cb);
	}
	p->seq = first;
	return 0;
}

/* Step 3: we lost our place (the writer lapped us before or during this
 * poll). Copy what the writer published since `at`, at most one lap,
 * re-read the reservation point, count the gap, and deliver from the
 * first chunk start that survived: records never span chunks. */
static long poll_catch_up(struct poll_cpu *p)
{
	struct rs_reader_cpu *rc = &p->r->cpu[p->cpu];
	const uint64_t start = p->head - p->at > p->size ? p->head - p->size
							 : p->at;
	size_t resume = 0;

	if (!p->copied) {
		copy_out(p->r, p->cpu, start, p->head);
		RMB();
		p->intact = intact_from(p->cr, p->head, p->size);
	}
	uint64_t from = p->at;
	if (p->intact > from || start > from) {
		uint64_t lo = p->intact > start ? p->intact : start;
		from = (lo + p->chunk - 1) & ~(p->chunk - 1);
	}
	const size_t off = from >= p->head ? (size_t)(p->head - start)
					   : (size_t)(from - start);
	const size_t end = (size_t)(p->head - start);
	if (from != p->at) {
		long stop = poll_count_gap(p, start, off, end);
		if (stop)
			return stop;
	}
	int cb = deliver_span(p->r, p->cpu, start, off, end, p->chunk, &p->seq,
			      p->sk, &p->delivered, 0, 0, &resume);
	if (cb)
		return stopped(rc, start + resume, p->seq, cb);
	return 0;
}

/* Step 5: every record below head is now either delivered or counted
 * lost, exactly. */
static long poll_account(struct poll_cpu *p)
{
	struct rs_reader_cpu *rc = &p->r->cpu[p->cpu];

	if (p->n >= p->seq) {
		if (p->n > p->seq) {
			/* Records the writer published that did not parse:
			 * only a lying guest gets here. They are still
			 * counted, never silently gone. */
			anomaly(p->r, p->cpu, "published records that did "
				"not decode");
			int cb = deliver_lost(p->r, p->cpu, p->n - p->seq,
					      rc->last_tsc, rc->last_tsc, p->sk,
					      &p->delivered);
			if (cb)
				return stopped(rc, p->head, p->n, cb);
		}
		rc->seen = p->n;
	} else {
		anomaly(p->r, p->cpu, "more records than the writer "
			"published");
		rc->seen = p->seq;
	}
	rc->pos = p->head;
	return 0;
}

/* Step 6: in discard mode the writer counted what it dropped; report the
 * new drops once, after the records that preceded them. */
static long poll_discarded(struct poll_cpu *p)
{
	struct rs_reader_cpu *rc = &p->r->cpu[p->cpu];
	uint64_t dropped = p->cr->dropped;

	if (p->r->layout.mode != RS_MODE_DISCARD || dropped <= rc->dropped_seen)
		return 0;
	uint64_t first = p->cr->first_drop_tsc;
	int cb = deliver_lost(p->r, p->cpu, dropped - rc->dropped_seen,
			      first ? first : rc->last_tsc, rc->last_tsc,
			      p->sk, &p->delivered);
	rc->dropped_seen = dropped;
	if (cb)   /* pos and seen are final already */
		return stopped(rc, rc->pos, rc->seen, cb);
	return 0;
}

/* Events delivered (LOST included), or a callback's stop (negative). */
static long poll_cpu(struct rs_reader *r, unsigned cpu,
		     const struct sink *sk)
{
	struct rs_reader_cpu *rc = &r->cpu[cpu];
	struct poll_cpu p = {
		.r = r, .cpu = cpu, .sk = sk,
		.cr = &((const volatile struct rs_header *)r->region)->cpu[cpu],
		.size = r->layout.cpu[cpu].data_size,
		.chunk = r->layout.cpu[cpu].chunk_size,
	};
	long stop;

	assert(cpu < r->layout.ncpus);
	/* Step 1: what the writer published, checked against our place. */
	if (read_published(r, cpu, &p.head, &p.n) != 0) {
		anomaly(r, cpu, "packed head pair contradicts the published head");
		return 0;
	}
	if (p.head < rc->pos || p.n < rc->seen) {
		anomaly(r, cpu, "published position went backwards");
		return 0;
	}
	if (p.head > rc->pos) {
		p.at = rc->pos;
		p.seq = rc->seen;
		if ((stop = poll_stream(&p)) != 0 ||
		    (p.at < p.head && (stop = poll_catch_up(&p)) != 0) ||
		    (stop = poll_account(&p)) != 0)
			return stop;
	}
	if ((stop = poll_discarded(&p)) != 0)
		return stop;
	return p.delivered;
}

static long poll(struct rs_reader *r, const struct sink *sk)
{
	long total = 0;

	for (unsigned cpu = 0; cpu < r->layout.ncpus; cpu++) {
		long got = poll_cpu(r, cpu, sk);
		if (got < 0)
			return got;
		total += got;
	}
	return total;
}

long rs_reader_poll(struct rs_reader *r, rs_event_cb cb, void *opaque)
{
	assert(r && cb);
	const struct sink sk = { .one = cb, .opaque = opaque };
	return poll(r, &sk);
}

long rs_reader_poll_batch(struct rs_reader *r, rs_batch_cb cb, void *opaque)
{
	assert(r && cb);
	const struct sink sk = { .many = cb, .opaque = opaque };
	return poll(r, &sk);
}
