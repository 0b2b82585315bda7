/*
 * refclock.c - measuring one clock against another on a vCPU that can be
 * descheduled at any moment: the TSC against the HPET or PIT (tsc.c), the
 * LAPIC timer against the TSC (lapic.c). Declared in pvh.h; free of
 * anything bare-metal but rdtsc, so tests/kernel/test_refclock.c runs it in a
 * Linux process against a reference that stalls on purpose.
 *
 * Every reading of the reference is bracketed by two TSC reads and only
 * narrow brackets are used (ref_sample_best): a preemption between the
 * reference read and the TSC read widens the bracket instead of skewing
 * the time. The window is long against the brackets, and the result is
 * the median of several such estimates. Descheduling in the middle of a
 * window costs nothing: TSC and reference both keep running on the host.
 */
#include "pvh.h"

#include "../../core/klib.h"

/* Each estimate spans a window of at least CAL_WINDOW_US; the median of
 * RUNS accepted estimates (of at most TRIES) is the answer. The brackets
 * at both ends together must be narrower than window / MAX_BRACKET_PARTS,
 * so one estimate is good to 0.1 % at worst. Where reads are slow (a
 * LAPIC read is an emulated MMIO access under Xen: tens of microseconds
 * nested in QEMU) too wide a bracket doubles the window, up to
 * CAL_WINDOW_MAX_US, and the windows stop at CAL_BUDGET_US in all: the
 * boot must not wait for ever on a reference read too slowly to use. */
#define CAL_WINDOW_US 20000u
#define CAL_WINDOW_MAX_US 640000u
#define CAL_BUDGET_US 2000000u
#define CAL_RUNS 5u
#define CAL_TRIES 40u
#define MAX_BRACKET_PARTS 1000u
#define SAMPLES_PER_END 8u
/* No TSC runs slower than this: bounds how long a gap between two reads
 * may have been, before an estimate knows better (ref_estimate). */
#define MIN_TSC_HZ 500000000ull
/* Counts after which a window's rate is known well enough to bound gaps
 * and count lost wraps back (to a few percent: the brackets are narrow);
 * and how many wraps one gap may have lost for that to be trusted. */
#define RATE_KNOWN_COUNTS 4096u
#define MAX_LOST_WRAPS 8u
/* Two seconds of the fastest TSC: a window this long means the reference
 * stopped counting. */
#define GIVE_UP_CYCLES 20000000000ull

struct ref_sample {
	uint64_t tsc;           /* middle of the bracket */
	uint64_t width;         /* TSC cycles between the two reads */
	uint64_t ref;           /* the reference, extended to 64 bits */
};

static struct ref_sample ref_sample(struct ref_clock *c)
{
	uint64_t before = rdtsc();
	uint64_t raw = c->read();
	uint64_t after = rdtsc();

	/* Extend a `bits`-wide counter (up, or down if c->down) by the
	 * distance moved since the last read, modulo its width. */
	uint64_t mask = c->bits >= 64 ? ~0ull : (1ull << c->bits) - 1;
	uint64_t moved = (c->down ? c->last_raw - raw : raw - c->last_raw) & mask;
	c->last_raw = raw;
	c->ext += moved;
	/* The two counter samples lie somewhere inside the two brackets:
	 * at least gap_min, at most gap apart. */
	c->gap = after - c->last_before;
	c->gap_min = before - c->last_after;
	c->last_before = before;
	c->last_after = after;
	return (struct ref_sample){ before + (after - before) / 2,
				    after - before, c->ext };
}

static void ref_clock_start(struct ref_clock *c)
{
	c->last_before = rdtsc();
	c->last_raw = c->read();
	c->last_after = rdtsc();
	c->ext = 0;
}

/* Could a whole wrap of the counter hide in `gap` TSC cycles, at no fewer
 * than `cycles_per_count` cycles per count? */
static bool gap_too_long(const struct ref_clock *c, uint64_t gap,
			 uint64_t cycles_per_count)
{
	return c->max_gap_counts && cycles_per_count &&
	       gap / cycles_per_count > c->max_gap_counts;
}

/* The narrowest of a few back-to-back brackets: a preemption inside one
 * makes it wide, and it loses. */
static struct ref_sample ref_sample_best(struct ref_clock *c, uint64_t *max_gap)
{
	struct ref_sample best = ref_sample(c);

	*max_gap = c->gap;
	for (unsigned i = 1; i < SAMPLES_PER_END; i++) {
		struct ref_sample s = ref_sample(c);
		if (c->gap > *max_gap)
			*max_gap = c->gap;
		if (s.width < best.width)
			best = s;
	}
	return best;
}

enum estimate { EST_OK, EST_WIDE, EST_FAILED };

/*
 * A gap between two reads long enough to hide whole wraps of the counter,
 * once the window knows the rate well (`tsc_el` cycles for `ref_el`
 * counts, before the gap): the wraps the extension missed are the whole
 * number k for which moved + k wraps fits the time between the two
 * samples, which lies between c->gap_min and c->gap (a stall inside a
 * read's bracket widens that range). Exactly one k may fit (with 2 %
 * slack on the rate), and k must be small; else false, and the estimate
 * is refused.
 */
static bool add_lost_wraps(struct ref_clock *c, struct ref_sample *s,
			   uint64_t moved, uint64_t tsc_el, uint64_t ref_el)
{
	const uint64_t wrap = 1ull << c->bits;
	const uint64_t cycles_per_count = tsc_el / ref_el;

	if (cycles_per_count == 0)
		return false;
	uint64_t lo = c->gap_min / cycles_per_count * 49 / 50;
	uint64_t hi = c->gap / cycles_per_count * 51 / 50;
	if (hi > MAX_LOST_WRAPS * wrap)
		return false;
	/* The smallest k with moved + k * wrap >= lo, the largest with
	 * moved + k * wrap <= hi. */
	uint64_t k_min = lo > moved ? (lo - moved + wrap - 1) / wrap : 0;
	if (hi < moved)
		return false;
	uint64_t k_max = (hi - moved) / wrap;
	if (k_min != k_max)
		return false;
	c->ext += k_min * wrap;
	s->ref += k_min * wrap;
	return true;
}

/*
 * One estimate: TSC cycles and reference counts over a window that ends
 * once `min_ref` counts or `min_tsc` cycles have passed. EST_WIDE when
 * the ends' brackets are too wide for the window; EST_FAILED for a
 * reference that stopped or, for a counter that wraps
 * (c->max_gap_counts), two reads so far apart that a whole wrap may have
 * gone unseen where the wraps cannot be counted back (add_lost_wraps).
 */
static enum estimate ref_estimate(struct ref_clock *c, uint64_t min_ref,
				  uint64_t min_tsc, uint64_t *tsc_out,
				  uint64_t *ref_out)
{
	uint64_t gap;

	ref_clock_start(c);
	struct ref_sample a = ref_sample_best(c, &gap), s = a;
	/* Until the window says how fast the TSC runs, assume the slowest
	 * TSC: a gap of fewer cycles than that cannot be longer in time. */
	uint64_t cycles_per_count = c->hz ? MIN_TSC_HZ / c->hz : 0;
	if (gap_too_long(c, gap, cycles_per_count))
		return EST_FAILED;
	do {
		struct ref_sample prev = s;
		s = ref_sample(c);
		/* Checked against the bound from before this sample: a wrap
		 * lost in this gap would inflate the rate seen with it. */
		if (gap_too_long(c, c->gap, cycles_per_count) &&
		    (prev.ref - a.ref < RATE_KNOWN_COUNTS ||
		     !add_lost_wraps(c, &s, s.ref - prev.ref,
				     prev.tsc - a.tsc, prev.ref - a.ref)))
			return EST_FAILED;
		if (c->max_gap_counts && s.ref - a.ref >= RATE_KNOWN_COUNTS) {
			/* 7/8 of the rate seen so far, which no lost wrap
			 * has inflated (each gap so far was checked) and
			 * RATE_KNOWN_COUNTS pin down to a few percent: a
			 * safe lower bound. */
			uint64_t seen = (s.tsc - a.tsc) / (s.ref - a.ref) * 7 / 8;
			if (seen > cycles_per_count)
				cycles_per_count = seen;
		}
		if (s.tsc - a.tsc > GIVE_UP_CYCLES)
			return EST_FAILED;      /* a reference that stopped */
	} while (s.ref - a.ref < min_ref && s.tsc - a.tsc < min_tsc);
	struct ref_sample b = ref_sample_best(c, &gap);
	if (gap_too_long(c, gap, cycles_per_count))
		return EST_FAILED;
	uint64_t tsc = b.tsc - a.tsc, ref = b.ref - a.ref;
	if (tsc == 0 || ref == 0)
		return EST_FAILED;
	if (a.width + b.width > tsc / MAX_BRACKET_PARTS)
		return EST_WIDE;
	*tsc_out = tsc;
	*ref_out = ref;
	return EST_OK;
}

static void sort_u64(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

uint64_t ref_calibrate(struct ref_clock *c, uint64_t tsc_hz)
{
	const bool rate_of_tsc = tsc_hz == 0;

	uint64_t est[CAL_TRIES];
	unsigned n = 0;
	uint64_t window_us = CAL_WINDOW_US, spent_us = 0;

	for (unsigned t = 0; t < CAL_TRIES && n < CAL_RUNS &&
			     spent_us < CAL_BUDGET_US; t++) {
		spent_us += window_us;
		uint64_t tsc = 0, ref = 0;
		/* The products fit in 64 bits: 0.64 s of a 100 MHz reference
		 * times a 2^34 Hz TSC is below 2^63. */
		enum estimate e = rate_of_tsc ?
			ref_estimate(c, c->hz * window_us / 1000000u,
				     UINT64_MAX, &tsc, &ref) :
			ref_estimate(c, UINT64_MAX,
				     tsc_hz / 1000u * window_us / 1000u,
				     &tsc, &ref);
		if (e == EST_OK)
			est[n++] = rate_of_tsc ? tsc * c->hz / ref :
						 ref * tsc_hz / tsc;
		else if (e == EST_WIDE && window_us < CAL_WINDOW_MAX_US)
			window_us *= 2;
	}
	if (window_us > CAL_WINDOW_US)
		kprintf("pvh: slow reads: calibration windows grew to %lu ms, "
			"%u estimates\n", (unsigned long)(window_us / 1000), n);
	if (n == 0)
		return 0;
	sort_u64(est, n);
	return est[n / 2];
}

