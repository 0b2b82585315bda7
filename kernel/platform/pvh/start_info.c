/*
 * start_info.c - reading what the PVH loader hands us (the hvm_start_info
 * at %ebx: command line, memory map, modules) and choosing where the
 * trace ring and the page allocator live.
 *
 * Both go in the largest free piece of RAM above the kernel image and
 * below 0xF0000000 (the MMIO hole; Xen dumps also leave it out), never
 * overlapping anything the loader placed: the image, start_info, the
 * command line, the memory map, modules. The ring takes the start of the
 * piece, page aligned, so a host scanning guest RAM finds it early.
 */
#include "pvh.h"

#include "../../core/klib.h"

#define XEN_HVM_START_MAGIC 0x336ec578u
#define E820_RAM 1u
#define RAM_LIMIT 0xf0000000ull
#define PAGE 4096ull
#define MAX_RESERVED 16

/* xen/include/public/arch-x86/hvm/start_info.h */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;          /* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

struct range {
	uint64_t lo, hi;
};

static struct range reserved[MAX_RESERVED];
static unsigned nreserved;

static void reserve(uint64_t addr, uint64_t len)
{
	if (len && nreserved < MAX_RESERVED)
		reserved[nreserved++] = (struct range){ addr, addr + len };
}

static uint64_t up(uint64_t x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

static uint64_t down(uint64_t x)
{
	return x & ~(PAGE - 1);
}

/* The largest page-aligned part of [lo, hi) that avoids reserved[i..]. */
static struct range largest_free(uint64_t lo, uint64_t hi, unsigned i)
{
	for (; i < nreserved; i++) {
		const struct range *r = &reserved[i];
		if (r->hi <= lo || r->lo >= hi)
			continue;
		struct range a = { 0, 0 }, b = { 0, 0 };
		if (down(r->lo) > lo)
			a = largest_free(lo, down(r->lo), i + 1);
		if (up(r->hi) < hi)
			b = largest_free(up(r->hi), hi, i + 1);
		return a.hi - a.lo >= b.hi - b.lo ? a : b;
	}
	return (struct range){ lo, hi };
}

static bool below_4g(uint64_t addr, uint64_t len)
{
	return addr < (1ull << 32) && len <= (1ull << 32) - addr;
}

/*
 * What start_info says, copied: the loader's structures may sit in page 0
 * (QEMU puts the memory map there), which is unmapped once boot is done
 * so that NULL dereferences fault.
 */
#define MAX_MEMMAP 128
#define MAX_MODULES 8
static struct hvm_memmap_entry memmap[MAX_MEMMAP];
static uint32_t memmap_entries, version;
static char cmdline[2048];
static uint64_t rsdp;

int start_info_capture(uint32_t paddr)
{
	const struct hvm_start_info *si =
		(const struct hvm_start_info *)(uintptr_t)paddr;

	if (!paddr || si->magic != XEN_HVM_START_MAGIC) {
		kprintf("pvh: no hvm_start_info at 0x%x\n", paddr);
		return -1;
	}
	version = si->version;
	rsdp = si->rsdp_paddr;
	reserve(paddr, sizeof(*si));
	if (si->cmdline_paddr && below_4g(si->cmdline_paddr, 1)) {
		const char *c = (const char *)(uintptr_t)si->cmdline_paddr;
		kstrlcpy(cmdline, c, sizeof(cmdline));
		reserve(si->cmdline_paddr, kstrlen(c) + 1);
	}
	if (si->modlist_paddr && si->nr_modules &&
	    below_4g(si->modlist_paddr, si->nr_modules * 32ull)) {
		const struct hvm_modlist_entry *m =
			(const void *)(uintptr_t)si->modlist_paddr;
		reserve(si->modlist_paddr, si->nr_modules * sizeof(*m));
		for (uint32_t i = 0; i < si->nr_modules && i < MAX_MODULES; i++)
			reserve(m[i].paddr, m[i].size);
	}
	if (version >= 1 && si->memmap_paddr &&
	    below_4g(si->memmap_paddr, si->memmap_entries * 24ull)) {
		const struct hvm_memmap_entry *e =
			(const void *)(uintptr_t)si->memmap_paddr;
		memmap_entries = si->memmap_entries < MAX_MEMMAP ?
				 si->memmap_entries : MAX_MEMMAP;
		memcpy(memmap, e, memmap_entries * sizeof(*e));
		reserve(si->memmap_paddr, si->memmap_entries * sizeof(*e));
	}
	return 0;
}

const char *start_info_cmdline(void)
{
	return cmdline;
}

uint64_t start_info_rsdp(void)
{
	return rsdp;
}

uint64_t start_info_low_page(void)
{
	const uint64_t lo = PAGE, hi = 0xa0000;  /* below the VGA hole */

	for (uint32_t i = 0; i < memmap_entries; i++) {
		const struct hvm_memmap_entry *e = &memmap[i];
		if (e->type != E820_RAM || e->addr >= hi ||
		    e->addr + e->size <= lo || e->addr + e->size < e->addr)
			continue;
		uint64_t a = up(e->addr > lo ? e->addr : lo);
		uint64_t end = e->addr + e->size;
		uint64_t b = down(end < hi ? end : hi);
		if (b <= a)
			continue;
		struct range r = largest_free(a, b, 0);
		if (r.hi - r.lo >= PAGE)
			return r.lo;
	}
	return 0;
}

int start_info_layout(uint64_t ring_bytes, struct pvh_boot *b)
{
	if (!memmap_entries) {
		kprintf("pvh: start_info version %u has no memory map\n",
			version);
		return -1;
	}
	reserve((uintptr_t)__kernel_start,
		(uintptr_t)__kernel_end - (uintptr_t)__kernel_start);

	struct range best = { 0, 0 };
	uint64_t kend = (uintptr_t)__kernel_end;
	for (uint32_t i = 0; i < memmap_entries; i++) {
		const struct hvm_memmap_entry *e = &memmap[i];
		if (e->type != E820_RAM)
			continue;
		uint64_t lo = up(e->addr > kend ? e->addr : kend);
		uint64_t end = e->addr + e->size;
		uint64_t hi = down(end < RAM_LIMIT ? end : RAM_LIMIT);
		if (hi <= lo)
			continue;
		struct range r = largest_free(lo, hi, 0);
		if (r.hi - r.lo > best.hi - best.lo)
			best = r;
	}
	/* The allocator needs room for thread stacks and the heap too. */
	if (best.hi - best.lo < ring_bytes + 64 * PAGE) {
		kprintf("pvh: no free RAM for a %lu KiB ring (largest free "
			"piece %lu KiB)\n", (unsigned long)(ring_bytes >> 10),
			(unsigned long)((best.hi - best.lo) >> 10));
		return -1;
	}
	b->ring_gpa = best.lo;
	b->ring_size = ring_bytes;
	b->free_start = best.lo + ring_bytes;
	b->free_end = best.hi;
	return 0;
}
