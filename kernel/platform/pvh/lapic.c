/*
 * lapic.c - the periodic tick, from the local APIC timer: the one timer
 * both QEMU and Xen PVH (which has no PIT or PIC) provide. The legacy PIC
 * is remapped out of the exception range and masked so it can never
 * inject anything.
 *
 * Works in xAPIC (MMIO, mapped uncached by paging.S) and x2APIC (MSR)
 * mode, whichever the firmware left on.
 */
#include "pvh.h"

#define MSR_APIC_BASE   0x1b
#define APIC_BASE_EN    (1u << 11)
#define APIC_BASE_X2    (1u << 10)

#define REG_TPR         0x080
#define REG_EOI         0x0b0
#define REG_SVR         0x0f0
#define REG_LVT_TIMER   0x320
#define REG_LVT_LINT0   0x350
#define REG_LVT_ERROR   0x370
#define REG_TIMER_INIT  0x380
#define REG_TIMER_CUR   0x390
#define REG_TIMER_DIV   0x3e0

#define LVT_MASKED      (1u << 16)
#define LVT_PERIODIC    (1u << 17)
#define TIMER_VECTOR    32u             /* TICK_VECTOR in core/tick.h */
#define SPURIOUS_VECTOR 0xffu
#define PIC_BASE        0xe0u           /* masked PIC lands here, if ever */

static volatile uint32_t *lapic_mmio;
static bool x2apic;
static uint64_t timer_hz;

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

	lapic_write(REG_SVR, 0x100 | SPURIOUS_VECTOR);  /* software enable */
	lapic_write(REG_TPR, 0);
	lapic_write(REG_LVT_LINT0, LVT_MASKED);         /* ExtINT from PIC */
	lapic_write(REG_LVT_ERROR, LVT_MASKED);

	/* Count down from the top for about 2 ms, masked, to learn the
	 * timer's rate; TCG's timer clock is unrelated to the bus clock a
	 * real CPU would use. The TSC is read right next to each timer
	 * access, so time spent in the delay loop's exit is not counted. */
	lapic_write(REG_TIMER_DIV, 0x3);                /* divide by 16 */
	lapic_write(REG_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
	lapic_write(REG_TIMER_INIT, 0xffffffffu);
	uint64_t t0 = rdtsc();
	tsc_delay(tsc_hz / 500);
	uint32_t left = lapic_read(REG_TIMER_CUR);
	uint64_t t1 = rdtsc();
	lapic_write(REG_TIMER_INIT, 0);
	/* Fits in 64 bits: the count over 2 ms is far below 2^30. */
	uint64_t counted = 0xffffffffu - left;
	timer_hz = t1 > t0 ? counted * tsc_hz / (t1 - t0) : 0;

	uint64_t period = timer_hz / hz;
	if (period == 0)
		period = 1;
	if (period > 0xffffffffu)
		period = 0xffffffffu;
	lapic_write(REG_LVT_TIMER, LVT_PERIODIC | TIMER_VECTOR);
	lapic_write(REG_TIMER_INIT, (uint32_t)period);
}
