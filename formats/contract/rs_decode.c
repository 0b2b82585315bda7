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

/* The vocabulary comes from the one event table (rs_event_table.h): how
 * many u64 arguments each type carries, what they are called, and what
 * its string is called. Exporters and tools take field names from here
 * so every output calls a field the same thing. */
struct type_info {
	const char *name;
	int8_t nargs;
	const char *arg[3];
	const char *str;       /* name of the string field, or NULL */
};

#define TYPE_INFO(id, v, nm, n, ...)                                        \
	[RS_EV_##id] = { nm, n, { __VA_ARGS__ }, NULL },
#define TYPE_INFO_S(id, v, nm, n, s, ...)                                   \
	[RS_EV_##id] = { nm, n, { __VA_ARGS__ }, s },
static const struct type_info types[RS_EV_TYPE_LIMIT] = {
	RS_EVENT_TABLE(TYPE_INFO, TYPE_INFO_S)
};

/* The rules (struct rule, rs_decode_internal.h), from the table. */
#define KEEP(n)       { (n) > 0 ? ~0ull : 0, (n) > 1 ? ~0ull : 0,         \
			(n) > 2 ? ~0ull : 0 }
/* s: 1 if the type ends in a string (at least its NUL). */
#define RULE_MIN(id, n, s)                                                  \
	(RS_EV_##id == RS_EV_PAD ? RS_PAD_MIN : FIXED_MIN(n) + (s))
#define RULE_LIM(id, n, s)                                                  \
	(RS_EV_##id == RS_EV_PAD ? UINT16_MAX - RS_PAD_MIN + 1 :            \
	 RS_EV_##id == RS_EV_LOST ? 0 : RS_MAX_RECORD - FIXED_MIN(n) + 1 - (s))
#define RULE_OF(id, n, s)                                                   \
	[RS_EV_##id] = { KEEP(n), RULE_MIN(id, n, s), RULE_LIM(id, n, s), n, s },
#define RULE(id, v, nm, n, ...)   RULE_OF(id, n, 0)
#define RULE_S(id, v, nm, n, ...) RULE_OF(id, n, 1)
const struct rule rs_decode_rules[RS_EV_TYPE_LIMIT] = {
	RS_EVENT_TABLE(RULE, RULE_S)
};

/* The rule and the writer (gt_emit) hold three argument words at most. */
#define AT_MOST_3(id, v, nm, n, ...)                                        \
	_Static_assert((n) <= 3, #id ": more than three arguments");
RS_EVENT_TABLE(AT_MOST_3, AT_MOST_3)

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

int rs_event_arg_signed(uint16_t type, unsigned i)
{
#define SIGNED_ARG(id, n) if (type == RS_EV_##id && i == (n)) return 1;
	RS_EVENT_SIGNED_ARGS(SIGNED_ARG)
#undef SIGNED_ARG
	return 0;
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
		"async", "sleep", "event", "on_any", "ignore_result",
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
	/* Caller contract: somewhere to decode into (strbuf holds a record's
	 * string, RS_MAX_RECORD bytes). */
	assert(ev && strbuf && (p || avail == 0));
	int used;
	return decode_record(p, avail, ev, strbuf, 0, &used, 0, 0);
}
