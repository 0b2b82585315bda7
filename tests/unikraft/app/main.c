/*
 * main.c - the Unikraft guest that `make check-unikraft` traces
 * (tests/unikraft/run.sh). Its one argument picks the workload:
 *
 *   clean  worker threads that allocate, sleep, yield and fire a
 *          tracepoint, joined by main, then a normal exit; on the way
 *          main times the emit path against Unikraft's clock
 *   crash  the same workers, then UK_CRASH in main (a software panic)
 *   fault  the same workers, then a write to a non-canonical address (#GP)
 *   hang   the same workers, then interrupts off and a spin forever
 *
 * Every workload prints "ringside-test: <name> start" first so a driver
 * can tell the boot went well, whatever comes after.
 */
#define UK_DEBUG_TRACE /* this file's tracepoints are on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uk/alloc.h>
#include <uk/assert.h>
#include <uk/plat/lcpu.h>
#include <uk/plat/time.h>
#include <uk/sched.h>
#include <uk/thread.h>
#include <uk/trace.h>

#include <ringside_uk.h>

UK_TRACEPOINT(trace_ringside_test_round, "round %d", int);

#define WORKERS 3
#define ROUNDS 30

static volatile int workers_done;

static __noreturn void worker(void *arg)
{
	int id = (int)(long)arg;
	struct uk_alloc *a = uk_alloc_get_default();

	for (int r = 0; r < ROUNDS; r++) {
		/* Sizes from a few bytes to a few pages: both heap paths. */
		size_t size = 16u << ((r + id) % 10);
		void *p = uk_malloc(a, size);

		if (p)
			memset(p, r, size);
		trace_ringside_test_round(r);
		uk_sched_thread_sleep((__nsec)(1 + (r + id) % 3) * 1000000ull);
		uk_free(a, p);
		uk_sched_yield();
	}
	workers_done++;
	uk_sched_thread_exit();
}

static void run_workers(void)
{
	struct uk_sched *s = uk_sched_current();
	char name[WORKERS][16];

	for (long i = 0; i < WORKERS; i++) {
		snprintf(name[i], sizeof(name[i]), "worker-%ld", i);
		if (!uk_sched_thread_create_fn1(s, worker, (void *)i, 0, 0,
						false, false, strdup(name[i]),
						NULL, NULL))
			UK_CRASH("ringside-test: no thread %ld\n", i);
	}
	/* Join by sleeping: the scheduler has no join, and sleeping keeps
	 * the timer (and so the interrupts) busy. */
	while (workers_done < WORKERS)
		uk_sched_thread_sleep(2000000ull);
}

/*
 * The emit path's cost inside Unikraft, against Unikraft's own clock:
 * fixed-size emits into a scratch region laid out like the real one.
 * Its magic is cleared at once, so the collector never takes it for the
 * guest's ring, and the real ring is not flooded. The emit does not
 * read the magic, so the path timed is the one every hook takes.
 * Best of EMIT_BATCHES batches, interrupts off in each: what the path
 * costs, not what a timer interrupt or TCG's translation of the first
 * batch adds (each batch is about 2 ms here: the heartbeat never waits
 * long).
 */
#define EMIT_N 40000u
#define EMIT_BATCHES 5u
static uint8_t scratch[68u * 1024u] __attribute__((aligned(4096)));

static void time_emit(void)
{
	struct gt_config cfg;
	__nsec best = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.region_gpa = 0;
	cfg.region_size = sizeof(scratch);
	cfg.ncpus = 1;
	cfg.nonce = 1;
	cfg.tsc_hz = 1;
	if (gt_region_init(scratch, &cfg) != 0)
		return;
	struct rs_header *h = (struct rs_header *)scratch;
	*(volatile uint64_t *)&h->magic = 0;

	for (unsigned b = 0; b < EMIT_BATCHES; b++) {
		unsigned long flags = ukplat_lcpu_save_irqf();
		__nsec t0 = ukplat_monotonic_clock();

		for (unsigned i = 0; i < EMIT_N; i++)
			gt_emit(h, 0, RS_EV_THREAD_YIELD, 1,
				RS_EV_NARGS(THREAD_YIELD), i, 0, 0);
		__nsec t1 = ukplat_monotonic_clock();

		ukplat_lcpu_restore_irqf(flags);
		if (b == 0 || t1 - t0 < best)
			best = t1 - t0;
		uk_sched_yield();
	}
	/* Hundredths of a ns: TCG is slow, a real CPU is not. */
	unsigned long cps = (unsigned long)(best * 100u / EMIT_N);

	printf("ringside-test: emit %u events in %lu ns (best of %u): "
	       "%lu.%02lu ns/event\n", EMIT_N, (unsigned long)best,
	       EMIT_BATCHES, cps / 100, cps % 100);
	ringside_uk_mark("emit_cps", cps);
}

int main(int argc, char *argv[])
{
	const char *w = argc > 1 ? argv[argc - 1] : "clean";

	printf("ringside-test: %s start\n", w);
	run_workers();
	if (strcmp(w, "crash") == 0) {
		UK_CRASH("ringside-test: deliberate crash, code %d\n", 42);
	} else if (strcmp(w, "fault") == 0) {
		/* Non-canonical: a #GP whatever the page tables map. */
		*(volatile int *)0x8000000000000000ul = 1;
	} else if (strcmp(w, "hang") == 0) {
		printf("ringside-test: spinning with interrupts off\n");
		ukplat_lcpu_disable_irq();
		for (;;)
			__asm__ __volatile__("pause");
	}
	time_emit();
	printf("ringside-test: %s done\n", w);
	return 0;
}
