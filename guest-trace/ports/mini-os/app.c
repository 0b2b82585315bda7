/*
 * app.c - the traced Mini-OS app that make check-xen boots as a PV guest
 * (samples/xen/minios.cfg): it publishes the ring, measures the emit
 * cost against Mini-OS's own clock, then runs one workload chosen on the
 * command line (extra="workload=NAME count=N"):
 *
 *   exit   N worker threads allocate, sleep and free pages, exit; then a
 *          clean exit record and SHUTDOWN_poweroff (the default)
 *   crash  the same work, then a write to an unmapped address: Mini-OS's
 *          page-fault handler (traced: the panic record) and SHUTDOWN_crash
 *   bug    the same work, then BUG_ON(): the assertion path and do_exit
 *   hang   the same work, then events masked and a spin: the heartbeat
 *          stops while the domain runs on
 *
 * What it has to say for the test goes to xenstore (data/ringside-app/)
 * as well as the console, since a PV guest's console is only its ring.
 */
#include <mini-os/os.h>
#include <mini-os/hypervisor.h>
#include <mini-os/kernel.h>
#include <mini-os/mm.h>
#include <mini-os/sched.h>
#include <mini-os/time.h>
#include <mini-os/lib.h>
#include <mini-os/xenbus.h>
#include <mini-os/xmalloc.h>

#include "ringside_minios.h"

#define BENCH_EVENTS 100000u
#define BENCH_ORDER 4              /* a 64 KiB scratch region */
#define WORK_ROUNDS 10

static int workers_done;

static void app_key(const char *key, const char *value)
{
	char path[64];
	char *err;

	snprintf(path, sizeof(path), "data/ringside-app/%s", key);
	err = xenbus_write(XBT_NIL, path, value);
	if (err) {
		printk("app: xenstore write %s: %s\n", path, err);
		free(err);
	}
}

/* The value of `name=` on the command line, or `dflt`. */
static const char *arg(const char *name, char *buf, size_t len, const char *dflt)
{
	size_t n = strlen(name);

	for (const char *p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && strncmp(p, name, n) == 0 &&
		    p[n] == '=') {
			size_t i = 0;

			for (p += n + 1; *p && *p != ' ' && i + 1 < len; p++)
				buf[i++] = *p;
			buf[i] = '\0';
			return buf;
		}
	}
	return dflt;
}

/*
 * The emit cost: BENCH_EVENTS fixed-size emits (one argument, 24 bytes)
 * into a scratch region of their own, so the published ring keeps only
 * the guest's real events; the same inline path as every hook. Timed with
 * NOW() (Mini-OS's clock: Xen's system time scaled from the TSC), three
 * ways, because a PV guest's rdtsc may be emulated by Xen (tsc_mode
 * "default" does so when the host's TSC is not invariant, as under QEMU
 * TCG): gt_emit as the hooks call it, gt_emit_at with a timestamp the
 * caller gives (the ring writing alone), and rdtsc alone.
 */
#define TIMED(what, n, body) do { \
	s_time_t t0_ = NOW(); \
	for (unsigned int i = 0; i < (n); i++) { body; } \
	ns[what] = (uint64_t)(NOW() - t0_); \
} while (0)

static void bench(void)
{
	unsigned long va = alloc_pages(BENCH_ORDER);
	uint64_t ns[3], sink = 0;
	char msg[160];

	if (!va)
		return;
	struct gt_config cfg = {
		.region_gpa = to_phys(va),
		.region_size = (uint64_t)PAGE_SIZE << BENCH_ORDER,
		.ncpus = 1,
		.nonce = gt_rdtsc(),
	};
	struct rs_header *h = (struct rs_header *)va;
	if (gt_region_init(h, &cfg) == 0) {
		TIMED(0, BENCH_EVENTS, gt_emit(h, 0, RS_EV_THREAD_YIELD, 1,
			RS_EV_NARGS(THREAD_YIELD), i, 0, 0));
		TIMED(1, BENCH_EVENTS, gt_emit_at(h, 0, i, RS_EV_THREAD_YIELD, 1,
			RS_EV_NARGS(THREAD_YIELD), i, 0, 0));
		TIMED(2, BENCH_EVENTS, sink += gt_rdtsc());
		snprintf(msg, sizeof(msg), "%u each: emit %lu ns, emit_at %lu ns,"
			 " rdtsc %lu ns", BENCH_EVENTS, (unsigned long)ns[0],
			 (unsigned long)ns[1], (unsigned long)ns[2]);
		printk("app: emit cost: %s; per event: emit %lu ns, emit_at"
		       " %lu ns, rdtsc %lu ns (sink %lx)\n", msg,
		       (unsigned long)(ns[0] / BENCH_EVENTS),
		       (unsigned long)(ns[1] / BENCH_EVENTS),
		       (unsigned long)(ns[2] / BENCH_EVENTS), (unsigned long)sink);
		app_key("emit", msg);
	}
	free_pages((void *)va, BENCH_ORDER);
}

static void worker(void *arg)
{
	unsigned long n = (unsigned long)arg;

	for (int i = 0; i < WORK_ROUNDS; i++) {
		unsigned long p = alloc_page();

		if (p)
			memset((void *)p, (int)n, PAGE_SIZE);
		msleep(2);
		if (p)
			free_page((void *)p);
	}
	workers_done++;
}

static void work(unsigned int count)
{
	char name[16];

	workers_done = 0;
	for (unsigned int i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "worker-%u", i);
		/* Mini-OS keeps the name pointer: give it storage that lasts */
		create_thread(strdup(name), worker, (void *)(unsigned long)i);
	}
	while (workers_done < (int)count)
		msleep(5);
}

static void shutdown(unsigned int reason)
{
	struct sched_shutdown s = { .reason = reason };

	for (;;)
		HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
}

static void app_thread(void *unused)
{
	char wbuf[16], cbuf[16];
	const char *workload = arg("workload", wbuf, sizeof(wbuf), "exit");
	unsigned int count = (unsigned int)strtoul(
		arg("count", cbuf, sizeof(cbuf), "4"), NULL, 10);

	if (count > 64)
		count = 64;
	printk("app: workload %s, %u workers\n", workload, count);
	if (ringside_minios_publish() == 0)
		app_key("published", "1");
	bench();
	work(count);
	if (strcmp(workload, "crash") == 0) {
		printk("app: crash: writing to an unmapped address\n");
		*(volatile unsigned long *)0xdeadbeef000ul = 1;
	} else if (strcmp(workload, "bug") == 0) {
		printk("app: bug: BUG_ON(workers_done == count)\n");
		BUG_ON(workers_done == (int)count);
	} else if (strcmp(workload, "hang") == 0) {
		app_key("hang", "disabling interrupts");
		printk("app: hang: disabling interrupts\n");
		local_irq_disable();
		for (;;)
			barrier();
	}
	printk("app: done, %d workers\n", workers_done);
	ringside_minios_exited();
	app_key("done", "1");
	shutdown(SHUTDOWN_poweroff);
}

/* Overrides Mini-OS's weak app_main: it runs on the boot stack, before
 * any thread, so the work (which needs xenbus) goes to a thread. */
int app_main(void *p)
{
	create_thread("app", app_thread, NULL);
	return 0;
}
