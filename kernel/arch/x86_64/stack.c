/*
 * stack.c - lays out a new thread's first frame for arch_switch(): the
 * exact mirror of what switch.S pops, so the two must change together.
 */
#include "../../core/platform.h"

void arch_thread_start(void);

uint64_t arch_stack_init(void *stack_top, void (*entry)(void *), void *arg)
{
	uint64_t *sp = (uint64_t *)((uintptr_t)stack_top & ~(uintptr_t)15);

	*--sp = 0;                                 /* end of the frame chain */
	*--sp = (uint64_t)(uintptr_t)arch_thread_start; /* arch_switch's ret */
	*--sp = 0;                                 /* rbp */
	*--sp = 0;                                 /* rbx */
	*--sp = (uint64_t)(uintptr_t)entry;        /* r12 */
	*--sp = (uint64_t)(uintptr_t)arg;          /* r13 */
	*--sp = 0;                                 /* r14 */
	*--sp = 0;                                 /* r15 */
	return (uint64_t)(uintptr_t)sp;
}
