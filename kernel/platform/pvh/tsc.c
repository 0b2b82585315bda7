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
 * measurement that does not notice was 2x off on 3 of 6 boots. So it is
 * done by refclock.c: bracketed reads, long windows, a median.
 */
#include "pvh.h"

#include "ringside_ring.h"

#define PIT_HZ 1193182u
#define HPET_BASE 0xfed00000ul
#define HPET_CAP 0x000                  /* period in fs in bits 63:32 */
#define HPET_CONFIG 0x010               /* bit 0: counter enabled */
#define HPET_COUNTER 0x0f0
#define HPET_MAX_PERIOD_FS 100000000u   /* the spec's bound: >= 10 MHz */

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
		/* Three quarters of a wrap: checked against a rate no higher
		 * than the true one (refclock.c), a gap this long cannot
		 * hide a whole wrap. */
		.max_gap_counts = 49152,
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
