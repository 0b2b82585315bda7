/*
 * lttng_tp.c - instantiates the ringside_bench tracepoint provider
 * (probes and tracepoint definitions) inside the LTTng benchmark program,
 * so it needs no LD_PRELOAD or separate provider library.
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "lttng_tp.h"
