/*
 * report_print.c - the text and JSON renderings of what report.c and
 * report_cpath.c compute, and rs_report_run: one report as the options
 * struct asks for it. The command line is the command layer's
 * (collector/cmd_report.c); nothing here reads argv or prints to stderr.
 *
 * The loss line comes before any figure, and a warning follows it when a
 * gap overlaps the range, so nobody reads a percentile over a gap as if it
 * were complete (REPORT.md).
 */
#include "report.h"
#include "report_smp.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double pct_v[] = { 50.0, 90.0, 99.0, 99.9 };
static const char *const pct_text[] = { "p50", "p90", "p99", "p99.9" };
static const char *const pct_json[] = { "p50", "p90", "p99", "p999" };
#define NPCT 4

/* ---- value formatting -------------------------------------------------- */

/* Three significant figures or so in the unit that keeps the number
 * between 1 and 1000: 812 ns, 12.3 us, 4.56 ms, 1.20 s. */
static const char *scaled(char *buf, size_t len, double x, const char *unit)
{
	snprintf(buf, len, x < 10 ? "%.2f %s" : x < 100 ? "%.1f %s" : "%.0f %s",
		 x, unit);
	return buf;
}

const char *rs_report_fmt(char *buf, size_t len, uint64_t v, const char *unit)
{
	if (strcmp(unit, "ns") == 0) {
		if (v < 1000)
			snprintf(buf, len, "%" PRIu64 " ns", v);
		else if (v < 999500)      /* not "1000 us": that is 1.00 ms */
			scaled(buf, len, (double)v / 1e3, "us");
		else if (v < 999500000)
			scaled(buf, len, (double)v / 1e6, "ms");
		else
			scaled(buf, len, (double)v / 1e9, "s");
	} else if (strcmp(unit, "bytes") == 0) {
		if (v < 1024)
			snprintf(buf, len, "%" PRIu64 " B", v);
		else if (v < 1023500)
			scaled(buf, len, (double)v / 1024.0, "KiB");
		else if (v < 1048051712)
			scaled(buf, len, (double)v / 1048576.0, "MiB");
		else
			scaled(buf, len, (double)v / 1073741824.0, "GiB");
	} else {
		snprintf(buf, len, "%" PRIu64, v);
	}
	return buf;
}

const char *rs_report_fmt_ns(char *buf, size_t len, int64_t v)
{
	if (v < 0) {
		buf[0] = '-';
		rs_report_fmt(buf + 1, len - 1, (uint64_t)-v, "ns");
		return buf;
	}
	return rs_report_fmt(buf, len, (uint64_t)v, "ns");
}

void rs_report_json_str(FILE *o, const char *s)
{
	fputc('"', o);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(o, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(o, "\\u%04x", ch);
		else
			fputc(ch, o);
	}
	fputc('"', o);
}

static const char *by_name(enum rs_report_by by)
{
	return by == RS_REPORT_BY_TYPE ? "type"
	       : by == RS_REPORT_BY_THREAD ? "thread" : "label";
}

/* What a section's groups are keyed by, for the JSON "by". */
static const char *section_by(const struct rs_report *r, int i)
{
	switch (i) {
	case RS_REPORT_LIFETIME:
	case RS_REPORT_WAIT: return by_name(r->by);
	case RS_REPORT_WAKE: return "thread";
	case RS_REPORT_IRQ:  return "vector";
	case RS_REPORT_WAKE_CPU: return "cpu";
	case RS_REPORT_LOCK: return "lock";
	default:             return NULL;
	}
}

/* ---- text --------------------------------------------------------------- */

static void group_display(char *buf, size_t len, const struct rs_report_group *g)
{
	if (g->detail)
		snprintf(buf, len, "%s (%s)", g->name, g->detail);
	else
		snprintf(buf, len, "%s", g->name);
}

static void text_stats(FILE *o, const char *name, int width,
		       const struct rs_hdr *h, const char *unit)
{
	char b[32];
	fprintf(o, "  %-*s %9" PRIu64, width, name, rs_hdr_count(h));
	fprintf(o, " %10s", rs_report_fmt(b, sizeof(b), rs_hdr_min(h), unit));
	for (int i = 0; i < NPCT; i++)
		fprintf(o, " %10s", rs_report_fmt(b, sizeof(b), rs_hdr_percentile(h, pct_v[i]),
					unit));
	fprintf(o, " %10s\n", rs_report_fmt(b, sizeof(b), rs_hdr_max(h), unit));
}

static void text_header(FILE *o, int width)
{
	fprintf(o, "  %-*s %9s %10s", width, "", "count", "min");
	for (int i = 0; i < NPCT; i++)
		fprintf(o, " %10s", pct_text[i]);
	fprintf(o, " %10s\n", "max");
}

static void text_lost(FILE *o, const struct rs_report *r)
{
	char a[32], b[32];
	if (r->lost.gaps == 0) {
		fprintf(o, "lost: nothing lost in this range\n");
		return;
	}
	fprintf(o, "LOST: %" PRIu64 " gap%s, %" PRIu64 " records lost%s, %s of "
		"%s (%.2f%%) not recorded\n", r->lost.gaps,
		r->lost.gaps == 1 ? "" : "s", r->lost.records,
		r->lost.unknown ? " (and more in gaps of unknown size)" : "",
		rs_report_fmt_ns(a, sizeof(a), r->lost.ns),
		rs_report_fmt_ns(b, sizeof(b), r->to_ns - r->from_ns),
		100.0 * r->lost.fraction);
	fprintf(o, "WARNING: records were lost inside this range; every figure "
		"below is computed without them, so percentiles over the gaps "
		"are incomplete\n");
}

/* Every sample of a section's groups in one histogram; NULL when out of
 * memory. */
static struct rs_hdr *section_total(const struct rs_report_section *s)
{
	struct rs_hdr *t = rs_hdr_new();
	for (size_t g = 0; t && g < s->n; g++)
		if (rs_hdr_merge(t, s->groups[g].h) != 0) {
			rs_hdr_free(t);
			t = NULL;
		}
	return t;
}

/* How many of a section's groups are shown: the first `top` (0: all). */
static size_t shown(const struct rs_report_section *s, size_t top)
{
	return top && top < s->n ? top : s->n;
}

/* Under a grouped section's groups: how many more there are, and the
 * total over all of them. */
static void text_total(FILE *o, const struct rs_report_section *s,
		       size_t top, int width)
{
	size_t n = shown(s, top);
	if (n < s->n)
		fprintf(o, "  (%zu more group%s; --top 0 shows all)\n",
			s->n - n, s->n - n == 1 ? "" : "s");
	struct rs_hdr *t = section_total(s);
	if (t)
		text_stats(o, "(total)", width, t, s->unit);
	rs_hdr_free(t);
}

static void print_text(FILE *o, const struct rs_report *r, size_t top)
{
	char a[32], b[32], c[32], name[256];

	rs_report_verdict_text(o, r);
	fprintf(o, "trace %" PRId64 ": %s, %s, %u CPU%s\n", r->meta.id,
		r->meta.source, r->meta.guest_state, r->meta.ncpus,
		r->meta.ncpus == 1 ? "" : "s");
	fprintf(o, "range: %s .. %s after boot (%s)\n",
		rs_report_fmt_ns(a, sizeof(a), r->from_ns),
		rs_report_fmt_ns(b, sizeof(b), r->to_ns),
		rs_report_fmt_ns(c, sizeof(c), r->to_ns - r->from_ns));
	text_lost(o, r);

	for (int i = 0; i < RS_REPORT_SECTIONS; i++) {
		const struct rs_report_section *s = &r->sec[i];
		int width = 12;
		for (size_t g = 0; g < shown(s, top); g++) {
			group_display(name, sizeof(name), &s->groups[g]);
			int l = (int)strlen(name);
			if (l > width)
				width = l < 48 ? l : 48;
		}
		fprintf(o, "\n%s", s->title);
		if (i == RS_REPORT_LIFETIME || i == RS_REPORT_WAIT)
			fprintf(o, ", by %s", by_name(r->by));
		fprintf(o, "%s\n", s->n ? "" : ": none in this range");
		if (!s->n)
			continue;
		text_header(o, width);
		for (size_t g = 0; g < shown(s, top); g++) {
			group_display(name, sizeof(name), &s->groups[g]);
			text_stats(o, name, width, s->groups[g].h, s->unit);
		}
		if (s->grouped)
			text_total(o, s, top, width);
	}
	rs_report_smp_text(o, r);
	fprintf(o, "\nallocation rates: %.1f page blocks/s, %.1f heap "
		"allocations/s\n", r->page_allocs_per_sec, r->heap_allocs_per_sec);
	if (r->has_heap)
		fprintf(o, "heap high-water mark: %s (%" PRIu64 " bytes)\n",
			rs_report_fmt(a, sizeof(a), r->heap_high_water, "bytes"),
			r->heap_high_water);
	else
		fprintf(o, "heap high-water mark: no heap records in this range\n");
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_stats(FILE *o, const struct rs_hdr *h, const char *unit)
{
	const char *sfx = strcmp(unit, "ns") == 0 ? "_ns"
			  : strcmp(unit, "bytes") == 0 ? "_bytes" : "";
	int empty = rs_hdr_count(h) == 0;

	fprintf(o, "\"count\":%" PRIu64, rs_hdr_count(h));
#define V(key, val) do {                                                  \
		if (empty)                                                \
			fprintf(o, ",\"%s%s\":null", key, sfx);           \
		else                                                      \
			fprintf(o, ",\"%s%s\":%" PRIu64, key, sfx, val);  \
	} while (0)
	V("min", rs_hdr_min(h));
	for (int i = 0; i < NPCT; i++)
		V(pct_json[i], rs_hdr_percentile(h, pct_v[i]));
	V("max", rs_hdr_max(h));
#undef V
	if (empty)
		fprintf(o, ",\"mean%s\":null", sfx);
	else
		fprintf(o, ",\"mean%s\":%.1f", sfx, rs_hdr_mean(h));
}

/* A one-group section as a flat object (the caller closes it); an empty
 * one as count 0 with null figures. */
static void json_single(FILE *o, const struct rs_report_section *s)
{
	struct rs_hdr *empty = s->n ? NULL : rs_hdr_new();
	fputc('{', o);
	if (s->n || empty)
		json_stats(o, s->n ? s->groups[0].h : empty, s->unit);
	else
		fprintf(o, "\"count\":0");
	rs_hdr_free(empty);
}

/* A grouped section's "total" and how many groups were left out. */
static void json_total(FILE *o, const struct rs_report_section *s, size_t top)
{
	struct rs_hdr *t = section_total(s);
	fprintf(o, "],\n \"ngroups\":%zu,\"more_groups\":%zu,\"total\":{",
		s->n, s->n - shown(s, top));
	if (t)
		json_stats(o, t, s->unit);
	fputc('}', o);
	rs_hdr_free(t);
}

static void print_json(FILE *o, const struct rs_report *r, size_t top)
{
	fprintf(o, "{\"trace\":{\"id\":%" PRId64 ",\"source\":", r->meta.id);
	rs_report_json_str(o, r->meta.source);
	fprintf(o, ",\"guest_state\":");
	rs_report_json_str(o, r->meta.guest_state);
	fprintf(o, "},\n");
	rs_report_verdict_json(o, r);
	fprintf(o, "\"range\":{\"from_ns\":%" PRId64 ",\"to_ns\":%" PRId64
		",\"duration_ns\":%" PRId64 "},\n", r->from_ns, r->to_ns,
		r->to_ns - r->from_ns);
	fprintf(o, "\"lost\":{\"gaps\":%" PRIu64 ",\"records\":%" PRIu64
		",\"unknown_gaps\":%" PRIu64 ",\"ns\":%" PRId64
		",\"fraction\":%.6f,\"incomplete\":%s},\n",
		r->lost.gaps, r->lost.records, r->lost.unknown, r->lost.ns,
		r->lost.fraction,
		r->lost.gaps ? "true" : "false");
	for (int i = 0; i < RS_REPORT_SECTIONS; i++) {
		const struct rs_report_section *s = &r->sec[i];
		if (i == RS_REPORT_PAGE_ALLOC)
			break;
		fprintf(o, "\"%s\":", s->key);
		if (!s->grouped) {
			json_single(o, s);
			fprintf(o, "},\n");
			continue;
		}
		fprintf(o, "{\"by\":\"%s\",\"unit\":\"%s\",\"groups\":[",
			section_by(r, i), s->unit);
		for (size_t g = 0; g < shown(s, top); g++) {
			fprintf(o, "%s\n {\"name\":", g ? "," : "");
			rs_report_json_str(o, s->groups[g].name);
			if (s->groups[g].detail) {
				fprintf(o, ",\"thread\":");
				rs_report_json_str(o, s->groups[g].detail);
			}
			fputc(',', o);
			json_stats(o, s->groups[g].h, s->unit);
			fputc('}', o);
		}
		json_total(o, s, top);
		fprintf(o, "},\n");
	}
	rs_report_smp_json(o, r);
	fprintf(o, "\"alloc\":{\"pages\":");
	json_single(o, &r->sec[RS_REPORT_PAGE_ALLOC]);
	fprintf(o, ",\"per_sec\":%.3f},\n \"heap\":", r->page_allocs_per_sec);
	json_single(o, &r->sec[RS_REPORT_HEAP_ALLOC]);
	fprintf(o, ",\"per_sec\":%.3f},\n \"heap_high_water_bytes\":",
		r->heap_allocs_per_sec);
	if (r->has_heap)
		fprintf(o, "%" PRIu64 "}}\n", r->heap_high_water);
	else
		fprintf(o, "null}}\n");
}

/* ---- histogram ----------------------------------------------------------- */

struct bin { uint64_t lo, hi, count; };
#define MAX_BINS 64
#define BAR 50

/*
 * Bins for a histogram: one per value when the range is small (run-queue
 * lengths), quarter-octaves when it spans more than a factor of 4
 * (latencies), else 20 equal-width bins. Each HDR sub-bucket goes wholly
 * into the bin holding its lowest value.
 */
static size_t make_bins(const struct rs_hdr *h, struct bin *bins)
{
	/* From the bottom of min's sub-bucket: the iteration starts there. */
	uint64_t min = rs_hdr_lowest_equivalent(rs_hdr_min(h)), max = rs_hdr_max(h);
	enum { PER_VALUE, LOG, LINEAR } mode;
	uint64_t width = 1;
	int base = 0;
	size_t n = 0;

	if (max - min < 40)
		mode = PER_VALUE;
	else if (min == 0 || max / min >= 4)
		mode = LOG;
	else {
		mode = LINEAR;
		width = (max - min) / 20 + 1;
	}
	if (mode == LOG)
		base = min ? (int)floor(4.0 * log2((double)min)) : -1;

	struct rs_hdr_iter it;
	rs_hdr_iter_init(&it, h);
	while (rs_hdr_iter_next(&it)) {
		size_t k;
		uint64_t lo, hi;
		if (mode == PER_VALUE) {
			k = (size_t)(it.lo - min);
			lo = it.lo;
			hi = it.hi;
		} else if (mode == LINEAR) {
			k = (size_t)((it.lo - min) / width);
			lo = min + k * width;
			hi = lo + width - 1;
		} else if (it.lo == 0) {
			k = 0;
			lo = hi = 0;
		} else {
			int q = (int)floor(4.0 * log2((double)it.lo));
			k = (size_t)(q - base);
			lo = (uint64_t)ceil(exp2(q / 4.0));
			hi = (uint64_t)ceil(exp2((q + 1) / 4.0)) - 1;
		}
		if (k >= MAX_BINS)
			k = MAX_BINS - 1;   /* cannot happen for 64-bit values */
		while (n <= k)
			bins[n++] = (struct bin){ 0, 0, 0 };
		if (!bins[k].count)
			bins[k].lo = lo, bins[k].hi = hi;
		bins[k].count += it.count;
	}
	return n;
}

static void print_histogram(FILE *o, int json, const struct rs_report *r,
			    const char *spec, const struct rs_report_section *s,
			    const struct rs_report_group *g)
{
	struct bin bins[MAX_BINS];
	size_t n = make_bins(g->h, bins);
	uint64_t top = 0;
	char a[32], b[32];

	for (size_t i = 0; i < n; i++)
		if (bins[i].count > top)
			top = bins[i].count;
	if (json) {
		fprintf(o, "{\"group\":");
		rs_report_json_str(o, spec);
		fprintf(o, ",\"unit\":\"%s\",\"lost_incomplete\":%s,", s->unit,
			r->lost.gaps ? "true" : "false");
		json_stats(o, g->h, s->unit);
		fprintf(o, ",\"bins\":[");
		int first = 1;
		for (size_t i = 0; i < n; i++) {
			if (!bins[i].count)
				continue;
			fprintf(o, "%s{\"lo\":%" PRIu64 ",\"hi\":%" PRIu64
				",\"count\":%" PRIu64 "}", first ? "" : ",",
				bins[i].lo, bins[i].hi, bins[i].count);
			first = 0;
		}
		fprintf(o, "]}\n");
		return;
	}
	fprintf(o, "%s: %s\n", spec, s->title);
	text_header(o, 12);
	text_stats(o, "", 12, g->h, s->unit);
	fputc('\n', o);
	for (size_t i = 0; i < n; i++) {
		if (!bins[i].count)
			continue;   /* empty bins between are left out */
		int len = (int)((bins[i].count * BAR + top - 1) / top);
		rs_report_fmt(a, sizeof(a), bins[i].lo, s->unit);
		rs_report_fmt(b, sizeof(b), bins[i].hi, s->unit);
		fprintf(o, "  %10s .. %-10s |%-*.*s| %" PRIu64 "\n", a, b, BAR,
			len, "##################################################",
			bins[i].count);
	}
}

/* ---- one report, as asked ------------------------------------------------ */

static int run_cpath(struct rs_trace_db *db, const struct rs_report_opts *o,
		     FILE *out, char *err, size_t errlen)
{
	struct rs_cpath p;
	int rc = rs_report_critical_path(db, o->trace_id, o->cpath, &p, err,
					 errlen);
	if (rc == 0)
		rs_cpath_print(out, o->json, o->cpath, &p);
	rs_cpath_free(&p);
	return rc ? -1 : 0;
}

int rs_report_run(struct rs_trace_db *db, const struct rs_report_opts *o,
		  FILE *out, char *err, size_t errlen)
{
	/* The command refuses both at once and crossed bounds (usage). */
	assert(!(o->histogram && o->has_cpath));
	assert(o->from_ns <= o->to_ns);
	if (o->has_cpath)
		return run_cpath(db, o, out, err, errlen);

	struct rs_report r;
	int rc = 0;
	if (rs_report_compute(db, o->trace_id, o->from_ns, o->to_ns, o->by, &r,
			      err, errlen) != 0) {
		rc = -1;
	} else if (o->histogram) {
		const struct rs_report_section *s = NULL;
		const struct rs_report_group *g = rs_report_find(&r, o->histogram,
								 &s);
		if (!g) {
			snprintf(err, errlen, "no group '%s' in this range (%s)",
				 o->histogram, s ? "no such group in the section"
				 : "unknown section");
			rc = -1;
		} else {
			if (!o->json)
				text_lost(out, &r);
			print_histogram(out, o->json, &r, o->histogram, s, g);
		}
	} else if (o->json) {
		print_json(out, &r, o->top);
	} else {
		print_text(out, &r, o->top);
	}
	fflush(out);
	rs_report_free(&r);
	return rc;
}
