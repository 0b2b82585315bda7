/*
 * test_export_smp.c - the exporters on a guest of four CPUs (the story of
 * smp_fixture.h, written by the real writer and collected): CTF keeps one
 * stream per CPU, each holding that CPU's records and saying which CPU it
 * is (babeltrace2 reads them), and Chrome JSON has a track per CPU (pid 2,
 * tid = the CPU, named "cpu N") with what ran there, and migrations and
 * IPIs as instants on the CPUs' tracks.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smp_fixture.h"
#include "test_collector.h"

/* Occurrences of `needle` in `s`. */
static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_ctf_stream_per_cpu(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_smp_fixture(dir, 0), *out = NULL;

	assert_int_equal(rs_run(&out, 60, "'%s' export '%s' --ctf '%s/ctf'",
				rs_bin("ringside"), db, dir), 0);
	free(out);
	for (int cpu = 0; cpu < SMP_CPUS; cpu++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/ctf/stream_%d", dir, cpu);
		if (!exists(path))
			fail_msg("no %s", path);
	}
	/* every record, each in its CPU's stream (the packet's cpu_id) */
	assert_int_equal(rs_run(&out, 120, "babeltrace2 '%s/ctf' 2>/dev/null", dir), 0);
	static const int per_cpu[SMP_CPUS] = { 13, 11, 9, 4 };
	char key[32];
	for (int cpu = 0; cpu < SMP_CPUS; cpu++) {
		snprintf(key, sizeof(key), "cpu_id = %d }", cpu);
		if (count(out, key) != per_cpu[cpu])
			fail_msg("cpu %d: %d records in its stream, want %d:\n%s",
				 cpu, count(out, key), per_cpu[cpu], out);
	}
	/* the migration is in cpu 2's stream, with its fields named */
	if (!strstr(out, "thread_migrate: { cpu_id = 2 }, { thread = 0, tid = 4,"
		    " from_cpu = 3, to_cpu = 2 }"))
		fail_msg("thread_migrate:\n%s", out);
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_chrome_track_per_cpu(void **state)
{
	char *dir = rs_tmpdir();
	char *db = rs_smp_fixture(dir, 0), *out = NULL;

	assert_int_equal(rs_run(&out, 60, "'%s' export '%s' --chrome '%s/t.json'"
				" && cat '%s/t.json'", rs_bin("ringside"), db,
				dir, dir), 0);
	char want[160];
	for (int cpu = 0; cpu < SMP_CPUS; cpu++) {
		snprintf(want, sizeof(want), "{\"ph\":\"M\",\"name\":\"thread_name\","
			 "\"pid\":2,\"tid\":%d,\"args\":{\"name\":\"cpu %d\"}}", cpu, cpu);
		if (!strstr(out, want))
			fail_msg("no track for cpu %d (%s):\n%s", cpu, want, out);
	}
	/* what ran where: thread 4 on cpu 3 from 10 µs, on cpu 2 from 601
	 * (whole µs: whole multiples of the export's 1/1024 µs) */
	snprintf(want, sizeof(want), "\"pid\":2,\"tid\":3,\"name\":\"thread 4\","
		 "\"ts\":%lld,", (long long)SMP_NS(10) / 1000);
	if (!strstr(out, want))
		fail_msg("want %s:\n%s", want, out);
	snprintf(want, sizeof(want), "\"pid\":2,\"tid\":2,\"name\":\"thread 4\","
		 "\"ts\":%lld,", (long long)SMP_NS(601) / 1000);
	if (!strstr(out, want))
		fail_msg("want %s:\n%s", want, out);
	/* what crossed between CPUs, on the CPUs' tracks */
	snprintf(want, sizeof(want), "{\"ph\":\"i\",\"s\":\"t\",\"pid\":2,\"tid\":2,"
		 "\"name\":\"migrate thread 4 from cpu 3\",\"ts\":%lld}",
		 (long long)SMP_NS(600) / 1000);
	if (!strstr(out, want))
		fail_msg("want %s:\n%s", want, out);
	snprintf(want, sizeof(want), "\"pid\":2,\"tid\":0,\"name\":\"ipi to cpu 1"
		 " (wake)\",\"ts\":%lld}", (long long)SMP_NS(100) / 1000);
	if (!strstr(out, want))
		fail_msg("want %s:\n%s", want, out);
	snprintf(want, sizeof(want), "\"pid\":2,\"tid\":1,\"name\":\"ipi received"
		 " (wake)\",\"ts\":%lld}", (long long)SMP_NS(105) / 1000);
	if (!strstr(out, want))
		fail_msg("want %s:\n%s", want, out);
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(export_smp,
	cmocka_unit_test(test_ctf_stream_per_cpu),
	cmocka_unit_test(test_chrome_track_per_cpu),
);
