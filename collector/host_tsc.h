/*
 * host_tsc.h - the host's TSC rate, measured on the host: what `run`
 * tells a QEMU guest (tsc_khz=) and what tests hold a guest's own
 * calibration against.
 */
#ifndef RS_COLLECTOR_HOST_TSC_H
#define RS_COLLECTOR_HOST_TSC_H

#include <stdint.h>

/* The TSC rate in kHz, 0 if it could not be measured. Takes about 50 ms. */
uint64_t rs_host_tsc_khz(void);

#endif /* RS_COLLECTOR_HOST_TSC_H */
