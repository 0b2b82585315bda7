/*
 * collect.h - `ringside collect`: read a guest's ring through a source and
 * store its events, once or while the guest runs.
 */
#ifndef RS_COLLECTOR_COLLECT_H
#define RS_COLLECTOR_COLLECT_H

struct rs_collect_opts {
	const char *source;    /* "file:PATH", ... */
	const char *db_path;
	int follow;            /* keep polling until the guest stops */
	unsigned poll_ms;      /* follow: time between polls */
	double hang_secs;      /* follow: heartbeat silence that means hung */
	double wait_secs;      /* how long to wait for a region to appear */
};

/* Runs the whole command. Returns the process exit status (0 or 1). */
int rs_collect(const struct rs_collect_opts *o);

#endif /* RS_COLLECTOR_COLLECT_H */
