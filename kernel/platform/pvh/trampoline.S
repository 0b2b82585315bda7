/*
 * trampoline.S - how an application processor gets from the real mode a
 * startup IPI leaves it in to the kernel's 64-bit code, and that code's
 * first instructions.
 *
 * [pvh_tramp_start, pvh_tramp_end) is position independent: smp.c copies
 * it to a free page P below 1 MiB and sends SIPIs with vector P >> 12, so
 * the AP starts here at CS = P >> 4, IP = 0. %ebx holds P from the first
 * instructions on and every later access is relative to it; the absolute
 * addresses that depend on P (the GDT's base, the far jumps' targets)
 * are in the data block at the end, which smp.c fills before each start
 * (layout: trampoline.h). 16-bit real mode, then 32-bit protected mode on
 * the page's own flat GDT, then long mode on the kernel's page tables
 * (the CR3 CPU 0 uses), as boot.S does on CPU 0.
 *
 * pvh_ap_start64 stays in the kernel image (not copied): it is where both
 * this trampoline and a Xen vCPU started by VCPUOP_initialise arrive, in
 * long mode with rsp and rdi (the CPU's index) set.
 */
#include "trampoline.h"

#define X86_CR0_PE   (1 << 0)
#define X86_CR0_PG   (1 << 31)
#define X86_CR0_WP   (1 << 16)
#define X86_CR4_PAE  (1 << 5)
#define MSR_EFER     0xc0000080
#define EFER_LME     (1 << 8)
#define DATA(f)      (pvh_tramp_data - pvh_tramp_start + (f))

	.section .rodata
	.balign 16
	.code16
	.globl pvh_tramp_start
pvh_tramp_start:
	cli
	cld
	xorl %ebx, %ebx
	movw %cs, %bx
	movw %bx, %ds
	shll $4, %ebx                   /* P: this page's linear address */
	lgdtl DATA(TRAMP_GDTR)
	movl %cr0, %eax
	orl $X86_CR0_PE, %eax
	movl %eax, %cr0
	ljmpl *DATA(TRAMP_PM_JUMP)      /* to pvh_tramp_pm, on TRAMP_CS32 */

	.code32
	.globl pvh_tramp_pm
pvh_tramp_pm:
	movl $TRAMP_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $X86_CR4_PAE, %eax
	movl %eax, %cr4
	movl DATA(TRAMP_CR3)(%ebx), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(X86_CR0_PG | X86_CR0_WP), %eax
	movl %eax, %cr0
	ljmpl *DATA(TRAMP_LM_JUMP)(%ebx)        /* to pvh_tramp_lm, 64-bit */

	.code64
	.globl pvh_tramp_lm
pvh_tramp_lm:
	movl %ebx, %ebx         /* the upper half is undefined after 32-bit */
	movq DATA(TRAMP_STACK)(%rbx), %rsp
	movq DATA(TRAMP_ARG)(%rbx), %rdi
	movq DATA(TRAMP_ENTRY)(%rbx), %rax
	jmpq *%rax

	/* 0x08 64-bit code and 0x10 data as the kernel's GDT; 0x18 flat
	 * 32-bit code for the step through protected mode. */
	.balign 8
	.globl pvh_tramp_gdt, pvh_tramp_gdt_end
pvh_tramp_gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00cf9a000000ffff
pvh_tramp_gdt_end:
	.balign 8
	.globl pvh_tramp_data, pvh_tramp_end
pvh_tramp_data:
	.skip TRAMP_DATA_SIZE
pvh_tramp_end:

/*
 * In long mode on any GDT (the trampoline's, or none worth keeping under
 * Xen): the kernel's GDT, reloaded cs and data segments, then C. The
 * frame pointer chain ends here as on CPU 0 (boot.S).
 */
	.text
	.globl pvh_ap_start64
	.type pvh_ap_start64, @function
pvh_ap_start64:
	cli
	cld
	lgdt pvh_gdt_ptr(%rip)
	pushq $TRAMP_CS64
	leaq 1f(%rip), %rax
	pushq %rax
	lretq
1:	movl $TRAMP_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	xorl %ebp, %ebp
	call pvh_ap_main        /* smp.c, rdi = this CPU's index */
2:	cli
	hlt
	jmp 2b
	.size pvh_ap_start64, .-pvh_ap_start64

	.section .note.GNU-stack, "", @progbits
