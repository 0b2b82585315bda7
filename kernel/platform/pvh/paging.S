/*
 * paging.S - the boot page tables, built in 32-bit code because long mode
 * cannot be entered without them: an identity map of the first 4 GiB with
 * 2 MiB pages, vaddr == paddr everywhere, so guest-physical addresses
 * (the ring region, start_info) are usable as pointers.
 *
 *  - 0xF0000000-4 GiB (LAPIC, IOAPIC, other MMIO) is mapped uncached
 *    (PCD|PWT): device registers must not be cached or write-combined.
 *  - The first 2 MiB use 4 KiB pages so page 0 can be unmapped once the
 *    loader's data there (QEMU's memory map) has been copied: from then
 *    on a NULL dereference faults instead of reading the real-mode IVT.
 *  - Nothing above 4 GiB is mapped: an access there is a clean #PF.
 */
#define PTE_P    0x001
#define PTE_W    0x002
#define PTE_PWT  0x008
#define PTE_PCD  0x010
#define PTE_PS   0x080
#define MMIO_PD_INDEX ((0xF0000000 >> 21) & 511)   /* in the 4th PD */

	.section .text.boot, "ax", @progbits
	.code32
/* uint32_t pvh_build_page_tables(void): returns the PML4 address. */
	.globl pvh_build_page_tables
	.type pvh_build_page_tables, @function
pvh_build_page_tables:
	pushl %edi
	pushl %ebx

	/* PML4[0] -> PDPT; PDPT[0..3] -> the four PDs. .bss is already
	 * zero, so every other entry is "not present". */
	movl $pdpt, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, pml4

	movl $pds, %eax
	orl $(PTE_P | PTE_W), %eax
	xorl %ecx, %ecx
1:	movl %eax, pdpt(, %ecx, 8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jne 1b

	/* 2048 PD entries of 2 MiB each. ecx = index, eax = low word. */
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	cmpl $(3 * 512 + MMIO_PD_INDEX), %ecx
	jb 3f
	orl $(PTE_PCD | PTE_PWT), %eax
3:	movl %eax, pds(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jne 2b

	/* First 2 MiB: 4 KiB pages. */
	xorl %ecx, %ecx
4:	movl %ecx, %eax
	shll $12, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, pt_low(, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 4b
	movl $pt_low, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, pds

	movl $pml4, %eax
	popl %ebx
	popl %edi
	ret
	.size pvh_build_page_tables, .-pvh_build_page_tables

	.text
	.code64
/* void paging_unmap_null(void) */
	.globl paging_unmap_null
	.type paging_unmap_null, @function
paging_unmap_null:
	movq $0, pt_low(%rip)
	invlpg 0
	ret
	.size paging_unmap_null, .-paging_unmap_null

	.bss
	.balign 4096
pml4:	.skip 4096
pdpt:	.skip 4096
pds:	.skip 4 * 4096
pt_low:	.skip 4096

	.section .note.GNU-stack, "", @progbits
