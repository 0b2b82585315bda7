/*
 * platform.c - the hosted platform: the kernel core running inside one
 * Linux process.
 *
 * Interrupts are signals. Disabling them must be as cheap as on hardware,
 * so it is a flag (like Xen's per-vCPU event upcall mask) rather than a
 * sigprocmask system call: a handler that finds the flag set only records
 * that its interrupt is pending, and re-enabling runs what is pending.
 * With the flag clear the tick runs right inside the signal handler, on
 * top of whatever thread code was doing, including a half-done trace emit.
 */
#include "hosted.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#else
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

#include "../../core/event.h"
#include "../../core/panic.h"
#include "../../core/platform.h"
#include "../../core/tick.h"
#include "guest_trace.h"

#define DEFAULT_MEM   (64ul << 20)
#define MEM_ALIGN     (4ul << 20)       /* the buddy allocator's largest block */
#define ALTSTACK_SIZE (256ul << 10)

static volatile sig_atomic_t irqs_off;
static volatile sig_atomic_t tick_pending;
static volatile sig_atomic_t device_pending;

static struct {
	bool up;
	void *ring_base;
	uint64_t ring_size;
	void *mem;
	size_t mem_len;
	uintptr_t free_start, free_end;
	unsigned tick_hz;
	int console_fd;
	void *altstack;
	void *noaccess;                 /* one PROT_NONE page */
	stack_t old_altstack;
	struct sigaction old_alrm, old_usr1, old_ill, old_segv, old_bus,
		old_fpe;
} H = { .console_fd = 1 };

static uint64_t tsc_hz_cached;

/* ---- clocks ---------------------------------------------------------------- */

uint64_t platform_cycles(void)
{
	return gt_rdtsc();
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Measured once per process against the monotonic clock; 10 ms is enough
 * for well under 0.1% error, which is all trace timestamps need. */
static void calibrate_tsc(void)
{
	if (tsc_hz_cached)
		return;
	uint64_t n0 = mono_ns(), c0 = gt_rdtsc();
	struct timespec d = { 0, 10000000 };
	while (nanosleep(&d, &d) != 0 && errno == EINTR)
		;
	uint64_t n1 = mono_ns(), c1 = gt_rdtsc();
	tsc_hz_cached = (uint64_t)((double)(c1 - c0) * 1e9 / (double)(n1 - n0));
}

uint64_t platform_tsc_hz(void)
{
	calibrate_tsc();
	return tsc_hz_cached;
}

void platform_clock_info(struct platform_clock_info *out)
{
	*out = (struct platform_clock_info){
		.tsc_source = RS_CLOCK_HOSTED,
		.tick_method = H.tick_hz ? RS_TICK_HOSTED : RS_TICK_UNKNOWN,
		.tick_hz = H.tick_hz,
	};
}

uint64_t platform_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- console ---------------------------------------------------------------- */

void platform_console_write(const char *s, size_t n)
{
	if (H.console_fd < 0)
		return;
	while (n > 0) {
		ssize_t w = write(H.console_fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* ---- interrupts -------------------------------------------------------------- */

static inline void compiler_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

/* Runs with irqs_off set, like a real handler. */
static void run_pending(void)
{
	if (tick_pending) {
		tick_pending = 0;
		kernel_tick();
	}
	if (device_pending) {
		device_pending = 0;
		event_irq(HOSTED_DEVICE_VECTOR, HOSTED_DEVICE_PORT);
	}
}

static void on_interrupt(int sig)
{
	int saved = errno;
	if (sig == SIGALRM)
		tick_pending = 1;
	else
		device_pending = 1;
	if (!irqs_off) {
		irqs_off = 1;
		compiler_barrier();
		run_pending();
		compiler_barrier();
		irqs_off = 0;
	}
	errno = saved;
}

bool platform_irqs_enabled(void)
{
	return !irqs_off;
}

void platform_irq_disable(void)
{
	irqs_off = 1;
	compiler_barrier();
}

/* Clearing the flag then checking is race-free: a signal after the clear
 * runs its handler fully; one before it left a pending bit we see here. */
void platform_irq_enable(void)
{
	for (;;) {
		compiler_barrier();
		irqs_off = 0;
		compiler_barrier();
		if (!tick_pending && !device_pending)
			return;
		irqs_off = 1;
		compiler_barrier();
		run_pending();
	}
}

unsigned long platform_irq_save(void)
{
	unsigned long was_off = (unsigned long)irqs_off;
	irqs_off = 1;
	compiler_barrier();
	return was_off;
}

void platform_irq_restore(unsigned long flags)
{
	if (!flags)
		platform_irq_enable();
}

/* The flag cannot make a wait atomic, so the signals are blocked for real
 * around the check and sigsuspend() opens them and sleeps in one step. */
void platform_idle(void)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (tick_pending || device_pending) {
		run_pending();
	} else {
		irqs_off = 0;
		compiler_barrier();
		sigset_t wait = old;
		sigdelset(&wait, SIGALRM);
		sigdelset(&wait, SIGUSR1);
		sigsuspend(&wait);
		compiler_barrier();
		irqs_off = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- faults ------------------------------------------------------------------ */

static uint32_t signal_vector(int sig, int code)
{
	switch (sig) {
	case SIGILL:
		return 6;               /* #UD */
	case SIGFPE:
		return 0;               /* #DE */
	case SIGBUS:
		return 17;              /* #AC */
	default:
		return code == SEGV_MAPERR || code == SEGV_ACCERR ? 14 : 13;
	}
}

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	const greg_t *g = uc->uc_mcontext.gregs;
	struct panic_regs regs;
	static const int map[RS_REG_COUNT] = {
		[RS_REG_RAX] = REG_RAX, [RS_REG_RBX] = REG_RBX,
		[RS_REG_RCX] = REG_RCX, [RS_REG_RDX] = REG_RDX,
		[RS_REG_RSI] = REG_RSI, [RS_REG_RDI] = REG_RDI,
		[RS_REG_RBP] = REG_RBP, [RS_REG_RSP] = REG_RSP,
		[RS_REG_R8] = REG_R8,   [RS_REG_R9] = REG_R9,
		[RS_REG_R10] = REG_R10, [RS_REG_R11] = REG_R11,
		[RS_REG_R12] = REG_R12, [RS_REG_R13] = REG_R13,
		[RS_REG_R14] = REG_R14, [RS_REG_R15] = REG_R15,
		[RS_REG_RIP] = REG_RIP, [RS_REG_RFLAGS] = REG_EFL,
		[RS_REG_CS] = REG_CSGSFS, [RS_REG_SS] = REG_CSGSFS,
	};
	for (unsigned i = 0; i < RS_REG_COUNT; i++)
		regs.r[i] = (uint64_t)g[map[i]];
	regs.r[RS_REG_CS] &= 0xffff;
	regs.r[RS_REG_SS] = 0;
	irqs_off = 1;
	panic_exception(signal_vector(sig, si->si_code), (uint64_t)g[REG_ERR],
			sig == SIGILL ? 0 : (uint64_t)(uintptr_t)si->si_addr,
			&regs);
}

/* ---- memory and region ------------------------------------------------------- */

void platform_ring_region(void **base, uint64_t *gpa, uint64_t *size)
{
	*base = H.ring_base;
	*gpa = 0;                       /* the file offset of the header */
	*size = H.ring_size;
}

void platform_free_range(uintptr_t *start, uintptr_t *end)
{
	*start = H.free_start;
	*end = H.free_end;
}

/* One CPU until this platform brings up the others (issue 15). */
unsigned platform_ncpus(void)
{
	return 1;
}

unsigned platform_cpu(void)
{
	return 0;
}

int platform_start_cpu(unsigned cpu, void (*entry)(void))
{
	return -1;
}

void platform_send_ipi(unsigned cpu)
{
}

void platform_stop_other_cpus(void)
{
}

/* ---- deliberate failures ------------------------------------------------------ */

/* Thread stacks come from H.mem, so a guard is an mprotect of one page
 * there: an overflow then raises SIGSEGV, reported as a #PF (vector 14)
 * with the guard address, on the signal alternate stack. */
void platform_stack_guard(void *lo)
{
	mprotect(lo, RS_PAGE_SIZE, PROT_NONE);
}

void platform_stack_unguard(void *lo)
{
	mprotect(lo, RS_PAGE_SIZE, PROT_READ | PROT_WRITE);
}

/* A PROT_NONE page mapped at init: a write there raises SIGSEGV
 * (SEGV_ACCERR), which on_fault turns into vector 14 with si_addr as the
 * fault address and the kernel's page-fault error code from the context. */
uintptr_t platform_unmapped_address(void)
{
	return (uintptr_t)H.noaccess;
}

/* No CPU to reset: the closest analog of a triple fault is dying at once
 * without a word - no panic record, no state change, nothing flushed -
 * so the ring is left exactly as a reset would leave guest memory. */
void platform_triple_fault(void)
{
	raise(SIGKILL);
	for (;;)
		pause();
}

/* ---- exit ------------------------------------------------------------------ */

void platform_exit(int status)
{
	hosted_platform_fini();
	exit(status);
}

void platform_halt_crashed(void)
{
	/* abort() rather than exit(): the host must see an abnormal end,
	 * and the MAP_SHARED ring keeps the panic record regardless. */
	signal(SIGABRT, SIG_DFL);
	abort();
}

/* ---- setup ------------------------------------------------------------------ */

static void install(int sig, void (*h)(int), struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	/* Interrupt handlers do not nest with each other. */
	sigaddset(&sa.sa_mask, SIGALRM);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaction(sig, &sa, old);
}

/* Under ASan: hosted_platform_init runs after ASan's own init, so these
 * replace ASan's SIGSEGV/SIGBUS/SIGFPE handlers (its default
 * handle_segv=1 lets a program install its own; only handle_segv=2 would
 * refuse), and a fault becomes a panic record rather than an ASan report.
 * No ASAN_OPTIONS are needed. */
static void install_fault(int sig, struct sigaction *old)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
	sigfillset(&sa.sa_mask);
	sigaction(sig, &sa, old);
}

static void set_timer(unsigned hz)
{
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	if (hz) {
		it.it_interval.tv_usec = (suseconds_t)(1000000u / hz);
		it.it_value = it.it_interval;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

int hosted_platform_init(const struct hosted_config *cfg)
{
	if (H.up)
		hosted_platform_fini();
	H.ring_base = cfg->ring_base;
	H.ring_size = cfg->ring_size;
	H.tick_hz = cfg->tick_hz;
	H.console_fd = cfg->console_fd;
	H.mem_len = (cfg->mem_bytes ? cfg->mem_bytes : DEFAULT_MEM) + MEM_ALIGN;
	H.mem = mmap(NULL, H.mem_len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (H.mem == MAP_FAILED) {
		H.mem = NULL;
		return -1;
	}
	H.free_start = ((uintptr_t)H.mem + MEM_ALIGN - 1) & ~(MEM_ALIGN - 1);
	H.free_end = (uintptr_t)H.mem + H.mem_len;
	H.noaccess = mmap(NULL, RS_PAGE_SIZE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (H.noaccess == MAP_FAILED)
		H.noaccess = NULL;
	calibrate_tsc();

	irqs_off = 1;
	tick_pending = device_pending = 0;

	H.altstack = malloc(ALTSTACK_SIZE);
	if (H.altstack) {
		stack_t ss = { .ss_sp = H.altstack, .ss_size = ALTSTACK_SIZE };
		sigaltstack(&ss, &H.old_altstack);
	}
	install(SIGALRM, on_interrupt, &H.old_alrm);
	install(SIGUSR1, on_interrupt, &H.old_usr1);
	install_fault(SIGILL, &H.old_ill);
	install_fault(SIGSEGV, &H.old_segv);
	install_fault(SIGBUS, &H.old_bus);
	install_fault(SIGFPE, &H.old_fpe);
	H.up = true;
	set_timer(H.tick_hz);
	platform_irq_enable();
	return 0;
}

void hosted_platform_fini(void)
{
	if (!H.up)
		return;
	set_timer(0);
	irqs_off = 1;
	sigaction(SIGALRM, &H.old_alrm, NULL);
	sigaction(SIGUSR1, &H.old_usr1, NULL);
	sigaction(SIGILL, &H.old_ill, NULL);
	sigaction(SIGSEGV, &H.old_segv, NULL);
	sigaction(SIGBUS, &H.old_bus, NULL);
	sigaction(SIGFPE, &H.old_fpe, NULL);
	if (H.altstack) {
		sigaltstack(&H.old_altstack, NULL);
		free(H.altstack);
		H.altstack = NULL;
	}
	/* The heap poisons free objects and dead threads leave poisoned
	 * frames; ASan keeps shadow across munmap, and a later mapping at the
	 * same address must not inherit it. */
	ASAN_UNPOISON_MEMORY_REGION(H.mem, H.mem_len);
	munmap(H.mem, H.mem_len);
	H.mem = NULL;
	if (H.noaccess)
		munmap(H.noaccess, RS_PAGE_SIZE);
	H.noaccess = NULL;
	H.up = false;
	tick_pending = device_pending = 0;
	irqs_off = 0;
}
