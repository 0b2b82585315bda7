/*
 * gdt.c - the GDT (also used by boot.S to enter long mode) and the 64-bit
 * TSS, whose only job here is the IST stacks: #DF, NMI and #MC switch to
 * a known-good stack, so a fault caused by a bad rsp (a stack overflow)
 * still reaches the panic path instead of triple-faulting.
 *
 * Every CPU has its own GDT and TSS (ltr marks a TSS descriptor busy, and
 * each CPU needs IST stacks of its own): CPU 0 the static ones below,
 * which boot.S uses too; the others (smp.c) a copy each, with IST stacks
 * smp.c carved from free RAM.
 */
#include "pvh.h"

#include "../../core/klib.h"
#include "../../core/platform.h"

#define IST_STACK_SIZE 16384

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Selectors 0x08 code, 0x10 data (boot.S relies on these), 0x18 TSS. */
uint64_t pvh_gdt[5] __attribute__((aligned(16))) = {
	0,
	0x00af9a000000ffffull,      /* 64-bit code, DPL 0 */
	0x00cf92000000ffffull,      /* data, DPL 0 */
	0, 0,                       /* TSS, filled in by gdt_init() */
};

/* boot.S loads this in 32-bit mode, where lgdt reads only the low four
 * bytes of the base: fine, the image is below 4 GiB. */
struct gdt_ptr pvh_gdt_ptr = {
	sizeof(pvh_gdt) - 1, (uint64_t)(uintptr_t)pvh_gdt,
};

static struct tss64 tss __attribute__((aligned(16)));
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

/* The other CPUs' tables, slot 0 unused. */
static struct {
	uint64_t gdt[5];
	struct tss64 tss;
} ap_tables[KERNEL_MAX_CPUS] __attribute__((aligned(16)));

/* Fills `t` with IST stacks whose tops are ist_top[0..2], points the TSS
 * descriptor in gdt[3..4] at it and loads both. */
static void load_tables(uint64_t *gdt, struct tss64 *t,
			const uintptr_t ist_top[3])
{
	uint64_t base = (uint64_t)(uintptr_t)t;
	uint64_t limit = sizeof(*t) - 1;
	struct gdt_ptr p = { 5 * sizeof(uint64_t) - 1, (uint64_t)(uintptr_t)gdt };

	for (unsigned i = 0; i < 3; i++)
		t->ist[i] = ist_top[i];
	/* No I/O bitmap: ring 0 needs none. */
	t->iomap_base = sizeof(*t);

	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		 (0x89ull << 40) |              /* present, 64-bit TSS */
		 (((limit >> 16) & 0xf) << 48) |
		 (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;

	/* Reload with the full 64-bit base, then the task register. */
	__asm__ __volatile__("lgdt %0" : : "m"(p));
	__asm__ __volatile__("ltr %w0" : : "r"(0x18));
}

void gdt_init(void)
{
	uintptr_t top[3];

	for (unsigned i = 0; i < 3; i++)
		top[i] = (uintptr_t)(ist_stacks[i] + IST_STACK_SIZE);
	load_tables(pvh_gdt, &tss, top);
}

void gdt_init_ap(unsigned cpu, const uintptr_t ist_top[3])
{
	if (cpu == 0 || cpu >= KERNEL_MAX_CPUS)
		halt_forever();
	memcpy(ap_tables[cpu].gdt, pvh_gdt, 3 * sizeof(uint64_t));
	load_tables(ap_tables[cpu].gdt, &ap_tables[cpu].tss, ist_top);
}
