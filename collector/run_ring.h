/*
 * run_ring.h - the size of the ring `ringside run` gives the guest when
 * --ring-pages is not given (run_ring.c). Apart from run.h so a test
 * can check it without run.h's rs_run.
 */
#ifndef RS_COLLECTOR_RUN_RING_H
#define RS_COLLECTOR_RUN_RING_H

/*
 * The ring `run` gives the guest when --ring-pages is not given: what the
 * fastest guest seen writes (RS_RUN_GUEST_BYTES_PER_S, pingpong under
 * TCG) between two reads of the ring, a poll period plus
 * RS_RUN_READ_SLACK_MS the session thread may wait for a CPU on a busy
 * host, times the vCPUs (each has a ring of its own in the region);
 * rounded down to a power of two, at least the guest's own default
 * (RS_RING_PAGES_DEFAULT) and at most a quarter of guest RAM.
 */
#define RS_RUN_GUEST_BYTES_PER_S (160ull << 20)
#define RS_RUN_READ_SLACK_MS 100u
unsigned rs_run_ring_pages(unsigned poll_ms, unsigned mem_mb, unsigned smp);

#endif /* RS_COLLECTOR_RUN_RING_H */
