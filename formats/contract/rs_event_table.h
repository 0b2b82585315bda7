/*
 * rs_event_table.h - every record type of the ring, one line each.
 *
 * This list is the only place an event type is written down. From it come
 * the ABI enum (enum rs_event_type and the per-type RS_EV_NARGS /
 * RS_EV_HAS_STR constants in ringside_ring.h), the decoder's names,
 * argument names and size rules (rs_decode.c), the argument counts the
 * kernel's emit helpers pass (kernel/core/trace.h), the store's
 * event_types rows (collector/store.c, from the decoder) and the viewer's
 * names. A new type is one new line here; tests/formats/test_event_table.c checks
 * that every consumer agrees, and pins the released values.
 *
 * Freestanding and includes nothing: ringside_ring.h includes it, and
 * the guest includes that.
 */
#ifndef RS_EVENT_TABLE_H
#define RS_EVENT_TABLE_H                                                                \
                                                                                        \
/*
 * RS_EVENT_TABLE(X, XS) calls, per type,
 *   X(ID, value, "name", nargs, "arg0", "arg1", ...)          no string
 *   XS(ID, value, "name", nargs, "str", "arg0", "arg1", ...)  with one
 * ID is the enum member without its RS_EV_ prefix; value its number on
 * the wire, which never changes once released; nargs how many u64
 * argument words follow the record header (at most 3), then the names
 * they have in every output (0 when there are none). A type made with XS
 * ends in a NUL-padded string, called "str" in outputs. The comment
 * beside a line says what the words mean where the names do not. Every
 * record also carries ctx, the running kernel thread (0 = boot/idle).
 *
 * Values come in blocks of 16 per subsystem, so a subsystem grows
 * without renumbering: 0-1 the protocol's own, 2-15 the scheduler, 16-31
 * promises, 32-47 the allocator, 48-63 event paths, 64-127 generic.
 * RS_EV_TYPE_LIMIT (128) bounds them all. schema.sql's counters view
 * spells 8, 34 and 64 (ringside_ring.h pins them).
 */
#define RS_EVENT_TABLE(X, XS)                                                           \
	/* the protocol's own (RING.md): PAD fills the end of a chunk and may */        \
	/* be only 8 bytes; LOST is made by readers, never written by a guest */        \
	X(PAD,               0, "pad",              0, 0)                               \
	X(LOST,              1, "lost",             3, "count", "from_tsc", "to_tsc")   \
	/* scheduler */                                                                 \
	XS(THREAD_CREATE,    2, "thread_create",    2, "name", "tid", "parent")         \
	X(THREAD_EXIT,       3, "thread_exit",      1, "tid")                           \
	X(THREAD_SWITCH,     4, "thread_switch",    2, "prev_tid", "next_tid")          \
	X(THREAD_BLOCK,      5, "thread_block",     3, "tid", "reason", "object")       \
	    /* reason: enum rs_block_reason; object: what it waits on */                \
	X(THREAD_WAKE,       6, "thread_wake",      2, "tid", "waker")                  \
	X(THREAD_YIELD,      7, "thread_yield",     1, "tid")                           \
	X(RUNQ_LEN,          8, "runq_len",         1, "runnable")                      \
	    /* runnable: on this CPU's run queue */                                     \
	X(THREAD_MIGRATE,    9, "thread_migrate",   3, "tid", "from_cpu", "to_cpu")     \
	    /* on the CPU it moved to, before it runs there */                          \
	X(LOCK_CONTEND,     10, "lock_contend",     2, "lock", "wait_cycles")           \
	    /* lock: enum rs_lock; emitted once it is taken, after waiting */           \
	/* promises (mirage-profile's vocabulary, plus cancel) */                       \
	X(PROMISE_CREATE,   16, "promise_create",   3, "promise", "parent", "type")     \
	    /* type: enum rs_promise_type */                                            \
	X(PROMISE_READ,     17, "promise_read",     2, "promise", "reader")             \
	X(PROMISE_TRY_READ, 18, "promise_try_read", 2, "promise", "reader")             \
	    /* promise: not yet ready when read */                                      \
	X(PROMISE_RESOLVE,  19, "promise_resolve",  2, "promise", "resolver")           \
	XS(PROMISE_FAIL,    20, "promise_fail",     2, "message", "promise", "resolver") \
	X(PROMISE_BECOMES,  21, "promise_becomes",  2, "promise", "follows")            \
	    /* follows: the id the promise now follows */                               \
	XS(PROMISE_LABEL,   22, "promise_label",    1, "label", "promise")              \
	X(PROMISE_SIGNAL,   23, "promise_signal",   2, "promise", "signaller")          \
	X(PROMISE_CANCEL,   24, "promise_cancel",   2, "promise", "canceller")          \
	/* allocator */                                                                 \
	X(PAGE_ALLOC,       32, "page_alloc",       2, "addr", "order")                 \
	X(PAGE_FREE,        33, "page_free",        2, "addr", "order")                 \
	X(HEAP,             34, "heap",             2, "in_use", "delta")               \
	    /* in_use: bytes; delta: signed */                                          \
	/* event paths */                                                               \
	X(IRQ_ENTER,        48, "irq_enter",        1, "vector")                        \
	X(IRQ_EXIT,         49, "irq_exit",         1, "vector")                        \
	X(TIMER_FIRE,       50, "timer_fire",       2, "timer", "due_tsc")              \
	X(EVTCHN_NOTIFY,    51, "evtchn_notify",    1, "port")                          \
	X(IDLE_ENTER,       52, "idle_enter",       0, 0)                               \
	X(IDLE_EXIT,        53, "idle_exit",        0, 0)                               \
	X(IPI_SEND,         54, "ipi_send",         2, "cpu", "reason")                 \
	    /* cpu: the target; reason: enum rs_ipi_reason */                           \
	X(IPI_RECV,         55, "ipi_recv",         1, "reason")                        \
	/* generic */                                                                   \
	XS(COUNTER,         64, "counter",          1, "name", "value")                 \
	    /* value: the counter's absolute value */                                   \
	XS(MARK,            65, "mark",             1, "text", "value")

/*
 * RS_EVENT_SIGNED_ARGS(S) calls S(ID, i) for each argument word that is a
 * signed (two's complement) number; every other word is unsigned. Outputs
 * that type their fields (CTF) declare these signed.
 */
#define RS_EVENT_SIGNED_ARGS(S)                                                         \
	S(HEAP, 1)      /* delta: bytes allocated (> 0) or freed (< 0) */

#endif /* RS_EVENT_TABLE_H */
