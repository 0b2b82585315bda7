/*
 * fanout.c - a request handler fanning each request out into labelled
 * promises, in the shape of a server: some parts wait on timers, some are
 * completed (or failed) by a worker thread woken through an event channel,
 * some are bind chains that BECOMES a later sleep. The handler joins the
 * parts, races the join against a deadline with choose, and cancels the
 * deadline.
 *
 * Per request (8 parts, k = 0..7), with R requests (count=R, default 50):
 *   PROMISE_CREATE 14: deadline, 8 parts, 2 sleeps made by binds, the
 *                      worker's event wait, join, choose
 *   PROMISE_RESOLVE 9, PROMISE_FAIL 4 (parts 1 and 5, join, choose),
 *   PROMISE_CANCEL 1 (deadline)  -> creates == resolves + fails + cancels
 *   PROMISE_BECOMES 2, PROMISE_LABEL 10, TIMER_FIRE 4, EVTCHN_NOTIFY 1,
 *   PROMISE_SIGNAL 1 (the event wakes the worker's wait)
 *   THREAD_CREATE 1 (the worker), plus main once for the whole run
 * and MARK 1 at the end (a = R, "fanout done").
 */
#include "workloads.h"

#include "../core/event.h"
#include "../core/klib.h"
#include "../core/platform.h"
#include "../core/promise.h"
#include "../core/sched.h"
#include "../core/timer.h"
#include "../core/trace.h"

#define FANOUT_DEFAULT 50
#define PARTS 8
#define PORT_BASE 1
#define NPORTS 4

struct request {
	unsigned n;
	unsigned port;
	struct promise *part[PARTS];
};

/* Parts 1 and 5 fail, 2 and 6 succeed; 3 and 7 follow them via bind. */
static void worker(void *arg)
{
	struct request *rq = arg;
	struct promise *ev = event_wait(rq->port);
	promise_wait(ev, NULL);
	promise_unref(ev);
	for (unsigned k = 0; k < PARTS; k++) {
		char msg[48];
		if (k % 4 == 1) {
			ksnprintf(msg, sizeof(msg),
				  "req %u part %u: simulated error", rq->n, k);
			promise_fail(rq->part[k], msg);
		} else if (k % 4 == 2) {
			promise_resolve(rq->part[k], k);
		}
	}
}

/* The second stage of a two-step part: another short wait, so the bind
 * result BECOMES this sleep. */
static struct promise *then_sleep(uint64_t value, void *arg)
{
	return timer_sleep_ns(300000);
}

static int handle(unsigned n)
{
	struct request rq = { .n = n, .port = PORT_BASE + n % NPORTS };
	struct promise *deadline = timer_sleep_ns(1000000000ull);
	promise_label(deadline, "req %u deadline", n);

	for (unsigned k = 0; k < PARTS; k++) {
		switch (k % 4) {
		case 0:
			rq.part[k] = timer_sleep_ns((k / 4 + 1) * 200000ull);
			break;
		case 3:
			rq.part[k] = promise_bind(rq.part[k - 1], then_sleep,
						  NULL);
			break;
		default:
			rq.part[k] = promise_create(RS_PT_TASK);
			break;
		}
		promise_label(rq.part[k], "req %u part %u", n, k);
	}

	char name[24];
	ksnprintf(name, sizeof(name), "worker %u", n);
	struct thread *w = thread_create(name, worker, &rq);
	if (!w)
		return -1;
	event_notify(rq.port);

	struct promise *join = promise_join(rq.part, PARTS);
	promise_label(join, "req %u join", n);
	struct promise *race[2] = { join, deadline };
	struct promise *first = promise_choose(race, 2);
	int rc = promise_wait(first, NULL);
	promise_cancel(deadline);
	thread_join(w);

	promise_unref(first);
	promise_unref(join);
	promise_unref(deadline);
	for (unsigned k = 0; k < PARTS; k++)
		promise_unref(rq.part[k]);
	/* Two parts fail by design, so the join must have failed. */
	return rc == PROMISE_EFAILED ? 0 : -1;
}

static int fanout_run(const struct workload_args *args)
{
	uint64_t start = platform_cycles(), n = 0, errors = 0;
	while (!workload_done(args, n, FANOUT_DEFAULT, start)) {
		if (handle((unsigned)n) != 0)
			errors++;
		n++;
	}
	trace_mark(n, "fanout done");
	if (!args->quiet)
		kprintf("fanout: %lu requests, %lu errors\n", (unsigned long)n,
			(unsigned long)errors);
	return errors ? 1 : 0;
}

const struct workload workload_fanout = {
	"fanout", "a request handler fanning out into labelled promises",
	fanout_run,
};
