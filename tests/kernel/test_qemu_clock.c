/*
 * test_qemu_clock.c - the bare-metal kernel's clocks under QEMU TCG, on a
 * host made busy on purpose. A guest started by hand gets no tsc_khz=
 * from ringside and must measure its TSC itself (against the HPET, or the
 * PIT where there is no HPET) to within 1 % of what the host measures,
 * and its 1 kHz tick must come at the rate asked (the LAPIC timer's rate
 * measured right, so the period programmed is right; the ticks handled
 * most often that period apart, never more of them than asked). Before, an unbracketed
 * PIT measurement recorded about 2x the true rate on half the boots of a
 * loaded host, and the LAPIC timer's 2 ms calibration window gave tick
 * rates off by up to 5x under Xen.
 *
 * Also: a tick 20x the default, which makes interrupts land inside
 * thread-context trace emits far more often (the window where the hang
 * workload once triple-faulted under Xen) and must change nothing but
 * the tick count.
 */
#include "testlib.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../collector/host_tsc.h"
#include "ringside_ring.h"
#include "test_collector.h"
#include "test_qemu.h"

#define BUSY_LOOPS 2
#define BOOTS 4
/* Fewer ticks handled in a boot means a vCPU so starved (seen: 20 of 400
 * at load 14 on 2 CPUs) that their spacing says nothing about the
 * timer: the mode check needs this many. */
#define MIN_TICKS 100

static pid_t busy[BUSY_LOOPS];

/* Two shell busy loops, as a user's loaded machine would have: the vCPU
 * thread gets descheduled for milliseconds at a time. */
static int start_busy_loops(void **state)
{
	for (int i = 0; i < BUSY_LOOPS; i++) {
		busy[i] = fork();
		if (busy[i] == 0) {
			execl("/bin/sh", "sh", "-c", "while :; do :; done", (char *)NULL);
			_exit(127);
		}
		if (busy[i] < 0)
			return -1;
	}
	return 0;
}

static int stop_busy_loops(void **state)
{
	for (int i = 0; i < BUSY_LOOPS; i++) {
		if (busy[i] > 0) {
			kill(busy[i], SIGKILL);
			waitpid(busy[i], NULL, 0);
		}
		busy[i] = 0;
	}
	return 0;
}

/*
 * The most common spacing of the LAPIC tick's IRQ_ENTER records, by the
 * guest's own clock, in 100 us bins (returned in units of 100 us). The
 * tick is due at t0 + k * period and each is handled some delay later:
 * near zero while the vCPU thread has a CPU, anything at all when it was
 * descheduled (the ticks it missed are skipped). The delayed spacings
 * smear over many bins, the prompt ones pile up in the period's bin, so
 * the mode is the period even on a host so busy that two thirds of the
 * ticks are skipped (seen here at load 14 on 2 CPUs), where a mean or
 * even a median is not.
 */
static int64_t tick_spacing_mode(const char *db)
{
	return sql_int(db,
		       "WITH t AS (SELECT ts_ns - lag(ts_ns) OVER (ORDER BY seq) AS d"
		       " FROM events WHERE trace_id = (SELECT max(id) FROM trace)"
		       " AND type = 48 AND a = 32)"
		       " SELECT CAST(round(d / 100000.0) AS INTEGER) AS bin FROM t"
		       " WHERE d IS NOT NULL GROUP BY bin ORDER BY count(*) DESC, bin"
		       " LIMIT 1");
}

/* Ticks per second over the span of the ticks: never more than asked. */
static double mean_tick_rate(const char *db)
{
	int64_t n = ev_count_where(db, RS_EV_IRQ_ENTER, "a = 32");
	int64_t span = sql_int(db, "SELECT max(ts_ns) - min(ts_ns) FROM events"
			       " WHERE trace_id = (SELECT max(id) FROM trace)"
			       " AND type = 48 AND a = 32");
	assert_true(n > 1 && span > 0);
	return (double)(n - 1) * 1e9 / (double)span;
}

static void check_boot(struct qrun *q, double host_hz, const char *want_source)
{
	if (q->rc != 0)
		fail_msg("boot by hand: exit %d: %s", q->rc, q->out);
	double guest = (double)sql_int(q->db, "SELECT tsc_hz FROM trace");
	/* The margin the issue sets: 1 %. (It measures to about 0.01 %.) */
	if (guest < host_hz * 0.99 || guest > host_hz * 1.01)
		fail_msg("guest tsc_hz %.0f, host measures %.0f: %s", guest,
			 host_hz, info_json(q->db));
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT tsc_source = '%s' AND tick_method ="
		 " 'lapic-oneshot' AND tick_hz = 1000 FROM trace", want_source);
	if (sql_int(q->db, sql) != 1)
		fail_msg("clock fields: %s", info_json(q->db));
	/* QEMU's LAPIC timer counts at 1 GHz / 16 (hw/intc/apic.c); 1 %. */
	int64_t timer = sql_int(q->db, "SELECT timer_hz FROM trace");
	if (timer < 61875000 || timer > 63125000)
		fail_msg("LAPIC timer measured at %lld Hz, QEMU's is 62500000",
			 (long long)timer);
	/* So the guest programs a 1 ms period (+-1 %). The ticks as handled:
	 * most often 1 ms apart (the 100 us bin around it), and never more
	 * of them than the rate asked for allows (5 % margin). No lower
	 * bound on their number: a starved vCPU loses ticks. */
	int64_t mode = tick_spacing_mode(q->db);
	if (mode != 10 && ev_count_where(q->db, RS_EV_IRQ_ENTER, "a = 32") >= MIN_TICKS)
		fail_msg("tick spacing most often %lld00 us, want 1 ms", (long long)mode);
	double rate = mean_tick_rate(q->db);
	if (rate > 1050.0)
		fail_msg("%.0f ticks a second, asked for 1000", rate);
}

/* Several boots, HPET and PIT alternating, each calibrating while two
 * busy loops compete for the CPUs. */
static void test_calibration_on_a_busy_host(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	double host_hz = (double)rs_host_tsc_khz() * 1000.0;
	assert_true(host_hz > 0);
	for (int i = 0; i < BOOTS; i++) {
		int hpet = i % 2 == 0;
		qemu_by_hand(&q, hpet ? "" : ",hpet=off", "workload=demo seconds=0.4", "");
		check_boot(&q, host_hz, hpet ? "hpet" : "pit");
		assert_int_equal(unlink(q.db), 0);
	}
	qrun_end(&q);
}

/* tick_hz=20000: a hang is still a hang (found by its stopped heartbeat,
 * no panic, no reset), with 20x the interrupts landing in the workload's
 * emits before it. */
static void test_fast_tick_hang(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	qemu_by_hand(&q, "", "workload=hang seconds=0.5 tick_hz=20000", "--hang-secs 1");
	if (q.rc != 0)
		fail_msg("hang at 20 kHz: exit %d: %s", q.rc, q.out);
	char *js = info_json(q.db);
	if (!json_has(js, "guest_state", "\"hung\"") ||
	    !json_has(js, "panic_reason", "null"))
		fail_msg("want hung, no panic: %s\n%s", js, q.out);
	assert_int_equal(json_int(js, "tick_hz"), 20000);
	free(js);
	assert_int_equal(ev_count_where(q.db, RS_EV_MARK, "str = 'hang: interrupts off'"), 1);
	/* Ticks came, never faster than asked (5 %); how many depends on
	 * how much CPU the vCPU got. */
	double rate = mean_tick_rate(q.db);
	if (rate > 21000.0)
		fail_msg("%.0f ticks a second, asked for 20000", rate);
	assert_int_equal(ev_count(q.db, RS_EV_IRQ_ENTER), ev_count(q.db, RS_EV_IRQ_EXIT));
	qrun_end(&q);
}

RS_TEST_SUITE(qemu_clock,
	cmocka_unit_test_setup_teardown(test_calibration_on_a_busy_host,
					start_busy_loops, stop_busy_loops),
	cmocka_unit_test_setup_teardown(test_fast_tick_hang,
					start_busy_loops, stop_busy_loops))
