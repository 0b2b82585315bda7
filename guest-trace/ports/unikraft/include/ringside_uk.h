/*
 * ringside_uk.h - what a Unikraft app may call in ringside's tracer
 * (libringside). The hooks need no calls: adding the library is enough.
 * These are for an app that wants its own marks in the trace, or to
 * measure the emit path against Unikraft's clock.
 */
#ifndef RINGSIDE_UK_H
#define RINGSIDE_UK_H

#include <stdint.h>

#include "guest_trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The region once it is laid out (an early initcall), else NULL. */
struct rs_header *ringside_uk_region(void);
/* Id the tracer gave the running thread (0: the idle thread or boot). */
uint32_t ringside_uk_current_tid(void);
/* A MARK record: `text` (truncated to fit a record) and a value. */
void ringside_uk_mark(const char *text, uint64_t value);

#ifdef __cplusplus
}
#endif

#endif /* RINGSIDE_UK_H */
