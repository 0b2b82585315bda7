/*
 * test_qemu_checks.c - what `ringside run` refuses before it boots
 * anything (an unknown workload, a ring size the guest would not take, a
 * database it could not write, a --dump that would overwrite a file), and
 * --dump's promise: a dump asked for and not written fails the run.
 *
 * The refusals run with --qemu pointing at a stand-in that only leaves a
 * mark and fails: "no QEMU was started" is then a fact the test reads
 * (the mark is absent), not a guess from timing.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_cmdline.h"
#include "test_collector.h"
#include "test_qemu.h"

/* A stand-in QEMU in q's dir that marks it ran; returns the mark's path. */
static char *fake_qemu(struct qrun *q, char **qemu)
{
	char *mark = path_in(q->dir, "qemu-started");
	char script[4400];

	*qemu = path_in(q->dir, "fake-qemu");
	snprintf(script, sizeof(script), "#!/bin/sh\n: > '%s'\nexit 1\n", mark);
	free(write_bytes(q->dir, "fake-qemu", (const uint8_t *)script,
			 strlen(script)));
	assert_int_equal(chmod(*qemu, 0755), 0);
	return mark;
}

/* `run ARGS` with the stand-in QEMU must be refused (exit `want`) with one
 * line holding `needle`, and no QEMU may have started. */
static void expect_refused(struct qrun *q, int want, const char *args,
			   const char *needle)
{
	char *qemu, *mark = fake_qemu(q, &qemu);

	qrun(q, "--qemu '%s' %s", qemu, args);
	if (q->rc != want || !strstr(q->out, needle))
		fail_msg("run %s: exit %d (want %d, with '%s'): %s", args,
			 q->rc, want, needle, q->out);
	assert_one_line(q->out);
	if (exists(mark))
		fail_msg("run %s: QEMU was started before the refusal: %s", args,
			 q->out);
	free(mark);
	free(qemu);
}

/* An unknown workload is a usage error before QEMU, with the names the
 * kernel has; formerly the guest booted and "never published a ring". */
static void test_run_unknown_workload(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	expect_refused(&q, 2, "--workload nosuch", "'nosuch'");
	expect_refused(&q, 2, "--workload 'demo quiet'", "one of pingpong");
	assert_false(exists(q.db));
	qrun_end(&q);   /* also: no /dev/shm file, no QEMU of ours */
}

/* The names `run` accepts are the names the kernel has: the hosted
 * kernel's --help lists its table, `run` lists guest_cmdline.h's. */
static void test_run_workload_names_are_the_kernels(void **state)
{
	char *out = NULL, known[512] = "";
	size_t at = 0;

#define APPEND_NAME(w) at += (size_t)snprintf(known + at, sizeof(known) - at, " %s", #w);
	RS_WORKLOADS(APPEND_NAME)
#undef APPEND_NAME
	assert_true(at < sizeof(known));
	assert_int_equal(rs_run(&out, 30, "'%s' --help", rs_bin("ringside-hosted")), 0);
	char want[600];
	snprintf(want, sizeof(want), "workloads:%s\n", known);
	if (!strstr(out, want))
		fail_msg("the kernel's workloads differ from guest_cmdline.h's"
			 " (%s): %s", known, out);
	free(out);
	assert_int_equal(rs_run(&out, 30, "'%s' run --workload nosuch -o x.db 2>&1",
				rs_bin("ringside")), 2);
	snprintf(want, sizeof(want), "one of%s, not 'nosuch'", known);
	if (!strstr(out, want))
		fail_msg("run does not list the kernel's workloads (%s): %s", known, out);
	free(out);
}

/* --ring-pages follows the guest's rule (guest_cmdline.h), with its
 * message; 4 boots (test_run_dump_after_clean_exit_fails). */
static void test_run_ring_pages_rule(void **state)
{
	static const char *const bad[] = { "2", "3", "0", "6", "65537", "131072",
					   "262144", "4.5", "-4" };
	char args[100];
	struct qrun q;

	qrun_begin(&q);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), "--workload demo --ring-pages %s", bad[i]);
		expect_refused(&q, 2, args, "a power of two from 4 to 65536");
	}
	qrun_end(&q);
}

/* --smp N is 1 to 16 (the ring's CPU slots), refused before QEMU. */
static void test_run_smp_rule(void **state)
{
	static const char *const bad[] = { "0", "17", "-1", "2.5", "four" };
	char args[100];
	struct qrun q;

	qrun_begin(&q);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), "--workload demo --smp %s", bad[i]);
		expect_refused(&q, 2, args, "--smp wants an integer from 1 to 16");
	}
	qrun_end(&q);
}

/* The QEMU that `run` starts gets -smp N: a stand-in QEMU writes down
 * its arguments (and fails, so nothing boots). Without --smp, 1. */
static void test_run_smp_reaches_qemu(void **state)
{
	static const struct { const char *opt, *want; } cases[] = {
		{ "--smp 4", " -smp 4 " }, { "--smp 16", " -smp 16 " },
		{ "", " -smp 1 " },
	};
	struct qrun q;

	qrun_begin(&q);
	char *args = path_in(q.dir, "qemu-args"), *qemu = NULL;
	char script[4400];
	snprintf(script, sizeof(script), "#!/bin/sh\necho \" $* \" > '%s'\nexit 1\n",
		 args);
	free(write_bytes(q.dir, "args-qemu", (const uint8_t *)script,
			 strlen(script)));
	qemu = path_in(q.dir, "args-qemu");
	assert_int_equal(chmod(qemu, 0755), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unlink(args);
		qrun(&q, "--qemu '%s' --workload demo %s", qemu, cases[i].opt);
		char *out = NULL;
		assert_int_equal(rs_run(&out, 10, "cat '%s'", args), 0);
		if (!strstr(out, cases[i].want))
			fail_msg("run %s: QEMU got%s(want '%s')", cases[i].opt,
				 out, cases[i].want);
		free(out);
	}
	free(qemu);
	free(args);
	qrun_end(&q);
}

/* The guest parses ring_pages= by the same rule: booted by hand (no
 * `run` in between), a value outside it stops the kernel with the rule's
 * message (isa-debug-exit status 2: QEMU exits 5), the smallest inside it
 * boots and exits cleanly (status 0: QEMU exits 1). */
static void test_kernel_ring_pages_rule(void **state)
{
	const struct { unsigned pages; int qemu_status; } cases[] = {
		{ RS_RING_PAGES_MIN / 2, 5 }, { RS_RING_PAGES_MAX * 2, 5 },
		{ RS_RING_PAGES_MIN + 1, 5 }, { RS_RING_PAGES_MIN, 1 },
	};
	struct qrun q;

	qrun_begin(&q);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		int rc = rs_run(&out, 60, "cd '%s' && rm -f guest.log &&"
				" qemu-system-x86_64 -accel tcg -display none -vga none"
				" -nodefaults -m 64M -no-reboot -kernel '%s'"
				" -append 'workload=pingpong count=3 ring_pages=%u'"
				" -debugcon file:guest.log"
				" -device isa-debug-exit,iobase=0xf4,iosize=0x04 2>&1;"
				" r=$?; cat guest.log; exit $r", q.dir, q.kernel,
				cases[i].pages);
		int refused = strstr(out, "ring_pages must be a power of two from 4"
				     " to 65536") != NULL;
		if (rc != cases[i].qemu_status || refused != (rc == 5))
			fail_msg("ring_pages=%u: QEMU exit %d (want %d): %s",
				 cases[i].pages, rc, cases[i].qemu_status, out);
		free(out);
	}
	qrun_end(&q);
}

/* The hosted kernel's --ring-pages follows the same rule. */
static void test_hosted_ring_pages_rule(void **state)
{
	const struct { unsigned pages; int status; } cases[] = {
		{ RS_RING_PAGES_MIN / 2, 2 }, { RS_RING_PAGES_MIN + 2, 2 },
		{ RS_RING_PAGES_MAX + 1, 2 }, { RS_RING_PAGES_MAX * 2, 2 },
		{ RS_RING_PAGES_MIN, 0 },
	};
	char *dir = rs_tmpdir(), *ring = path_in(dir, "r");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		int rc = rs_run(&out, 60, "'%s' --workload pingpong --count 3"
				" --ring '%s' --ring-pages %u --quiet",
				rs_bin("ringside-hosted"), ring, cases[i].pages);
		if (rc != cases[i].status ||
		    (rc == 2) != !!strstr(out, "a power of two from 4 to 65536"))
			fail_msg("ringside-hosted --ring-pages %u: exit %d (want %d): %s",
				 cases[i].pages, rc, cases[i].status, out);
		free(out);
		unlink(ring);
	}
	free(ring);
	rs_tmpdir_cleanup(dir);
}

/* -o is opened (or, absent, created and removed) before boot. */
static void test_run_checks_output_before_boot(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	char *db = q.db;
	/* A SQLite file that is not ours: refused, and left as it was. */
	char *foreign = path_in(q.dir, "foreign.db");
	sqlite3 *f;
	assert_int_equal(sqlite3_open(foreign, &f), SQLITE_OK);
	assert_int_equal(sqlite3_exec(f, "CREATE TABLE mine (x)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(f);
	size_t before_len, after_len;
	char *before = rs_read_file(foreign, &before_len);
	q.db = foreign;
	expect_refused(&q, 1, "--workload demo", "not a ringside");
	char *after = rs_read_file(foreign, &after_len);
	assert_true(before_len == after_len && !memcmp(before, after, before_len));
	/* A directory; a path through a regular file; a missing directory. */
	q.db = q.dir;
	expect_refused(&q, 1, "--workload demo", q.dir);
	char *through = path_in(foreign, "t.db"), *missing = path_in(q.dir, "no/t.db");
	q.db = through;
	expect_refused(&q, 1, "--workload demo", through);
	q.db = missing;
	expect_refused(&q, 1, "--workload demo", missing);
	/* Ours, but another process holds its write lock: refused once the
	 * store's busy timeout (5 s) runs out. 60 s is 12x that, for a host
	 * 2.5x slower than ours and loaded; without the check a QEMU starts. */
	char *ours = rs_make_trace(q.dir, "pingpong", 5, 0);
	sqlite3 *lock;
	assert_int_equal(sqlite3_open(ours, &lock), SQLITE_OK);
	assert_int_equal(sqlite3_exec(lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
			 SQLITE_OK);
	q.db = ours;
	expect_refused(&q, 1, "--workload demo", ours);
	assert_true(q.secs < 60);
	sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(lock);
	q.db = db;
	assert_false(exists(db));
	free(ours);
	free(through);
	free(missing);
	free(before);
	free(after);
	free(foreign);
	qrun_end(&q);
}

/* An existing --dump file is refused before boot; --force-dump replaces
 * it with the core. */
static void test_run_dump_refuses_existing_file(void **state)
{
	struct qrun q;
	char args[4400];

	qrun_begin(&q);
	char *core = write_bytes(q.dir, "old.core", (const uint8_t *)"keep me", 7);
	snprintf(args, sizeof(args), "--workload crash --count 5 --dump '%s'", core);
	expect_refused(&q, 1, args, "--force-dump");
	char *kept = rs_read_file(core, NULL);
	assert_string_equal(kept, "keep me");
	free(kept);
	assert_false(exists(q.db));

	qrun(&q, "%s --force-dump", args);
	if (q.rc != 0)
		fail_msg("--force-dump: exit %d: %s", q.rc, q.out);
	size_t len = 0;
	char *dump = rs_read_file(core, &len);
	assert_true(len > 4 && memcmp(dump, "\177ELF", 4) == 0);
	free(dump);
	free(core);
	qrun_end(&q);
}

/* A guest that exits takes QEMU with it: no dump, and so the run fails,
 * saying why, while the trace is kept. Also boots the smallest ring the
 * rule allows (--ring-pages 4). */
static void test_run_dump_after_clean_exit_fails(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	char *core = path_in(q.dir, "c.core");
	qrun(&q, "--workload pingpong --count 5 --ring-pages 4 --dump '%s'", core);
	if (q.rc != 1 || !strstr(q.out, "not written: the guest exited"))
		fail_msg("--dump after a clean exit: exit %d (want 1): %s", q.rc,
			 q.out);
	assert_false(exists(core));
	char *js = info_json(q.db);
	if (!json_has(js, "guest_state", "\"exited\""))
		fail_msg("want exited: %s\n%s", js, q.out);
	free(js);
	free(core);
	qrun_end(&q);
}

RS_TEST_SUITE(qemu_checks,
	cmocka_unit_test(test_run_unknown_workload),
	cmocka_unit_test(test_run_workload_names_are_the_kernels),
	cmocka_unit_test(test_run_ring_pages_rule),
	cmocka_unit_test(test_run_smp_rule),
	cmocka_unit_test(test_run_smp_reaches_qemu),
	cmocka_unit_test(test_kernel_ring_pages_rule),
	cmocka_unit_test(test_hosted_ring_pages_rule),
	cmocka_unit_test(test_run_checks_output_before_boot),
	cmocka_unit_test(test_run_dump_refuses_existing_file),
	cmocka_unit_test(test_run_dump_after_clean_exit_fails))
