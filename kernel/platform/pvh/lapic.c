/*
 * lapic.c - the heartbeat tick, from the local APIC timer: the one timer
 * both QEMU and Xen PVH (which has no PIT or PIC) provide. The legacy PIC
 * is remapped out of the exception range and masked so it can never
 * inject anything.
 *
 * The timer's input clock is unrelated to anything the guest knows
 * (QEMU: 1 GHz / 16, Xen: 100 MHz / 16), so it is measured against the
 * TSC with the same bracketed, median-of-several method as the TSC itself
 * (refclock.c): a single unbracketed 2 ms window had given 1.7 to 34 MHz
 * for Xen's 6.25 MHz on a loaded host, and the tick ran at whatever rate
 * that made.
 *
 * The timer runs one-shot, each tick arming the next for one period of
 * TSC after the last one was due (skipping whole periods that already
 * passed). Not periodic: Xen keeps count of the periodic ticks a
 * descheduled vCPU missed and delivers them back to back once it runs,
 * and on a loaded host the guest then did nothing but take ticks (17,000
 * in 20 s, the workload never started; once a triple fault at the same
 * point). One-shot, a vCPU that was away gets one tick and runs on; the
 * tick never comes faster than asked, and on average at the rate asked.
 * (TSC-deadline mode would need no measuring at all, but neither QEMU
 * TCG nor Xen nested in it offers it, so it could not be tested here;
 * RS_TICK_TSC_DEADLINE is there for guests that use it.)
 *
 * Works in xAPIC (MMIO, mapped uncached by paging.S) and x2APIC (MSR)
 * mode, whichever the firmware left on; the other CPUs (smp.c) are put in
 * CPU 0's mode and tick at its rate from its calibration (the timers of
 * one machine share a clock), each with its own next due time.
 *
 * Inter-processor interrupts go through the ICR (lapic_send_ipi).
 */
#include "pvh.h"

#include "../../core/klib.h"
#include "../../core/platform.h"
#include "ringside_ring.h"

#define MSR_APIC_BASE   0x1b
#define APIC_BASE_EN    (1u << 11)
#define APIC_BASE_X2    (1u << 10)

#define REG_ID          0x020
#define REG_TPR         0x080
#define REG_EOI         0x0b0
#define REG_SVR         0x0f0
#define REG_ICR_LO      0x300
#define REG_ICR_HI      0x310
#define ICR_PENDING     (1u << 12)      /* xAPIC: not yet accepted */
#define REG_LVT_TIMER   0x320
#define REG_LVT_LINT0   0x350
#define REG_LVT_ERROR   0x370
#define REG_TIMER_INIT  0x380
#define REG_TIMER_CUR   0x390
#define REG_TIMER_DIV   0x3e0

#define LVT_MASKED      (1u << 16)         /* mode bits 0: one-shot */
/* The LAPIC timer clock with divide-by-16: Xen's emulated LAPIC runs at
 * 100 MHz (vlapic.c; measured here at 6.25 MHz to 0.0003 %), QEMU's at
 * 1 GHz (used only if measuring it failed). */
#define TIMER_HZ_XEN 6250000ull
#define TIMER_HZ_QEMU 62500000ull
#define TIMER_VECTOR    32u             /* TICK_VECTOR in core/tick.h */
#define SPURIOUS_VECTOR 0xffu
#define PIC_BASE        0xe0u           /* masked PIC lands here, if ever */

static volatile uint32_t *lapic_mmio;
static bool x2apic;
static uint64_t timer_hz, tsc_rate;
static uint32_t timer_div;      /* CPU 0's divide register, for the others */
static uint64_t period_cycles;                  /* TSC */
static uint64_t next_due[KERNEL_MAX_CPUS];      /* TSC, per CPU */

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(0x800 + (reg >> 4));
	return lapic_mmio[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		lapic_mmio[reg / 4] = v;
}

void pic_disable(void)
{
	/* Reinitialise both 8259s with vectors 0xe0-0xef (the BIOS left
	 * them on 0x08, over the exceptions), then mask every line. Writes
	 * to absent ports are dropped, so this is harmless without a PIC. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, PIC_BASE);
	outb(0xa1, PIC_BASE + 8);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	/* The PIC's own spurious IRQs 7 and 15 need no EOI. */
	idt_set_gate(PIC_BASE + 7, pvh_irq_spurious, 0);
	idt_set_gate(PIC_BASE + 15, pvh_irq_spurious, 0);
}

void lapic_eoi(void)
{
	lapic_write(REG_EOI, 0);
}

uint64_t lapic_timer_hz(void)
{
	return timer_hz;
}

uint32_t lapic_timer_method(void)
{
	return timer_hz ? RS_TICK_LAPIC_ONESHOT : RS_TICK_UNKNOWN;
}

/* Arms the one-shot for next_due, first moving it past now by whole
 * periods if the vCPU was away that long. */
static void arm_next(uint64_t *due)
{
	uint64_t now = rdtsc();

	if (*due <= now)
		*due += ((now - *due) / period_cycles + 1) * period_cycles;
	/* Fits: at most one period (a tenth of a second at the slowest
	 * tick) of a 2^34 Hz TSC times a timer below 2^30 Hz. */
	uint64_t counts = (*due - now) * timer_hz / tsc_rate;
	if (counts == 0)
		counts = 1;
	if (counts > 0xffffffffu)
		counts = 0xffffffffu;
	lapic_write(REG_TIMER_INIT, (uint32_t)counts);
}

void lapic_timer_rearm(void)
{
	uint64_t *due = &next_due[platform_cpu()];

	*due += period_cycles;
	arm_next(due);
}

static uint64_t timer_count_read(void)
{
	return lapic_read(REG_TIMER_CUR);
}

/* The periodic timer's input clock (divide by 16), against the TSC. */
static uint64_t timer_calibrate(uint64_t tsc_hz)
{
	struct ref_clock c = {
		.read = timer_count_read, .bits = 32, .down = true,
		/* One-shot from the top: no wrap for over a minute. */
	};

	lapic_write(REG_TIMER_DIV, 0x3);                /* divide by 16 */
	lapic_write(REG_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
	lapic_write(REG_TIMER_INIT, 0xffffffffu);
	uint64_t hz = ref_calibrate(&c, tsc_hz);
	lapic_write(REG_TIMER_INIT, 0);
	return hz;
}

/* Software-enables this CPU's LAPIC with nothing but the timer able to
 * raise an interrupt. */
static void lapic_enable(void)
{
	lapic_write(REG_SVR, 0x100 | SPURIOUS_VECTOR);  /* software enable */
	lapic_write(REG_TPR, 0);
	lapic_write(REG_LVT_LINT0, LVT_MASKED);         /* ExtINT from PIC */
	lapic_write(REG_LVT_ERROR, LVT_MASKED);
}

void lapic_timer_start(uint64_t tsc_hz, unsigned hz)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		wrmsr(MSR_APIC_BASE, base);
	}
	x2apic = base & APIC_BASE_X2;
	lapic_mmio = (volatile uint32_t *)(uintptr_t)(base & 0xffffff000ull);

	idt_set_gate(TIMER_VECTOR, pvh_irq_timer, 0);
	idt_set_gate(SPURIOUS_VECTOR, pvh_irq_spurious, 0);
	lapic_enable();

	/* Under Xen the emulated LAPIC's clock is Xen's own constant (see
	 * TIMER_HZ_XEN), so it is taken, not measured: measuring costs
	 * thousands of trapped reads in early boot, and under the nested Xen
	 * of make check-xen guests triple-faulted inside that loop, before
	 * their ring existed (tests/xen/README.md). */
	timer_hz = xen_present() ? TIMER_HZ_XEN : timer_calibrate(tsc_hz);
	if (timer_hz == 0) {
		timer_hz = xen_present() ? TIMER_HZ_XEN : TIMER_HZ_QEMU;
		kprintf("pvh: could not measure the LAPIC timer; assuming %lu "
			"kHz\n", (unsigned long)(timer_hz / 1000));
	}
	tsc_rate = tsc_hz;
	period_cycles = tsc_hz / hz ? tsc_hz / hz : 1;
	timer_div = lapic_read(REG_TIMER_DIV);
	lapic_write(REG_LVT_TIMER, TIMER_VECTOR);       /* one-shot, unmasked */
	next_due[platform_cpu()] = rdtsc();
	lapic_timer_rearm();
}

void lapic_ap_timer_start(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	/* INIT left this LAPIC enabled in xAPIC mode, at the address CPU 0's
	 * has (both are the reset value); x2APIC is entered from there. */
	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		wrmsr(MSR_APIC_BASE, base);
	}
	if (x2apic && !(base & APIC_BASE_X2))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2);
	lapic_enable();
	lapic_write(REG_TIMER_DIV, timer_div);          /* CPU 0's clock */
	lapic_write(REG_LVT_TIMER, TIMER_VECTOR);       /* one-shot, unmasked */
	next_due[platform_cpu()] = rdtsc();
	lapic_timer_rearm();
}

uint32_t lapic_id(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	/* From the MSR, not the cached mode: CPU 0 asks before
	 * lapic_timer_start, and an AP before it switched to x2APIC. */
	if (base & APIC_BASE_X2)
		return (uint32_t)rdmsr(0x802);
	volatile uint32_t *m =
		(volatile uint32_t *)(uintptr_t)(base & 0xffffff000ull);
	return m[REG_ID / 4] >> 24;
}

bool lapic_x2apic(void)
{
	return x2apic;
}

int lapic_send_ipi(uint32_t apic_id, uint32_t icr_lo)
{
	unsigned long flags;
	int rc = 0;

	/* xAPIC: two writes that an interrupt's own IPI must not split. */
	__asm__ __volatile__("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	if (x2apic) {
		wrmsr(0x800 + (REG_ICR_LO >> 4),
		      (uint64_t)apic_id << 32 | icr_lo);
	} else {
		lapic_write(REG_ICR_HI, apic_id << 24);
		lapic_write(REG_ICR_LO, icr_lo);
		/* Accepted within microseconds; a bound, not a hang, if the
		 * target is gone. */
		unsigned i = 0;
		while ((lapic_read(REG_ICR_LO) & ICR_PENDING) && ++i < 1000000)
			__asm__ __volatile__("pause");
		rc = i < 1000000 ? 0 : -1;
	}
	if (flags & 0x200)
		__asm__ __volatile__("sti" : : : "memory");
	return rc;
}
