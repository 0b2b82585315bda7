/*
 * viewer.h - entry points main.c dispatches to: the GTK window
 * (window.c) and the benchmark (bench.c).
 */
#ifndef RV_VIEWER_H
#define RV_VIEWER_H

#include <stdbool.h>
#include <stdint.h>

/* Open the window on path. test_script (hidden --test-script) drives it
 * for tests: see window.c. Returns the process exit status. */
int rv_window_run(const char *path, bool follow, const char *test_script);

/* --bench: load, then render a sweep of zoom levels headlessly. */
int rv_bench(const char *path, int width, int height);
/* --bench-follow: follow the database headlessly for `seconds`, a
 * reload and a frame every 200 ms, printing each tick and the CPU. */
int rv_bench_follow(const char *path, double seconds, int width, int height);


#endif
