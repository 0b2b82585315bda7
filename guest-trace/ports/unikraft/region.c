/*
 * region.c - lays ringside's ring region out in Unikraft's memory, keeps
 * the guest state (running, exited) and the heartbeat.
 *
 * The region is a page-aligned static buffer, so it exists before the
 * allocator does and is never freed; its guest-physical address comes
 * from Unikraft itself (ukplat_virt_to_phys), which is what lets
 * `ringside collect file:RAMFILE` accept it: the collector checks that
 * the header says it lives where it was found in the RAM file.
 */
#include <string.h>

#include <uk/arch/paging.h>
#include <uk/init.h>
#include <uk/plat/io.h>
#include <uk/plat/lcpu.h>
#include <uk/plat/time.h>
#include <uk/print.h>
#include <uk/sched.h>
#include <uk/thread.h>

#include "ringside_uk_internal.h"

#define RSUK_REGION_BYTES ((unsigned long)CONFIG_LIBRINGSIDE_RING_KB * 1024ul)

_Static_assert(RSUK_REGION_BYTES % RS_PAGE_SIZE == 0,
	       "LIBRINGSIDE_RING_KB must be a multiple of 4");

static uint8_t rsuk_region[RSUK_REGION_BYTES]
	__attribute__((aligned(RS_PAGE_SIZE)));

struct rs_header *rsuk_hdr;
uint32_t rsuk_cur_tid;

/* The pair the TSC was calibrated from: Unikraft's clock and the TSC
 * read together, and the rate between them. */
static uint64_t ref_ns, ref_tsc, tsc_hz;
static uint64_t beats;

struct rs_header *ringside_uk_region(void)
{
	return rsuk_hdr;
}

uint32_t ringside_uk_current_tid(void)
{
	return rsuk_cur_tid;
}

void ringside_uk_mark(const char *text, uint64_t value)
{
	RSUK_EMIT_STR(MARK, value, 0, text);
}

/* ns times Hz overflows 64 bits after seconds; whole seconds and the
 * rest (< 1e9 ns, times a rate below 18 GHz) each fit. No 128-bit
 * division: Unikraft links no libgcc. */
static uint64_t ns_scale(uint64_t ns)
{
	return ns / 1000000000u * tsc_hz +
	       ns % 1000000000u * tsc_hz / 1000000000u;
}

uint64_t rsuk_ns_to_tsc(uint64_t ns)
{
	return ns >= ref_ns ? ref_tsc + ns_scale(ns - ref_ns)
			    : ref_tsc - ns_scale(ref_ns - ns);
}

/*
 * The TSC's rate, measured against Unikraft's monotonic clock (on KVM it
 * is the TSC scaled by a rate Unikraft calibrated against the PIT), over
 * 20 ms: long enough that the read jitter of either clock is far below
 * 0.1 %, short enough not to matter at boot.
 */
static void calibrate(void)
{
	uint64_t n0 = ukplat_monotonic_clock();
	uint64_t t0 = gt_rdtsc();
	uint64_t n1, t1;

	do {
		n1 = ukplat_monotonic_clock();
		t1 = gt_rdtsc();
	} while (n1 - n0 < 20000000u);
	ref_ns = n0;
	ref_tsc = t0;
	/* 20 ms of TSC times 1e9 fits 64 bits below 900 GHz. */
	tsc_hz = (t1 - t0) * 1000000000u / (n1 - n0);
}

/* The guest-wide heartbeat: the heartbeat thread and every timer
 * interrupt call it, with interrupts in any state (the count is only
 * ever bumped here, on the one CPU). */
void rsuk_beat(void)
{
	struct rs_header *h = rsuk_hdr;

	if (!h)
		return;
	unsigned long flags = ukplat_lcpu_save_irqf();
	beats++;
	gt_heartbeat(h, beats, gt_rdtsc());
	ukplat_lcpu_restore_irqf(flags);
}

#if CONFIG_LIBRINGSIDE_HEARTBEAT_MS > 0
/* Unikraft programs its timer only for a sleeping thread, so without a
 * sleeper an idle guest would beat no more and read as hung. */
static __noreturn void heartbeat_thread(void)
{
	for (;;) {
		uk_sched_thread_sleep(
			(__nsec)CONFIG_LIBRINGSIDE_HEARTBEAT_MS * 1000000ull);
		rsuk_beat();
	}
}
#endif

static int rsuk_init(struct uk_init_ctx *ictx __unused)
{
	struct gt_config cfg;
	uint64_t gpa = ukplat_virt_to_phys(rsuk_region);

	if (gpa == __PADDR_INV) {
		uk_pr_err("ringside: no physical address for the region\n");
		return 0;
	}
	calibrate();
	memset(&cfg, 0, sizeof(cfg));
	cfg.region_gpa = gpa;
	cfg.region_size = RSUK_REGION_BYTES;
	cfg.ncpus = 1;
	cfg.mode = RS_MODE_OVERWRITE;
	/* A new value on every boot: the TSC at this point, the wall clock
	 * and the address, so a stale copy of an earlier boot's header
	 * left in a reused RAM file is told apart. */
	cfg.nonce = gt_rdtsc() ^ ((uint64_t)ukplat_wall_clock() << 1) ^ gpa;
	cfg.tsc_hz = tsc_hz;
	cfg.boot_tsc = ref_tsc;
	cfg.boot_wall_ns = ukplat_wall_clock();
	/* Measured against Unikraft's clock, which KVM calibrates against
	 * the PIT: the PIT is the reference in the end. */
	cfg.tsc_source = RS_CLOCK_PIT;
	cfg.tick_method = RS_TICK_UNKNOWN;
	cfg.tick_hz = CONFIG_LIBRINGSIDE_HEARTBEAT_MS > 0 ?
		      1000u / CONFIG_LIBRINGSIDE_HEARTBEAT_MS : 0;
	if (gt_region_init(rsuk_region, &cfg) != 0) {
		uk_pr_err("ringside: region of %lu bytes does not fit a ring\n",
			  RSUK_REGION_BYTES);
		return 0;
	}
	rsuk_hdr = (struct rs_header *)rsuk_region;
	gt_set_state(rsuk_hdr, RS_STATE_RUNNING);
	rsuk_hooks_start();
	rsuk_beat();
#if CONFIG_LIBRINGSIDE_HEARTBEAT_MS > 0
	if (!uk_sched_thread_create_fn0(uk_sched_current(), heartbeat_thread,
					0, 0, false, false, "ringside-heartbeat",
					NULL, NULL))
		uk_pr_err("ringside: no heartbeat thread\n");
#endif
	uk_pr_info("ringside: region at 0x%lx, %lu bytes, tsc %lu Hz\n",
		   (unsigned long)gpa, RSUK_REGION_BYTES,
		   (unsigned long)tsc_hz);
	return 0;
}

/* Called in reverse init order as ukboot goes down: the tracer is among
 * the first in, so it is among the last out and sees the others' exits. */
static void rsuk_term(const struct uk_term_ctx *tctx)
{
	struct rs_header *h = rsuk_hdr;

	if (!h)
		return;
	rsuk_beat();
	if (tctx->target == UKPLAT_CRASH) {
		/* A crash target without UK_CRASH: an init function failed.
		 * Say so, unless a crash was recorded already. */
		struct rs_panic *p = gt_panic_begin(h);

		if (p) {
			memset(p->reason, 0, RS_REASON_LEN);
			strncpy(p->reason, "ukboot: shut down with a crash target",
				RS_REASON_LEN - 1);
			p->vector = RS_PANIC_VECTOR_NONE;
			p->tsc = gt_rdtsc();
			gt_panic_commit(h, p);
		}
		return;
	}
	gt_set_state(h, RS_STATE_EXITED);
}

/* Early class, first priority: the region exists before the other
 * libraries' initcalls run, so their allocations and threads are traced. */
uk_early_initcall_prio(rsuk_init, rsuk_term, 0);
