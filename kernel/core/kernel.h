/*
 * kernel.h - bringing the kernel up: options, core init, kernel_main.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

struct kernel_options {
	const char *workload;     /* name in the workload table */
	uint64_t count;           /* workload iterations; 0 = its default */
	uint64_t duration_ns;     /* run for this long instead; 0 = use count */
	uint32_t mode;            /* enum rs_mode for the ring */
	bool quiet;               /* fewer console messages */
};

/*
 * Parses "workload=NAME count=N seconds=S mode=overwrite|discard quiet"
 * (space separated; S may have a fraction, e.g. 0.25). Unknown keys are an
 * error. Returns 0 or -1 with a message on the console.
 */
int kernel_parse_cmdline(const char *cmdline, struct kernel_options *o,
			 char *storage, uint64_t storage_len);
/* "0.25" -> 250000000; -1 on malformed input. */
int kernel_parse_seconds(const char *s, uint64_t *ns);

/* Lays out the ring in the platform's region and turns tracing on. */
int kernel_trace_init(uint32_t mode);
/* Page allocator, heap, scheduler, promises, timers, events: everything
 * but tracing. Also used by the tests to get a fresh kernel in-process. */
void kernel_core_init(void);

/* Boots, runs the workload to completion and exits via the platform. */
void kernel_main(const struct kernel_options *o) __attribute__((noreturn));

#endif /* KERNEL_KERNEL_H */
