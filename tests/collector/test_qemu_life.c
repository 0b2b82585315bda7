/*
 * test_qemu_life.c - the life cycle around the guest: `ringside run`
 * leaves no QEMU and no /dev/shm file behind even when it is interrupted
 * (SIGINT: stops in order and keeps the trace) or killed outright
 * (SIGKILL: QEMU dies with it through PR_SET_PDEATHSIG); bad arguments;
 * --gdb; and a QEMU the user started by hand with the command line from
 * samples/qemu/README.md, read with `collect file:` (followed, and once
 * after it hung); a core of a running guest.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "ringside_ring.h"
#include "test_collector.h"
#include "test_qemu.h"

/* Start `run` in the background, send it `sig` once it is collecting. */
static int run_and_signal(struct qrun *q, const char *sig)
{
	free(q->out);
	q->out = NULL;
	/* Wait until the database holds events and says running (the
	 * collector has seen the heartbeat move): then QEMU runs and the
	 * guest's ring is being read, so the signal lands mid-run (the demo
	 * runs 60 s). That takes 0.5 s here with two busy loops; up to 3000
	 * polls (30 s and more) for a slow host. */
	q->rc = rs_run(&q->out, 120,
		       "cd '%s' && { '%s' run --kernel '%s' -o '%s' --workload demo"
		       " --seconds 60 --dump running.core"
		       " >run.out 2>&1 & p=$!; i=0; until [ \"$(sqlite3 -readonly '%s'"
		       " 'SELECT (SELECT count(*) > 0 FROM chunks) || guest_state"
		       " FROM trace' 2>/dev/null)\" = 1running ] ||"
		       " [ $i -ge 3000 ]; do sleep 0.01; i=$((i+1)); done;"
		       " kill -%s $p; wait $p; }",
		       q->dir, rs_bin("ringside"), q->kernel, q->db, q->db, sig);
	return q->rc;
}

static void test_run_sigint_cleans_up(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	int rc = run_and_signal(&q, "INT");
	char *log = path_in(q.dir, "run.out");
	char *out = rs_read_file(log, NULL);
	if (rc != 0)
		fail_msg("after SIGINT: exit %d: %s", rc, out);
	assert_non_null(strstr(out, "interrupted"));
	/* What was read is kept, and marked as still running. */
	char *js = info_json(q.db);
	assert_true(json_has(js, "guest_state", "\"running\""));
	assert_true(json_int(js, "events") > 0);
	free(js);
	/* The dump of that running guest is one instant: it cannot show the
	 * heartbeat move, so it does not say running. */
	char *core = path_in(q.dir, "running.core"), *cdb = path_in(q.dir, "core.db");
	char *cout = NULL;
	if (collect_core_file(core, cdb, &cout) != 0)
		fail_msg("collect core:%s: %s", core, cout);
	free(cout);
	js = info_json(cdb);
	if (!json_has(js, "guest_state", "\"unknown\"") ||
	    !strstr(js, "\"state_why\": \"one memory image"))
		fail_msg("a core of a running guest: %s", js);
	free(js);
	free(cdb);
	free(core);
	free(out);
	free(log);
	qrun_end(&q);
}

static void test_run_sigkill_leaves_nothing(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	int rc = run_and_signal(&q, "KILL");
	assert_int_equal(rc, 128 + 9);
	/* qrun_end fails if QEMU survived or the RAM file remained. */
	qrun_end(&q);
}

static void test_run_bad_args(void **state)
{
	static const char *const usage[] = {
		"run -o x.db",                          /* no workload */
		"run --workload demo",                  /* no -o */
		"run --workload 'demo quiet' -o x.db",  /* not a word */
		"run --workload demo -o x.db --memory 4",
		"run --workload demo -o x.db --seconds -1",
		"run --workload demo -o x.db --count 0",
		"run --workload demo -o x.db extra",
	};
	char *out = NULL;

	for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		int rc = rs_run(&out, 30, "'%s' %s 2>&1 >/dev/null", rs_bin("ringside"),
				usage[i]);
		if (rc != 2)
			fail_msg("'ringside %s': exit %d (want 2): %s", usage[i], rc, out);
		assert_one_line(out);
		free(out);
	}
	char *dir = rs_tmpdir(), *db = path_in(dir, "t.db");
	int rc = rs_run(&out, 30, "'%s' run --workload demo -o '%s' --kernel /nonexistent"
			" 2>&1 >/dev/null", rs_bin("ringside"), db);
	assert_int_equal(rc, 1);
	assert_one_line(out);
	assert_non_null(strstr(out, "/nonexistent"));
	free(out);
	if (qemu_kernel()) {
		rc = rs_run(&out, 30, "'%s' run --workload demo -o '%s' --kernel '%s'"
			    " --qemu /nonexistent/qemu 2>&1 >/dev/null", rs_bin("ringside"),
			    db, qemu_kernel());
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "cannot run /nonexistent/qemu"));
		free(out);
	}
	assert_false(exists(db));
	assert_no_leftovers(dir);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* --gdb: QEMU waits, run says how to attach; once a debugger continues,
 * the run proceeds as usual. */
static void test_run_gdb(void **state)
{
	struct qrun q;
	char *out = NULL;

	qrun_begin(&q);
	if (rs_run(&out, 10, "command -v gdb >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/1234)"
		   " 2>/dev/null") != 0) {
		free(out);
		qrun_end(&q);
		skip();  /* no gdb, or port 1234 taken */
	}
	free(out);
	/* gdb attaches once run says QEMU waits for it (0.3 s here with two
	 * busy loops; up to 3000 polls, 30 s and more, on a slow host): a
	 * fixed sleep could connect before QEMU listens, and then the run
	 * waits forever. */
	q.rc = rs_run(&q.out, 120,
		      "cd '%s' && { '%s' run --gdb --kernel '%s' -o '%s' --workload pingpong"
		      " --count 5 >run.out 2>&1 & p=$!; i=0; until grep -q 'target remote'"
		      " run.out || [ $i -ge 3000 ]; do sleep 0.01; i=$((i+1)); done;"
		      " gdb -batch -nx -ex 'target remote :1234' -ex continue >/dev/null 2>&1;"
		      " wait $p; }", q.dir, rs_bin("ringside"), q.kernel, q.db);
	char *log = path_in(q.dir, "run.out");
	char *text = rs_read_file(log, NULL);
	if (q.rc != 0)
		fail_msg("run --gdb: exit %d: %s", q.rc, text);
	char want[4400];
	snprintf(want, sizeof(want), "gdb %s -ex 'target remote :1234'", q.kernel);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "guest state: exited"));
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_CREATE), 10);
	free(text);
	free(log);
	qrun_end(&q);
}

/*
 * The command line samples/qemu/README.md documents, started by hand,
 * with `collect --follow` alongside. Keep the two in step.
 */
/* The host's TSC rate, measured here independently of ringside. */
static double host_tsc_hz(void)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	uint64_t t0 = __rdtsc();
	usleep(200000);
	clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	uint64_t t1 = __rdtsc();
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
	return (double)(t1 - t0) / s;
}

/* Under TCG the guest TSC runs at the host's rate; the trace's clock must
 * agree with the host's to well under a percent, or every ts_ns, sleep
 * and hang deadline is off (a guest-side PIT measurement on a busy host
 * was 2-3x off before run passed the rate in). */
static void test_run_guest_clock_matches_host(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	qrun(&q, "--workload pingpong --count 100");
	assert_int_equal(q.rc, 0);
	double guest = (double)sql_int(q.db, "SELECT tsc_hz FROM trace");
	double host = host_tsc_hz();
	if (guest < host * 0.995 || guest > host * 1.005)
		fail_msg("guest tsc_hz %.0f, host measures %.0f", guest, host);
	/* ...because run told the guest, not because this machine happened
	 * to be idle while the guest measured its PIT. */
	assert_int_equal(sql_int(q.db, "SELECT source LIKE '%tsc_khz=%' FROM trace"), 1);
	qrun_end(&q);
}

static void test_collect_user_started_qemu(void **state)
{
	struct qrun q;
	char shm[96], qemu[5000];

	qrun_begin(&q);
	snprintf(shm, sizeof(shm), "/dev/shm/rstest-%d-guest", (int)getpid());
	qemu_cmdline(qemu, sizeof(qemu), &q, "", shm, "workload=fanout count=5");
	/* The ring appears 0.5 s after QEMU starts here with two busy loops;
	 * --wait-secs returns as soon as it does, so 60 s costs nothing. */
	q.rc = rs_run(&q.out, 120,
		      "cd '%s' && rm -f %s && { %s &"
		      " qp=$!; '%s' collect file:%s -o '%s' --follow --wait-secs 60 2>&1;"
		      " r=$?; wait $qp; rm -f %s; exit $r; }",
		      q.dir, shm, qemu, rs_bin("ringside"), shm, q.db, shm);
	if (q.rc != 0)
		fail_msg("collect file: of a user's QEMU: exit %d: %s", q.rc, q.out);
	char *js = info_json(q.db);
	if (!json_has(js, "guest_state", "\"exited\""))
		fail_msg("want exited: %s", js);
	assert_int_equal(json_int(js, "lost_events"), 0);
	free(js);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_CREATE), 14 * 5);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_FAIL), 4 * 5);
	assert_int_equal(ev_count_where(q.db, RS_EV_MARK, "str = 'fanout done'"), 1);
	qrun_end(&q);
}

/*
 * The README's QEMU with the hang workload, read once (no --follow) after
 * it hung: the ring still says running, but the snapshot watches the
 * heartbeat for --hang-secs and must say hung, from the last beat.
 */
static void test_snapshot_of_hung_user_qemu(void **state)
{
	struct qrun q;
	char shm[96], qemu[5000];

	qrun_begin(&q);
	snprintf(shm, sizeof(shm), "/dev/shm/rstest-%d-hang", (int)getpid());
	qemu_cmdline(qemu, sizeof(qemu), &q, "", shm, "workload=hang");
	/* Up to 30 s for the guest's "hang:" line, then 0.5 s more so the
	 * last tick before its cli is long past (both wide for TCG). */
	q.rc = rs_run(&q.out, 90,
		      "cd '%s' && rm -f %s && { %s & qp=$!; i=0;"
		      " while ! grep -q 'hang: disabling' guest.log 2>/dev/null &&"
		      " [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; sleep 0.5;"
		      " '%s' collect file:%s -o '%s' 2>&1; r=$?; kill $qp; wait $qp;"
		      " rm -f %s; exit $r; }",
		      q.dir, shm, qemu, rs_bin("ringside"), shm, q.db, shm);
	if (q.rc != 0)
		fail_msg("collect file: of a hung QEMU guest: exit %d: %s", q.rc, q.out);
	char *js = info_json(q.db);
	if (!json_has(js, "guest_state", "\"hung\"") || json_int(js, "hung_at_ns") <= 0)
		fail_msg("want hung with hung_at_ns: %s", js);
	free(js);
	assert_int_equal(ev_count_where(q.db, RS_EV_MARK, "str = 'hang: interrupts off'"), 1);
	assert_false(exists(shm));
	qrun_end(&q);
}

RS_TEST_SUITE(qemu_life,
	cmocka_unit_test(test_run_sigint_cleans_up),
	cmocka_unit_test(test_run_sigkill_leaves_nothing),
	cmocka_unit_test(test_run_bad_args),
	cmocka_unit_test(test_run_gdb),
	cmocka_unit_test(test_run_guest_clock_matches_host),
	cmocka_unit_test(test_collect_user_started_qemu),
	cmocka_unit_test(test_snapshot_of_hung_user_qemu))
