/*
 * boot.S - the PVH entry: the ELF note that makes QEMU (-kernel) and Xen
 * boot us, then 32-bit protected mode (paging off, %ebx = hvm_start_info)
 * to 64-bit long mode, and into pvh_main(start_info_paddr).
 *
 * PVH guarantees flat 32-bit cs/ds/es/ss but no usable GDT, so nothing
 * reloads a segment register until our own GDT is in place.
 */
#define X86_CR0_PG   (1 << 31)
#define X86_CR0_WP   (1 << 16)
#define X86_CR4_PAE  (1 << 5)
#define MSR_EFER     0xc0000080
#define EFER_LME     (1 << 8)
#define KERNEL_CS    0x08
#define KERNEL_DS    0x10

/*
 * XEN_ELFNOTE_PHYS32_ENTRY (18). The descriptor is 8 bytes: QEMU reads a
 * u64 from an ELF64 note. The note and its segment must stay 4-byte
 * aligned; QEMU rounds the name with the segment's alignment and, with 8,
 * misses the note.
 */
	.section .note.Xen, "a", @note
	.p2align 2
	.long 4                 /* namesz: "Xen\0" */
	.long 8                 /* descsz */
	.long 18                /* type */
	.asciz "Xen"
	.p2align 2
	.quad pvh_start32

	.section .text.boot, "ax", @progbits
	.code32
	.globl pvh_start32
	.type pvh_start32, @function
pvh_start32:
	cli
	cld
	/* %ebx must survive until 64-bit code hands it to C. */
	movl %ebx, %esi
	movl $boot_stack_top, %esp

	/* Zero .bss before anything in it is used: the page tables and the
	 * boot stack live there. The loader zeroes it too, but a reused
	 * image (kexec-style reboots) need not. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	call pvh_build_page_tables      /* paging.S; returns CR3 in %eax */
	movl %eax, %cr3

	lgdt pvh_gdt_ptr                /* gdt.c: low 32 bits of the base */

	movl %cr4, %eax
	orl $X86_CR4_PAE, %eax
	movl %eax, %cr4

	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr

	movl %cr0, %eax
	orl $(X86_CR0_PG | X86_CR0_WP), %eax
	movl %eax, %cr0

	/* Now in compatibility mode on the cached flat cs; the far jump
	 * loads our 64-bit code segment. */
	ljmp $KERNEL_CS, $start64
	.size pvh_start32, .-pvh_start32

	.code64
start64:
	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movq $boot_stack_top, %rsp
	/* rbp = 0 ends every frame-pointer backtrace here. */
	xorl %ebp, %ebp
	movl %esi, %edi                 /* start_info paddr, zero-extended */
	call pvh_main
1:	cli
	hlt
	jmp 1b

	.bss
	.balign 16
boot_stack:
	.skip 32768
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
