/*
 * xen_ctx.h - Xen's x86-64 vCPU context (struct vcpu_guest_context, as
 * xc_vcpu_getcontext returns it and xl dump-core stores it in
 * .xen_prstatus) turned into named registers.
 *
 * Kept free of Xen's headers so that `collect core:` on an xl dump-core
 * file builds and runs where libxen-dev is absent; xen_domain.c checks
 * these offsets against the real header at compile time.
 */
#ifndef RS_COLLECTOR_XEN_CTX_H
#define RS_COLLECTOR_XEN_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* Offsets in the 64-bit vcpu_guest_context (public/arch-x86/xen.h). */
#define RS_XEN_CTX_USER_REGS   520u   /* after fpu_ctxt[512], flags */
#define RS_XEN_CTX_CTRLREG     4984u  /* unsigned long ctrlreg[8] */
#define RS_XEN_CTX_FS_BASE     5144u
#define RS_XEN_CTX_GS_BASE_K   5152u  /* gs_base_kernel */
#define RS_XEN_CTX_SIZE        5168u  /* sizeof, 64-bit toolstack */

/*
 * Decode one context of `len` bytes (at least RS_XEN_CTX_SIZE) into `out`
 * as vCPU `cpu`. Returns 0, or -1 if `len` is too small.
 */
int rs_xen_ctx_regs(const uint8_t *ctx, size_t len, unsigned cpu,
		    struct rs_vcpu_regs *out);

#endif /* RS_COLLECTOR_XEN_CTX_H */
