/*
 * demo.c - a small web server, made to be the first trace one opens in a
 * timeline viewer: a "network card" interrupt (the tick raises event port
 * 2, vector 34, every 8 ms through tick_set_device/event_irq, on both
 * platforms), a "listener" thread waiting for it through EVENT promises, a
 * handler thread per request whose labelled promise ("GET /index 12")
 * parents a bind chain (parse sleep -> BECOMES a "db query" sleep ->
 * BECOMES a "render" sleep), kmalloc'd buffers, a page block for every
 * third response, one route in five failing ("404 not found: /missing"),
 * and COUNTERs "requests" and "heap_in_use". Runs 2 s by default;
 * seconds=S runs S seconds, count=N serves exactly N requests. Then waits
 * for the handlers in flight and exits cleanly.
 *
 * With N requests served, of which F = those numbered n % 5 == 3 (F =
 * N/5, plus 1 if N % 5 == 4) fail and S = N - F succeed, exactly:
 *   THREAD_CREATE N + 2 (main, listener, "http n" handlers) == THREAD_EXIT
 *   PROMISE_CREATE 7S + 6F + 1: TASK N, BIND 2N, SLEEP 3S + F, EVENT N,
 *                  WAIT F + 1 (the failed lookups, main's "drain")
 *   PROMISE_RESOLVE 7S + 2F + 1, PROMISE_FAIL 4F, PROMISE_CANCEL 0
 *                  (so creates == resolves + fails)
 *   PROMISE_BECOMES 2S, PROMISE_READ 2N + 1, PROMISE_LABEL 4S + 2F + N + 1
 *   PROMISE_TRY_READ N (the listener polls each rx event before blocking)
 *   PROMISE_SIGNAL N (each delivered rx event signals its waiter)
 *   TIMER_FIRE 3S + F, EVTCHN_NOTIFY N (IRQ_ENTER with vector 34: at least
 *   N, interrupts that arrive while nobody listens coalesce)
 *   COUNTER 2N + 2: "requests" (completed so far) and "heap_in_use" after
 *   every request, and both once more at the end
 *   MARK 1 (a = N, "demo done")
 *   PAGE_ALLOC == PAGE_FREE, last HEAP 0 (counts depend on slab reuse).
 * On several CPUs the same counts hold: the handlers are spread over the
 * CPUs (placement), and what they share (the in-flight count, the
 * completed count, the drain) changes under the promise lock, as it would
 * in Lwt's one-threaded world.
 */
#include "workloads.h"

#include "../core/event.h"
#include "../core/heap.h"
#include "../core/klib.h"
#include "../core/mm.h"
#include "../core/platform.h"
#include "../core/promise.h"
#include "../core/sched.h"
#include "../core/tick.h"
#include "../core/timer.h"
#include "../core/trace.h"

#define DEMO_DEFAULT_NS 2000000000ull
#define NET_PORT        2u
#define NET_VECTOR      34u
#define NET_PERIOD_NS   8000000ull

struct route {
	const char *path;
	uint32_t db_us;            /* 0: no such page */
};

static const struct route routes[] = {
	{ "/index", 1500 },       { "/api/users", 4000 },
	{ "/static/app.js", 600 }, { "/missing", 0 },
	{ "/api/orders", 6000 },
};

struct demo {
	struct workload_args args;
	uint64_t start;
	unsigned inflight;
	bool listening;
	uint64_t completed;
	struct promise *drained;
};

struct request {
	struct demo *d;
	unsigned n;
	const struct route *r;
};

static struct promise *lookup(uint64_t value, void *arg)
{
	const struct request *rq = arg;
	if (!rq->r->db_us) {
		char msg[48];
		ksnprintf(msg, sizeof(msg), "404 not found: %s", rq->r->path);
		return promise_failed(msg);
	}
	struct promise *p = timer_sleep_ns(rq->r->db_us * 1000ull +
					   (rq->n % 4) * 250000ull);
	promise_label(p, "db query %u", rq->n);
	return p;
}

static struct promise *render(uint64_t value, void *arg)
{
	const struct request *rq = arg;
	struct promise *p = timer_sleep_ns(300000);
	promise_label(p, "render %u", rq->n);
	return p;
}

static void handler(void *arg)
{
	struct request *rq = arg;
	struct demo *d = rq->d;
	unsigned n = rq->n;

	struct promise *req = promise_create(RS_PT_TASK);
	promise_label(req, "GET %s %u", rq->r->path, n);
	/* What this request creates hangs off its promise in the viewer. */
	uint64_t saved = sched_promise_ctx();
	sched_set_promise_ctx(promise_id(req));

	size_t len = 256 + (n % 7) * 300;
	char *buf = kmalloc(len);
	if (buf)
		memset(buf, (int)n, len);
	void *body = n % 3 == 0 ? alloc_pages(1) : NULL;

	struct promise *parse = timer_sleep_ns(200000);
	promise_label(parse, "parse %u", n);
	struct promise *chain = promise_bind(parse, lookup, rq);
	struct promise *page = promise_bind(chain, render, rq);
	if (promise_wait(page, NULL) == PROMISE_OK)
		promise_resolve(req, 200);
	else
		promise_fail(req, promise_message(page));

	if (body)
		free_pages(body, 1);
	kfree(buf);
	promise_unref(page);
	promise_unref(chain);
	promise_unref(parse);
	promise_unref(req);
	sched_set_promise_ctx(saved);
	kfree(rq);

	/* The last handler out resolves the drain, and d (main's) must not
	 * be touched after that: all of it under the lock. */
	unsigned long flags = promise_lock();
	d->completed++;
	trace_counter(d->completed, "requests");
	trace_counter(heap_in_use(), "heap_in_use");
	if (--d->inflight == 0 && !d->listening)
		promise_resolve(d->drained, d->completed);
	promise_unlock(flags);
}

static void listener(void *arg)
{
	struct demo *d = arg;

	tick_set_device(ns_to_cycles(NET_PERIOD_NS), NET_VECTOR, NET_PORT);
	for (unsigned n = 0; !workload_done(&d->args, n, 0, d->start); n++) {
		/* Poll before sleeping, as a driver checks its rx ring: a
		 * packet already delivered is taken without blocking. Events
		 * are delivered by a scheduler's dispatch under the promise
		 * lock, so with the wait and the poll under it too (it is
		 * reentrant) the poll finds the new wait pending on any
		 * number of CPUs: one PROMISE_TRY_READ per request. */
		unsigned long pflags = promise_lock();
		struct promise *ev = event_wait(NET_PORT);
		promise_label(ev, "rx %u", n);
		int polled = promise_try_read(ev, NULL);
		promise_unlock(pflags);
		if (polled == PROMISE_EPENDING)
			promise_wait(ev, NULL);
		promise_unref(ev);

		struct request *rq = kmalloc(sizeof(*rq));
		if (!rq)
			break;
		rq->d = d;
		rq->n = n;
		rq->r = &routes[n % KARRAY_SIZE(routes)];
		char name[24];
		ksnprintf(name, sizeof(name), "http %u", n);
		/* Counted before the handler can run (on another CPU) and
		 * take it off again. */
		unsigned long flags = promise_lock();
		d->inflight++;
		promise_unlock(flags);
		struct thread *t = thread_create(name, handler, rq);
		if (!t) {
			flags = promise_lock();
			d->inflight--;
			promise_unlock(flags);
			kfree(rq);
			break;
		}
		thread_detach(t);
	}
	tick_set_device(0, 0, 0);
	unsigned long flags = promise_lock();
	d->listening = false;
	if (d->inflight == 0)
		promise_resolve(d->drained, d->completed);
	promise_unlock(flags);
}

static int demo_run(const struct workload_args *args)
{
	struct demo d = { .args = *args, .start = platform_cycles() };
	if (!d.args.count && !d.args.duration_ns)
		d.args.duration_ns = DEMO_DEFAULT_NS;
	d.listening = true;
	d.drained = promise_create(RS_PT_WAIT);
	promise_label(d.drained, "drain");

	struct thread *t = thread_create("listener", listener, &d);
	if (!t)
		return 1;
	promise_wait(d.drained, NULL);
	thread_join(t);
	promise_unref(d.drained);

	trace_counter(d.completed, "requests");
	trace_counter(heap_in_use(), "heap_in_use");
	trace_mark(d.completed, "demo done");
	if (!args->quiet)
		kprintf("demo: %lu requests served\n",
			(unsigned long)d.completed);
	return 0;
}

const struct workload workload_demo = {
	"demo", "a small web server: interrupts, requests, promise chains",
	demo_run,
};
