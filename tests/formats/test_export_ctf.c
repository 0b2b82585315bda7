/*
 * test_export_ctf.c - what babeltrace2 prints of the CTF export, to the
 * character: signed fields print signed (heap.delta), the panic is an
 * event with its reason, and the trace has a name. The values it must
 * print come from the database, read here with SQL.
 */
#include "testlib.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_of(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void test_ctf_signed_panic_and_name(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *db = rs_make_trace(dir, "crash", 20, 134);
	sqlite3 *d;
	sqlite3_stmt *s;

	assert_int_equal(rs_run(&out, 60, "'%s' export --ctf '%s/ctf' '%s'",
				rs_bin("ringside"), dir, db), 0);
	free(out);
	assert_int_equal(rs_run(&out, 120, "babeltrace2 '%s/ctf'", dir), 0);
	assert_int_equal(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);

	/* Every heap event prints its delta as the signed number it is. */
	assert_int_equal(sqlite3_prepare_v2(d, "SELECT a, b FROM events WHERE"
					    " type = 34", -1, &s, NULL),
			 SQLITE_OK);
	int heap = 0, negative = 0;
	char line[160];
	while (sqlite3_step(s) == SQLITE_ROW) {
		const int64_t delta = sqlite3_column_int64(s, 1);
		snprintf(line, sizeof(line), "in_use = %" PRIu64 ", delta = %"
			 PRId64 " }", (uint64_t)sqlite3_column_int64(s, 0), delta);
		if (!strstr(out, line))
			fail_msg("no \"%s\" in:\n%s", line, out);
		heap++;
		negative += delta < 0;
	}
	sqlite3_finalize(s);
	assert_true(negative > 0 && negative < heap);
	assert_int_equal(count_of(out, "heap: "), heap);
	assert_int_equal(count_of(out, "delta = -"), negative);

	/* The panic: its own event, with the reason, on its CPU's stream. */
	assert_int_equal(sqlite3_prepare_v2(d, "SELECT panic_reason, panic_cpu,"
					    " panic_rip, panic_vector,"
					    " panic_fault_addr FROM trace", -1,
					    &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	char want[512];
	snprintf(want, sizeof(want), "ringside-crash panic: { cpu_id = %d },"
		 " { thread = 0, cpu = %d, vector = %" PRIu64 ", rip = 0x%"
		 PRIX64 ", fault_addr = 0x%" PRIX64 ", reason = \"%s\" }\n",
		 sqlite3_column_int(s, 1), sqlite3_column_int(s, 1),
		 (uint64_t)sqlite3_column_int64(s, 3),
		 (uint64_t)sqlite3_column_int64(s, 2),
		 (uint64_t)sqlite3_column_int64(s, 4),
		 (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(d);
	if (count_of(out, want) != 1)
		fail_msg("want once: %s in:\n%s", want, out);
	/* the panic comes last: nothing the guest wrote is after it */
	assert_string_equal(strstr(out, want) + strlen(want), "");
	free(out);

	/* The trace's name and the panic's reason in its environment. */
	assert_int_equal(rs_run(&out, 120, "babeltrace2 '%s/ctf' -c"
				" sink.text.details", dir), 0);
	assert_non_null(strstr(out, "  Trace `ringside-crash`:\n"));
	assert_non_null(strstr(out, "      trace_name: ringside-crash\n"));
	assert_non_null(strstr(out, "      panic_reason: crash workload:"
			       " deliberate panic after 20 rounds\n"));
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(export_ctf,
	cmocka_unit_test(test_ctf_signed_panic_and_name))
