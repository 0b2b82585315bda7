/*
 * skew.h - a bound on how far the CPUs' clocks disagree, measured from
 * causal pairs (causal.h): when an effect on CPU B is stamped before its
 * cause on CPU A, B's clock is behind A's by at least the difference.
 * Pairs in order bound nothing that way; they only say the disagreement,
 * if any, is under their gap. The collector stores what it measured
 * (table cpu_skew, formats/store/SCHEMA.md) and `info` states it.
 */
#ifndef RS_SKEW_H
#define RS_SKEW_H

#include <stddef.h>
#include <stdint.h>

#include "causal.h"
#include "trace_read.h"

/* A disagreement above this is flagged ("clocks disagree"), not just
 * stated: 1 µs is more than a write and a read of shared memory take. */
#define RS_SKEW_FLAG_NS 1000

struct rs_skew {
	uint32_t ncpus;
	/* [from][to]: causal pairs from a cause on `from` to an effect on
	 * `to` (from != to), and the smallest gap (to's stamp minus from's)
	 * among them; negative: `to` is at least -min_gap behind `from` */
	uint64_t pairs[RS_MAX_CPUS][RS_MAX_CPUS];
	int64_t min_gap[RS_MAX_CPUS][RS_MAX_CPUS];
	/* effects stamped before their cause but left out: records were
	 * lost near them, so the cause may be one the reader never saw (an
	 * ipi_recv whose ipi_send was lost pairs with a later send) */
	uint64_t doubtful;
	/* the trace's gaps (rs_skew_measure), as [from, to] in ns */
	int64_t (*gaps)[2];
	size_t ngaps;
};

/*
 * Count one pair (same-CPU pairs say nothing about skew: ignored). An
 * effect stamped before its cause counts only if no CPU lost records from
 * as long before the effect as it came before the cause, up to the
 * cause: a skew that large would have put the true cause there.
 */
void rs_skew_add(struct rs_skew *s, const struct rs_causal_pair *p);
/* Measure trace `trace_id` (0 = the latest). 0, or -1 with a reason. */
int rs_skew_measure(struct rs_trace_db *db, int64_t trace_id,
		    struct rs_skew *out, char *err, size_t errlen);

#endif
