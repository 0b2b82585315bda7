/*
 * test_kernel_smp.c - the kernel on several CPUs (issue 15), hosted:
 * ringside-hosted --cpus N runs N pthreads as N CPUs with the same core.
 * Each run's ring file is decoded with the one decoder, every CPU's
 * records kept and then merged by time, and checked: each CPU did work,
 * nothing was lost on any (accepted + lost == written per CPU), the
 * workloads' exact counts still hold, and the SMP records agree with each
 * other (a migration is written on the CPU the thread moved to, an IPI is
 * received only after it was sent, wakes cross CPUs). The stuck-CPU run
 * watches CPU 1's own heartbeat stop while CPU 0's goes on, and the
 * thread left on CPU 1's queue move to CPU 0.
 */
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

static void test_smp_fanout(void **state)
{
	const uint64_t r = 40;
	struct smp_run *run = smp_run_workload("fanout", 4, "--count 40");
	check_clean(&run->t, &run->st);
	check_fanout(&run->t, r);
	/* Real parallel work: a thread ran on every CPU. */
	smp_check_every_cpu(run);
	smp_check_records(run);
	/* Every worker ran first away from main: the rotor spreads them. */
	size_t workers;
	unsigned cpus;
	assert_int_equal(smp_placed_away(run, "worker ", &workers, &cpus), r);
	assert_int_equal(workers, r);
	assert_true(cpus >= 2);
	smp_free_run(run);
}

static void test_smp_demo(void **state)
{
	struct smp_run *run = smp_run_workload("demo", 4, "--count 30");
	check_clean(&run->t, &run->st);
	check_demo(&run->t, 30);
	smp_check_every_cpu(run);
	smp_check_records(run);
	size_t handlers;
	unsigned cpus;
	assert_true(smp_placed_away(run, "http ", &handlers, &cpus) > 0);
	assert_int_equal(handlers, 30);
	assert_true(cpus >= 2);
	smp_free_run(run);
}

/*
 * The cross-CPU wake stress: pingpong on several CPUs keeps ping on CPU 0
 * and pong on CPU 1, so each of the 2N promise resolutions wakes a waiter
 * on the other CPU. A lost wake-up would leave both blocked: the run
 * would end in a deadlock report instead of exiting (rs_run gives it
 * 120 s; it needs well under 1 s).
 */
static void check_pingpong_smp(unsigned cpus)
{
	const uint64_t n = 5000;
	struct smp_run *run = smp_run_workload("pingpong", cpus, "--count 5000");
	const struct tally *t = &run->t;
	check_clean(t, &run->st);
	assert_int_equal(t->n[RS_EV_PROMISE_CREATE], 2 * n);
	assert_int_equal(t->n[RS_EV_PROMISE_RESOLVE], 2 * n);
	assert_int_equal(t->n[RS_EV_PROMISE_READ], 2 * n);
	/* Every block was woken (pingpong.c: near 2N on several CPUs). */
	assert_int_equal(t->n[RS_EV_THREAD_BLOCK], t->n[RS_EV_THREAD_WAKE]);
	assert_int_equal(t->n[RS_EV_MARK], 1);
	assert_string_equal(t->last_mark, "pingpong done");
	assert_int_equal(t->last_mark_a, n);
	assert_int_equal(run->st.stall_threads, 0);
	for (unsigned i = 0; i < cpus; i++)
		assert_int_equal(run->accepted[i] + run->lost[i],
				 run->written[i]);
	struct smp_counts k = smp_check_records(run);
	/* Nearly all 2N wakes cross CPUs; a loaded host may let a
	 * resolution come before its waiter blocked (no wake then), so a
	 * wide margin: a quarter of them, still thousands. */
	assert_true(k.cross_wakes >= n / 2);
	assert_int_equal(k.migrations, 0);      /* both pinned */
	assert_true(k.ipi_recv > 0 && k.ipi_recv <= k.ipi_sent);
	smp_free_run(run);
}

static void test_smp_cross_cpu_wake_stress(void **state)
{
	check_pingpong_smp(2);
	check_pingpong_smp(4);
}

/* Ends the ringside-hosted `pid` spawned on `ring` (in the temporary
 * `dir`, removed here) and decodes its ring; *running: it had not exited
 * by itself. */
static struct smp_run *stop_and_decode(pid_t pid, const char *ring,
				       char *dir, bool *running)
{
	int status = 0;
	*running = waitpid(pid, &status, WNOHANG) == 0;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	struct smp_run *run = calloc(1, sizeof(*run));
	assert_non_null(run);
	smp_decode(ring, run);
	rs_tmpdir_cleanup(dir);
	return run;
}

/*
 * deadlock on four CPUs: the verdict needs every CPU idle with nothing
 * queued, armed or pending anywhere; it comes once, and the stall is in
 * the header. 100 ms more of ticks on every CPU add no second report.
 */
static void test_smp_deadlock(void **state)
{
	char *dir = rs_tmpdir();
	char ring[4200];
	snprintf(ring, sizeof(ring), "%s/deadlock.ring", dir);
	const char *const args[] = { "--cpus", "4", NULL };
	pid_t pid = spawn_hosted("deadlock", ring, args);
	wait_for_mark(pid, ring, "deadlock: 2 threads blocked on promises");
	hosted_sleep_ms(100);
	bool running;
	struct smp_run *run = stop_and_decode(pid, ring, dir, &running);

	assert_true(running);
	assert_int_equal(run->t.n[RS_EV_MARK], 2);      /* its own, then ours */
	assert_string_equal(run->t.last_mark,
			    "deadlock: 2 threads blocked on promises");
	assert_int_equal(run->st.stall_threads, 3);     /* main, alice, bob */
	smp_check_records(run);
	smp_free_run(run);
}

/* A panic on one CPU of four stops the other three, and the ring holds
 * every CPU's registers beside the record: the panicking CPU's own, and
 * each other's as the stop found it (hosted: from the stop signal's
 * context, so a real rip and rsp). */
static void test_smp_panic_records_every_cpu(void **state)
{
	/* SIGABRT: the hosted platform's halt after a panic (128 + 6) */
	struct smp_run *r = smp_run_workload_status("crash", 4, "", 128 + 6);
	assert_true(r->st.panic_valid);
	const unsigned me = r->st.panic.cpu;
	assert_true(me < 4);
	for (unsigned c = 0; c < 4; c++) {
		const struct rs_cpu_regs *g = &r->st.cpu_regs[c];
		if (c == me) {
			assert_int_equal(g->state, RS_CPU_REGS_PANICKED);
			assert_memory_equal(g->regs, r->st.panic.regs,
					    sizeof g->regs);
			continue;
		}
		if (g->state != RS_CPU_REGS_STOPPED)
			fail_msg("cpu %u: state %u, want stopped", c, g->state);
		assert_true(g->regs[RS_REG_RIP] != 0 && g->regs[RS_REG_RSP] != 0);
		/* each on its own stack */
		for (unsigned d = 0; d < c; d++)
			if (d != me)
				assert_true(g->regs[RS_REG_RSP] !=
					    r->st.cpu_regs[d].regs[RS_REG_RSP]);
	}
	smp_free_run(r);
}

/* CPU i's own heartbeat and the guest-wide one, from the ring's header. */
static void read_hb(const char *ring, uint64_t cpu_ticks[2], uint64_t *all)
{
	int fd = open(ring, O_RDONLY);
	assert_true(fd >= 0);
	struct rs_header h;
	assert_int_equal(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	close(fd);
	assert_true(h.ncpus >= 2);
	cpu_ticks[0] = h.cpu[0].hb_ticks;
	cpu_ticks[1] = h.cpu[1].hb_ticks;
	*all = h.heartbeat_ticks;
}

/*
 * stuckcpu: once its mark is out, CPU 1 spins with interrupts off. Its
 * heartbeat must stand while CPU 0's moves on by 100 ticks (0.1 s at
 * 1 kHz; polled up to 30 s, so a slow host passes and a stopped CPU 0
 * does not).
 */
static void test_smp_stuckcpu(void **state)
{
	char *dir = rs_tmpdir();
	char ring[4200];
	snprintf(ring, sizeof(ring), "%s/stuckcpu.ring", dir);
	const char *const args[] = { "--cpus", "2", "--seconds", "0.1", NULL };
	pid_t pid = spawn_hosted("stuckcpu", ring, args);
	wait_for_mark(pid, ring, "stuckcpu: cpu 1 interrupts off");

	uint64_t a[2], b[2], all_a, all_b;
	read_hb(ring, a, &all_a);
	/* 300 of CPU 0's ticks: past the 100 ms after which CPU 1's timers
	 * are rescued (timer.c), with room for the steal that follows. */
	for (int i = 0; i < 3000; i++) {
		read_hb(ring, b, &all_b);
		if (b[0] >= a[0] + 300)
			break;
		hosted_sleep_ms(10);
	}
	bool running;
	struct smp_run *run = stop_and_decode(pid, ring, dir, &running);

	assert_true(running);             /* it was still running */
	assert_int_equal(run->st.state, RS_STATE_RUNNING);
	assert_true(a[1] > 0);                  /* CPU 1 ticked, then... */
	assert_true(b[0] >= a[0] + 300);        /* ...CPU 0 went on */
	assert_int_equal(b[1], a[1]);           /* ...and CPU 1 did not */
	assert_true(all_b >= all_a + 100);      /* the guest is alive */
	/* The mark is CPU 1's last record; the other CPUs kept working. */
	assert_int_equal(run->by_cpu[1][RS_EV_MARK], 1);
	const struct smp_ev *last1 = NULL;
	for (size_t i = 0; i < run->n; i++)
		if (run->ev[i].cpu == 1)
			last1 = &run->ev[i];
	assert_non_null(last1);
	assert_int_equal(last1->type, RS_EV_MARK);
	assert_true(run->t.n[RS_EV_TIMER_FIRE] > 10);
	/* The ticker was placed on CPU 1 (CPU 0 ran main) and is woken
	 * there after CPU 1 stopped (if it slept there, CPU 0 rescued its
	 * timer 100 ms late): CPU 0, idle, steals it from the busy CPU 1,
	 * and says so on its own ring. */
	struct smp_counts k = smp_check_records(run);
	assert_true(k.migrations >= 1);
	assert_true(run->by_cpu[0][RS_EV_THREAD_MIGRATE] >= 1);
	smp_free_run(run);
}

/*
 * hang on several CPUs stops them all: once its mark is out, no CPU's
 * heartbeat moves, nor the guest's, and no record on any CPU is stamped
 * after the mark (the last stopper writes it once every CPU is silent).
 * The beats are read twice, 300 ms apart: a CPU still ticking at 1 kHz
 * moves by hundreds; one descheduled by a busy host moves by fewer, but
 * any move fails.
 */
static void check_hang_smp(unsigned cpus)
{
	char *dir = rs_tmpdir();
	char ring[4200], ncpu[8];
	snprintf(ring, sizeof(ring), "%s/hang.ring", dir);
	snprintf(ncpu, sizeof(ncpu), "%u", cpus);
	const char *const args[] = { "--cpus", ncpu, "--seconds", "0.1", NULL };
	pid_t pid = spawn_hosted("hang", ring, args);
	wait_for_mark(pid, ring, "hang: interrupts off");

	struct rs_header a, b;
	int fd = open(ring, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &a, sizeof(a), 0), (ssize_t)sizeof(a));
	hosted_sleep_ms(300);
	assert_int_equal(pread(fd, &b, sizeof(b), 0), (ssize_t)sizeof(b));
	close(fd);
	bool running;
	struct smp_run *run = stop_and_decode(pid, ring, dir, &running);

	assert_true(running);             /* it was still running */
	assert_int_equal(run->st.state, RS_STATE_RUNNING);
	assert_int_equal(b.heartbeat_ticks, a.heartbeat_ticks);
	for (unsigned i = 0; i < cpus; i++) {
		assert_true(a.cpu[i].hb_ticks > 0);      /* it ticked, then... */
		if (b.cpu[i].hb_ticks != a.cpu[i].hb_ticks)
			fail_msg("cpu %u still beats after the hang's mark "
				 "(%lu then %lu)", i,
				 (unsigned long)a.cpu[i].hb_ticks,
				 (unsigned long)b.cpu[i].hb_ticks);
	}
	/* One mark, the last record of all, and every CPU ran a stopper. */
	assert_int_equal(run->t.n[RS_EV_MARK], 1);
	assert_true(run->n > 0);
	assert_int_equal(run->ev[run->n - 1].type, RS_EV_MARK);
	size_t stoppers;
	unsigned used;
	smp_placed_away(run, "stopper ", &stoppers, &used);
	assert_int_equal(stoppers, cpus);
	assert_int_equal(used, cpus);
	smp_free_run(run);
}

static void test_smp_hang_stops_every_cpu(void **state)
{
	check_hang_smp(2);
	check_hang_smp(4);
}

RS_TEST_SUITE(kernel_smp,
	cmocka_unit_test(test_smp_fanout),
	cmocka_unit_test(test_smp_demo),
	cmocka_unit_test(test_smp_cross_cpu_wake_stress),
	cmocka_unit_test(test_smp_deadlock),
	cmocka_unit_test(test_smp_stuckcpu),
	cmocka_unit_test(test_smp_hang_stops_every_cpu),
	cmocka_unit_test(test_smp_panic_records_every_cpu))
