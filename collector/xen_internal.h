/*
 * xen_internal.h - the handle bundle shared by xen_domain.c and
 * source_xen.c. Includes Xen's headers, so only Xen files include it.
 */
#ifndef RS_COLLECTOR_XEN_INTERNAL_H
#define RS_COLLECTOR_XEN_INTERNAL_H

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "xen.h"

/* Xen's libraries report through a logger; ours keeps the last message
 * for our own one-line errors instead of printing it. */
struct rs_xen_logger {
	xentoollog_logger vtable;  /* first: the libraries see only this */
	char last[200];
};

struct rs_xen {
	struct rs_xen_logger log;
	xc_interface *xch;
	xenforeignmemory_handle *fmem;
	struct xs_handle *xs;
	/* Opened on first use (source_xen.c): only a guest that shares its
	 * ring by grant references needs /dev/xen/gntdev. */
	xengnttab_handle *gnt;
};

#endif /* RS_COLLECTOR_XEN_INTERNAL_H */
