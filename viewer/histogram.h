/*
 * histogram.h - latency histograms of one group of promises (or one
 * thread's wake-to-run latency), computed by formats' rs_report_compute
 * and drawn with cairo. No GTK here: the window's panel
 * (histogram_panel.c), `--render-histogram` and the tests share it, so a
 * PNG a test checks is what the panel shows.
 *
 * A source (rv_hist_src) is one rs_report_compute over the whole trace
 * for one grouping (label, type or creating thread), plus every promise
 * of the promises table with the group it falls in and its lifetime, so a
 * bar can be mapped back to exactly the promises the report counted in
 * it. A histogram (rv_hist) is one group of a source cut into display
 * bars.
 */
#ifndef RV_HISTOGRAM_H
#define RV_HISTOGRAM_H

#include <cairo.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "draw.h"
#include "report.h"

typedef struct {
	enum rs_report_by by;
	struct rs_report rep;
	/* every row of the promises table */
	uint32_t n;
	uint64_t *pid;
	uint64_t *value;      /* lifetime in ns, when sample[i] */
	uint8_t *sample;      /* counted in promise_lifetime (as the report) */
	char **key;           /* its group's name under `by` */
	/* after rv_hist_src_bind: the viewer pp of each, and back */
	int32_t *pp;          /* [n], -1 if the model lacks it */
	int32_t *of_pp;       /* [npp], index into the arrays or -1 */
	uint32_t npp;
} rv_hist_src;

/* Compute (slow part: may run on any thread; touches no model). trace_id
 * 0 = the latest. NULL with a one-line reason in err. */
rv_hist_src *rv_hist_src_new(const char *path, int64_t trace_id,
			     enum rs_report_by by, char *err, size_t errlen);
/* Map promise ids onto m's pps (cheap; on the thread that owns m). */
void rv_hist_src_bind(rv_hist_src *s, const rv_model *m);
void rv_hist_src_free(rv_hist_src *s);
const char *rv_hist_by_name(enum rs_report_by by);

#define RV_HIST_BARS 32       /* target number of display bars */
#define RV_HIST_MAXBARS 40

typedef struct {
	int section;          /* RS_REPORT_LIFETIME, _WAIT or _WAKE */
	enum rs_report_by by;
	char group[128];      /* the report group's name */
	char title[256];
	char extra[160];      /* one more line (a thread's wake-to-run) */
	uint64_t count, min, max, p50, p90, p99, p999;
	double mean;
	/* bars: [lo, hi] inclusive, log-spaced, each the union of whole HDR
	 * sub-buckets, so cnt is exact for the values it covers */
	int nbars;
	uint64_t lo[RV_HIST_MAXBARS], hi[RV_HIST_MAXBARS];
	uint64_t cnt[RV_HIST_MAXBARS], maxcnt;
	int sel;              /* selected bar, -1: none */
} rv_hist;

/* Build h from group `group` of `section` in s. False (h->count = 0, a
 * title saying so) if the group is absent. */
bool rv_hist_build(rv_hist *h, const rv_hist_src *s, int section,
		   const char *group);
/* The group pp falls in under s->by (label, type or creating thread);
 * false if the promises table does not know it. */
bool rv_hist_group_of(const rv_hist_src *s, uint32_t pp, char *buf,
		      size_t len);

/* Drawing, into a w x h area at the origin; and hit testing it. The
 * plot is the rectangle [LEFT, w - RIGHT) x [TOP, h - BOTTOM]; bars are
 * equal-width columns across it, bottom-aligned, their height count /
 * maxcnt of the plot's, filled with the BAR colour (the selected one in
 * the search-match magenta). */
#define RV_HIST_PLOT_LEFT   52
#define RV_HIST_PLOT_RIGHT  14
#define RV_HIST_PLOT_TOP    92
#define RV_HIST_PLOT_BOTTOM 40
#define RV_HIST_BAR_R 69
#define RV_HIST_BAR_G 130
#define RV_HIST_BAR_B 181
void rv_hist_draw(cairo_t *cr, const rv_hist *h, int w, int ht);
int rv_hist_bar_at(const rv_hist *h, int w, int ht, double x, double y);
void rv_hist_bar_centre(const rv_hist *h, int w, int ht, int bar,
			double *x, double *y);

/* Set mark[pp] = 1 for exactly the promises of h's group whose lifetime
 * lies in bar's range (mark, of s->npp bytes, is cleared first). Returns
 * how many. Only for RS_REPORT_LIFETIME histograms. */
uint32_t rv_hist_mark(const rv_hist *h, const rv_hist_src *s, int bar,
		      uint8_t *mark);

/* Text form: "hist ..." then "bar I LO HI COUNT" lines (ns / raw). */
void rv_hist_print(FILE *f, const rv_hist *h);

/* Thread lane under (x, y) in the timeline (lane or its name), or -1. */
int64_t rv_hit_thread_lane(const rv_model *m, const rv_view *v, double x,
			   double y);

#endif
