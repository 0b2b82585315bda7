/*
 * report_lost.c - the report's questions to the store that stand on their
 * own: what was lost in a range (so every figure can be qualified), how
 * far the losses reach; and freeing / looking up a
 * computed report. Split from report.c to keep each file readable.
 */
#include "report.h"
#include "report_smp.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Gaps overlapping the range: count them, and measure the union of their
 * spans (gaps on different CPUs may overlap in time). */
struct span { int64_t from, to; };

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->from < y->from ? -1 : x->from > y->from;
}

struct gaps {
	int64_t first, last;        /* the trace's first and last event */
	int64_t from, to;           /* the range */
	struct rs_report_lost *out;
	struct span *s;
	size_t n, cap;
	int unknown;                /* reading losses of unknown size */
};

static int on_gap(void *opaque, const struct rs_gap *g)
{
	struct gaps *gs = opaque;
	/* Unknown ends: the loss may reach the trace's edge. */
	int64_t f = g->from_ns < 0 ? gs->first : g->from_ns;
	int64_t t = g->to_ns < 0 ? gs->last : g->to_ns;
	if (t < f || f > gs->to || t < gs->from)
		return 0;
	gs->out->gaps++;
	gs->out->records += g->count;
	if (gs->unknown)
		gs->out->unknown++;
	if (gs->n == gs->cap) {
		gs->cap = gs->cap ? gs->cap * 2 : 64;
		void *p = realloc(gs->s, gs->cap * sizeof(*gs->s));
		if (!p)
			return 1;
		gs->s = p;
	}
	gs->s[gs->n++] = (struct span){ f > gs->from ? f : gs->from,
					t < gs->to ? t : gs->to };
	return 0;
}

int rs_report_lost(struct rs_trace_db *db, const struct rs_trace_meta *m,
		   int64_t from_ns, int64_t to_ns, struct rs_report_lost *out)
{
	struct gaps gs = { m->first_ts_ns, m->last_ts_ns, from_ns, to_ns, out,
			   NULL, 0, 0, 0 };
	memset(out, 0, sizeof(*out));
	int rc = rs_trace_gaps(db, m->id, on_gap, &gs);
	gs.unknown = 1;
	if (rc == 0)
		rc = rs_trace_unknown_gaps(db, m->id, on_gap, &gs);
	if (rc == 0 && gs.n) {
		qsort(gs.s, gs.n, sizeof(*gs.s), cmp_span);
		int64_t cur_from = gs.s[0].from, cur_to = gs.s[0].to;
		for (size_t i = 1; i < gs.n; i++) {
			if (gs.s[i].from > cur_to) {
				out->ns += cur_to - cur_from;
				cur_from = gs.s[i].from;
			}
			if (gs.s[i].to > cur_to)
				cur_to = gs.s[i].to;
		}
		out->ns += cur_to - cur_from;
	}
	int64_t len = to_ns - from_ns;
	out->fraction = len > 0 ? (double)out->ns / (double)len : 0.0;
	free(gs.s);
	return rc;
}

void rs_report_lost_extent(struct rs_trace_db *db, int64_t trace, int64_t *first,
			int64_t *last)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(rs_trace_sqlite(db), "SELECT min(from_ns),"
			       " max(to_ns) FROM lost WHERE trace_id = ?1 AND"
			       " count > 0 AND from_ns >= 0 AND to_ns >= 0", -1,
			       &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, trace);
		if (sqlite3_step(s) == SQLITE_ROW &&
		    sqlite3_column_type(s, 0) != SQLITE_NULL) {
			int64_t f = sqlite3_column_int64(s, 0);
			int64_t t = sqlite3_column_int64(s, 1);
			if (f < *first)
				*first = f;
			if (t > *last)
				*last = t;
		}
	}
	sqlite3_finalize(s);
}
void rs_report_free(struct rs_report *r)
{
	for (int i = 0; i < RS_REPORT_SECTIONS; i++) {
		struct rs_report_section *s = &r->sec[i];
		for (size_t g = 0; g < s->n; g++) {
			free(s->groups[g].name);
			free(s->groups[g].detail);
			rs_hdr_free(s->groups[g].h);
		}
		free(s->groups);
		free(s->slots);
		s->groups = NULL;
		s->slots = NULL;
		s->n = s->cap = s->nslots = 0;
	}
	rs_report_smp_free(&r->smp);
}

const struct rs_report_group *rs_report_find(const struct rs_report *r,
					     const char *spec,
					     const struct rs_report_section **sec)
{
	for (int i = 0; i < RS_REPORT_SECTIONS; i++) {
		const struct rs_report_section *s = &r->sec[i];
		size_t kl = strlen(s->key);
		if (strncmp(spec, s->key, kl) != 0 ||
		    (spec[kl] != '\0' && spec[kl] != ':'))
			continue;
		if (sec)
			*sec = s;
		if (spec[kl] == '\0')   /* "SECTION": its only group */
			return s->n == 1 ? &s->groups[0] : NULL;
		for (size_t g = 0; g < s->n; g++)
			if (strcmp(s->groups[g].name, spec + kl + 1) == 0)
				return &s->groups[g];
		return NULL;
	}
	return NULL;
}
