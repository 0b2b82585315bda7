/*
 * bench_decode.c - how fast the one decoder turns a ring into events.
 *
 * A writer fills a 64 MiB ring with a realistic mix (promise and scheduler
 * records, some strings); the reader then decodes it in one poll with a
 * callback that only counts, which is the decoder's cost alone.
 */
#include "bench.h"

#include <stdlib.h>

#include "guest_trace.h"
#include "rs_decode.h"

#define RING (64u << 20)

static int count_cb(void *opaque, const struct rs_event *ev)
{
	uint64_t *n = opaque;
	*n += 1 + (ev->a & 0);
	return 0;
}

static void fill(struct rs_header *h, uint64_t *written)
{
	uint64_t i = 0;
	/* Stop before the writer laps: every record stays decodable. */
	while (h->cpu[0].reserve + 2 * RS_MAX_RECORD < RING) {
		switch (i & 7) {
		case 0: gt_emit(h, 0, RS_EV_PROMISE_CREATE, 3, 3, i, i - 1, 2); break;
		case 1: gt_emit(h, 0, RS_EV_PROMISE_READ, 3, 2, i, 4, 0); break;
		case 2: gt_emit(h, 0, RS_EV_PROMISE_RESOLVE, 3, 2, i, 3, 0); break;
		case 3: gt_emit(h, 0, RS_EV_THREAD_SWITCH, 3, 2, 3, 4, 0); break;
		case 4: gt_emit_str(h, 0, RS_EV_PROMISE_LABEL, 4, 1, i, 0, "req 12"); break;
		case 5: gt_emit(h, 0, RS_EV_PAGE_ALLOC, 4, 2, i << 12, 0, 0); break;
		case 6: gt_emit(h, 0, RS_EV_IRQ_ENTER, 0, 1, 32, 0, 0); break;
		default: gt_emit(h, 0, RS_EV_IRQ_EXIT, 0, 1, 32, 0, 0); break;
		}
		i++;
	}
	*written = i;
}

void bench_decode(struct bench_results *res)
{
	const size_t size = RS_HEADER_SIZE + RING;
	struct rs_header *h = aligned_alloc(RS_PAGE_SIZE, size);
	struct gt_config cfg = {
		.region_size = size, .ncpus = 1, .tsc_hz = 1000000000,
		.boot_tsc = 1, .nonce = 1,
	};
	struct rs_layout l;
	char err[160];
	double rates[5];
	uint64_t written = 0;

	if (!h || gt_region_init(h, &cfg) != 0)
		abort();
	fill(h, &written);
	if (rs_layout_read(h, size, RS_GPA_ANY, &l, err, sizeof(err)) != 0)
		abort();
	for (int r = 0; r < 5; r++) {
		struct rs_reader rd;
		uint64_t n = 0;
		if (rs_reader_init(&rd, h, size, &l) != 0)
			abort();
		double t0 = bench_now();
		rs_reader_poll(&rd, count_cb, &n);
		double t1 = bench_now();
		rs_reader_free(&rd);
		if (n != written)
			bench_fail("decode: %llu of %llu events decoded",
				   (unsigned long long)n,
				   (unsigned long long)written);
		rates[r] = (double)n / (t1 - t0);
	}
	res->decode_eps = bench_median(rates, 5);
	res->decode_events = written;
	free(h);
}
