/*
 * ringside_minios.c - guest-trace inside Mini-OS (x86_64 PV): the hooks
 * that ringside's patch (mini-os.patch) calls from Mini-OS's scheduler,
 * page allocator, event channels, timer and crash paths, plus the
 * publishing of the ring to dom0 by grant references.
 *
 * Built inside the patched Mini-OS tree with Mini-OS's own flags (the
 * build links this directory in as ringside/), linked with
 * libguest-trace.a. Mini-OS runs on one vCPU and its scheduler is
 * cooperative, so one ring and a global "current thread" suffice; event
 * upcalls nest into thread code, which the emit path is built for.
 *
 * Clock: the TSC, read by guest-trace; its rate comes from Xen's
 * vcpu_time_info (the same numbers Mini-OS's NOW() scales by), so
 * durations in the trace agree with Mini-OS's own clock.
 */
#include <mini-os/os.h>
#include <mini-os/hypervisor.h>
#include <mini-os/mm.h>
#include <mini-os/sched.h>
#include <mini-os/time.h>
#include <mini-os/lib.h>
#include <mini-os/gnttab.h>
#include <mini-os/xenbus.h>
#include <mini-os/traps.h>
#include <mini-os/xmalloc.h>
#include <mini-os/ringside_hooks.h>

#include "ringside_minios.h"

/* 512 KiB of ring after the header page: 129 pages, so 129 grant
 * references. The bound is Mini-OS's xenbus, which sends a message in one
 * piece through its 1 KiB ring (a longer one is a BUG()): 129 references
 * below 2048 (Mini-OS's grant table) take at most 644 bytes of text.
 * The buddy allocator hands out powers of two: an order-8 (1 MiB) block,
 * of which the region uses 129 pages. */
#define RS_MO_RING_BYTES (1u << 19)
#define RS_MO_PAGES (1u + RS_MO_RING_BYTES / 4096u)
#define RS_MO_ORDER 8
/* What a xenbus message may carry besides the header and the path. */
#define RS_MO_XENBUS_VALUE_MAX 900u
/* The heartbeat's rate, and the longest a traced guest sleeps in
 * block_domain(): an idle guest still beats 10 times a second, so a
 * collector's --hang-secs of 1 never mistakes idle for hung. */
#define RS_MO_TICK_HZ 1000u
#define RS_MO_IDLE_MAX_MS 100

static struct rs_header *region;
static unsigned int cur_tid;          /* 0: the boot context */
static unsigned int next_tid = 1;
static uint64_t ticks;
static int panic_recorded;
/* Big enough for every reference in decimal (up to 10 digits) with a
 * separator; what is written is checked against the xenbus limit. */
static char ref_list[RS_MO_PAGES * 11 + 1];

struct rs_header *ringside_minios_region(void)
{
	return region;
}

unsigned int ringside_minios_tid(void)
{
	return cur_tid;
}

/* TSC ticks per second from vcpu_time_info: Xen scales a TSC delta to ns
 * as ((delta << shift) * mul) >> 32 (shift may be negative), so the rate
 * is 10^9 * 2^32 / mul, divided by 2^shift. */
static uint64_t tsc_hz_from_xen(void)
{
	struct vcpu_time_info *t = &HYPERVISOR_shared_info->vcpu_info[0].time;
	uint32_t mul = t->tsc_to_system_mul;
	int shift = t->tsc_shift;
	uint64_t hz;

	/* 10^9 * 2^32 < 2^64: no 128-bit division (Mini-OS has no libgcc) */
	if (mul == 0 || shift < -8 || shift > 8)
		return 0;
	hz = (1000000000ull << 32) / mul;
	return shift >= 0 ? hz >> shift : hz << -shift;
}

void ringside_mo_init(void)
{
	struct timeval tv;
	unsigned long va = alloc_pages(RS_MO_ORDER);
	uint64_t tsc = gt_rdtsc();

	if (!va) {
		printk("ringside: no memory for the trace ring; not tracing\n");
		return;
	}
	gettimeofday(&tv, NULL);
	struct gt_config cfg = {
		.region_gpa = to_phys(va),
		.region_size = (uint64_t)RS_MO_PAGES * PAGE_SIZE,
		.ncpus = 1,
		/* differs on every boot: the TSC and the wall clock */
		.nonce = tsc ^ ((uint64_t)tv.tv_sec << 20) ^ (uint64_t)tv.tv_usec,
		.tsc_hz = tsc_hz_from_xen(),
		.boot_tsc = tsc,
		.boot_wall_ns = (uint64_t)tv.tv_sec * 1000000000u +
				(uint64_t)tv.tv_usec * 1000u,
		.tsc_source = RS_CLOCK_XEN_PVCLOCK,
		.tick_method = RS_TICK_XEN_TIMER,
		.tick_hz = RS_MO_TICK_HZ,
	};
	if (gt_region_init((void *)va, &cfg) != 0) {
		printk("ringside: the ring does not fit %u pages; not tracing\n",
		       RS_MO_PAGES);
		free_pages((void *)va, RS_MO_ORDER);
		return;
	}
	barrier();
	region = (struct rs_header *)va;
	gt_set_state(region, RS_STATE_RUNNING);
	printk("ringside: ring %u KiB at pfn 0x%lx (%u pages), tsc %lu Hz\n",
	       RS_MO_RING_BYTES / 1024, (unsigned long)virt_to_pfn(va),
	       RS_MO_PAGES, (unsigned long)cfg.tsc_hz);
}

void ringside_mo_switch(struct thread *prev, struct thread *next)
{
	unsigned int from = prev ? prev->rs_tid : 0;

	if (region)
		gt_emit(region, 0, RS_EV_THREAD_SWITCH, from,
			RS_EV_NARGS(THREAD_SWITCH), from, next->rs_tid, 0);
	cur_tid = next->rs_tid;
}

void ringside_mo_thread_create(struct thread *t)
{
	/* Ids are handed out even before the ring exists, so a thread
	 * created then still has one of its own. */
	t->rs_tid = next_tid++;
	if (region)
		gt_emit_str(region, 0, RS_EV_THREAD_CREATE, cur_tid,
			    RS_EV_NARGS(THREAD_CREATE), t->rs_tid, cur_tid,
			    t->name ? t->name : "?");
}

void ringside_mo_thread_exit(struct thread *t)
{
	if (region)
		gt_emit(region, 0, RS_EV_THREAD_EXIT, cur_tid,
			RS_EV_NARGS(THREAD_EXIT), t->rs_tid, 0, 0);
}

void ringside_mo_idle(int entering)
{
	if (region)
		gt_emit(region, 0, entering ? RS_EV_IDLE_ENTER : RS_EV_IDLE_EXIT,
			cur_tid, 0, 0, 0, 0);
}

void ringside_mo_page_alloc(unsigned long addr, int order)
{
	if (region)
		gt_emit(region, 0, RS_EV_PAGE_ALLOC, cur_tid,
			RS_EV_NARGS(PAGE_ALLOC), to_phys(addr), (uint64_t)order, 0);
}

void ringside_mo_page_free(void *addr, int order)
{
	if (region)
		gt_emit(region, 0, RS_EV_PAGE_FREE, cur_tid,
			RS_EV_NARGS(PAGE_FREE), to_phys(addr), (uint64_t)order, 0);
}

/* An event-channel upcall is Mini-OS's interrupt: the port stands where
 * a vector would (RING.md's irq_enter/irq_exit). */
void ringside_mo_event(unsigned int port, int enter)
{
	if (region)
		gt_emit(region, 0, enter ? RS_EV_IRQ_ENTER : RS_EV_IRQ_EXIT,
			cur_tid, RS_EV_NARGS(IRQ_ENTER), port, 0, 0);
}

void ringside_mo_tick(void)
{
	if (region)
		gt_heartbeat(region, ++ticks, gt_rdtsc());
}

long long ringside_mo_block_until(long long until)
{
	long long latest = NOW() + MILLISECS(RS_MO_IDLE_MAX_MS);

	return until < latest ? until : latest;
}

/* ---- the crash path ---------------------------------------------------- */

static void regs_from_frame(uint64_t r[RS_REG_COUNT], const struct pt_regs *p)
{
	r[RS_REG_RAX] = p->rax; r[RS_REG_RBX] = p->rbx; r[RS_REG_RCX] = p->rcx;
	r[RS_REG_RDX] = p->rdx; r[RS_REG_RSI] = p->rsi; r[RS_REG_RDI] = p->rdi;
	r[RS_REG_RBP] = p->rbp; r[RS_REG_RSP] = p->rsp; r[RS_REG_R8] = p->r8;
	r[RS_REG_R9] = p->r9; r[RS_REG_R10] = p->r10; r[RS_REG_R11] = p->r11;
	r[RS_REG_R12] = p->r12; r[RS_REG_R13] = p->r13; r[RS_REG_R14] = p->r14;
	r[RS_REG_R15] = p->r15; r[RS_REG_RIP] = p->rip;
	r[RS_REG_RFLAGS] = p->eflags; r[RS_REG_CS] = p->cs; r[RS_REG_SS] = p->ss;
}

/* A software panic has no trap frame: the registers where the hook was
 * called. rip is the hook's return address (`rip`), as RING.md has it
 * for a software panic; the rest are what this frame still holds. No
 * frame-pointer walk: Mini-OS builds without frame pointers. */
static void regs_here(uint64_t r[RS_REG_COUNT], uint64_t rip)
{
	uint64_t flags, cs, ss;

	memset(r, 0, RS_REG_COUNT * sizeof(r[0]));
	__asm__ __volatile__("pushfq; popq %0" : "=r"(flags));
	__asm__ __volatile__("movq %%cs, %0" : "=r"(cs));
	__asm__ __volatile__("movq %%ss, %0" : "=r"(ss));
	__asm__ __volatile__("movq %%rsp, %0" : "=r"(r[RS_REG_RSP]));
	__asm__ __volatile__("movq %%rbp, %0" : "=r"(r[RS_REG_RBP]));
	__asm__ __volatile__("movq %%rbx, %0" : "=r"(r[RS_REG_RBX]));
	__asm__ __volatile__("movq %%r12, %0" : "=r"(r[RS_REG_R12]));
	__asm__ __volatile__("movq %%r13, %0" : "=r"(r[RS_REG_R13]));
	__asm__ __volatile__("movq %%r14, %0" : "=r"(r[RS_REG_R14]));
	__asm__ __volatile__("movq %%r15, %0" : "=r"(r[RS_REG_R15]));
	r[RS_REG_RIP] = rip;
	r[RS_REG_RFLAGS] = flags;
	r[RS_REG_CS] = cs;
	r[RS_REG_SS] = ss;
}

/* The first fatal event fills the record; Mini-OS's own path then ends in
 * do_exit() or SHUTDOWN_crash, which must not record a second one. */
static void record_panic(uint32_t vector, uint64_t error_code,
			 uint64_t fault_addr, const uint64_t regs[RS_REG_COUNT],
			 const char *reason)
{
	struct rs_panic *p;

	if (!region || panic_recorded)
		return;
	panic_recorded = 1;
	p = gt_panic_begin(region);
	if (!p)
		return;
	p->cpu = 0;
	p->vector = vector;
	p->error_code = error_code;
	p->fault_addr = fault_addr;
	p->tsc = gt_rdtsc();
	memcpy(p->regs, regs, sizeof(p->regs));
	p->backtrace_len = 0;
	snprintf(p->reason, sizeof(p->reason), "%s", reason);
	gt_panic_commit(region, p);
}

void ringside_mo_trap(int trapnr, const char *what, struct pt_regs *regs,
		      unsigned long error_code, unsigned long addr)
{
	uint64_t r[RS_REG_COUNT];
	char reason[RS_REASON_LEN];

	regs_from_frame(r, regs);
	if (trapnr == 14)
		snprintf(reason, sizeof(reason), "mini-os: page fault at 0x%lx"
			 " (error code 0x%lx, rip 0x%lx)", addr, error_code,
			 regs->rip);
	else
		snprintf(reason, sizeof(reason), "mini-os: trap %d (%s), error"
			 " code 0x%lx, rip 0x%lx", trapnr, what, error_code,
			 regs->rip);
	record_panic((uint32_t)trapnr, error_code, addr, r, reason);
}

void ringside_mo_assert(const char *cond, const char *file, int line)
{
	uint64_t r[RS_REG_COUNT];
	char reason[RS_REASON_LEN];

	regs_here(r, (uint64_t)__builtin_return_address(0));
	snprintf(reason, sizeof(reason), "mini-os: assertion failed: %s at %s:%d",
		 cond, file, line);
	record_panic(RS_PANIC_VECTOR_NONE, 0, 0, r, reason);
}

void ringside_mo_exit(void)
{
	uint64_t r[RS_REG_COUNT];

	regs_here(r, (uint64_t)__builtin_return_address(0));
	record_panic(RS_PANIC_VECTOR_NONE, 0, 0, r,
		     "mini-os: do_exit (BUG() or a failed IRET)");
}

void ringside_minios_exited(void)
{
	if (region)
		gt_set_state(region, RS_STATE_EXITED);
}

/* ---- publishing by grant references ------------------------------------- */

static int write_key(const char *key, const char *value)
{
	char path[64];
	char *err;

	snprintf(path, sizeof(path), "data/ringside/%s", key);
	err = xenbus_write(XBT_NIL, path, value);
	if (err) {
		printk("ringside: xenstore write %s: %s\n", path, err);
		free(err);
		return -1;
	}
	return 0;
}

int ringside_minios_publish(void)
{
	char num[32];
	size_t at = 0;

	if (!region)
		return -1;
	/* A PV guest's pseudo-physical pages are not machine-contiguous and
	 * dom0 cannot map them by pfn: each page is granted by its mfn. */
	for (unsigned int i = 0; i < RS_MO_PAGES; i++) {
		unsigned long va = (unsigned long)region + i * PAGE_SIZE;
		grant_ref_t ref = gnttab_grant_access(0, virt_to_mfn(va), 1);

		at += snprintf(ref_list + at, sizeof(ref_list) - at, "%s%u",
			       i ? " " : "", (unsigned int)ref);
	}
	if (at > RS_MO_XENBUS_VALUE_MAX) {
		printk("ringside: %zu bytes of grant references do not fit one"
		       " xenbus message; not published\n", at);
		return -1;
	}
	/* gfn, pages and nonce first: a collector that sees ring-ref sees
	 * the rest (xenstore applies one connection's writes in order). */
	snprintf(num, sizeof(num), "%lu",
		 (unsigned long)(region->region_gpa >> PAGE_SHIFT));
	if (write_key("gfn", num) != 0)
		return -1;
	snprintf(num, sizeof(num), "%u", RS_MO_PAGES);
	if (write_key("pages", num) != 0)
		return -1;
	snprintf(num, sizeof(num), "%lx", (unsigned long)region->nonce);
	if (write_key("nonce", num) != 0 || write_key("ring-ref", ref_list) != 0)
		return -1;
	printk("ringside: published %u grant references (%zu bytes)\n",
	       RS_MO_PAGES, at);
	return 0;
}
