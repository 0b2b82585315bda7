/*
 * boot.c - kernel_main: the order things come up in, and the exit path.
 *
 * Tracing starts first so that everything after it, including a failure
 * during init, lands in the ring. The workload runs in its own thread
 * ("main", tid 1) while the boot thread becomes the idle loop.
 */
#include "kernel.h"

#include "event.h"
#include "guest_trace.h"
#include "heap.h"
#include "klib.h"
#include "mm.h"
#include "panic.h"
#include "platform.h"
#include "promise.h"
#include "sched.h"
#include "tick.h"
#include "timer.h"
#include "trace.h"
#include "../workloads/workloads.h"

struct rs_header *trace_region;

int kernel_parse_seconds(const char *s, uint64_t *ns)
{
	uint64_t whole = 0, frac = 0, scale = 1000000000u;
	const char *p = s;

	if (!*p)
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
		}
	}
	if (*p || whole > 1000000)
		return -1;
	*ns = whole * 1000000000u + frac;
	return 0;
}

int kernel_parse_cmdline(const char *cmdline, struct kernel_options *o,
			 char *storage, uint64_t storage_len)
{
	/* Tokens are copied into `storage` so o->workload can point there. */
	kstrlcpy(storage, cmdline, storage_len);
	char *s = storage;
	while (*s) {
		while (*s == ' ')
			*s++ = '\0';
		if (!*s)
			break;
		char *tok = s;
		while (*s && *s != ' ')
			s++;
		if (*s)
			*s++ = '\0';
		char *eq = tok;
		while (*eq && *eq != '=')
			eq++;
		const char *val = *eq ? eq + 1 : "";
		*eq = '\0';
		if (!kstrcmp(tok, "workload")) {
			o->workload = val;
		} else if (!kstrcmp(tok, "count")) {
			if (kparse_u64(val, &o->count))
				goto bad;
		} else if (!kstrcmp(tok, "seconds")) {
			if (kernel_parse_seconds(val, &o->duration_ns))
				goto bad;
		} else if (!kstrcmp(tok, "mode")) {
			if (!kstrcmp(val, "overwrite"))
				o->mode = RS_MODE_OVERWRITE;
			else if (!kstrcmp(val, "discard"))
				o->mode = RS_MODE_DISCARD;
			else
				goto bad;
		} else if (!kstrcmp(tok, "quiet")) {
			o->quiet = true;
		} else {
			goto bad;
		}
		continue;
bad:
		kprintf("kernel: bad command line option '%s'\n", tok);
		return -1;
	}
	return 0;
}

int kernel_trace_init(uint32_t mode)
{
	void *base;
	uint64_t gpa, size;
	platform_ring_region(&base, &gpa, &size);
	if (!base)
		return -1;

	uint64_t tsc = platform_cycles();
	uint64_t wall = platform_wall_ns();
	struct platform_clock_info clk;
	platform_clock_info(&clk);
	struct gt_config cfg = {
		.region_gpa = gpa,
		.region_size = size,
		.ncpus = platform_ncpus(),
		/* every CPU's registers on a panic (only with several) */
		.cpu_regs = 1,
		.mode = mode,
		.chunk_size = 0,
		/* Differs across boots even without a wall clock: the cycle
		 * counter keeps running through reboots. */
		.nonce = (tsc * 0x9e3779b97f4a7c15ull) ^ wall ^ (uintptr_t)base,
		.tsc_hz = platform_tsc_hz(),
		.boot_tsc = tsc,
		.boot_wall_ns = wall,
		.tsc_source = clk.tsc_source,
		.tick_method = clk.tick_method,
		.tick_hz = clk.tick_hz,
		.timer_hz = clk.timer_hz,
	};
	if (gt_region_init(base, &cfg) != 0)
		return -1;
	trace_region = base;
	return 0;
}

/* Platforms that announce nothing need not define it (platform.h). */
__attribute__((weak)) void platform_trace_ready(void)
{
}

void kernel_core_init(void)
{
	uintptr_t start, end;
	platform_free_range(&start, &end);
	init_page_allocator(start, end);
	heap_init();
	promise_init();
	timer_init();
	event_init();
	tick_init();
	sched_init();
}

/* CPUs 1..n-1, once the core is ready for them: each enters its idle
 * loop (sched_secondary). One that does not come up is left out. */
static void start_cpus(bool quiet)
{
	unsigned n = platform_ncpus(), up = 1;
	for (unsigned cpu = 1; cpu < n && cpu < KERNEL_MAX_CPUS; cpu++) {
		if (platform_start_cpu(cpu, sched_secondary) == 0)
			up++;
		else
			kprintf("kernel: cpu %u did not come up\n", cpu);
	}
	if (!quiet && n > 1)
		kprintf("kernel: %u of %u cpus up\n", up, n);
}

struct main_ctx {
	const struct workload *w;
	struct workload_args args;
	int status;
};

static void main_thread(void *arg)
{
	struct main_ctx *m = arg;
	m->status = m->w->run(&m->args);
}

void kernel_main(const struct kernel_options *o)
{
	const struct workload *w = workload_find(o->workload);
	if (!w) {
		kprintf("kernel: unknown workload '%s'; known:",
			o->workload ? o->workload : "(none)");
		for (unsigned i = 0; workload_table[i]; i++)
			kprintf(" %s", workload_table[i]->name);
		kprintf("\n");
		platform_exit(2);
	}
	if (kernel_trace_init(o->mode) != 0) {
		/* gt_region_init: at least two pages a CPU. */
		kprintf("kernel: cannot lay out the trace ring (%u cpus need "
			"at least %u ring pages)\n", platform_ncpus(),
			2 * platform_ncpus());
		platform_exit(2);
	}
	platform_trace_ready();
	kernel_core_init();
	start_cpus(o->quiet);
	gt_set_state(trace_region, RS_STATE_RUNNING);
	if (!o->quiet)
		kprintf("kernel: booted, running workload '%s'\n", w->name);

	struct main_ctx m = { w, { o->count, o->duration_ns, o->quiet }, 0 };
	struct thread *t = thread_create("main", main_thread, &m);
	if (!t)
		panic("boot: cannot create the main thread");
	/* Returns only once every thread has exited: a deadlock is
	 * reported and then idled through, like a hang with a heartbeat. */
	sched_run();
	thread_join(t);

	struct mm_stats ms;
	mm_stats(&ms);
	if (!o->quiet || heap_in_use() != 0 || ms.free_pages != ms.total_pages)
		kprintf("kernel: workload '%s' finished, status %d, heap in "
			"use %lu bytes, %lu of %lu pages free\n",
			w->name, m.status, (unsigned long)heap_in_use(),
			(unsigned long)ms.free_pages,
			(unsigned long)ms.total_pages);
	gt_set_state(trace_region, RS_STATE_EXITED);
	platform_exit(m.status == 0 ? 0 : 1);
}
