/*
 * run.h - `ringside run`: boot a workload in QEMU and collect it live,
 * noticing how the run ended (exited, crashed, hung, triple fault).
 */
#ifndef RS_COLLECTOR_RUN_H
#define RS_COLLECTOR_RUN_H

#include <stdint.h>

#include "run_ring.h"

struct rs_run_opts {
	const char *workload;
	const char *db_path;
	const char *kernel;      /* NULL: next to the binary's build dir */
	const char *qemu;        /* NULL: qemu-system-x86_64 from PATH */
	const char *dump_path;   /* --dump CORE, or NULL */
	int force_dump;          /* --force-dump: CORE may be overwritten */
	double seconds;          /* 0: no limit */
	unsigned mem_mb;
	unsigned smp;            /* vCPUs (QEMU -smp), 1..RS_MAX_CPUS */
	uint64_t count;          /* 0: the workload's default */
	unsigned ring_pages;     /* 0: rs_run_ring_pages() */
	int gdb;
	double hang_secs;
	unsigned poll_ms;
	int lag_report;          /* hidden: print emit->row latency */
	int store_sync;          /* hidden: each poll waits for its commit,
				  * as before the spool (a benchmark's
				  * reference) */
};

/* Runs the whole command. Returns the process exit status (0, 1 or 2). */
int rs_run(const struct rs_run_opts *o);

#endif /* RS_COLLECTOR_RUN_H */
