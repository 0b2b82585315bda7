/*
 * test_panic_cpus.c - every CPU's registers as the guest's own panic path
 * recorded them (the register page, RING.md "Several CPUs"), through the
 * collector: rows of table panic_cpus, `ringside info` text and JSON, the
 * rips named from the kernel ELF (frames kind cpu_rip), the viewer's
 * panic tooltip. The rings are written by the real guest-trace writer.
 * A slot whose state the contract does not define is not stored.
 */
#include "testlib.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "draw.h"
#include "guest_trace.h"
#include "model.h"
#include "test_collector.h"
#include "test_qemu.h"
#include "kernel_fixture.h"

#define HZ 2000000000ull
#define AT_1_5_S (HZ + HZ / 2)  /* ticks after boot: 1.5 s */

/* CPU `cpu`'s registers: each distinct, rip and rsp as given. */
static void cpu_regs(uint64_t regs[RS_REG_COUNT], unsigned cpu, uint64_t rip)
{
	for (int i = 0; i < RS_REG_COUNT; i++)
		regs[i] = 0x1000u * (cpu + 1) + (uint64_t)i;
	regs[RS_REG_RIP] = rip;
	regs[RS_REG_RSP] = 0x7000000ull + cpu * 0x1000u;
}

/*
 * A ring of `ncpus` CPUs with the register page asked for: events, then
 * a software panic on the last CPU but one (CPU 2 of 4), which stops the
 * others: CPUs 0 and 1 stopped at rips[0], rips[1], CPU 3 does not
 * answer, CPU 2 is the one that panicked (at rips[2]). With one CPU, the
 * writer gives no page and only the panic record is there. `odd_state`,
 * when not 0, is written as CPU 1's state instead.
 */
static char *ring_with_panic_cpus(const char *dir, uint32_t ncpus,
				  const uint64_t rips[3], uint32_t odd_state)
{
	char *ring = path_in(dir, "ring");
	struct rs_header *h = map_file(ring, RING_SIZE);
	uint64_t boot = gt_rdtsc();
	struct gt_config cfg = {
		.region_size = RING_SIZE, .ncpus = ncpus, .nonce = 0x9a41c,
		.mode = RS_MODE_OVERWRITE, .tsc_hz = HZ, .boot_tsc = boot,
		.cpu_regs = 1,
	};
	assert_int_equal(gt_region_init(h, &cfg), 0);
	gt_set_state(h, RS_STATE_RUNNING);
	emit_range(h, ncpus, 0, 40, NULL);
	unsigned panicked = ncpus > 1 ? 2 : 0;
	uint64_t regs[RS_REG_COUNT];
	struct rs_panic *p = gt_panic_begin(h);
	assert_non_null(p);
	strcpy(p->reason, "assertion failed");
	p->cpu = panicked;
	p->vector = RS_PANIC_VECTOR_NONE;
	p->tsc = boot + AT_1_5_S;
	cpu_regs(regs, panicked, rips[2]);
	memcpy(p->regs, regs, sizeof regs);
	if (ncpus > 1) {
		for (unsigned c = 0; c < 2; c++) {
			cpu_regs(regs, c, rips[c]);
			assert_int_equal(gt_cpu_regs_set(h, c, c == 1 && odd_state ?
							 odd_state : RS_CPU_REGS_STOPPED,
							 boot + AT_1_5_S + c, regs), 0);
		}
		assert_int_equal(gt_cpu_regs_set(h, 3, RS_CPU_REGS_NO_ANSWER,
						 boot + AT_1_5_S + 3, NULL), 0);
		cpu_regs(regs, 2, rips[2]);
		assert_int_equal(gt_cpu_regs_set(h, 2, RS_CPU_REGS_PANICKED,
						 boot + AT_1_5_S, regs), 0);
	} else {
		/* one CPU: no page to write into */
		assert_int_equal(gt_cpu_regs_set(h, 0, RS_CPU_REGS_PANICKED,
						 boot + AT_1_5_S, regs), -1);
	}
	gt_panic_commit(h, p);
	munmap(h, RING_SIZE);
	return ring;
}

static const uint64_t plain_rips[3] = { 0xffffffff80101000ull,
					0xffffffff80102000ull,
					0xffffffff80103000ull };

/* SELECT `what` FROM panic_cpus for `cpu`, as an integer. */
static int64_t cpu_int(const char *db, unsigned cpu, const char *what)
{
	char sql[300];
	snprintf(sql, sizeof sql, "SELECT %s FROM panic_cpus WHERE cpu = %u",
		 what, cpu);
	return sql_int(db, sql);
}

static void assert_rows(const char *db)
{
	assert_int_equal(sql_int(db, "SELECT count(*) FROM panic_cpus"), 4);
	assert_int_equal(cpu_int(db, 0, "state = 'stopped'"), 1);
	assert_int_equal(cpu_int(db, 1, "state = 'stopped'"), 1);
	assert_int_equal(cpu_int(db, 2, "state = 'panicked'"), 1);
	assert_int_equal(cpu_int(db, 3, "state = 'no answer'"), 1);
	assert_int_equal(cpu_int(db, 3, "regs IS NULL"), 1);
	assert_int_equal(cpu_int(db, 0, "ts_ns"), 1500000000);
	assert_int_equal(cpu_int(db, 2, "ts_ns"), 1500000000);
	for (unsigned c = 0; c < 3; c++) {
		char want[100];
		snprintf(want, sizeof want, "json_extract(regs, '$.rip') = '0x%"
			 PRIx64 "'", plain_rips[c]);
		assert_int_equal(cpu_int(db, c, want), 1);
	}
	assert_int_equal(cpu_int(db, 1, "json_extract(regs, '$.rax') = '0x2000'"), 1);
	/* the panic record says which CPU panicked */
	assert_int_equal(sql_int(db, "SELECT panic_cpu FROM trace"), 2);
}

/* Four CPUs, a panic on CPU 2: one row each, shown under the panic. */
static void test_panic_cpus_stored_and_shown(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = ring_with_panic_cpus(dir, 4, plain_rips, 0);
	char *db = path_in(dir, "t.db");

	/* twice: each poll writes the same rows again, never a second set */
	for (int i = 0; i < 2; i++) {
		if (collect(ring, db, NULL, &out) != 0)
			fail_msg("collect: %s", out);
		free(out);
		assert_rows(db);
	}
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s'", rs_bin("ringside"), db), 0);
	if (getenv("RS_SHOW"))
		fprintf(stderr, "%s\n", out);
	const char *lines[] = {
		"    cpus:\n"
		"      cpu 0 (stopped by the panic at 1.500000000 s):"
		" rip=0xffffffff80101000 rsp=0x7000000\n"
		"      cpu 1 (stopped by the panic at 1.500000000 s):"
		" rip=0xffffffff80102000 rsp=0x7001000\n"
		"      cpu 2 (panicked at 1.500000000 s):"
		" rip=0xffffffff80103000 rsp=0x7002000\n"
		"      cpu 3 (did not answer the stop at 1.500000001 s):"
		" no registers\n",
		"  panic: assertion failed\n",
		", cpu 2\n",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (!strstr(out, lines[i]))
			fail_msg("info lacks '%s': %s", lines[i], out);
	/* the cpus come under the panic */
	assert_true(strstr(out, "  panic: ") < strstr(out, "    cpus:"));
	free(out);
	char *js = info_json(db);
	const char *keys[] = {
		"\"panic_cpus\": [{\"cpu\": 0, \"state\": \"stopped\", \"ts_ns\":"
		" 1500000000, \"regs\": {\"rax\": \"0x1000\", ",
		"\"rip\": \"0xffffffff80101000\", ",
		"{\"cpu\": 1, \"state\": \"stopped\", \"ts_ns\": 1500000000, \"regs\":"
		" {\"rax\": \"0x2000\", ",
		"{\"cpu\": 2, \"state\": \"panicked\", \"ts_ns\": 1500000000, ",
		"{\"cpu\": 3, \"state\": \"no answer\", \"ts_ns\": 1500000001,"
		" \"regs\": null, \"rip_frame\": null}]",
		/* no kernel ELF known: no names */
		"\"rip\": \"0xffffffff80102000\", \"rflags\": \"0x2011\", \"cs\":"
		" \"0x2012\", \"ss\": \"0x2013\"}, \"rip_frame\": null}",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strstr(js, keys[i]))
			fail_msg("info --json lacks '%s': %s", keys[i], js);
	assert_int_equal(json_int(js, "panic_cpu"), 2);
	free(js);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* One CPU: no register page, so nothing beyond the panic record. */
static void test_panic_cpus_none_on_one_cpu(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = ring_with_panic_cpus(dir, 1, plain_rips, 0);
	char *db = path_in(dir, "t.db");

	if (collect(ring, db, NULL, &out) != 0)
		fail_msg("collect: %s", out);
	free(out);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM panic_cpus"), 0);
	char *js = info_json(db);
	if (!strstr(js, "\"panic_cpus\": []") || !json_has(js, "panic_cpu", "0"))
		fail_msg("info --json: %s", js);
	free(js);
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s'", rs_bin("ringside"), db), 0);
	if (!strstr(out, "  panic: assertion failed") || strstr(out, "cpus:"))
		fail_msg("info: %s", out);
	free(out);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* A state the contract does not define (77) says nothing we can read:
 * that CPU has no row, the others are stored as usual. */
static void test_panic_cpus_unknown_state_not_stored(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = ring_with_panic_cpus(dir, 4, plain_rips, 77);
	char *db = path_in(dir, "t.db");

	if (collect(ring, db, NULL, &out) != 0)
		fail_msg("collect: %s", out);
	free(out);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM panic_cpus"), 3);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM panic_cpus WHERE cpu = 1"), 0);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM panic_cpus WHERE state"
				 " NOT IN ('stopped', 'no answer', 'panicked')"), 0);
	assert_int_equal(cpu_int(db, 0, "state = 'stopped'"), 1);
	char *js = info_json(db);
	if (strstr(js, "\"cpu\": 1, \"state\""))
		fail_msg("info --json shows cpu 1: %s", js);
	free(js);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/*
 * The rips named from the kernel ELF: by info --kernel at print time,
 * and stored when collect knows it, into a database whose frames table
 * predates kind cpu_rip (its check is widened in place): info names them
 * without the ELF, and so does the viewer's panic tooltip, a line a CPU.
 */
static void test_panic_cpus_named(void **state)
{
	const char *kernel = kernel_or_skip();
	char *dir = rs_tmpdir(), *out = NULL, extra[400];
	/* A stopped CPU's rip is where the stop found it: exact. The CPU
	 * that panicked in software recorded a return address, named (as
	 * the panic record's rip) by the call before it. */
	const uint64_t rips[3] = { nm_addr(kernel, "crash_level2"),
				   nm_addr(kernel, "crash_level1"),
				   nm_addr(kernel, "crash_level1") + 1 };
	char *ring = ring_with_panic_cpus(dir, 4, rips, 0);
	char *db = path_in(dir, "t.db");

	/* stored without names: info --kernel names them at print time */
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	char want[300];
	snprintf(want, sizeof want, "      cpu 1 (stopped by the panic at 1.500000000 s):"
		 " rip=0x%" PRIx64 " rsp=0x7001000 in crash_level1 (", rips[1]);
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s' --kernel '%s'",
				rs_bin("ringside"), db, kernel), 0);
	if (!strstr(out, want))
		fail_msg("info --kernel lacks '%s': %s", want, out);
	free(out);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM frames"), 0);

	/* an older database: its frames check without cpu_rip */
	assert_int_equal(rs_run(&out, 30, "sqlite3 '%s' \"PRAGMA writable_schema = ON;"
				" UPDATE sqlite_master SET sql = replace(sql,"
				" ' OR kind = ''cpu_rip''', '') WHERE name = 'frames';"
				" PRAGMA writable_schema = OFF;\"", db), 0);
	free(out);
	assert_int_equal(sql_int(db, "SELECT instr(sql, '''cpu_rip''') FROM"
				 " sqlite_master WHERE name = 'frames'"), 0);
	snprintf(extra, sizeof extra, "--kernel '%s'", kernel);
	if (collect(ring, db, extra, &out) != 0)
		fail_msg("collect --kernel: %s", out);
	free(out);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM frames WHERE kind = 'cpu_rip'"
				 " AND function IS NOT NULL"), 3);

	assert_int_equal(rs_run(&out, 30, "'%s' info '%s'", rs_bin("ringside"), db), 0);
	if (!strstr(out, want) || !strstr(out, "      cpu 0 (stopped by the panic"
					  " at 1.500000000 s): rip=") ||
	    !strstr(out, "rsp=0x7000000 in crash_level2 (") ||
	    !strstr(out, "rsp=0x7002000 in crash_level1 ("))
		fail_msg("info lacks '%s': %s", want, out);
	free(out);
	char *js = info_json(db);
	if (!strstr(js, "\"rip_frame\": {\"addr\": \"0x") ||
	    !strstr(js, "\"function\": \"crash_level1\""))
		fail_msg("info --json: %s", js);
	free(js);

	char *tip = panic_tooltip(db);
	if (getenv("RS_SHOW"))
		fprintf(stderr, "%s\n", tip);
	snprintf(want, sizeof want, "cpu 1: stopped at rip 0x%" PRIx64
		 " in crash_level1 (", rips[1]);
	if (!strstr(tip, want) || !strstr(tip, "cpu 3: no answer\n") ||
	    !strstr(tip, "cpu 2: panicked at rip ") ||
	    !strstr(tip, "cpu 0: stopped at rip ") || !strstr(tip, "in crash_level2 ("))
		fail_msg("tooltip lacks '%s': %s", want, tip);
	free(tip);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(panic_cpus,
	cmocka_unit_test(test_panic_cpus_stored_and_shown),
	cmocka_unit_test(test_panic_cpus_none_on_one_cpu),
	cmocka_unit_test(test_panic_cpus_unknown_state_not_stored),
	cmocka_unit_test(test_panic_cpus_named))
