/*
 * lttng_tp.h - the LTTng-UST tracepoint that the emit row compares
 * gt_emit against: the same payload as a three-argument gt_emit record
 * (type, ctx and three u64 arguments; LTTng adds its own timestamp, as
 * gt_emit adds the TSC). Only the LTTng side of `make bench` includes it.
 *
 * Written with the LTTng-UST 2.13 names (LTTNG_UST_TRACEPOINT_EVENT is
 * what the older TRACEPOINT_EVENT now expands to).
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER ringside_bench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "lttng_tp.h"

/* The provider machinery includes this file several times on purpose. */
#if !defined(RS_BENCH_LTTNG_TP_H) || \
	defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define RS_BENCH_LTTNG_TP_H

#include <stdint.h>

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(
	ringside_bench, record,
	LTTNG_UST_TP_ARGS(uint16_t, type, uint32_t, ctx, uint64_t, a,
			  uint64_t, b, uint64_t, c),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint16_t, type, type)
		lttng_ust_field_integer(uint32_t, ctx, ctx)
		lttng_ust_field_integer(uint64_t, a, a)
		lttng_ust_field_integer(uint64_t, b, b)
		lttng_ust_field_integer(uint64_t, c, c)
	)
)

#endif /* RS_BENCH_LTTNG_TP_H */

#include <lttng/tracepoint-event.h>
