/*
 * smptest.c - the platform's own check of its SMP bring-up, run instead
 * of the core with `smptest` on the command line (tests/kernel/
 * test_pvh_smp.c boots it under QEMU with -smp 1, 2 and 4). It needs
 * nothing of the core's, which on one CPU could not run on several yet:
 * the ticks are counted by the platform only (smp_count_tick) and IPIs
 * never reach kernel_ipi.
 *
 * Every AP is started with platform_start_cpu, says "cpu N online (apic
 * A)" and idles taking ticks; CPU 0 then says "smp: N of M CPUs online",
 * each AP's tick count, that each AP took an IPI; then CPU 1 spins with
 * interrupts off (a stuck CPU, as the stuckcpu workload will have), and
 * CPU 0 stops them all and says where the stop NMI found each (CPU 1 in
 * its spin, interrupts off); it exits 0 if all of it held ("smp:
 * selftest passed").
 */
#include "pvh.h"

#include "../../core/klib.h"
#include "../../core/panic.h"
#include "../../core/platform.h"

#define WAIT_MS 5000u           /* for each step; all are bounded */
#define MIN_TICKS 10u

#define RFLAGS_IF 0x200u

static volatile uint32_t arrived, get_stuck, stuck;

static void ap_entry(void)
{
	unsigned me = platform_cpu();

	__atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
	kprintf("cpu %u online (apic %u)\n", me, smp_apic_id(me));
	for (;;) {
		if (me == 1 && get_stuck) {
			platform_irq_disable();
			stuck = 1;
			for (;;)
				__asm__ __volatile__("pause");
		}
		platform_idle();        /* until the next tick */
	}
}

/* Spins until cond(cpu) or WAIT_MS have passed; returns cond(cpu). */
static bool wait_for(bool (*cond)(unsigned, uint64_t), unsigned cpu,
		     uint64_t arg)
{
	uint64_t t0 = rdtsc(), limit = platform_tsc_hz() / 1000 * WAIT_MS;

	while (!cond(cpu, arg) && rdtsc() - t0 < limit)
		__asm__ __volatile__("pause");
	return cond(cpu, arg);
}

static bool all_arrived(unsigned n, uint64_t unused)
{
	(void)unused;
	return arrived >= n;
}

static bool ticked(unsigned cpu, uint64_t n)
{
	return smp_ticks(cpu) >= n;
}

static bool took_ipi(unsigned cpu, uint64_t before)
{
	return smp_ipis(cpu) > before;
}

static bool is_stuck(unsigned cpu, uint64_t unused)
{
	(void)cpu;
	(void)unused;
	return stuck;
}

/* Where the stop found each AP: in the kernel's code, and CPU 1 with
 * interrupts off. */
static bool check_stopped(const bool *online, unsigned n)
{
	bool ok = true;

	for (unsigned i = 1; i < n; i++) {
		struct panic_regs r;
		if (!online[i])
			continue;
		bool t = platform_stopped_regs(i, &r) == 0;
		uint64_t rip = t ? r.r[RS_REG_RIP] : 0;
		bool irq_on = t && (r.r[RS_REG_RFLAGS] & RFLAGS_IF);
		t = t && rip >= (uintptr_t)__kernel_start &&
		    rip < (uintptr_t)__kernel_end && (i != 1 || !irq_on);
		kprintf("smp: cpu %u %s at rip %lx, interrupts %s\n", i,
			t ? "stopped" : "NOT stopped", (unsigned long)rip,
			irq_on ? "on" : "off");
		ok = ok && t;
	}
	return ok;
}

void smp_selftest(void)
{
	unsigned n = platform_ncpus(), up = 1;
	bool ok = true, online[KERNEL_MAX_CPUS] = { true };

	kprintf("smp: cpu 0 is apic %u; %u CPUs\n", smp_apic_id(0), n);
	platform_irq_enable();
	for (unsigned i = 1; i < n; i++) {
		online[i] = platform_start_cpu(i, ap_entry) == 0;
		up += online[i];
	}
	ok = wait_for(all_arrived, up - 1, 0) && up == n;
	kprintf("smp: %u of %u CPUs online\n", up, n);
	for (unsigned i = 0; i < n; i++) {
		if (!online[i])
			continue;
		bool t = wait_for(ticked, i, MIN_TICKS);
		kprintf("smp: cpu %u ticks %lu\n", i,
			(unsigned long)smp_ticks(i));
		ok = ok && t;
	}
	for (unsigned i = 1; i < n; i++) {
		if (!online[i])
			continue;
		uint64_t before = smp_ipis(i);
		platform_send_ipi(i);
		bool t = wait_for(took_ipi, i, before);
		kprintf("smp: cpu %u %s the IPI\n", i, t ? "took" : "missed");
		ok = ok && t;
	}
	if (n > 1 && online[1]) {
		get_stuck = 1;
		bool t = wait_for(is_stuck, 1, 0);
		kprintf("smp: cpu 1 %s with interrupts off\n",
			t ? "spins" : "does NOT spin");
		ok = ok && t;
	}
	platform_stop_other_cpus();
	ok = check_stopped(online, n) && ok;
	kprintf("smp: selftest %s\n", ok ? "passed" : "FAILED");
	platform_exit(ok ? 0 : 1);
}
