/*
 * histogram_panel.h - the window's latency histogram pane (GTK): a
 * "group by" selector and a drawing area drawn by rv_hist_draw. The
 * window tells it what was selected; it computes the report off the UI
 * thread (once per model and grouping, cached), and when a bar is
 * clicked fills the window's highlight array and calls back.
 */
#ifndef RV_HISTOGRAM_PANEL_H
#define RV_HISTOGRAM_PANEL_H

#include <gtk/gtk.h>

#include "histogram.h"

typedef struct rv_hpanel rv_hpanel;

/* Called after a bar click re-marked the highlight array: n promises,
 * `what` describes them (for the status bar). */
typedef void (*rv_hpanel_cb)(void *ud, uint32_t n, const char *what);

rv_hpanel *rv_hpanel_new(rv_hpanel_cb cb, void *ud);
GtkWidget *rv_hpanel_widget(rv_hpanel *p);
/* A new (or reloaded) model: drops the cached reports. mark has
 * m->pp.n bytes and belongs to the window. */
void rv_hpanel_set_model(rv_hpanel *p, const rv_model *m, uint8_t *mark);
/* Show the group of promise pp, or the lifetimes of promises created by
 * thread t (by = thread); both open the pane. */
void rv_hpanel_select_pp(rv_hpanel *p, uint32_t pp);
void rv_hpanel_select_thread(rv_hpanel *p, uint32_t thread);
void rv_hpanel_set_by(rv_hpanel *p, enum rs_report_by by);
void rv_hpanel_toggle(rv_hpanel *p);
void rv_hpanel_clear_bar(rv_hpanel *p);
/* A report is being computed. */
bool rv_hpanel_busy(rv_hpanel *p);
/* A click at the centre of bar i, through the same hit test as the
 * mouse. Returns false if there is no such bar. */
bool rv_hpanel_click_bar(rv_hpanel *p, int i);
/* The histogram shown (NULL: none) and the source it came from. */
const rv_hist *rv_hpanel_hist(rv_hpanel *p);
/* Wait for any computation, then free. */
void rv_hpanel_free(rv_hpanel *p);

#endif
