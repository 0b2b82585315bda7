/*
 * test_smp.h - what the SMP kernel suites share (tests/kernel/test_smp.c):
 * a run's ring decoded with the one decoder, every CPU's records kept and
 * merged by time, and the checks the SMP records must pass.
 */
#ifndef RS_TEST_SMP_H
#define RS_TEST_SMP_H

#include <stddef.h>
#include <stdint.h>

#include "ringside_ring.h"
#include "rs_decode.h"
#include "test_kernel.h"

struct smp_ev {
	uint64_t tsc, seq;
	uint16_t type, cpu;
	uint32_t ctx;
	uint64_t a, b, c;
	char str[96];
	int has_str;
};

/* One run, decoded: its events merged by time, per-CPU counts. */
struct smp_run {
	int rc;
	unsigned ncpus;
	struct smp_ev *ev;
	size_t n, cap;
	uint64_t by_cpu[RS_MAX_CPUS][RS_EV_TYPE_LIMIT];
	uint64_t accepted[RS_MAX_CPUS], lost[RS_MAX_CPUS];
	uint64_t written[RS_MAX_CPUS];
	uint64_t tsc_hz;
	struct tally t;                 /* over the merged events */
	struct rs_status st;
};

struct smp_counts {
	uint64_t migrations, ipi_sent, ipi_recv, wakes, cross_wakes;
};

void smp_decode_region(const void *m, size_t len, struct smp_run *r);
void smp_decode(const char *path, struct smp_run *r);
struct smp_run *smp_run_workload_status(const char *workload,
					 unsigned cpus, const char *extra,
					 int want);
struct smp_run *smp_run_workload(const char *workload, unsigned cpus,
				  const char *extra);
void smp_free_run(struct smp_run *r);
void smp_check_every_cpu(const struct smp_run *r);
int smp_next_run_cpu(const struct smp_run *r, size_t i, uint64_t tid);
struct smp_counts smp_check_records(const struct smp_run *r);
size_t smp_placed_away(const struct smp_run *r, const char *prefix,
		       size_t *threads, unsigned *cpus_used);

#endif
