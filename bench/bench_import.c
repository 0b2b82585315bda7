/*
 * bench_import.c - `ringside import mirage:` on a generated mirage-profile
 * ring of 2^20 events (the op mix of the peers' net.ctf: creates, labels,
 * reads, increases, becomes, fulfills, switches, try_reads), events/s of
 * wall time, median of 5, each into a fresh database; beside `collect
 * file:` of one ring of as many events (bench_collect_smp.c). The whole
 * command is timed: reading the file twice (the check, then the store),
 * and opening and committing the database.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS  (1u << 20)
#define RUNS    5
#define PACKET  250880u         /* net.ctf's packet size */

struct ring {
	FILE *f;
	uint8_t pkt[PACKET];
	size_t len;
	uint16_t count;
};

static void put(struct ring *r, const void *p, size_t n)
{
	memcpy(r->pkt + r->len, p, n);
	r->len += n;
}

static void put64(struct ring *r, uint64_t v)
{
	put(r, &v, 8);   /* little-endian host */
}

static void flush(struct ring *r)
{
	const uint32_t magic = 0xc1fc1fc1u, psize = PACKET * 8;
	const uint32_t content = (uint32_t)r->len * 8;
	static const uint8_t uuid[16] = {
		0x05, 0x88, 0x3b, 0x8d, 0x52, 0x1a, 0x48, 0x7b,
		0xb3, 0x97, 0x45, 0x6a, 0xb1, 0x50, 0x68, 0x0c,
	};
	memcpy(r->pkt, &magic, 4);
	memcpy(r->pkt + 4, uuid, 16);
	memcpy(r->pkt + 20, &psize, 4);
	memcpy(r->pkt + 24, &r->count, 2);
	memcpy(r->pkt + 26, &content, 4);
	memset(r->pkt + r->len, 0, PACKET - r->len);
	if (fwrite(r->pkt, PACKET, 1, r->f) != 1)
		bench_fail("import: writing the ring");
	r->count++;
	r->len = 30;
}

static int write_ring(const char *path)
{
	struct ring *r = calloc(1, sizeof(*r));
	if (!r || !(r->f = fopen(path, "wb")))
		return -1;
	r->len = 30;
	uint64_t ts = 1000000000000ull;
	for (uint64_t i = 0; i < EVENTS; i++) {
		const uint64_t p = i / 8 + 1;
		static const uint8_t ops[8] = { 0, 5, 1, 6, 4, 2, 7, 10 };
		const uint8_t op = ops[i % 8];
		if (r->len + 64 >= PACKET)
			flush(r);
		put64(r, ts += 137);
		put(r, &op, 1);
		put64(r, p - (op == 0 || op == 1));
		switch (op) {
		case 0: put64(r, p); put(r, "\2", 1); break;
		case 5: put(r, "Gntshr.grant_access", 20); break;
		case 6: put64(r, 1); put(r, "gntref", 7); break;
		case 7: break;
		default: put64(r, p); break;
		}
	}
	flush(r);
	int rc = fclose(r->f);
	free(r);
	return rc;
}

void bench_import(struct bench_results *res, const char *dir)
{
	char ring[512];
	double t[RUNS];
	snprintf(ring, sizeof(ring), "%s/import-mirage.ctf", dir);
	if (write_ring(ring) != 0) {
		bench_note(res, "import: cannot write %s", ring);
		return;
	}
	printf("import: mirage ring of %u events\n", EVENTS);
	for (int i = 0; i < RUNS; i++) {
		bench_sh("rm -f '%s/import.db'*", dir);
		const double t0 = bench_now();
		if (bench_sh("'%s/ringside' import 'mirage:%s' -o '%s/import.db'"
			     " 2>/dev/null", BENCH_BIN_DIR, ring, dir) != 0)
			bench_fail("import: ringside import failed");
		t[i] = bench_now() - t0;
	}
	res->import_eps = EVENTS / bench_median(t, RUNS);
	bench_sh("rm -f '%s/import.db'* '%s'", dir, ring);
}
