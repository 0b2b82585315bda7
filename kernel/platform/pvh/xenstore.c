/*
 * xenstore.c - a minimal, polled xenstore client, just enough to tell
 * dom0 where the trace ring is: requests over the shared ring page
 * (xen/io/xs_wire.h), a kick on the store event channel, and a
 * TSC-bounded poll for each reply (no interrupts, no watches).
 *
 * Publishes, relative to the guest's own /local/domain/ID:
 *   data/ringside/gfn      region_gpa >> 12, decimal
 *   data/ringside/pages    region_size / 4096, decimal
 *   data/ringside/nonce    the ring's boot nonce, hex
 *   data/ringside/ring-ref the region's grant references, decimal, in page
 *                          order, space-separated (grant.c), when there
 *                          are any; written after the other three
 * in one transaction: a collector polling for the ring (collect
 * --follow, started before the guest runs) sees none of them or all,
 * never gfn without the ring-ref that follows it, so it takes the
 * grant path whenever the guest offers one (collector/README.md).
 * Best effort: any failure is logged and the boot goes on (the collector
 * can find the ring by a magic scan).
 */
#include "pvh.h"

#include "../../core/klib.h"
#include "ringside_ring.h"

#define HVM_PARAM_STORE_PFN    1
#define HVM_PARAM_STORE_EVTCHN 2

#define XS_TRANSACTION_START 6
#define XS_TRANSACTION_END   7
#define XS_WRITE             11
#define XS_WATCH_EVENT       15
#define XS_ERROR             16
#define RING_SIZE            1024u
#define PAYLOAD_MAX          4096u  /* XENSTORE_PAYLOAD_MAX */
#define TIMEOUT_SEC          5u
/* A transaction that conflicts with another writer of the same nodes
 * ends in EAGAIN and is tried again; nobody else writes data/ringside/,
 * so more than one retry would be a surprise. */
#define TX_TRIES             4

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

/*
 * One request: `a` and its NUL, then `b` (without one) as the payload,
 * in transaction `tx` (0: none). 0 with the reply in `reply`
 * (NUL-terminated, cut to rlen); 1 if xenstored answered XS_ERROR (its
 * errno name in `reply`); -1 when it did not answer in time, or the
 * payload is larger than xenstored takes (it would drop the connection).
 */
static int xs_request(uint32_t type, uint32_t tx, const char *a,
		      const char *b, char *reply, uint32_t rlen)
{
	uint32_t alen = (uint32_t)kstrlen(a) + 1;
	uint32_t blen = (uint32_t)kstrlen(b);
	struct xs_msg m = { type, ++req_id, tx, alen + blen };

	reply[0] = '\0';
	if (alen + blen > PAYLOAD_MAX) {
		kprintf("xenstore: %s: %u bytes, more than xenstore's %u\n",
			a, alen + blen, PAYLOAD_MAX);
		return -1;
	}
	deadline = rdtsc() + TIMEOUT_SEC * cycles_per_sec;
	if (put(&m, sizeof(m)) || put(a, alen) || put(b, blen))
		goto timeout;
	xen_evtchn_send(port);
	for (;;) {
		if (get(&m, sizeof(m)))
			goto timeout;
		uint32_t keep = m.len < rlen - 1 ? m.len : rlen - 1;
		if (get(reply, keep) || get(NULL, m.len - keep))
			goto timeout;
		reply[keep] = '\0';
		if (m.type == XS_WATCH_EVENT)
			continue;               /* not ours; we set no watches */
		return m.type == XS_ERROR;
	}
timeout:
	kprintf("xenstore: request %u (%s): no reply in %u s\n", type, a,
		TIMEOUT_SEC);
	return -1;
}

static int xs_write(uint32_t tx, const char *path, const char *value)
{
	char reply[64];
	int rc = xs_request(XS_WRITE, tx, path, value, reply, sizeof(reply));

	if (rc > 0)
		kprintf("xenstore: write %s: %s\n", path, reply);
	return rc ? -1 : 0;
}

/* A transaction's id, or 0 (after saying why) when there is none. */
static uint32_t xs_tx_start(void)
{
	char reply[32];
	uint64_t id;

	if (xs_request(XS_TRANSACTION_START, 0, "", "", reply,
		       sizeof(reply)) != 0 || kparse_u64(reply, &id) || !id ||
	    id > 0xffffffffu) {
		kprintf("xenstore: no transaction (%s); writing the keys one "
			"by one\n", reply);
		return 0;
	}
	return (uint32_t)id;
}

/* Commits (or with !commit, abandons) `tx`: 0 done, 1 try again (EAGAIN:
 * another writer came first), -1 failed. */
static int xs_tx_end(uint32_t tx, bool commit)
{
	char reply[64];
	int rc = xs_request(XS_TRANSACTION_END, tx, commit ? "T" : "F", "",
			    reply, sizeof(reply));

	if (rc > 0 && commit && !kstrcmp(reply, "EAGAIN"))
		return 1;
	if (rc > 0)
		kprintf("xenstore: ending the transaction: %s\n", reply);
	return rc ? -1 : 0;
}

/* The keys, in the order collector/README.md gives: ring-ref last. */
static int write_keys(uint32_t tx, const struct rs_header *h,
		      const char *ring_ref)
{
	char buf[32];

	ksnprintf(buf, sizeof(buf), "%lu",
		  (unsigned long)(h->region_gpa >> 12));
	if (xs_write(tx, "data/ringside/gfn", buf))
		return -1;
	ksnprintf(buf, sizeof(buf), "%lu",
		  (unsigned long)(h->region_size / 4096));
	if (xs_write(tx, "data/ringside/pages", buf))
		return -1;
	ksnprintf(buf, sizeof(buf), "%lx", (unsigned long)h->nonce);
	if (xs_write(tx, "data/ringside/nonce", buf))
		return -1;
	if (ring_ref && xs_write(tx, "data/ringside/ring-ref", ring_ref))
		return -1;
	return 0;
}

void xenstore_publish_ring(uint64_t ring_gpa, uint64_t tsc_hz,
			   const char *ring_ref)
{
	uint64_t pfn, evtchn;

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
	for (int i = 0;; i++) {
		uint32_t tx = xs_tx_start();
		if (write_keys(tx, h, ring_ref)) {
			if (tx)
				xs_tx_end(tx, false);
			return;
		}
		int rc = tx ? xs_tx_end(tx, true) : 0;
		if (rc < 0)
			return;
		if (rc == 0)
			break;
		if (i + 1 == TX_TRIES) {
			kprintf("xenstore: the transaction conflicted %d times; "
				"ring not published\n", TX_TRIES);
			return;
		}
	}
	kprintf("xenstore: published data/ringside/{gfn,pages,nonce%s} "
		"(gfn 0x%lx, %lu pages)\n", ring_ref ? ",ring-ref" : "",
		(unsigned long)(h->region_gpa >> 12),
		(unsigned long)(h->region_size / 4096));
}
