/*
 * test_report_smp.c - `ringside report` on a guest of four CPUs (the
 * story of smp_fixture.h, written by the real writer and collected):
 * per-CPU utilisation, migrations, IPIs by reason, lock contention by
 * lock, and wake -> run latency same CPU or across CPUs; with a clock
 * behind, the wake stamped after its run is left out and said so.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smp_fixture.h"

static char *report(const char *db, const char *extra)
{
	char *out = NULL;
	int rc = rs_run(&out, 60, "'%s' report '%s' %s 2>&1", rs_bin("ringside"),
			db, extra);
	if (rc != 0)
		fail_msg("report %s: exit %d: %s", extra, rc, out);
	return out;
}

static void want(const char *out, const char *s)
{
	if (!strstr(out, s))
		fail_msg("want \"%s\" in:\n%s", s, out);
}

static void test_report_smp_json(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_smp_fixture(dir, 0);
	char *js = report(db, "--json");

	/* running: a thread switched in and not idle; idle: idle_enter ..
	 * idle_exit; each from the CPU's first event to its last */
	want(js, "\"cpus\":[{\"cpu\":0,\"running_ns\":990000,\"idle_ns\":0},"
		 "{\"cpu\":1,\"running_ns\":396000,\"idle_ns\":596000},"
		 "{\"cpu\":2,\"running_ns\":199000,\"idle_ns\":790000},"
		 "{\"cpu\":3,\"running_ns\":580000,\"idle_ns\":410000}]");
	want(js, "\"migrations\":{\"total\":1,\"by_thread\":[{\"tid\":4,"
		 "\"name\":\"wc\",\"count\":1}]}");
	want(js, "\"ipi\":{\"wake\":{\"sent\":2,\"received\":2},"
		 "\"stop\":{\"sent\":0,\"received\":0},"
		 "\"other\":{\"sent\":0,\"received\":0}}");
	want(js, "\"lock_total_ns\":{\"runq\":8000,\"promise\":0,\"pages\":0,"
		 "\"heap\":1000,\"other\":0}");
	want(js, "\"wake_before_cause\":0");
	/* lock waits by lock: count and max (3 + 5 µs on runq) */
	want(js, "{\"name\":\"runq\",\"count\":2,\"min_ns\":3000");
	want(js, "\"max_ns\":5000,\"mean_ns\":4000.0}");
	/* wake -> run: 10 µs on one CPU (thread 3), 10 µs across (thread 2) */
	want(js, "\"wake_to_run_cpu\":{\"by\":\"cpu\"");
	want(js, "{\"name\":\"cross-cpu\",\"count\":1,\"min_ns\":10000");
	want(js, "{\"name\":\"same-cpu\",\"count\":1,\"min_ns\":10000");
	free(js);
	char *text = report(db, "");
	if (getenv("RS_SHOW"))
		fprintf(stderr, "%s\n", text);
	want(text, "CPUs (from each CPU's first event in the range to its last)");
	want(text, "migrations: 1: thread 4 (wc) 1");
	want(text, "IPIs: wake 2 sent, 2 received; stop 0 sent, 0 received;"
		   " other 0 sent, 0 received");
	want(text, "lock contention wait, by lock");
	want(text, "lock waits in all: runq 8.00 us, heap 1.00 us");
	want(text, "wake -> run latency, same CPU or across CPUs");
	free(text);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* cpu 1's clock 20 µs behind: thread 2's run is stamped before its wake;
 * that pair is no latency, and the report says why it left it out. */
static void test_report_smp_skewed_wake(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_smp_fixture(dir, 20000);
	char *js = report(db, "--json");

	want(js, "\"wake_before_cause\":1");
	if (strstr(js, "\"cross-cpu\""))
		fail_msg("a negative wake latency was recorded: %s", js);
	free(js);
	char *text = report(db, "");
	want(text, "WARNING: 1 wake -> run pairs across CPUs were stamped before"
		   " the wake");
	free(text);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(report_smp,
	cmocka_unit_test(test_report_smp_json),
	cmocka_unit_test(test_report_smp_skewed_wake),
);
