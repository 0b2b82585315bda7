/*
 * trampoline.h - the data block at the end of the AP trampoline
 * (trampoline.S), shared by the assembly that reads it and smp.c that
 * fills it in before each start. Offsets from pvh_tramp_data.
 */
#ifndef PVH_TRAMPOLINE_H
#define PVH_TRAMPOLINE_H

#define TRAMP_GDTR      0       /* u16 limit, u32 base: the page's GDT */
#define TRAMP_PM_JUMP   8       /* u32 offset, u16 selector: to 32-bit */
#define TRAMP_LM_JUMP   16      /* u32 offset, u16 selector: to 64-bit */
#define TRAMP_CR3       24      /* u32: the kernel's PML4, below 4 GiB */
#define TRAMP_STACK     32      /* u64: the AP's stack top */
#define TRAMP_ARG       40      /* u64: the CPU's index, in rdi */
#define TRAMP_ENTRY     48      /* u64: 64-bit code in the kernel image */
#define TRAMP_DATA_SIZE 56

/* Selectors of the trampoline's own GDT: 0x08 and 0x10 as the kernel's
 * (gdt.c), so nothing changes when the AP loads its own. */
#define TRAMP_CS64      0x08
#define TRAMP_DS        0x10
#define TRAMP_CS32      0x18

#ifndef __ASSEMBLER__
#include <stdint.h>

struct tramp_data {
	uint16_t gdt_limit;
	uint32_t gdt_base;
	uint16_t pad0;
	uint32_t pm_off;
	uint16_t pm_sel;
	uint16_t pad1;
	uint32_t lm_off;
	uint16_t lm_sel;
	uint16_t pad2;
	uint32_t cr3;
	uint32_t pad3;
	uint64_t stack;
	uint64_t arg;
	uint64_t entry;
} __attribute__((packed));

_Static_assert(__builtin_offsetof(struct tramp_data, pm_off) == TRAMP_PM_JUMP &&
	       __builtin_offsetof(struct tramp_data, lm_off) == TRAMP_LM_JUMP &&
	       __builtin_offsetof(struct tramp_data, cr3) == TRAMP_CR3 &&
	       __builtin_offsetof(struct tramp_data, stack) == TRAMP_STACK &&
	       __builtin_offsetof(struct tramp_data, arg) == TRAMP_ARG &&
	       __builtin_offsetof(struct tramp_data, entry) == TRAMP_ENTRY &&
	       sizeof(struct tramp_data) == TRAMP_DATA_SIZE,
	       "struct tramp_data matches trampoline.h");

/* trampoline.S: [start, end) is copied to a page below 1 MiB; the labels
 * between are the offsets smp.c needs. */
extern const char pvh_tramp_start[], pvh_tramp_pm[], pvh_tramp_lm[],
	pvh_tramp_gdt[], pvh_tramp_gdt_end[], pvh_tramp_data[],
	pvh_tramp_end[];
void pvh_ap_start64(void);
#endif

#endif /* PVH_TRAMPOLINE_H */
