/*
 * lag.h - `ringside run --lag-report`: how long an event takes from the
 * guest's emit to its row being committed, and how soon the first one
 * lands after QEMU starts. A measurement aid, not part of collecting.
 */
#ifndef RS_COLLECTOR_LAG_H
#define RS_COLLECTOR_LAG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct rs_lag;

/* `qemu_started`: CLOCK_MONOTONIC seconds when QEMU was forked. */
struct rs_lag *rs_lag_new(double qemu_started);
/* Mark the moment the VM was told to run (the guest TSC starts then). */
void rs_lag_vm_started(struct rs_lag *l);
/* rs_committed_cb: called after each committed batch. */
void rs_lag_committed(void *opaque, const uint64_t *tsc, size_t n);
void rs_lag_report(struct rs_lag *l, FILE *out);
void rs_lag_free(struct rs_lag *l);

#endif /* RS_COLLECTOR_LAG_H */
