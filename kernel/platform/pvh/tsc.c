/*
 * tsc.c - how fast the TSC runs. Trace timestamps are raw TSC values and
 * the ring header carries tsc_hz, so this number is what turns every
 * record's time into seconds; sleeps and timeouts depend on it too.
 *
 * Sources, most trustworthy first:
 *  1. Xen's TSC leaf: under Xen the guest TSC may be scaled, and only the
 *     hypervisor knows the guest-visible rate.
 *  2. CPUID 0x15 (TSC/crystal ratio with a crystal frequency) and 0x16
 *     (base frequency), when the CPU model reports them.
 *  3. Measuring against the PIT (QEMU TCG: qemu64 reports neither leaf).
 *     PVH under Xen has no PIT, which is why it comes last.
 */
#include "pvh.h"

#define PIT_HZ 1193182u
#define PIT_CAL_TICKS 4773u             /* 4 ms */
#define PIT_CAL_RUNS 5

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

/* Channel 2, gated and watched through port 0x61: the classic way, but
 * port 0x61 is a PC speaker/NMI-status port that microvm lacks. */
static uint64_t pit_measure_ch2(void)
{
	uint8_t p61 = inb(0x61);

	/* Gate channel 2 on with the speaker off, then one-shot mode 0:
	 * OUT2 (port 0x61 bit 5) drops now and rises at terminal count. */
	outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01));
	outb(0x43, 0xb0);
	outb(0x42, PIT_CAL_TICKS & 0xff);
	outb(0x42, PIT_CAL_TICKS >> 8);
	uint64_t t0 = rdtsc();
	uint64_t spins = 0;
	while (!(inb(0x61) & 0x20))
		if (++spins > 100000000)
			return 0;
	uint64_t t1 = rdtsc();
	outb(0x61, p61);
	return (t1 - t0) * PIT_HZ / PIT_CAL_TICKS;
}

static uint16_t pit_ch0_read(void)
{
	outb(0x43, 0x00);                       /* latch channel 0 */
	uint8_t lo = inb(0x40);
	return (uint16_t)(lo | inb(0x40) << 8);
}

/* Channel 0 free-running (mode 2, period 65536), read back with latch
 * commands: needs only ports 0x40-0x43. Its IRQ is masked (PIC masked,
 * IOAPIC never programmed), so reprogramming it disturbs nothing. */
static uint64_t pit_measure_ch0(void)
{
	outb(0x43, 0x34);                       /* ch0, lo/hi, mode 2 */
	outb(0x40, 0);
	outb(0x40, 0);
	uint16_t prev = pit_ch0_read(), cur;
	uint64_t spins = 0;
	/* Start on a count change, so the first partial tick is excluded. */
	while ((cur = pit_ch0_read()) == prev)
		if (++spins > 10000)
			return 0;                   /* not counting: no PIT */
	uint64_t t0 = rdtsc(), elapsed = 0;
	prev = cur;
	while (elapsed < PIT_CAL_TICKS) {
		cur = pit_ch0_read();
		elapsed += (uint16_t)(prev - cur);  /* counts down, wraps */
		prev = cur;
		if (++spins > 100000000)
			return 0;
	}
	return (rdtsc() - t0) * PIT_HZ / elapsed;
}

static uint64_t pit_measure(void)
{
	/* Port 0x61 reads all ones where there is no speaker port (or no
	 * PIT at all, as on Xen PVH). */
	return inb(0x61) != 0xff ? pit_measure_ch2() : pit_measure_ch0();
}

/* The median of short runs: a vCPU preempted during one run (TCG,
 * nested virtualisation) skews only that run. 0 if there is no PIT. */
static uint64_t pit_calibrate(void)
{
	uint64_t hz[PIT_CAL_RUNS];

	for (unsigned i = 0; i < PIT_CAL_RUNS; i++) {
		uint64_t v = pit_measure();
		if (v == 0)
			return 0;
		unsigned j = i;
		for (; j > 0 && hz[j - 1] > v; j--)
			hz[j] = hz[j - 1];
		hz[j] = v;
	}
	return hz[PIT_CAL_RUNS / 2];
}

uint64_t tsc_calibrate(const char **source)
{
	uint32_t r[4], xen, max;

	if (xen_detect(&xen)) {
		cpuid(xen, 0, r);
		if (r[0] >= xen + 3) {
			cpuid(xen + 3, 0, r);           /* ecx: guest kHz */
			if (r[2]) {
				*source = "xen cpuid";
				return (uint64_t)r[2] * 1000;
			}
		}
	}

	cpuid(0, 0, r);
	max = r[0];
	if (max >= 0x15) {
		cpuid(0x15, 0, r);      /* tsc = crystal * ebx / eax */
		if (r[0] && r[1] && r[2]) {
			*source = "cpuid 0x15";
			return (uint64_t)r[2] * r[1] / r[0];
		}
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, r);      /* eax: base MHz */
		if (r[0] & 0xffff) {
			*source = "cpuid 0x16";
			return (uint64_t)(r[0] & 0xffff) * 1000000;
		}
	}
	uint64_t hz = pit_calibrate();
	if (hz) {
		*source = "pit";
		return hz;
	}
	/* Nothing to measure against: a guess keeps sleeps finite. */
	*source = "guess";
	return 1000000000ull;
}
