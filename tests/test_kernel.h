/*
 * test_kernel.h - what the kernel test files (tests/test_kernel*.c) share:
 * decoding a ring into per-type tallies, and running ringside-hosted.
 * Implemented in tests/kernel/test_kernel.c.
 */
#ifndef RS_TEST_KERNEL_H
#define RS_TEST_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* Adds one decoded event to the tallies. */
void tally_event(struct tally *t, const struct rs_event *ev);
/* Decodes everything published in a ring held in memory / in a file. */
void tally_region(const void *base, size_t len, struct tally *t,
		  struct rs_status *st);
/* A ring file mapped read-only, whole (*len bytes); munmap it after. */
const void *map_ring_file(const char *path, size_t *len);
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
/* The exact counts fanout.c (r requests) and demo.c (n served) document. */
void check_fanout(const struct tally *t, uint64_t r);
void check_demo(const struct tally *t, uint64_t n);

/* ringside-hosted running `workload` in the background, its ring at
 * `ring`, with the options in `extra` (NULL-terminated, may be NULL);
 * stdout to /dev/null. */
pid_t spawn_hosted(const char *workload, const char *ring,
		   const char *const *extra);
void hosted_sleep_ms(long ms);
/* Polls (every 10 ms, up to 30 s) until the hosted kernel `pid` has
 * `mark` as the last MARK in its ring; kills it if that never comes. */
void wait_for_mark(pid_t pid, const char *ring, const char *mark);

#endif
