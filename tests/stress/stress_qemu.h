/*
 * stress_qemu.h - the SMP ring stress under QEMU, checked: after
 * `ringside run --smp N --workload emitstorm --seconds S --dump CORE -o DB`
 * (kernel/workloads/emitstorm.c), every CPU's accounting and every record
 * kept. Shared by `make stress` (tests/stress/stress_qemu_main.c) and the
 * short run in `make check` (tests/collector/test_qemu_smp.c).
 *
 * For every CPU of the newest trace in DB:
 *   - written is the guest's own count, head_written in the ring header
 *     of the dump (taken after run's last poll of the frozen guest);
 *   - accepted (rows of `events`) + lost (sum of the `lost` table's
 *     counts) == written, and both equal trace_cpu's figures;
 *   - record numbers rise by one but across a gap, and the gaps, in
 *     order, are exactly the `lost` rows of that CPU (counts, and the
 *     times on either side where the row has them); no record after the
 *     last is missing;
 *   - every "emitstorm" COUNTER names this CPU and its sequence rises;
 *     a sequence number skipped is covered by records lost since the
 *     last one kept; the CPU's "emitstorm: cpu done" MARK, if kept,
 *     comes after the last and its count is covered the same way.
 */
#ifndef RS_TEST_STRESS_QEMU_H
#define RS_TEST_STRESS_QEMU_H

#include <stdint.h>

#include "ringside_ring.h"

struct rs_smp_stress_cpu {
	uint64_t written, accepted, lost;
	uint64_t gaps;          /* runs of lost records */
	uint64_t storm;         /* emitstorm records kept */
	int64_t done;           /* the done mark's count; -1 if not kept */
};

struct rs_smp_stress_result {
	unsigned ncpus;
	struct rs_smp_stress_cpu cpu[RS_MAX_CPUS];
	char first_bad[300];    /* the first failed check, "" if none */
};

/* 0 when every check holds; 1 otherwise (reason in r->first_bad);
 * -1 if DB or CORE could not be read (reason there too). */
int rs_smp_stress_check(const char *db, const char *core,
			struct rs_smp_stress_result *r);

#endif
