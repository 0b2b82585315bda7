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
 *
 * Several CPUs (--cpus N) are N pthreads. Everything a CPU has to itself
 * is __thread: its number, its interrupt flag and pending bits (the flag
 * stays a variable rather than a pthread_sigmask call, for the same cost
 * reason; platform_idle blocks the signals for real around its wait).
 * Each CPU's tick is its own timer (timer_create, SIGEV_THREAD_ID), an
 * IPI is SIGUSR2 sent with pthread_kill, and the device interrupt
 * (SIGUSR1 from outside) lands on whichever CPU the kernel picks. Kernel
 * threads move between the pthreads: nothing here keeps a pointer to a
 * __thread variable across a context switch (none happens in this file).
 */
#include "hosted.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
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

#define SIG_IPI SIGUSR2

/* This pthread's CPU and its interrupt state. */
static __thread unsigned cpu_index;
static __thread volatile sig_atomic_t irqs_off;
static __thread volatile sig_atomic_t tick_pending;
static __thread volatile sig_atomic_t device_pending;
static __thread volatile sig_atomic_t ipi_pending;

/* What every CPU's pthread has: its timer, the thread to signal, the
 * alternate stack its faults are handled on. */
struct hosted_cpu {
	pthread_t thread;
	timer_t timer;
	bool has_timer;
	bool started;
	void *altstack;
	void (*entry)(void);
	volatile int reached;           /* it is running entry() */
};

/* Set by platform_stop_other_cpus: an IPI now means "stop here". */
static volatile sig_atomic_t stop_requested;
static volatile unsigned stop_by;
static unsigned stopped_count;

static struct {
	bool up;
	void *ring_base;
	uint64_t ring_size;
	void *mem;
	size_t mem_len;
	uintptr_t free_start, free_end;
	unsigned tick_hz;
	unsigned ncpus;
	int console_fd;
	struct hosted_cpu cpu[KERNEL_MAX_CPUS];
	void *noaccess;                 /* one PROT_NONE page */
	stack_t old_altstack;
	struct sigaction old_alrm, old_usr1, old_usr2, old_ill, old_segv,
		old_bus, old_fpe;
} H = { .ncpus = 1, .console_fd = 1 };

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

static bool any_pending(void)
{
	return tick_pending || device_pending || ipi_pending;
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
	if (ipi_pending) {
		ipi_pending = 0;
		kernel_ipi();
	}
}

/* Another CPU panicked or the kernel exits: this one stops where it is,
 * whatever its interrupt flag says (an NMI would), with every signal
 * blocked so that nothing runs here again. */
/* Where each stopped CPU was when the stop reached it, for the panic
 * record of every CPU (platform_stopped_regs). */
static struct panic_regs stop_regs[KERNEL_MAX_CPUS];
static volatile int stop_regs_saved[KERNEL_MAX_CPUS];

static void stop_here(void)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	__atomic_add_fetch(&stopped_count, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
}

static void on_interrupt(int sig);
static void regs_of(const ucontext_t *uc, struct panic_regs *regs);

/* The IPI's handler: a stop saves where this CPU was, then parks; any
 * other IPI is an interrupt like the rest. */
static void on_ipi(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	if (stop_requested && stop_by != cpu_index && cpu_index < KERNEL_MAX_CPUS) {
		regs_of(uc, &stop_regs[cpu_index]);
		__atomic_store_n(&stop_regs_saved[cpu_index], 1, __ATOMIC_RELEASE);
		stop_here();
	}
	on_interrupt(sig);
}

int platform_stopped_regs(unsigned cpu, struct panic_regs *out)
{
	if (cpu >= KERNEL_MAX_CPUS ||
	    !__atomic_load_n(&stop_regs_saved[cpu], __ATOMIC_ACQUIRE))
		return -1;
	*out = stop_regs[cpu];
	return 0;
}

static void on_interrupt(int sig)
{
	int saved = errno;
	if (sig == SIG_IPI && stop_requested && stop_by != cpu_index)
		stop_here();
	if (sig == SIGALRM)
		tick_pending = 1;
	else if (sig == SIG_IPI)
		ipi_pending = 1;
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
		if (!any_pending())
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
static void interrupt_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGALRM);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIG_IPI);
}

void platform_idle(void)
{
	sigset_t block, old;
	interrupt_signals(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (any_pending()) {
		run_pending();
	} else {
		irqs_off = 0;
		compiler_barrier();
		sigset_t wait = old;
		sigdelset(&wait, SIGALRM);
		sigdelset(&wait, SIGUSR1);
		sigdelset(&wait, SIG_IPI);
		sigsuspend(&wait);
		compiler_barrier();
		irqs_off = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
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

/* The registers a signal interrupted, in the panic record's order. */
static void regs_of(const ucontext_t *uc, struct panic_regs *regs)
{
	const greg_t *g = uc->uc_mcontext.gregs;
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
		regs->r[i] = (uint64_t)g[map[i]];
	regs->r[RS_REG_CS] &= 0xffff;
	regs->r[RS_REG_SS] = 0;
}

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	const greg_t *g = uc->uc_mcontext.gregs;
	struct panic_regs regs;
	regs_of(uc, &regs);
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

/* ---- CPUs ------------------------------------------------------------------------ */

unsigned platform_ncpus(void)
{
	return H.ncpus;
}

unsigned platform_cpu(void)
{
	return cpu_index;
}

/* A spinning CPU gives its core away now and then: the CPUs are threads
 * that may outnumber the host's cores, and the one a spinner waits for
 * may be the one that is not running. */
void platform_cpu_relax(void)
{
	sched_yield();
}

static void set_altstack(struct hosted_cpu *c, stack_t *old)
{
	c->altstack = malloc(ALTSTACK_SIZE);
	if (c->altstack) {
		stack_t ss = { .ss_sp = c->altstack, .ss_size = ALTSTACK_SIZE };
		sigaltstack(&ss, old);
	}
}

/* The calling pthread's tick: a timer that signals this thread only. */
static void start_tick(struct hosted_cpu *c)
{
	if (!H.tick_hz)
		return;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGALRM;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &c->timer) != 0)
		return;
	c->has_timer = true;
	long ns = 1000000000l / (long)H.tick_hz;
	struct itimerspec its = {
		.it_interval = { ns / 1000000000l, ns % 1000000000l },
		.it_value = { ns / 1000000000l, ns % 1000000000l },
	};
	timer_settime(c->timer, 0, &its, NULL);
}

static void stop_tick(struct hosted_cpu *c)
{
	if (c->has_timer)
		timer_delete(c->timer);
	c->has_timer = false;
}

static void *cpu_thread(void *arg)
{
	struct hosted_cpu *c = arg;
	cpu_index = (unsigned)(c - H.cpu);
	irqs_off = 1;
	set_altstack(c, NULL);
	start_tick(c);
	sigset_t sigs;
	interrupt_signals(&sigs);
	pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
	__atomic_store_n(&c->reached, 1, __ATOMIC_RELEASE);
	c->entry();
	return NULL;
}

/* The new pthread starts with the interrupt signals blocked (it inherits
 * the mask set here) and opens them once its interrupt flag is set. */
int platform_start_cpu(unsigned cpu, void (*entry)(void))
{
	if (cpu == 0 || cpu >= H.ncpus || H.cpu[cpu].started)
		return -1;
	struct hosted_cpu *c = &H.cpu[cpu];
	sigset_t sigs, old;
	interrupt_signals(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	c->entry = entry;
	c->reached = 0;
	int rc = pthread_create(&c->thread, NULL, cpu_thread, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	c->started = true;
	/* Up to 10 s: the host may be busy, but a thread that has not run
	 * by then is not coming. */
	for (int i = 0; i < 10000 && !__atomic_load_n(&c->reached,
						     __ATOMIC_ACQUIRE); i++) {
		struct timespec d = { 0, 1000000 };
		nanosleep(&d, NULL);
	}
	return c->reached ? 0 : -1;
}

void platform_send_ipi(unsigned cpu)
{
	if (cpu < H.ncpus && cpu != cpu_index && H.cpu[cpu].started)
		pthread_kill(H.cpu[cpu].thread, SIG_IPI);
}

/* The other CPUs stop in their IPI handler (stop_here); a hosted CPU has
 * no registers of its own to leave behind, its pthread's are the host's.
 * Waits up to a second for them. */
void platform_stop_other_cpus(void)
{
	unsigned want = 0;
	stop_by = cpu_index;
	stop_requested = 1;
	for (unsigned i = 0; i < H.ncpus; i++) {
		if (i == cpu_index || !H.cpu[i].started)
			continue;
		want++;
		pthread_kill(H.cpu[i].thread, SIG_IPI);
	}
	for (int i = 0; i < 1000 && __atomic_load_n(&stopped_count,
						    __ATOMIC_SEQ_CST) < want;
	     i++) {
		struct timespec d = { 0, 1000000 };
		nanosleep(&d, NULL);
	}
}

static bool others_started(void)
{
	for (unsigned i = 1; i < H.ncpus; i++)
		if (H.cpu[i].started)
			return true;
	return false;
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
	/* The other CPUs have parked (sched_run); stopped for good with
	 * their signals blocked, no tick of theirs can outlive the handlers
	 * that fini takes down. */
	if (others_started())
		platform_stop_other_cpus();
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
	if (sig == SIG_IPI) {
		sa.sa_sigaction = on_ipi;
		sa.sa_flags = SA_RESTART | SA_SIGINFO;
	} else {
		sa.sa_handler = h;
		sa.sa_flags = SA_RESTART;
	}
	sigemptyset(&sa.sa_mask);
	/* Interrupt handlers do not nest with each other. */
	sigaddset(&sa.sa_mask, SIGALRM);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaddset(&sa.sa_mask, SIG_IPI);
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

int hosted_platform_init(const struct hosted_config *cfg)
{
	if (H.up)
		hosted_platform_fini();
	H.ring_base = cfg->ring_base;
	H.ring_size = cfg->ring_size;
	H.tick_hz = cfg->tick_hz;
	H.ncpus = cfg->ncpus ? cfg->ncpus : 1;
	if (H.ncpus > KERNEL_MAX_CPUS)
		H.ncpus = KERNEL_MAX_CPUS;
	memset(H.cpu, 0, sizeof(H.cpu));
	stop_requested = 0;
	stopped_count = 0;
	memset((void *)stop_regs_saved, 0, sizeof(stop_regs_saved));
	cpu_index = 0;
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
	tick_pending = device_pending = ipi_pending = 0;

	set_altstack(&H.cpu[0], &H.old_altstack);
	install(SIGALRM, on_interrupt, &H.old_alrm);
	install(SIGUSR1, on_interrupt, &H.old_usr1);
	install(SIG_IPI, on_interrupt, &H.old_usr2);
	install_fault(SIGILL, &H.old_ill);
	install_fault(SIGSEGV, &H.old_segv);
	install_fault(SIGBUS, &H.old_bus);
	install_fault(SIGFPE, &H.old_fpe);
	H.up = true;
	H.cpu[0].started = true;
	H.cpu[0].thread = pthread_self();
	start_tick(&H.cpu[0]);
	platform_irq_enable();
	return 0;
}

void hosted_platform_fini(void)
{
	if (!H.up)
		return;
	/* Every CPU's timer, so no tick outlives its handler; the other
	 * CPUs' pthreads, stopped, stay until the process exits. */
	for (unsigned i = 0; i < H.ncpus; i++)
		stop_tick(&H.cpu[i]);
	irqs_off = 1;
	sigaction(SIGALRM, &H.old_alrm, NULL);
	sigaction(SIGUSR1, &H.old_usr1, NULL);
	sigaction(SIG_IPI, &H.old_usr2, NULL);
	sigaction(SIGILL, &H.old_ill, NULL);
	sigaction(SIGSEGV, &H.old_segv, NULL);
	sigaction(SIGBUS, &H.old_bus, NULL);
	sigaction(SIGFPE, &H.old_fpe, NULL);
	if (H.cpu[0].altstack) {
		sigaltstack(&H.old_altstack, NULL);
		free(H.cpu[0].altstack);
		H.cpu[0].altstack = NULL;
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
	tick_pending = device_pending = ipi_pending = 0;
	irqs_off = 0;
}
