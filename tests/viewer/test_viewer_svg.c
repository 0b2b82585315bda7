/*
 * test_viewer_svg.c - the SVG export is a vector drawing of what the PNG
 * shows. For every sample trace in samples/traces/, `ringside-view
 * --render X.svg` must hold no raster <image> (the zoomed-out strips of
 * counters, running boxes and sub-pixel promise marks were embedded as
 * PNGs), must be well-formed XML (xmllint), and rasterized by librsvg
 * (rsvg-convert, another renderer than the one that drew the PNG) at the
 * PNG's size must look like `--render X.png` of the same view.
 *
 * The two rasters are never identical: on an image surface cairo draws
 * text hinted, while the SVG holds unhinted glyph outlines, and librsvg
 * antialiases thin slanted arrows a little differently. So a pixel counts
 * as differing only if no pixel within one pixel of it in the other image
 * is within 48 levels in every channel, and the bound is 0.35 % of the
 * picture: the samples differ in 0.12-0.20 % (text), while leaving out
 * the counters' step lines or the running boxes alone makes 0.50-0.74 %.
 */
#include "testlib.h"

#include <cairo.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 1200
#define H 700
#define SAMPLES "samples/traces"
#define TOLERANCE 48          /* levels per channel */
#define MAX_DIFF_SHARE 0.0035 /* of all pixels */

static cairo_surface_t *load_png(const char *path)
{
	cairo_surface_t *s = cairo_image_surface_create_from_png(path);
	assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	assert_int_equal(cairo_image_surface_get_width(s), W);
	assert_int_equal(cairo_image_surface_get_height(s), H);
	return s;
}

static uint32_t pixel(cairo_surface_t *s, int x, int y)
{
	const unsigned char *d = cairo_image_surface_get_data(s);
	return *(const uint32_t *)(const void *)(d + (size_t)y *
		(size_t)cairo_image_surface_get_stride(s) + (size_t)x * 4);
}

static bool close_colour(uint32_t a, uint32_t b)
{
	for (int k = 0; k < 24; k += 8) {
		int d = (int)(a >> k & 255) - (int)(b >> k & 255);
		if (abs(d) > TOLERANCE)
			return false;
	}
	return true;
}

/* Is a's pixel (x, y) found in b within one pixel of (x, y)? */
static bool found_near(cairo_surface_t *a, cairo_surface_t *b, int x, int y)
{
	const uint32_t p = pixel(a, x, y);
	for (int dy = -1; dy <= 1; dy++)
		for (int dx = -1; dx <= 1; dx++) {
			int X = x + dx, Y = y + dy;
			if (X >= 0 && Y >= 0 && X < W && Y < H &&
			    close_colour(p, pixel(b, X, Y)))
				return true;
		}
	return false;
}

/* Share of pixels that one image has and the other has not nearby. */
static double diff_share(cairo_surface_t *a, cairo_surface_t *b)
{
	cairo_surface_flush(a);
	cairo_surface_flush(b);
	long n = 0;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			n += !found_near(a, b, x, y) || !found_near(b, a, x, y);
	return (double)n / ((double)W * H);
}

static void run_ok(int timeout_s, const char *cmd)
{
	char *log = NULL;
	int rc = rs_run(&log, timeout_s, "%s", cmd);
	if (rc)
		fprintf(stderr, "%s: exit %d: %s\n", cmd, rc, log ? log : "");
	free(log);
	assert_int_equal(rc, 0);
}

static void check_sample(const char *dir, const char *db)
{
	char name[256], svg[512], png[512], raster[512], cmd[2048];
	const char *base = strrchr(db, '/') ? strrchr(db, '/') + 1 : db;
	snprintf(name, sizeof name, "%.*s", (int)strcspn(base, "."), base);
	snprintf(svg, sizeof svg, "%s/%s.svg", dir, name);
	snprintf(png, sizeof png, "%s/%s.png", dir, name);
	snprintf(raster, sizeof raster, "%s/%s.svg.png", dir, name);
	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof cmd, "%s --render %s --size %dx%d %s",
			 rs_bin("ringside-view"), i ? png : svg, W, H, db);
		run_ok(60, cmd);
	}

	size_t len;
	char *text = rs_read_file(svg, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "<svg"));
	if (strstr(text, "<image"))
		fail_msg("%s: the SVG embeds a raster <image>", name);
	assert_non_null(strstr(text, "<path"));
	free(text);

	snprintf(cmd, sizeof cmd, "xmllint --noout %s", svg);
	run_ok(60, cmd);

	/* the document is W x H user units (cairo writes width in pt and a
	 * viewBox), so -w/-h give one unit per pixel, as the PNG */
	snprintf(cmd, sizeof cmd, "rsvg-convert -w %d -h %d -b white -o %s %s",
		 W, H, raster, svg);
	run_ok(60, cmd);
	cairo_surface_t *a = load_png(png), *b = load_png(raster);
	double share = diff_share(a, b);
	fprintf(stderr, "%s: %.3f %% of pixels differ (bound %.2f %%)\n",
		name, share * 100, MAX_DIFF_SHARE * 100);
	if (share > MAX_DIFF_SHARE)
		fail_msg("%s: the SVG differs from the PNG in %.3f %% of its "
			 "pixels", name, share * 100);
	cairo_surface_destroy(a);
	cairo_surface_destroy(b);
}

static void test_svg_vector_like_png(void **state)
{
	char *dir = rs_tmpdir();
	glob_t g;
	assert_int_equal(glob(SAMPLES "/*.db", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 3);   /* crash, hang, pingpong at least */
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_sample(dir, g.gl_pathv[i]);
	globfree(&g);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(viewer_svg,
	      cmocka_unit_test(test_svg_vector_like_png))
