/*
 * xen_domain.c - talking to Xen about a domain (xen.h): opening the
 * interfaces quietly, finding a domain by name, its state, its registers,
 * and the triple-fault parameter.
 *
 * Without a hypervisor (a build machine, CI) every open fails. The
 * libraries would print their own errors to stderr; a logger of ours
 * swallows them, so `collect xen:` says one line of its own. A NULL
 * handle is never passed on: libxenctrl dereferences it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xenctrl.h first: Xen's domctl.h refuses to be included without it. */
#include "xen_internal.h"

#include <xen/domctl.h>
#include <xen/hvm/params.h>
#include <xen/hvm/save.h>
#include <xen/sched.h>

#include "xen_ctx.h"

/* xen_ctx.c reads vcpu_guest_context without Xen's headers: hold its
 * offsets to the real layout here, where the headers are. */
_Static_assert(offsetof(struct vcpu_guest_context, user_regs) == RS_XEN_CTX_USER_REGS,
	       "user_regs offset");
_Static_assert(offsetof(struct vcpu_guest_context, ctrlreg) == RS_XEN_CTX_CTRLREG,
	       "ctrlreg offset");
_Static_assert(offsetof(struct vcpu_guest_context, fs_base) == RS_XEN_CTX_FS_BASE,
	       "fs_base offset");
_Static_assert(offsetof(struct vcpu_guest_context, gs_base_kernel) == RS_XEN_CTX_GS_BASE_K,
	       "gs_base_kernel offset");
_Static_assert(sizeof(vcpu_guest_context_any_t) == RS_XEN_CTX_SIZE,
	       "vcpu_guest_context_any_t size (an xl dump-core entry)");
_Static_assert(SHUTDOWN_poweroff == RS_XEN_SHUTDOWN_POWEROFF &&
	       SHUTDOWN_reboot == RS_XEN_SHUTDOWN_REBOOT &&
	       SHUTDOWN_suspend == RS_XEN_SHUTDOWN_SUSPEND &&
	       SHUTDOWN_crash == RS_XEN_SHUTDOWN_CRASH &&
	       SHUTDOWN_watchdog == RS_XEN_SHUTDOWN_WATCHDOG &&
	       SHUTDOWN_soft_reset == RS_XEN_SHUTDOWN_SOFT_RESET,
	       "xen.h's shutdown reasons are Xen's");
_Static_assert(offsetof(struct cpu_user_regs, rip) == 128 &&
	       offsetof(struct cpu_user_regs, rflags) == 144 &&
	       offsetof(struct cpu_user_regs, rsp) == 152 &&
	       offsetof(struct cpu_user_regs, ss) == 160,
	       "cpu_user_regs layout");

static void quiet_vmessage(xentoollog_logger *l, xentoollog_level level,
			   int errnoval, const char *context, const char *fmt,
			   va_list al)
{
	struct rs_xen_logger *q = (struct rs_xen_logger *)l;

	if (level < XTL_WARN)
		return;
	int n = vsnprintf(q->last, sizeof(q->last), fmt, al);
	if (errnoval > 0 && n >= 0 && (size_t)n < sizeof(q->last))
		snprintf(q->last + n, sizeof(q->last) - (size_t)n, ": %s",
			 strerror(errnoval));
}

static void quiet_progress(xentoollog_logger *l, const char *context,
			   const char *doing, int percent, unsigned long done,
			   unsigned long total)
{
}

static void quiet_destroy(xentoollog_logger *l)
{
}

struct rs_xen *rs_xen_open(char *err, size_t errlen)
{
	struct rs_xen *x = calloc(1, sizeof(*x));
	const char *what;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->log.vtable.vmessage = quiet_vmessage;
	x->log.vtable.progress = quiet_progress;
	x->log.vtable.destroy = quiet_destroy;
	xentoollog_logger *log = &x->log.vtable;

	x->xch = xc_interface_open(log, log, 0);
	if (!x->xch) {
		what = "the Xen control interface";
		goto fail;
	}
	x->fmem = xenforeignmemory_open(log, 0);
	if (!x->fmem) {
		what = "Xen foreign memory (privcmd)";
		goto fail;
	}
	/* Not XS_OPEN_READONLY: newer xenstored has no read-only socket, and
	 * we only ever read anyway. */
	x->xs = xs_open(0);
	if (!x->xs) {
		snprintf(x->log.last, sizeof(x->log.last), "%s", strerror(errno));
		what = "xenstore";
		goto fail;
	}
	return x;
fail:
	snprintf(err, errlen, "cannot open %s (is this dom0 with xenfs mounted"
		 " and the hypervisor running?)%s%s", what,
		 x->log.last[0] ? ": " : "", x->log.last);
	rs_xen_close(x);
	return NULL;
}

void rs_xen_close(struct rs_xen *x)
{
	if (!x)
		return;
	if (x->gnt)
		xengnttab_close(x->gnt);
	if (x->xs)
		xs_close(x->xs);
	if (x->fmem)
		xenforeignmemory_close(x->fmem);
	if (x->xch)
		xc_interface_close(x->xch);
	free(x);
}

static int parse_domid(const char *s, uint32_t *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 6)
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v >= DOMID_FIRST_RESERVED)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int rs_xen_resolve(struct rs_xen *x, const char *what, uint32_t *domid,
		   char *err, size_t errlen)
{
	unsigned int n = 0, matches = 0;

	if (parse_domid(what, domid) == 0)
		return 0;
	/* Names live at /local/domain/ID/name; any domain can be listed. */
	char **ids = xs_directory(x->xs, XBT_NULL, "/local/domain", &n);
	if (!ids) {
		snprintf(err, errlen, "cannot list /local/domain in xenstore: %s",
			 strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		char path[64];
		unsigned int len = 0;
		uint32_t id;

		if (parse_domid(ids[i], &id) != 0)
			continue;
		snprintf(path, sizeof(path), "/local/domain/%u/name", id);
		char *name = xs_read(x->xs, XBT_NULL, path, &len);
		if (name && len == strlen(what) && memcmp(name, what, len) == 0) {
			*domid = id;
			matches++;
		}
		free(name);
	}
	free(ids);
	if (matches == 1)
		return 0;
	if (matches > 1)
		snprintf(err, errlen, "%u domains are named '%s'; give a domid",
			 matches, what);
	else
		snprintf(err, errlen, "no domain named '%s' (see xl list)", what);
	return -1;
}

int rs_xen_dominfo(struct rs_xen *x, uint32_t domid, struct rs_xen_dominfo *out,
		   char *err, size_t errlen)
{
	xc_domaininfo_t info;
	xen_pfn_t max = 0;

	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	int n = xc_domain_getinfolist(x->xch, domid, 1, &info);
	if (n < 0) {
		snprintf(err, errlen, "cannot read domain %u's state: %s", domid,
			 strerror(errno));
		return -1;
	}
	/* getinfolist starts at `domid` and returns the next domain that
	 * exists: only a matching id is ours. */
	if (n == 0 || info.domain != domid)
		return 0;
	out->exists = 1;
	out->hvm = !!(info.flags & XEN_DOMINF_hvm_guest);
	out->paused = !!(info.flags & XEN_DOMINF_paused);
	out->shutdown = !!(info.flags & XEN_DOMINF_shutdown);
	out->dying = !!(info.flags & XEN_DOMINF_dying);
	out->reason = (info.flags >> XEN_DOMINF_shutdownshift) &
		      XEN_DOMINF_shutdownmask;
	/* a guest's rings never outnumber RS_MAX_CPUS; nor do the vCPUs
	 * whose registers are kept */
	out->vcpus = info.max_vcpu_id < RS_MAX_CPUS ? info.max_vcpu_id + 1
						    : RS_MAX_CPUS;
	/* Bounds the xenstore keys and the scan. Should Xen not say, assume
	 * guest RAM below 4 GiB, where the ringside kernel keeps its ring. */
	out->max_gpfn = 0xFFFFF;
	if (!out->dying && xc_domain_maximum_gpfn(x->xch, domid, &max) == 0)
		out->max_gpfn = max;
	return 0;
}

/* The HVM save record: what Xen itself holds for an HVM/PVH vCPU. */
static int hvm_regs(struct rs_xen *x, uint32_t domid, unsigned vcpu,
		    struct rs_vcpu_regs *r)
{
	struct hvm_hw_cpu c;

	memset(&c, 0, sizeof(c));
	if (xc_domain_hvm_getcontext_partial(x->xch, domid, HVM_SAVE_CODE(CPU),
					     (uint16_t)vcpu, &c, sizeof(c)) != 0)
		return -1;
	const struct { const char *name; uint64_t v; } regs[] = {
		{ "rax", c.rax }, { "rbx", c.rbx }, { "rcx", c.rcx },
		{ "rdx", c.rdx }, { "rsi", c.rsi }, { "rdi", c.rdi },
		{ "rbp", c.rbp }, { "rsp", c.rsp }, { "r8", c.r8 },
		{ "r9", c.r9 }, { "r10", c.r10 }, { "r11", c.r11 },
		{ "r12", c.r12 }, { "r13", c.r13 }, { "r14", c.r14 },
		{ "r15", c.r15 }, { "rip", c.rip }, { "rflags", c.rflags },
		{ "cs", c.cs_sel }, { "ss", c.ss_sel }, { "cr0", c.cr0 },
		{ "cr2", c.cr2 }, { "cr3", c.cr3 }, { "cr4", c.cr4 },
		{ "efer", c.msr_efer }, { "fs_base", c.fs_base },
		{ "gs_base", c.gs_base },
	};
	memset(r, 0, sizeof(*r));
	r->cpu = vcpu;
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		rs_vcpu_regs_add(r, regs[i].name, regs[i].v);
	return 0;
}

int rs_xen_vcpu_regs(struct rs_xen *x, uint32_t domid, int hvm, unsigned vcpu,
		     struct rs_vcpu_regs *out, const char **origin)
{
	vcpu_guest_context_any_t ctx;

	if (hvm && hvm_regs(x, domid, vcpu, out) == 0) {
		*origin = "xen hvm cpu record";
		return 0;
	}
	memset(&ctx, 0, sizeof(ctx));
	if (xc_vcpu_getcontext(x->xch, domid, vcpu, &ctx) != 0 ||
	    rs_xen_ctx_regs((const uint8_t *)&ctx, sizeof(ctx), vcpu, out) != 0)
		return -1;
	*origin = "xen vcpu context";
	return 0;
}

int rs_xen_crash_on_triple_fault(struct rs_xen *x, uint32_t domid, char *err,
				 size_t errlen)
{
	if (xc_hvm_param_set(x->xch, domid, HVM_PARAM_TRIPLE_FAULT_REASON,
			     SHUTDOWN_crash) != 0) {
		snprintf(err, errlen, "cannot set HVM_PARAM_TRIPLE_FAULT_REASON"
			 " for domain %u: %s", domid, strerror(errno));
		return -1;
	}
	return 0;
}

int rs_xen_guest_key(struct rs_xen *x, uint32_t domid, const char *key,
		     char *out, size_t outlen)
{
	char path[96];
	unsigned int len = 0;

	snprintf(path, sizeof(path), "/local/domain/%u/data/ringside/%s", domid, key);
	char *v = xs_read(x->xs, XBT_NULL, path, &len);
	if (!v)
		return -1;
	/* Whatever the guest wrote: a bounded copy, never trusted further. */
	int ok = len < outlen && memchr(v, '\0', len) == NULL;
	if (ok) {
		memcpy(out, v, len);
		out[len] = '\0';
	}
	free(v);
	return ok ? 0 : -1;
}
