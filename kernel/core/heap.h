/*
 * heap.h - small-object allocator on top of the page allocator.
 */
#ifndef KERNEL_HEAP_H
#define KERNEL_HEAP_H

#include <stddef.h>
#include <stdint.h>

void heap_init(void);
/* 16-byte aligned; NULL when out of memory or size is 0. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *ptr);

/*
 * Bytes in use count what the allocator actually hands out: the size
 * class for small objects (16, 32, ... 2048) and whole pages for large
 * ones, so kmalloc(100) accounts 128 bytes. RS_EV_HEAP carries the same.
 */
uint64_t heap_in_use(void);
/* Size the heap accounts for a request of `size` bytes. */
size_t heap_accounted_size(size_t size);

struct heap_stats {
	uint64_t in_use;
	uint64_t allocs, frees;
	uint64_t slab_pages;       /* pages currently holding small objects */
};
void heap_stats(struct heap_stats *out);

#endif /* KERNEL_HEAP_H */
