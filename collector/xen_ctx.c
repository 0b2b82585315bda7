/*
 * xen_ctx.c - decoding Xen's 64-bit vcpu_guest_context into named
 * registers (xen_ctx.h). Both `collect xen:` (xc_vcpu_getcontext) and
 * `collect core:` on an xl dump-core file (.xen_prstatus) use it, so a
 * crash reads the same register names whichever way it was captured.
 */
#include <string.h>

#include "xen_ctx.h"

/* struct cpu_user_regs (public/arch-x86/xen-x86_64.h), offset, width. */
static const struct {
	const char *name;
	unsigned off, size;
} user_regs[] = {
	{ "r15", 0, 8 },   { "r14", 8, 8 },    { "r13", 16, 8 },
	{ "r12", 24, 8 },  { "rbp", 32, 8 },   { "rbx", 40, 8 },
	{ "r11", 48, 8 },  { "r10", 56, 8 },   { "r9", 64, 8 },
	{ "r8", 72, 8 },   { "rax", 80, 8 },   { "rcx", 88, 8 },
	{ "rdx", 96, 8 },  { "rsi", 104, 8 },  { "rdi", 112, 8 },
	{ "rip", 128, 8 }, { "cs", 136, 2 },   { "rflags", 144, 8 },
	{ "rsp", 152, 8 }, { "ss", 160, 2 },
};

static uint64_t get(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);  /* little-endian host, little-endian guest */
	return v;
}

int rs_xen_ctx_regs(const uint8_t *ctx, size_t len, unsigned cpu,
		    struct rs_vcpu_regs *out)
{
	if (len < RS_XEN_CTX_SIZE)
		return -1;
	memset(out, 0, sizeof(*out));
	out->cpu = cpu;
	for (size_t i = 0; i < sizeof(user_regs) / sizeof(user_regs[0]); i++)
		rs_vcpu_regs_add(out, user_regs[i].name,
				 get(ctx + RS_XEN_CTX_USER_REGS + user_regs[i].off,
				     user_regs[i].size));
	/* ctrlreg[1] is a PV guest's user page table, not CR1: skip it. */
	rs_vcpu_regs_add(out, "cr0", get(ctx + RS_XEN_CTX_CTRLREG + 0 * 8, 8));
	rs_vcpu_regs_add(out, "cr2", get(ctx + RS_XEN_CTX_CTRLREG + 2 * 8, 8));
	rs_vcpu_regs_add(out, "cr3", get(ctx + RS_XEN_CTX_CTRLREG + 3 * 8, 8));
	rs_vcpu_regs_add(out, "cr4", get(ctx + RS_XEN_CTX_CTRLREG + 4 * 8, 8));
	rs_vcpu_regs_add(out, "fs_base", get(ctx + RS_XEN_CTX_FS_BASE, 8));
	rs_vcpu_regs_add(out, "gs_base", get(ctx + RS_XEN_CTX_GS_BASE_K, 8));
	return 0;
}
