/*
 * rs_decode_internal.h - what the decoder's three files share and nobody
 * else may use: the record decoder's fast path (inlined into the reader's
 * hot loop, rs_reader.c, and behind rs_decode_record, rs_decode.c) and
 * the memory-order helpers for reading guest memory.
 */
#ifndef RS_DECODE_INTERNAL_H
#define RS_DECODE_INTERNAL_H

#include "rs_decode.h"

#include <stdint.h>
#include <string.h>

/* What the decoder checks per type, 32 bytes an entry so the hot loop
 * indexes it with a shift: a record of the type is valid iff
 * size - min < lim (unsigned). Types a guest may not write (unknown
 * ones, and LOST) have lim = 0, which nothing passes. The rule follows
 * from the event table (rs_decode.c builds it): header and arguments,
 * plus the NUL of a string, never above RS_MAX_RECORD; PAD alone may be
 * as small as RS_PAD_MIN and fill the rest of a chunk past
 * RS_MAX_RECORD. `keep` masks the three argument words: all ones for
 * those the type has, zero for absent ones, so loading all three and
 * masking costs no branch on the count. The table is defined in
 * rs_decode.c and read from rs_reader.c's hot loop: its 32-byte alignment
 * is in the type, so that loop knows the masks are aligned and ANDs them
 * straight from the table (an extern table of unknown alignment cost a
 * separate unaligned load, one more instruction a record). */
struct rule {
	_Alignas(32) uint64_t keep[3];
	uint16_t min, lim;
	uint8_t nargs, has_str;
};
_Static_assert(sizeof(struct rule) == 32 && _Alignof(struct rule) == 32,
	       "rule is indexed by a shift, its masks read aligned");
extern const struct rule rs_decode_rules[RS_EV_TYPE_LIMIT];

/* The smallest record of a type with n arguments. */
#define FIXED_MIN(n)  (RS_RECORD_HDR + 8u * (n))

#define RMB() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define VREAD(x) (*(const volatile __typeof__(x) *)&(x))

/* ---- records ----------------------------------------------------------- */

/* Bytes the reader keeps readable past the end of its copy, so the fast
 * path can load the first word, the timestamp and all three argument
 * words of a record unconditionally (40 bytes from any p inside the
 * copy, aligned or not) and keep only what its type has: no branch on
 * the argument count, and never a read outside the reader's own buffer. */
#define COPY_SLACK 40u

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* A valid record has type < RS_EV_TYPE_LIMIT (bits 7-15 of its first
 * word clear) and a size that is a multiple of 8 (bits 16-18 clear):
 * one test for both. */
_Static_assert((RS_EV_TYPE_LIMIT & (RS_EV_TYPE_LIMIT - 1)) == 0 &&
	       RS_EV_TYPE_LIMIT <= 0x8000, "type limit must be a power of two");
#define W0_BAD_BITS ((uint64_t)(0xffffu & ~(RS_EV_TYPE_LIMIT - 1)) | (7ull << 16))

/*
 * The record decoder: rs_decode_record and the reader's hot loop both
 * inline this one function, so there is one set of checks. `slack` is a
 * constant: nonzero when p lies in the reader's own copy, with
 * COPY_SLACK readable bytes after its end. That changes how fields are
 * loaded and where strings are handed out, never what is accepted.
 * With slack, a string that is NUL-terminated inside its record is
 * delivered where it lies (the reader's scratch copy, as struct rs_event
 * promises); only one without a NUL (a lying guest) is cut into strbuf,
 * and *strbuf_used says so, since strbuf holds one string at a time.
 * Every load from p happens before any store to ev: p is bytes, which
 * may alias anything, so a store in between would force reloads.
 */
static inline __attribute__((always_inline)) size_t
decode_record(const uint8_t *p, size_t avail, struct rs_event *ev,
	      char *strbuf, const int slack, int *strbuf_used, uint16_t cpu,
	      uint64_t seq)
{
	/* With slack the first word is readable even past avail, and the
	 * size check below rejects what does not fit. */
	if (!slack && avail < RS_PAD_MIN)
		return 0;
	const uint64_t w0 = load64(p);
	const size_t size = (uint16_t)(w0 >> 16);
	if (w0 & W0_BAD_BITS)
		return 0;
	const unsigned type = (unsigned)w0 & (RS_EV_TYPE_LIMIT - 1);
	const struct rule *ru = &rs_decode_rules[type];
	/* Type known, guest-writable, size within its bounds (so >= 8),
	 * and within what is readable. */
	if (size - ru->min >= ru->lim || size > avail)
		return 0;

	/* size >= min >= 16 + 8 * nargs for every type but PAD (8 bytes,
	 * no timestamp): the words kept below are inside the record. */
	const int pad = type == RS_EV_PAD;
	uint64_t tsc, a, b, c;
	if (slack) {
		const uint64_t t = load64(p + 8);
		tsc = pad ? 0 : t;
		a = load64(p + 16) & ru->keep[0];
		b = load64(p + 24) & ru->keep[1];
		c = load64(p + 32) & ru->keep[2];
	} else {
		const unsigned nargs = ru->nargs;
		tsc = pad ? 0 : load64(p + 8);
		a = nargs >= 1 ? load64(p + 16) : 0;
		b = nargs >= 2 ? load64(p + 24) : 0;
		c = nargs >= 3 ? load64(p + 32) : 0;
	}
	ev->seq = seq;
	ev->tsc = tsc;
	ev->type = (uint16_t)type;
	ev->cpu = cpu;
	ev->ctx = (uint32_t)(w0 >> 32);
	ev->a = a;
	ev->b = b;
	ev->c = c;
	ev->str = NULL;
	ev->str_len = 0;
	ev->raw = p;
	ev->raw_size = (uint32_t)size;
	if (__builtin_expect(ru->has_str, 0)) {
		const size_t fixed = FIXED_MIN(ru->nargs);
		const uint8_t *s = p + fixed;
		const uint8_t *nul = memchr(s, 0, size - fixed);
		if (slack && nul) {
			ev->str = (const char *)s;
			ev->str_len = (uint32_t)(nul - s);
		} else {
			const size_t n = nul ? (size_t)(nul - s) : size - fixed;
			memcpy(strbuf, s, n);
			strbuf[n] = '\0';
			ev->str = strbuf;
			ev->str_len = (uint32_t)n;
			*strbuf_used = 1;
		}
	}
	return size;
}

#endif
