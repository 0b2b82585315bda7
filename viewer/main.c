/*
 * main.c - ringside-view's command line: the window (default), --render
 * (headless PNG/SVG of the same drawing), --render-histogram (the
 * histogram pane's drawing, headless) and --bench.
 * Every failure is one line on stderr and a non-zero exit.
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
#include "viewer.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: ringside-view [--follow] TRACE.db\n"
"       ringside-view --render OUT.png|OUT.svg [--from NS] [--to NS]\n"
"                     [--size WxH] TRACE.db\n"
"       ringside-view --render-histogram OUT.png|OUT.svg GROUPSPEC\n"
"                     [--size WxH] TRACE.db\n"
"       ringside-view --bench TRACE.db [--size WxH]\n"
"\n"
"Opens a ringside trace database read-only and draws its timeline.\n"
"--follow   keep polling the database (every 200 ms) for new events\n"
"--render   draw headlessly into a PNG or SVG file and exit; --from/--to\n"
"           are ts_ns values (default: the whole trace); the plot starts\n"
"           at x = 130 and maps [from, to] onto [130, W)\n"
"--render-histogram  draw one group's latency histogram, as the window's\n"
"           pane does, and print its figures and bars; GROUPSPEC is\n"
"           [wait:]label:NAME | [wait:]type:NAME | [wait:]thread:TID\n"
"           (promise lifetimes, or with wait: wait times) or wake:TID\n"
"--bench    print load seconds and the slowest of a sweep of frames\n"
);
}

static int parse_size(const char *s, int *w, int *h)
{
	return sscanf(s, "%dx%d", w, h) == 2 && *w >= 200 && *h >= 100 &&
	       *w <= 20000 && *h <= 20000 ? 0 : -1;
}

static int do_render(const char *db, const char *out, const char *from,
		     const char *to, int w, int h)
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
		double f = from ? strtod(from, NULL) : (double)m->t_min;
		double t = to ? strtod(to, NULL) : (double)m->t_max;
		if (t <= f) {
			fprintf(stderr, "ringside-view: --to must be after --from\n");
			rv_model_free(m);
			return 2;
		}
		v.from = f;
		v.ns_per_px = (t - f) / (w - RV_LEFT_W);
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
		fprintf(stderr, "ringside-view: bad GROUPSPEC '%s' (want "
			"label:NAME, type:NAME, thread:TID, wait:..., "
			"wake:TID)\n", spec);
		return 2;
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
	const char *render = NULL, *from = NULL, *to = NULL, *db = NULL;
	const char *script = NULL, *hist = NULL, *spec = NULL;
	bool follow = false, bench = false, sized = false;
	int w = 1200, h = 700;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;
		if (!strcmp(a, "--render") && more)
			render = argv[++i];
		else if (!strcmp(a, "--render-histogram") && i + 2 < argc) {
			hist = argv[++i];
			spec = argv[++i];
		} else if (!strcmp(a, "--from") && more)
			from = argv[++i];
		else if (!strcmp(a, "--to") && more)
			to = argv[++i];
		else if (!strcmp(a, "--size") && more) {
			if (parse_size(argv[++i], &w, &h)) {
				fprintf(stderr, "ringside-view: bad --size '%s' "
					"(want WxH, at least 200x100)\n", argv[i]);
				return 2;
			}
			sized = true;
		} else if (!strcmp(a, "--follow"))
			follow = true;
		else if (!strcmp(a, "--bench"))
			bench = true;
		else if (!strcmp(a, "--test-script") && more)
			script = argv[++i];
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "ringside-view: unknown option '%s' "
				"(try --help)\n", a);
			return 2;
		} else if (!db)
			db = a;
		else {
			fprintf(stderr, "ringside-view: unexpected '%s'\n", a);
			return 2;
		}
	}
	if (!db) {
		usage(stderr);
		return 2;
	}
	if (render || bench || hist) {
		int rc = hist ? do_render_hist(db, hist, spec, sized ? w : 640,
					       sized ? h : 400)
			: render ? do_render(db, render, from, to, w, h)
				: rv_bench(db, w, h);
		/* cairo's toy text API keeps fontconfig state for the life of
		 * the process; hand it back so leak checkers see a clean exit */
		cairo_debug_reset_static_data();
		FcFini();
		return rc;
	}
	return rv_window_run(db, follow, script);
}
