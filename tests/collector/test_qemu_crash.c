/*
 * test_qemu_crash.c - the ways the real kernel dies or stalls under
 * `ringside run`, and what the trace says about each: panics and faults
 * (the guest's own panic record), a triple fault (no record: the host's
 * verdict, recovered from RAM with QEMU paused), a hang (the heartbeat
 * stops: reported within --hang-secs, whole ring recovered), a deadlock
 * (ticks go on, no thread can run: a verdict of its own), and --dump
 * (a core whose events are exactly the live ones).
 */
#include "testlib.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../collector/source.h"
#include "ringside_ring.h"
#include "test_collector.h"
#include "test_qemu.h"

static void want_crashed(struct qrun *q, const char *reason)
{
	if (q->rc != 0)
		fail_msg("ringside run: exit %d: %s", q->rc, q->out);
	char *js = info_json(q->db);
	if (!json_has(js, "guest_state", "\"crashed\"") || !strstr(js, reason))
		fail_msg("want crashed with '%s': %s\n%s", reason, js, q->out);
	free(js);
	/* `info` (printed by run) shows the reason and where it happened. */
	assert_non_null(strstr(q->out, "guest state: crashed"));
	assert_non_null(strstr(q->out, "  panic: "));
	assert_non_null(strstr(q->out, "rip 0x"));
}

/* Same events in both databases, compared row by row (ATTACH + EXCEPT
 * both ways). */
static void assert_same_events(const char *a, const char *b)
{
	static const char cols[] = "cpu, seq, ts_ns, type, ctx, a, b, c, str";
	char sql[1200];
	sqlite3 *d;
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_open_v2(a, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS other", b);
	assert_int_equal(sqlite3_exec(d, sql, NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT count(*) FROM (SELECT %s FROM main.events EXCEPT"
		 " SELECT %s FROM other.events)),"
		 " (SELECT count(*) FROM (SELECT %s FROM other.events EXCEPT"
		 " SELECT %s FROM main.events)),"
		 " (SELECT count(*) FROM main.events), (SELECT count(*) FROM other.events)",
		 cols, cols, cols, cols);
	assert_int_equal(sqlite3_prepare_v2(d, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t only_a = sqlite3_column_int64(st, 0), only_b = sqlite3_column_int64(st, 1);
	int64_t na = sqlite3_column_int64(st, 2), nb = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	sqlite3_close(d);
	if (only_a || only_b || na != nb || na == 0)
		fail_msg("live %s: %lld events, %lld not in the dump's; dump: %lld"
			 " events, %lld not in the live read", a, (long long)na,
			 (long long)only_a, (long long)nb, (long long)only_b);
}

/* Collect a core into dir/core.db; returns its path. */
static char *collect_core(struct qrun *q, const char *core)
{
	char *db = path_in(q->dir, "core.db"), *out = NULL;
	int rc = rs_run(&out, 60, "'%s' collect 'core:%s' -o '%s' 2>&1 >/dev/null",
			rs_bin("ringside"), core, db);
	if (rc != 0)
		fail_msg("collect core:%s: exit %d: %s", core, rc, out);
	free(out);
	return db;
}

static void test_run_crash_and_dump(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	char *core = path_in(q.dir, "crash.core");
	qrun(&q, "--workload crash --count 20 --dump '%s'", core);
	want_crashed(&q, "crash workload: deliberate panic after 20 rounds");
	assert_true(exists(core));
	assert_int_equal(sql_int(q.db, "SELECT panic_vector FROM trace"),
			 RS_PANIC_VECTOR_NONE);
	assert_true(sql_int(q.db, "SELECT panic_rip FROM trace") > 0x100000);
	/* The live read and the dump agree, event for event. */
	char *cdb = collect_core(&q, core);
	assert_same_events(q.db, cdb);
	char *js = info_json(cdb);
	assert_true(json_has(js, "guest_state", "\"crashed\""));
	/* Registers from the core's NT_PRSTATUS note. */
	assert_non_null(strstr(js, "\"origin\": \"core NT_PRSTATUS\""));
	assert_non_null(strstr(js, "\"rip\": \"0x"));
	free(js);
	free(cdb);
	free(core);
	qrun_end(&q);
}

static void test_run_panic(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	qrun(&q, "--workload panic");
	want_crashed(&q, "ledger out of balance: 1042 != 1041");
	assert_int_equal(ev_count_where(q.db, RS_EV_MARK, "str LIKE 'panic:%'"), 1);
	qrun_end(&q);
}

/* A fault while the panic path formats its reason: the first record is
 * still committed, its depth says two panics happened. */
static void test_run_nested_panic(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	qrun(&q, "--workload nestedpanic");
	want_crashed(&q, "[nested panic in the panic path]");
	assert_int_equal(sql_int(q.db, "SELECT panic_depth FROM trace"), 2);
	assert_int_equal(sql_int(q.db, "SELECT panic_vector FROM trace"),
			 RS_PANIC_VECTOR_NONE);
	assert_true(sql_int(q.db, "SELECT panic_rip FROM trace") > 0x100000);
	assert_non_null(strstr(q.out, "nestedpanic: "));
	qrun_end(&q);
}

static void test_run_pagefault(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	qrun(&q, "--workload pagefault");
	want_crashed(&q, "");
	assert_int_equal(sql_int(q.db, "SELECT panic_vector FROM trace"), 14);
	assert_int_equal(sql_int(q.db, "SELECT panic_fault_addr FROM trace"), 0x100000000ll);
	assert_non_null(strstr(q.out, "fault address 0x100000000"));
	qrun_end(&q);
}

static void test_run_fault_and_stackoverflow(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	qrun(&q, "--workload fault --count 10");
	want_crashed(&q, "#UD");
	assert_int_equal(sql_int(q.db, "SELECT panic_vector FROM trace"), 6);
	qrun(&q, "--workload stackoverflow");
	want_crashed(&q, "");
	/* The newest trace in the same database: a double fault. */
	assert_int_equal(sql_int(q.db, "SELECT panic_vector FROM trace"
				 " ORDER BY id DESC LIMIT 1"), 8);
	qrun_end(&q);
}

/* On two CPUs, the crash on one stops the other (an NMI), and the ring
 * holds both CPUs' registers: the panicking one's, and the other's
 * where the stop found it, each named from the kernel ELF. */
static void test_run_crash_two_cpus(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	qrun(&q, "--workload crash --smp 2");
	want_crashed(&q, "crash workload: deliberate panic after 100 rounds");
	assert_int_equal(sql_int(q.db, "SELECT count(*) FROM panic_cpus"), 2);
	assert_int_equal(sql_int(q.db, "SELECT count(*) FROM panic_cpus p, trace t"
				 " WHERE p.cpu = t.panic_cpu AND p.state = 'panicked'"), 1);
	assert_int_equal(sql_int(q.db, "SELECT count(*) FROM panic_cpus p, trace t"
				 " WHERE p.cpu != t.panic_cpu AND p.state = 'stopped'"
				 " AND p.regs LIKE '%rip%'"), 1);
	assert_non_null(strstr(q.out, "(stopped by the panic at"));
	assert_non_null(strstr(q.out, "(panicked at"));
	qrun_end(&q);
}

static void test_run_triple(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	char *core = path_in(q.dir, "triple.core");
	/* two vCPUs: the monitor's registers of each are kept (the second,
	 * never started by this one-CPU workload, waits in real mode: eip) */
	qrun(&q, "--workload triple --smp 2 --dump '%s'", core);
	want_crashed(&q, "triple fault: guest reset, no panic record");
	assert_non_null(strstr(q.out, "triple fault: the guest reset the CPU"));
	char *js = info_json(q.db);
	/* The host's verdict, not a record the guest wrote ... */
	assert_non_null(strstr(js, "\"panic_by\": \"host\""));
	/* ... with where the vCPU was, from the monitor. */
	assert_non_null(strstr(js, "\"origin\": \"qemu monitor\""));
	free(js);
	assert_true(sql_int(q.db, "SELECT panic_rip FROM trace") > 0);
	assert_true(sql_int(q.db, "SELECT count(*) FROM vcpu_regs") == 2);
	assert_true(sql_int(q.db, "SELECT count(*) FROM vcpu_regs WHERE cpu = 1"
			    " AND regs LIKE '%ip\"%'") == 1);
	/* RAM was intact: the trace up to the fault was recovered. */
	assert_int_equal(ev_count_where(q.db, RS_EV_MARK, "str LIKE 'triple:%'"), 1);
	assert_int_equal(ev_count(q.db, RS_EV_THREAD_CREATE), 1);
	/* And a dump taken while QEMU sat paused holds the same events. */
	char *cdb = collect_core(&q, core);
	assert_same_events(q.db, cdb);
	free(cdb);
	free(core);
	qrun_end(&q);
}

/* Records the guest published, from the dump's ring header. */
static uint64_t core_head_written(const char *core)
{
	struct rs_source src;
	char err[300];

	if (rs_source_open(core, &src, err, sizeof(err)) != 0)
		fail_msg("%s: %s", core, err);
	const struct rs_header *h =
		(const struct rs_header *)(const void *)(src.base + src.hint_offset);
	uint64_t n = 0;
	for (uint32_t i = 0; i < h->ncpus && i < RS_MAX_CPUS; i++)
		n += h->cpu[i].head_written;
	rs_source_close(&src);
	return n;
}

static void test_run_hang(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	char *core = path_in(q.dir, "hang.core"), spec[4200];
	/* Timed from run's first write of its database (QEMU is up), so a
	 * slow QEMU start cannot eat the margin: from there the verdict
	 * takes the default 2 s of silence plus the guest's 0.1 s of work,
	 * the final read, the dump and info: 2.3 s in all here with two busy
	 * loops. 6 s allows ~13x that overhead (~5x on a 2.5x slower host);
	 * a verdict that waited for some later timeout takes longer. */
	double t0 = now_secs();
	q.rc = rs_run(&q.out, 120, "cd '%s' && { '%s' run --kernel '%s' -o '%s'"
		      " --workload hang --dump '%s' 2>&1 & p=$!; while [ ! -s '%s' ]"
		      " && kill -0 $p 2>/dev/null; do sleep 0.01; done;"
		      " t1=$(date +%%s.%%N); wait $p; r=$?; t2=$(date +%%s.%%N);"
		      " echo \"after-db-secs $(echo $t2 $t1 | awk '{print $1 - $2}')\";"
		      " exit $r; }", q.dir, rs_bin("ringside"), q.kernel, q.db, core,
		      q.db);
	q.secs = now_secs() - t0;
	const char *lag = strstr(q.out, "after-db-secs ");
	double after_db = lag ? strtod(lag + 14, NULL) : -1;
	if (q.rc != 0)
		fail_msg("exit %d: %s", q.rc, q.out);
	char *js = info_json(q.db);
	if (!json_has(js, "guest_state", "\"hung\""))
		fail_msg("want hung: %s\n%s", js, q.out);
	assert_true(json_int(js, "hung_at_ns") > 0);
	free(js);
	/* Never before the 2 s of silence; soon after them. */
	if (q.secs < 2.0 || after_db < 0 || after_db > 6.0)
		fail_msg("hang reported %.2f s after start, %.2f s after the"
			 " database appeared (want >= 2 and <= 6)", q.secs, after_db);
	assert_int_equal(ev_count_where(q.db, RS_EV_MARK, "str = 'hang: interrupts off'"), 1);
	/* The whole ring was recovered: every published record is stored or
	 * counted lost. */
	snprintf(spec, sizeof(spec), "core:%s", core);
	int64_t written = (int64_t)core_head_written(spec);
	assert_true(written > 0);
	assert_int_equal(sql_int(q.db, "SELECT sum(accepted) + sum(lost) FROM trace_cpu"),
			 written);
	assert_int_equal(sql_int(q.db, "SELECT count(*) FROM events"),
			 sql_int(q.db, "SELECT sum(accepted) FROM trace_cpu"));
	free(core);
	qrun_end(&q);
}

/*
 * A deadlock: every thread blocked on another's promise, the tick going
 * on. With no --seconds, run ends on the verdict by itself (before, it
 * never ended: the harness's 60 s limit is the margin over the ~0.9 s it
 * takes here), info names who waits on what, and the dump, one image,
 * says the same because it holds ticks stamped after the stall.
 */
static void test_run_deadlock(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	char *core = path_in(q.dir, "deadlock.core");
	qrun(&q, "--workload deadlock --dump '%s'", core);
	if (q.rc != 0 || !strstr(q.out, "the guest deadlocked"))
		fail_msg("exit %d: %s", q.rc, q.out);
	char *js = info_json(q.db);
	if (!json_has(js, "guest_state", "\"deadlocked\""))
		fail_msg("want deadlocked: %s", js);
	assert_int_equal(json_int(js, "stalled_threads"), 3);
	assert_non_null(strstr(js, "\"name\": \"alice\", \"blocked_on\": \"promise\","
			       " \"promise_id\": 2, \"label\": \"bob's reply\""));
	assert_non_null(strstr(js, "\"name\": \"bob\", \"blocked_on\": \"promise\","
			       " \"promise_id\": 1, \"label\": \"alice's reply\""));
	free(js);
	assert_non_null(strstr(q.out, "guest state: deadlocked"));
	assert_non_null(strstr(q.out, "thread 2 (alice) waits on promise 2 \"bob's reply\""));
	assert_int_equal(ev_count_where(q.db, RS_EV_MARK, "str LIKE 'deadlock:%'"), 2);
	/* The tick kept going: that is what tells deadlock from hang. */
	assert_true(ev_count_where(q.db, RS_EV_IRQ_ENTER, "a = 32") > 0);
	char *cdb = collect_core(&q, core);
	assert_int_equal(sql_int(cdb, "SELECT guest_state = 'deadlocked' FROM trace"), 1);
	assert_int_equal(sql_int(cdb, "SELECT stalled_threads FROM trace"), 3);
	free(cdb);
	free(core);
	qrun_end(&q);
}

RS_TEST_SUITE(qemu_crash,
	cmocka_unit_test(test_run_crash_and_dump),
	cmocka_unit_test(test_run_panic),
	cmocka_unit_test(test_run_nested_panic),
	cmocka_unit_test(test_run_pagefault),
	cmocka_unit_test(test_run_fault_and_stackoverflow),
	cmocka_unit_test(test_run_crash_two_cpus),
	cmocka_unit_test(test_run_triple),
	cmocka_unit_test(test_run_hang),
	cmocka_unit_test(test_run_deadlock))
