/*
 * guest_trace.h - the guest-side trace writer.
 *
 * A freestanding library: it needs <stdint.h>, <stddef.h> and the embedding
 * kernel's memcpy/memset, nothing else. It writes the region described in
 * formats/contract/ringside_ring.h using the protocol in formats/contract/RING.md.
 *
 * The emit path is inline because it is the hottest code in the project: a
 * call through a library boundary would cost as much as the emit itself.
 * One CPU's ring has exactly one writer context at a time *except* for
 * interrupt nesting: an interrupt handler may emit while thread code on the
 * same CPU is halfway through an emit. The reserve/commit protocol below is
 * built for exactly that case, and needs no locks and no disabled interrupts.
 * Different CPUs never write the same ring.
 */
#ifndef GUEST_TRACE_H
#define GUEST_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "ringside_ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Layout request for gt_region_init(). */
struct gt_config {
	uint64_t region_gpa;     /* guest-physical address of `base` */
	uint64_t region_size;    /* bytes available at `base`, page multiple */
	uint32_t ncpus;          /* 1..RS_MAX_CPUS */
	uint32_t mode;           /* enum rs_mode */
	uint32_t chunk_size;     /* 0 = default (data_size / 16, <= 32 KiB) */
	uint64_t nonce;          /* must differ on every boot */
	uint64_t tsc_hz;
	uint64_t boot_tsc;
	uint64_t boot_wall_ns;   /* 0 if the guest has no wall clock */
	/* How the clocks were calibrated (ringside_ring.h, line 1); 0 for
	 * unknown. */
	uint32_t tsc_source;     /* enum rs_clock_source */
	uint32_t tick_method;    /* enum rs_tick_method */
	uint32_t tick_hz;
	uint64_t timer_hz;
	/* 1: with several CPUs, keep a page after the header for every
	 * CPU's registers on a panic (gt_cpu_regs_set); it comes out of the
	 * rings' share of region_size. 0: no such page. */
	uint32_t cpu_regs;
};

/*
 * Lays out the header and one power-of-two ring per CPU inside
 * [base, base + region_size), zeroes it, and writes the magic last.
 * Returns 0, or -1 if the request cannot fit (region too small, bad ncpus).
 */
int gt_region_init(void *base, const struct gt_config *cfg);

/* Liveness and state, written by the timer tick and by state changes. */
void gt_set_state(struct rs_header *h, uint32_t state);
void gt_heartbeat(struct rs_header *h, uint64_t ticks, uint64_t tsc);
/* CPU `cpu`'s own heartbeat (its ring's hb_ticks / hb_tsc): a kernel on
 * several CPUs calls it from each CPU's tick, so a host can tell one
 * stuck CPU from a hung guest. */
void gt_heartbeat_cpu(struct rs_header *h, unsigned cpu, uint64_t ticks,
		      uint64_t tsc);
/* CPU `cpu`'s registers as a panic on another CPU stopped it (state
 * RS_CPU_REGS_STOPPED), or that it did not answer (NO_ANSWER, regs may
 * be NULL), or the panicking CPU's own (PANICKED). State is written
 * last. -1 if the region has no register page (one CPU) or cpu is out of
 * range. */
int gt_cpu_regs_set(struct rs_header *h, unsigned cpu, uint32_t state,
		    uint64_t tsc, const uint64_t regs[RS_REG_COUNT]);
/* A stall (every thread blocked, nothing can wake one) found at `tsc`
 * with `nthreads` blocked; nthreads == 0 clears it (a thread ran again). */
void gt_set_stall(struct rs_header *h, uint64_t tsc, uint64_t nthreads);

/*
 * The panic record. gt_panic_begin() returns the slot to fill (or NULL if a
 * panic is already being recorded and this one must not overwrite it: the
 * depth counter still records that it happened). gt_panic_commit() marks it
 * valid and sets the state to crashed, in that order.
 */
struct rs_panic *gt_panic_begin(struct rs_header *h);
void gt_panic_commit(struct rs_header *h, struct rs_panic *p);

/* ---- the emit path ---------------------------------------------------- */

#define gt_barrier() __asm__ __volatile__("" ::: "memory")
/* The fast path is inlined at every trace point whatever the compiler's
 * size heuristics say: an outlined emit costs a call, its argument
 * moves and a frame that save and restore six registers (pingpong: +9
 * instructions a record). */
#define GT_INLINE static inline __attribute__((always_inline))

static inline uint64_t gt_rdtsc(void)
{
#if defined(__x86_64__)
	/* In 64-bit mode rdtsc clears the upper halves of rax and rdx, so
	 * taking them as 64-bit outputs spares a zero extension. */
	uint64_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (hi << 32) | lo;
#else
#error "guest-trace needs a cycle counter for this architecture"
#endif
}

/*
 * "Local" atomics: atomic with respect to interrupts on this CPU, not with
 * respect to other CPUs. A single read-modify-write instruction without the
 * lock prefix is exactly that on x86, and costs a fraction of a locked one.
 * Each CPU owns its ring, so this is all the writer needs.
 */
static inline void gt_local_inc32(uint32_t *p)
{
	__asm__ __volatile__("incl %0" : "+m"(*p) :: "memory");
}

static inline void gt_local_dec32(uint32_t *p)
{
	__asm__ __volatile__("decl %0" : "+m"(*p) :: "memory");
}

static inline void gt_local_inc64(uint64_t *p)
{
	__asm__ __volatile__("incq %0" : "+m"(*p) :: "memory");
}

/* Success is cmpxchg's ZF, taken as a flag output: no compare after. */
static inline int gt_local_cas64(uint64_t *p, uint64_t old, uint64_t val)
{
	int ok;
	__asm__ __volatile__("cmpxchgq %3, %1"
			     : "=@ccz"(ok), "+m"(*p), "+a"(old)
			     : "r"(val)
			     : "memory");
	return ok;
}

/* *p == v, read once (as GT_READ_ONCE), compared straight from memory. */
static inline int gt_eq32(const uint32_t *p, uint32_t v)
{
	int eq;
	__asm__ __volatile__("cmpl %2, %1" : "=@ccz"(eq) : "m"(*p), "ir"(v));
	return eq;
}

static inline int gt_eq64(const uint64_t *p, uint64_t v)
{
	int eq;
	__asm__ __volatile__("cmpq %2, %1" : "=@ccz"(eq) : "m"(*p), "r"(v));
	return eq;
}

#define GT_READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define GT_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/*
 * RS_PAIR_PACK(head, n), computed in fewer instructions: head << 21 keeps
 * head's bits 0..42 at 21..63, and >> 24 leaves bits 3..42 at 0..39,
 * which is (head >> 3) mod 2^40; n << 40 keeps n mod 2^24 above them.
 * tests/formats/test_ring.c checks it against the macro.
 */
GT_INLINE uint64_t gt_pair_pack(uint64_t head, uint64_t n)
{
	_Static_assert(RS_PAIR_HEAD_BITS == 40 && RS_PAIR_COUNT_BITS == 24,
		       "gt_pair_pack is written for a 40/24 split");
#if defined(__x86_64__)
	/* shrd fills the top 24 bits from n's low ones in one instruction */
	uint64_t x = head << 21;
	__asm__("shrdq $24, %1, %0" : "+r"(x) : "r"(n) : "cc");
	return x;
#else
	return ((head << 21) >> 24) | (n << 40);
#endif
}

GT_INLINE void gt_publish(struct rs_cpu_ring *r, uint64_t res, uint64_t n)
{
	GT_WRITE_ONCE(r->head_pair, gt_pair_pack(res, n));
	GT_WRITE_ONCE(r->head, res);
	GT_WRITE_ONCE(r->head_written, n);
}

/*
 * Publish: only the outermost writer on a CPU publishes, so `head` never
 * moves backwards. It snapshots (reserve, written) as a consistent pair --
 * any interrupt that emits between the two loads changes `reserve`, so the
 * loop retries -- and stores the pair packed into one word (head_pair), so
 * a reader on another CPU gets both halves from a single load, without a
 * retry loop a fast writer could starve. After dropping its nesting level
 * it re-checks `reserve`: an interrupt that reserved after the snapshot but
 * before the decrement was nested, did not publish, and would otherwise
 * stay invisible until the next emit.
 * x86 is TSO, so store->store order needs only the compiler barrier: the
 * record bytes are visible before the head that covers them.
 */
static inline void gt_commit(struct rs_cpu_ring *r)
{
	for (;;) {
		if (GT_READ_ONCE(r->nesting) != 1) {
			gt_local_dec32(&r->nesting);
			return;
		}
		uint64_t res, n;
		do {
			res = GT_READ_ONCE(r->reserve);
			gt_barrier();
			n = GT_READ_ONCE(r->written);
			gt_barrier();
		} while (res != GT_READ_ONCE(r->reserve));

		gt_publish(r, res, n);

		gt_local_dec32(&r->nesting);
		gt_barrier();
		if (GT_READ_ONCE(r->reserve) == res)
			return;
		gt_local_inc32(&r->nesting);
	}
}

/*
 * gt_commit for a writer whose own compare-and-swap set `reserve` to
 * `end`. If `reserve` still reads `end` after `written` was loaded, it
 * read `end` before that load too (at the swap), and it only grows: so
 * nothing reserved in between, and (end, written) is the consistent pair
 * gt_commit's loop would have found, without its first load. Anything
 * unusual (a nested writer, an interrupt that reserved since the swap)
 * takes gt_commit's general path.
 */
GT_INLINE void gt_commit_end(struct rs_cpu_ring *r, uint64_t end)
{
	if (__builtin_expect(gt_eq32(&r->nesting, 1), 1)) {
		uint64_t n = GT_READ_ONCE(r->written);
		gt_barrier();
		if (__builtin_expect(gt_eq64(&r->reserve, end), 1)) {
			gt_publish(r, end, n);
			gt_local_dec32(&r->nesting);
			gt_barrier();
			if (__builtin_expect(gt_eq64(&r->reserve, end), 1))
				return;
			gt_local_inc32(&r->nesting);
		}
	}
	gt_commit(r);
}

/*
 * Reserve `size` bytes (a multiple of 8, <= chunk size) for a record.
 * Returns the ring offset to write at, or -1 (as uint64) if discard mode
 * dropped it. A record never spans a chunk boundary: if it does not fit in
 * what is left of the current chunk, the rest of the chunk is reserved too
 * and filled with a PAD record, so a reader that lost its place can always
 * resume at the next chunk start.
 * With `now` set, *tsc is read after each load of `reserve`: an interrupt
 * that emits between the two then makes the swap fail, so a record that
 * lands after another on this CPU never has the earlier timestamp.
 */
#define GT_DROPPED ((uint64_t)-1)

static inline uint64_t gt_reserve(struct rs_header *h, struct rs_cpu_ring *r,
				  uint8_t *data, uint32_t size, uint64_t *tsc,
				  int now)
{
	const uint64_t chunk = r->chunk_size;
	const uint64_t mask = r->data_size - 1;
	uint64_t pos, start, end;

	do {
		pos = GT_READ_ONCE(r->reserve);
		gt_barrier();
		if (now)
			*tsc = gt_rdtsc();
		uint64_t room = chunk - (pos & (chunk - 1));
		start = room < size ? pos + room : pos;
		end = start + size;
		if (__builtin_expect(h->mode == RS_MODE_DISCARD, 0) &&
		    end > r->data_size) {
			gt_local_inc64(&r->dropped);
			if (GT_READ_ONCE(r->first_drop_tsc) == 0)
				gt_local_cas64(&r->first_drop_tsc, 0, *tsc);
			return GT_DROPPED;
		}
	} while (!gt_local_cas64(&r->reserve, pos, end));

	if (__builtin_expect(start != pos, 0)) {
		struct rs_record *pad = (struct rs_record *)(data + (pos & mask));
		pad->type = RS_EV_PAD;
		pad->size = (uint16_t)(start - pos);
		pad->ctx = 0;
	}
	return start & mask;
}

static inline struct rs_cpu_ring *gt_ring_of(struct rs_header *h, unsigned cpu)
{
	return &h->cpu[cpu];
}

/* The record header and the fixed arguments: two words plus `nargs`. */
static inline void gt_write_fixed(uint64_t *w, uint16_t type, uint32_t size,
				  uint32_t ctx, uint64_t tsc, unsigned nargs,
				  uint64_t a, uint64_t b, uint64_t c)
{
	w[0] = (uint64_t)type | ((uint64_t)size << 16) | ((uint64_t)ctx << 32);
	w[1] = tsc;
	if (nargs > 0) w[2] = a;
	if (nargs > 1) w[3] = b;
	if (nargs > 2) w[4] = c;
}

/*
 * The rest of an emit that does not take the fast path (gt_emit_tsc):
 * a record that needs a PAD first, or discard mode near its end. Out of
 * line: it is rare, and every trace point inlines the fast path.
 */
void gt_emit_slow(struct rs_header *h, struct rs_cpu_ring *r, uint32_t size,
		  uint64_t tsc, int now, uint16_t type, uint32_t ctx,
		  unsigned nargs, uint64_t a, uint64_t b, uint64_t c);

/*
 * The fixed-size emit: a header and up to three u64 arguments. With a
 * constant `nargs` the compiler folds this to straight-line stores.
 * `tsc` is GT_TSC_NOW to read the TSC inside the nesting section, after
 * the reservation's load of `reserve` (so the records of one CPU are in
 * time order even across interrupts), or a timestamp the caller took
 * (see gt_emit_at).
 * The fast path is the protocol's common case, step for step (RING.md):
 * a record that fits its chunk, not at discard mode's end, swapped in at
 * the first try, then gt_commit_end. Anything else is gt_emit_slow.
 */
#define GT_TSC_NOW UINT64_MAX
GT_INLINE void gt_emit_tsc(struct rs_header *h, unsigned cpu,
			       uint64_t tsc, uint16_t type, uint32_t ctx,
			       unsigned nargs, uint64_t a, uint64_t b,
			       uint64_t c)
{
	struct rs_cpu_ring *r = gt_ring_of(h, cpu);
	const uint32_t size = RS_RECORD_HDR + 8u * nargs;
	const uint64_t chunk = r->chunk_size;
	const int now = tsc == GT_TSC_NOW;
	uint64_t pos;

	gt_local_inc32(&r->nesting);
	gt_barrier();
	do {
		pos = GT_READ_ONCE(r->reserve);
		gt_barrier();
		if (now)
			tsc = gt_rdtsc();
		if (__builtin_expect((pos & (chunk - 1)) + size > chunk ||
				     (h->mode == RS_MODE_DISCARD &&
				      pos + size > r->data_size), 0)) {
			gt_emit_slow(h, r, size, tsc, now, type, ctx, nargs,
				     a, b, c);
			return;
		}
	} while (__builtin_expect(!gt_local_cas64(&r->reserve, pos, pos + size),
				  0));

	uint8_t *data = (uint8_t *)h + r->data_offset;
	gt_write_fixed((uint64_t *)(data + (pos & (r->data_size - 1))), type,
		       size, ctx, tsc, nargs, a, b, c);
	gt_barrier();
	gt_local_inc64(&r->written);
	gt_commit_end(r, pos + size);
}

GT_INLINE void gt_emit(struct rs_header *h, unsigned cpu, uint16_t type,
			   uint32_t ctx, unsigned nargs, uint64_t a, uint64_t b,
			   uint64_t c)
{
	gt_emit_tsc(h, cpu, GT_TSC_NOW, type, ctx, nargs, a, b, c);
}

/* gt_emit with a timestamp the caller took: for a guest whose clock is
 * not the TSC, and for host tools that synthesize a trace (tests,
 * benchmarks). A CPU's records must still come in time order. */
GT_INLINE void gt_emit_at(struct rs_header *h, unsigned cpu, uint64_t tsc,
			      uint16_t type, uint32_t ctx, unsigned nargs,
			      uint64_t a, uint64_t b, uint64_t c)
{
	gt_emit_tsc(h, cpu, tsc, type, ctx, nargs, a, b, c);
}

/* A record with up to two u64 arguments followed by a string (truncated so
 * the record stays within RS_MAX_RECORD). Out of line: strings are rare. */
void gt_emit_str(struct rs_header *h, unsigned cpu, uint16_t type,
		 uint32_t ctx, unsigned nargs, uint64_t a, uint64_t b,
		 const char *s);
/* The same with a timestamp the caller took (as gt_emit_at). */
void gt_emit_str_at(struct rs_header *h, unsigned cpu, uint64_t tsc,
		    uint16_t type, uint32_t ctx, unsigned nargs, uint64_t a,
		    uint64_t b, const char *s);

#ifdef __cplusplus
}
#endif

#endif /* GUEST_TRACE_H */
