/*
 * platform.c - the PVH platform behind kernel/core/platform.h, and
 * pvh_main(), the first C code: bring up the CPU tables, console, clocks
 * and tick, then hand the command line to the core's kernel_main().
 *
 * Interrupts stay off from entry until the core first enables them, so
 * no tick reaches the core before its init is complete.
 */
#include "pvh.h"

#include "../../core/kernel.h"
#include "../../core/klib.h"
#include "../../core/platform.h"
#include "guest_cmdline.h"
#include "ringside_ring.h"

#define TICK_HZ 1000u
#define TICK_HZ_MIN 10u
#define TICK_HZ_MAX 50000u
#define RFLAGS_IF 0x200ul

/* isa-debug-exit (QEMU exits with status (v << 1) | 1) and pvpanic. */
#define DEBUG_EXIT_PORT 0xf4
#define PVPANIC_PORT 0x505

void pvh_main(uint32_t start_info) __attribute__((noreturn));

static struct pvh_boot boot;
static uint64_t tsc_hz, wall_tsc, wall_ns;
static uint32_t tsc_source;             /* enum rs_clock_source */
static uint64_t tick_hz = TICK_HZ;
/* noxenstore on the command line: the ring is not published, so dom0
 * must find it by scanning guest RAM (tests/xen exercises that). */
static bool no_xenstore;
/* nogrant on the command line (Xen only): the ring is published by gfn
 * alone, without grant references, as guests that grant nothing do; the
 * Xen suite uses it to keep the collector's gfn path tested. */
static bool no_grant;
/* The grant table is mapped, its room the region's pages (grant.c). */
static bool grant_table;
/* publish_delay_ms=N: the ring is published in xenstore N ms after its
 * header is written, while the header still says booting: the window in
 * which a collector's RAM scan can find the ring before its keys exist,
 * held open so the Xen suite can check the collector waits for them. */
static uint64_t publish_delay_ms;
/* smptest: the platform checks its own SMP bring-up instead of running
 * the core (smptest.c). */
static bool smptest;

uint64_t platform_cycles(void)
{
	return rdtsc();
}

uint64_t platform_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t platform_wall_ns(void)
{
	if (!wall_ns || !tsc_hz)
		return 0;
	/* Split so the multiply cannot overflow 64 bits. */
	uint64_t d = rdtsc() - wall_tsc;
	return wall_ns + d / tsc_hz * 1000000000ull +
	       d % tsc_hz * 1000000000ull / tsc_hz;
}

void platform_clock_info(struct platform_clock_info *out)
{
	*out = (struct platform_clock_info){
		.tsc_source = tsc_source,
		.tick_method = lapic_timer_method(),
		.tick_hz = (uint32_t)tick_hz,
		.timer_hz = lapic_timer_hz(),
	};
}

unsigned long platform_irq_save(void)
{
	unsigned long flags;
	__asm__ __volatile__("pushfq; popq %0; cli"
			     : "=r"(flags) : : "memory");
	return flags;
}

void platform_irq_restore(unsigned long flags)
{
	if (flags & RFLAGS_IF)
		__asm__ __volatile__("sti" : : : "memory");
}

void platform_irq_disable(void)
{
	__asm__ __volatile__("cli" : : : "memory");
}

void platform_irq_enable(void)
{
	__asm__ __volatile__("sti" : : : "memory");
}

bool platform_irqs_enabled(void)
{
	unsigned long flags;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags));
	return flags & RFLAGS_IF;
}

void platform_idle(void)
{
	/* sti takes effect after the next instruction, so no interrupt can
	 * slip in between it and hlt: a pending tick wakes the hlt. */
	__asm__ __volatile__("sti; hlt; cli" : : : "memory");
}

void platform_ring_region(void **base, uint64_t *gpa, uint64_t *size)
{
	*base = (void *)(uintptr_t)boot.ring_gpa;      /* identity mapped */
	*gpa = boot.ring_gpa;
	*size = boot.ring_size;
}

/* Called by the core once the ring header is written: tell dom0 where
 * the ring is. */
void platform_trace_ready(void)
{
	/* xenstore's largest value (XENSTORE_PAYLOAD_MAX, less the key):
	 * about 1,000 pages' references */
	static char refs[4096 - sizeof("data/ringside/ring-ref")];
	const struct rs_header *h = (const void *)(uintptr_t)boot.ring_gpa;
	bool granted = false;

	if (no_xenstore) {
		kprintf("pvh: noxenstore: ring not published in xenstore\n");
		return;
	}
	if (publish_delay_ms) {
		kprintf("pvh: publish_delay_ms: publishing the ring %lu ms after"
			" its header\n", (unsigned long)publish_delay_ms);
		/* rdtsc only every 2^20 pauses (tens of ms under TCG): Xen
		 * intercepts every rdtsc here, and a vCPU resumed after an
		 * intercept is where issue 12's unasked triple faults strike
		 * (tests/xen/README.md); a loop of rdtsc met one in a run. */
		const uint64_t until = rdtsc() + tsc_hz / 1000 * publish_delay_ms;
		while (rdtsc() < until)
			for (unsigned i = 0; i < 1u << 20; i++)
				__asm__ __volatile__("pause");
	}
	/* The header's size, which the rings' layout may have made smaller
	 * than the room the platform gave: the collector wants one
	 * reference per page it says. */
	if (grant_table &&
	    grant_share(h->region_gpa, h->region_size / 4096) == 0) {
		granted = grant_refs_text(refs, sizeof(refs)) == 0;
		if (!granted)
			kprintf("pvh: the ring's grant references do not fit one "
				"xenstore value\n");
	}
	if (grant_table && !granted)
		kprintf("pvh: no grant references; the ring is published by "
			"gfn only\n");
	xenstore_publish_ring(boot.ring_gpa, tsc_hz, granted ? refs : NULL);
}

void platform_free_range(uintptr_t *start, uintptr_t *end)
{
	*start = boot.free_start;
	*end = boot.free_end;
}

void platform_exit(int status)
{
	if (xen_present()) {
		kprintf("pvh: exit status %d, powering off\n", status);
		xen_shutdown(SHUTDOWN_POWEROFF);
	}
	outl(DEBUG_EXIT_PORT, (uint32_t)status);
	halt_forever();         /* no isa-debug-exit device (or on Xen) */
}

void platform_halt_crashed(void)
{
	/* Xen keeps the domain, paused, with on_crash="preserve". (A plain
	 * cli; hlt there would be taken as a poweroff.) */
	xen_shutdown(SHUTDOWN_CRASH);
	outb(PVPANIC_PORT, 1);  /* bit 0: guest panicked */
	halt_forever();
}

/*
 * If the token `tok` (len bytes) is `key` (which ends in '=') with a
 * number from lo to hi, stores it and returns 1; returns 0 if it is
 * another key, -1 (after saying why) if the number is bad.
 */
static int option_u64(const char *tok, size_t len, const char *key,
		      uint64_t lo, uint64_t hi, uint64_t *v)
{
	size_t klen = kstrlen(key);
	char num[24];

	if (len <= klen || kstrncmp(tok, key, klen))
		return 0;
	kstrlcpy(num, tok + klen, len - klen + 1 < sizeof(num) ?
		 len - klen + 1 : sizeof(num));
	if (kparse_u64(num, v) || *v < lo || *v > hi) {
		kprintf("pvh: %s wants a number from %lu to %lu\n", key,
			(unsigned long)lo, (unsigned long)hi);
		return -1;
	}
	return 1;
}

/*
 * Takes the platform's own options (ring_pages=, tsc_khz=, tick_hz=,
 * publish_delay_ms=, noxenstore, nogrant, smptest) out of the command
 * line (the core rejects keys it does not know) and copies the rest into
 * `out`.
 * Returns -1 on a bad value.
 */
static int split_cmdline(const char *in, char *out, size_t outlen,
			 uint64_t *ring_pages, uint64_t *tsc_khz,
			 uint64_t *tick)
{
	size_t o = 0;

	while (*in) {
		while (*in == ' ')
			in++;
		const char *tok = in;
		while (*in && *in != ' ')
			in++;
		size_t len = (size_t)(in - tok);
		if (len == 0)
			break;
		if (len > 11 && !kstrncmp(tok, "ring_pages=", 11)) {
			char num[24];
			kstrlcpy(num, tok + 11,
				 len - 10 < sizeof(num) ? len - 10 : sizeof(num));
			/* The rule `ringside run --ring-pages` checks too. */
			if (kparse_u64(num, ring_pages) ||
			    !rs_ring_pages_ok(*ring_pages)) {
				kprintf("pvh: ring_pages must be a power of "
					"two from %u to %u\n", RS_RING_PAGES_MIN,
					RS_RING_PAGES_MAX);
				return -1;
			}
			continue;
		}
		/* tsc_khz=: the host may know the TSC rate better than a PIT
		 * measurement from a guest that can be preempted mid-way
		 * (ringside run passes it: under QEMU TCG the guest TSC runs
		 * at the host's rate). */
		int rc = option_u64(tok, len, "tsc_khz=", 1000, 100000000,
				    tsc_khz);
		/* tick_hz=: the heartbeat's rate, 1000 by default; tests
		 * run the tick much faster to shake out interrupt races. */
		if (rc == 0)
			rc = option_u64(tok, len, "tick_hz=", TICK_HZ_MIN,
					TICK_HZ_MAX, tick);
		if (rc == 0)
			rc = option_u64(tok, len, "publish_delay_ms=", 0, 10000,
					&publish_delay_ms);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue;
		if (len == 10 && !kstrncmp(tok, "noxenstore", 10)) {
			no_xenstore = true;
			continue;
		}
		if (len == 7 && !kstrncmp(tok, "nogrant", 7)) {
			no_grant = true;
			continue;
		}
		if (len == 7 && !kstrncmp(tok, "smptest", 7)) {
			smptest = true;
			continue;
		}
		if (o + len + 2 > outlen) {
			kprintf("pvh: command line too long\n");
			return -1;
		}
		if (o)
			out[o++] = ' ';
		memcpy(out + o, tok, len);
		o += len;
	}
	out[o] = '\0';
	return 0;
}

void pvh_main(uint32_t start_info)
{
	static char cmdline[1024], storage[1024];
	struct kernel_options opts = { 0 };
	uint64_t ring_pages = RS_RING_PAGES_DEFAULT, tsc_khz = 0;

	smp_early();            /* platform_cpu() works from here on */
	console_init();
	gdt_init();
	idt_init();
	pic_disable();
	xen_init();

	if (start_info_capture(start_info))
		platform_exit(2);
	smp_detect(start_info_rsdp());          /* reads the BIOS data area */
	paging_unmap_null();
	/* The ring size is on the command line: read that first, then lay
	 * out memory. */
	if (split_cmdline(start_info_cmdline(), cmdline, sizeof(cmdline),
			  &ring_pages, &tsc_khz, &tick_hz) ||
	    kernel_parse_cmdline(cmdline, &opts, storage, sizeof(storage)))
		platform_exit(2);
	/* the header, a page for every CPU's registers on a panic (used
	 * only with several CPUs: gt_region_init), then the rings */
	if (start_info_layout((ring_pages + 2) * 4096, &boot))
		platform_exit(2);
	smp_reserve(&boot.free_start, &boot.free_end);
	smp_install_ipi();
	/* Grants only matter to a collector that reads xenstore. */
	if (xen_present() && !no_xenstore) {
		if (no_grant)
			kprintf("pvh: nogrant: the ring is published by gfn "
				"only\n");
		else if (grant_table_init(boot.ring_size / 4096,
					  &boot.free_start,
					  &boot.free_end) == 0)
			grant_table = true;
		else
			kprintf("pvh: no grant references; the ring is "
				"published by gfn only\n");
	}

	if (tsc_khz) {
		tsc_hz = tsc_khz * 1000;
		tsc_source = RS_CLOCK_CMDLINE;
	} else {
		tsc_hz = tsc_calibrate(&tsc_source);
	}
	wall_ns = rtc_read_ns();
	wall_tsc = rdtsc();
	if (smptest)
		smp_set_selftest();     /* before the first tick */
	lapic_timer_start(tsc_hz, (unsigned)tick_hz);

	if (!opts.quiet)
		kprintf("pvh: tsc %lu kHz (%s), tick %lu Hz (%s, timer %lu "
			"kHz); ring %lu KiB at 0x%lx; %lu KiB for the "
			"allocator\n",
			(unsigned long)(tsc_hz / 1000),
			rs_clock_source_name(tsc_source),
			(unsigned long)tick_hz,
			rs_tick_method_name(lapic_timer_method()),
			(unsigned long)(lapic_timer_hz() / 1000),
			(unsigned long)(boot.ring_size >> 10),
			(unsigned long)boot.ring_gpa,
			(unsigned long)((boot.free_end - boot.free_start) >>
					10));
	if (smptest)
		smp_selftest();
	kernel_main(&opts);
}
