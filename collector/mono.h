/*
 * mono.h - the collector's one notion of elapsed time: CLOCK_MONOTONIC in
 * seconds, for poll intervals, hang deadlines and QMP timeouts, which must
 * not jump when someone sets the wall clock.
 */
#ifndef RS_COLLECTOR_MONO_H
#define RS_COLLECTOR_MONO_H

#include <time.h>

static inline double rs_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep `s` seconds; a signal cuts it short, which the loops want (they
 * re-check their stop conditions right after). */
static inline void rs_sleep_secs(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

#endif
