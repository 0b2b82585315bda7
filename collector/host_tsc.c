/*
 * host_tsc.c - the host's TSC rate (host_tsc.h), measured against
 * CLOCK_MONOTONIC_RAW.
 */
#include <time.h>
#include <x86intrin.h>

#include "host_tsc.h"

/*
 * The host's TSC rate in kHz. Under TCG the guest's TSC runs at the
 * host's rate, and the host can measure it exactly: a guest measuring
 * against the emulated PIT is thrown off whenever its vCPU thread is
 * preempted, which on a busy machine gave 2-3x errors. Each end of the
 * interval is a clock reading bracketed by two TSC reads that lie close
 * together, so a preemption at either end is retried, not measured.
 */
uint64_t rs_host_tsc_khz(void)
{
	uint64_t tsc[2], ns[2];

	for (int end = 0; end < 2; end++) {
		for (int tries = 0; tries < 100; tries++) {
			struct timespec ts;
			uint64_t before = __rdtsc();
			clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
			uint64_t after = __rdtsc();
			tsc[end] = before / 2 + after / 2;
			ns[end] = (uint64_t)ts.tv_sec * 1000000000u +
				  (uint64_t)ts.tv_nsec;
			if (after - before < 20000)
				break;
		}
		if (end == 0)
			nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
	}
	if (ns[1] <= ns[0] || tsc[1] <= tsc[0])
		return 0;
	return (tsc[1] - tsc[0]) * 1000000u / (ns[1] - ns[0]);
}
