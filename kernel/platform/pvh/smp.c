/*
 * smp.c - the other CPUs on the PVH platform: how many there are (the
 * ACPI MADT, acpi.c), starting them (INIT-SIPI-SIPI through the
 * trampoline below 1 MiB on bare metal; VCPUOP_initialise/VCPUOP_up
 * under Xen, xen.c), which CPU is running, IPIs, and stopping them all
 * when one panics. platform.h's SMP calls are here.
 *
 * platform_cpu() reads the index from a per-CPU area that the GS base
 * points to (set once per CPU, first thing: smp_early on CPU 0,
 * pvh_ap_main on the others). One instruction, no memory shared between
 * CPUs, no trapping device read (the LAPIC ID register traps under Xen),
 * and valid in any context once set, interrupts, NMIs and panics
 * included: nothing in the kernel ever writes GS again (no swapgs, no
 * user mode).
 *
 * IPIs use vector 0xf0 (IPI_VECTOR): above the tick's 32, so a wake-up
 * is not held back by a tick in progress. A stop is an NMI: it reaches a
 * CPU spinning with interrupts off, which is exactly the stuck CPU a
 * panic wants the registers of.
 */
#include "pvh.h"

#include "acpi.h"
#include "trampoline.h"

#include "../../core/klib.h"
#include "../../core/panic.h"
#include "../../core/platform.h"
#include "../../core/tick.h"

#define MSR_GS_BASE 0xc0000101u
#define MSR_APIC_BASE 0x1bu
#define APIC_BASE_X2 (1u << 10)

#define IPI_VECTOR 0xf0u
#define ICR_ASSERT (1u << 14)
#define ICR_FIXED (ICR_ASSERT | 0x000u)
#define ICR_NMI (ICR_ASSERT | 0x400u)
#define ICR_INIT (ICR_ASSERT | 0x500u)
#define ICR_SIPI (ICR_ASSERT | 0x600u)

/* Each AP's memory, from the top of the allocator's range: a guard page,
 * its stack, then its three IST stacks (#DF, NMI, #MC). */
#define AP_GUARD 4096u
#define AP_STACK (32u * 1024u)          /* as CPU 0's boot stack */
#define AP_IST (16u * 1024u)            /* as CPU 0's (gdt.c) */
#define AP_SLOT (AP_GUARD + AP_STACK + 3u * AP_IST)

/* How long an AP may take from its first SIPI to entry(): 200 us would
 * do on hardware, but under QEMU TCG on a loaded 2-CPU host a vCPU
 * thread can wait hundreds of ms for the host CPU. */
#define START_TIMEOUT_MS 1000u
#define STOP_TIMEOUT_MS 200u

enum cpu_state {
	CPU_OFF, CPU_STARTING, CPU_ONLINE, CPU_ABANDONED, CPU_STOPPED,
};

struct pvh_cpu {
	uint32_t index;                 /* at %gs:0; must stay first */
	uint32_t apic_id;
	uint32_t acpi_uid;              /* Xen: the vCPU id */
	volatile uint32_t state;        /* enum cpu_state */
	volatile uint64_t ticks, ipis;
	void (*entry)(void);
	uint64_t slot;                  /* AP_SLOT bytes, page aligned */
	volatile uint32_t regs_saved;
	struct panic_regs stop_regs;    /* where the stop NMI found it */
} __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct pvh_cpu, index) == 0,
	       "platform_cpu reads %gs:0");
_Static_assert(ACPI_MAX_CPUS == KERNEL_MAX_CPUS, "acpi.h keeps them all");

static struct pvh_cpu cpus[KERNEL_MAX_CPUS];
static unsigned ncpus = 1;
static uint64_t tramp_page;
static volatile uint32_t stopper;       /* 1 + the CPU stopping the rest */
static volatile uint32_t start_busy;
static bool selftest;

static struct pvh_cpu *this_cpu(void)
{
	return &cpus[platform_cpu() % KERNEL_MAX_CPUS];
}

static uint64_t ms_cycles(uint64_t ms)
{
	uint64_t hz = platform_tsc_hz();

	return (hz ? hz : 1000000000ull) / 1000 * ms;
}

void smp_early(void)
{
	cpus[0].index = 0;
	cpus[0].state = CPU_ONLINE;     /* an AP may IPI or stop it */
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&cpus[0]);
}

/* Firmware tables are identity mapped below 4 GiB; nothing else is
 * mapped, and page 0 only as the BIOS data area. */
static const void *map_phys(uint64_t pa, uint64_t len, void *ctx)
{
	(void)ctx;
	if (!pa || !len || pa >= (1ull << 32) || len > (1ull << 32) - pa)
		return NULL;
	return (const void *)(uintptr_t)pa;
}

static void xen_count_vcpus(const char *why);

void smp_detect(uint64_t rsdp_paddr)
{
	struct acpi_cpus a;
	bool x2 = rdmsr(MSR_APIC_BASE) & APIC_BASE_X2;
	uint32_t bsp = lapic_id();

	cpus[0].apic_id = bsp;
	const char *why = acpi_find_cpus(rsdp_paddr, map_phys, NULL, bsp, &a);
	if (why && xen_present()) {
		xen_count_vcpus(why);
		return;
	}
	if (why) {
		kprintf("pvh: smp: %s; using one CPU\n", why);
		return;
	}
	cpus[0].acpi_uid = a.acpi_uid[0];
	unsigned n = 1;
	for (unsigned i = 1; i < a.n; i++) {
		/* An xAPIC addresses 8-bit ids only (0xff is broadcast). */
		if (!x2 && a.apic_id[i] >= 0xff) {
			kprintf("pvh: smp: apic %u needs x2APIC mode; left "
				"out\n", a.apic_id[i]);
			continue;
		}
		cpus[n] = (struct pvh_cpu){ .index = n,
			.apic_id = a.apic_id[i], .acpi_uid = a.acpi_uid[i] };
		n++;
	}
	if (a.enabled > a.n)
		kprintf("pvh: smp: %u CPUs enabled, using the first %u\n",
			a.enabled, a.n);
	ncpus = n;
	if (n > 1)
		kprintf("pvh: smp: %u CPUs in the MADT\n", n);
}

/*
 * A Xen guest without ACPI tables (acpi=0): the vCPUs Xen says are up,
 * by VCPUOP_is_up from vCPU 1 until one does not exist. Their APIC ids
 * follow Xen's rule (vlapic: id = 2 x vCPU id), which is what its MADT
 * would have said.
 */
static void xen_count_vcpus(const char *why)
{
	unsigned n = 1;

	for (uint32_t v = 1; v < KERNEL_MAX_CPUS; v++) {
		int up = xen_vcpu_is_up(v);
		if (up < 0)
			break;
		if (!up)
			continue;
		cpus[n] = (struct pvh_cpu){ .index = n, .apic_id = 2 * v,
					    .acpi_uid = v };
		n++;
	}
	ncpus = n;
	kprintf("pvh: smp: %s; Xen says %u vCPUs are up\n", why, n);
}

void smp_reserve(uint64_t *start, uint64_t *end)
{
	uint64_t tsize = (uint64_t)(pvh_tramp_end - pvh_tramp_start);

	if (ncpus == 1)
		return;
	uint64_t need = (uint64_t)(ncpus - 1) * AP_SLOT;
	/* Xen starts vCPUs in long mode: no trampoline there. */
	tramp_page = xen_present() ? 0 : start_info_low_page();
	if ((!xen_present() && (!tramp_page || tsize > 4096)) ||
	    *end - *start < need + (1u << 20)) {
		kprintf("pvh: smp: no room for the other CPUs' stacks or the "
			"trampoline; using one CPU\n");
		ncpus = 1;
		return;
	}
	*end -= need;
	for (unsigned i = 1; i < ncpus; i++) {
		cpus[i].slot = *end + (uint64_t)(i - 1) * AP_SLOT;
		platform_stack_guard((void *)(uintptr_t)cpus[i].slot);
	}
	if (tramp_page)
		memcpy((void *)(uintptr_t)tramp_page, pvh_tramp_start, tsize);
}

unsigned platform_ncpus(void)
{
	return ncpus;
}

unsigned platform_cpu(void)
{
	uint32_t i;

	/* volatile: a thread that moved CPUs must not reuse an old read */
	__asm__ __volatile__("movl %%gs:0, %0" : "=r"(i));
	return i;
}

static uint64_t stack_top(const struct pvh_cpu *c)
{
	return c->slot + AP_GUARD + AP_STACK;
}

void pvh_ap_main(uint64_t cpu) __attribute__((noreturn));
void pvh_ap_main(uint64_t cpu)
{
	if (cpu == 0 || cpu >= ncpus)
		halt_forever();
	struct pvh_cpu *c = &cpus[cpu];
	uintptr_t ist[3];

	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
	for (unsigned i = 0; i < 3; i++)
		ist[i] = (uintptr_t)(stack_top(c) + (i + 1) * AP_IST);
	gdt_init_ap((unsigned)cpu, ist);
	idt_load();
	lapic_ap_timer_start();
	/* Too late (CPU 0 gave up on us): never run entry behind its back. */
	uint32_t want = CPU_STARTING;
	if (!__atomic_compare_exchange_n(&c->state, &want, CPU_ONLINE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		halt_forever();
	c->entry();
	halt_forever();
}

/* The trampoline's data block for CPU c (trampoline.h). */
static void tramp_fill(const struct pvh_cpu *c)
{
	struct tramp_data *d = (struct tramp_data *)(uintptr_t)
		(tramp_page + (uint64_t)(pvh_tramp_data - pvh_tramp_start));
	uint64_t cr3;

	__asm__ __volatile__("mov %%cr3, %0" : "=r"(cr3));
	d->gdt_limit = (uint16_t)(pvh_tramp_gdt_end - pvh_tramp_gdt - 1);
	d->gdt_base = (uint32_t)(tramp_page +
				 (uint64_t)(pvh_tramp_gdt - pvh_tramp_start));
	d->pm_off = (uint32_t)(tramp_page +
			       (uint64_t)(pvh_tramp_pm - pvh_tramp_start));
	d->pm_sel = TRAMP_CS32;
	d->lm_off = (uint32_t)(tramp_page +
			       (uint64_t)(pvh_tramp_lm - pvh_tramp_start));
	d->lm_sel = TRAMP_CS64;
	d->cr3 = (uint32_t)cr3;         /* the PML4 is in the image */
	d->stack = stack_top(c);
	d->arg = c->index;
	d->entry = (uint64_t)(uintptr_t)pvh_ap_start64;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* INIT, 10 ms, SIPI, 200 us, SIPI: the MP spec's sequence. A CPU already
 * running ignores the second SIPI. */
static int sipi_start(const struct pvh_cpu *c)
{
	uint64_t ms10 = ms_cycles(10), us200 = ms_cycles(1) / 5;

	tramp_fill(c);
	if (lapic_send_ipi(c->apic_id, ICR_INIT))
		return -1;
	tsc_delay(ms10);
	for (unsigned i = 0; i < 2; i++) {
		if (lapic_send_ipi(c->apic_id,
				   ICR_SIPI | (uint32_t)(tramp_page >> 12)))
			return -1;
		tsc_delay(us200);
	}
	return 0;
}

int platform_start_cpu(unsigned cpu, void (*entry)(void))
{
	if (cpu == 0 || cpu >= ncpus || !entry)
		return -1;
	struct pvh_cpu *c = &cpus[cpu];
	/* One start at a time: the trampoline's data block is shared. */
	if (__atomic_exchange_n(&start_busy, 1, __ATOMIC_ACQUIRE))
		return -1;
	int rc = -1;
	if (c->state != CPU_OFF)
		goto out;
	c->entry = entry;
	__atomic_store_n(&c->state, CPU_STARTING, __ATOMIC_RELEASE);
	rc = xen_present() ?
	     xen_vcpu_start(c->acpi_uid, (uint64_t)(uintptr_t)pvh_ap_start64,
			    stack_top(c), cpu) :
	     sipi_start(c);
	uint64_t t0 = rdtsc(), limit = ms_cycles(START_TIMEOUT_MS);
	while (rc == 0 && c->state == CPU_STARTING && rdtsc() - t0 < limit)
		__asm__ __volatile__("pause");
	uint32_t want = CPU_STARTING;
	if (__atomic_compare_exchange_n(&c->state, &want, CPU_ABANDONED, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		kprintf("pvh: smp: cpu %u (apic %u) did not start within %u "
			"ms\n", cpu, c->apic_id, START_TIMEOUT_MS);
		/* Back to wait-for-SIPI, so it cannot run the trampoline
		 * that the next CPU's start rewrites. */
		if (!xen_present())
			lapic_send_ipi(c->apic_id, ICR_INIT);
		rc = -1;
	} else {
		rc = 0;
	}
out:
	__atomic_store_n(&start_busy, 0, __ATOMIC_RELEASE);
	return rc;
}

bool smp_count_tick(void)
{
	this_cpu()->ticks++;
	return !selftest;
}

/* isr.S's IPI vector. EOI first: kernel_ipi may switch threads, and until
 * the EOI this CPU's LAPIC would hold back every tick. Interrupts stay
 * off meanwhile, so IPIs do not nest. */
void pvh_ipi_irq(void);
void pvh_ipi_irq(void)
{
	lapic_eoi();
	this_cpu()->ipis++;
	if (!selftest)
		kernel_ipi();
}

void platform_send_ipi(unsigned cpu)
{
	if (cpu >= ncpus || cpu == platform_cpu() ||
	    cpus[cpu].state != CPU_ONLINE)
		return;
	lapic_send_ipi(cpus[cpu].apic_id, ICR_FIXED | IPI_VECTOR);
}

void smp_install_ipi(void)
{
	idt_set_gate(IPI_VECTOR, pvh_irq_ipi, 0);
}

bool smp_nmi_stop(const struct panic_regs *r)
{
	uint32_t s = stopper;

	/* A real NMI on the stopping CPU itself, or before any stop, stays
	 * the fatal NMI it always was. */
	if (!s || s == platform_cpu() + 1)
		return false;
	struct pvh_cpu *c = this_cpu();
	c->stop_regs = *r;
	__atomic_store_n(&c->regs_saved, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->state, CPU_STOPPED, __ATOMIC_RELEASE);
	return true;
}

void platform_stop_other_cpus(void)
{
	uint32_t me = platform_cpu(), none = 0;
	uint64_t t0 = rdtsc(), limit = ms_cycles(STOP_TIMEOUT_MS);

	if (ncpus == 1)
		return;
	/* Another CPU got there first: its NMI stops this one too (unless
	 * NMIs are blocked here, so the wait is bounded). */
	if (!__atomic_compare_exchange_n(&stopper, &none, me + 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		while (rdtsc() - t0 < limit)
			__asm__ __volatile__("pause");
		return;
	}
	for (unsigned i = 0; i < ncpus; i++)
		if (i != me && cpus[i].state == CPU_ONLINE)
			lapic_send_ipi(cpus[i].apic_id, ICR_NMI);
	for (unsigned i = 0; i < ncpus; i++)
		while (i != me && cpus[i].state == CPU_ONLINE &&
		       rdtsc() - t0 < limit)
			__asm__ __volatile__("pause");
}

int platform_stopped_regs(unsigned cpu, struct panic_regs *out)
{
	if (cpu >= ncpus || !__atomic_load_n(&cpus[cpu].regs_saved,
					     __ATOMIC_ACQUIRE))
		return -1;
	*out = cpus[cpu].stop_regs;
	return 0;
}

void smp_set_selftest(void)
{
	selftest = true;
}

uint32_t smp_apic_id(unsigned cpu)
{
	return cpu < ncpus ? cpus[cpu].apic_id : 0;
}

uint64_t smp_ticks(unsigned cpu)
{
	return cpu < ncpus ? cpus[cpu].ticks : 0;
}

uint64_t smp_ipis(unsigned cpu)
{
	return cpu < ncpus ? cpus[cpu].ipis : 0;
}
