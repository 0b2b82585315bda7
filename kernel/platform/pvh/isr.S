/*
 * isr.S - interrupt and exception entry stubs.
 *
 * Exceptions: every vector 0-31 gets a stub that pushes a uniform frame
 * (a dummy error code where the CPU pushes none, then the vector) and
 * jumps to a common path that saves all general registers, so the panic
 * record holds the exact register file at the fault. The layout must
 * match struct trap_frame in idt.c.
 *
 * Interrupts: the timer and the IPI save only the caller-saved registers
 * (C saves the rest) and return; the spurious vector returns without an EOI, as the
 * LAPIC requires.
 */
	.text


/* Vectors 8, 10-14, 17, 21, 29 and 30 come with a CPU error code. */
.macro EXC_STUB v
	.p2align 4
exc_stub_\v:
	.if !((\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30))
	pushq $0
	.endif
	pushq $\v
	jmp exc_common
.endm

.altmacro
.macro EXC_STUBS from=0, to=31
	EXC_STUB \from
	.if \to-\from
	EXC_STUBS %(\from+1), \to
	.endif
.endm
EXC_STUBS 0, 31

exc_common:
	cld
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	/* 22 words pushed in all on a 16-byte aligned frame base: rsp is
	 * aligned for the call. */
	movq %rsp, %rdi
	call pvh_exception      /* does not return */
1:	cli
	hlt
	jmp 1b

.macro STUB_ADDR v
	.quad exc_stub_\v
.endm
.macro STUB_ADDRS from=0, to=31
	STUB_ADDR \from
	.if \to-\from
	STUB_ADDRS %(\from+1), \to
	.endif
.endm

	.section .rodata
	.globl pvh_exc_stubs
	.balign 8
pvh_exc_stubs:
	STUB_ADDRS 0, 31

/*
 * An interrupt that calls C (`cfunc`): the timer and the IPI. A frame
 * record first, so a panic inside backtraces through the interrupted
 * code.
 */
.macro IRQ_STUB name, cfunc
	.text
	.globl \name
	.type \name, @function
	.p2align 4
\name:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	subq $8, %rsp           /* 5 + 1 + 9 + 1 words: aligned */
	cld
	call \cfunc
	addq $8, %rsp
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	popq %rbp
	iretq
	.size \name, .-\name
.endm

	IRQ_STUB pvh_irq_timer, pvh_timer_irq
	IRQ_STUB pvh_irq_ipi, pvh_ipi_irq

	.globl pvh_irq_spurious
	.type pvh_irq_spurious, @function
	.p2align 4
pvh_irq_spurious:
	iretq
	.size pvh_irq_spurious, .-pvh_irq_spurious

	.section .note.GNU-stack, "", @progbits
