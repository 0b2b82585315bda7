/*
 * mm.h - the buddy page allocator (after Mini-OS mm.c).
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ul << PAGE_SHIFT)
#define MM_MAX_ORDER 11            /* largest block: 2^10 pages = 4 MiB */

/*
 * Takes [min, max) (rounded inward to pages) as the only memory the
 * allocator hands out. Its bookkeeping (one byte per page) is carved from
 * the start of the range. Re-initialising forgets every earlier block.
 */
void init_page_allocator(uintptr_t min, uintptr_t max);

/* 2^order contiguous pages aligned to their size, or NULL. */
void *alloc_pages(unsigned order);
void *alloc_page(void);
/* ptr must be exactly what alloc_pages(order) returned. */
void free_pages(void *ptr, unsigned order);
void free_page(void *ptr);

struct mm_stats {
	uint64_t total_pages;      /* pages managed (after bookkeeping) */
	uint64_t free_pages;
	uint64_t allocs, frees;    /* calls since init */
	uint64_t free_blocks[MM_MAX_ORDER];
};
void mm_stats(struct mm_stats *out);

#endif /* KERNEL_MM_H */
