/*
 * xen_verdict.c - what the hypervisor's view of a domain says about how
 * its guest ended, when the collector stops reading it (xen_collect.c).
 *
 * Kept free of Xen's headers and libraries, so the cmocka suite (which
 * never links Xen) can hold every shutdown reason to its verdict; the
 * RS_XEN_SHUTDOWN_* values are held to Xen's SHUTDOWN_* in xen_domain.c.
 *
 * Why a host verdict at all: the ring only says what the guest managed to
 * write. A triple fault, a halt with interrupts off (Xen powers the
 * domain off), a watchdog or an `xl destroy` end the guest without a word
 * in its ring, which then still says `running` (or `hung`), and that is
 * not true any more.
 */
#include <string.h>

#include "xen.h"

const char *rs_xen_reason_name(unsigned reason)
{
	static const char *const names[] = {
		[RS_XEN_SHUTDOWN_POWEROFF] = "poweroff",
		[RS_XEN_SHUTDOWN_REBOOT] = "reboot",
		[RS_XEN_SHUTDOWN_SUSPEND] = "suspend",
		[RS_XEN_SHUTDOWN_CRASH] = "crash",
		[RS_XEN_SHUTDOWN_WATCHDOG] = "watchdog",
		[RS_XEN_SHUTDOWN_SOFT_RESET] = "soft_reset",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown";
}

const char *rs_xen_end_verdict(const struct rs_xen_dominfo *di,
			       const char *ring_state)
{
	/* The guest's own last word: a clean exit or its panic record. */
	int guest_done = strcmp(ring_state, "exited") == 0 ||
			 strcmp(ring_state, "crashed") == 0;

	/* Xen's crash stands even over an exit record (the guest crashed on
	 * its way out); the store never writes it over a panic record. */
	if (di->exists && !di->dying && di->shutdown &&
	    di->reason == RS_XEN_SHUTDOWN_CRASH)
		return "domain crashed (SHUTDOWN_crash)";
	if (guest_done)
		return NULL;
	if (!di->exists || di->dying)
		return "domain destroyed before the guest recorded an exit"
		       " (stored what the collector's mapping still held)";
	if (!di->shutdown)
		return NULL;  /* still there and not shut down: the ring stands */
	switch (di->reason) {
	case RS_XEN_SHUTDOWN_REBOOT:
		/* A PVH guest resets only by a triple fault; Xen kept the
		 * domain because of on_reboot="preserve". */
		return "triple fault: domain reset (preserved by on_reboot=preserve)";
	case RS_XEN_SHUTDOWN_POWEROFF:
		return "domain powered off (SHUTDOWN_poweroff) before the guest"
		       " recorded an exit (a halt with interrupts off does that)";
	case RS_XEN_SHUTDOWN_WATCHDOG:
		return "domain shut down by its watchdog (SHUTDOWN_watchdog)";
	case RS_XEN_SHUTDOWN_SUSPEND:
	case RS_XEN_SHUTDOWN_SOFT_RESET:
		return NULL;  /* the guest goes on elsewhere or after the reset */
	default:
		return "domain shut down (unknown reason) before the guest"
		       " recorded an exit";
	}
}
