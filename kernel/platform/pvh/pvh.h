/*
 * pvh.h - what the PVH platform's files share with each other: port and
 * MSR access, CPUID, and each file's entry points. Nothing outside
 * kernel/platform/pvh/ includes this; the core sees only platform.h.
 */
#ifndef PVH_PVH_H
#define PVH_PVH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr"
			     : : "c"(msr), "a"((uint32_t)v),
			       "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ __volatile__("cpuid"
			     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			     : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void __attribute__((noreturn)) halt_forever(void)
{
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

/* boot.S / isr.S */
extern char __kernel_start[], __kernel_end[];
extern const uint64_t pvh_exc_stubs[32];
void pvh_irq_timer(void);
void pvh_irq_ipi(void);
void pvh_irq_spurious(void);

/* console.c */
void console_init(void);
void console_puts(const char *s);

/* gdt.c: GDT, TSS and the IST stacks for faults that cannot trust rsp. */
enum { IST_DF = 1, IST_NMI = 2, IST_MC = 3 };
void gdt_init(void);
/* An AP's own GDT and TSS, IST stacks topped at ist_top[IST_x - 1]. */
void gdt_init_ap(unsigned cpu, const uintptr_t ist_top[3]);

/* idt.c */
void idt_init(void);
void idt_load(void);            /* an AP: the IDT idt_init built */
void idt_set_gate(unsigned vector, void (*handler)(void), unsigned ist);

/* tsc.c: returns the TSC frequency and says where it came from (enum
 * rs_clock_source). */
bool xen_detect(uint32_t *base);
uint64_t tsc_calibrate(uint32_t *source);

/* A counter to calibrate against, read in TSC brackets (refclock.c). `read`
 * returns the raw counter, `bits` wide, counting down if `down`. A
 * counter that can wrap within a calibration window names the longest
 * time (in counts) between two reads' samples that cannot hide a whole
 * wrap
 * (`max_gap_counts`; 0: it cannot wrap). The rest is ref_calibrate's. */
struct ref_clock {
	uint64_t (*read)(void);
	uint64_t hz;            /* its rate; 0 when that is being measured */
	unsigned bits;
	bool down;
	uint64_t max_gap_counts;
	uint64_t last_raw, last_before, last_after, ext, gap, gap_min;
};
/* With tsc_hz 0: the TSC's rate, against a reference of known c->hz.
 * Otherwise: the reference's rate, against a TSC of tsc_hz. The median of
 * several estimates whose ends are read in narrow TSC brackets, so a vCPU
 * descheduled mid-read cannot skew it. 0 if no estimate could be made. */
uint64_t ref_calibrate(struct ref_clock *c, uint64_t tsc_hz);
/* Busy-waits `cycles` TSC ticks. */
void tsc_delay(uint64_t cycles);

/* lapic.c: the tick, `hz` times a second, from the LAPIC timer (its
 * clock calibrated against the TSC) run one-shot; lapic_timer_rearm() is
 * the interrupt's part, before the EOI. lapic_timer_method() is an enum
 * rs_tick_method; lapic_timer_hz() the timer's clock as used. */
void pic_disable(void);
void lapic_timer_start(uint64_t tsc_hz, unsigned hz);
void lapic_timer_rearm(void);
void lapic_eoi(void);
uint64_t lapic_timer_hz(void);
uint32_t lapic_timer_method(void);
/* An AP's LAPIC: CPU 0's mode, its timer at CPU 0's rate (no
 * calibration), armed; interrupts stay as they are. */
void lapic_ap_timer_start(void);
/* This CPU's APIC id (from the MSR-selected mode; usable before
 * lapic_timer_start). */
uint32_t lapic_id(void);
bool lapic_x2apic(void);
/* Writes the ICR: `icr_lo` (vector, delivery mode, level) to `apic_id`.
 * -1 if an xAPIC did not accept it within a bounded wait. */
int lapic_send_ipi(uint32_t apic_id, uint32_t icr_lo);

/* rtc.c: Unix time in ns from the CMOS clock, 0 if there is none. */
uint64_t rtc_read_ns(void);

/* start_info.c */
struct pvh_boot {
	uint64_t ring_gpa, ring_size;
	uint64_t free_start, free_end;
};
/* Validates the start_info at paddr and copies what later steps need.
 * Returns 0, or -1 after printing why. */
int start_info_capture(uint32_t paddr);
/* The command line, "" if none. */
const char *start_info_cmdline(void);
/* Picks the ring and allocator ranges. Returns 0, or -1 after printing
 * why. */
int start_info_layout(uint64_t ring_bytes, struct pvh_boot *b);
/* The RSDP's address the loader gave (0 if none). */
uint64_t start_info_rsdp(void);
/* A free RAM page in [4 KiB, 640 KiB) that the loader put nothing in
 * (the AP trampoline's), 0 if there is none. */
uint64_t start_info_low_page(void);

/* xen.c: Xen PVH guest support; all no-ops when not on Xen. */
#define SHUTDOWN_POWEROFF 0u
#define SHUTDOWN_CRASH    3u
void xen_init(void);            /* detect, install the hypercall page */
bool xen_present(void);
void xen_shutdown(unsigned reason);     /* returns only if not on Xen */
int xen_hvm_get_param(uint32_t index, uint64_t *value);
int xen_evtchn_send(uint32_t port);
/* Starts vCPU `vcpu` in long mode at `rip` (the kernel's page tables)
 * with rsp and rdi as given: VCPUOP_initialise, then VCPUOP_up. */
int xen_vcpu_start(uint32_t vcpu, uint64_t rip, uint64_t rsp, uint64_t rdi);
/* VCPUOP_is_up: 1 up, 0 down, -1 no such vCPU (or not on Xen). */
int xen_vcpu_is_up(uint32_t vcpu);
/* HYPERVISOR_memory_op and HYPERVISOR_grant_table_op (`count` structures
 * at `args`): Xen's return value, -1 when not on Xen. */
long xen_memory_op(unsigned cmd, void *arg);
long xen_grant_table_op(unsigned cmd, void *args, unsigned count);

/* grant.c: sharing the trace region with dom0 by grant references (grant
 * table v1). grant_table_init maps the table, with room for `max_pages`,
 * into frames taken from the top of [*free_start, *free_end);
 * grant_share grants [gpa, gpa + pages * 4096) read-only to dom0, page
 * by page. Each: 0, or -1 after saying why on the console (then nothing
 * is granted and the ring is read by gfn). */
int grant_table_init(uint64_t max_pages, uint64_t *free_start,
		     uint64_t *free_end);
int grant_share(uint64_t gpa, uint64_t pages);
/* The references in page order, decimal, single spaces between ("8 9
 * 10 ..."): 0, or -1 when nothing is granted or they do not fit `len`. */
int grant_refs_text(char *buf, size_t len);

/* xenstore.c: publishes data/ringside/{gfn,pages,nonce} and, if not NULL,
 * ring-ref, in one transaction; best effort. */
void xenstore_publish_ring(uint64_t ring_gpa, uint64_t tsc_hz,
			   const char *ring_ref);

/* smp.c: the other CPUs (platform.h's SMP calls are there too). */
struct panic_regs;
void smp_early(void);           /* CPU 0's per-CPU area: first thing */
/* How many CPUs, from ACPI (rsdp_paddr from start_info, 0: search); needs
 * page 0 still mapped (the BIOS data area's EBDA pointer). */
void smp_detect(uint64_t rsdp_paddr);
/* Takes the other CPUs' stacks from the top of [*start, *end) and copies
 * the trampoline below 1 MiB; on failure the kernel keeps one CPU. */
void smp_reserve(uint64_t *start, uint64_t *end);
void smp_install_ipi(void);     /* the IPI's gate in the shared IDT */
/* The timer interrupt's count for this CPU; true if the core's
 * kernel_tick should run (not in the smptest self-check). */
bool smp_count_tick(void);
/* From the NMI handler: if the CPUs are being stopped, saves `r` as this
 * CPU's and returns true (then the caller halts). */
bool smp_nmi_stop(const struct panic_regs *r);
/* smptest: the platform's own check of the bring-up (smptest.c). */
void smp_selftest(void) __attribute__((noreturn));
void smp_set_selftest(void);
uint32_t smp_apic_id(unsigned cpu);
uint64_t smp_ticks(unsigned cpu);
uint64_t smp_ipis(unsigned cpu);
/* platform_stopped_regs: core/platform.h */

/* paging.S: drop the boot-time mapping of page 0. */
void paging_unmap_null(void);

#endif /* PVH_PVH_H */
