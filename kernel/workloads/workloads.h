/*
 * workloads.h - the programs the kernel can boot into, looked up by name.
 *
 * Each is deterministic for a given count so tests can predict the exact
 * number of each trace record (see the comment at the top of each file).
 */
#ifndef KERNEL_WORKLOADS_H
#define KERNEL_WORKLOADS_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_cmdline.h"

struct workload_args {
	uint64_t count;          /* iterations; 0 = the workload's default */
	uint64_t duration_ns;    /* if set (and count is 0): run this long */
	bool quiet;
};

struct workload {
	const char *name;
	const char *summary;
	/* Runs in thread "main" (tid 1); returns 0 on success. */
	int (*run)(const struct workload_args *args);
};

extern const struct workload *const workload_table[];   /* NULL-terminated */
const struct workload *workload_find(const char *name);

/* workload_pingpong, ...: one per name in RS_WORKLOADS, each defined in
 * the workload's own file. */
#define WORKLOAD_DECLARE(name) extern const struct workload workload_##name;
RS_WORKLOADS(WORKLOAD_DECLARE)
#undef WORKLOAD_DECLARE

/* Shared helper: true once the iteration budget is spent. i counts
 * completed iterations. */
bool workload_done(const struct workload_args *a, uint64_t i,
		   uint64_t default_count, uint64_t start_cycles);

#endif /* KERNEL_WORKLOADS_H */
