/*
 * rs_decode.c - the one decoder's vocabulary and record decoding: the
 * table of event types (names, arguments, strings) every tool takes its
 * names from, and rs_decode_record. The header and region discovery are
 * in rs_layout.c, the incremental lock-free reader in rs_reader.c; all
 * three share rs_decode_internal.h.
 *
 * Every value that comes from guest memory is copied out first and
 * checked after the copy, so a guest that rewrites its memory while we
 * look cannot make us use a value we did not check (no double fetch).
 */
#include "rs_decode_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the vocabulary ---------------------------------------------------- */

/* The vocabulary, in one place: how many u64 arguments each type carries,
 * what they mean, and what its string is. Exporters and tools take field
 * names from here so every output calls a field the same thing.
 * X(type, name, nargs, argument names...) is a type without a string,
 * XS(type, name, nargs, string name, argument names...) one with. PAD and
 * LOST are special and listed by hand below. */
#define RS_VOCAB(X, XS)                                                      \
	XS(RS_EV_THREAD_CREATE, "thread_create", 2, "name", "tid", "parent")  \
	X(RS_EV_THREAD_EXIT, "thread_exit", 1, "tid")                         \
	X(RS_EV_THREAD_SWITCH, "thread_switch", 2, "prev_tid", "next_tid")    \
	X(RS_EV_THREAD_BLOCK, "thread_block", 3, "tid", "reason", "object")   \
	X(RS_EV_THREAD_WAKE, "thread_wake", 2, "tid", "waker")                \
	X(RS_EV_THREAD_YIELD, "thread_yield", 1, "tid")                       \
	X(RS_EV_RUNQ_LEN, "runq_len", 1, "runnable")                          \
	X(RS_EV_PROMISE_CREATE, "promise_create", 3, "promise", "parent",     \
	  "type")                                                             \
	X(RS_EV_PROMISE_READ, "promise_read", 2, "promise", "reader")         \
	X(RS_EV_PROMISE_TRY_READ, "promise_try_read", 2, "promise", "reader") \
	X(RS_EV_PROMISE_RESOLVE, "promise_resolve", 2, "promise", "resolver") \
	XS(RS_EV_PROMISE_FAIL, "promise_fail", 2, "message", "promise",       \
	   "resolver")                                                        \
	X(RS_EV_PROMISE_BECOMES, "promise_becomes", 2, "promise", "follows")  \
	XS(RS_EV_PROMISE_LABEL, "promise_label", 1, "label", "promise")       \
	X(RS_EV_PROMISE_SIGNAL, "promise_signal", 2, "promise", "signaller")  \
	X(RS_EV_PROMISE_CANCEL, "promise_cancel", 2, "promise", "canceller")  \
	X(RS_EV_PAGE_ALLOC, "page_alloc", 2, "addr", "order")                 \
	X(RS_EV_PAGE_FREE, "page_free", 2, "addr", "order")                   \
	X(RS_EV_HEAP, "heap", 2, "in_use", "delta")                           \
	X(RS_EV_IRQ_ENTER, "irq_enter", 1, "vector")                          \
	X(RS_EV_IRQ_EXIT, "irq_exit", 1, "vector")                            \
	X(RS_EV_TIMER_FIRE, "timer_fire", 2, "timer", "due_tsc")              \
	X(RS_EV_EVTCHN_NOTIFY, "evtchn_notify", 1, "port")                    \
	X(RS_EV_IDLE_ENTER, "idle_enter", 0, 0)                               \
	X(RS_EV_IDLE_EXIT, "idle_exit", 0, 0)                                 \
	XS(RS_EV_COUNTER, "counter", 1, "name", "value")                      \
	XS(RS_EV_MARK, "mark", 1, "text", "value")

struct type_info {
	const char *name;
	int8_t nargs;
	const char *arg[3];
	const char *str;       /* name of the string field, or NULL */
};

#define TYPE_INFO(t, nm, n, ...)     [t] = { nm, n, { __VA_ARGS__ }, NULL },
#define TYPE_INFO_S(t, nm, n, s, ...) [t] = { nm, n, { __VA_ARGS__ }, s },
static const struct type_info types[RS_EV_TYPE_LIMIT] = {
	[RS_EV_PAD]  = { "pad", 0, { 0 }, 0 },
	[RS_EV_LOST] = { "lost", 3, { "count", "from_tsc", "to_tsc" }, 0 },
	RS_VOCAB(TYPE_INFO, TYPE_INFO_S)
};

/* The rules (struct rule, rs_decode_internal.h), from the vocabulary. */
#define KEEP(n)       { (n) > 0 ? ~0ull : 0, (n) > 1 ? ~0ull : 0,         \
			(n) > 2 ? ~0ull : 0 }
#define RULE(t, nm, n, ...)                                                 \
	[t] = { KEEP(n), FIXED_MIN(n), RS_MAX_RECORD - FIXED_MIN(n) + 1, n, 0 },
#define RULE_S(t, nm, n, ...)                                               \
	[t] = { KEEP(n), FIXED_MIN(n) + 1, RS_MAX_RECORD - FIXED_MIN(n), n, 1 },
const struct rule rs_decode_rules[RS_EV_TYPE_LIMIT] = {
	/* PAD fills the rest of a chunk, so it may exceed RS_MAX_RECORD. */
	[RS_EV_PAD] = { KEEP(0), RS_PAD_MIN, UINT16_MAX - RS_PAD_MIN + 1, 0, 0 },
	/* Readers synthesize LOST; a guest that writes one is lying about
	 * losses we count ourselves: no size is valid (zero rule). */
	RS_VOCAB(RULE, RULE_S)
};

int rs_event_nargs(uint16_t type)
{
	if (type >= RS_EV_TYPE_LIMIT || !types[type].name)
		return -1;
	return types[type].nargs;
}

int rs_event_has_str(uint16_t type)
{
	return type < RS_EV_TYPE_LIMIT && types[type].name && types[type].str;
}

const char *rs_event_arg_name(uint16_t type, unsigned i)
{
	if (rs_event_nargs(type) <= (int)i)
		return NULL;
	return types[type].arg[i];
}

const char *rs_event_str_name(uint16_t type)
{
	return rs_event_has_str(type) ? types[type].str : NULL;
}

const char *rs_event_name(uint16_t type)
{
	if (type >= RS_EV_TYPE_LIMIT || !types[type].name)
		return "unknown";
	return types[type].name;
}

const char *rs_promise_type_name(uint64_t t)
{
	static const char *const names[RS_PT_COUNT] = {
		"wait", "task", "bind", "try", "choose", "pick", "join", "map",
		"condition", "on_success", "on_failure", "on_termination",
		"async", "sleep", "event",
	};
	return t < RS_PT_COUNT ? names[t] : "unknown";
}

const char *rs_block_reason_name(uint64_t r)
{
	switch (r) {
	case RS_BLOCK_PROMISE: return "promise";
	case RS_BLOCK_SLEEP:   return "sleep";
	case RS_BLOCK_EVENT:   return "event";
	case RS_BLOCK_JOIN:    return "join";
	default:               return "unknown";
	}
}

const char *rs_state_name(uint32_t state)
{
	switch (state) {
	case RS_STATE_BOOTING: return "booting";
	case RS_STATE_RUNNING: return "running";
	case RS_STATE_EXITED:  return "exited";
	case RS_STATE_CRASHED: return "crashed";
	default:               return "unknown";
	}
}

const char *rs_reg_name(unsigned reg)
{
	static const char *const names[RS_REG_COUNT] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
		"r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags",
		"cs", "ss",
	};
	return reg < RS_REG_COUNT ? names[reg] : "?";
}

size_t rs_decode_record(const uint8_t *p, size_t avail, struct rs_event *ev,
			char *strbuf)
{
	int used;
	return decode_record(p, avail, ev, strbuf, 0, &used, 0, 0);
}
