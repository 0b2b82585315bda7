/*
 * test_faults_bounds.c - a ring header cannot make `ringside collect`
 * allocate without bound or run forever (issue #8, resource bounds).
 *
 * Each case runs the real binary in a child under an address-space limit
 * (ulimit -v) and a time limit, and asserts it ends by itself with a clean
 * status, never killed by a signal or by the timeout:
 *   - headers that claim a huge region, a huge CPU count, huge rings or
 *     chunks: refused with one line, fast, whatever the limit;
 *   - a file far larger than the limit (sparse) holding a valid header
 *     that claims a huge ring: a clean "cannot map / no memory" error;
 *   - the largest ring a mapping can hold, one full lap of 8-byte PAD
 *     records (the longest padding chain there can be), then lying about
 *     how many records are below it: collected within the limit (memory
 *     stays near one ring copy), the lie counted as lost and reported.
 * Under ASan the address-space limit cannot be used (the shadow memory
 * alone exceeds it), so only the time limit applies there.
 */
#include "testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "guest_trace.h"
#include "ringside_ring.h"
#include "test_collector.h"

#if defined(__SANITIZE_ADDRESS__)
#define AS_LIMIT_KB 0
#else
/* Room for the binary, SQLite and one ring copy of the 64 MiB case, not
 * for anything proportional to what a header claims. */
#define AS_LIMIT_KB (320 * 1024)
#endif
/* "Never runs forever", not "fast": the slowest case (the padding
 * chain) takes 1.6 s here with two busy loops and 4.1 s with six, more
 * under ASan; 120 s leaves a slow host ~5x over the worst of those. */
#define TIME_LIMIT_S 120

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `ringside collect file:RING -o DB EXTRA` under the limits; stderr in
 * *out. Fails the test if it was killed or timed out. */
static int bounded_collect(const char *ring, const char *db, const char *extra,
			   char **out)
{
	char limit[64] = "";

	if (AS_LIMIT_KB)
		snprintf(limit, sizeof(limit), "ulimit -v %u && ", AS_LIMIT_KB);
	double t0 = mono();
	int rc = rs_run(out, TIME_LIMIT_S,
			"%sexec '%s' collect 'file:%s' -o '%s' %s 2>&1 >/dev/null",
			limit, rs_bin("ringside"), ring, db, extra ? extra : "");
	double secs = mono() - t0;
	if (rc < 0 || rc >= 128)
		fail_msg("collect %s: %s after %.1f s: %s", ring,
			 rc < 0 ? "timed out" : "killed by a signal", secs,
			 *out ? *out : "");
	return rc;
}

/* A valid 2-CPU ring file with some events, then one 64-bit field set. */
static void lie_u64(size_t off, uint64_t v, const char *needle)
{
	char *dir = rs_tmpdir();
	char *ring = make_ring(dir, "ring", RING_SIZE, 2, 1000, RS_STATE_EXITED);
	char *db = path_in(dir, "t.db"), *out = NULL;
	struct rs_header *h = map_file(ring, RING_SIZE);

	memcpy((uint8_t *)h + off, &v, sizeof(v));
	munmap(h, RING_SIZE);
	int rc = bounded_collect(ring, db, "--follow --wait-secs 0", &out);
	if (rc != 1 || !strstr(out, needle))
		fail_msg("lie at offset %zu = 0x%llx: exit %d, want 1 and \"%s\":"
			 " %s", off, (unsigned long long)v, rc, needle, out);
	assert_one_line(out);
	assert_false(exists(db));
	free(out);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

#define OFF(field) offsetof(struct rs_header, field)

static void test_bounds_header_claims(void **state)
{
	lie_u64(OFF(region_size), 1ull << 50, "region");
	lie_u64(OFF(region_size), UINT64_MAX, "region");
	/* ncpus and mode share a word: 0xffffffff CPUs. */
	lie_u64(OFF(ncpus), 0xffffffffull, "CPUs");
	lie_u64(OFF(cpu[1].data_size), 1ull << 62, "cpu 1");
	lie_u64(OFF(cpu[0].data_offset), UINT64_MAX - 4095, "cpu 0");
	/* chunk_size and nesting share a word. */
	lie_u64(OFF(cpu[0].chunk_size), 0x80000000ull, "chunk");
}

/*
 * A file of `file_len` bytes (sparse beyond what is written) with a valid
 * 1-CPU header whose ring is `ring` bytes of PAD records, `laps` laps
 * published and `claimed` records said to be below head.
 */
static char *pad_ring(const char *dir, size_t file_len, uint64_t ring,
		      uint64_t laps, uint64_t claimed, int fill)
{
	char *path = path_in(dir, "ring");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	struct gt_config cfg = {
		.region_size = RS_HEADER_SIZE + ring, .ncpus = 1,
		.chunk_size = 32768, .nonce = 0xbadbadull,
		.tsc_hz = 1000000000ull, .boot_tsc = 1,
	};

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)file_len), 0);
	/* Only the header and (when filled) the ring are touched, so a
	 * huge file stays sparse. */
	size_t maplen = RS_HEADER_SIZE + (fill ? ring : 4 * RS_PAGE_SIZE);
	struct rs_header *h = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
	close(fd);
	assert_true(h != MAP_FAILED);
	/* gt_region_init zeroes the rings it lays out, so lay out a small
	 * region and then claim the big ring: the claim is the lie. */
	cfg.region_size = RS_HEADER_SIZE + 4 * RS_PAGE_SIZE;
	cfg.chunk_size = 0;
	assert_int_equal(gt_region_init(h, &cfg), 0);
	h->region_size = RS_HEADER_SIZE + ring;
	h->cpu[0].data_size = ring;
	h->cpu[0].chunk_size = 32768;
	if (fill) {
		uint64_t *w = (uint64_t *)((uint8_t *)h + RS_HEADER_SIZE);
		for (uint64_t i = 0; i < ring / 8; i++)
			w[i] = (uint64_t)RS_EV_PAD | (8ull << 16);
	}
	const uint64_t head = laps * ring;
	h->cpu[0].reserve = head;
	h->cpu[0].written = claimed;
	h->cpu[0].head_pair = RS_PAIR_PACK(head, claimed);
	h->cpu[0].head = head;
	h->cpu[0].head_written = claimed;
	gt_set_state(h, RS_STATE_EXITED);
	munmap(h, maplen);
	return path;
}

/* A 16 GiB sparse file whose header claims an 8 GiB ring, fully
 * published: the collector may not map or copy it under the limit, and
 * must say so in one line rather than be killed. */
static void test_bounds_huge_mapping(void **state)
{
	if (!AS_LIMIT_KB)
		skip();  /* without the limit it would really copy 8 GiB */
	char *dir = rs_tmpdir();
	char *ring = pad_ring(dir, 16ull << 30, 8ull << 30, 1, 0, 0);
	char *db = path_in(dir, "t.db"), *out = NULL;

	int rc = bounded_collect(ring, db, NULL, &out);
	if (rc != 1 || !strstr(out, "memory"))
		fail_msg("16 GiB file, 8 GiB ring: exit %d, want 1 and an out of"
			 " memory line: %s", rc, out);
	assert_one_line(out);
	free(out);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* One full lap of a 64 MiB ring as 8-byte PADs (8 M of them), published
 * three laps in: the longest padding chain a ring can hold. */
static void test_bounds_padding_chain(void **state)
{
	const uint64_t ring_bytes = 64ull << 20;
	char *dir = rs_tmpdir();
	char *db = path_in(dir, "t.db"), *out = NULL;

	/* Only padding, and the header says so (no records below head). */
	char *ring = pad_ring(dir, RS_HEADER_SIZE + ring_bytes, ring_bytes, 3,
			      0, 1);
	double t0 = mono();
	int rc = bounded_collect(ring, db, "--follow", &out);
	if (rc != 0)
		fail_msg("a ring of padding: exit %d: %s", rc, out);
	assert_true(mono() - t0 < 10);
	free(out);
	char *js = info_json(db);
	assert_int_equal(json_int(js, "events"), 0);
	assert_int_equal(json_int(js, "lost_events"), 0);
	free(js);
	unlink(db);
	free(ring);

	/* The same chain, one lap published, but the header claims 12345
	 * records below head: none decodes, and none can have been
	 * overwritten, so all are counted lost and the lie is reported. */
	ring = pad_ring(dir, RS_HEADER_SIZE + ring_bytes, ring_bytes, 1, 12345,
			1);
	rc = bounded_collect(ring, db, NULL, &out);
	if (rc != 0 || !strstr(out, "did not decode"))
		fail_msg("padding with a lying record count: exit %d: %s", rc,
			 out);
	free(out);
	js = info_json(db);
	assert_int_equal(json_int(js, "events"), 0);
	assert_int_equal(json_int(js, "lost_events"), 12345);
	free(js);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(faults_bounds,
	cmocka_unit_test(test_bounds_header_claims),
	cmocka_unit_test(test_bounds_huge_mapping),
	cmocka_unit_test(test_bounds_padding_chain))
