/*
 * crash.c - Unikraft's crash path into ringside's panic record: the
 * reason, the registers, the vector and a frame-pointer backtrace, then
 * state crashed, so `ringside info` gives the same verdict as for
 * ringside's own kernel.
 *
 * Two ways in. UK_CRASH calls uk_crash_hook first (the patch in
 * patches/), with its message; its registers are saved on entry. A trap Unikraft cannot handle raises its
 * UKARCH_TRAP_* event, then crashes through UK_CRASH("Crashing"): the
 * event handler here keeps the trap's registers, and the crash that
 * follows inside that same trap frame records them instead of the crash
 * hook's own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uk/arch/traps.h>
#include <uk/event.h>

#include "ringside_uk_internal.h"

/* The last unhandled-so-far trap: its frame, where it lives (to tell
 * whether a crash happens inside it), its number and codes. */
static struct {
	struct __regs regs;
	uintptr_t frame;
	int trapnr;
	uint64_t error_code, fault_addr;
} trap;

static int trap_event(void *data)
{
	const struct ukarch_trap_ctx *c = data;

	if (c && c->regs) {
		trap.regs = *c->regs;
		trap.frame = (uintptr_t)c->regs;
		trap.trapnr = c->trapnr;
		trap.error_code = (uint64_t)(uint32_t)c->error_code;
		trap.fault_addr = c->fault_address;
	}
	/* Only watching: a later handler (paging, a debugger) may still
	 * handle it, and then nothing crashes. */
	return UK_EVENT_NOT_HANDLED;
}
UK_EVENT_HANDLER_PRIO(UKARCH_TRAP_PAGE_FAULT, trap_event, UK_PRIO_EARLIEST);
UK_EVENT_HANDLER_PRIO(UKARCH_TRAP_INVALID_OP, trap_event, UK_PRIO_EARLIEST);
UK_EVENT_HANDLER_PRIO(UKARCH_TRAP_X86_GP, trap_event, UK_PRIO_EARLIEST);
UK_EVENT_HANDLER_PRIO(UKARCH_TRAP_MATH, trap_event, UK_PRIO_EARLIEST);
UK_EVENT_HANDLER_PRIO(UKARCH_TRAP_BUS_ERROR, trap_event, UK_PRIO_EARLIEST);

static void regs_from_trap(uint64_t *r, const struct __regs *t)
{
	r[RS_REG_RAX] = t->rax; r[RS_REG_RBX] = t->rbx;
	r[RS_REG_RCX] = t->rcx; r[RS_REG_RDX] = t->rdx;
	r[RS_REG_RSI] = t->rsi; r[RS_REG_RDI] = t->rdi;
	r[RS_REG_RBP] = t->rbp; r[RS_REG_RSP] = t->rsp;
	r[RS_REG_R8] = t->r8;   r[RS_REG_R9] = t->r9;
	r[RS_REG_R10] = t->r10; r[RS_REG_R11] = t->r11;
	r[RS_REG_R12] = t->r12; r[RS_REG_R13] = t->r13;
	r[RS_REG_R14] = t->r14; r[RS_REG_R15] = t->r15;
	r[RS_REG_RIP] = t->rip; r[RS_REG_RFLAGS] = t->eflags;
	r[RS_REG_CS] = t->cs;   r[RS_REG_SS] = t->ss;
}

/*
 * A software crash has no trap frame. uk_crash_hook's entry (below, in
 * assembly, so no compiler-made prologue touches a register first) saves
 * every register as UK_CRASH's call left them: the callee-saved ones are
 * the crashing function's, rip is the call's return address, rsp the
 * caller's stack pointer before the call; rdi, rsi, rdx, ... are the
 * hook's own arguments. Then it jumps to rsuk_crash_hook_c with the arguments
 * untouched. One CPU, and a second crash only counts (gt_panic_begin),
 * so one static save area is enough.
 */
uint64_t rsuk_crash_regs[RS_REG_COUNT];

_Static_assert(RS_REG_RAX == 0 && RS_REG_RBX == 1 && RS_REG_RCX == 2 &&
	       RS_REG_RDX == 3 && RS_REG_RSI == 4 && RS_REG_RDI == 5 &&
	       RS_REG_RBP == 6 && RS_REG_RSP == 7 && RS_REG_R8 == 8 &&
	       RS_REG_R15 == 15 && RS_REG_RIP == 16 && RS_REG_RFLAGS == 17 &&
	       RS_REG_CS == 18 && RS_REG_SS == 19,
	       "the save offsets below follow enum rs_reg");

void rsuk_crash_hook_c(const char *file, int line, const char *fmt, ...);

__asm__(
	".text\n"
	".globl uk_crash_hook\n"
	".type uk_crash_hook, @function\n"
	"uk_crash_hook:\n"
	"	movq %rax, rsuk_crash_regs+0(%rip)\n"
	"	movq %rbx, rsuk_crash_regs+8(%rip)\n"
	"	movq %rcx, rsuk_crash_regs+16(%rip)\n"
	"	movq %rdx, rsuk_crash_regs+24(%rip)\n"
	"	movq %rsi, rsuk_crash_regs+32(%rip)\n"
	"	movq %rdi, rsuk_crash_regs+40(%rip)\n"
	"	movq %rbp, rsuk_crash_regs+48(%rip)\n"
	"	movq %r8, rsuk_crash_regs+64(%rip)\n"
	"	movq %r9, rsuk_crash_regs+72(%rip)\n"
	"	movq %r10, rsuk_crash_regs+80(%rip)\n"
	"	movq %r11, rsuk_crash_regs+88(%rip)\n"
	"	movq %r12, rsuk_crash_regs+96(%rip)\n"
	"	movq %r13, rsuk_crash_regs+104(%rip)\n"
	"	movq %r14, rsuk_crash_regs+112(%rip)\n"
	"	movq %r15, rsuk_crash_regs+120(%rip)\n"
	"	leaq 8(%rsp), %rax\n"
	"	movq %rax, rsuk_crash_regs+56(%rip)\n"
	"	movq (%rsp), %rax\n"
	"	movq %rax, rsuk_crash_regs+128(%rip)\n"
	"	pushfq\n"
	"	popq %rax\n"
	"	movq %rax, rsuk_crash_regs+136(%rip)\n"
	"	movq %cs, %rax\n"
	"	movq %rax, rsuk_crash_regs+144(%rip)\n"
	"	movq %ss, %rax\n"
	"	movq %rax, rsuk_crash_regs+152(%rip)\n"
	"	movq rsuk_crash_regs+0(%rip), %rax\n"
	"	jmp rsuk_crash_hook_c\n"
	".size uk_crash_hook, .-uk_crash_hook\n");

/*
 * Return addresses by frame pointers, from `rbp` up. Every step must go
 * up the stack, stay 8-aligned and stay within 256 KiB above `sp`, the
 * stack pointer of the code that crashed: a corrupt rbp ends the walk
 * instead of sending it into memory that may not be mapped, which would
 * fault inside the crash.
 */
static uint32_t backtrace(uint64_t rbp, uint64_t sp, uint64_t *out)
{
	const uint64_t lo = sp, hi = sp + 256u * 1024u;
	uint32_t n = 0;

	while (n < RS_BACKTRACE_MAX && rbp >= lo && rbp + 16 <= hi &&
	       (rbp & 7) == 0) {
		const uint64_t *f = (const uint64_t *)(uintptr_t)rbp;
		uint64_t ret = f[1], up = f[0];

		if (ret == 0)
			break;
		out[n++] = ret;
		if (up <= rbp)
			break;
		rbp = up;
	}
	return n;
}

static const char *trap_name(int nr)
{
	switch (nr) {
	case 0: return "divide error";
	case 6: return "invalid opcode";
	case 13: return "general protection";
	case 14: return "page fault";
	case 16: return "x87 error";
	case 17: return "alignment check";
	case 19: return "SIMD error";
	default: return "trap";
	}
}

void rsuk_crash_hook_c(const char *file, int line, const char *fmt, ...)
{
	struct rs_header *h = rsuk_hdr;
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
	struct rs_panic *p;
	va_list ap;

	if (!h)
		return;
	p = gt_panic_begin(h);
	if (!p)
		return; /* a crash in the crash path: counted in depth */
	/* In the trap's own frame (it lies above us, close by)? Then this
	 * crash is that trap's. */
	int in_trap = trap.frame > frame && trap.frame - frame < 64u * 1024u;

	memset(p->regs, 0, sizeof(p->regs));
	memset(p->backtrace, 0, sizeof(p->backtrace));
	memset(p->reason, 0, RS_REASON_LEN);
	p->cpu = 0;
	p->tsc = gt_rdtsc();
	size_t at = 0;
	if (in_trap) {
		regs_from_trap(p->regs, &trap.regs);
		p->vector = (uint32_t)trap.trapnr;
		p->error_code = trap.error_code;
		p->fault_addr = trap.fault_addr;
		at = (size_t)snprintf(p->reason, RS_REASON_LEN, "%s: ",
				      trap_name(trap.trapnr));
	} else {
		memcpy(p->regs, rsuk_crash_regs, sizeof(p->regs));
		p->vector = RS_PANIC_VECTOR_NONE;
		p->error_code = 0;
		p->fault_addr = 0;
	}
	if (at < RS_REASON_LEN - 1) {
		va_start(ap, fmt);
		vsnprintf(p->reason + at, RS_REASON_LEN - at, fmt, ap);
		va_end(ap);
	}
	/* UK_CRASH messages end in a newline; the record's reason is one
	 * line. The site follows when it fits. */
	size_t len = strnlen(p->reason, RS_REASON_LEN - 1);
	while (len > 0 && (p->reason[len - 1] == '\n' || p->reason[len - 1] == ' '))
		p->reason[--len] = '\0';
	if (file && len + 8 < RS_REASON_LEN - 1) {
		const char *base = strrchr(file, '/');

		snprintf(p->reason + len, RS_REASON_LEN - len, " (%s:%d)",
			 base ? base + 1 : file, line);
	}
	/* A trap ran on Unikraft's auxiliary stack: walk the stack of the
	 * code it interrupted, bounded by that code's own stack pointer. */
	p->backtrace_len = backtrace(p->regs[RS_REG_RBP], p->regs[RS_REG_RSP],
				     p->backtrace);
	gt_panic_commit(h, p);
}
