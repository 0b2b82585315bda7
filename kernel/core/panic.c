/*
 * panic.c - the crash path. It fills the ring's panic record first and
 * prints second, because the record is what survives: the console may be
 * gone, but the host can read guest memory after the fact. Everything
 * here must work with a corrupted heap and scheduler, so it allocates
 * nothing and trusts only bounded stack walks.
 */
#include "panic.h"

#include "cpu.h"
#include "guest_trace.h"
#include "klib.h"
#include "platform.h"
#include "sched.h"
#include "trace.h"

/* How far above the frame pointer a backtrace may wander when the stack's
 * bounds are unknown (the boot stack). */
#define UNKNOWN_STACK_SPAN (256u * 1024u)

static const char *const vector_names[] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
	"#TS", "#NP", "#SS", "#GP", "#PF", "res", "#MF", "#AC", "#MC", "#XM",
};

const char *panic_vector_name(uint32_t vector)
{
	if (vector < KARRAY_SIZE(vector_names))
		return vector_names[vector];
	return vector == RS_PANIC_VECTOR_NONE ? "panic" : "irq";
}

/*
 * Walk saved frame pointers. Each frame must lie inside [lo, hi), be
 * aligned and strictly above the previous one, so a corrupted chain ends
 * the walk instead of faulting or looping.
 */
static uint32_t backtrace(uint64_t rip, uint64_t rbp, uint64_t *out,
			  uint32_t max)
{
	uintptr_t lo, hi;
	uint32_t n = 0;

	if (rip && max > 0)
		out[n++] = rip;

	if (!sched_current_stack(&lo, &hi)) {
		lo = (uintptr_t)rbp;
		hi = lo + UNKNOWN_STACK_SPAN;
	}
	while (n < max) {
		if (rbp < lo || rbp + 16 > hi || (rbp & 7) != 0)
			break;
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;
		uint64_t ret = frame[1];
		if (ret == 0)
			break;
		out[n++] = ret;
		if (frame[0] <= rbp)
			break;
		rbp = frame[0];
	}
	return n;
}

static void print_record(const struct rs_panic *p)
{
	kprintf("\n*** kernel panic: %s\n", p->reason);
	kprintf("    cpu %u vector %s error %lx fault address %lx\n", p->cpu,
		panic_vector_name(p->vector), (unsigned long)p->error_code,
		(unsigned long)p->fault_addr);
	kprintf("    rip %016lx rsp %016lx rbp %016lx\n",
		(unsigned long)p->regs[RS_REG_RIP],
		(unsigned long)p->regs[RS_REG_RSP],
		(unsigned long)p->regs[RS_REG_RBP]);
	for (uint32_t i = 0; i < p->backtrace_len && i < RS_BACKTRACE_MAX; i++)
		kprintf("    #%u %016lx\n", i, (unsigned long)p->backtrace[i]);
}

/* The record being filled, so a nested panic can still commit it. */
static struct rs_panic *recording;

/*
 * A panic while panicking. The first record is what matters; whatever of
 * it was filled before the nested fault (registers always, then the
 * backtrace, then the reason) is committed as it stands, marked, so the
 * host never finds a crashed guest with no valid record.
 */
static void __attribute__((noreturn)) panic_nested(struct rs_header *h)
{
	if (h) {
		gt_panic_begin(h);  /* counts this panic in `depth` */
		struct rs_panic *p = recording;
		if (p && !p->valid) {
			uint32_t n = 0;
			while (n < RS_BACKTRACE_MAX && p->backtrace[n])
				n++;
			p->backtrace_len = n;
			static const char note[] = " [nested panic in the panic path]";
			size_t len = kstrnlen(p->reason, RS_REASON_LEN - 1);
			if (len + sizeof(note) <= RS_REASON_LEN)
				memcpy(p->reason + len, note, sizeof(note));
			gt_panic_commit(h, p);
		}
	}
	platform_console_write("\n*** nested panic\n", 18);
	platform_halt_crashed();
}

/* Every CPU's registers beside the record (RING.md, "Several CPUs"):
 * the panicking CPU's, and each other online CPU's as the stop found it,
 * or that it did not answer. Before the commit, which a host's follow
 * takes as the last word. A CPU that never came up has no slot filled. */
static void record_cpus(struct rs_header *h, unsigned me,
			const struct panic_regs *mine)
{
	const uint64_t now = platform_cycles();
	gt_cpu_regs_set(h, me, RS_CPU_REGS_PANICKED, now, mine->r);
	for (unsigned c = 0; c < platform_ncpus(); c++) {
		struct panic_regs r;
		if (c == me || !kernel_cpus[c].online)
			continue;
		if (platform_stopped_regs(c, &r) == 0)
			gt_cpu_regs_set(h, c, RS_CPU_REGS_STOPPED, now, r.r);
		else
			gt_cpu_regs_set(h, c, RS_CPU_REGS_NO_ANSWER, now, NULL);
	}
}

/* Fills and commits the record. Without a ring a local copy still gets
 * printed, so the console report does not depend on tracing. The riskiest
 * steps come last: walking the stack, then formatting caller arguments. */
static void __attribute__((noreturn))
panic_common(uint32_t vector, uint64_t error_code, uint64_t fault_addr,
	     const struct panic_regs *regs, const char *fmt, va_list ap)
{
	static struct rs_panic local;
	static volatile int depth;
	struct rs_header *h = trace_region;
	struct rs_panic *p;

	platform_irq_disable();
	if (depth++ != 0)
		panic_nested(h);
	/* The other CPUs stop before the record is written: nothing they do
	 * can change what it describes (p->cpu says which CPU panicked). */
	platform_stop_other_cpus();
	if (h) {
		p = gt_panic_begin(h);
		if (!p) {
			platform_console_write("\n*** panic: record busy\n", 24);
			platform_halt_crashed();
		}
	} else {
		p = &local;
	}
	recording = h ? p : NULL;

	p->cpu = platform_cpu();
	p->vector = vector;
	p->error_code = error_code;
	p->fault_addr = fault_addr;
	p->tsc = platform_cycles();
	for (unsigned i = 0; i < RS_REG_COUNT; i++)
		p->regs[i] = regs->r[i];
	if (h)
		record_cpus(h, p->cpu, regs);
	for (unsigned i = 0; i < RS_BACKTRACE_MAX; i++)
		p->backtrace[i] = 0;
	/* Zeroed, so a reason cut short by a nested fault stays terminated. */
	memset(p->reason, 0, RS_REASON_LEN);
	p->backtrace_len = backtrace(regs->r[RS_REG_RIP],
				     regs->r[RS_REG_RBP], p->backtrace,
				     RS_BACKTRACE_MAX);
	kvsnprintf(p->reason, RS_REASON_LEN, fmt, ap);
	if (h)
		gt_panic_commit(h, p);

	print_record(p);
	platform_halt_crashed();
}

/* Captures the caller's view of the registers: rip/rsp/rbp describe the
 * frame that called panic(), so the backtrace starts at the culprit. */
#define CAPTURE_REGS(regs)                                                    \
	do {                                                                  \
		__asm__ __volatile__(                                         \
			"movq %%rax, 0(%0)\n\tmovq %%rbx, 8(%0)\n\t"          \
			"movq %%rcx, 16(%0)\n\tmovq %%rdx, 24(%0)\n\t"        \
			"movq %%rsi, 32(%0)\n\tmovq %%rdi, 40(%0)\n\t"        \
			"movq %%r8, 64(%0)\n\tmovq %%r9, 72(%0)\n\t"          \
			"movq %%r10, 80(%0)\n\tmovq %%r11, 88(%0)\n\t"        \
			"movq %%r12, 96(%0)\n\tmovq %%r13, 104(%0)\n\t"       \
			"movq %%r14, 112(%0)\n\tmovq %%r15, 120(%0)\n\t"      \
			"pushfq\n\tpopq 136(%0)\n\t"                          \
			"movw %%cs, 144(%0)\n\tmovw %%ss, 152(%0)\n\t"        \
			: : "r"((regs)->r) : "memory");                       \
	} while (0)

void panic(const char *fmt, ...)
{
	struct panic_regs regs;
	va_list ap;

	memset(&regs, 0, sizeof(regs));
	CAPTURE_REGS(&regs);
	uint64_t *fp = __builtin_frame_address(0);
	regs.r[RS_REG_RBP] = fp[0];                /* the caller's frame */
	regs.r[RS_REG_RIP] = fp[1];                /* return into the caller */
	regs.r[RS_REG_RSP] = (uint64_t)(uintptr_t)(fp + 2);
	va_start(ap, fmt);
	panic_common(RS_PANIC_VECTOR_NONE, 0, 0, &regs, fmt, ap);
}

static void __attribute__((noreturn))
panic_exception_fmt(uint32_t vector, uint64_t error_code, uint64_t fault_addr,
		    const struct panic_regs *regs, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	panic_common(vector, error_code, fault_addr, regs, fmt, ap);
}

void panic_exception(uint32_t vector, uint64_t error_code, uint64_t fault_addr,
		     const struct panic_regs *regs)
{
	panic_exception_fmt(vector, error_code, fault_addr, regs,
			    "exception %u (%s) at rip %lx in thread %u",
			    vector, panic_vector_name(vector),
			    (unsigned long)regs->r[RS_REG_RIP],
			    kernel_current_tid(platform_cpu()));
}
