/*
 * test_xen_verdict.c - the verdict `ringside collect xen:DOMAIN` stores
 * when it stops reading a domain (collector/xen_verdict.c), for every way
 * a domain can end, without a hypervisor: Xen's view of the domain goes
 * in as a struct, the ring's state as a string.
 *
 * The rule under test: a domain that shut down, or was destroyed, before
 * its guest recorded an exit or a panic is never left `running` or
 * `hung`; the panic_reason says how it ended. (The live path, with real
 * Xen, is `make check-xen`: triple-follow-stops, hang-destroy-stops.)
 */
#include "testlib.h"

#include <string.h>

#include "../collector/xen.h"

static struct rs_xen_dominfo domain(int exists, int dying, int shutdown,
				    unsigned reason)
{
	struct rs_xen_dominfo di;

	memset(&di, 0, sizeof(di));
	di.exists = exists;
	di.hvm = 1;
	di.dying = dying;
	di.shutdown = shutdown;
	di.reason = reason;
	return di;
}

/* verdict_is(DI, STATE, PREFIX): the verdict starts with PREFIX, or is
 * NULL when PREFIX is NULL. */
static void verdict_is(struct rs_xen_dominfo di, const char *state,
		       const char *prefix)
{
	const char *v = rs_xen_end_verdict(&di, state);

	if (!prefix) {
		if (v)
			fail_msg("ring '%s', exists %d dying %d shutdown %d reason"
				 " %u: verdict '%s', want none", state, di.exists,
				 di.dying, di.shutdown, di.reason, v);
		return;
	}
	if (!v || strncmp(v, prefix, strlen(prefix)) != 0)
		fail_msg("ring '%s', exists %d dying %d shutdown %d reason %u:"
			 " verdict '%s', want '%s...'", state, di.exists, di.dying,
			 di.shutdown, di.reason, v ? v : "(none)", prefix);
}

/* The case: the `hang` workload triple-faulted under Xen
 * (`---sr-`, on_reboot="preserve"), whether or not the ring had already
 * been judged hung. */
static void test_xen_verdict_triple_fault(void **state)
{
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_REBOOT), "running",
		   "triple fault: domain reset");
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_REBOOT), "hung",
		   "triple fault: domain reset");
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_REBOOT), "unknown",
		   "triple fault: domain reset");
}

static void test_xen_verdict_crash(void **state)
{
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_CRASH), "running",
		   "domain crashed (SHUTDOWN_crash)");
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_CRASH), "hung",
		   "domain crashed (SHUTDOWN_crash)");
	/* The guest's panic record is kept by the store; the host's word
	 * is still that Xen crashed it. */
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_CRASH), "crashed",
		   "domain crashed (SHUTDOWN_crash)");
}

/* Xen powers off a PVH guest that halts with interrupts off: that is no
 * exit the guest recorded. */
static void test_xen_verdict_poweroff_watchdog(void **state)
{
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_POWEROFF), "running",
		   "domain powered off (SHUTDOWN_poweroff)");
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_POWEROFF), "hung",
		   "domain powered off (SHUTDOWN_poweroff)");
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_WATCHDOG), "running",
		   "domain shut down by its watchdog");
	verdict_is(domain(1, 0, 1, 99), "running", "domain shut down (unknown");
}

static void test_xen_verdict_destroyed(void **state)
{
	verdict_is(domain(0, 0, 0, 0), "running", "domain destroyed");
	verdict_is(domain(1, 1, 0, 0), "hung", "domain destroyed");
	/* Dying after a crash: the crash is no longer Xen's to report. */
	verdict_is(domain(1, 1, 1, RS_XEN_SHUTDOWN_CRASH), "running",
		   "domain destroyed");
}

/* What the guest said stands: a clean exit then the poweroff it asked
 * for; its panic record; a domain still running; a suspend. */
static void test_xen_verdict_guest_word_stands(void **state)
{
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_POWEROFF), "exited", NULL);
	verdict_is(domain(0, 0, 0, 0), "exited", NULL);
	verdict_is(domain(1, 1, 0, 0), "crashed", NULL);
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_REBOOT), "crashed", NULL);
	verdict_is(domain(1, 0, 0, 0), "running", NULL);
	verdict_is(domain(1, 0, 0, 0), "hung", NULL);
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_SUSPEND), "running", NULL);
	verdict_is(domain(1, 0, 1, RS_XEN_SHUTDOWN_SOFT_RESET), "running", NULL);
}

static void test_xen_verdict_reason_names(void **state)
{
	assert_string_equal(rs_xen_reason_name(RS_XEN_SHUTDOWN_REBOOT), "reboot");
	assert_string_equal(rs_xen_reason_name(RS_XEN_SHUTDOWN_SOFT_RESET),
			    "soft_reset");
	assert_string_equal(rs_xen_reason_name(6), "unknown");
	assert_string_equal(rs_xen_reason_name(0xffffffffu), "unknown");
}

RS_TEST_SUITE(xen_verdict,
	cmocka_unit_test(test_xen_verdict_triple_fault),
	cmocka_unit_test(test_xen_verdict_crash),
	cmocka_unit_test(test_xen_verdict_poweroff_watchdog),
	cmocka_unit_test(test_xen_verdict_destroyed),
	cmocka_unit_test(test_xen_verdict_guest_word_stands),
	cmocka_unit_test(test_xen_verdict_reason_names))
