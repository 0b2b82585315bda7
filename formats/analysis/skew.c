/*
 * skew.c - bounding the disagreement of the CPUs' clocks from causal
 * pairs (skew.h), over a whole stored trace.
 */
#include "skew.h"

#include <stdio.h>
#include <string.h>

void rs_skew_add(struct rs_skew *s, const struct rs_causal_pair *p)
{
	if (p->from_cpu == p->to_cpu || p->from_cpu >= RS_MAX_CPUS ||
	    p->to_cpu >= RS_MAX_CPUS)
		return;
	const int64_t gap = p->to_ns - p->from_ns;
	uint64_t *n = &s->pairs[p->from_cpu][p->to_cpu];
	int64_t *min = &s->min_gap[p->from_cpu][p->to_cpu];

	if (*n == 0 || gap < *min)
		*min = gap;
	(*n)++;
}

static void on_pair(void *opaque, const struct rs_causal_pair *p)
{
	rs_skew_add(opaque, p);
}

static int on_row(void *opaque, const struct rs_row *row)
{
	rs_causal_feed(opaque, row);
	return 0;
}

int rs_skew_measure(struct rs_trace_db *db, int64_t trace_id,
		    struct rs_skew *out, char *err, size_t errlen)
{
	struct rs_trace_meta meta;
	struct rs_causal c;

	memset(out, 0, sizeof(*out));
	if (rs_trace_meta(db, trace_id, &meta) != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		return -1;
	}
	out->ncpus = meta.ncpus;
	rs_causal_init(&c, on_pair, out);
	int rc = rs_trace_events(db, meta.id, RS_ORDER_TIME, INT64_MIN,
				 INT64_MAX, on_row, &c);
	rs_causal_free(&c);
	if (rc != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		return -1;
	}
	return 0;
}
