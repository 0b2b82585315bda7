/*
 * ringside_minios.h - what a traced Mini-OS app calls: publish the ring
 * to dom0 (grant references in xenstore), record a clean exit, and reach
 * the region to emit its own events with guest_trace.h.
 *
 * The hooks Mini-OS's core calls are in the patched tree's
 * include/ringside_hooks.h; ringside_minios.c defines both.
 */
#ifndef RINGSIDE_MINIOS_H
#define RINGSIDE_MINIOS_H

#include "guest_trace.h"

/* The region, or NULL when Mini-OS could not give it memory. */
struct rs_header *ringside_minios_region(void);
/* The running thread's trace id (0: boot, before the first thread). */
unsigned int ringside_minios_tid(void);
/*
 * Grant every page of the region to dom0 read-only and write
 * data/ringside/{gfn,pages,nonce,ring-ref} (collector/README.md).
 * Needs a running thread (xenbus waits for its reply). 0, or -1 after
 * printing why.
 */
int ringside_minios_publish(void);
/* The guest's clean end: state exited, so a collector stops there. */
void ringside_minios_exited(void);

#endif /* RINGSIDE_MINIOS_H */
