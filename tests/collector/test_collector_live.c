/*
 * test_collector_live.c - `ringside collect --follow` against a writer that
 * is still running (a forked producer using the real guest-trace writer):
 * live reads, hang and reboot detection, signals, memory vanishing under
 * the mapping, a second collector on a followed database; and end to end with ringside-hosted, the hosted kernel.
 * Shared helpers are in test_collector.c (test_collector.h).
 */
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_trace.h"
#include "rs_decode.h"
#include "test_collector.h"
#include "test_kernel.h"

/* ---- follow mode against a live writer ----------------------------------- */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

enum producer_end { END_EXIT, END_HANG, END_REBOOT, END_FOREVER };

/*
 * A child that acts as the guest: writes `n` events in bursts with a
 * heartbeat between them, then ends as told. Returns its pid.
 */
static pid_t start_producer(const char *ring, size_t size, uint32_t ncpus,
			    uint64_t n, enum producer_end end)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid != 0)
		return pid;
	struct rs_header *h = map_file(ring, size);
	uint64_t tick = 0;
	init_region(h, size, ncpus, RS_MODE_OVERWRITE, 0x5eed0000ull + (uint64_t)getpid());
	for (uint64_t i = 0; i < n; i += 500) {
		emit_range(h, ncpus, i, i + 500 < n ? i + 500 : n, NULL);
		gt_heartbeat(h, ++tick, gt_rdtsc());
		sleep_ms(1);
	}
	switch (end) {
	case END_EXIT:
		gt_set_state(h, RS_STATE_EXITED);
		break;
	case END_HANG:
		sleep_ms(30000);  /* alive, silent: the parent kills us */
		break;
	case END_REBOOT: {
		/* Reboot when the test says the first boot is stored (it
		 * creates RING.reboot), not after a fixed time a slow host's
		 * collector may not have started in; beating meanwhile. */
		char go[4200];
		snprintf(go, sizeof go, "%s.reboot", ring);
		for (int i = 0; i < 60000 && access(go, F_OK) != 0; i++) {
			gt_heartbeat(h, ++tick, gt_rdtsc());
			sleep_ms(1);
		}
		init_region(h, size, ncpus, RS_MODE_OVERWRITE, 0xb007);
	}
		/* the new boot keeps beating */
		__attribute__((fallthrough));
	case END_FOREVER:
		for (int i = 0; i < 30000; i++) {
			gt_heartbeat(h, ++tick, gt_rdtsc());
			sleep_ms(1);
		}
		break;
	}
	_exit(0);
}

static void stop_producer(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_follow_live_writer(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db"), *out = NULL;
	const uint64_t n = 200000;
	pid_t pid = start_producer(ring, 1 * MiB, 2, n, END_EXIT);

	/* Started alongside the producer: --wait-secs covers the race with
	 * the region appearing. */
	int rc = collect(ring, db, "--follow --wait-secs 10", &out);
	int status;
	waitpid(pid, &status, 0);
	if (rc != 0)
		fail_msg("collect --follow: exit %d: %s", rc, out);
	free(out);
	assert_int_equal(sql_int(db, "SELECT sum(accepted) + sum(lost) FROM trace_cpu"),
			 (int64_t)n);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"),
			 sql_int(db, "SELECT sum(accepted) FROM trace_cpu"));
	assert_int_equal(sql_int(db, "SELECT coalesce(sum(count), 0) FROM lost"),
			 sql_int(db, "SELECT sum(lost) FROM trace_cpu"));
	char *js = info_json(db);
	assert_true(json_has(js, "guest_state", "\"exited\""));
	free(js);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void wait_for_magic(const char *ring)
{
	/* The forked producer lays out its ring within milliseconds; 30 s
	 * only bounds one that never starts. */
	if (rs_wait_ring_magic(ring, 30) != 0)
		fail_msg("producer never initialised %s", ring);
}

static int64_t ring_written(const char *ring);

static void test_follow_detects_hang(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db"), *out = NULL;
	pid_t pid = start_producer(ring, 1 * MiB, 1, 2000, END_HANG);

	wait_for_magic(ring);
	/* The silence starts once all 2000 are written (a few ms here), so
	 * --hang-secs 0.5 times the guest's silence, not how fast a loaded
	 * host runs the producer's bursts. Up to 30 s for that. */
	for (int i = 0; i < 30000 && ring_written(ring) < 2000; i++)
		sleep_ms(1);
	int rc = collect(ring, db, "--follow --hang-secs 0.5", &out);
	stop_producer(pid);
	if (rc != 0)
		fail_msg("collect --follow: exit %d: %s", rc, out);
	free(out);
	char *js = info_json(db);
	assert_true(json_has(js, "guest_state", "\"hung\""));
	assert_true(json_int(js, "hung_at_ns") > 0);
	assert_int_equal(json_int(js, "events"), 2000);
	free(js);

	/* A later snapshot of the same, still silent guest keeps the verdict. */
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	js = info_json(db);
	assert_true(json_has(js, "guest_state", "\"hung\""));
	free(js);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_follow_stops_on_signal(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db"), *out = NULL;
	pid_t pid = start_producer(ring, 1 * MiB, 1, 3000, END_FOREVER);

	wait_for_magic(ring);
	/* SIGINT once all 3000 are stored (0.1 s here with two busy loops;
	 * up to 3000 polls, 30 s and more, on a slow host), so what is
	 * tested is the clean stop, not how fast the first batch lands. */
	int rc = rs_run(&out, 120,
			"'%s' collect 'file:%s' -o '%s' --follow 2>/dev/null & p=$!;"
			" i=0; until [ \"$(sqlite3 -readonly '%s' 'SELECT sum(accepted)"
			" FROM trace_cpu' 2>/dev/null)\" = 3000 ] || [ $i -ge 3000 ];"
			" do sleep 0.01; i=$((i+1)); done; kill -INT $p; wait $p",
			rs_bin("ringside"), ring, db, db);
	stop_producer(pid);
	if (rc != 0)
		fail_msg("collect --follow after SIGINT: exit %d: %s", rc, out);
	free(out);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"), 3000);
	char *js = info_json(db);
	assert_true(json_has(js, "guest_state", "\"running\""));
	free(js);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_follow_stops_on_reboot(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db"), *out = NULL;
	pid_t pid = start_producer(ring, 1 * MiB, 1, 1000, END_REBOOT);

	wait_for_magic(ring);
	/* The reboot comes once the first boot's 1000 are stored (0.1 s here
	 * with two busy loops; up to 3000 polls, 30 s and more). */
	int rc = rs_run(&out, 120, "'%s' collect 'file:%s' -o '%s' --follow 2>&1"
			" >/dev/null & p=$!; i=0; until [ \"$(sqlite3 -readonly '%s'"
			" 'SELECT sum(accepted) FROM trace_cpu' 2>/dev/null)\" = 1000 ]"
			" || [ $i -ge 3000 ]; do sleep 0.01; i=$((i+1)); done;"
			" touch '%s.reboot'; wait $p",
			rs_bin("ringside"), ring, db, db, ring);
	stop_producer(pid);
	if (rc != 0 || !strstr(out, "re-initialised its ring"))
		fail_msg("collect --follow across a reboot: exit %d: %s", rc, out);
	free(out);
	/* Only the first boot, and none of its records mixed with the new. */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM trace"), 1);
	assert_true(sql_int(db, "SELECT count(*) FROM events") <= 1000);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM trace WHERE nonce = 45063"), 0);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Guest memory that vanishes under a live mapping (the RAM file is
 * truncated) ends the collect with a message, not a SIGBUS crash. */
static void test_follow_source_truncated(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = make_ring(dir, "ring", RING_SIZE, 1, 100, RS_STATE_RUNNING);
	char *db = path_in(dir, "t.db"), *out = NULL;
	/* Truncated once the 100 events are stored (0.1 s here with two
	 * busy loops; up to 3000 polls, 30 s and more, on a slow host). */
	int rc = rs_run(&out, 120,
			"'%s' collect 'file:%s' -o '%s' --follow --hang-secs 30"
			" 2>&1 >/dev/null & p=$!; i=0; until [ \"$(sqlite3 -readonly"
			" '%s' 'SELECT sum(accepted) FROM trace_cpu' 2>/dev/null)\" ="
			" 100 ] || [ $i -ge 3000 ]; do sleep 0.01; i=$((i+1)); done;"
			" truncate -s 0 '%s'; wait $p",
			rs_bin("ringside"), ring, db, db, ring);
	if (rc != 1)
		fail_msg("collect --follow on a truncated source: exit %d: %s", rc, out);
	assert_one_line(out);
	assert_non_null(strstr(out, "vanished"));
	free(out);
	/* What was read before is kept. */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"), 100);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* ---- end to end with the hosted kernel, when it is built ----------------- */

static int have_hosted(void)
{
	return access(rs_bin("ringside-hosted"), X_OK) == 0;
}

/* Records the guest says it wrote (all CPUs), read from the ring file. */
static int64_t ring_written(const char *ring)
{
	struct rs_header h;
	int fd = open(ring, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	close(fd);
	int64_t n = 0;
	for (uint32_t i = 0; i < h.ncpus && i < RS_MAX_CPUS; i++)
		n += (int64_t)(h.cpu[i].written + h.cpu[i].dropped);
	return n;
}

/* Everything the guest wrote was either stored or counted lost. */
static void assert_accounted(const char *ring, const char *db)
{
	assert_int_equal(sql_int(db, "SELECT sum(accepted) + sum(lost) FROM trace_cpu"),
			 ring_written(ring));
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"),
			 sql_int(db, "SELECT sum(accepted) FROM trace_cpu"));
}

static char *hosted_run(const char *dir, const char *workload, int *rc)
{
	char *ring = path_in(dir, "ring");
	char *out = NULL;
	/* pingpong's default 2M round trips are CPU-bound: 6.8 s here with
	 * two busy loops, 12.4 s with six; 300 s is only a hang guard. */
	*rc = rs_run(&out, 300, "'%s' --workload %s --ring '%s' --quiet",
		     rs_bin("ringside-hosted"), workload, ring);
	free(out);
	return ring;
}

static void e2e_snapshot(const char *workload, const char *want_state)
{
	if (!have_hosted())
		skip();
	char *dir = rs_tmpdir(), *out = NULL;
	char *db = path_in(dir, "t.db");
	int hrc;
	char *ring = hosted_run(dir, workload, &hrc);

	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	char *js = info_json(db);
	char want[32];
	snprintf(want, sizeof(want), "\"%s\"", want_state);
	if (!json_has(js, "guest_state", want))
		fail_msg("%s: want guest_state %s, info says %s", workload, want, js);
	assert_true(json_int(js, "events") > 0);
	if (strcmp(want_state, "crashed") == 0)
		assert_false(json_has(js, "panic_reason", "null"));
	free(js);
	assert_accounted(ring, db);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_e2e_pingpong(void **state) { e2e_snapshot("pingpong", "exited"); }
static void test_e2e_fanout(void **state) { e2e_snapshot("fanout", "exited"); }
static void test_e2e_alloc(void **state) { e2e_snapshot("alloc", "exited"); }
static void test_e2e_crash(void **state) { e2e_snapshot("crash", "crashed"); }

static void test_e2e_follow_alongside(void **state)
{
	if (!have_hosted())
		skip();
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db");
	int rc = rs_run(&out, 60,
			"'%s' --ring '%s' --workload fanout >/dev/null 2>&1 & p=$!;"
			" '%s' collect 'file:%s' -o '%s' --follow --wait-secs 10 2>&1 >/dev/null;"
			" r=$?; wait $p; exit $r",
			rs_bin("ringside-hosted"), ring, rs_bin("ringside"), ring, db);
	if (rc != 0)
		fail_msg("follow alongside ringside-hosted: exit %d: %s", rc, out);
	free(out);
	char *js = info_json(db);
	assert_true(json_has(js, "guest_state", "\"exited\""));
	assert_true(json_int(js, "events") > 0);
	free(js);
	assert_accounted(ring, db);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/*
 * `collect --follow` of a hosted guest running `workload` beside it, with
 * `extra` collect options; the guest is killed once the follow ends (hang
 * and deadlock never end by themselves). 60 s is a hang guard: each of
 * these follows ends in about a second here.
 */
static int follow_hosted(const char *workload, const char *ring,
			 const char *db, const char *extra, char **out)
{
	return rs_run(out, 60,
		      "'%s' --ring '%s' --workload %s --quiet >/dev/null 2>&1 & p=$!;"
		      " '%s' collect 'file:%s' -o '%s' --follow --wait-secs 10 %s"
		      " 2>&1 >/dev/null; r=$?; kill -9 $p; wait $p; exit $r",
		      rs_bin("ringside-hosted"), ring, workload, rs_bin("ringside"),
		      ring, db, extra);
}

static void test_e2e_hang(void **state)
{
	if (!have_hosted())
		skip();
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db");
	int rc = follow_hosted("hang", ring, db, "--hang-secs 1", &out);
	if (rc != 0)
		fail_msg("follow a hanging ringside-hosted: exit %d: %s", rc, out);
	free(out);
	char *js = info_json(db);
	if (!json_has(js, "guest_state", "\"hung\""))
		fail_msg("hang workload: info says %s", js);
	free(js);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/*
 * One collector per database: while one follows, a second collect into
 * the same file is told the database is busy, exits 1 and writes nothing
 * (it used to append the same records too, or see the first one's schema
 * transaction as "not a SQLite database"); the first goes on unharmed.
 */
static void test_second_collector_told_busy(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = make_ring(dir, "ring", RING_SIZE, 1, 100, RS_STATE_RUNNING);
	char *db = path_in(dir, "t.db");
	const char *rs = rs_bin("ringside");

	/* The first follows a silent ring (--hang-secs 600: no hang verdict
	 * ends it), and holds the database once `info` can read it. The
	 * wait is bounded by progress (60 s of tries, against well under a
	 * second here); SIGTERM ends the follow gracefully, status 0. */
	int rc = rs_run(&out, 120,
			"'%s' collect 'file:%s' -o '%s' --follow --hang-secs 600"
			" >/dev/null 2>&1 & p=$!; i=0;"
			" until '%s' info '%s' >/dev/null 2>&1; do i=$((i+1));"
			" [ $i -lt 600 ] || { kill $p; exit 97; }; sleep 0.1; done;"
			" '%s' collect 'file:%s' -o '%s' 2>&1 >/dev/null; r=$?;"
			" kill -TERM $p; wait $p || exit 98; exit $r",
			rs, ring, db, rs, db, rs, ring, db);
	if (rc != 1 || !strstr(out, "busy") ||
	    !strstr(out, "another ringside collector"))
		fail_msg("second collector: exit %d (want 1): %s", rc, out);
	assert_one_line(out);
	free(out);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM trace"), 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"), 100);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* ---- verdicts a snapshot or a follow must get right ---------------------- */

/* A hosted guest that died without a word (triple fault: SIGKILL, state
 * still RUNNING) is not running: a snapshot watches its heartbeat for
 * --hang-secs and sees it still. (It died before its first tick, so
 * hung_at_ns is NULL, as SCHEMA.md says for a guest that never beat.) */
static void test_e2e_triple_snapshot_hung(void **state)
{
	e2e_snapshot("triple", "hung");
}

/*
 * ringside-hosted with `workload` in the background, in its own process
 * group under `timeout -s KILL 60`: a failed assertion skips stop_group,
 * and then the timeout ends it. stop_group ends both at once.
 */
static pid_t spawn_hosted_bounded(const char *workload, const char *ring,
				  const char *seconds)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);  /* the kernel's console */
		setpgid(0, 0);
		execlp("timeout", "timeout", "-s", "KILL", "60",
		       rs_bin("ringside-hosted"), "--workload", workload,
		       "--ring", ring, "--quiet", seconds ? "--seconds" : NULL,
		       seconds, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

static void stop_group(pid_t pid)
{
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The ring file's published heartbeat and its last MARK, as the guest
 * wrote them. */
static uint64_t ring_heartbeat(const char *ring, char *mark, size_t marklen)
{
	struct tally t;
	struct rs_status st;

	tally_file(ring, &t, &st);
	snprintf(mark, marklen, "%s", t.last_mark);
	return st.heartbeat_ticks;
}

/* A live hosted guest spinning with interrupts off: a one-shot collect
 * (no --follow) must find it hung, with hung_at_ns. */
static void test_e2e_hang_snapshot(void **state)
{
	if (!have_hosted())
		skip();
	char *dir = rs_tmpdir(), *out = NULL, mark[96];
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db");
	pid_t pid = spawn_hosted_bounded("hang", ring, "0.05");

	/* Wait (up to 30 s, whatever the machine) for the hang's MARK and
	 * a heartbeat that stays put across 100 ms: the guest is stuck. */
	uint64_t hb = UINT64_MAX;
	wait_for_magic(ring);
	for (int i = 0; i < 300; i++) {
		sleep_ms(100);
		uint64_t now = ring_heartbeat(ring, mark, sizeof(mark));
		if (now == hb && strcmp(mark, "hang: interrupts off") == 0)
			break;
		hb = now;
	}
	int rc = collect(ring, db, "--hang-secs 0.5", &out);
	stop_group(pid);
	if (rc != 0)
		fail_msg("collect of a hung guest: exit %d: %s", rc, out);
	free(out);
	char *js = info_json(db);
	if (!json_has(js, "guest_state", "\"hung\"") || json_int(js, "hung_at_ns") <= 0)
		fail_msg("want hung with hung_at_ns: %s", js);
	assert_null(strstr(js, "\"state_why\": null"));
	free(js);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A ring file nobody writes: "running" with a still heartbeat is hung;
 * "booting" may not have started its tick, so it is unknown, not hung. */
static void test_snapshot_of_still_ring(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = make_ring(dir, "ring", RING_SIZE, 1, 10, RS_STATE_RUNNING);
	char *boot = make_ring(dir, "boot", RING_SIZE, 1, 10, RS_STATE_BOOTING);
	char *db = path_in(dir, "t.db"), *bdb = path_in(dir, "b.db");

	assert_int_equal(collect(ring, db, "--hang-secs 0.2", &out), 0);
	free(out);
	assert_int_equal(collect(boot, bdb, "--hang-secs 0.2", &out), 0);
	free(out);
	char *js = info_json(db);
	if (!json_has(js, "guest_state", "\"hung\""))
		fail_msg("a still running ring: %s", js);
	free(js);
	js = info_json(bdb);
	if (!json_has(js, "guest_state", "\"unknown\"") || !strstr(js, "booting"))
		fail_msg("a still booting ring: %s", js);
	free(js);
	free(ring);
	free(boot);
	free(db);
	free(bdb);
	rs_tmpdir_cleanup(dir);
}

/* What info must say about the hosted deadlock workload: alice and bob
 * wait on each other's promises, main waits to join alice. */
static void assert_deadlock_info(const char *db)
{
	char *js = info_json(db);
	if (!json_has(js, "guest_state", "\"deadlocked\""))
		fail_msg("want deadlocked: %s", js);
	assert_int_equal(json_int(js, "stalled_threads"), 3);
	assert_true(json_int(js, "stalled_at_ns") > 0);
	assert_non_null(strstr(js, "{\"tid\": 1, \"name\": \"main\", \"blocked_on\":"
			       " \"join\", \"object\": 2}"));
	assert_non_null(strstr(js, "{\"tid\": 2, \"name\": \"alice\", \"blocked_on\":"
			       " \"promise\", \"promise_id\": 2, \"label\": \"bob's reply\"}"));
	assert_non_null(strstr(js, "{\"tid\": 3, \"name\": \"bob\", \"blocked_on\":"
			       " \"promise\", \"promise_id\": 1, \"label\": \"alice's reply\"}"));
	free(js);
	char *out = NULL;
	assert_int_equal(rs_run(&out, 60, "'%s' info '%s'", rs_bin("ringside"), db), 0);
	assert_non_null(strstr(out, "guest state: deadlocked (3 threads blocked since"));
	assert_non_null(strstr(out, "thread 2 (alice) waits on promise 2 \"bob's reply\""));
	assert_non_null(strstr(out, "thread 3 (bob) waits on promise 1 \"alice's reply\""));
	assert_non_null(strstr(out, "thread 1 (main) waits on thread 2 to exit (join)"));
	free(out);
}

/* `collect --follow` on a hosted deadlock ends by itself, deadlocked; the
 * report, the exports and the viewer take the new state. Before the
 * verdict the follow never ended: the 60 s limit (the verdict comes
 * within milliseconds of the stall; about 0.1 s here) is the margin. */
static void test_e2e_deadlock_follow(void **state)
{
	if (!have_hosted())
		skip();
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db");
	int rc = follow_hosted("deadlock", ring, db, "", &out);
	if (rc != 0)
		fail_msg("follow a deadlocked ringside-hosted: exit %d: %s", rc, out);
	assert_non_null(strstr(out, "guest deadlocked"));
	free(out);
	assert_deadlock_info(db);
	assert_int_equal(rs_run(&out, 60, "cd '%s' && '%s' report t.db --json &&"
				" '%s' export t.db --chrome t.json &&"
				" '%s' --render t.png t.db", dir, rs_bin("ringside"),
				rs_bin("ringside"), rs_bin("ringside-view")), 0);
	assert_non_null(strstr(out, "\"guest_state\":\"deadlocked\""));
	/* The report names the blocked threads as info does (JSON objects
	 * alike) and what each waits on. */
	assert_non_null(strstr(out, "\"deadlock\":{\"stalled_at_ns\":"));
	assert_non_null(strstr(out, ",\"stalled_threads\":3,\"blocked_threads\":["
			       "{\"tid\": 1, \"name\": \"main\", \"blocked_on\":"
			       " \"join\", \"object\": 2}, {\"tid\": 2, \"name\":"
			       " \"alice\", \"blocked_on\": \"promise\","
			       " \"promise_id\": 2, \"label\": \"bob's reply\"},"
			       " {\"tid\": 3, \"name\": \"bob\", \"blocked_on\":"
			       " \"promise\", \"promise_id\": 1, \"label\":"
			       " \"alice's reply\"}]},\n"));
	free(out);
	assert_int_equal(rs_run(&out, 60, "'%s' report '%s'", rs_bin("ringside"),
				db), 0);
	const char *want = "DEADLOCKED: 3 threads blocked since ";
	if (strncmp(out, want, strlen(want)) != 0 ||
	    !strstr(out, " after boot\n"
		    "  thread 1 (main) waits on thread 2 to exit (join)\n"
		    "  thread 2 (alice) waits on promise 2 \"bob's reply\"\n"
		    "  thread 3 (bob) waits on promise 1 \"alice's reply\"\n"
		    "trace 1: "))
		fail_msg("the report of a deadlock:\n%s", out);
	free(out);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A one-shot collect of the same, still ticking deadlock says so too. */
static void test_e2e_deadlock_snapshot(void **state)
{
	if (!have_hosted())
		skip();
	char *dir = rs_tmpdir(), *out = NULL, mark[96] = "";
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db");
	pid_t pid = spawn_hosted_bounded("deadlock", ring, NULL);

	/* Up to 30 s for the scheduler's MARK: the stall is published. */
	wait_for_magic(ring);
	for (int i = 0; i < 3000 && strcmp(mark, "deadlock: 2 threads blocked"
					   " on promises") != 0; i++) {
		sleep_ms(10);
		ring_heartbeat(ring, mark, sizeof(mark));
	}
	int rc = collect(ring, db, NULL, &out);
	stop_group(pid);
	if (rc != 0)
		fail_msg("collect of a deadlocked guest: exit %d: %s", rc, out);
	free(out);
	assert_deadlock_info(db);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A database made before 'deadlocked' and the clock columns existed (same
 * schema version) takes a deadlocked trace: collect adds the columns and
 * widens its check, and the old trace in it still reads. */
static void test_deadlock_into_older_database(void **state)
{
	if (!have_hosted() || !exists("samples/traces/hang.db"))
		skip();
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "old.db");
	/* The samples are current: take one back to before the verdict
	 * and clock columns, as a file written by the previous release. In
	 * this process: DROP COLUMN re-reads the views over the events
	 * module, which every connection here has (testlib). */
	assert_int_equal(rs_run(&out, 30, "cp samples/traces/hang.db '%s'", db), 0);
	free(out);
	out = NULL;
	sqlite3 *old;
	char *err = NULL;
	assert_int_equal(sqlite3_open(db, &old), SQLITE_OK);
	if (sqlite3_exec(old,
			 "ALTER TABLE trace DROP COLUMN state_why;"
			 " ALTER TABLE trace DROP COLUMN stalled_at_ns;"
			 " ALTER TABLE trace DROP COLUMN stalled_threads;"
			 " ALTER TABLE trace DROP COLUMN tsc_source;"
			 " ALTER TABLE trace DROP COLUMN tick_method;"
			 " ALTER TABLE trace DROP COLUMN tick_hz;"
			 " ALTER TABLE trace DROP COLUMN timer_hz;"
			 " PRAGMA writable_schema = ON;"
			 " UPDATE sqlite_master SET sql = replace(sql,"
			 " '''deadlocked'', ', '') WHERE name = 'trace';"
			 " PRAGMA writable_schema = OFF;", NULL, NULL, &err) != SQLITE_OK)
		fail_msg("making the older database: %s", err);
	sqlite3_close(old);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM pragma_table_info('trace')"
				 " WHERE name = 'tsc_source'"), 0);
	assert_int_equal(sql_int(db, "SELECT instr(sql, 'deadlocked') FROM"
				 " sqlite_master WHERE name = 'trace'"), 0);
	int rc = follow_hosted("deadlock", ring, db, "", &out);
	if (rc != 0)
		fail_msg("collect into an older database: exit %d: %s", rc, out);
	free(out);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM trace"), 2);
	assert_deadlock_info(db);
	assert_int_equal(sql_int(db, "SELECT guest_state = 'hung' FROM trace WHERE id = 1"), 1);
	/* ... and the later stuck-cpu verdict and its columns (the sample
	 * predates them too) */
	assert_int_equal(sql_int(db, "SELECT instr(sql, 'stuck-cpu') > 0 FROM"
				 " sqlite_master WHERE name = 'trace'"), 1);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM pragma_table_info('trace')"
				 " WHERE name IN ('stuck_cpu', 'stuck_at_ns')"), 2);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(collector_live,
	cmocka_unit_test(test_follow_live_writer),
	cmocka_unit_test(test_follow_detects_hang),
	cmocka_unit_test(test_follow_stops_on_signal),
	cmocka_unit_test(test_follow_stops_on_reboot),
	cmocka_unit_test(test_second_collector_told_busy),
	cmocka_unit_test(test_follow_source_truncated),
	cmocka_unit_test(test_e2e_pingpong),
	cmocka_unit_test(test_e2e_fanout),
	cmocka_unit_test(test_e2e_alloc),
	cmocka_unit_test(test_e2e_crash),
	cmocka_unit_test(test_e2e_follow_alongside),
	cmocka_unit_test(test_e2e_hang),
	cmocka_unit_test(test_snapshot_of_still_ring),
	cmocka_unit_test(test_e2e_triple_snapshot_hung),
	cmocka_unit_test(test_e2e_hang_snapshot),
	cmocka_unit_test(test_e2e_deadlock_follow),
	cmocka_unit_test(test_e2e_deadlock_snapshot),
	cmocka_unit_test(test_deadlock_into_older_database))
