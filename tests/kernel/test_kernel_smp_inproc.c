/*
 * test_kernel_smp_inproc.c - the SMP core's races, in-process: each test
 * boots the kernel core on hosted CPUs inside a child process (so it can
 * hold the core at its seams, count what the core counts, and fail by a
 * child that stops making progress), then decodes the shared ring with
 * the one decoder (test_smp.h). A lost wake-up, a thread stolen while it
 * still switches out, timers fired by the wrong CPU, and a stuck CPU's
 * timers left unfired.
 */
#include "testlib.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kernel/core/cpu.h"
#include "../kernel/core/kernel.h"
#include "../kernel/core/platform.h"
#include "../kernel/core/promise.h"
#include "../kernel/core/sched.h"
#include "../kernel/core/timer.h"
#include "../kernel/platform/hosted/hosted.h"
#include "test_kernel.h"
#include "test_smp.h"

/*
 * The race a lost wake-up needs, run in a child process (the core on two
 * hosted CPUs, in-process): a waiter on CPU 0 publishes a promise and
 * waits for it while a resolver on CPU 1, never idle, polls for it and
 * resolves it at once, so resolutions keep landing while the waiter is
 * on its way to blocking (the kernel's seam, sched_block_window, holds it
 * there until the resolution came). A wake lost there leaves the waiter
 * blocked and the resolver polling forever: the run then fails once the
 * waiter has not moved for 5 s (it needs a few seconds in all, and a slow
 * host only makes each 5 s see fewer rounds).
 */
#define RACE_ROUNDS 2000

static struct {
	struct promise *slot;           /* under the promise lock */
	uint64_t resolved, waited, bad;
	bool widen;                     /* set in the race child only */
} race;

/* The kernel's seam (sched.h): between letting the promise lock go and
 * switching away, the waiter waits (up to 2 ms, giving the host core
 * away, should the two CPUs share one) until the resolver has resolved
 * this round's promise, so the wake lands there every round. A kernel
 * that marked the thread blocked only now, after the lock, would lose
 * that wake at the first round. */
void sched_block_window(void)
{
	if (!race.widen)
		return;
	uint64_t until = platform_cycles() + platform_tsc_hz() / 500;
	while (__atomic_load_n(&race.resolved, __ATOMIC_ACQUIRE) <=
		       __atomic_load_n(&race.waited, __ATOMIC_ACQUIRE) &&
	       platform_cycles() < until)
		platform_cpu_relax();
}

static void race_waiter(void *arg)
{
	for (uint64_t i = 0; i < RACE_ROUNDS; i++) {
		struct promise *p = promise_create(RS_PT_WAIT);
		unsigned long f = promise_lock();
		__atomic_store_n(&race.slot, promise_ref(p), __ATOMIC_RELEASE);
		promise_unlock(f);
		uint64_t v = ~0ull;
		if (promise_wait(p, &v) != PROMISE_OK || v != i)
			race.bad++;
		race.waited++;
		promise_unref(p);
	}
}

static void race_resolver(void *arg)
{
	while (race.resolved < RACE_ROUNDS) {
		unsigned long f = promise_lock();
		struct promise *p = race.slot;
		race.slot = NULL;
		promise_unlock(f);
		if (!p) {
			/* Polls without records: the ring keeps them all. */
			__builtin_ia32_pause();
			continue;
		}
		promise_resolve(p, race.resolved);
		/* Counted once resolved: the waiter's window waits for it. */
		__atomic_store_n(&race.resolved, race.resolved + 1,
				 __ATOMIC_RELEASE);
		promise_unref(p);
	}
}

/* A child's kernel core, booted in-process on `ncpus` hosted CPUs (CPU 0
 * is the caller's thread) with a discard-mode ring at `ring`: 0, or the
 * child's exit status for what failed (10 setup, 11 a CPU). */
static int boot_child(void *ring, size_t len, unsigned ncpus,
		      unsigned tick_hz)
{
	struct hosted_config hc = {
		.ring_base = ring, .ring_size = len, .mem_bytes = 32ul << 20,
		.tick_hz = tick_hz, .ncpus = ncpus, .console_fd = -1,
	};
	if (hosted_platform_init(&hc) != 0 ||
	    kernel_trace_init(RS_MODE_DISCARD) != 0)
		return 10;
	kernel_core_init();
	for (unsigned cpu = 1; cpu < ncpus; cpu++)
		if (platform_start_cpu(cpu, sched_secondary) != 0)
			return 11;
	return 0;
}

/* thread_create_on, once that CPU is running (it has marked itself
 * online): up to 10 s of retries. */
static struct thread *create_on_when_up(unsigned cpu, const char *name,
					void (*fn)(void *), void *arg)
{
	struct thread *t = NULL;
	for (int i = 0; i < 10000 && !t; i++) {
		t = thread_create_on(cpu, name, fn, arg);
		if (!t)
			hosted_sleep_ms(1);
	}
	return t;
}

static int race_child(void *ring, size_t len)
{
	int rc = boot_child(ring, len, 2, 1000);
	if (rc != 0)
		return rc;
	race.widen = true;
	struct thread *w = thread_create_on(0, "waiter", race_waiter, NULL);
	struct thread *r = create_on_when_up(1, "resolver", race_resolver,
					     NULL);
	if (!w || !r)
		return 12;
	/* Rounds of 5 s for as long as the waiter gets on: a lost wake-up
	 * stops it for good, a slow host only slows it. */
	for (uint64_t seen = ~0ull;; seen = race.waited) {
		uint64_t until = platform_cycles() + 5 * platform_tsc_hz();
		if (sched_run_until(until) == 0)
			break;
		if (race.waited == seen)
			return 1;               /* stuck: a lost wake-up */
	}
	thread_join(w);
	thread_join(r);
	if (race.waited != RACE_ROUNDS || race.resolved != RACE_ROUNDS ||
	    race.bad != 0)
		return 2;
	return sched_deadlock_reported() ? 3 : 0;
}

/*
 * The race on_cpu closes: a thread that yields is on its CPU's queue while
 * it still runs there, and an idle CPU that took it then would resume a
 * context not yet saved. Two unpinned threads yield YIELD_ROUNDS times
 * each on three CPUs; the third CPU, idle, looks for a thread to steal at
 * every tick (10 kHz, so it looks often) and often finds a yielder
 * queued: it must leave it be (and, before that rule, waited for it).
 * Taking it anyway crashes the child within a run.
 */
#define YIELD_ROUNDS 100000

static uint64_t yields[2];

static void yielder(void *arg)
{
	uint64_t *n = arg;
	for (uint64_t i = 0; i < YIELD_ROUNDS; i++) {
		thread_yield();
		(*n)++;
	}
}

static int yield_child(void *ring, size_t len)
{
	int rc = boot_child(ring, len, 3, 10000);
	if (rc != 0)
		return rc;
	struct thread *a = thread_create("yield a", yielder, &yields[0]);
	struct thread *b = thread_create("yield b", yielder, &yields[1]);
	if (!a || !b)
		return 12;
	for (uint64_t seen = ~0ull;; seen = yields[0] + yields[1]) {
		uint64_t until = platform_cycles() + 5 * platform_tsc_hz();
		if (sched_run_until(until) == 0)
			break;
		if (yields[0] + yields[1] == seen)
			return 1;               /* no progress in 5 s */
	}
	thread_join(a);
	thread_join(b);
	return yields[0] == YIELD_ROUNDS && yields[1] == YIELD_ROUNDS ? 0 : 2;
}

/* Runs `child` on a fresh shared ring in a child process; decodes the
 * ring once it exited 0. */
static struct smp_run *run_child(int (*child)(void *, size_t))
{
	/* 32 MiB a CPU on two, 16 on three: nothing is lost. */
	size_t len = (1 + 16384) * RS_PAGE_SIZE;
	void *ring = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(ring != MAP_FAILED);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(ring, len));
	int status = 0;
	/* The child gives up by itself once it stops making progress; this
	 * only catches one that hangs some other way (10 min). */
	for (int i = 0; i < 60000 && waitpid(pid, &status, WNOHANG) == 0; i++)
		hosted_sleep_ms(10);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the wake race child hung");
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the child ended with status 0x%x", status);

	struct smp_run *run = calloc(1, sizeof(*run));
	assert_non_null(run);
	smp_decode_region(ring, len, run);
	munmap(ring, len);
	for (unsigned i = 0; i < run->ncpus; i++) {
		assert_int_equal(run->lost[i], 0);
		assert_int_equal(run->accepted[i], run->written[i]);
	}
	smp_check_records(run);
	return run;
}

static void test_smp_wake_race(void **state)
{
	struct smp_run *run = run_child(race_child);
	/* Every block was woken; the waiter blocked at least sometimes. */
	assert_int_equal(run->t.n[RS_EV_THREAD_BLOCK],
			 run->t.n[RS_EV_THREAD_WAKE]);
	assert_true(run->t.n[RS_EV_THREAD_BLOCK] > 0);
	assert_int_equal(run->t.n[RS_EV_PROMISE_RESOLVE], RACE_ROUNDS);
	/* The resolver holds the promise lock half the time: the waiter's
	 * takes wait, and say so. */
	assert_true(run->t.n[RS_EV_LOCK_CONTEND] > 0);
	smp_free_run(run);
}

static void test_smp_steal_while_switching(void **state)
{
	struct smp_run *run = run_child(yield_child);
	assert_int_equal(run->t.n[RS_EV_THREAD_YIELD], 2 * YIELD_ROUNDS);
	assert_int_equal(run->t.n[RS_EV_THREAD_EXIT], 2);
	smp_free_run(run);
}

/*
 * Per-CPU timers: a sleeper pinned on each of two CPUs sleeps
 * SLEEP_ROUNDS x 1 ms, so timers are due on both CPUs all the time. Each
 * sleep's promise must be resolved (its TIMER_FIRE, its wake) on the CPU
 * that created it, by that CPU's own tick; with one shared list, about
 * half would be fired by whichever CPU came round first. The only
 * exceptions allowed are rescues (timer.c: a list 100 ms overdue, a
 * host CPU taken away that long), which the child counts: the two
 * numbers must be equal.
 */
#define SLEEP_ROUNDS 300

static uint64_t *timer_child_rescued;   /* shared with the parent */

static void sleeper(void *arg)
{
	for (unsigned i = 0; i < SLEEP_ROUNDS; i++)
		ksleep_ns(1000000);
}

static int timer_child(void *ring, size_t len)
{
	int rc = boot_child(ring, len, 2, 1000);
	if (rc != 0)
		return rc;
	struct thread *a = thread_create_on(0, "sleeper 0", sleeper, NULL);
	struct thread *b = create_on_when_up(1, "sleeper 1", sleeper, NULL);
	if (!a || !b)
		return 12;
	uint64_t fired = ~0ull;
	while (sched_run_until(platform_cycles() + 5 * platform_tsc_hz())) {
		if (timer_fired_count() == fired)
			return 1;               /* no timer fired in 5 s */
		fired = timer_fired_count();
	}
	thread_join(a);
	thread_join(b);
	*timer_child_rescued = timer_rescued_count();
	return timer_fired_count() == 2 * SLEEP_ROUNDS ? 0 : 2;
}

/*
 * The rescue: the spinner, pinned on CPU 1, turns interrupts off there,
 * then arms a 1 ms sleep on CPU 1's list and spins, so CPU 1 never fires
 * its own timer. CPU 0 must, once it is 100 ms overdue (timer.c,
 * RESCUE_NS), on its own ring; then the child lets the spinner go, and
 * the sleeper, pinned there too, waits on the sleep and both exit. The
 * sleep is armed with interrupts already off: armed before (the sleeper
 * armed it, then made the spinner), a host too busy to run the spinner
 * within 1 ms let CPU 1 fire it itself, and no rescue came (a flake seen
 * under ASan on a busy VM).
 */
static volatile bool spin_release;
static struct promise *rescue_sleep;

static void rescue_spinner(void *arg)
{
	platform_irq_disable();
	__atomic_store_n(&rescue_sleep, timer_sleep_ns(1000000),
			 __ATOMIC_RELEASE);
	while (!__atomic_load_n(&spin_release, __ATOMIC_ACQUIRE))
		platform_cpu_relax();
	platform_irq_enable();
}

static void rescue_sleeper(void *arg)
{
	if (!thread_create_on(1, "spinner", rescue_spinner, NULL))
		return;
	struct promise *p;
	while (!(p = __atomic_load_n(&rescue_sleep, __ATOMIC_ACQUIRE)))
		thread_yield();
	promise_wait(p, NULL);
	promise_unref(p);
}

static int rescue_child(void *ring, size_t len)
{
	int rc = boot_child(ring, len, 2, 1000);
	if (rc != 0)
		return rc;
	struct thread *s = create_on_when_up(1, "sleeper", rescue_sleeper, NULL);
	if (!s)
		return 12;
	/* Rounds of 10 ms until the rescue, then to the end. A rescue is
	 * due after 100 of CPU 0's ticks; none after 10,000 of them (a
	 * slow host only slows the ticks) is a failure. */
	while (sched_run_until(platform_cycles() + platform_tsc_hz() / 100)) {
		if (timer_rescued_count() > 0)
			__atomic_store_n(&spin_release, true, __ATOMIC_RELEASE);
		else if (__atomic_load_n(&kernel_cpus[0].ticks,
					 __ATOMIC_RELAXED) > 10000)
			return 1;
	}
	thread_join(s);
	*timer_child_rescued = timer_rescued_count();
	return 0;
}

static void test_smp_timer_rescued_from_a_stuck_cpu(void **state)
{
	timer_child_rescued = mmap(NULL, sizeof(uint64_t),
				   PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(timer_child_rescued != MAP_FAILED);
	struct smp_run *run = run_child(rescue_child);
	assert_int_equal(*timer_child_rescued, 1);
	munmap(timer_child_rescued, sizeof(uint64_t));
	/* Armed on CPU 1, fired on CPU 0 at least 100 ms past due. */
	assert_int_equal(run->by_cpu[1][RS_EV_TIMER_FIRE], 0);
	assert_int_equal(run->by_cpu[0][RS_EV_TIMER_FIRE], 1);
	for (size_t i = 0; i < run->n; i++) {
		const struct smp_ev *e = &run->ev[i];
		if (e->type == RS_EV_PROMISE_CREATE && e->c == RS_PT_SLEEP)
			assert_int_equal(e->cpu, 1);
		if (e->type == RS_EV_TIMER_FIRE)
			assert_true(e->tsc >= e->b + run->tsc_hz / 10);
	}
	assert_int_equal(run->t.n[RS_EV_THREAD_EXIT], 2);
	smp_free_run(run);
}

static void test_smp_timers_fire_on_their_cpu(void **state)
{
	timer_child_rescued = mmap(NULL, sizeof(uint64_t),
				   PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(timer_child_rescued != MAP_FAILED);
	*timer_child_rescued = ~0ull;
	struct smp_run *run = run_child(timer_child);
	uint64_t rescued = *timer_child_rescued;
	munmap(timer_child_rescued, sizeof(uint64_t));

	/* Each sleep promise: the CPU of its create, then of its resolve. */
	uint64_t sleeps = 0, elsewhere = 0, per_cpu[2] = { 0, 0 };
	for (size_t i = 0; i < run->n; i++) {
		const struct smp_ev *e = &run->ev[i];
		if (e->type != RS_EV_PROMISE_CREATE || e->c != RS_PT_SLEEP)
			continue;
		size_t j = i + 1;
		while (j < run->n && !(run->ev[j].type == RS_EV_PROMISE_RESOLVE
				       && run->ev[j].a == e->a))
			j++;
		assert_true(j < run->n);
		sleeps++;
		per_cpu[e->cpu]++;
		elsewhere += run->ev[j].cpu != e->cpu;
	}
	assert_int_equal(sleeps, 2 * SLEEP_ROUNDS);
	assert_int_equal(per_cpu[0], SLEEP_ROUNDS);
	assert_int_equal(per_cpu[1], SLEEP_ROUNDS);
	assert_int_equal(run->by_cpu[0][RS_EV_TIMER_FIRE] +
			 run->by_cpu[1][RS_EV_TIMER_FIRE], 2 * SLEEP_ROUNDS);
	if (elsewhere != rescued)
		fail_msg("%lu of %lu sleeps were fired by another CPU, but "
			 "%lu were rescues", (unsigned long)elsewhere,
			 (unsigned long)sleeps, (unsigned long)rescued);
	smp_free_run(run);
}

RS_TEST_SUITE(kernel_smp_inproc,
	cmocka_unit_test(test_smp_wake_race),
	cmocka_unit_test(test_smp_steal_while_switching),
	cmocka_unit_test(test_smp_timers_fire_on_their_cpu),
	cmocka_unit_test(test_smp_timer_rescued_from_a_stuck_cpu))
