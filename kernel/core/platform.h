/*
 * platform.h - everything that differs between the platforms the kernel
 * core runs on (a Linux process today, bare-metal x86-64 under QEMU next).
 *
 * The core calls only these functions and never includes a platform's own
 * headers. Each platform implements all of them in its own directory.
 * Interrupt model: the platform calls kernel_tick() (tick.c) and
 * event_irq() (event.c) from interrupt context, with interrupts disabled.
 */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Clocks. The cycle counter is the trace timestamp source. */
uint64_t platform_cycles(void);
uint64_t platform_tsc_hz(void);
uint64_t platform_wall_ns(void);       /* Unix time in ns, 0 if unknown */

/* How the clocks were calibrated, for the ring header: enum
 * rs_clock_source / rs_tick_method values (ringside_ring.h), the tick
 * rate asked for, and the measured timer input clock (0 if none). */
struct platform_clock_info {
	uint32_t tsc_source, tick_method, tick_hz;
	uint64_t timer_hz;
};
void platform_clock_info(struct platform_clock_info *out);

/* Console for boot messages and panic reports; must work in a panic. */
void platform_console_write(const char *s, size_t n);

/*
 * Interrupts. irq_save() disables and returns the previous state for
 * irq_restore(). Enabling delivers whatever became pending while disabled.
 * These must be cheap: the scheduler uses them around every switch.
 */
unsigned long platform_irq_save(void);
void platform_irq_restore(unsigned long flags);
void platform_irq_disable(void);
void platform_irq_enable(void);
bool platform_irqs_enabled(void);

/*
 * Called with interrupts disabled: enable them, wait until at least one
 * interrupt has been handled, and return with them disabled again. Done
 * atomically so a tick arriving just before the wait is not slept through.
 */
void platform_idle(void);

/* The trace ring region: where it lives and its guest-physical address. */
void platform_ring_region(void **base, uint64_t *gpa, uint64_t *size);

/* Called once, right after the ring header is initialised: a platform may
 * announce the ring to its host here (PVH on Xen: xenstore). Optional:
 * boot.c holds a weak no-op for platforms without one. */
void platform_trace_ready(void);

/* Memory handed to the page allocator: [*start, *end), page aligned. */
void platform_free_range(uintptr_t *start, uintptr_t *end);

/*
 * Several CPUs (issue 15; kernel/README.md, "SMP"). CPU 0 boots; the
 * core starts the others with platform_start_cpu once it is ready for
 * them. A platform that runs one CPU returns 1 from platform_ncpus and
 * never gets the other calls.
 */
#define KERNEL_MAX_CPUS 16u             /* RS_MAX_CPUS: a ring each */
/* CPUs the kernel may use, 1..KERNEL_MAX_CPUS (firmware tables, PVH
 * start info, Xen, or the hosted --cpus); fixed once the core runs. */
unsigned platform_ncpus(void);
/* The running CPU, 0..ncpus-1: cheap, and safe in interrupt context and
 * in a panic. */
unsigned platform_cpu(void);
/* Brings CPU `cpu` (1..ncpus-1) up: its own descriptor tables, stacks,
 * interrupt controller and tick, then entry() on a stack of its own with
 * interrupts disabled; entry does not return. 0 once the CPU has reached
 * entry, -1 if it did not come up in time. */
int platform_start_cpu(unsigned cpu, void (*entry)(void));
/* Interrupts CPU `cpu`; there the platform calls kernel_ipi() (tick.h)
 * in interrupt context. A no-op for the calling CPU itself. */
void platform_send_ipi(unsigned cpu);
/* From a panicking CPU: every other CPU stops (an NMI or IPI), records
 * its registers for the crash report, and halts. Returns once they have
 * stopped or a short bounded wait has passed. */
void platform_stop_other_cpus(void);
/* Where CPU `cpu` was when platform_stop_other_cpus stopped it: 0 and
 * *out filled, or -1 if it did not stop (or was never asked to). */
struct panic_regs;
int platform_stopped_regs(unsigned cpu, struct panic_regs *out);
/* Called now and then by a CPU that spins waiting for another (a lock, a
 * thread still being switched away from). Optional: spinlock.c holds a
 * weak no-op, right for real CPUs; the hosted platform, whose CPUs are
 * threads that may outnumber the host's cores, yields the core. */
void platform_cpu_relax(void);

/* Clean exit with a status (the ring state is already RS_STATE_EXITED). */
void platform_exit(int status) __attribute__((noreturn));
/* Stop for good after a crash; the panic record is already complete. */
void platform_halt_crashed(void) __attribute__((noreturn));

/*
 * Deliberate failures and their safety nets (the crash workloads).
 *
 * platform_stack_guard() makes the page at `lo` (page aligned, the lowest
 * page of a thread stack) inaccessible so running off the stack faults at
 * once instead of corrupting the memory below; unguard makes it ordinary
 * memory again before the stack is freed. Best effort: a platform that
 * cannot guard a page leaves it accessible.
 */
void platform_stack_guard(void *lo);
void platform_stack_unguard(void *lo);
/* An address whose write faults as a page fault (vector 14). */
uintptr_t platform_unmapped_address(void);
/* Triple fault: the CPU resets without any panic record (bare metal), or
 * the closest analog (hosted: SIGKILL, nothing more written). */
void platform_triple_fault(void) __attribute__((noreturn));

/* Per-architecture context switch (kernel/arch/x86_64/switch.S). Saves the
 * callee-saved registers on the current stack, stores the stack pointer in
 * *save_sp and resumes the context whose stack pointer is new_sp. */
void arch_switch(uint64_t *save_sp, uint64_t new_sp);
/* Builds an initial frame on a fresh stack so the first arch_switch() to
 * it calls entry(arg) with a terminated frame-pointer chain. */
uint64_t arch_stack_init(void *stack_top, void (*entry)(void *), void *arg);

#endif /* KERNEL_PLATFORM_H */
