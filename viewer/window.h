/*
 * window.h - the window's state, shared by window.c (widgets, input,
 * drawing, test script), window_load.c (loading with progress, --follow:
 * waiting for the database, reloading, sliding with the end) and
 * window_search.c (search off the UI thread, filter, next/previous
 * match). Not a library interface: one window per process.
 */
#ifndef RV_WINDOW_H
#define RV_WINDOW_H

#include <gtk/gtk.h>

#include "draw.h"
#include "histogram_panel.h"
#include "model.h"
#include "follow.h"
#include "viewer.h"

#define RV_FRAMES_KEPT 60   /* the frame-time readout's "worst of last N" */

typedef struct {
	GtkWidget *win, *area, *hbar, *vbar, *status, *search_bar, *entry;
	GtkWidget *filter_check, *counter_box;
	GtkAdjustment *hadj, *vadj;
	rv_hpanel *hp;
	char *path;
	rv_model *m;
	rv_view v;
	uint8_t *match, *chain;
	rv_match_rows *match_rows; /* match counted per row (draw.h) */
	bool loading, fitted, follow, updating_adj;
	/* --follow: slide with the newest data until the user zooms or pans
	 * (End resumes); waiting: the database does not exist yet */
	bool following, waiting;
	char *wait_msg;           /* what the area says while waiting */
	char load_msg[64];        /* "Loading... 37 %" */
	/* the first load's latest preview (follow.h, rv_load_show), drawn
	 * until the model arrives; the area's size, for the loading thread
	 * to draw it at (g_atomic) */
	cairo_surface_t *preview;
	uint64_t preview_events;
	unsigned preview_n;       /* previews received */
	bool preview_drawn;       /* the latest has been painted */
	/* --test-script: the loader waits for each preview to be painted
	 * (preview_painted, under preview_lock), so a script sees it on
	 * screen; preview_sent is the loading thread's own count */
	GMutex preview_lock;
	GCond preview_cond;
	unsigned preview_painted, preview_sent;
	gint area_w, area_h;
	int64_t last_count;
	/* --follow: the model grows in place (follow.h): new chunks are
	 * decoded on a worker (fetching), then applied on this thread
	 * between frames, never while a search worker reads the model */
	rv_follow *fl;
	bool fetching, apply_ready;
	char *base_status;        /* the status after loading (Esc restores) */
	/* search: one worker at a time; gen drops results of older queries */
	guint search_gen;
	guint sel_gen;            /* the selection summary being counted */
	bool sel_busy;            /* a worker is counting one */
	bool search_busy, search_again, search_quiet;
	/* --test-script's "search-delay:MS": each search worker sleeps this
	 * long first, so a test sees the window live while one runs */
	guint search_delay_ms;
	gint64 search_started_us;   /* when the running search began */
	int64_t cur_match;        /* pp selected by Enter / Shift+Enter, or -1 */
	GPtrArray *retired;       /* models a running search still reads */
	bool show_frametime;
	/* the image draw_cb draws each frame into (window.c, frame_image) */
	cairo_surface_t *frame;
	double frame_ms[RV_FRAMES_KEPT];
	int frame_n, frame_pos;
	double px, py;            /* pointer */
	double drag_from, drag_scroll;
	bool selecting;
	char **script;            /* --test-script steps */
	int script_pos;
	int exit_code;
	bool done, destroyed;
} win_t;

void rv_win_status(win_t *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void rv_win_redraw(win_t *w);
/* After match[] changed: re-count it per row for packed rows. */
void rv_win_matches_changed(win_t *w);
/* Keep from within the trace's ends (with a small margin). */
void rv_win_clamp(win_t *w);

gboolean rv_win_handle_key(win_t *w, guint key, GdkModifierType mods);

/* window_load.c */
void rv_win_start_load(win_t *w);
/* White bold text on a dark box, its top left at (x, y), or its top
 * right with right set: the frame-time readout, the preview's banner. */
void rv_win_badge(cairo_t *cr, const char *s, double x, double y,
		  bool right);
/* The preview in the area while the first load runs (window_load.c). */
void rv_win_draw_preview(win_t *w, cairo_t *cr, int width, int height);
/* Before any window: refuse a bad file (1) or, with --follow and no file
 * yet, set w->waiting (0). */
int rv_win_precheck(win_t *w);
guint rv_win_follow_start(win_t *w);
/* Put the view's right edge at the data's end, keeping its width. */
void rv_win_follow_end(win_t *w);
/* Called by loaded() once the new model is in place. */
void rv_win_model_swapped(win_t *w);

/* window_script.c: the test script's first step, once loaded */
void rv_win_script_start(win_t *w);

/* window_search.c */
void rv_win_search_run(win_t *w);
/* The selection's summary in the status line, counted off the UI thread
 * (window.c): "counting" until its worker answers. */
void rv_win_count_selection(win_t *w);
void rv_win_search_clear(win_t *w);
void rv_win_search_step(win_t *w, int dir);   /* +1 next, -1 previous */
void rv_win_search_connect(win_t *w);
void rv_win_search_drop_model(win_t *w, rv_model *old);

#endif
