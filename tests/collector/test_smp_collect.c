/*
 * test_smp_collect.c - the collector on a guest of several CPUs, each
 * keeping a heartbeat of its own (RING.md, "Several CPUs"): a CPU whose
 * heartbeat stops while another's goes on is the verdict stuck-cpu, in a
 * follow and in a one-shot read; a guest whose CPUs all beat is running.
 * The guest is a forked producer using the real guest-trace writer.
 * And the skew between the CPUs' clocks, bounded from causal pairs of
 * the four-CPU story (smp_fixture.h), stored in cpu_skew and stated by
 * info: flagged when over 1 µs, never silent.
 */
#include "testlib.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../collector/cpu_beats.h"
#include "guest_trace.h"
#include "skew.h"
#include "smp_fixture.h"
#include "test_collector.h"

#define CPUS 2

static void nap_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/*
 * A child that acts as a guest of CPUS CPUs: events on each, then the
 * guest-wide heartbeat and CPU 0's every millisecond; CPU 1 beats once
 * only, unless `all_beat`. Runs until killed (60 s at most).
 */
static pid_t start_guest(const char *ring, int all_beat)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid != 0)
		return pid;
	struct rs_header *h = map_file(ring, 1 * MiB);
	init_region(h, 1 * MiB, CPUS, RS_MODE_OVERWRITE, 0x57c0000ull + (uint64_t)getpid());
	emit_range(h, CPUS, 0, 1000, NULL);
	for (uint64_t tick = 1; tick < 60000; tick++) {
		uint64_t tsc = gt_rdtsc();
		gt_heartbeat_cpu(h, 0, tick, tsc);
		if (tick == 1 || all_beat)
			gt_heartbeat_cpu(h, 1, tick, tsc);
		gt_heartbeat(h, tick, tsc);
		nap_ms(1);
	}
	_exit(0);
}

static void stop_guest(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Wait (30 s at most, whatever the machine) until CPU 1 has beaten: a
 * collect that starts before would see its first beat as movement. */
static void wait_cpu1_beat(const char *ring)
{
	assert_int_equal(rs_wait_ring_magic(ring, 30), 0);
	struct rs_header *h = map_file(ring, 1 * MiB);
	const volatile uint64_t *t = &h->cpu[1].hb_ticks;
	for (int i = 0; i < 30000 && *t == 0; i++)
		nap_ms(1);
	assert_true(*t != 0);
	munmap(h, 1 * MiB);
}

/* Collect the stuck guest as `extra` says; the verdict must name CPU 1. */
static void stuck_case(const char *extra)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db"), *out = NULL;
	pid_t pid = start_guest(ring, 0);

	wait_cpu1_beat(ring);
	int rc = collect(ring, db, extra, &out);
	stop_guest(pid);
	if (rc != 0)
		fail_msg("collect %s: exit %d: %s", extra, rc, out);
	free(out);
	char *js = info_json(db);
	if (!json_has(js, "guest_state", "\"stuck-cpu\"") ||
	    json_int(js, "stuck_cpu") != 1 || json_int(js, "stuck_at_ns") <= 0)
		fail_msg("want stuck-cpu on cpu 1: %s", js);
	free(js);
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s'", rs_bin("ringside"), db), 0);
	if (!strstr(out, "guest state: stuck-cpu") ||
	    !strstr(out, "cpu 1 stuck since ") ||
	    !strstr(out, "(heartbeat stopped; others running)"))
		fail_msg("info: %s", out);
	free(out);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* --hang-secs 2: the producer beats every millisecond, so only a host
 * that stops it for 2 s could make its guest-wide heartbeat look hung. */

/* A follow ends on the verdict, as on hung. */
static void test_follow_stuck_cpu(void **state)
{
	stuck_case("--follow --hang-secs 2");
}

/* A one-shot read watches every CPU's heartbeat, not only the guest's. */
static void test_snapshot_stuck_cpu(void **state)
{
	stuck_case("--hang-secs 2");
}

/* Every CPU beats: running, no CPU named. */
static void test_snapshot_all_cpus_beat(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db"), *out = NULL;
	pid_t pid = start_guest(ring, 1);

	wait_cpu1_beat(ring);
	int rc = collect(ring, db, "--hang-secs 30", &out);
	stop_guest(pid);
	if (rc != 0)
		fail_msg("collect: exit %d: %s", rc, out);
	free(out);
	char *js = info_json(db);
	if (!json_has(js, "guest_state", "\"running\"") ||
	    !json_has(js, "stuck_cpu", "null"))
		fail_msg("want running: %s", js);
	free(js);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* The story with cpu 1's clock `skew` ns behind: info's text and JSON. */
static void skew_info(int64_t skew, char **text, char **js, char **db_out,
		      char **dir_out)
{
	char *dir = rs_tmpdir();
	char *db = rs_smp_fixture(dir, skew);

	assert_int_equal(rs_run(text, 30, "'%s' info '%s'", rs_bin("ringside"), db), 0);
	*js = info_json(db);
	*db_out = db;
	*dir_out = dir;
}

static void test_skew_flagged(void **state)
{
	char *text, *js, *db, *dir;

	skew_info(20000, &text, &js, &db, &dir);
	if (getenv("RS_SHOW"))
		fprintf(stderr, "%s\n%s\n", text, js);
	/* the IPI sent at 100 was stamped received at 85: 15 µs at least */
	assert_int_equal(sql_int(db, "SELECT min_gap_ns FROM cpu_skew WHERE"
				 " cpu = 1 AND from_cpu = 0"), -15000);
	if (!strstr(text, "clocks disagree: cpu 1 is >= 15000 ns behind cpu 0"))
		fail_msg("info: %s", text);
	if (!strstr(js, "\"behind\": [{\"cpu\": 1, \"of_cpu\": 0, \"ns_at_least\": 15000}]") ||
	    !json_has(js, "disagree", "true"))
		fail_msg("info --json: %s", js);
	free(text);
	free(js);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Clocks in step: the pairs are counted, nothing is behind. */
static void test_skew_agree(void **state)
{
	char *text, *js, *db, *dir;

	skew_info(0, &text, &js, &db, &dir);
	/* wake 0->1, IPI 0->1, IPI 3->2 */
	assert_int_equal(sql_int(db, "SELECT sum(pairs) FROM cpu_skew"), 3);
	assert_int_equal(sql_int(db, "SELECT min(min_gap_ns) FROM cpu_skew"), 5000);
	/* every CPU's work */
	if (!strstr(text, "  per cpu: cpu 0 13 events, cpu 1 11 events, cpu 2 9"
		    " events, cpu 3 4 events\n") ||
	    !strstr(js, "\"per_cpu\": [{\"cpu\": 0, \"events\": 13, \"lost\": 0}, {\"cpu\": 1,"
		    " \"events\": 11, \"lost\": 0}, {\"cpu\": 2, \"events\": 9, \"lost\": 0},"
		    " {\"cpu\": 3, \"events\": 4, \"lost\": 0}]"))
		fail_msg("per cpu: %s\n%s", text, js);
	if (!strstr(text, "clocks across cpus: agree as far as 3 causal pairs show") ||
	    strstr(text, "disagree"))
		fail_msg("info: %s", text);
	if (!json_has(js, "disagree", "false"))
		fail_msg("info --json: %s", js);
	free(text);
	free(js);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Under the threshold: stated, not flagged. */
static void test_skew_small_stated(void **state)
{
	char *text, *js, *db, *dir;

	skew_info(5500, &text, &js, &db, &dir);
	if (!strstr(text, "clocks across cpus: cpu 1 is >= 500 ns behind cpu 0") ||
	    strstr(text, "clocks disagree"))
		fail_msg("info: %s", text);
	free(text);
	free(js);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* The story's skew measured in this process. */
static void measure(const char *db, struct rs_skew *k)
{
	char err[300];
	struct rs_trace_db *t = rs_trace_open(db, err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	if (rs_skew_measure(t, 1, k, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	rs_trace_close(t);
}

/* An ipi_recv whose ipi_send was lost pairs with the next send: with
 * nothing lost that looks like a clock 100 µs behind, and is taken as
 * one; with the send's CPU losing records just before, it is doubtful
 * and left out, so clocks in step are not flagged. */
static void test_skew_ignores_pairs_near_losses(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_smp_fixture(dir, 0);
	sqlite3 *q;
	struct rs_skew *k = calloc(1, sizeof(*k));

	assert_int_equal(sqlite3_open(db, &q), SQLITE_OK);
	struct rs_test_events *w = rs_events_begin(q, 1);
	rs_events_add(w, 1, SMP_NS(1100), RS_EV_IPI_RECV, 2, RS_IPI_WAKE, 0, 0, NULL);
	rs_events_add(w, 0, SMP_NS(1200), RS_EV_IPI_SEND, 1, 1, RS_IPI_WAKE, 0, NULL);
	rs_events_end(w);
	measure(db, k);
	assert_int_equal(k->min_gap[0][1], -100000);
	/* the send cpu 0 made for that receive, lost at 1090..1095 */
	char *err = NULL;
	char sql[200];
	snprintf(sql, sizeof(sql), "INSERT INTO lost (trace_id, cpu, count, from_ns,"
		 " to_ns) VALUES (1, 0, 1, %lld, %lld)", (long long)SMP_NS(1090),
		 (long long)SMP_NS(1095));
	if (sqlite3_exec(q, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s", err);
	sqlite3_close(q);
	measure(db, k);
	assert_int_equal(k->doubtful, 1);
	assert_int_equal(k->min_gap[0][1], 5000);   /* the story's own */
	free(k);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* The rule itself, on a header in memory and times we choose: stuck is
 * one CPU silent for hang_secs while another beat since and lately; all
 * silent is no stuck CPU (the guest hangs); a CPU that never beat (0) and
 * a paused VM are never judged. */
static void test_beats_rule(void **state)
{
	struct rs_header *h = calloc(1, sizeof(*h));
	struct rs_cpu_beats b;
	unsigned cpu = 99;
	uint64_t tsc = 0;

	assert_non_null(h);
	rs_beats_reset(&b, 3);
	h->cpu[0].hb_ticks = h->cpu[1].hb_ticks = 1;
	h->cpu[1].hb_tsc = 777;
	rs_beats_look(&b, h, 0.0, 0);
	h->cpu[0].hb_ticks = 2;
	rs_beats_look(&b, h, 1.0, 0);
	assert_int_equal(rs_beats_stuck(&b, 0.9, 1.0, &cpu, &tsc), 0);
	assert_int_equal(rs_beats_stuck(&b, 1.5, 1.0, &cpu, &tsc), 1);
	assert_int_equal(cpu, 1);
	assert_int_equal(tsc, 777);
	/* cpu 0 silent too, for as long: the guest hangs, no CPU is named */
	assert_int_equal(rs_beats_stuck(&b, 2.5, 1.0, &cpu, &tsc), 0);
	/* cpu 2 never beat: never judged, and all-moved ignores it */
	h->cpu[1].hb_ticks = 2;
	rs_beats_look(&b, h, 3.0, 0);
	assert_true(rs_beats_all_moved(&b));
	/* a paused VM's silence restarts every clock */
	rs_beats_look(&b, h, 10.0, 1);
	assert_int_equal(rs_beats_stuck(&b, 10.5, 1.0, &cpu, &tsc), 0);
	/* every CPU stops, one 0.3 s after the other (a hung guest whose
	 * CPUs go quiet in turn): when the first has been silent for the
	 * hang time the other has beaten after it, but under half that
	 * time after: no CPU is named, however long both stay silent */
	h->cpu[0].hb_ticks = 3;
	h->cpu[1].hb_ticks = 3;
	rs_beats_look(&b, h, 20.0, 0);
	h->cpu[0].hb_ticks = 4;
	rs_beats_look(&b, h, 20.3, 0);
	for (double now = 20.3; now < 25; now += 0.1)
		assert_int_equal(rs_beats_stuck(&b, now, 1.0, &cpu, &tsc), 0);
	/* the same with the other going on for half the hang time: named */
	h->cpu[0].hb_ticks = 5;
	rs_beats_look(&b, h, 20.5, 0);
	assert_int_equal(rs_beats_stuck(&b, 21.0, 1.0, &cpu, &tsc), 1);
	assert_int_equal(cpu, 1);
	free(h);
}

RS_TEST_SUITE(smp_collect,
	cmocka_unit_test(test_beats_rule),
	cmocka_unit_test(test_skew_ignores_pairs_near_losses),
	cmocka_unit_test(test_skew_flagged),
	cmocka_unit_test(test_skew_agree),
	cmocka_unit_test(test_skew_small_stated),
	cmocka_unit_test(test_follow_stuck_cpu),
	cmocka_unit_test(test_snapshot_stuck_cpu),
	cmocka_unit_test(test_snapshot_all_cpus_beat),
);
