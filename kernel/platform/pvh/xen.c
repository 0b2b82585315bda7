/*
 * xen.c - running as a Xen PVH guest: detection through Xen's CPUID
 * leaves, the hypercall page, and the few hypercalls the kernel needs
 * (shutdown, HVM params, event channel send, starting vCPUs, and the
 * memory and grant-table operations grant.c builds on). Constants and
 * layouts follow Xen's public headers (xen.h, sched.h, event_channel.h,
 * hvm/hvm_op.h, hvm/params.h, arch-x86/cpuid.h, vcpu.h, hvm/hvm_vcpu.h). Under QEMU nothing here runs: xen_init() finds no
 * signature and every other call is a no-op.
 */
#include "pvh.h"

#include "../../core/klib.h"

#define HYPERVISOR_memory_op        12
#define HYPERVISOR_grant_table_op   20
#define HYPERVISOR_vcpu_op          24
#define HYPERVISOR_sched_op         29
#define HYPERVISOR_event_channel_op 32
#define HYPERVISOR_hvm_op           34

#define VCPUOP_initialise 0
#define VCPUOP_up         1
#define VCPUOP_is_up      3
#define MSR_EFER          0xc0000080u

#define SCHEDOP_shutdown 2
#define EVTCHNOP_send    4
#define HVMOP_get_param  1
#define DOMID_SELF       0x7ff0u

struct sched_shutdown_arg {
	uint32_t reason;
};

struct evtchn_send_arg {
	uint32_t port;
};

struct hvm_param_arg {
	uint16_t domid;
	uint16_t pad;
	uint32_t index;
	uint64_t value;
};

/* hvm/hvm_vcpu.h: VCPUOP_initialise's argument for HVM and PVH guests.
 * The union is as large as its 32-bit member (120 bytes), which Xen
 * copies in whole whichever mode is used. */
#define VCPU_HVM_MODE_64B 1
struct vcpu_hvm_x86_64 {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t rip, rflags;
	uint64_t cr0, cr3, cr4, efer;
};

struct vcpu_hvm_context {
	uint32_t mode;
	uint32_t pad;
	union {
		struct vcpu_hvm_x86_64 x86_64;
		uint8_t x86_32[120];
	} regs;
};

_Static_assert(sizeof(struct vcpu_hvm_context) == 128,
	       "vcpu_hvm_context as Xen's public header has it");

extern char xen_hypercall_page[4096];
static bool on_xen;

bool xen_present(void)
{
	return on_xen;
}

/* Two-argument hypercall: number in the stub, args in rdi and rsi. Xen
 * may clobber every argument register on return (debug builds do). */
static long hypercall2(unsigned nr, unsigned long a1, void *a2)
{
	register unsigned long rdi __asm__("rdi") = a1;
	register unsigned long rsi __asm__("rsi") = (uintptr_t)a2;
	register unsigned long rdx __asm__("rdx");
	register unsigned long r10 __asm__("r10");
	register unsigned long r8 __asm__("r8");
	long ret;

	__asm__ __volatile__("call *%[stub]"
			     : "=a"(ret), "+r"(rdi), "+r"(rsi), "=r"(rdx),
			       "=r"(r10), "=r"(r8)
			     : [stub] "r"(xen_hypercall_page + nr * 32)
			     : "rcx", "r9", "r11", "memory");
	return ret;
}

void xen_init(void)
{
	uint32_t base, r[4];

	if (!xen_detect(&base))
		return;
	cpuid(base + 1, 0, r);
	unsigned major = r[0] >> 16, minor = r[0] & 0xffff;
	cpuid(base + 2, 0, r);          /* eax: pages, ebx: MSR */
	if (r[0] < 1) {
		kprintf("xen: Xen %u.%u offers no hypercall page\n", major,
			minor);
		return;
	}
	wrmsr(r[1], (uintptr_t)xen_hypercall_page);    /* page 0 of r[0] */
	on_xen = true;
	kprintf("xen: Xen %u.%u (cpuid base 0x%x), hypercall page at 0x%lx\n",
		major, minor, base, (unsigned long)(uintptr_t)xen_hypercall_page);
}

void xen_shutdown(unsigned reason)
{
	struct sched_shutdown_arg a = { reason };

	if (on_xen)
		hypercall2(HYPERVISOR_sched_op, SCHEDOP_shutdown, &a);
}

int xen_hvm_get_param(uint32_t index, uint64_t *value)
{
	struct hvm_param_arg a = { .domid = DOMID_SELF, .index = index };

	if (!on_xen)
		return -1;
	long rc = hypercall2(HYPERVISOR_hvm_op, HVMOP_get_param, &a);
	if (rc)
		return (int)rc;
	*value = a.value;
	return 0;
}

int xen_evtchn_send(uint32_t port)
{
	struct evtchn_send_arg a = { port };

	if (!on_xen)
		return -1;
	return (int)hypercall2(HYPERVISOR_event_channel_op, EVTCHNOP_send, &a);
}

/* Three-argument hypercall, as hypercall2 plus rdx. */
static long hypercall3(unsigned nr, unsigned long a1, unsigned long a2,
		       unsigned long a3)
{
	register unsigned long rdi __asm__("rdi") = a1;
	register unsigned long rsi __asm__("rsi") = a2;
	register unsigned long rdx __asm__("rdx") = a3;
	register unsigned long r10 __asm__("r10");
	register unsigned long r8 __asm__("r8");
	long ret;

	__asm__ __volatile__("call *%[stub]"
			     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx),
			       "=r"(r10), "=r"(r8)
			     : [stub] "r"(xen_hypercall_page + nr * 32)
			     : "rcx", "r9", "r11", "memory");
	return ret;
}

long xen_memory_op(unsigned cmd, void *arg)
{
	if (!on_xen)
		return -1;
	return hypercall2(HYPERVISOR_memory_op, cmd, arg);
}

long xen_grant_table_op(unsigned cmd, void *args, unsigned count)
{
	if (!on_xen)
		return -1;
	return hypercall3(HYPERVISOR_grant_table_op, cmd, (uintptr_t)args,
			  count);
}

int xen_vcpu_is_up(uint32_t vcpu)
{
	if (!on_xen)
		return -1;
	long rc = hypercall3(HYPERVISOR_vcpu_op, VCPUOP_is_up, vcpu, 0);
	return rc < 0 ? -1 : rc > 0;
}

/*
 * A PVH vCPU starts where VCPUOP_initialise says, here directly in long
 * mode with CPU 0's control registers (so the kernel's page tables) and
 * flat segments (Xen sets their hidden parts for VCPU_HVM_MODE_64B; the
 * code at rip loads the kernel's GDT before touching a selector).
 */
int xen_vcpu_start(uint32_t vcpu, uint64_t rip, uint64_t rsp, uint64_t rdi)
{
	struct vcpu_hvm_context ctx = { .mode = VCPU_HVM_MODE_64B };
	uint64_t cr0, cr3, cr4;

	if (!on_xen)
		return -1;
	__asm__ __volatile__("mov %%cr0, %0" : "=r"(cr0));
	__asm__ __volatile__("mov %%cr3, %0" : "=r"(cr3));
	__asm__ __volatile__("mov %%cr4, %0" : "=r"(cr4));
	ctx.regs.x86_64 = (struct vcpu_hvm_x86_64){
		.rsp = rsp, .rdi = rdi, .rip = rip,
		.rflags = 0x2,          /* bit 1 always set; IF clear */
		.cr0 = cr0, .cr3 = cr3, .cr4 = cr4,
		.efer = rdmsr(MSR_EFER),
	};
	long rc = hypercall3(HYPERVISOR_vcpu_op, VCPUOP_initialise, vcpu,
			     (uintptr_t)&ctx);
	if (rc == 0)
		rc = hypercall3(HYPERVISOR_vcpu_op, VCPUOP_up, vcpu, 0);
	if (rc) {
		kprintf("xen: starting vcpu %u failed (%ld)\n", vcpu, rc);
		return -1;
	}
	return 0;
}
