/*
 * promise.c - promises, their waiters, and the combinators built on them.
 *
 * A pending promise keeps a FIFO of waiters; settling it detaches the list
 * and runs each waiter once. A waiter is a small struct embedded in
 * whoever waits (a blocked thread's stack frame, a bind node, a join's
 * shared state), so settling allocates nothing.
 */
#include "promise.h"

#include "heap.h"
#include "klib.h"
#include "panic.h"
#include "sched.h"
#include "spinlock.h"
#include "trace.h"

struct waiter;
typedef void (*waiter_fn)(struct waiter *w, struct promise *src);

struct waiter {
	struct waiter *next;
	waiter_fn fn;
};

struct promise {
	uint64_t id;
	uint64_t value;
	uint32_t refs;
	uint8_t type;
	uint8_t state;
	uint16_t pad;
	struct waiter *waiters, **wtail;
	promise_hook_fn hook;
	void *hook_arg;
	struct promise *cond_next;      /* kcond queue */
	char msg[PROMISE_MSG_LEN];
};

static struct {
	uint64_t next_id;
	struct promise_stats stats;
} P;

/* The lock and which CPU holds it how deep. `owner` is read without the
 * lock: only the holder ever sets it to its own number, and it is reset
 * before the lock is released, so a CPU never sees itself there wrongly. */
static struct {
	struct spinlock l;
	int owner;
	unsigned depth;
} PL = { SPINLOCK_INIT(RS_LOCK_PROMISE), -1, 0 };

void promise_init(void)
{
	memset(&P, 0, sizeof(P));
	P.next_id = 1;
	spin_init(&PL.l, RS_LOCK_PROMISE);
	PL.owner = -1;
	PL.depth = 0;
}

unsigned long promise_lock(void)
{
	unsigned long flags = platform_irq_save();
	int me = (int)platform_cpu();
	if (__atomic_load_n(&PL.owner, __ATOMIC_RELAXED) == me) {
		PL.depth++;
		return flags;
	}
	spin_lock(&PL.l);
	__atomic_store_n(&PL.owner, me, __ATOMIC_RELAXED);
	PL.depth = 1;
	return flags;
}

void promise_unlock(unsigned long flags)
{
	if (--PL.depth == 0) {
		__atomic_store_n(&PL.owner, -1, __ATOMIC_RELAXED);
		spin_unlock(&PL.l);
	}
	platform_irq_restore(flags);
}

unsigned promise_lock_drop(void)
{
	unsigned depth = PL.depth;
	if (__atomic_load_n(&PL.owner, __ATOMIC_RELAXED) != (int)platform_cpu())
		panic("promise_lock_drop: not held on this CPU");
	PL.depth = 0;
	__atomic_store_n(&PL.owner, -1, __ATOMIC_RELAXED);
	spin_unlock(&PL.l);
	return depth;
}

void promise_lock_retake(unsigned depth)
{
	spin_lock(&PL.l);
	__atomic_store_n(&PL.owner, (int)platform_cpu(), __ATOMIC_RELAXED);
	PL.depth = depth;
}

void promise_stats(struct promise_stats *out)
{
	unsigned long f = promise_lock();
	*out = P.stats;
	promise_unlock(f);
}

uint64_t promise_id(const struct promise *p)
{
	return p->id;
}

enum promise_state promise_state(const struct promise *p)
{
	return (enum promise_state)p->state;
}

uint64_t promise_value(const struct promise *p)
{
	return p->value;
}

const char *promise_message(const struct promise *p)
{
	return p->msg;
}

enum rs_promise_type promise_type(const struct promise *p)
{
	return (enum rs_promise_type)p->type;
}

static struct promise *promise_create_locked(enum rs_promise_type type)
{
	struct promise *p = kzalloc(sizeof(*p));
	if (!p)
		panic("promise_create: out of memory");
	p->id = P.next_id++;
	p->refs = 1;
	p->type = (uint8_t)type;
	p->state = PROMISE_PENDING;
	p->wtail = &p->waiters;
	P.stats.created++;
	P.stats.live++;
	trace_promise_create(p->id, sched_promise_ctx(), type);
	return p;
}


static struct promise *promise_ref_locked(struct promise *p)
{
	p->refs++;
	return p;
}


static void promise_unref_locked(struct promise *p)
{
	if (!p)
		return;
	if (p->refs == 0)
		panic("promise_unref: promise %lu has no references",
		      (unsigned long)p->id);
	if (--p->refs > 0)
		return;
	/* Nobody can settle it any more; waiters that are still queued
	 * belong to promises that will stay pending. */
	P.stats.live--;
	kfree(p);
}


static void promise_set_hook_locked(struct promise *p, promise_hook_fn fn,
				    void *arg)
{
	if (p->hook && fn)
		panic("promise_set_hook: promise %lu already has a hook",
		      (unsigned long)p->id);
	p->hook = fn;
	p->hook_arg = arg;
}


static void add_waiter(struct promise *p, struct waiter *w)
{
	w->next = NULL;
	*p->wtail = w;
	p->wtail = &w->next;
}

static bool remove_waiter(struct promise *p, struct waiter *w)
{
	for (struct waiter **pp = &p->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			if (p->wtail == &w->next)
				p->wtail = pp;
			return true;
		}
	}
	return false;
}

/*
 * The one place a promise leaves PENDING. The trace record goes first so
 * records caused by the waiters (wakes, dependent settles) follow it. A
 * reference is held across the waiters in case one drops the last one.
 */
static int settle(struct promise *p, enum promise_state st, uint64_t value,
		  const char *msg, uint64_t by)
{
	if (p->state != PROMISE_PENDING)
		return -1;
	switch (st) {
	case PROMISE_RESOLVED:
		trace_promise_resolve(p->id, by);
		P.stats.resolved++;
		break;
	case PROMISE_FAILED:
		trace_promise_fail(p->id, by, msg);
		P.stats.failed++;
		break;
	default:
		trace_promise_cancel(p->id, by);
		P.stats.cancelled++;
		break;
	}
	p->state = (uint8_t)st;
	p->value = value;
	if (msg)
		kstrlcpy(p->msg, msg, sizeof(p->msg));

	promise_ref(p);
	promise_hook_fn hook = p->hook;
	p->hook = NULL;
	if (hook)
		hook(p, p->hook_arg, st == PROMISE_CANCELLED);
	struct waiter *w = p->waiters;
	p->waiters = NULL;
	p->wtail = &p->waiters;
	while (w) {
		struct waiter *next = w->next;
		w->fn(w, p);
		w = next;
	}
	promise_unref(p);
	return 0;
}

/* Settle `dst` the way `src` settled. */
static void settle_like(struct promise *dst, struct promise *src)
{
	settle(dst, (enum promise_state)src->state, src->value, src->msg,
	       src->id);
}

static int promise_resolve_locked(struct promise *p, uint64_t value)
{
	return settle(p, PROMISE_RESOLVED, value, NULL, sched_promise_ctx());
}


static int promise_fail_locked(struct promise *p, const char *msg)
{
	return settle(p, PROMISE_FAILED, 0, msg ? msg : "failed",
		      sched_promise_ctx());
}


static int promise_cancel_locked(struct promise *p)
{
	return settle(p, PROMISE_CANCELLED, 0, "canceled",
		      sched_promise_ctx());
}


static int promise_signal_locked(struct promise *p, uint64_t value)
{
	if (p->state != PROMISE_PENDING)
		return -1;
	trace_promise_signal(p->id, sched_promise_ctx());
	return promise_resolve(p, value);
}


struct promise *promise_resolved(uint64_t value)
{
	struct promise *p = promise_create(RS_PT_WAIT);
	promise_resolve(p, value);
	return p;
}

struct promise *promise_failed(const char *msg)
{
	struct promise *p = promise_create(RS_PT_WAIT);
	promise_fail(p, msg);
	return p;
}

void promise_label(struct promise *p, const char *fmt, ...)
{
	char buf[96];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	trace_promise_label(p->id, buf);
}

static int result_of(struct promise *p, uint64_t *value)
{
	switch (p->state) {
	case PROMISE_RESOLVED:
		if (value)
			*value = p->value;
		return PROMISE_OK;
	case PROMISE_FAILED:
		return PROMISE_EFAILED;
	case PROMISE_CANCELLED:
		return PROMISE_ECANCELED;
	default:
		return PROMISE_EPENDING;
	}
}

/* ---- blocking reads ---------------------------------------------------- */

struct thread_waiter {
	struct waiter w;
	struct thread *t;
	bool done;
};

static void wake_thread(struct waiter *w, struct promise *src)
{
	struct thread_waiter *tw = (struct thread_waiter *)w;
	tw->done = true;
	sched_wake(tw->t);
}

/* Blocks under the promise lock: sched_block marks the thread blocked
 * before it lets the lock go, so a resolver on another CPU that runs the
 * moment it is free finds a blocked thread to wake, never a lost wake. */
int promise_wait(struct promise *p, uint64_t *value)
{
	unsigned long f = promise_lock();
	if (p->state == PROMISE_PENDING) {
		struct thread_waiter tw = { { NULL, wake_thread },
					    sched_current(), false };
		uint32_t reason = p->type == RS_PT_SLEEP   ? RS_BLOCK_SLEEP
				  : p->type == RS_PT_EVENT ? RS_BLOCK_EVENT
							   : RS_BLOCK_PROMISE;
		add_waiter(p, &tw.w);
		while (!tw.done)
			sched_block(reason, p->id);
	}
	trace_promise_read(p->id, sched_promise_ctx());
	int rc = result_of(p, value);
	promise_unlock(f);
	return rc;
}

static int promise_try_read_locked(struct promise *p, uint64_t *value)
{
	if (p->state == PROMISE_PENDING) {
		trace_promise_try_read(p->id, sched_promise_ctx());
		return PROMISE_EPENDING;
	}
	trace_promise_read(p->id, sched_promise_ctx());
	return result_of(p, value);
}


/* ---- bind ---------------------------------------------------------------- */

struct bind_node {
	struct waiter w;
	struct promise *result;         /* reference held */
	promise_bind_fn fn;
	void *arg;
};

/* While a bind (or a promise that BECOMES another) is pending, cancelling
 * it cancels what it waits on, as in Lwt. The hook owns that reference. */
static void upstream_hook(struct promise *p, void *arg, bool cancelled)
{
	struct promise *up = arg;
	if (cancelled)
		promise_cancel(up);
	promise_unref(up);
}

struct follow_node {
	struct waiter w;
	struct promise *follower;       /* reference held */
};

static void follow_fire(struct waiter *w, struct promise *src)
{
	struct follow_node *f = (struct follow_node *)w;
	settle_like(f->follower, src);
	promise_unref(f->follower);
	kfree(f);
}

/* Runs the bind function for a resolved source and wires its result. */
static void bind_run(struct promise *r, promise_bind_fn fn, void *arg,
		     uint64_t value)
{
	uint64_t saved = sched_promise_ctx();
	sched_set_promise_ctx(r->id);
	struct promise *q = fn(value, arg);
	sched_set_promise_ctx(saved);

	if (!q) {
		settle(r, PROMISE_FAILED, 0, "bind: no promise returned", r->id);
		return;
	}
	if (q->state != PROMISE_PENDING || r->state != PROMISE_PENDING) {
		settle_like(r, q);
		promise_unref(q);
		return;
	}
	/* r now stands for q: settle r when q settles, cancel q if r is. */
	trace_promise_becomes(r->id, q->id);
	struct follow_node *f = kmalloc(sizeof(*f));
	if (!f)
		panic("promise_bind: out of memory");
	f->w.fn = follow_fire;
	f->follower = promise_ref(r);
	add_waiter(q, &f->w);
	promise_set_hook(r, upstream_hook, q);   /* takes our q reference */
}

static void bind_fire(struct waiter *w, struct promise *src)
{
	struct bind_node *b = (struct bind_node *)w;
	struct promise *r = b->result;

	if (r->state == PROMISE_PENDING) {
		/* Our source hook is about to be replaced or is moot. */
		promise_hook_fn hook = r->hook;
		void *harg = r->hook_arg;
		r->hook = NULL;
		if (hook)
			hook(r, harg, false);
		if (src->state == PROMISE_RESOLVED)
			bind_run(r, b->fn, b->arg, src->value);
		else
			settle_like(r, src);
	}
	promise_unref(r);
	kfree(b);
}

static struct promise *promise_bind_locked(struct promise *src,
					   promise_bind_fn fn, void *arg)
{
	struct promise *r = promise_create(RS_PT_BIND);

	if (src->state == PROMISE_RESOLVED) {
		bind_run(r, fn, arg, src->value);
		return r;
	}
	if (src->state != PROMISE_PENDING) {
		settle_like(r, src);
		return r;
	}
	struct bind_node *b = kmalloc(sizeof(*b));
	if (!b)
		panic("promise_bind: out of memory");
	b->w.fn = bind_fire;
	b->result = promise_ref(r);
	b->fn = fn;
	b->arg = arg;
	add_waiter(src, &b->w);
	promise_set_hook(r, upstream_hook, promise_ref(src));
	return r;
}

/* ---- join and choose ------------------------------------------------------ */

struct part_node {
	struct waiter w;
	struct multi *m;
	struct promise *src;            /* reference held until it fires */
};

struct multi {
	struct promise *result;         /* reference held until all parts ran */
	unsigned n, remaining;
	bool is_choose;
	struct promise *first_bad;      /* join: first failed/cancelled part */
	struct part_node parts[];
};

/* Settles a join once every part has run, then frees the shared state.
 * `remaining` carries one extra count while creation or a cancel walks
 * the parts, so the state cannot vanish under that walk. */
static void multi_finish(struct multi *m, uint64_t by)
{
	struct promise *r = m->result;

	if (!m->is_choose && r->state == PROMISE_PENDING) {
		r->hook = NULL;
		if (m->first_bad)
			settle(r, PROMISE_FAILED, 0, m->first_bad->msg,
			       m->first_bad->id);
		else
			settle(r, PROMISE_RESOLVED, m->n, NULL, by);
	}
	promise_unref(m->first_bad);
	promise_unref(m->result);
	kfree(m);
}

/* Cancelling a join or choose cancels every part still pending. Parts
 * that settle as a result find the result no longer pending. */
static void multi_hook(struct promise *p, void *arg, bool cancelled)
{
	struct multi *m = arg;
	if (!cancelled)
		return;
	m->remaining++;
	for (unsigned i = 0; i < m->n; i++) {
		struct promise *s = m->parts[i].src;
		if (s && s->state == PROMISE_PENDING)
			promise_cancel(s);
	}
	if (--m->remaining == 0)
		multi_finish(m, p->id);
}

static void part_fire(struct waiter *w, struct promise *src)
{
	struct part_node *pn = (struct part_node *)w;
	struct multi *m = pn->m;
	struct promise *r = m->result;
	uint64_t src_id = src->id;

	pn->src = NULL;
	m->remaining--;
	if (m->is_choose) {
		if (r->state == PROMISE_PENDING) {
			r->hook = NULL;
			settle_like(r, src);
			/* The first part decides; stop listening to the
			 * others (parts not yet registered are fired by the
			 * creation loop and find r settled). */
			for (unsigned i = 0; i < m->n; i++) {
				struct promise *s = m->parts[i].src;
				if (s && remove_waiter(s, &m->parts[i].w)) {
					m->parts[i].src = NULL;
					m->remaining--;
					promise_unref(s);
				}
			}
		}
	} else if (src->state != PROMISE_RESOLVED && !m->first_bad) {
		m->first_bad = promise_ref(src);
	}
	promise_unref(src);
	if (m->remaining == 0)
		multi_finish(m, src_id);
}

static struct promise *multi_create(struct promise *const *parts, unsigned n,
				    bool is_choose)
{
	struct promise *r =
		promise_create(is_choose ? RS_PT_CHOOSE : RS_PT_JOIN);
	if (n == 0) {
		if (is_choose)
			promise_fail(r, "choose: no promises");
		else
			promise_resolve(r, 0);
		return r;
	}
	struct multi *m = kzalloc(sizeof(*m) + n * sizeof(struct part_node));
	if (!m)
		panic("promise_join: out of memory");
	m->result = promise_ref(r);
	m->n = n;
	m->remaining = n + 1;           /* + creation guard */
	m->is_choose = is_choose;
	promise_set_hook(r, multi_hook, m);
	for (unsigned i = 0; i < n; i++) {
		m->parts[i].w.fn = part_fire;
		m->parts[i].m = m;
		m->parts[i].src = promise_ref(parts[i]);
	}
	/* Register everything before firing anything: a settled part fires
	 * now and (for choose) must be able to unhook the others. */
	for (unsigned i = 0; i < n; i++)
		if (parts[i]->state == PROMISE_PENDING)
			add_waiter(parts[i], &m->parts[i].w);
	for (unsigned i = 0; i < n; i++)
		if (m->parts[i].src && parts[i]->state != PROMISE_PENDING)
			part_fire(&m->parts[i].w, parts[i]);
	if (--m->remaining == 0)
		multi_finish(m, r->id);
	return r;
}

static struct promise *promise_join_locked(struct promise *const *parts,
					   unsigned n)
{
	return multi_create(parts, n, false);
}


static struct promise *promise_choose_locked(struct promise *const *parts,
					     unsigned n)
{
	return multi_create(parts, n, true);
}


/* ---- condition variables ------------------------------------------------ */

void kcond_init(struct kcond *c)
{
	c->head = c->tail = NULL;
}

static struct promise *kcond_wait_promise_locked(struct kcond *c)
{
	struct promise *p = promise_create(RS_PT_CONDITION);
	promise_ref(p);                 /* the queue's reference */
	p->cond_next = NULL;
	if (c->tail)
		c->tail->cond_next = p;
	else
		c->head = p;
	c->tail = p;
	return p;
}


int kcond_wait(struct kcond *c, uint64_t *value)
{
	struct promise *p = kcond_wait_promise(c);
	int rc = promise_wait(p, value);
	promise_unref(p);
	return rc;
}

static struct promise *kcond_pop(struct kcond *c)
{
	struct promise *p = c->head;
	if (p) {
		c->head = p->cond_next;
		if (!c->head)
			c->tail = NULL;
		p->cond_next = NULL;
	}
	return p;
}

static bool kcond_signal_locked(struct kcond *c, uint64_t value)
{
	struct promise *p;
	while ((p = kcond_pop(c))) {
		/* Waiters cancelled meanwhile are skipped, not woken. */
		bool woke = promise_signal(p, value) == 0;
		promise_unref(p);
		if (woke)
			return true;
	}
	return false;
}


unsigned kcond_broadcast(struct kcond *c, uint64_t value)
{
	unsigned n = 0;
	while (kcond_signal(c, value))
		n++;
	return n;
}

/* ---- the public entry points ----------------------------------------------- */

/* Each takes the promise lock around its body above; the lock is
 * reentrant, so the bodies call each other's public names freely. */
#define LOCKED(ret, name, params, args)                                     \
	ret name params                                                     \
	{                                                                   \
		unsigned long f = promise_lock();                           \
		ret r = name##_locked args;                                 \
		promise_unlock(f);                                          \
		return r;                                                   \
	}
#define LOCKED_VOID(name, params, args)                                     \
	void name params                                                    \
	{                                                                   \
		unsigned long f = promise_lock();                           \
		name##_locked args;                                         \
		promise_unlock(f);                                          \
	}

LOCKED(struct promise *, promise_create, (enum rs_promise_type type), (type))
LOCKED(struct promise *, promise_ref, (struct promise *p), (p))
LOCKED_VOID(promise_unref, (struct promise *p), (p))
LOCKED_VOID(promise_set_hook, (struct promise *p, promise_hook_fn fn,
			       void *arg), (p, fn, arg))
LOCKED(int, promise_resolve, (struct promise *p, uint64_t value), (p, value))
LOCKED(int, promise_fail, (struct promise *p, const char *msg), (p, msg))
LOCKED(int, promise_cancel, (struct promise *p), (p))
LOCKED(int, promise_signal, (struct promise *p, uint64_t value), (p, value))
LOCKED(int, promise_try_read, (struct promise *p, uint64_t *value),
       (p, value))
LOCKED(struct promise *, promise_bind, (struct promise *src,
					promise_bind_fn fn, void *arg),
       (src, fn, arg))
LOCKED(struct promise *, promise_join, (struct promise *const *parts,
					unsigned n), (parts, n))
LOCKED(struct promise *, promise_choose, (struct promise *const *parts,
					  unsigned n), (parts, n))
LOCKED(struct promise *, kcond_wait_promise, (struct kcond *c), (c))
LOCKED(bool, kcond_signal, (struct kcond *c, uint64_t value), (c, value))
