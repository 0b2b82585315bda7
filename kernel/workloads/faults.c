/*
 * faults.c - four more ways to die, each leaving a distinct signature for
 * the collector to recognise. None takes count= or seconds=.
 *
 *   panic:         thread "auditor" calls panic() three frames deep.
 *                  Panic record: vector 0xffffffff, reason "panic workload:
 *                  ledger out of balance: 1042 != 1041", rip == backtrace[0]
 *                  (in audit_level3), backtrace >= 5 frames (audit_level3,
 *                  2, 1, auditor, thread entry). State CRASHED.
 *                  Records: THREAD_CREATE 2 (main, auditor), THREAD_EXIT 0,
 *                  THREAD_BLOCK 1 (main joins), PROMISE_* 0,
 *                  MARK 1 (a = 3, "panic: auditor about to panic").
 *   pagefault:     main writes to platform_unmapped_address(): bare metal
 *                  0x100000000 -> vector 14 (#PF), error code 2, fault
 *                  address 0x100000000; hosted: a PROT_NONE page ->
 *                  SIGSEGV -> vector 14, fault address = that page, error
 *                  code as the host kernel reports it (write bit set).
 *                  Records: THREAD_CREATE 1, MARK 1 (a = the address,
 *                  "pagefault: writing to an unmapped address").
 *   stackoverflow: main recurses without bound into its stack's guard page.
 *                  Bare metal: the #PF cannot push its frame on the guard
 *                  page, so it becomes #DF (vector 8, error 0) on the IST
 *                  stack; hosted: SIGSEGV on the alternate signal stack ->
 *                  vector 14 with the fault address inside the guard page.
 *                  Records: THREAD_CREATE 1, MARK 1 (a = guard page
 *                  address, "stackoverflow: recursing without bound").
 *   nestedpanic:   main panics with a reason whose argument points at
 *                  platform_unmapped_address(), so formatting the reason
 *                  faults inside the panic path. The first record is still
 *                  committed: vector 0xffffffff, depth 2, registers and
 *                  backtrace, reason starting "nestedpanic: " and ending
 *                  "[nested panic in the panic path]". State CRASHED.
 *                  Records: THREAD_CREATE 1, MARK 1 (a = the address).
 *   triple:        MARK 1 (a = 0, "triple: loading an empty IDT"), then
 *                  platform_triple_fault(): bare metal resets the CPU (QEMU
 *                  pauses with -action reboot=shutdown,shutdown=pause);
 *                  hosted dies by SIGKILL. No panic record, state stays
 *                  RUNNING. Records: THREAD_CREATE 1, MARK 1.
 * Frames are noinline with a barrier after each call, so backtraces have a
 * known shape and no call becomes a jump.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/mm.h"
#include "../core/panic.h"
#include "../core/platform.h"
#include "../core/sched.h"
#include "../core/trace.h"

#define KEEP_FRAME() __asm__ __volatile__("" ::: "memory")

/* ---- panic ----------------------------------------------------------------- */

static __attribute__((noinline)) void audit_level3(uint64_t debit,
						   uint64_t credit)
{
	if (debit != credit)
		panic("panic workload: ledger out of balance: %lu != %lu",
		      (unsigned long)debit, (unsigned long)credit);
	KEEP_FRAME();
}

static __attribute__((noinline)) void audit_level2(uint64_t debit,
						   uint64_t credit)
{
	audit_level3(debit, credit);
	KEEP_FRAME();
}

static __attribute__((noinline)) void audit_level1(uint64_t debit,
						   uint64_t credit)
{
	audit_level2(debit + 1000, credit + 1000);
	KEEP_FRAME();
}

static void auditor(void *arg)
{
	trace_mark(3, "panic: auditor about to panic");
	audit_level1(42, 41);
	KEEP_FRAME();
}

static int panic_run(const struct workload_args *args)
{
	struct thread *t = thread_create("auditor", auditor, NULL);
	if (!t)
		return 1;
	thread_join(t);
	return 1;               /* not reached */
}

const struct workload workload_panic = {
	"panic", "a thread panics three calls deep", panic_run,
};

/* ---- pagefault --------------------------------------------------------------- */

static __attribute__((noinline)) void poke(uintptr_t addr, uint64_t v)
{
	*(volatile uint64_t *)addr = v;
	KEEP_FRAME();
}

static int pagefault_run(const struct workload_args *args)
{
	uintptr_t addr = platform_unmapped_address();
	if (!args->quiet)
		kprintf("pagefault: writing to 0x%lx\n", (unsigned long)addr);
	trace_mark(addr, "pagefault: writing to an unmapped address");
	poke(addr, 0x5afe);
	return 1;               /* not reached */
}

const struct workload workload_pagefault = {
	"pagefault", "writes to an unmapped address", pagefault_run,
};

/* ---- stackoverflow ----------------------------------------------------------- */

/* A bound the compiler cannot see through, and that is never reached. */
static volatile uint64_t recurse_limit = ~0ull;

/* About 100 bytes of stack a level; the result depends on every level so
 * the recursion can be neither removed nor turned into a loop. */
static __attribute__((noinline)) uint64_t recurse(uint64_t depth)
{
	volatile uint8_t pad[64];
	if (depth >= recurse_limit)
		return 0;
	pad[depth & 63] = (uint8_t)depth;
	uint64_t r = recurse(depth + 1);
	return r + pad[(depth + 1) & 63];
}

static int stackoverflow_run(const struct workload_args *args)
{
	uintptr_t lo = 0, hi = 0;
	sched_current_stack(&lo, &hi);
	if (!args->quiet)
		kprintf("stackoverflow: stack 0x%lx-0x%lx, guard page below\n",
			(unsigned long)lo, (unsigned long)hi);
	trace_mark(lo - PAGE_SIZE, "stackoverflow: recursing without bound");
	return recurse(0) == 0;
}

const struct workload workload_stackoverflow = {
	"stackoverflow", "recurses into its stack's guard page",
	stackoverflow_run,
};

/* ---- nestedpanic ------------------------------------------------------------ */

static int nestedpanic_run(const struct workload_args *args)
{
	uintptr_t addr = platform_unmapped_address();
	if (!args->quiet)
		kprintf("nestedpanic: panicking with a reason that faults\n");
	trace_mark(addr, "nestedpanic: the panic reason reads unmapped memory");
	panic("nestedpanic: %s", (const char *)addr);
}

const struct workload workload_nestedpanic = {
	"nestedpanic", "faults inside the panic path", nestedpanic_run,
};

/* ---- triple ------------------------------------------------------------------ */

static int triple_run(const struct workload_args *args)
{
	if (!args->quiet)
		kprintf("triple: loading an empty IDT and trapping\n");
	trace_mark(0, "triple: loading an empty IDT");
	platform_triple_fault();
}

const struct workload workload_triple = {
	"triple", "a deliberate triple fault (reset without a panic record)",
	triple_run,
};
