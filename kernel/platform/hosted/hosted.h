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
	int console_fd;        /* -1: console output is discarded */
};

/* Returns 0 or -1 (errno set). Installs SIGALRM (tick), SIGUSR1 (device
 * interrupt on event port 1) and fault handlers; call fini to undo. */
int hosted_platform_init(const struct hosted_config *cfg);
void hosted_platform_fini(void);

#define HOSTED_DEVICE_VECTOR 33u
#define HOSTED_DEVICE_PORT   1u

#endif /* KERNEL_HOSTED_H */
