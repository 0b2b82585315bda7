/*
 * export.h - drawing a view into a PNG or SVG file (headless --render, and
 * the window's export command), with the same rv_draw as the screen.
 */
#ifndef RV_EXPORT_H
#define RV_EXPORT_H

#include "draw.h"

/* Format by extension (.png or .svg). Returns 0, or -1 with a one-line
 * message in err. */
int rv_export(const rv_model *m, const rv_view *v, const char *path,
	      char *err, size_t errlen);

#endif
