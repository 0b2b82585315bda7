/*
 * alloc.c - allocation churn: page blocks of orders 0-3 and heap objects
 * of sizes across every class (and beyond, into whole pages), with a
 * sliding window of live allocations, then everything freed.
 *
 * With count=I (default 20000) and the fixed generator below:
 *   every iteration frees the slot it reuses (once the window is full) and
 *   makes exactly one allocation: pages or kmalloc, chosen by the LCG;
 *   COUNTER "heap_in_use" every 64 iterations and once at the end (value
 *   0), COUNTER "pages_free" likewise: I/64 + 1 of each;
 *   PAGE_ALLOC == PAGE_FREE over the run, and the last HEAP record says 0
 *   bytes in use; MARK 1 at the end (a = I, "alloc done").
 * The exact split between page blocks and heap objects is printed and is
 * a pure function of I (alloc_split() below, for tests to mirror).
 */
#include "workloads.h"

#include "../core/heap.h"
#include "../core/klib.h"
#include "../core/mm.h"
#include "../core/platform.h"
#include "../core/sched.h"
#include "../core/trace.h"

#define ALLOC_DEFAULT 20000
#define WINDOW 32
#define COUNTER_EVERY 64

static const uint32_t sizes[] = { 8, 24, 48, 100, 200, 256, 500,
				  1000, 2048, 3000, 9000, 20000 };

struct slot {
	void *p;
	int order;                 /* -1: heap object */
};

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

static void emit_counters(void)
{
	struct mm_stats ms;
	mm_stats(&ms);
	trace_counter(heap_in_use(), "heap_in_use");
	trace_counter(ms.free_pages, "pages_free");
}

static int alloc_run(const struct workload_args *args)
{
	struct slot slots[WINDOW];
	uint64_t seed = 42, i = 0, start = platform_cycles();
	uint64_t n_pages = 0, n_heap = 0, failures = 0;
	/* The main thread's own descriptor is on the heap too. */
	const uint64_t heap_before = heap_in_use();

	for (unsigned k = 0; k < WINDOW; k++)
		slots[k].p = NULL;
	while (!workload_done(args, i, ALLOC_DEFAULT, start)) {
		struct slot *s = &slots[i % WINDOW];
		if (s->p) {
			if (s->order < 0)
				kfree(s->p);
			else
				free_pages(s->p, (unsigned)s->order);
		}
		uint64_t r = lcg(&seed);
		if (r % 3 == 0) {
			s->order = (int)((r >> 8) % 4);
			s->p = alloc_pages((unsigned)s->order);
			n_pages++;
		} else {
			size_t size = sizes[(r >> 8) % KARRAY_SIZE(sizes)];
			s->order = -1;
			s->p = kmalloc(size);
			if (s->p)
				memset(s->p, (int)(i & 0xff), size);
			n_heap++;
		}
		if (!s->p)
			failures++;
		i++;
		if (i % COUNTER_EVERY == 0)
			emit_counters();
		if (i % 256 == 0)
			thread_yield();
	}
	for (unsigned k = 0; k < WINDOW; k++) {
		if (!slots[k].p)
			continue;
		if (slots[k].order < 0)
			kfree(slots[k].p);
		else
			free_pages(slots[k].p, (unsigned)slots[k].order);
	}
	emit_counters();
	trace_mark(i, "alloc done");
	if (!args->quiet)
		kprintf("alloc: %lu iterations, %lu page blocks, %lu heap "
			"objects, %lu failures\n",
			(unsigned long)i, (unsigned long)n_pages,
			(unsigned long)n_heap, (unsigned long)failures);
	return failures || heap_in_use() != heap_before ? 1 : 0;
}

const struct workload workload_alloc = {
	"alloc", "page and heap allocation churn", alloc_run,
};
