/*
 * xen.h - the dom0 side of `ringside collect xen:DOMAIN`: handles on the
 * Xen control, foreign-memory and xenstore interfaces, domain state and
 * registers (xen_domain.c), the live guest-memory source (source_xen.c),
 * and the collect command built on the shared session loop
 * (xen_collect.c).
 *
 * Only these files include Xen's headers or link its libraries; the rest
 * of the collector, and the test binary, never see them. main.c calls
 * rs_xen_collect and nothing else.
 */
#ifndef RS_COLLECTOR_XEN_H
#define RS_COLLECTOR_XEN_H

#include <stddef.h>
#include <stdint.h>

#include "collect.h"
#include "source.h"

/* `ringside collect xen:DOMAIN ...`: the whole command, exit status 0/1/2.
 * Usage errors in DOMAIN (empty, negative, reserved id) give 2. */
int rs_xen_collect(const struct rs_collect_opts *o);

/* ---- internal to the xen_*.c / source_xen.c files ---------------------- */

struct rs_xen;  /* the open handles */

/* Open every interface; NULL with one line in err if any fails (no
 * hypervisor, not dom0, no privcmd/xenfs, no xenstored). */
struct rs_xen *rs_xen_open(char *err, size_t errlen);
void rs_xen_close(struct rs_xen *x);

/* A domid ("7") or a name ("rs-demo", looked up in xenstore). 0, or -1
 * with err. */
int rs_xen_resolve(struct rs_xen *x, const char *what, uint32_t *domid,
		   char *err, size_t errlen);

struct rs_xen_dominfo {
	int exists;        /* 0: no such domain (destroyed) */
	int hvm;           /* HVM or PVH: gfns are guest-physical */
	int paused, shutdown, dying;
	unsigned reason;   /* SHUTDOWN_* when shutdown */
	unsigned vcpus;    /* max_vcpu_id + 1, at most RS_MAX_CPUS */
	uint64_t max_gpfn; /* highest gfn the guest can have */
};
/* 0 (exists may be 0), or -1 with err (the hypercall itself failed). */
int rs_xen_dominfo(struct rs_xen *x, uint32_t domid, struct rs_xen_dominfo *out,
		   char *err, size_t errlen);

/* Xen's SHUTDOWN_* reasons (xen/sched.h), here without Xen's headers so
 * xen_verdict.c builds into the library the tests link; xen_domain.c
 * holds them to the real ones. */
enum {
	RS_XEN_SHUTDOWN_POWEROFF = 0, RS_XEN_SHUTDOWN_REBOOT = 1,
	RS_XEN_SHUTDOWN_SUSPEND = 2, RS_XEN_SHUTDOWN_CRASH = 3,
	RS_XEN_SHUTDOWN_WATCHDOG = 4, RS_XEN_SHUTDOWN_SOFT_RESET = 5,
};
/* "poweroff", "crash", ... (xen_verdict.c) */
const char *rs_xen_reason_name(unsigned reason);
/*
 * xen_verdict.c: the host's verdict on a domain the collector stopped
 * reading, given the ring's state ("running", "hung", "exited", ...):
 * the panic_reason to store as a crash the guest could not record, or
 * NULL when the ring's own state stands (the guest said how it ended,
 * the domain runs on, or it was suspended / soft-reset).
 */
const char *rs_xen_end_verdict(const struct rs_xen_dominfo *di,
			       const char *ring_state);

/* vCPU `vcpu`'s registers (HVM save record for HVM/PVH, else the vCPU
 * context). 0 with *origin set, or -1. */
int rs_xen_vcpu_regs(struct rs_xen *x, uint32_t domid, int hvm, unsigned vcpu,
		     struct rs_vcpu_regs *out, const char **origin);

/* HVM_PARAM_TRIPLE_FAULT_REASON = SHUTDOWN_crash: a triple fault then
 * shows as a crash, not a reboot. 0, or -1 with err. */
int rs_xen_crash_on_triple_fault(struct rs_xen *x, uint32_t domid, char *err,
				 size_t errlen);

/*
 * Read the domain's xenstore key `data/ringside/KEY` (its own, so
 * hostile): at most `outlen - 1` bytes, NUL-terminated. 0, or -1 if
 * missing or too long.
 */
int rs_xen_guest_key(struct rs_xen *x, uint32_t domid, const char *key,
		     char *out, size_t outlen);

/* Which way rs_source_xen_open found the ring (the collector says it on
 * stderr, and the Xen suite checks it). */
enum rs_xen_way {
	RS_XEN_BY_GRANTS,       /* data/ringside/ring-ref, one per page */
	RS_XEN_BY_GFN,          /* data/ringside/{gfn,pages,nonce} */
	RS_XEN_BY_SCAN,         /* the magic scan of guest RAM */
};

/*
 * The live source (source_xen.c): find the region (the guest's grant
 * references in xenstore first; for HVM/PVH then its gfn keys, else a
 * magic scan of guest RAM), map it read-only. A PV guest (hvm == 0) is
 * read through grant references only. *way: which of the three it was
 * (by grants, src->len / 4096 references were mapped). The source keeps
 * the mapping until closed; `x` must outlive it. 0, or -1 with err. On
 * success err is "", or, when the guest published grant references that
 * did not lead to its ring and another way was taken, why they did not.
 */
int rs_source_xen_open(struct rs_xen *x, uint32_t domid, int hvm,
		       uint64_t max_gpfn, struct rs_source *src,
		       enum rs_xen_way *way, char *err, size_t errlen);

#endif /* RS_COLLECTOR_XEN_H */
