/*
 * gdt.c - the GDT (also used by boot.S to enter long mode) and the 64-bit
 * TSS, whose only job here is the IST stacks: #DF, NMI and #MC switch to
 * a known-good stack, so a fault caused by a bad rsp (a stack overflow)
 * still reaches the panic path instead of triple-faulting.
 */
#include "pvh.h"

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

void gdt_init(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss;
	uint64_t limit = sizeof(tss) - 1;

	for (unsigned i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)(uintptr_t)(ist_stacks[i] +
						   IST_STACK_SIZE);
	/* No I/O bitmap: ring 0 needs none. */
	tss.iomap_base = sizeof(tss);

	pvh_gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		     (0x89ull << 40) |          /* present, 64-bit TSS */
		     (((limit >> 16) & 0xf) << 48) |
		     (((base >> 24) & 0xff) << 56);
	pvh_gdt[4] = base >> 32;

	/* Reload with the full 64-bit base, then the task register. */
	__asm__ __volatile__("lgdt %0" : : "m"(pvh_gdt_ptr));
	__asm__ __volatile__("ltr %w0" : : "r"(0x18));
}
