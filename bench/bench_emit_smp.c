/*
 * bench_emit_smp.c - gt_emit with several CPUs emitting at once, against
 * one CPU emitting alone, measured side by side in one run.
 *
 * N threads, each pinned to its own online CPU, each writing to its own
 * ring of one region (gt_region_init with ncpus = N, gt_emit(h, cpu, ..)),
 * emit together. Nothing is shared between the rings (struct rs_cpu_ring
 * is two cache lines of its own, 128-byte aligned inside the header, and
 * each ring's data is its own pages), so a CPU's ns/event should not grow
 * with N; if it did, false sharing or a shared resource would be the
 * cause. The reference is the same harness with one thread and a one-CPU
 * region, its rounds interleaved with the N-CPU rounds so that machine
 * noise hits both.
 *
 * N is 2 and 4, but never more than the CPUs this process may run on:
 * with more threads than CPUs the figure would measure time-sharing, not
 * concurrent emits. Even so, on a busy machine a thread is often off its
 * CPU while the others run, and its wall time then counts the wait. So
 * the loops are timed in short slices, every slice started on a barrier,
 * and a slice counts for the wall-time figure only if it was "clean":
 * every thread was on its CPU for at least 95 % of it (its own CPU time
 * against wall time) and the threads' slices overlapped for 95 % of the
 * longest. The threads' CPU time over all slices is recorded beside it;
 * on a busy machine most slices did not run together, so it shows the
 * emit's cost, not what running together changes.
 *
 * A control, in the same rounds, shows that the harness can see sharing
 * when there is some: a bare rdtsc-plus-store loop on each CPU whose
 * position lives in memory, once on a line of its own per CPU and once
 * in slots of one line all CPUs write (false sharing). If the second is
 * not clearly slower, the threads did not really run together.
 */
#include "bench.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest_trace.h"

#define SLICE     (1u << 16)     /* events per slice: about 1 ms */
#define SLICES    100            /* slices per round */
#define ROUNDS    5              /* rounds of each, alternating */
#define RING      (1u << 20)
#define MAX_N     4
#define CLEAN     0.95
/* Fewer clean slices than this and the wall figure uses every slice. */
#define MIN_CLEAN 15

struct worker {
	struct rs_header *h;
	unsigned ring;              /* the ring (CPU index in the region) */
	int os_cpu;                 /* the CPU it is pinned to */
	pthread_barrier_t *bar;
	/* the control loop's position counter, or NULL to run gt_emit */
	volatile uint64_t *ctl_pos;
	int pinned;
	/* each slice: CLOCK_MONOTONIC and the thread's CPU time */
	double t0[SLICES], t1[SLICES], c0[SLICES], c1[SLICES];
} __attribute__((aligned(128)));   /* no false sharing in the harness */

__attribute__((noinline)) static void emit_loop_cpu(struct rs_header *h,
						    unsigned cpu, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		gt_emit(h, cpu, RS_EV_THREAD_BLOCK, 7, RS_EV_NARGS(THREAD_BLOCK),
			i, ~(uint64_t)i, 3);
}

/*
 * The control (see the top of the file): a bare rdtsc-plus-store into
 * this CPU's ring, like bench_emit.c's floor, but with its position kept
 * in memory at `pos`. Given positions on lines of their own it shares
 * nothing; given slots of one line it is false sharing, and shows what
 * this harness measures when CPUs do share a line.
 */
__attribute__((noinline)) static void control_loop(struct rs_header *h,
						   unsigned cpu,
						   volatile uint64_t *pos,
						   uint32_t n)
{
	uint64_t *ring = (uint64_t *)((uint8_t *)h + h->cpu[cpu].data_offset);
	/* 40 does not divide the ring: wrap before a record would cross
	 * its end (into the next CPU's ring). */
	const uint64_t last = h->cpu[cpu].data_size - 40;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t p = *pos;
		if (p > last)
			p = 0;
		uint64_t *w = ring + p / 8;
		*pos = p + 40;
		w[0] = (uint64_t)RS_EV_THREAD_BLOCK | (40ull << 16) | (7ull << 32);
		w[1] = gt_rdtsc();
		w[2] = i;
		w[3] = ~(uint64_t)i;
		w[4] = 3;
	}
}

/* The control's positions: each on its own line, or all on one. */
static struct {
	volatile uint64_t v;
} __attribute__((aligned(128))) ctl_own[MAX_N];
static volatile uint64_t ctl_shared[MAX_N] __attribute__((aligned(128)));

static void run_loop(struct worker *w, uint32_t n)
{
	if (w->ctl_pos)
		control_loop(w->h, w->ring, w->ctl_pos, n);
	else
		emit_loop_cpu(w->h, w->ring, n);
}

static double thread_cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->os_cpu, &set);
	w->pinned = pthread_setaffinity_np(pthread_self(), sizeof(set),
					   &set) == 0;
	/* Warm the ring, the TLB and the branch predictors on this CPU. */
	run_loop(w, 32 * SLICE);
	for (int k = 0; k < SLICES; k++) {
		pthread_barrier_wait(w->bar);
		w->t0[k] = bench_now();
		w->c0[k] = thread_cpu_now();
		run_loop(w, SLICE);
		w->c1[k] = thread_cpu_now();
		w->t1[k] = bench_now();
	}
	return NULL;
}

/* Every slice's figures, pooled over rounds. */
enum loop { L_EMIT, L_CTL_OWN, L_CTL_SHARED };

struct pool {
	unsigned n;                        /* threads (CPUs) */
	enum loop loop;
	double wall[MAX_N][ROUNDS * SLICES];   /* ns/event, every slice */
	double cpu[MAX_N][ROUNDS * SLICES];    /* CPU-time ns/event */
	double clean[MAX_N][ROUNDS * SLICES];  /* wall, clean slices only */
	int nall, nclean;
};

/* Was slice k clean (see the top of the file)? */
static int slice_clean(const struct worker *w, unsigned n, int k)
{
	double start = 0, end = 1e300, longest = 0;

	for (unsigned i = 0; i < n; i++) {
		const double wall = w[i].t1[k] - w[i].t0[k];
		if (w[i].c1[k] - w[i].c0[k] < CLEAN * wall)
			return 0;
		start = w[i].t0[k] > start ? w[i].t0[k] : start;
		end = w[i].t1[k] < end ? w[i].t1[k] : end;
		longest = wall > longest ? wall : longest;
	}
	return end - start >= CLEAN * longest;
}

/*
 * One round: p->n threads on region h (p->n rings), pinned to cpus[],
 * SLICES slices each, added to p. -1 if a thread could not be pinned.
 */
static int round_of(struct rs_header *h, const int *cpus, struct pool *p)
{
	static struct worker w[MAX_N];
	pthread_t th[MAX_N];
	pthread_barrier_t bar;
	const unsigned n = p->n;
	int pinned = 1;

	pthread_barrier_init(&bar, NULL, n);
	for (unsigned i = 0; i < n; i++) {
		w[i].h = h;
		w[i].ring = i;
		w[i].os_cpu = cpus[i];
		w[i].bar = &bar;
		w[i].ctl_pos = p->loop == L_CTL_OWN ? &ctl_own[i].v :
			       p->loop == L_CTL_SHARED ? &ctl_shared[i] : NULL;
		if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0)
			bench_fail("emit smp: cannot start a thread");
	}
	for (unsigned i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		pinned &= w[i].pinned;
	}
	pthread_barrier_destroy(&bar);
	for (int k = 0; k < SLICES; k++) {
		const int clean = slice_clean(w, n, k);
		for (unsigned i = 0; i < n; i++) {
			const double ns = (w[i].t1[k] - w[i].t0[k]) * 1e9 / SLICE;
			p->wall[i][p->nall] = ns;
			p->cpu[i][p->nall] = (w[i].c1[k] - w[i].c0[k]) * 1e9 /
					     SLICE;
			if (clean)
				p->clean[i][p->nclean] = ns;
		}
		p->nall++;
		p->nclean += clean;
	}
	return pinned ? 0 : -1;
}

static struct rs_header *region(unsigned n)
{
	const size_t size = RS_HEADER_SIZE + (size_t)n * RING;
	struct rs_header *h = aligned_alloc(RS_PAGE_SIZE, size);
	struct gt_config cfg = {
		.region_size = size, .ncpus = n, .tsc_hz = 1000000000,
		.boot_tsc = 1, .nonce = 1,
	};

	if (!h || gt_region_init(h, &cfg) != 0)
		abort();
	return h;
}

/* The CPUs this process may run on, in order; how many. */
static unsigned online_cpus(int *cpus, unsigned max)
{
	cpu_set_t set;
	unsigned n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n;
}

/* The pools of one measure: one CPU, N CPUs, and the two controls. */
enum { P_ONE, P_SMP, P_CTL_OWN, P_CTL_SHARED, NPOOLS };

/* ROUNDS rounds of each pool, interleaved. -1 if threads could not be
 * pinned. */
static int measure(unsigned n, const int *cpus, struct pool *p)
{
	struct rs_header *h1 = region(1), *hn = region(n), *hc = region(n);
	static const enum loop loops[NPOOLS] = { L_EMIT, L_EMIT, L_CTL_OWN,
						 L_CTL_SHARED };
	int rc = 0;

	for (int k = 0; k < NPOOLS; k++) {
		memset(&p[k], 0, sizeof(p[k]));
		p[k].n = k == P_ONE ? 1 : n;
		p[k].loop = loops[k];
	}
	for (int r = 0; r < ROUNDS && rc == 0; r++)
		if (round_of(h1, cpus, &p[P_ONE]) != 0 ||
		    round_of(hn, cpus, &p[P_SMP]) != 0 ||
		    round_of(hc, cpus, &p[P_CTL_OWN]) != 0 ||
		    round_of(hc, cpus, &p[P_CTL_SHARED]) != 0)
			rc = -1;
	free(h1);
	free(hn);
	free(hc);
	return rc;
}

/* CPU i's wall-time median: over clean slices if there are enough. */
static double wall_median(struct pool *p, unsigned i)
{
	if (p->nclean >= MIN_CLEAN)
		return bench_median(p->clean[i], p->nclean);
	return bench_median(p->wall[i], p->nall);
}

/* The worst CPU's wall-time median of a pool. */
static double worst_wall(struct pool *p)
{
	double w = 0;
	for (unsigned i = 0; i < p->n; i++) {
		double v = wall_median(p, i);
		w = v > w ? v : w;
	}
	return w;
}

static void record(struct bench_results *res, struct pool *pools)
{
	struct pool *one = &pools[P_ONE], *smp = &pools[P_SMP];
	const unsigned n = smp->n;
	double wall[MAX_N], cpu[MAX_N];
	double *slot[MAX_N] = { &res->emit_smp_cpu0_ns, &res->emit_smp_cpu1_ns,
				&res->emit_smp_cpu2_ns, &res->emit_smp_cpu3_ns };
	double worst = 0, worst_cpu = 0;

	for (unsigned i = 0; i < n; i++) {
		wall[i] = wall_median(smp, i);
		cpu[i] = bench_median(smp->cpu[i], smp->nall);
		worst = wall[i] > worst ? wall[i] : worst;
		worst_cpu = cpu[i] > worst_cpu ? cpu[i] : worst_cpu;
	}
	const double one_wall = wall_median(one, 0);
	const double one_cpu = bench_median(one->cpu[0], one->nall);

	printf("emit smp: %u CPUs at once, ns/event per CPU:", n);
	for (unsigned i = 0; i < n; i++)
		printf(" %.2f", wall[i]);
	printf(" (CPU time:");
	for (unsigned i = 0; i < n; i++)
		printf(" %.2f", cpu[i]);
	printf("); one CPU %.2f (CPU time %.2f); worst/one %.3f (CPU time"
	       " %.3f); clean slices %d/%d, one CPU %d/%d\n", one_wall,
	       one_cpu, worst / one_wall, worst_cpu / one_cpu, smp->nclean,
	       smp->nall, one->nclean, one->nall);
	const double own = worst_wall(&pools[P_CTL_OWN]);
	const double shared = worst_wall(&pools[P_CTL_SHARED]);
	printf("emit smp: control, bare loop with its position on a line of"
	       " its own %.2f ns/event, in one line shared by the %u CPUs %.2f"
	       " (%.2fx; clean slices %d and %d/%d)\n", own, n, shared,
	       shared / own, pools[P_CTL_OWN].nclean,
	       pools[P_CTL_SHARED].nclean, smp->nall);
	if (pools[P_CTL_OWN].nclean < MIN_CLEAN ||
	    pools[P_CTL_SHARED].nclean < MIN_CLEAN)
		bench_note(res, "emit smp: the control ran clean in only %d and"
			   " %d of %d slices: its ratio is over every slice and"
			   " says nothing", pools[P_CTL_OWN].nclean,
			   pools[P_CTL_SHARED].nclean, smp->nall);
	if (smp->nclean < MIN_CLEAN || one->nclean < MIN_CLEAN)
		bench_note(res, "emit smp: %u CPUs: only %d (one CPU: %d) of %d"
			   " slices ran clean (machine busy): the wall figures"
			   " are over every slice and count waits for a CPU",
			   n, smp->nclean, one->nclean, smp->nall);
	if (n == 2)
		res->emit_smp2_ns = worst;
	else
		res->emit_smp4_ns = worst;
	/* The headline is the largest N measured. */
	res->emit_smp_ns = worst;
	res->emit_smp_one_ns = one_wall;
	res->emit_smp_cputime_ns = worst_cpu;
	res->emit_smp_one_cputime_ns = one_cpu;
	res->emit_smp_ncpus = n;
	res->emit_smp_clean = (double)smp->nclean / smp->nall;
	res->emit_smp_ctl_own_ns = own;
	res->emit_smp_ctl_shared_ns = shared;
	for (unsigned i = 0; i < MAX_N; i++)
		*slot[i] = i < n ? wall[i] : BENCH_NONE;
}

void bench_emit_smp(struct bench_results *res)
{
	static const unsigned sizes[] = { 2, MAX_N };
	static struct pool pools[NPOOLS];
	int cpus[MAX_N];
	unsigned online = online_cpus(cpus, MAX_N);

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		const unsigned n = sizes[k];

		if (n > online) {
			bench_note(res, "emit smp: %u CPUs here, so no %u-CPU"
				   " figure (more threads than CPUs would"
				   " measure time-sharing)", online, n);
			continue;
		}
		if (measure(n, cpus, pools) != 0) {
			bench_note(res, "emit smp: cannot pin threads to CPUs;"
				   " no %u-CPU figure", n);
			continue;
		}
		record(res, pools);
	}
}
