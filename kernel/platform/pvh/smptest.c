/*
 * smptest.c - the platform's own check of its SMP bring-up, run instead
 * of the core with `smptest` on the command line (tests/kernel/
 * test_pvh_smp.c boots it under QEMU with -smp 1, 2 and 4). It needs
 * nothing of the core's, which on one CPU could not run on several yet:
 * the ticks are counted by the platform only (smp_count_tick) and IPIs
 * never reach kernel_ipi.
 *
 * Every AP is started with platform_start_cpu, says "cpu N online (apic
 * A)", has its TSC compared with CPU 0's, and idles taking ticks; CPU 0 then says "smp: N of M CPUs online",
 * each CPU's tick count, that each AP took an IPI and CPU 0 one from the
 * last AP; then CPU 1 spins with interrupts off (a stuck CPU, as the
 * stuckcpu workload will have), and the last AP (CPU 0 if there are only
 * two) stops all the others, as a panic would, and says where the stop
 * NMI found each (CPU 1 in its spin, interrupts off); it exits 0 if all
 * of it held ("smp: selftest passed").
 */
#include "pvh.h"

#include "../../core/klib.h"
#include "../../core/panic.h"
#include "../../core/platform.h"

#define WAIT_MS 5000u           /* for each step; all are bounded */
#define MIN_TICKS 10u

#define RFLAGS_IF 0x200u

/* What CPU 0 asks of the APs, each read in their idle loop: CPU 1 to
 * spin with interrupts off; `last` to send CPU 0 an IPI, and to finish
 * the test (stop the others, CPU 0 included, report and exit). */
static volatile uint32_t arrived, get_stuck, stuck, ipi_back, finish;
static unsigned ncpu, last;
static bool online[KERNEL_MAX_CPUS] = { true }, ok = true;

static void finish_test(void) __attribute__((noreturn));

/* The TSC probe (check_tsc), a set per AP: CPU 0 writes a round number
 * to `probe`, the AP answers with its TSC in `answer` and the number in
 * `acked`, until CPU 0 sets `probed`. */
#define TSC_ROUNDS 16u
static struct {
	volatile uint32_t probe, acked, probed;
	volatile uint64_t answer;
} tp[KERNEL_MAX_CPUS];

static void answer_probes(unsigned me)
{
	while (!tp[me].probed) {
		uint32_t k = tp[me].probe;
		if (k != tp[me].acked) {
			tp[me].answer = rdtsc();
			__atomic_store_n(&tp[me].acked, k, __ATOMIC_RELEASE);
		}
		__asm__ __volatile__("pause");
	}
}

static void ap_entry(void)
{
	unsigned me = platform_cpu();

	__atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
	kprintf("cpu %u online (apic %u)\n", me, smp_apic_id(me));
	answer_probes(me);
	for (;;) {
		if (me == 1 && get_stuck) {
			platform_irq_disable();
			stuck = 1;
			for (;;)
				__asm__ __volatile__("pause");
		}
		if (me == last && ipi_back) {
			ipi_back = 0;
			platform_send_ipi(0);
		}
		if (me == last && finish)
			finish_test();
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

/* platform_stop_other_cpus waits only so long (a panic must go on); a
 * vCPU thread of a loaded host may take longer to see its NMI, so the
 * check waits for the registers itself. */
static bool stopped(unsigned cpu, uint64_t unused)
{
	struct panic_regs r;

	(void)unused;
	return platform_stopped_regs(cpu, &r) == 0;
}

static bool is_stuck(unsigned cpu, uint64_t unused)
{
	(void)cpu;
	(void)unused;
	return stuck;
}

/* Stops every other CPU from this one and says where each was found: in
 * the kernel's code, CPU 1 with interrupts off. Then the verdict. */
static void finish_test(void)
{
	unsigned me = platform_cpu();

	kprintf("smp: cpu %u stops the others\n", me);
	platform_stop_other_cpus();
	for (unsigned i = 0; i < ncpu; i++) {
		struct panic_regs r;
		if (!online[i] || i == me)
			continue;
		bool t = wait_for(stopped, i, 0) &&
			 platform_stopped_regs(i, &r) == 0;
		uint64_t rip = t ? r.r[RS_REG_RIP] : 0;
		bool irq_on = t && (r.r[RS_REG_RFLAGS] & RFLAGS_IF);
		t = t && rip >= (uintptr_t)__kernel_start &&
		    rip < (uintptr_t)__kernel_end && (i != 1 || !irq_on);
		kprintf("smp: cpu %u %s at rip %lx, interrupts %s\n", i,
			t ? "stopped" : "NOT stopped", (unsigned long)rip,
			irq_on ? "on" : "off");
		ok = ok && t;
	}
	kprintf("smp: selftest %s\n", ok ? "passed" : "FAILED");
	platform_exit(ok ? 0 : 1);
}

/*
 * How far AP `cpu`'s TSC is from CPU 0's: each round brackets the AP's
 * reading between two of CPU 0's, so the offset lies in [answer - t1,
 * answer - t0]; the narrowest bracket of TSC_ROUNDS is kept. RING.md
 * wants the CPUs' TSCs in step: 0 must lie inside.
 */
static bool check_tsc(unsigned cpu)
{
	int64_t lo = 0, hi = 0;
	uint64_t limit = platform_tsc_hz() / 1000 * WAIT_MS;
	bool answered = true, have = false;

	for (uint32_t k = 1; k <= TSC_ROUNDS && answered; k++) {
		uint64_t t0 = rdtsc();
		__atomic_store_n(&tp[cpu].probe, k, __ATOMIC_RELEASE);
		while (tp[cpu].acked != k && rdtsc() - t0 < limit)
			__asm__ __volatile__("pause");
		uint64_t t1 = rdtsc();
		answered = __atomic_load_n(&tp[cpu].acked, __ATOMIC_ACQUIRE) == k;
		uint64_t ans = tp[cpu].answer;
		int64_t a = (int64_t)(ans - t1), b = (int64_t)(ans - t0);
		if (answered && (!have || b - a < hi - lo)) {
			lo = a;
			hi = b;
			have = true;
		}
	}
	tp[cpu].probed = 1;
	bool ok_tsc = answered && lo <= 0 && hi >= 0;
	kprintf("smp: cpu %u tsc %s cpu 0's (offset in [%ld, %ld] cycles)\n",
		cpu, ok_tsc ? "in step with" : "NOT in step with", (long)lo,
		(long)hi);
	return ok_tsc;
}

/* Ticks on every CPU, an IPI to every AP and one back to CPU 0. */
static void check_ticks_and_ipis(void)
{
	for (unsigned i = 0; i < ncpu; i++) {
		if (!online[i])
			continue;
		bool t = wait_for(ticked, i, MIN_TICKS);
		kprintf("smp: cpu %u ticks %lu\n", i,
			(unsigned long)smp_ticks(i));
		ok = ok && t;
	}
	for (unsigned i = 1; i < ncpu; i++) {
		if (!online[i])
			continue;
		uint64_t before = smp_ipis(i);
		platform_send_ipi(i);
		bool t = wait_for(took_ipi, i, before);
		kprintf("smp: cpu %u %s the IPI\n", i, t ? "took" : "missed");
		ok = ok && t;
	}
	if (last) {
		uint64_t before = smp_ipis(0);
		ipi_back = 1;
		bool t = wait_for(took_ipi, 0, before);
		kprintf("smp: cpu 0 %s the IPI from cpu %u\n",
			t ? "took" : "missed", last);
		ok = ok && t;
	}
}

void smp_selftest(void)
{
	unsigned up = 1;

	ncpu = platform_ncpus();
	kprintf("smp: cpu 0 is apic %u; %u CPUs\n", smp_apic_id(0), ncpu);
	platform_irq_enable();
	for (unsigned i = 1; i < ncpu; i++) {
		online[i] = platform_start_cpu(i, ap_entry) == 0;
		up += online[i];
		if (online[i]) {
			last = i;
			ok = check_tsc(i) && ok;
		}
	}
	ok = wait_for(all_arrived, up - 1, 0) && up == ncpu && ok;
	kprintf("smp: %u of %u CPUs online\n", up, ncpu);
	check_ticks_and_ipis();
	if (online[1]) {
		get_stuck = 1;
		bool t = wait_for(is_stuck, 1, 0);
		kprintf("smp: cpu 1 %s with interrupts off\n",
			t ? "spins" : "does NOT spin");
		ok = ok && t;
	}
	/* With a third CPU, an AP stops everyone, CPU 0 included, as a
	 * panic on an AP would; else CPU 0 does. */
	if (last < 2)
		finish_test();
	finish = 1;
	for (;;)
		platform_idle();
}
