/*
 * xenstore.c - a minimal, polled xenstore client, just enough to tell
 * dom0 where the trace ring is: XS_WRITE requests over the shared ring
 * page (xen/io/xs_wire.h), a kick on the store event channel, and a
 * TSC-bounded poll for each reply (no interrupts, no watches).
 *
 * Publishes, relative to the guest's own /local/domain/ID:
 *   data/ringside/gfn    region_gpa >> 12, decimal
 *   data/ringside/pages  region_size / 4096, decimal
 *   data/ringside/nonce  the ring's boot nonce, hex
 * Best effort: any failure is logged and the boot goes on (the collector
 * can find the ring by a magic scan).
 */
#include "pvh.h"

#include "../../core/klib.h"
#include "ringside_ring.h"

#define HVM_PARAM_STORE_PFN    1
#define HVM_PARAM_STORE_EVTCHN 2

#define XS_WRITE       11
#define XS_WATCH_EVENT 15
#define XS_ERROR       16
#define RING_SIZE      1024u
#define TIMEOUT_SEC    5u

struct xs_ring {
	char req[RING_SIZE];
	char rsp[RING_SIZE];
	volatile uint32_t req_cons, req_prod;
	volatile uint32_t rsp_cons, rsp_prod;
	uint32_t server_features;
	volatile uint32_t connection;  /* 0: connected */
	uint32_t error;
};

struct xs_msg {
	uint32_t type, req_id, tx_id, len;
};

static struct xs_ring *ring;
static uint32_t port, req_id;
static uint64_t deadline, cycles_per_sec;

#define barrier() __asm__ __volatile__("" ::: "memory")

static bool timed_out(void)
{
	__asm__ __volatile__("pause");
	return rdtsc() > deadline;
}

static int put(const void *data, uint32_t len)
{
	const char *p = data;

	while (len) {
		uint32_t prod = ring->req_prod;
		uint32_t space = RING_SIZE - (prod - ring->req_cons);
		if (space == 0) {
			xen_evtchn_send(port);
			if (timed_out())
				return -1;
			continue;
		}
		uint32_t n = len < space ? len : space;
		for (uint32_t i = 0; i < n; i++)
			ring->req[(prod + i) & (RING_SIZE - 1)] = p[i];
		barrier();      /* data before index (x86 keeps store order) */
		ring->req_prod = prod + n;
		p += n;
		len -= n;
	}
	return 0;
}

/* Reads len bytes of reply; buf may be NULL to discard them. */
static int get(void *buf, uint32_t len)
{
	char *p = buf;

	while (len) {
		uint32_t cons = ring->rsp_cons;
		uint32_t avail = ring->rsp_prod - cons;
		if (avail == 0) {
			if (timed_out())
				return -1;
			continue;
		}
		barrier();      /* index before data */
		uint32_t n = len < avail ? len : avail;
		for (uint32_t i = 0; i < n; i++) {
			char c = ring->rsp[(cons + i) & (RING_SIZE - 1)];
			if (p)
				*p++ = c;
		}
		barrier();
		ring->rsp_cons = cons + n;
		len -= n;
	}
	xen_evtchn_send(port);          /* the server may wait for room */
	return 0;
}

static int xs_write(const char *path, const char *value)
{
	uint32_t plen = (uint32_t)kstrlen(path) + 1;
	uint32_t vlen = (uint32_t)kstrlen(value);
	struct xs_msg m = { XS_WRITE, ++req_id, 0, plen + vlen };
	char reply[64];

	deadline = rdtsc() + TIMEOUT_SEC * cycles_per_sec;
	if (put(&m, sizeof(m)) || put(path, plen) || put(value, vlen))
		goto timeout;
	xen_evtchn_send(port);
	for (;;) {
		if (get(&m, sizeof(m)))
			goto timeout;
		uint32_t keep = m.len < sizeof(reply) - 1 ? m.len
							  : sizeof(reply) - 1;
		if (get(reply, keep) || get(NULL, m.len - keep))
			goto timeout;
		reply[keep] = '\0';
		if (m.type == XS_WATCH_EVENT)
			continue;               /* not ours; we set no watches */
		if (m.type == XS_ERROR) {
			kprintf("xenstore: write %s: %s\n", path, reply);
			return -1;
		}
		return 0;
	}
timeout:
	kprintf("xenstore: write %s: no reply in %u s\n", path, TIMEOUT_SEC);
	return -1;
}

void xenstore_publish_ring(uint64_t ring_gpa, uint64_t tsc_hz)
{
	uint64_t pfn, evtchn;
	char buf[32];

	if (!xen_present())
		return;
	if (xen_hvm_get_param(HVM_PARAM_STORE_PFN, &pfn) ||
	    xen_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &evtchn) || !pfn) {
		kprintf("xenstore: no store page; ring not published\n");
		return;
	}
	if (pfn >= (1ull << 20)) {      /* only the low 4 GiB is mapped */
		kprintf("xenstore: store page 0x%lx is above 4 GiB; ring not "
			"published\n", (unsigned long)pfn);
		return;
	}
	ring = (struct xs_ring *)(uintptr_t)(pfn << 12);
	port = (uint32_t)evtchn;
	cycles_per_sec = tsc_hz ? tsc_hz : 1000000000ull;
	if (ring->connection != 0) {
		kprintf("xenstore: ring not connected (%u)\n", ring->connection);
		return;
	}

	const struct rs_header *h = (const void *)(uintptr_t)ring_gpa;
	ksnprintf(buf, sizeof(buf), "%lu",
		  (unsigned long)(h->region_gpa >> 12));
	if (xs_write("data/ringside/gfn", buf))
		return;
	ksnprintf(buf, sizeof(buf), "%lu",
		  (unsigned long)(h->region_size / 4096));
	if (xs_write("data/ringside/pages", buf))
		return;
	ksnprintf(buf, sizeof(buf), "%lx", (unsigned long)h->nonce);
	if (xs_write("data/ringside/nonce", buf))
		return;
	kprintf("xenstore: published data/ringside/{gfn,pages,nonce} "
		"(gfn 0x%lx, %lu pages)\n", (unsigned long)(h->region_gpa >> 12),
		(unsigned long)(h->region_size / 4096));
}
