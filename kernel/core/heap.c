/*
 * heap.c - kmalloc/kfree: power-of-two size classes carved from one-page
 * slabs, and whole page blocks for anything larger.
 *
 * A slab page starts with a header, so kfree finds an object's class by
 * rounding its address down to the page. Empty slabs go straight back to
 * the page allocator: that keeps page alloc/free events balanced, which is
 * what lets tests check that a workload released everything.
 */
#include "heap.h"

#include "klib.h"
#include "mm.h"
#include "panic.h"
#include "platform.h"
#include "spinlock.h"
#include "trace.h"

#define SLAB_MAGIC  0x51ab51ab
#define LARGE_MAGIC 0x1a7e1a7e
#define MIN_SHIFT   4                       /* 16 bytes */
#define NCLASSES    8                       /* 16 .. 2048 */
#define SLAB_HDR    64u                     /* keeps objects 16-aligned */

#ifdef __SANITIZE_ADDRESS__
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define HEAP_POISON(p, n) __asan_poison_memory_region((p), (n))
#define HEAP_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define HEAP_POISON(p, n) ((void)(p), (void)(n))
#define HEAP_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct free_obj {
	struct free_obj *next;
};

struct slab {
	uint32_t magic;
	uint16_t cls;
	uint16_t nfree;
	uint16_t total;
	uint16_t pad[3];
	struct free_obj *free;
	struct slab *next, *prev;       /* slabs of this class with room */
};

struct large {
	uint32_t magic;
	uint32_t order;
	uint64_t pad;                   /* 16 bytes: payload stays aligned */
};

_Static_assert(sizeof(struct slab) <= SLAB_HDR, "slab header fits");

static struct {
	struct slab *partial[NCLASSES];
	struct heap_stats stats;
} heap;

/* Slabs and accounting are shared by every CPU: one lock (RS_LOCK_HEAP),
 * taken before the page allocator's (heap, then pages). The HEAP record
 * is written under it, so the records' in_use values follow the order
 * the changes happened in, on whichever CPU each happened. */
static struct spinlock heap_lock = SPINLOCK_INIT(RS_LOCK_HEAP);

void heap_init(void)
{
	memset(&heap, 0, sizeof(heap));
	spin_init(&heap_lock, RS_LOCK_HEAP);
}

static unsigned size_class(size_t size)
{
	unsigned c = 0;
	while (((size_t)1 << (c + MIN_SHIFT)) < size)
		c++;
	return c;
}

static unsigned large_order(size_t size)
{
	unsigned o = 0;
	while ((PAGE_SIZE << o) < size + sizeof(struct large))
		o++;
	return o;
}

size_t heap_accounted_size(size_t size)
{
	if (size == 0)
		return 0;
	if (size <= ((size_t)1 << (NCLASSES - 1 + MIN_SHIFT)))
		return (size_t)1 << (size_class(size) + MIN_SHIFT);
	return PAGE_SIZE << large_order(size);
}

static void account(int64_t delta)
{
	heap.stats.in_use += (uint64_t)delta;
	trace_heap(heap.stats.in_use, delta);
}

static void slab_unlink(struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		heap.partial[s->cls] = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void slab_link(struct slab *s)
{
	s->prev = NULL;
	s->next = heap.partial[s->cls];
	if (s->next)
		s->next->prev = s;
	heap.partial[s->cls] = s;
}

static struct slab *slab_new(unsigned cls)
{
	struct slab *s = alloc_page();
	if (!s)
		return NULL;
	const size_t osize = (size_t)1 << (cls + MIN_SHIFT);
	uint8_t *obj = (uint8_t *)s + SLAB_HDR;
	memset(s, 0, SLAB_HDR);
	s->magic = SLAB_MAGIC;
	s->cls = (uint16_t)cls;
	s->total = (uint16_t)((PAGE_SIZE - SLAB_HDR) / osize);
	s->nfree = s->total;
	for (unsigned i = s->total; i-- > 0;) {
		struct free_obj *f = (struct free_obj *)(obj + i * osize);
		f->next = s->free;
		s->free = f;
	}
	HEAP_POISON(obj, PAGE_SIZE - SLAB_HDR);
	heap.stats.slab_pages++;
	slab_link(s);
	return s;
}

static void *kmalloc_locked(size_t size)
{
	void *ret;
	int64_t acct;

	if (size > ((size_t)1 << (NCLASSES - 1 + MIN_SHIFT))) {
		unsigned order = large_order(size);
		struct large *l = alloc_pages(order);
		if (!l)
			return NULL;
		l->magic = LARGE_MAGIC;
		l->order = order;
		ret = l + 1;
		acct = (int64_t)(PAGE_SIZE << order);
	} else {
		unsigned cls = size_class(size);
		struct slab *s = heap.partial[cls];
		if (!s && !(s = slab_new(cls)))
			return NULL;
		struct free_obj *f = s->free;
		HEAP_UNPOISON(f, (size_t)1 << (cls + MIN_SHIFT));
		s->free = f->next;
		if (--s->nfree == 0)
			slab_unlink(s);
		ret = f;
		acct = (int64_t)1 << (cls + MIN_SHIFT);
	}
	heap.stats.allocs++;
	account(acct);
	return ret;
}

void *kmalloc(size_t size)
{
	if (size == 0)
		return NULL;
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	void *p = kmalloc_locked(size);
	spin_unlock_irqrestore(&heap_lock, flags);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

static void kfree_locked(void *ptr)
{
	uintptr_t page = (uintptr_t)ptr & ~(PAGE_SIZE - 1);

	if ((uintptr_t)ptr - page == sizeof(struct large) &&
	    ((struct large *)page)->magic == LARGE_MAGIC) {
		struct large *l = (struct large *)page;
		unsigned order = l->order;
		l->magic = 0;
		heap.stats.frees++;
		account(-(int64_t)(PAGE_SIZE << order));
		free_pages(l, order);
		return;
	}

	struct slab *s = (struct slab *)page;
	if (s->magic != SLAB_MAGIC)
		panic("kfree: %p is not a heap object", ptr);
	const size_t osize = (size_t)1 << (s->cls + MIN_SHIFT);
	if (((uintptr_t)ptr - page - SLAB_HDR) % osize != 0)
		panic("kfree: %p is not an object start", ptr);

	struct free_obj *f = ptr;
	f->next = s->free;
	s->free = f;
	HEAP_POISON(f, osize);
	if (s->nfree++ == 0)
		slab_link(s);
	heap.stats.frees++;
	account(-(int64_t)osize);
	if (s->nfree == s->total) {
		slab_unlink(s);
		s->magic = 0;
		heap.stats.slab_pages--;
		HEAP_UNPOISON(s, PAGE_SIZE);
		free_page(s);
	}
}

void kfree(void *ptr)
{
	if (!ptr)
		return;
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	kfree_locked(ptr);
	spin_unlock_irqrestore(&heap_lock, flags);
}

uint64_t heap_in_use(void)
{
	return heap.stats.in_use;
}

void heap_stats(struct heap_stats *out)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	*out = heap.stats;
	spin_unlock_irqrestore(&heap_lock, flags);
}
