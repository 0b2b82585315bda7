/*
 * test_kernel_crashes.c - the ways a hosted kernel dies or stalls, and
 * what each leaves in its ring: panics and faults (a complete panic
 * record, state CRASHED), a triple fault (SIGKILL: no record, state still
 * RUNNING), a hang (heartbeat stops) and a deadlock (heartbeat goes on,
 * one MARK says why nothing runs, the header publishes the stall).
 */
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_kernel.h"

static void check_crashed(const struct tally *t, const struct rs_status *st)
{
	assert_int_equal(st->state, RS_STATE_CRASHED);
	assert_true(st->panic_valid);
	assert_int_equal(st->panic.depth, 1);
	/* crash_level3/2/1, run, the workload, main_thread, thread entry. */
	assert_true(st->panic.backtrace_len >= 6);
	assert_true(st->panic.backtrace_len <= RS_BACKTRACE_MAX);
	assert_int_equal(t->n[RS_EV_THREAD_CREATE], 101);
	assert_int_equal(t->n[RS_EV_THREAD_EXIT], 100);
	assert_int_equal(t->last_mark_a, 100);
}

static void test_hosted_crash(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	int rc = run_hosted("crash", "", &t, &st, &out);
	assert_int_equal(rc, 128 + SIGABRT);
	assert_non_null(strstr(out, "kernel panic: crash workload"));
	free(out);
	check_crashed(&t, &st);
	assert_int_equal(st.panic.vector, RS_PANIC_VECTOR_NONE);
	assert_non_null(strstr(st.panic.reason, "crash workload: deliberate "
						"panic after 100 rounds"));
	assert_string_equal(t.last_mark, "crash: about to panic");
	assert_int_equal(st.panic.regs[RS_REG_RIP], st.panic.backtrace[0]);
}

static void test_hosted_fault(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	int rc = run_hosted("fault", "", &t, &st, &out);
	assert_int_equal(rc, 128 + SIGABRT);
	free(out);
	check_crashed(&t, &st);
	assert_int_equal(st.panic.vector, 6);
	assert_non_null(strstr(st.panic.reason, "(#UD)"));
	assert_int_not_equal(st.panic.regs[RS_REG_RSP], 0);
}

static void test_hosted_panic(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	int rc = run_hosted("panic", "", &t, &st, &out);
	assert_int_equal(rc, 128 + SIGABRT);
	assert_non_null(strstr(out, "kernel panic: panic workload"));
	free(out);
	assert_int_equal(st.state, RS_STATE_CRASHED);
	assert_true(st.panic_valid);
	assert_int_equal(st.panic.depth, 1);
	assert_int_equal(st.panic.vector, RS_PANIC_VECTOR_NONE);
	assert_string_equal(st.panic.reason, "panic workload: ledger out of "
					     "balance: 1042 != 1041");
	/* audit_level3/2/1, auditor, thread entry. */
	assert_true(st.panic.backtrace_len >= 5);
	assert_int_equal(st.panic.regs[RS_REG_RIP], st.panic.backtrace[0]);
	assert_int_not_equal(st.panic.regs[RS_REG_RSP], 0);
	assert_int_equal(t.n[RS_EV_THREAD_CREATE], 2);
	assert_int_equal(t.n[RS_EV_THREAD_EXIT], 0);
	assert_int_equal(t.n[RS_EV_THREAD_BLOCK], 1);
	assert_int_equal(t.block_by_reason[RS_BLOCK_JOIN], 1);
	assert_int_equal(t.n[RS_EV_PROMISE_CREATE], 0);
	assert_int_equal(t.n[RS_EV_MARK], 1);
	assert_int_equal(t.last_mark_a, 3);
	assert_string_equal(t.last_mark, "panic: auditor about to panic");
}

/* A fault inside the panic path (formatting the reason reads unmapped
 * memory) still leaves the first record committed and usable. */
static void test_hosted_nested_panic(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	int rc = run_hosted("nestedpanic", "", &t, &st, &out);
	assert_int_equal(rc, 128 + SIGABRT);
	assert_non_null(strstr(out, "nested panic"));
	free(out);
	assert_int_equal(st.state, RS_STATE_CRASHED);
	assert_true(st.panic_valid);
	assert_int_equal(st.panic.depth, 2);
	assert_int_equal(st.panic.vector, RS_PANIC_VECTOR_NONE);
	assert_true(strncmp(st.panic.reason, "nestedpanic: ", 13) == 0);
	assert_non_null(strstr(st.panic.reason, "[nested panic in the panic path]"));
	/* Registers and the backtrace were filled before the fault. */
	assert_int_not_equal(st.panic.regs[RS_REG_RSP], 0);
	assert_true(st.panic.backtrace_len >= 2);
	assert_int_equal(st.panic.regs[RS_REG_RIP], st.panic.backtrace[0]);
	assert_int_equal(t.n[RS_EV_MARK], 1);
}

static void test_hosted_pagefault(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	/* No ASAN_OPTIONS: the platform installs its SIGSEGV handler after
	 * ASan's and must win on its own. */
	int rc = run_hosted("pagefault", "", &t, &st, &out);
	assert_int_equal(rc, 128 + SIGABRT);
	assert_non_null(strstr(out, "exception 14 (#PF)"));
	free(out);
	assert_int_equal(st.state, RS_STATE_CRASHED);
	assert_true(st.panic_valid);
	assert_int_equal(st.panic.vector, 14);
	assert_non_null(strstr(st.panic.reason, "(#PF)"));
	/* The MARK carries the address written; the record stores it. */
	assert_string_equal(t.last_mark,
			    "pagefault: writing to an unmapped address");
	assert_int_not_equal(t.last_mark_a, 0);
	assert_int_equal(st.panic.fault_addr, t.last_mark_a);
	assert_true(st.panic.error_code & 2);          /* a write */
	assert_int_equal(st.panic.regs[RS_REG_RIP], st.panic.backtrace[0]);
	assert_int_equal(t.n[RS_EV_THREAD_CREATE], 1);
	assert_int_equal(t.n[RS_EV_MARK], 1);
}

static void test_hosted_stackoverflow(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	int rc = run_hosted("stackoverflow", "", &t, &st, &out);
	assert_int_equal(rc, 128 + SIGABRT);
	free(out);
	assert_int_equal(st.state, RS_STATE_CRASHED);
	assert_true(st.panic_valid);
	/* Hosted: the guard page's SIGSEGV, on the alternate stack. */
	assert_int_equal(st.panic.vector, 14);
	assert_string_equal(t.last_mark,
			    "stackoverflow: recursing without bound");
	assert_true(st.panic.fault_addr >= t.last_mark_a);
	assert_true(st.panic.fault_addr < t.last_mark_a + 4096);
	assert_int_equal(st.panic.backtrace_len, RS_BACKTRACE_MAX);
	assert_int_equal(t.n[RS_EV_THREAD_CREATE], 1);
}

static void test_hosted_triple(void **state)
{
	struct tally t;
	struct rs_status st;
	char *out = NULL;

	int rc = run_hosted("triple", "", &t, &st, &out);
	assert_int_equal(rc, 128 + SIGKILL);
	free(out);
	/* As after a reset: nothing recorded the end. */
	assert_int_equal(st.state, RS_STATE_RUNNING);
	assert_false(st.panic_valid);
	assert_int_equal(t.n[RS_EV_MARK], 1);
	assert_string_equal(t.last_mark, "triple: loading an empty IDT");
	assert_int_equal(t.n[RS_EV_THREAD_CREATE], 1);
	assert_int_equal(t.n[RS_EV_THREAD_EXIT], 0);
}

static uint64_t read_heartbeat(const char *path, uint32_t *state)
{
	struct tally t;
	struct rs_status st;
	tally_file(path, &t, &st);
	*state = st.state;
	return st.heartbeat_ticks;
}

static void test_hosted_hang(void **state)
{
	char *dir = rs_tmpdir();
	char ring[4200];
	snprintf(ring, sizeof(ring), "%s/hang.ring", dir);

	const char *const args[] = { "--seconds", "0.1", NULL };
	pid_t pid = spawn_hosted("hang", ring, args);
	/* Once it has hung (its mark is out after 0.1 s of work: 0.2 s here
	 * with two busy loops; polled for up to 30 s on a slow host), watch
	 * the heartbeat stand still. */
	wait_for_mark(pid, ring, "hang: interrupts off");
	uint32_t s1, s2;
	uint64_t hb1 = read_heartbeat(ring, &s1);
	hosted_sleep_ms(400);
	uint64_t hb2 = read_heartbeat(ring, &s2);
	int status = 0;
	pid_t alive = waitpid(pid, &status, WNOHANG);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);

	struct tally t;
	struct rs_status st;
	tally_file(ring, &t, &st);
	rs_tmpdir_cleanup(dir);

	assert_int_equal(alive, 0);             /* it was still running */
	assert_int_equal(s1, RS_STATE_RUNNING);
	assert_int_equal(s2, RS_STATE_RUNNING);
	/* It ticked while working, then stopped: 400 ms at 1 kHz would
	 * otherwise be ~400 more ticks. */
	assert_true(hb1 > 20);
	assert_int_equal(hb1, hb2);
	assert_false(st.panic_valid);
	assert_string_equal(t.last_mark, "hang: interrupts off");
	assert_true(t.n[RS_EV_TIMER_FIRE] > 10);
}

static void test_hosted_deadlock(void **state)
{
	char *dir = rs_tmpdir();
	char ring[4200];
	snprintf(ring, sizeof(ring), "%s/deadlock.ring", dir);

	pid_t pid = spawn_hosted("deadlock", ring, NULL);
	/* Once the scheduler has said it is stuck, the heartbeat must go on:
	 * 100 ticks are 0.1 s at 1 kHz; polled for up to 30 s, so a loaded
	 * host that delivers ticks late still passes and a stopped one does
	 * not. */
	wait_for_mark(pid, ring, "deadlock: 2 threads blocked on promises");
	uint32_t s1, s2;
	uint64_t hb1 = read_heartbeat(ring, &s1), hb2 = hb1;
	for (int i = 0; i < 3000 && hb2 <= hb1 + 100; i++) {
		hosted_sleep_ms(10);
		hb2 = read_heartbeat(ring, &s2);
	}
	int status = 0;
	pid_t alive = waitpid(pid, &status, WNOHANG);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);

	struct tally t;
	struct rs_status st;
	tally_file(ring, &t, &st);
	rs_tmpdir_cleanup(dir);

	/* Stuck, not exited and not hung: it never returned... */
	assert_int_equal(alive, 0);
	assert_int_equal(s1, RS_STATE_RUNNING);
	assert_int_equal(s2, RS_STATE_RUNNING);
	/* ...and it kept ticking after it said so (hb1 may still be 0: the
	 * mark can come before the first tick). */
	assert_true(hb2 > hb1 + 100);
	assert_false(st.panic_valid);
	/* The workload's MARK, then the scheduler's, once. */
	assert_int_equal(t.n[RS_EV_MARK], 2);
	assert_string_equal(t.marks[0],
			    "deadlock: alice and bob wait on each other");
	assert_int_equal(t.mark_a[0], 2);
	assert_string_equal(t.marks[1],
			    "deadlock: 2 threads blocked on promises");
	assert_int_equal(t.mark_a[1], 2);
	assert_int_equal(t.n[RS_EV_THREAD_CREATE], 3);
	assert_int_equal(t.n[RS_EV_THREAD_EXIT], 0);
	assert_int_equal(t.n[RS_EV_THREAD_BLOCK], 3);
	assert_int_equal(t.block_by_reason[RS_BLOCK_PROMISE], 2);
	assert_int_equal(t.block_by_reason[RS_BLOCK_JOIN], 1);
	assert_int_equal(t.n[RS_EV_THREAD_WAKE], 0);
	assert_int_equal(t.n[RS_EV_PROMISE_CREATE], 2);
	assert_int_equal(t.n[RS_EV_PROMISE_LABEL], 2);
	assert_int_equal(t.n[RS_EV_PROMISE_RESOLVE], 0);
	assert_int_equal(t.n[RS_EV_PROMISE_READ], 0);
	assert_true(t.n[RS_EV_IDLE_ENTER] > 100);
	/* The stall is in the header too (RING.md), for a host that missed
	 * the MARK: every live thread blocked, and ticks after it. */
	assert_int_equal(st.stall_threads, 3);
	assert_true(st.stall_tsc > 0);
	assert_true(st.heartbeat_tsc > st.stall_tsc);
}

RS_TEST_SUITE(kernel_crashes,
	cmocka_unit_test(test_hosted_crash),
	cmocka_unit_test(test_hosted_fault),
	cmocka_unit_test(test_hosted_panic),
	cmocka_unit_test(test_hosted_nested_panic),
	cmocka_unit_test(test_hosted_pagefault),
	cmocka_unit_test(test_hosted_stackoverflow),
	cmocka_unit_test(test_hosted_triple),
	cmocka_unit_test(test_hosted_hang),
	cmocka_unit_test(test_hosted_deadlock))
