/*
 * main.c - ringside-view's command line: the window (default), --render
 * (headless PNG/SVG of the same drawing), --render-histogram (the
 * histogram pane's drawing, headless) and --bench.
 * Options come from options.c's table through the command-line layer
 * (cli/). Every failure is one line on stderr and a non-zero exit (1, or
 * 2 for a usage error).
 */
#include <cairo.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "histogram.h"
#include "model.h"
#include "options.h"
#include "viewer.h"

static int parse_size(const char *s, int *w, int *h)
{
	return sscanf(s, "%dx%d", w, h) == 2 && *w >= 200 && *h >= 100 &&
	       *w <= 20000 && *h <= 20000 ? 0 : -1;
}

/* --render: [from, to] in ts_ns, each NULL for the trace's own end. */
static int do_render(const char *db, const char *out, const int64_t *from,
		     const int64_t *to, int w, int h)
{
	char err[512];
	rv_model *m = rv_model_load(db, err, sizeof err);
	if (!m) {
		fprintf(stderr, "ringside-view: %s\n", err);
		return 1;
	}
	rv_view v = { .width = w, .height = h };
	rv_view_fit(&v, m);
	if (from || to) {
		double f = from ? (double)*from : (double)m->t_min;
		double t = to ? (double)*to : (double)m->t_max;
		if (t <= f) {
			cli_usage_error(&rv_program, &rv_cmd, "--to must be"
					" after --from");
			rv_model_free(m);
			return 2;
		}
		rv_view_range(&v, f, t);
	}
	int rc = rv_export(m, &v, out, err, sizeof err);
	if (rc)
		fprintf(stderr, "ringside-view: %s\n", err);
	rv_model_free(m);
	return rc ? 1 : 0;
}

/* GROUPSPEC -> section, grouping and group name. */
static int parse_spec(const char *spec, int *sec, enum rs_report_by *by,
		      const char **name)
{
	*sec = RS_REPORT_LIFETIME;
	*by = RS_REPORT_BY_LABEL;
	if (!strncmp(spec, "wait:", 5)) {
		*sec = RS_REPORT_WAIT;
		spec += 5;
	} else if (!strncmp(spec, "wake:", 5)) {
		*sec = RS_REPORT_WAKE;
		*name = spec + 5;
		return 0;
	}
	static const char *const kinds[] = { "label:", "type:", "thread:" };
	for (int k = 0; k < 3; k++)
		if (!strncmp(spec, kinds[k], strlen(kinds[k]))) {
			*by = (enum rs_report_by)k;
			*name = spec + strlen(kinds[k]);
			return 0;
		}
	return -1;
}

static int do_render_hist(const char *db, const char *out, const char *spec,
			  int w, int h)
{
	int sec;
	enum rs_report_by by;
	const char *name;
	if (parse_spec(spec, &sec, &by, &name)) {
		return cli_usage_error(&rv_program, &rv_cmd, "bad GROUPSPEC"
				       " '%s' (want label:NAME, type:NAME,"
				       " thread:TID, wait:..., wake:TID)",
				       spec);
	}
	char err[512];
	rv_hist_src *s = rv_hist_src_new(db, 0, by, err, sizeof err);
	if (!s) {
		fprintf(stderr, "ringside-view: %s\n", err);
		return 1;
	}
	rv_hist hist;
	bool found = rv_hist_build(&hist, s, sec, name);
	rv_hist_src_free(s);
	if (!found) {
		fprintf(stderr, "ringside-view: %s\n", hist.title);
		return 1;
	}
	rv_hist_print(stdout, &hist);
	bool svg = strlen(out) > 4 && !strcmp(out + strlen(out) - 4, ".svg");
	cairo_surface_t *sf = svg ? cairo_svg_surface_create(out, w, h)
		: cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
	cairo_t *cr = cairo_create(sf);
	rv_hist_draw(cr, &hist, w, h);
	cairo_destroy(cr);
	cairo_surface_flush(sf);
	int rc = svg ? 0 : (int)cairo_surface_write_to_png(sf, out);
	cairo_surface_finish(sf);
	if (!rc)
		rc = (int)cairo_surface_status(sf);
	cairo_surface_destroy(sf);
	if (rc) {
		fprintf(stderr, "ringside-view: cannot write %s: %s\n", out,
			cairo_status_to_string((cairo_status_t)rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_value v[RV_NOPTS];
	const char *db;
	int rc = cli_parse(&rv_program, &rv_cmd, argc, argv, v, &db);
	if (rc)
		return cli_exit(rc);
	const char *render = v[RV_OPT_RENDER].str, *hist = v[RV_OPT_HIST].str;
	bool sized = v[RV_OPT_SIZE].set;
	int w = 1200, h = 700;
	if (sized && parse_size(v[RV_OPT_SIZE].str, &w, &h))
		return cli_usage_error(&rv_program, &rv_cmd, "--size wants WxH,"
				       " at least 200x100, not '%s'",
				       v[RV_OPT_SIZE].str);
	const bool bfollow = v[RV_OPT_BENCH_FOLLOW].set;
	if (render || v[RV_OPT_BENCH].set || hist || bfollow) {
		rc = hist ? do_render_hist(db, hist, v[RV_OPT_HIST].str2,
					   sized ? w : 640, sized ? h : 400)
		   : render ? do_render(db, render, v[RV_OPT_FROM].set ?
					&v[RV_OPT_FROM].ns : NULL,
					v[RV_OPT_TO].set ? &v[RV_OPT_TO].ns :
					NULL, w, h)
		   : bfollow ? rv_bench_follow(db, (double)v[RV_OPT_BENCH_FOLLOW].ns
					       / 1e9, w, h)
		   : rv_bench(db, w, h);
		/* cairo's toy text API keeps fontconfig state for the life of
		 * the process; hand it back so leak checkers see a clean exit */
		cairo_debug_reset_static_data();
		FcFini();
		return rc;
	}
	return rv_window_run(db, v[RV_OPT_FOLLOW].set, v[RV_OPT_SCRIPT].str);
}
