/*
 * clock.h - a record's tsc into ns for the loader's fetch threads
 * (model_fetch.c): the ns rs_tsc_to_ns gives (formats/contract), which
 * divides a 128-bit product by tsc_hz for every record (__udivti3, 2 %
 * of a 100 M-event open's samples), got by multiplying with a reciprocal
 * fixed once per trace instead, and proven the same ns record by record
 * with two more multiplies; rs_tsc_to_ns itself where not.
 */
#ifndef RV_CLOCK_H
#define RV_CLOCK_H

#include <stdint.h>

#include "rs_decode.h"

typedef struct {
	const struct rs_layout *l;
	uint64_t whole;   /* 1e9 / tsc_hz */
	uint64_t frac;    /* 2^64 (1e9 % tsc_hz) / tsc_hz, rounded down */
} rv_clock;

static inline void rv_clock_init(rv_clock *c, const struct rs_layout *l)
{
	c->l = l;
	c->whole = c->frac = 0;
	if (l->tsc_hz) {
		c->whole = 1000000000u / l->tsc_hz;
		c->frac = (uint64_t)(((unsigned __int128)(1000000000u %
							  l->tsc_hz) << 64) /
				     l->tsc_hz);
	}
}

/*
 * rs_tsc_to_ns(c->l, tsc). With d = tsc - boot_tsc and hz = tsc_hz, the
 * ns are floor(d 1e9 / hz), the one q with q hz <= d 1e9 < (q + 1) hz.
 * q = d whole + floor(d frac / 2^64) is that or one less (frac is under
 * 2^64 (1e9 % hz) / hz by less than one, so d frac / 2^64 is under
 * d (1e9 % hz) / hz by less than d / 2^64 < 1), and the remainder
 * d 1e9 - q hz tells which: the test is exact in 128 bits (d 1e9 <
 * 2^94), so a q it passes is the quotient whatever the estimate was.
 * Where q would not fit 64 bits (rs_tsc_to_ns saturates), or before the
 * boot, rs_tsc_to_ns answers.
 */
static inline uint64_t rv_clock_ns(const rv_clock *c, uint64_t tsc)
{
	const uint64_t hz = c->l->tsc_hz;
	uint64_t w, q;
	if (tsc <= c->l->boot_tsc || !hz)
		return rs_tsc_to_ns(c->l, tsc);
	const uint64_t d = tsc - c->l->boot_tsc;
	if (__builtin_mul_overflow(d, c->whole, &w) ||
	    __builtin_add_overflow(w, (uint64_t)(((unsigned __int128)d *
						   c->frac) >> 64), &q))
		return rs_tsc_to_ns(c->l, tsc);
	const unsigned __int128 num = (unsigned __int128)d * 1000000000u;
	const unsigned __int128 below = (unsigned __int128)q * hz;
	if (below > num)
		return rs_tsc_to_ns(c->l, tsc);
	unsigned __int128 rem = num - below;
	if (rem >= hz && q < UINT64_MAX) {
		q++;
		rem -= hz;
	}
	return rem < hz ? q : rs_tsc_to_ns(c->l, tsc);
}

#endif
