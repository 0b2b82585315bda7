/*
 * test_refclock.c - the kernel's clock calibration (kernel/platform/pvh/
 * refclock.c), run in this process against simulated reference counters
 * that stall on purpose: a read that takes the reference's value and then
 * sleeps is what a vCPU descheduled between its reference read and its
 * TSC read looks like. Deterministic where the QEMU tests
 * (test_qemu_clock.c) depend on the host's load to provoke it.
 *
 * The truth is the host's TSC rate as `ringside run` measures it, against
 * the same CLOCK_MONOTONIC_RAW the simulated references count.
 */
#include "testlib.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "../collector/host_tsc.h"
#include "../kernel/platform/pvh/pvh.h"

/* The stall: every `stall_every`-th read, or the first read
 * `stall_period_ns` after the end of the last stall, sleeps `stall_us`
 * after taking the clock; so does,
 * with stall_at_ref, the first read at or past that reference value
 * (once). */
static struct {
	uint64_t hz;
	unsigned bits;
	bool down;
	unsigned stall_every, nreads;
	uint64_t stall_period_ns, next_stall_ns;
	unsigned stall_us;
	uint64_t stall_at_ref;
	uint64_t last_count;    /* the full count the last read took */
	unsigned stalls;
} sim;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The full-width count at `ns`, before truncation to `bits`. */
static uint64_t count_at(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * sim.hz / 1000000000u);
}

static uint64_t sim_read(void)
{
	uint64_t now = mono_ns(), count = count_at(now);
	bool stall = false;

	sim.last_count = count;
	if (sim.stall_every && ++sim.nreads % sim.stall_every == 0)
		stall = true;
	if (sim.stall_period_ns && now >= sim.next_stall_ns)
		stall = true;
	if (sim.stall_at_ref && count >= sim.stall_at_ref) {
		sim.stall_at_ref = 0;
		stall = true;
	}
	if (stall) {
		sim.stalls++;
		usleep(sim.stall_us);
		/* However long the sleep took on a busy machine. */
		sim.next_stall_ns = mono_ns() + sim.stall_period_ns;
	}
	uint64_t mask = sim.bits >= 64 ? ~0ull : (1ull << sim.bits) - 1;
	return (sim.down ? ~count : count) & mask;
}

static void sim_setup(uint64_t hz, unsigned bits, bool down,
		      unsigned stall_every, uint64_t stall_period_ns,
		      unsigned stall_us)
{
	sim.stall_every = stall_every;
	sim.nreads = 0;
	sim.hz = hz;
	sim.bits = bits;
	sim.down = down;
	sim.stall_period_ns = stall_period_ns;
	sim.next_stall_ns = mono_ns() + stall_period_ns;
	sim.stall_us = stall_us;
	sim.stall_at_ref = 0;
	sim.stalls = 0;
}

static double host_tsc_hz(void)
{
	double hz = (double)rs_host_tsc_khz() * 1000.0;

	assert_true(hz > 0);
	return hz;
}

/* Within 0.5 %: half the 1 %, ten times what the method gives on
 * an idle machine, room for a loaded one. */
static void assert_close(double got, double want, const char *what)
{
	if (got < want * 0.995 || got > want * 1.005)
		fail_msg("%s: %.0f, want %.0f (%+.3f %%)", what, got, want,
			 (got / want - 1) * 100);
}

/* What the kernel did before: one window, the TSC read after the read
 * that closes it. A stall in that read lands in the result. */
static double single_window_tsc_hz(uint64_t window_counts)
{
	uint64_t mask = (1ull << sim.bits) - 1;

	uint64_t r0 = sim_read(), t0 = __rdtsc(), elapsed = 0, prev = r0;
	/* The read that closes the window is the first at or past this. */
	sim.stall_at_ref = sim.last_count + window_counts;
	while (elapsed < window_counts) {
		uint64_t r = sim_read();
		elapsed += (r - prev) & mask;
		prev = r;
	}
	return (double)(__rdtsc() - t0) * (double)sim.hz / (double)elapsed;
}

/* The TSC against an HPET-like counter (100 MHz, 32 bits) every other
 * read of which stalls 3 ms: each end of each window is as likely as not
 * to be read in a stalled bracket. */
static void test_tsc_against_a_stalling_counter(void **state)
{
	const double truth = host_tsc_hz();

	sim_setup(100000000, 32, false, 0, 0, 3000);
	/* The stall is real: it throws a single-window measurement off by
	 * 3 ms in 20 ms (15 %, well past 5 %). */
	double naive = single_window_tsc_hz(2000000);
	if (naive > truth * 0.95 && naive < truth * 1.05)
		fail_msg("a stalled single window gave %.0f for %.0f: the stall"
			 " did not bite", naive, truth);

	sim_setup(100000000, 32, false, 2, 0, 3000);
	struct ref_clock c = {
		.read = sim_read, .hz = 100000000, .bits = 32,
		.max_gap_counts = 1u << 30,
	};
	uint64_t hz = ref_calibrate(&c, 0);
	assert_true(sim.stalls > 0);
	assert_close((double)hz, truth, "TSC against a stalling 100 MHz counter");
}

/* A PIT-like counter (1.193182 MHz, 16 bits, counting down: it wraps
 * every 55 ms) whose reads stall 70 ms after every 40 ms of normal
 * reads: a window that meets a stall sees a whole wrap go by unseen,
 * which only the gap check can notice. An estimate may be refused for
 * that (or for this process being descheduled as long on a busy
 * machine), and a calibration may give up (0), but no rate it gives may
 * be wrong; and of three, one must succeed. */
static void test_tsc_against_a_wrapping_counter(void **state)
{
	const double truth = host_tsc_hz();
	int measured = 0;

	for (int i = 0; i < 3; i++) {
		sim_setup(1193182, 16, true, 0, 40000000, 70000);
		struct ref_clock c = {
			.read = sim_read, .hz = 1193182, .bits = 16, .down = true,
			.max_gap_counts = 49152,     /* as tsc.c */
		};
		uint64_t hz = ref_calibrate(&c, 0);
		assert_true(sim.stalls > 0);
		if (hz) {
			assert_close((double)hz, truth,
				     "TSC against a wrapping 1.19 MHz counter");
			measured++;
		}
	}
	assert_true(measured > 0);
}

/* The other direction, as for the LAPIC timer: a counter of unknown rate
 * (62.5 MHz, 32 bits, down) against the known TSC, every other read of
 * it stalling 3 ms. */
static void test_counter_against_the_tsc(void **state)
{
	const double truth = host_tsc_hz();

	sim_setup(62500000, 32, true, 2, 0, 3000);
	struct ref_clock c = { .read = sim_read, .bits = 32, .down = true };
	uint64_t hz = ref_calibrate(&c, (uint64_t)truth);
	assert_true(sim.stalls > 0);
	assert_close((double)hz, 62500000.0, "a stalling 62.5 MHz timer");
}

/* A reference whose every read stalls: no estimate is good enough, and
 * the answer is "could not measure" (0) within the 2 s budget (plus
 * margin: the reads themselves take 1 ms each here), never a wrong rate
 * or a hang. */
static void test_unusable_counter_gives_up(void **state)
{
	sim_setup(62500000, 32, true, 1, 0, 1000);
	struct ref_clock c = { .read = sim_read, .bits = 32, .down = true };
	uint64_t t0 = mono_ns();
	uint64_t hz = ref_calibrate(&c, (uint64_t)host_tsc_hz());
	assert_int_equal(hz, 0);
	/* 2 s of windows; generous for a slow, loaded machine. */
	assert_true(mono_ns() - t0 < 20000000000ull);
}

RS_TEST_SUITE(refclock,
	cmocka_unit_test(test_tsc_against_a_stalling_counter),
	cmocka_unit_test(test_tsc_against_a_wrapping_counter),
	cmocka_unit_test(test_counter_against_the_tsc),
	cmocka_unit_test(test_unusable_counter_gives_up))
