/*
 * hosted.h - setting up the hosted platform (the kernel as a Linux
 * process) without running kernel_main: what main.c does for the
 * ringside-hosted binary, and what tests do to get a kernel in-process.
 */
#ifndef KERNEL_HOSTED_H
#define KERNEL_HOSTED_H

#include <stddef.h>
#include <stdint.h>

struct hosted_config {
	void *ring_base;       /* page-aligned ring region; NULL: no tracing */
	uint64_t ring_size;
	size_t mem_bytes;      /* page allocator memory; 0: 64 MiB */
	unsigned tick_hz;      /* timer interrupt rate; 0: no tick at all */
	unsigned ncpus;        /* CPUs (pthreads), 1..16; 0: one */
	int console_fd;        /* -1: console output is discarded */
};

/* Returns 0 or -1 (errno set). Installs SIGALRM (tick), SIGUSR1 (device
 * interrupt on event port 1), SIGUSR2 (IPI) and fault handlers; call fini
 * to undo. The caller's thread is CPU 0; the core starts the others
 * (platform_start_cpu), which fini does not take down: with several CPUs
 * the process exits rather than calling init again. */
int hosted_platform_init(const struct hosted_config *cfg);
void hosted_platform_fini(void);

#define HOSTED_DEVICE_VECTOR 33u
#define HOSTED_DEVICE_PORT   1u

#endif /* KERNEL_HOSTED_H */
