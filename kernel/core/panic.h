/*
 * panic.h - fatal errors: record them in the ring's panic slot, print, halt.
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include <stdint.h>

#include "ringside_ring.h"

/* Register file at the point of failure, indexed by enum rs_reg. */
struct panic_regs {
	uint64_t r[RS_REG_COUNT];
};

/* A software panic: registers and backtrace are taken at the call site. */
void panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* A CPU exception (or the hosted equivalent, a fatal signal), with the
 * registers the trap frame saved. */
void panic_exception(uint32_t vector, uint64_t error_code, uint64_t fault_addr,
		     const struct panic_regs *regs) __attribute__((noreturn));

/* Human name of an exception vector ("#PF", "#UD", ...). */
const char *panic_vector_name(uint32_t vector);

#endif /* KERNEL_PANIC_H */
