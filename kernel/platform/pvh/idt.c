/*
 * idt.c - the IDT, and the C half of exception entry: turn the trap frame
 * isr.S built into the core's register file and hand it to
 * panic_exception(). Every exception is fatal in this kernel; there is no
 * demand paging or lazy FPU to resume from.
 */
#include "pvh.h"

#include "../../core/panic.h"
#include "../../core/tick.h"

/* Pushed by isr.S (r15 last, so lowest) and by the CPU (rip..ss). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));

void pvh_exception(const struct trap_frame *f) __attribute__((noreturn));

void idt_set_gate(unsigned vector, void (*handler)(void), unsigned ist)
{
	uint64_t a = (uint64_t)(uintptr_t)handler;

	idt[vector] = (struct idt_gate){
		.off_lo = (uint16_t)a,
		.sel = 0x08,
		.ist = (uint8_t)ist,
		.type = 0x8e,           /* present, DPL 0, interrupt gate */
		.off_mid = (uint16_t)(a >> 16),
		.off_hi = (uint32_t)(a >> 32),
	};
}

void idt_init(void)
{
	for (unsigned v = 0; v < 32; v++) {
		unsigned ist = v == 8 ? IST_DF : v == 2 ? IST_NMI :
			       v == 18 ? IST_MC : 0;
		idt_set_gate(v, (void (*)(void))(uintptr_t)pvh_exc_stubs[v],
			     ist);
	}
	/* Vectors left empty raise #NP with the vector in the error code,
	 * which the panic record then shows: better than ignoring them. */
	idt_load();
}

/* Every CPU shares the one IDT: the gates are the same everywhere. */
void idt_load(void)
{
	struct idt_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ __volatile__("lidt %0" : : "m"(p));
}

void pvh_exception(const struct trap_frame *f)
{
	struct panic_regs r;
	uint64_t cr2 = 0;

	if (f->vector == 14)
		__asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
	r.r[RS_REG_RAX] = f->rax;
	r.r[RS_REG_RBX] = f->rbx;
	r.r[RS_REG_RCX] = f->rcx;
	r.r[RS_REG_RDX] = f->rdx;
	r.r[RS_REG_RSI] = f->rsi;
	r.r[RS_REG_RDI] = f->rdi;
	r.r[RS_REG_RBP] = f->rbp;
	r.r[RS_REG_RSP] = f->rsp;
	r.r[RS_REG_R8] = f->r8;
	r.r[RS_REG_R9] = f->r9;
	r.r[RS_REG_R10] = f->r10;
	r.r[RS_REG_R11] = f->r11;
	r.r[RS_REG_R12] = f->r12;
	r.r[RS_REG_R13] = f->r13;
	r.r[RS_REG_R14] = f->r14;
	r.r[RS_REG_R15] = f->r15;
	r.r[RS_REG_RIP] = f->rip;
	r.r[RS_REG_RFLAGS] = f->rflags;
	r.r[RS_REG_CS] = f->cs;
	r.r[RS_REG_SS] = f->ss;
	/* The NMI of platform_stop_other_cpus: not a fault of this CPU's. */
	if (f->vector == 2 && smp_nmi_stop(&r))
		halt_forever();
	panic_exception((uint32_t)f->vector, f->error, cr2, &r);
}

/* Called by isr.S with interrupts disabled. EOI last: until then the
 * LAPIC holds back further ticks, so they cannot nest even if something
 * in the tick path enabled interrupts. */
void pvh_timer_irq(void);
void pvh_timer_irq(void)
{
	if (smp_count_tick())
		kernel_tick();
	lapic_timer_rearm();
	lapic_eoi();
}
