/*
 * fault.c - the platform side of deliberate failures: guard pages under
 * thread stacks, an address that page-faults, and a triple fault.
 *
 * Guards work on the boot page tables (paging.S), found through CR3 since
 * everything below 4 GiB is identity mapped. Thread stacks live in 2 MiB
 * pages, so the first guard in a 2 MiB region splits it into 4 KiB pages
 * with a table from a small static pool; when the pool is used up, later
 * stacks in unsplit regions simply go unguarded (best effort, as
 * platform.h allows).
 *
 * The page tables are shared by every CPU, so a change is made under a
 * spinlock. Only the changing CPU's TLB is flushed: another CPU that
 * still caches the page as present misses the guard until its next
 * flush (no shootdown IPI yet), and one that cached the 2 MiB page keeps
 * a mapping that says the same; a guard removed needs no flush
 * elsewhere, as not-present entries are not cached.
 */
#include "pvh.h"

#include "../../core/platform.h"

#define PTE_P     0x001ull
#define PTE_W     0x002ull
#define PTE_PWT   0x008ull
#define PTE_PCD   0x010ull
#define PTE_PS    0x080ull
#define PTE_ADDR  0x000ffffffffff000ull
#define PDE_2M    0x000fffffffe00000ull
#define MAPPED_LIMIT (1ull << 32)
#define SPLIT_TABLES 32                 /* covers 64 MiB of stacks */

static uint64_t split_pool[SPLIT_TABLES][512] __attribute__((aligned(4096)));
static unsigned split_used;
static volatile uint32_t pt_lock;

/* Interrupts are already off: the holder is never interrupted. */
static void pt_lock_take(void)
{
	while (__atomic_exchange_n(&pt_lock, 1, __ATOMIC_ACQUIRE))
		__asm__ __volatile__("pause");
}

static void pt_lock_drop(void)
{
	__atomic_store_n(&pt_lock, 0, __ATOMIC_RELEASE);
}

static uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ __volatile__("mov %%cr3, %0" : "=r"(v));
	return v;
}

static void flush_all(void)
{
	__asm__ __volatile__("mov %0, %%cr3" : : "r"(read_cr3()) : "memory");
}

static void flush_one(uintptr_t va)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/* The 4 KiB PTE mapping va; with `split`, a 2 MiB mapping is split first.
 * NULL if va is unmapped or cannot be split. */
static uint64_t *pte_of(uintptr_t va, bool split)
{
	if (va >= MAPPED_LIMIT)
		return NULL;
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR);
	uint64_t e = pml4[(va >> 39) & 511];
	if (!(e & PTE_P))
		return NULL;
	uint64_t *pdpt = (uint64_t *)(uintptr_t)(e & PTE_ADDR);
	e = pdpt[(va >> 30) & 511];
	if (!(e & PTE_P))
		return NULL;
	uint64_t *pd = (uint64_t *)(uintptr_t)(e & PTE_ADDR);
	uint64_t *pde = &pd[(va >> 21) & 511];
	if (!(*pde & PTE_P))
		return NULL;
	if (*pde & PTE_PS) {
		if (!split || split_used == SPLIT_TABLES)
			return NULL;
		uint64_t *pt = split_pool[split_used++];
		uint64_t base = *pde & PDE_2M;
		uint64_t flags = *pde & (PTE_P | PTE_W | PTE_PWT | PTE_PCD);
		for (unsigned i = 0; i < 512; i++)
			pt[i] = (base + ((uint64_t)i << 12)) | flags;
		*pde = (uint64_t)(uintptr_t)pt | PTE_P | PTE_W;
		flush_all();
	}
	uint64_t *pt = (uint64_t *)(uintptr_t)(*pde & PTE_ADDR);
	return &pt[(va >> 12) & 511];
}

void platform_stack_guard(void *lo)
{
	unsigned long flags = platform_irq_save();
	pt_lock_take();
	uint64_t *pte = pte_of((uintptr_t)lo, true);
	if (pte) {
		*pte &= ~PTE_P;
		flush_one((uintptr_t)lo);
	}
	pt_lock_drop();
	platform_irq_restore(flags);
}

void platform_stack_unguard(void *lo)
{
	unsigned long flags = platform_irq_save();
	pt_lock_take();
	uint64_t *pte = pte_of((uintptr_t)lo, false);
	if (pte) {
		*pte |= PTE_P;
		flush_one((uintptr_t)lo);
	}
	pt_lock_drop();
	platform_irq_restore(flags);
}

/* Nothing above 4 GiB is mapped (paging.S): a write is a clean #PF with
 * error code 2 (write, not present, supervisor) and CR2 = this. */
uintptr_t platform_unmapped_address(void)
{
	return (uintptr_t)MAPPED_LIMIT;
}

/*
 * An IDT with limit 0 has no valid gate, so int3 raises #GP, whose
 * delivery fails too (#DF), whose delivery fails again: shutdown. QEMU
 * resets the machine, or with -action reboot=shutdown,shutdown=pause
 * stops with guest RAM (and the ring, still RUNNING) intact.
 */
void platform_triple_fault(void)
{
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	__asm__ __volatile__("cli\n\tlidt %0\n\tint3" : : "m"(empty) : "memory");
	halt_forever();
}
