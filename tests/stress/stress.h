/*
 * stress.h - the full-speed ring stress, shared by `make stress` (the
 * standalone tests/stress/stress_main.c, 10^8 events by default) and the
 * short run inside `make check` (tests/guest-trace/test_stress.c, test_ring.c).
 *
 * Several writer threads each own one CPU ring and emit with the real
 * guest-trace writer as fast as they can; one reader polls the real
 * decoder (rs_reader_poll) live at the same time. Every record carries a
 * payload that checks itself (its own per-CPU sequence number and a hash
 * of it, its CPU and its thread id; strings derived from the same hash),
 * so a torn, misplaced or misnumbered record that the reader accepts is
 * counted as corrupt, and every LOST count is checked against the jump in
 * sequence numbers it explains.
 */
#ifndef RS_TEST_STRESS_H
#define RS_TEST_STRESS_H

#include <stddef.h>
#include <stdint.h>

struct rs_stress_opts {
	uint64_t events;       /* total over all writers */
	unsigned cpus;         /* writer threads, one ring each (1..16) */
	size_t ring_bytes;     /* per CPU ring, a power of two */
	uint32_t chunk;        /* 0 = the writer's default */
	uint32_t mode;         /* RS_MODE_OVERWRITE or RS_MODE_DISCARD */
	unsigned str_every;    /* one string record in this many; 0 = none */
};

struct rs_stress_result {
	uint64_t written;      /* what the writers emitted */
	uint64_t accepted;     /* records the reader delivered */
	uint64_t lost;         /* records the reader counted lost */
	uint64_t lost_events;  /* LOST events delivered */
	uint64_t corrupt;      /* accepted records that failed their check */
	uint64_t anomalies;    /* the reader's inconsistency count */
	uint64_t polls;
	double secs;
	char first_bad[200];   /* the first failed check, "" if none */
};

/*
 * Run it. Returns 0 when no record was corrupt, the reader saw no anomaly
 * and accepted + lost == written on every CPU; 1 otherwise (the reason in
 * r->first_bad); -1 if it could not start.
 */
int rs_stress_run(const struct rs_stress_opts *o, struct rs_stress_result *r);

#endif
