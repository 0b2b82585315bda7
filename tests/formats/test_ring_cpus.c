/*
 * test_ring_cpus.c - what a region of several CPUs says about each CPU
 * besides its records (RING.md, "Several CPUs"): its own heartbeat, and
 * its registers when another CPU's panic stopped it, in a page of their
 * own that the decoder bound-checks like every other offset a guest
 * writes.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "guest_trace.h"
#include "rs_decode.h"

#define REGION (RS_HEADER_SIZE + RS_PAGE_SIZE + 4 * 16384)

static struct rs_header *region(uint32_t ncpus, uint32_t cpu_regs)
{
	struct gt_config cfg = {
		.region_gpa = 0x100000, .region_size = REGION, .ncpus = ncpus,
		.nonce = 77, .tsc_hz = 2000000000ull, .boot_tsc = 1000,
		.cpu_regs = cpu_regs,
	};
	struct rs_header *h = aligned_alloc(RS_PAGE_SIZE, REGION);
	assert_non_null(h);
	assert_int_equal(gt_region_init(h, &cfg), 0);
	return h;
}

static void layout(struct rs_header *h, struct rs_layout *l)
{
	char err[200];
	if (rs_layout_read(h, REGION, RS_GPA_ANY, l, err, sizeof err) != 0)
		fail_msg("%s", err);
}

static void test_cpu_heartbeats_and_registers(void **state)
{
	struct rs_header *h = region(4, 1);
	struct rs_layout l;
	layout(h, &l);
	/* the page follows the header, the rings follow it */
	assert_int_equal(l.cpu_regs_offset, RS_HEADER_SIZE);
	for (uint32_t i = 0; i < 4; i++)
		assert_true(l.cpu[i].data_offset >= RS_HEADER_SIZE + RS_PAGE_SIZE);

	gt_heartbeat_cpu(h, 0, 41, 5000);
	gt_heartbeat_cpu(h, 3, 7, 4000);
	gt_heartbeat_cpu(h, 4, 99, 9999);       /* no such CPU: ignored */
	uint64_t regs[RS_REG_COUNT];
	for (int i = 0; i < RS_REG_COUNT; i++)
		regs[i] = 0x1000u + (uint64_t)i;
	assert_int_equal(gt_cpu_regs_set(h, 2, RS_CPU_REGS_STOPPED, 6000, regs), 0);
	assert_int_equal(gt_cpu_regs_set(h, 1, RS_CPU_REGS_NO_ANSWER, 6001, NULL), 0);
	assert_int_equal(gt_cpu_regs_set(h, 4, RS_CPU_REGS_STOPPED, 1, regs), -1);

	struct rs_status s;
	rs_status_read(h, &l, &s);
	assert_int_equal(s.hb_ticks[0], 41);
	assert_int_equal(s.hb_tsc[0], 5000);
	assert_int_equal(s.hb_ticks[1], 0);
	assert_int_equal(s.hb_ticks[3], 7);
	assert_int_equal(s.cpu_regs[0].state, RS_CPU_REGS_NONE);
	assert_int_equal(s.cpu_regs[2].state, RS_CPU_REGS_STOPPED);
	assert_int_equal(s.cpu_regs[2].cpu, 2);
	assert_int_equal(s.cpu_regs[2].tsc, 6000);
	assert_memory_equal(s.cpu_regs[2].regs, regs, sizeof regs);
	assert_int_equal(s.cpu_regs[1].state, RS_CPU_REGS_NO_ANSWER);
	assert_int_equal(s.cpu_regs[1].regs[RS_REG_RIP], 0);
	free(h);
}

/* One CPU, or a writer that asks for none, keeps the old layout. */
static void test_no_register_page(void **state)
{
	for (uint32_t n = 1; n <= 2; n++) {
		struct rs_header *h = region(n, n == 1);
		struct rs_layout l;
		layout(h, &l);
		assert_int_equal(l.cpu_regs_offset, 0);
		assert_int_equal(l.cpu[0].data_offset, RS_HEADER_SIZE);
		uint64_t regs[RS_REG_COUNT] = { 0 };
		assert_int_equal(gt_cpu_regs_set(h, 0, RS_CPU_REGS_STOPPED, 1,
						 regs), -1);
		struct rs_status s;
		rs_status_read(h, &l, &s);
		assert_int_equal(s.cpu_regs[0].state, RS_CPU_REGS_NONE);
		free(h);
	}
}

/* Offsets a guest may lie with: each refused in one line. */
static void test_register_page_lies_rejected(void **state)
{
	struct rs_header *h = region(4, 1);
	struct rs_layout l;
	layout(h, &l);
	const uint64_t lies[] = {
		RS_HEADER_SIZE + 8,             /* not page aligned */
		RS_PAGE_SIZE / 2,               /* inside the header */
		l.cpu[1].data_offset,           /* on a ring */
		REGION,                         /* past the region */
		UINT64_MAX & ~(uint64_t)(RS_PAGE_SIZE - 1), /* wraps */
	};
	for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
		h->cpu_regs_offset = lies[i];
		char err[200] = "";
		if (rs_layout_read(h, REGION, RS_GPA_ANY, &l, err, sizeof err) == 0)
			fail_msg("register page at 0x%llx accepted",
				 (unsigned long long)lies[i]);
		assert_non_null(strstr(err, "register page"));
	}
	free(h);
}

RS_TEST_SUITE(ring_cpus,
	      cmocka_unit_test(test_cpu_heartbeats_and_registers),
	      cmocka_unit_test(test_no_register_page),
	      cmocka_unit_test(test_register_page_lies_rejected))
