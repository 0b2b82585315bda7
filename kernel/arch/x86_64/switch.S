/*
 * switch.S - x86-64 context switch, shared by the hosted and bare-metal
 * platforms: both run threads on stacks the kernel allocates, and only the
 * System V callee-saved registers need to survive a call to arch_switch().
 */
	.text

/* void arch_switch(uint64_t *save_sp, uint64_t new_sp) */
	.globl arch_switch
	.type arch_switch, @function
arch_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size arch_switch, .-arch_switch

/*
 * First code a new thread runs, "returned to" by arch_switch(). r12 holds
 * the entry function and r13 its argument (placed by arch_stack_init). rbp
 * is zero so frame-pointer backtraces stop here.
 */
	.globl arch_thread_start
	.type arch_thread_start, @function
arch_thread_start:
	xorl %ebp, %ebp
	movq %r13, %rdi
	andq $-16, %rsp
	callq *%r12
	ud2
	.size arch_thread_start, .-arch_thread_start

	.section .note.GNU-stack,"",@progbits
