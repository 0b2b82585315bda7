/*
 * test_kernel.h - what the kernel test files (tests/test_kernel*.c) share:
 * decoding a ring into per-type tallies, and running ringside-hosted.
 * Implemented in tests/kernel/test_kernel.c.
 */
#ifndef RS_TEST_KERNEL_H
#define RS_TEST_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "rs_decode.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define TALLY_MARKS 4

struct tally {
	uint64_t n[RS_EV_TYPE_LIMIT];
	uint64_t last_heap;           /* a of the last HEAP record */
	uint64_t last_mark_a;
	char last_mark[96];
	char marks[TALLY_MARKS][96];  /* the first few MARK texts */
	uint64_t mark_a[TALLY_MARKS];
	char last_counter[64];
	uint64_t last_counter_a;
	uint64_t last_requests;       /* last COUNTER "requests" */
	uint64_t promise_types[RS_PT_COUNT];
	uint64_t irq_by_vector[64];   /* IRQ_ENTER by vector, below 64 */
	uint64_t block_by_reason[8];  /* THREAD_BLOCK by reason */
	int saw_label_req3_part7;
	int saw_label_get_index;      /* "GET /index 0" (demo) */
	int saw_names;                /* bit 0 main, 1 ping, 2 pong */
	uint64_t max_ctx;
	uint64_t page_alloc_pages, page_free_pages;
};

/* Decodes everything published in a ring held in memory / in a file. */
void tally_region(const void *base, size_t len, struct tally *t,
		  struct rs_status *st);
void tally_file(const char *path, struct tally *t, struct rs_status *st);

/* Runs ringside-hosted with a ring big enough that nothing is lost, and
 * decodes it. `env` (may be "") prefixes the command line. Returns the
 * exit status (128 + signal if killed). */
int run_hosted_env(const char *env, const char *workload, const char *extra,
		   struct tally *t, struct rs_status *st, char **out);
int run_hosted(const char *workload, const char *extra, struct tally *t,
	       struct rs_status *st, char **out);

/* What every clean run must satisfy. */
void check_clean(const struct tally *t, const struct rs_status *st);

#endif
