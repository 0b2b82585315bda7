/*
 * test_pvh_smp.c - the bare-metal kernel bringing up its other CPUs under
 * QEMU TCG (kernel/platform/pvh/smp.c), checked at the platform level:
 * with `smptest` on the command line the platform starts every AP itself
 * (smptest.c); each says it is online, has a TSC in step with CPU 0's
 * (bracketed; RING.md, "Several CPUs", wants one counter for all CPUs),
 * ticks, takes an IPI, and is stopped by the panic path's NMI (CPU 1
 * while it spins with interrupts off, the others in their idle loop);
 * the last AP sends CPU 0 an IPI, and from 3 CPUs on it is an AP that
 * stops the others, CPU 0 included. All of it read from the console,
 * with -smp 1, 2 and 4. And a plain workload on -smp 4 runs as on one
 * CPU (the core does not start the APs yet) and exits cleanly.
 *
 * QEMU is started directly, with `ringside run`'s flags (collector/
 * qemu.c) plus -smp. Its wait is bounded by progress: as long as the
 * console grows the guest is alive; 60 s without a new byte (a boot takes
 * about 1 s here, and CI is 2.5x slower on a loaded host) or 300 s in all
 * fail the test.
 */
#include "testlib.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_collector.h"
#include "test_qemu.h"

#define STALL_SECS 60.0
#define TOTAL_SECS 300.0

/* Boots the kernel on `ncpus` CPUs with `append`; returns QEMU's exit
 * status (isa-debug-exit: guest status s gives 2s + 1) and the console
 * in *console (malloc'd). */
static int boot(const struct qrun *q, unsigned ncpus, const char *append,
		char **console)
{
	char smp[16], log[4200], con[4300];

	snprintf(smp, sizeof(smp), "%u", ncpus);
	snprintf(log, sizeof(log), "%s/console-%u.log", q->dir, ncpus);
	snprintf(con, sizeof(con), "file:%s", log);
	unlink(log);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("qemu-system-x86_64", "qemu-system-x86_64",
		       "-accel", "tcg", "-display", "none", "-vga", "none",
		       "-nodefaults", "-machine", "q35", "-m", "64M",
		       "-no-reboot", "-smp", smp,
		       "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		       "-device", "pvpanic",
		       "-action", "reboot=shutdown,shutdown=pause,panic=pause",
		       "-debugcon", con, "-kernel", q->kernel,
		       "-append", append, (char *)NULL);
		_exit(127);
	}
	double start = now_secs(), last = start;
	off_t size = -1;
	int status = 0;
	pid_t r;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		struct stat st;
		double now = now_secs();
		if (stat(log, &st) == 0 && st.st_size != size) {
			size = st.st_size;
			last = now;
		}
		if (now - last > STALL_SECS || now - start > TOTAL_SECS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			*console = rs_read_file(log, NULL);
			fail_msg("-smp %u '%s': no progress for %.0f s (%.0f s in "
				 "all); console:\n%s", ncpus, append, now - last,
				 now - start, *console ? *console : "(none)");
		}
		usleep(50 * 1000);
	}
	assert_int_equal(r, pid);
	*console = rs_read_file(log, NULL);
	assert_non_null(*console);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void expect_line(const char *console, const char *line)
{
	char want[200];

	snprintf(want, sizeof(want), "%s\n", line);
	if (!strstr(console, want))
		fail_msg("no line '%s' on the console:\n%s", line, console);
}

/* The tick count the console gives for `cpu`, -1 if none. */
static long ticks_of(const char *console, unsigned cpu)
{
	char key[40];

	snprintf(key, sizeof(key), "smp: cpu %u ticks ", cpu);
	const char *p = strstr(console, key);
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static void selftest(unsigned ncpus)
{
	struct qrun q;
	char *console = NULL, line[120];

	qrun_begin(&q);
	int rc = boot(&q, ncpus, "smptest", &console);
	if (rc != 1)
		fail_msg("-smp %u: QEMU exit %d (want 1: guest status 0); "
			 "console:\n%s", ncpus, rc, console);
	snprintf(line, sizeof(line), "smp: %u of %u CPUs online", ncpus, ncpus);
	expect_line(console, line);
	/* Who stops the others: the last AP from 3 CPUs on, else CPU 0. */
	unsigned stopper = ncpus >= 3 ? ncpus - 1 : 0;
	snprintf(line, sizeof(line), "smp: cpu %u stops the others", stopper);
	if (ncpus > 1)
		expect_line(console, line);
	if (ncpus > 1) {
		snprintf(line, sizeof(line), "smp: cpu 0 took the IPI from cpu %u",
			 ncpus - 1);
		expect_line(console, line);
	}
	for (unsigned i = 0; i < ncpus; i++) {
		if (i != stopper && ncpus > 1) {
			snprintf(line, sizeof(line), "smp: cpu %u stopped at rip ", i);
			const char *at = strstr(console, line);
			if (!at)
				fail_msg("cpu %u not stopped:\n%s", i, console);
			/* The NMI stops a CPU that has interrupts off. */
			if (i == 1 && strncmp(strchr(at, ','), ", interrupts off\n", 17))
				fail_msg("cpu 1 not stopped in its spin:\n%s",
					 console);
		}
		/* QEMU numbers the APIC ids of -smp N's CPUs 0..N-1. */
		if (i > 0) {
			snprintf(line, sizeof(line), "cpu %u online (apic %u)",
				 i, i);
			expect_line(console, line);
			snprintf(line, sizeof(line), "smp: cpu %u took the IPI", i);
			expect_line(console, line);
			/* QEMU's TSCs all follow the host's. */
			snprintf(line, sizeof(line), "smp: cpu %u tsc in step with "
				 "cpu 0's", i);
			if (!strstr(console, line))
				fail_msg("cpu %u: TSC not in step:\n%s", i, console);
		}
		if (ticks_of(console, i) < 10)
			fail_msg("cpu %u: under 10 ticks:\n%s", i, console);
	}
	/* Nothing of the sort on one CPU. */
	snprintf(line, sizeof(line), "cpu %u online", ncpus);
	assert_null(strstr(console, line));
	expect_line(console, "smp: selftest passed");
	free(console);
	qrun_end(&q);
}

static void test_smp_1(void **state)
{
	selftest(1);
}

static void test_smp_2(void **state)
{
	selftest(2);
}

static void test_smp_4(void **state)
{
	selftest(4);
}

/* A workload on 4 CPUs: counted, the APs left parked, a clean exit. */
static void test_workload_on_4(void **state)
{
	struct qrun q;
	char *console = NULL;

	qrun_begin(&q);
	int rc = boot(&q, 4, "workload=pingpong count=20", &console);
	if (rc != 1)
		fail_msg("QEMU exit %d; console:\n%s", rc, console);
	expect_line(console, "pvh: smp: 4 CPUs in the MADT");
	if (!strstr(console, "workload 'pingpong' finished, status 0"))
		fail_msg("pingpong did not finish:\n%s", console);
	assert_null(strstr(console, "online (apic"));
	free(console);
	qrun_end(&q);
}

RS_TEST_SUITE(pvh_smp,
	cmocka_unit_test(test_smp_1),
	cmocka_unit_test(test_smp_2),
	cmocka_unit_test(test_smp_4),
	cmocka_unit_test(test_workload_on_4))
