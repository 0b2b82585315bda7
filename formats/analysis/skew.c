/*
 * skew.c - bounding the disagreement of the CPUs' clocks from causal
 * pairs (skew.h), over a whole stored trace.
 */
#include "skew.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rs_skew_add(struct rs_skew *s, const struct rs_causal_pair *p)
{
	if (p->from_cpu == p->to_cpu || p->from_cpu >= RS_MAX_CPUS ||
	    p->to_cpu >= RS_MAX_CPUS)
		return;
	const int64_t gap = p->to_ns - p->from_ns;
	if (gap < 0) {
		const int64_t lo = p->to_ns + gap, hi = p->from_ns;
		for (size_t i = 0; i < s->ngaps; i++)
			if (s->gaps[i][0] <= hi && s->gaps[i][1] >= lo) {
				s->doubtful++;
				return;
			}
	}
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

static int on_gap(void *opaque, const struct rs_gap *g)
{
	struct rs_skew *s = opaque;
	void *p = realloc(s->gaps, (s->ngaps + 1) * sizeof(*s->gaps));

	if (!p)
		return -1;
	s->gaps = p;
	/* an end the reader does not know reaches as far as it can */
	s->gaps[s->ngaps][0] = g->from_ns < 0 ? INT64_MIN : g->from_ns;
	s->gaps[s->ngaps][1] = g->to_ns < 0 ? INT64_MAX : g->to_ns;
	s->ngaps++;
	return 0;
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
	int rc = rs_trace_gaps(db, meta.id, on_gap, out);
	if (rc == 0) {
		rs_causal_init(&c, on_pair, out);
		rc = rs_trace_events(db, meta.id, RS_ORDER_TIME, INT64_MIN,
				     INT64_MAX, on_row, &c);
		rs_causal_free(&c);
	}
	free(out->gaps);
	out->gaps = NULL;
	out->ngaps = 0;
	if (rc != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		return -1;
	}
	return 0;
}
