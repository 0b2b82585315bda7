/*
 * test_symbols.c - crash frames with names (collector/symbolize.c, table
 * frames, the viewer's panic tooltip): the panic rip, the backtrace and
 * the vCPU rips read as function and file:line of the real kernel ELF.
 *
 * Expected names come from outside the code under test: the kernel's
 * source (the line of the call each frame returns into) for the QEMU
 * runs, and binutils' nm and addr2line for hand-made panic records.
 * Suite `symbols` needs only the built kernel ELF; `qemu_symbols` boots it.
 */
#include "testlib.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "draw.h"
#include "guest_trace.h"
#include "model.h"
#include "ringside_ring.h"
#include "test_collector.h"
#include "test_qemu.h"
#include "kernel_fixture.h"

#define CRASH_C "kernel/workloads/crash.c"
#define NOT_KERNEL 0xffffffff81234567ull  /* outside the kernel's text */

/* "FILE:LINE" binutils' addr2line gives `addr`, with FILE relative to the
 * source tree (addr2line prints the absolute path). */
static void addr2line(const char *kernel, uint64_t addr, char *out, size_t n)
{
	char *txt = NULL;
	int rc = rs_run(&txt, 30, "addr2line -e '%s' 0x%" PRIx64, kernel, addr);
	char *rel = txt ? strstr(txt, "/kernel/") : NULL;
	if (rc != 0 || !rel)
		fail_msg("addr2line 0x%" PRIx64 ": %s", addr, txt ? txt : "");
	snprintf(out, n, "%s", rel + 1);
	out[strcspn(out, " \n")] = '\0';
	free(txt);
}

/* The line of `file` (relative to the source tree, the tests' working
 * directory) holding `needle`; fails if there is not exactly one. */
static int src_line(const char *file, const char *needle)
{
	char *text = rs_read_file(file, NULL);
	assert_non_null(text);
	char *hit = strstr(text, needle);
	if (!hit || strstr(hit + 1, needle))
		fail_msg("%s: want one '%s'", file, needle);
	int line = 1;
	for (const char *p = text; p < hit; p++)
		line += *p == '\n';
	free(text);
	return line;
}

/* Does `ringside info --json` name a frame `function` at file:line? */
static int json_names(const char *js, const char *function,
		      const char *file_line)
{
	char want[400], file[300];
	snprintf(file, sizeof file, "%s", file_line);
	char *colon = strrchr(file, ':');
	assert_non_null(colon);
	*colon = '\0';
	snprintf(want, sizeof want, "\"function\": \"%s\", \"file\": \"%s\","
		 " \"line\": %s}", function, file, colon + 1);
	return strstr(js, want) != NULL;
}

/* A ring whose panic record is an exception in crash_level2 (rip exact),
 * returning into crash_level1, then into code that is not the kernel's. */
static char *ring_with_panic(const char *dir, uint64_t rip, uint64_t ret)
{
	char *ring = path_in(dir, "ring");
	struct rs_header *h = map_file(ring, RING_SIZE);
	init_region(h, RING_SIZE, 1, RS_MODE_OVERWRITE, 81);
	emit_range(h, 1, 0, 10, NULL);
	struct rs_panic *p = gt_panic_begin(h);
	assert_non_null(p);
	strcpy(p->reason, "exception 6 (#UD)");
	p->vector = 6;
	p->regs[RS_REG_RIP] = rip;
	p->backtrace_len = 3;
	p->backtrace[0] = rip;
	p->backtrace[1] = ret;
	p->backtrace[2] = NOT_KERNEL;
	gt_panic_commit(h, p);
	munmap(h, RING_SIZE);
	return ring;
}

static void test_collect_file_kernel_names_frames(void **state)
{
	const char *kernel = kernel_or_skip();
	char *dir = rs_tmpdir(), *out = NULL, rip_at[300], ret_at[300], want[600];
	uint64_t rip = nm_addr(kernel, "crash_level2");
	/* A return address names the call before it: one byte back. */
	uint64_t ret = nm_addr(kernel, "crash_level1") + 1;
	addr2line(kernel, rip, rip_at, sizeof rip_at);
	addr2line(kernel, ret - 1, ret_at, sizeof ret_at);
	char *ring = ring_with_panic(dir, rip, ret), *db = path_in(dir, "named.db");
	snprintf(want, sizeof want, "--kernel '%s'", kernel);
	if (collect(ring, db, want, &out) != 0)
		fail_msg("collect --kernel: %s", out);
	free(out);

	/* Stored: info needs no ELF to show them. */
	char *js = info_json(db);
	if (!json_names(js, "crash_level2", rip_at) ||
	    !json_names(js, "crash_level1", ret_at))
		fail_msg("want crash_level2 at %s, crash_level1 at %s: %s", rip_at,
			 ret_at, js);
	snprintf(want, sizeof want, "{\"addr\": \"0x%llx\", \"function\": null,"
		 " \"file\": null, \"line\": null}", NOT_KERNEL);
	assert_non_null(strstr(js, want));
	free(js);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM frames"), 4);
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s'", rs_bin("ringside"), db), 0);
	snprintf(want, sizeof want, "rip 0x%" PRIx64 " in crash_level2 (%s)", rip, rip_at);
	if (!strstr(out, want) || !strstr(out, "0xffffffff81234567 in ??"))
		fail_msg("want '%s' and ?? in: %s", want, out);
	free(out);

	/* The viewer shows the stored names in the panic tooltip. */
	char *tip = panic_tooltip(db);
	snprintf(want, sizeof want, "in crash_level2 (%s)", rip_at);
	if (!strstr(tip, want) || !strstr(tip, "crash_level1 (") ||
	    !strstr(tip, "0xffffffff81234567 ??"))
		fail_msg("tooltip lacks the names: %s", tip);
	free(tip);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_info_kernel_names_a_trace_stored_without(void **state)
{
	const char *kernel = kernel_or_skip();
	char *dir = rs_tmpdir(), *out = NULL, rip_at[300];
	uint64_t rip = nm_addr(kernel, "crash_level2");
	addr2line(kernel, rip, rip_at, sizeof rip_at);
	char *ring = ring_with_panic(dir, rip, nm_addr(kernel, "crash_level1") + 1);
	char *db = path_in(dir, "plain.db");
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	char *js = info_json(db);
	assert_non_null(strstr(js, "\"panic_frames\": null"));
	free(js);
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s' --json --kernel '%s'",
				rs_bin("ringside"), db, kernel), 0);
	if (!json_names(out, "crash_level2", rip_at))
		fail_msg("info --kernel: want crash_level2 at %s: %s", rip_at, out);
	free(out);
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s' --kernel '%s'",
				rs_bin("ringside"), db, kernel), 0);
	assert_non_null(strstr(out, "in crash_level2 ("));
	free(out);
	/* Print time only: the database is not written. */
	assert_int_equal(sql_int(db, "SELECT count(*) FROM frames"), 0);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Each bad --kernel: exit 1 and one line at once (a FIFO must not block:
 * the 30 s limit is far above the milliseconds a refusal takes), and a
 * collect refused so creates no database. */
static void test_bad_kernel_one_line(void **state)
{
	const char *kernel = kernel_or_skip();
	char *dir = rs_tmpdir(), *out = NULL, bad[8][4200];
	char *ring = make_ring(dir, "ring", RING_SIZE, 1, 10, RS_STATE_RUNNING);
	char *db = path_in(dir, "t.db"), *fresh = path_in(dir, "fresh.db");
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	size_t klen = 0;
	char *kbytes = rs_read_file(kernel, &klen);
	assert_true(klen > 4096);
	char *text = write_bytes(dir, "text", (const uint8_t *)"hello\n", 6);
	char *trunc = write_bytes(dir, "trunc.elf", (const uint8_t *)kbytes, 200);
	char *fifo = path_in(dir, "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	const char *paths[] = { "/nonexistent/kernel.elf", fifo, dir, "/dev/zero",
				text, trunc };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		snprintf(bad[0], sizeof bad[0], "'%s' collect 'file:%s' -o '%s'"
			 " --kernel '%s' 2>&1 >/dev/null", rs_bin("ringside"), ring,
			 fresh, paths[i]);
		snprintf(bad[1], sizeof bad[1], "'%s' info '%s' --kernel '%s'"
			 " 2>&1 >/dev/null", rs_bin("ringside"), db, paths[i]);
		snprintf(bad[2], sizeof bad[2], "'%s' run --workload crash -o '%s'"
			 " --kernel '%s' 2>&1 >/dev/null", rs_bin("ringside"), fresh,
			 paths[i]);
		for (int c = 0; c < 3; c++) {
			int rc = rs_run(&out, 30, "%s", bad[c]);
			if (rc != 1)
				fail_msg("%s: exit %d: %s", bad[c], rc, out ? out : "");
			assert_one_line(out);
			free(out);
			assert_false(exists(fresh));
		}
	}
	free(kbytes);
	free(text);
	free(trunc);
	free(fifo);
	free(ring);
	free(db);
	free(fresh);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(symbols,
	cmocka_unit_test(test_collect_file_kernel_names_frames),
	cmocka_unit_test(test_info_kernel_names_a_trace_stored_without),
	cmocka_unit_test(test_bad_kernel_one_line))

/* ---- under QEMU: what `ringside run` stores -------------------------- */

/* The crash workload's frames, each at the call it returns into. */
static void want_crash_frames(const char *js)
{
	static const struct { const char *fn, *call; } frames[] = {
		{ "crash_level2", "\tcrash_level3(rounds, fault);" },
		{ "crash_level1", "\tcrash_level2(rounds, fault);" },
		{ "run", "\tcrash_level1(rounds, fault);" },
		/* A tail of crash_run: only the call (ret - 1) has a line. */
		{ "crash_run", "return run(args, 0);" },
	};
	char at[300];
	/* panic()'s call spans two lines; either is the call. */
	int pl = src_line(CRASH_C, "panic(\"crash workload:");
	int ok = 0;
	for (int d = 0; d <= 1; d++) {
		snprintf(at, sizeof at, CRASH_C ":%d", pl + d);
		ok |= json_names(js, "crash_level3", at);
	}
	if (!ok)
		fail_msg("want crash_level3 at %s:%d: %s", CRASH_C, pl, js);
	for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
		snprintf(at, sizeof at, CRASH_C ":%d", src_line(CRASH_C, frames[i].call));
		if (!json_names(js, frames[i].fn, at))
			fail_msg("want %s at %s: %s", frames[i].fn, at, js);
	}
}

static void test_run_crash_frames_named(void **state)
{
	struct qrun q;
	char *out = NULL;

	qrun_begin(&q);
	char *core = path_in(q.dir, "crash.core"), *plain = path_in(q.dir, "plain.db");
	char *named = path_in(q.dir, "named.db");
	qrun(&q, "--workload crash --count 5 --dump '%s'", core);
	if (q.rc != 0)
		fail_msg("run: exit %d: %s", q.rc, q.out);
	/* run prints info: the frames with names. */
	if (!strstr(q.out, " in crash_level3 (" CRASH_C ":") ||
	    !strstr(q.out, " in crash_level2 (" CRASH_C ":"))
		fail_msg("run's summary lacks names: %s", q.out);
	char *js = info_json(q.db);
	want_crash_frames(js);
	/* The halted vCPU's rip is named too (somewhere in the kernel). */
	assert_non_null(strstr(js, "\"rip_frame\": {\"addr\": \"0x"));
	assert_null(strstr(js, "\"rip_frame\": null"));
	free(js);
	char *tip = panic_tooltip(q.db);
	if (!strstr(tip, "in crash_level3 (" CRASH_C ":"))
		fail_msg("tooltip: %s", tip);
	free(tip);

	/* The same boot from the dump: no names without --kernel ... */
	assert_int_equal(collect_core_file(core, plain, &out), 0);
	free(out);
	js = info_json(plain);
	assert_non_null(strstr(js, "\"panic_frames\": null"));
	free(js);
	/* ... info --kernel names them at print time ... */
	assert_int_equal(rs_run(&out, 30, "'%s' info '%s' --json --kernel '%s'",
				rs_bin("ringside"), plain, q.kernel), 0);
	want_crash_frames(out);
	free(out);
	/* ... and collect core: --kernel stores them, the core's vCPU too. */
	assert_int_equal(rs_run(&out, 60, "'%s' collect 'core:%s' -o '%s' --kernel '%s'",
				rs_bin("ringside"), core, named, q.kernel), 0);
	free(out);
	js = info_json(named);
	want_crash_frames(js);
	assert_null(strstr(js, "\"rip_frame\": null"));
	free(js);
	free(core);
	free(plain);
	free(named);
	qrun_end(&q);
}

/* An exception's rip is the faulting instruction itself, not a return
 * address: the store in poke(). */
static void test_run_pagefault_frame_named(void **state)
{
	struct qrun q;
	char at[300];

	qrun_begin(&q);
	qrun(&q, "--workload pagefault");
	if (q.rc != 0)
		fail_msg("run: exit %d: %s", q.rc, q.out);
	snprintf(at, sizeof at, "kernel/workloads/faults.c:%d",
		 src_line("kernel/workloads/faults.c", "*(volatile uint64_t *)addr = v;"));
	char *js = info_json(q.db);
	if (!json_names(js, "poke", at))
		fail_msg("want poke at %s: %s", at, js);
	free(js);
	qrun_end(&q);
}

RS_TEST_SUITE(qemu_symbols,
	cmocka_unit_test(test_run_crash_frames_named),
	cmocka_unit_test(test_run_pagefault_frame_named))
