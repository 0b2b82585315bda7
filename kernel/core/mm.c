/*
 * mm.c - buddy page allocator over one contiguous free range.
 *
 * Block state lives in a side table (one byte per page) rather than in the
 * free pages themselves, so a stray write into a free page cannot corrupt
 * the allocator's idea of what is free; only the free-list links live in
 * the pages. Blocks are aligned to their size in absolute address terms,
 * which makes a block's buddy a single XOR away.
 */
#include "mm.h"

#include "klib.h"
#include "panic.h"
#include "platform.h"
#include "spinlock.h"
#include "trace.h"

#define PS_USED  0xff   /* page is allocated or inside a larger free block */
#define PS_FREE  0x80   /* flag: head of a free block; low bits = order */

struct free_block {
	struct free_block *next, *prev;
};

/* Every CPU allocates: the lists and the page states are under one lock
 * (RS_LOCK_PAGES), taken with interrupts off, as the heap's calls it. */
static struct spinlock mm_lock = SPINLOCK_INIT(RS_LOCK_PAGES);

static struct {
	uintptr_t base;            /* first managed page */
	uint64_t npages;
	uint8_t *state;            /* per page: PS_USED or PS_FREE|order */
	struct free_block *free_list[MM_MAX_ORDER];
	struct mm_stats stats;
} mm;

static inline uint64_t page_index(uintptr_t addr)
{
	return (addr - mm.base) >> PAGE_SHIFT;
}

static void list_push(unsigned order, uintptr_t addr)
{
	struct free_block *b = (struct free_block *)addr;
	b->prev = NULL;
	b->next = mm.free_list[order];
	if (b->next)
		b->next->prev = b;
	mm.free_list[order] = b;
	mm.state[page_index(addr)] = (uint8_t)(PS_FREE | order);
	mm.stats.free_blocks[order]++;
}

static void list_remove(unsigned order, uintptr_t addr)
{
	struct free_block *b = (struct free_block *)addr;
	if (b->prev)
		b->prev->next = b->next;
	else
		mm.free_list[order] = b->next;
	if (b->next)
		b->next->prev = b->prev;
	mm.state[page_index(addr)] = PS_USED;
	mm.stats.free_blocks[order]--;
}

void init_page_allocator(uintptr_t min, uintptr_t max)
{
	memset(&mm, 0, sizeof(mm));
	spin_init(&mm_lock, RS_LOCK_PAGES);
	min = (min + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	max &= ~(PAGE_SIZE - 1);
	if (max <= min)
		return;

	/* Carve the state table off the front; it must cover the pages that
	 * remain, which is at most the pages of the whole range. */
	uint64_t all = (max - min) >> PAGE_SHIFT;
	uint64_t table_pages = (all + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (table_pages >= all)
		return;
	mm.state = (uint8_t *)min;
	mm.base = min + (table_pages << PAGE_SHIFT);
	mm.npages = all - table_pages;
	memset(mm.state, PS_USED, mm.npages);

	/* Cover the range with the largest naturally aligned blocks. */
	uintptr_t a = mm.base;
	while (a < max) {
		unsigned order = MM_MAX_ORDER - 1;
		while (order > 0 &&
		       ((a & ((PAGE_SIZE << order) - 1)) != 0 ||
			a + (PAGE_SIZE << order) > max))
			order--;
		list_push(order, a);
		a += PAGE_SIZE << order;
	}
	mm.stats.total_pages = mm.npages;
	mm.stats.free_pages = mm.npages;
}

void *alloc_pages(unsigned order)
{
	if (order >= MM_MAX_ORDER)
		return NULL;
	unsigned long flags = spin_lock_irqsave(&mm_lock);
	unsigned o = order;
	while (o < MM_MAX_ORDER && !mm.free_list[o])
		o++;
	if (o == MM_MAX_ORDER) {
		spin_unlock_irqrestore(&mm_lock, flags);
		return NULL;
	}
	uintptr_t addr = (uintptr_t)mm.free_list[o];
	list_remove(o, addr);
	/* Split: keep the low half, return the high halves to the lists. */
	while (o > order) {
		o--;
		list_push(o, addr + (PAGE_SIZE << o));
	}
	mm.stats.free_pages -= 1ull << order;
	mm.stats.allocs++;
	spin_unlock_irqrestore(&mm_lock, flags);
	trace_page_alloc(addr, order);
	return (void *)addr;
}

void *alloc_page(void)
{
	return alloc_pages(0);
}

void free_pages(void *ptr, unsigned order)
{
	uintptr_t addr = (uintptr_t)ptr;
	uint64_t size = PAGE_SIZE << order;

	if (order >= MM_MAX_ORDER || addr < mm.base ||
	    addr + size > mm.base + (mm.npages << PAGE_SHIFT) ||
	    (addr & (size - 1)) != 0)
		panic("free_pages: bad block %p order %u", ptr, order);
	trace_page_free(addr, order);
	unsigned long flags = spin_lock_irqsave(&mm_lock);
	if (mm.state[page_index(addr)] != PS_USED)
		panic("free_pages: double free of %p order %u", ptr, order);
	mm.stats.free_pages += 1ull << order;
	mm.stats.frees++;
	/* Merge with the buddy for as long as it is a free block of the
	 * same order inside the managed range. */
	while (order + 1 < MM_MAX_ORDER) {
		uintptr_t buddy = addr ^ (PAGE_SIZE << order);
		if (buddy < mm.base ||
		    buddy + (PAGE_SIZE << order) >
			    mm.base + (mm.npages << PAGE_SHIFT) ||
		    mm.state[page_index(buddy)] != (PS_FREE | order))
			break;
		list_remove(order, buddy);
		if (buddy < addr)
			addr = buddy;
		order++;
	}
	list_push(order, addr);
	spin_unlock_irqrestore(&mm_lock, flags);
}

void free_page(void *ptr)
{
	free_pages(ptr, 0);
}

void mm_stats(struct mm_stats *out)
{
	unsigned long flags = spin_lock_irqsave(&mm_lock);
	*out = mm.stats;
	spin_unlock_irqrestore(&mm_lock, flags);
}
