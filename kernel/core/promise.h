/*
 * promise.h - Lwt-style promises, traced with mirage-profile's vocabulary.
 *
 * Ownership is explicit (there is no GC): every function returning a
 * struct promise * hands the caller one reference, to be dropped with
 * promise_unref(). Whatever resolves a promise later (a timer, a bind, a
 * join) holds its own reference meanwhile.
 *
 * Every promise ends in exactly one of RESOLVE, FAIL or CANCEL, including
 * ones that BECOMES another: when the promise it follows settles, it
 * settles too (with the followed promise as resolver). So for a run in
 * which everything settles, creates == resolves + fails + cancels.
 *
 * Callbacks (bind functions) run synchronously inside whatever settles
 * their source, possibly from the scheduler: they must not block.
 */
#ifndef KERNEL_PROMISE_H
#define KERNEL_PROMISE_H

#include <stdbool.h>
#include <stdint.h>

#include "ringside_ring.h"

enum promise_state {
	PROMISE_PENDING = 0,
	PROMISE_RESOLVED,
	PROMISE_FAILED,
	PROMISE_CANCELLED,
};

/* Results of promise_wait/promise_try_read. */
#define PROMISE_OK        0
#define PROMISE_EFAILED   (-1)
#define PROMISE_ECANCELED (-2)
#define PROMISE_EPENDING  (-3)

#define PROMISE_MSG_LEN 56

struct promise;
/* Lwt's bind: gets the source's value, returns the next promise (one
 * reference, taken over by the bind). */
typedef struct promise *(*promise_bind_fn)(uint64_t value, void *arg);
/* Called once when a promise settles, before its waiters; `cancelled`
 * says whether it was cancelled, so resources can be released. */
typedef void (*promise_hook_fn)(struct promise *p, void *arg, bool cancelled);

void promise_init(void);

/*
 * The promise world's lock (RS_LOCK_PROMISE; kernel/README.md, "SMP"):
 * promises and their waiters, timers and event ports. Every function in
 * promise.h, timer.h and event.h takes it, so a callback runs to completion
 * as Lwt's do, never interleaved with another CPU's. Reentrant on the CPU
 * that holds it (callbacks call back in); held with interrupts off, so the
 * holder cannot be switched away except by sched_block, which drops it.
 */
unsigned long promise_lock(void);
void promise_unlock(unsigned long flags);
/* sched_block: let go of every level held (interrupts stay off) and take
 * the same levels back after the switch. */
unsigned promise_lock_drop(void);
void promise_lock_retake(unsigned depth);

struct promise *promise_create(enum rs_promise_type type);
/* Already settled promises (Lwt.return / Lwt.fail). */
struct promise *promise_resolved(uint64_t value);
struct promise *promise_failed(const char *msg);

struct promise *promise_ref(struct promise *p);
void promise_unref(struct promise *p);

/* Settling a promise that is not pending is a no-op returning -1. */
int promise_resolve(struct promise *p, uint64_t value);
int promise_fail(struct promise *p, const char *msg);
/* Cancels p and, through its hook, whatever p is waiting on (a bind's
 * source, a join's or choose's pending parts, a timer). */
int promise_cancel(struct promise *p);
/* Condition-style wake: SIGNAL, then resolve. */
int promise_signal(struct promise *p, uint64_t value);

void promise_label(struct promise *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Blocks until p settles; returns PROMISE_OK (and *value), EFAILED or
 * ECANCELED. Emits READ. */
int promise_wait(struct promise *p, uint64_t *value);
/* Never blocks: READ and the result if settled, else TRY_READ and
 * PROMISE_EPENDING. */
int promise_try_read(struct promise *p, uint64_t *value);

struct promise *promise_bind(struct promise *src, promise_bind_fn fn,
			     void *arg);
/* Resolves (value n) when all parts resolve; after all parts settle, fails
 * with the first failure's message if any failed or was cancelled. */
struct promise *promise_join(struct promise *const *parts, unsigned n);
/* Settles like the first part to settle; the rest are left running. */
struct promise *promise_choose(struct promise *const *parts, unsigned n);

/* Lets a resolver (timer, event) release resources on settle/cancel. Only
 * one hook per promise. */
void promise_set_hook(struct promise *p, promise_hook_fn fn, void *arg);

uint64_t promise_id(const struct promise *p);
enum promise_state promise_state(const struct promise *p);
uint64_t promise_value(const struct promise *p);
const char *promise_message(const struct promise *p);
enum rs_promise_type promise_type(const struct promise *p);

/* A condition variable whose waiters are CONDITION promises. */
struct kcond {
	struct promise *head, *tail;
};
void kcond_init(struct kcond *c);
/* A new promise resolved by a later kcond_signal/broadcast. */
struct promise *kcond_wait_promise(struct kcond *c);
/* Blocking convenience: create, wait, release. */
int kcond_wait(struct kcond *c, uint64_t *value);
/* Wakes the oldest pending waiter; false if there was none. */
bool kcond_signal(struct kcond *c, uint64_t value);
unsigned kcond_broadcast(struct kcond *c, uint64_t value);

struct promise_stats {
	uint64_t created, resolved, failed, cancelled, live;
};
void promise_stats(struct promise_stats *out);

#endif /* KERNEL_PROMISE_H */
