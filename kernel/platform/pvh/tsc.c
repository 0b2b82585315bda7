/*
 * tsc.c - how fast the TSC runs. Trace timestamps are raw TSC values and
 * the ring header carries tsc_hz, so this number is what turns every
 * record's time into seconds; sleeps, timeouts and the LAPIC tick's
 * calibration (lapic.c) depend on it too.
 *
 * Sources, most trustworthy first (the host's tsc_khz= beats them all;
 * platform.c checks it before calling here):
 *  1. Xen's TSC leaf: under Xen the guest TSC may be scaled, and only the
 *     hypervisor knows the guest-visible rate.
 *  2. CPUID 0x15 (TSC/crystal ratio with a crystal frequency) and 0x16
 *     (base frequency), when the CPU model reports them.
 *  3. Measuring against the HPET (QEMU's q35 and pc have one), then the
 *     PIT. QEMU TCG's qemu64 reports neither CPUID leaf. PVH under Xen has
 *     neither device, which is why they come last and are not probed
 *     there.
 *
 * Measuring is where a loaded host bites: the vCPU can be descheduled for
 * milliseconds between reading the reference and reading the TSC, and a
 * measurement that does not notice was 2x off on 3 of 6 boots. So every
 * reading of a reference is bracketed by two TSC reads and only narrow
 * brackets are used (ref_sample_best), the window is long against the
 * bracket, and the result is the median of several such estimates.
 * Descheduling in the middle of a window costs nothing: TSC and reference
 * both keep running on the host.
 */
#include "pvh.h"

#include "../../core/klib.h"
#include "ringside_ring.h"

#define PIT_HZ 1193182u
#define HPET_BASE 0xfed00000ul
#define HPET_CAP 0x000                  /* period in fs in bits 63:32 */
#define HPET_CONFIG 0x010               /* bit 0: counter enabled */
#define HPET_COUNTER 0x0f0
#define HPET_MAX_PERIOD_FS 100000000u   /* the spec's bound: >= 10 MHz */

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
#define CAL_TRIES 15u
#define MAX_BRACKET_PARTS 1000u
#define SAMPLES_PER_END 8u
/* No TSC runs slower than this: bounds how long a gap between two reads
 * may have been, before an estimate knows better (ref_estimate). */
#define MIN_TSC_HZ 200000000ull
/* Two seconds of the fastest TSC: a window this long means the reference
 * stopped counting. */
#define GIVE_UP_CYCLES 20000000000ull

bool xen_detect(uint32_t *base)
{
	uint32_t r[4];

	/* Xen's leaves move up by 0x100 when it also presents Viridian. */
	for (uint32_t b = 0x40000000; b < 0x40010000; b += 0x100) {
		cpuid(b, 0, r);
		if (r[1] == 0x566e6558 && r[2] == 0x65584d4d &&
		    r[3] == 0x4d4d566e && r[0] >= b + 2) {
			*base = b;
			return true;
		}
	}
	return false;
}

void tsc_delay(uint64_t cycles)
{
	uint64_t t0 = rdtsc();
	while (rdtsc() - t0 < cycles)
		__asm__ __volatile__("pause");
}

/* ---- bracketed readings of a reference counter ------------------------ */

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
	c->gap = before - c->last_tsc;
	c->last_tsc = after;
	return (struct ref_sample){ before + (after - before) / 2,
				    after - before, c->ext };
}

static void ref_clock_start(struct ref_clock *c)
{
	c->last_raw = c->read();
	c->last_tsc = rdtsc();
	c->ext = 0;
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
 * One estimate: TSC cycles and reference counts over a window that ends
 * once `min_ref` counts or `min_tsc` cycles have passed. EST_WIDE when
 * the ends' brackets are too wide for the window; EST_FAILED for a
 * reference that stopped or, for a counter that wraps
 * (c->max_gap_counts), two reads so far apart that a whole wrap may have
 * gone unseen.
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
	do {
		s = ref_sample(c);
		gap = c->gap;
		if (c->max_gap_counts && s.ref - a.ref >= 4096) {
			/* Half the rate seen so far: a safe lower bound. */
			uint64_t seen = (s.tsc - a.tsc) / (s.ref - a.ref) / 2;
			if (seen > cycles_per_count)
				cycles_per_count = seen;
		}
		if (c->max_gap_counts && cycles_per_count &&
		    gap / cycles_per_count > c->max_gap_counts)
			return EST_FAILED;
		if (s.tsc - a.tsc > GIVE_UP_CYCLES)
			return EST_FAILED;      /* a reference that stopped */
	} while (s.ref - a.ref < min_ref && s.tsc - a.tsc < min_tsc);
	struct ref_sample b = ref_sample_best(c, &gap);
	if (c->max_gap_counts && cycles_per_count &&
	    gap / cycles_per_count > c->max_gap_counts)
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

/* ---- the references ---------------------------------------------------- */

static uint64_t pit_read(void)
{
	outb(0x43, 0x00);                       /* latch channel 0 */
	uint8_t lo = inb(0x40);
	return (uint64_t)(lo | inb(0x40) << 8);
}

/* Channel 0 free-running (mode 2, period 65536), read back with latch
 * commands: needs only ports 0x40-0x43. Its IRQ is masked (PIC masked,
 * IOAPIC never programmed), so reprogramming it disturbs nothing. A
 * counter that does not move (no PIT, as on Xen PVH) gives 0. */
static uint64_t pit_calibrate(void)
{
	struct ref_clock c = {
		.read = pit_read, .hz = PIT_HZ, .bits = 16, .down = true,
		/* A quarter wrap: 13.7 ms between two reads is still sure. */
		.max_gap_counts = 16384,
	};

	outb(0x43, 0x34);                       /* ch0, lo/hi, mode 2 */
	outb(0x40, 0);
	outb(0x40, 0);
	uint64_t first = pit_read();
	for (unsigned i = 0; i < 100000; i++)
		if (pit_read() != first)
			return ref_calibrate(&c, 0);
	return 0;
}

static volatile uint32_t *hpet_reg(unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)(HPET_BASE + off);
}

static uint64_t hpet_read(void)
{
	return *hpet_reg(HPET_COUNTER);         /* low 32 bits */
}

/* The HPET's main counter, where there is one (never probed under Xen:
 * PVH has no emulated devices, and an access there may kill the
 * domain). Its period is stated in femtoseconds in the capability
 * register; the low 32 bits wrap every 43 s at QEMU's 100 MHz. */
static uint64_t hpet_calibrate(void)
{
	uint32_t period_fs = *hpet_reg(HPET_CAP + 4);

	if (period_fs == 0 || period_fs > HPET_MAX_PERIOD_FS)
		return 0;                       /* no HPET (reads 0 or ~0) */
	*hpet_reg(HPET_CONFIG) |= 1u;           /* start the main counter */
	struct ref_clock c = {
		.read = hpet_read,
		.hz = 1000000000000000ull / period_fs,
		.bits = 32,
		.max_gap_counts = 1u << 30,
	};
	uint64_t first = hpet_read();
	for (unsigned i = 0; i < 100000; i++)
		if (hpet_read() != first)
			return ref_calibrate(&c, 0);
	return 0;
}

uint64_t tsc_calibrate(uint32_t *source)
{
	uint32_t r[4], xen, max;
	bool on_xen = xen_detect(&xen);

	if (on_xen) {
		cpuid(xen, 0, r);
		if (r[0] >= xen + 3) {
			cpuid(xen + 3, 0, r);           /* ecx: guest kHz */
			if (r[2]) {
				*source = RS_CLOCK_XEN_CPUID;
				return (uint64_t)r[2] * 1000;
			}
		}
	}

	cpuid(0, 0, r);
	max = r[0];
	if (max >= 0x15) {
		cpuid(0x15, 0, r);      /* tsc = crystal * ebx / eax */
		if (r[0] && r[1] && r[2]) {
			*source = RS_CLOCK_CPUID_15;
			return (uint64_t)r[2] * r[1] / r[0];
		}
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, r);      /* eax: base MHz */
		if (r[0] & 0xffff) {
			*source = RS_CLOCK_CPUID_16;
			return (uint64_t)(r[0] & 0xffff) * 1000000;
		}
	}
	uint64_t hz = on_xen ? 0 : hpet_calibrate();
	if (hz) {
		*source = RS_CLOCK_HPET;
		return hz;
	}
	hz = on_xen ? 0 : pit_calibrate();
	if (hz) {
		*source = RS_CLOCK_PIT;
		return hz;
	}
	/* Nothing to measure against: a guess keeps sleeps finite. */
	*source = RS_CLOCK_GUESS;
	return 1000000000ull;
}
