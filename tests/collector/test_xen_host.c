/*
 * test_xen_host.c - `ringside collect xen:DOMAIN` on a machine with no
 * hypervisor (every build machine and CI). The Xen libraries fail to
 * open there, and calling libxenctrl with the NULL handle they return
 * would crash; the contract is one clear line naming Xen, exit 1, no
 * crash and no database. Malformed DOMAIN arguments are usage errors
 * (exit 2) caught before Xen is touched. What needs a hypervisor runs in
 * tests/xen (make check-xen).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_collector.h"

/* `ringside collect SPEC -o DB EXTRA`, stderr only into *out. */
static int collect_xen(const char *spec, const char *db, const char *extra,
		       char **out)
{
	return rs_run(out, 30, "'%s' collect '%s' -o '%s' %s 2>&1 >/dev/null",
		      rs_bin("ringside"), spec, db, extra);
}

static void expect(const char *spec, const char *extra, int want_lo,
		   int want_hi, const char *needle)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *db = path_in(dir, "x.db");
	int rc = collect_xen(spec, db, extra, &out);

	if (rc < want_lo || rc > want_hi || !out || !strstr(out, needle))
		fail_msg("collect %s %s: exit %d (want %d..%d), stderr '%s' (want"
			 " '%s')", spec, extra, rc, want_lo, want_hi,
			 out ? out : "", needle);
	assert_one_line(out);
	assert_false(exists(db));
	free(out);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* No hypervisor: the libraries' own noise is swallowed, ours names Xen. */
static void test_xen_no_hypervisor_name(void **state)
{
	expect("xen:foo", "", 1, 2, "Xen");
}

static void test_xen_no_hypervisor_domid(void **state)
{
	expect("xen:7", "--follow --poll-ms 10", 1, 2, "Xen");
}

static void test_xen_no_hypervisor_triple_fault_flag(void **state)
{
	expect("xen:rs-triple", "--crash-on-triple-fault", 1, 2, "Xen");
}

static void test_xen_empty_domain(void **state)
{
	expect("xen:", "", 2, 2, "xen: needs a domain");
}

static void test_xen_negative_domid(void **state)
{
	expect("xen:-1", "", 2, 2, "a domain id is a number");
}

static void test_xen_reserved_domid(void **state)
{
	/* DOMID_FIRST_RESERVED (0x7FF0) and above are not domains. */
	expect("xen:32752", "", 2, 2, "out of range");
	expect("xen:99999999999999999999", "", 2, 2, "out of range");
}

static void test_xen_flag_needs_xen(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = make_ring(dir, "r.ring", RING_SIZE, 1, 5, RS_STATE_EXITED);
	char spec[4200];

	snprintf(spec, sizeof(spec), "file:%s", ring);
	expect(spec, "--crash-on-triple-fault", 2, 2, "xen:DOMAIN only");
	free(ring);
	rs_tmpdir_cleanup(dir);
}

static void test_xen_help_and_no_gtk(void **state)
{
	char *out = NULL;
	int rc = rs_run(&out, 10, "'%s' --help", rs_bin("ringside"));

	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "xen:DOMAIN"));
	assert_non_null(strstr(out, "--crash-on-triple-fault"));
	assert_non_null(strstr(out, "xl dump-core"));
	free(out);
	/* The dom0 collector links Xen's libraries, and never GTK. */
	rc = rs_run(&out, 10, "ldd '%s'", rs_bin("ringside"));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "libxenforeignmemory"));
	assert_null(strstr(out, "libgtk"));
	free(out);
}

RS_TEST_SUITE(xen_host,
	cmocka_unit_test(test_xen_no_hypervisor_name),
	cmocka_unit_test(test_xen_no_hypervisor_domid),
	cmocka_unit_test(test_xen_no_hypervisor_triple_fault_flag),
	cmocka_unit_test(test_xen_empty_domain),
	cmocka_unit_test(test_xen_negative_domid),
	cmocka_unit_test(test_xen_reserved_domid),
	cmocka_unit_test(test_xen_flag_needs_xen),
	cmocka_unit_test(test_xen_help_and_no_gtk))
