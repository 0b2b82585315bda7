/*
 * export.c - PNG and SVG output through cairo surfaces. No display is
 * involved, so --render works on a headless machine and in tests.
 */
#include "export.h"

#include <cairo-svg.h>
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && !strcasecmp(s + n - k, suf);
}

int rv_export(const rv_model *m, const rv_view *v, const char *path,
	      char *err, size_t errlen)
{
	assert(v && path);   /* m may be NULL: "Loading..." is drawn */
	cairo_surface_t *surf;
	bool svg = ends_with(path, ".svg");
	if (svg)
		surf = cairo_svg_surface_create(path, v->width, v->height);
	else if (ends_with(path, ".png"))
		surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, v->width,
						  v->height);
	else {
		snprintf(err, errlen, "%s: output must end in .png or .svg", path);
		return -1;
	}
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "%s: %s", path,
			 cairo_status_to_string(cairo_surface_status(surf)));
		cairo_surface_destroy(surf);
		return -1;
	}
	cairo_t *cr = cairo_create(surf);
	rv_draw(cr, m, v);
	cairo_destroy(cr);
	cairo_status_t st = CAIRO_STATUS_SUCCESS;
	if (!svg)
		st = cairo_surface_write_to_png(surf, path);
	cairo_surface_finish(surf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	if (st != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "%s: %s", path, cairo_status_to_string(st));
		return -1;
	}
	return 0;
}
