/*
 * test_acpi_madt.c - how the bare-metal kernel counts its CPUs
 * (kernel/platform/pvh/acpi.c), run here on hand-made ACPI tables in a
 * simulated physical memory: RSDP (given, or found in the EBDA or the
 * BIOS area), RSDT or XSDT, MADT. Good tables give their enabled CPUs,
 * the boot CPU first; every hostile or broken one (truncated, bad
 * checksum, entries running past the end, a zero-length entry, pointers
 * outside memory, no boot CPU) gives one CPU and a reason, never a read
 * outside the memory or a hang.
 */
#include "testlib.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel/platform/pvh/acpi.h"

#define MEM_SIZE (2u << 20)
#define RSDP_AT 0x9000u
#define XSDT_AT 0x100000u
#define RSDT_AT 0x101000u
#define MADT_AT 0x102000u
#define OTHER_AT 0x104000u

static uint8_t *mem;
static unsigned maps_outside;

/* Ranges outside the simulated memory are refused, and counted: good
 * tables never ask for one. */
static const void *map(uint64_t pa, uint64_t len, void *ctx)
{
	(void)ctx;
	if (pa >= MEM_SIZE || len > MEM_SIZE - pa) {
		maps_outside++;
		return NULL;
	}
	return mem + pa;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void fix_sum(uint8_t *p, size_t len, size_t at)
{
	uint8_t s = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[at] = (uint8_t)-s;
}

/* A table header of `sig` and `len` at pa, checksummed over len. */
static void sdt(uint32_t pa, const char *sig, uint32_t len)
{
	memcpy(mem + pa, sig, 4);
	put32(mem + pa + 4, len);
	mem[pa + 8] = 1;
	memcpy(mem + pa + 10, "RSTEST", 6);
	fix_sum(mem + pa, len, 9);
}

static void rsdp(uint32_t pa, int rev, uint32_t rsdt, uint64_t xsdt)
{
	uint8_t *p = mem + pa;

	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "RSTEST", 6);
	p[15] = (uint8_t)rev;
	put32(p + 16, rsdt);
	if (rev >= 2) {
		put32(p + 20, 36);
		put64(p + 24, xsdt);
	}
	/* The extended checksum covers the first one. */
	fix_sum(p, 20, 8);
	if (rev >= 2)
		fix_sum(p, 36, 32);
}

/* The MADT being built: entries appended at madt_len. */
static uint32_t madt_len;

static void madt_begin(void)
{
	memset(mem + MADT_AT, 0, 0x2000);
	madt_len = 44;
	put32(mem + MADT_AT + 36, 0xfee00000u);
}

static void lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t *e = mem + MADT_AT + madt_len;

	e[0] = 0;
	e[1] = 8;
	e[2] = uid;
	e[3] = id;
	put32(e + 4, flags);
	madt_len += 8;
}

static void x2apic(uint32_t id, uint32_t flags, uint32_t uid)
{
	uint8_t *e = mem + MADT_AT + madt_len;

	e[0] = 9;
	e[1] = 16;
	put32(e + 4, id);
	put32(e + 8, flags);
	put32(e + 12, uid);
	madt_len += 16;
}

/* An entry of another type (an I/O APIC: 12 bytes) to step over. */
static void ioapic(void)
{
	uint8_t *e = mem + MADT_AT + madt_len;

	e[0] = 1;
	e[1] = 12;
	madt_len += 12;
}

static void madt_end(void)
{
	sdt(MADT_AT, "APIC", madt_len);
}

/* RSDP (rev 2) -> XSDT -> [another table, MADT]; RSDT as well. */
static void roots(void)
{
	sdt(OTHER_AT, "FACP", 64);
	put64(mem + XSDT_AT + 36, OTHER_AT);
	put64(mem + XSDT_AT + 44, MADT_AT);
	sdt(XSDT_AT, "XSDT", 52);
	put32(mem + RSDT_AT + 36, OTHER_AT);
	put32(mem + RSDT_AT + 40, MADT_AT);
	sdt(RSDT_AT, "RSDT", 44);
	rsdp(RSDP_AT, 2, RSDT_AT, XSDT_AT);
}

static int setup(void **state)
{
	mem = calloc(1, MEM_SIZE);
	maps_outside = 0;
	return mem ? 0 : -1;
}

static int teardown(void **state)
{
	free(mem);
	return 0;
}

/* Four enabled CPUs, an I/O APIC between them, a disabled one. */
static void four_cpus(void)
{
	madt_begin();
	lapic(0, 0, 1);
	lapic(1, 1, 1);
	ioapic();
	lapic(2, 2, 1);
	lapic(3, 3, 1);
	lapic(4, 4, 0);
	madt_end();
	roots();
}

static void expect_ids(const struct acpi_cpus *c, unsigned n,
		       const uint32_t *ids)
{
	assert_int_equal(c->n, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(c->apic_id[i], ids[i]);
}

static void test_good_tables(void **state)
{
	struct acpi_cpus c;
	static const uint32_t ids[] = { 0, 1, 2, 3 };

	four_cpus();
	assert_null(acpi_find_cpus(RSDP_AT, map, NULL, 0, &c));
	expect_ids(&c, 4, ids);
	assert_int_equal(c.enabled, 4);
	assert_int_equal(c.lapic_addr, 0xfee00000u);
	assert_int_equal(c.acpi_uid[3], 3);

	/* Through the RSDT of an ACPI 1.0 RSDP: the same. */
	rsdp(RSDP_AT, 0, RSDT_AT, 0);
	assert_null(acpi_find_cpus(RSDP_AT, map, NULL, 0, &c));
	expect_ids(&c, 4, ids);
	assert_int_equal(maps_outside, 0);
}

/* No RSDP given: the EBDA's first KiB, then 0xE0000-0xFFFFF. */
static void test_rsdp_search(void **state)
{
	struct acpi_cpus c;

	four_cpus();
	memset(mem + RSDP_AT, 0, 36);
	rsdp(0xf5a30, 2, RSDT_AT, XSDT_AT);
	assert_null(acpi_find_cpus(0, map, NULL, 0, &c));
	assert_int_equal(c.n, 4);

	memset(mem + 0xf5a30, 0, 36);
	mem[0x40e] = 0xc0;                      /* EBDA segment 0x9fc0 */
	mem[0x40f] = 0x9f;
	rsdp(0x9fc40, 2, RSDT_AT, XSDT_AT);
	assert_null(acpi_find_cpus(0, map, NULL, 0, &c));
	assert_int_equal(c.n, 4);

	/* A signature off its 16-byte boundary is not an RSDP. */
	memset(mem + 0x9fc40, 0, 36);
	rsdp(0xe0008, 2, RSDT_AT, XSDT_AT);
	assert_non_null(acpi_find_cpus(0, map, NULL, 0, &c));
	assert_int_equal(c.n, 1);
	assert_int_equal(c.apic_id[0], 0);
}

/* The boot CPU first whatever the MADT's order; ids as listed. */
static void test_boot_cpu_first(void **state)
{
	struct acpi_cpus c;
	static const uint32_t ids[] = { 6, 2, 0, 4 };

	madt_begin();
	lapic(0, 2, 1);
	lapic(1, 0, 1);
	lapic(2, 6, 1);
	lapic(3, 4, 1);
	madt_end();
	roots();
	assert_null(acpi_find_cpus(RSDP_AT, map, NULL, 6, &c));
	expect_ids(&c, 4, ids);
	assert_int_equal(c.acpi_uid[0], 2);
	assert_int_equal(c.acpi_uid[1], 0);

	/* A boot CPU the MADT does not list (or lists disabled): refused. */
	assert_non_null(acpi_find_cpus(RSDP_AT, map, NULL, 8, &c));
	assert_int_equal(c.n, 1);
	assert_int_equal(c.apic_id[0], 8);
}

/* Disabled entries, the broadcast id and repeats are no CPUs. */
static void test_disabled_and_duplicates(void **state)
{
	struct acpi_cpus c;
	static const uint32_t ids[] = { 0, 3, 300 };

	madt_begin();
	lapic(0, 0, 1);
	lapic(1, 1, 0);                 /* disabled */
	lapic(2, 2, 2);                 /* online capable, not enabled */
	lapic(3, 3, 1);
	lapic(4, 0xff, 1);              /* broadcast: never a CPU */
	x2apic(3, 1, 3);                /* CPU 3 again, as x2APIC */
	x2apic(300, 1, 5);              /* an x2APIC-only id */
	x2apic(301, 0, 6);              /* disabled */
	x2apic(0, 1, 0);                /* the boot CPU again */
	madt_end();
	roots();
	assert_null(acpi_find_cpus(RSDP_AT, map, NULL, 0, &c));
	expect_ids(&c, 3, ids);
	assert_int_equal(c.enabled, 3);
	assert_int_equal(c.acpi_uid[2], 5);
}

/* Over ACPI_MAX_CPUS: the first 16 kept (the boot CPU among them even if
 * listed last), all counted. */
static void test_more_than_16(void **state)
{
	struct acpi_cpus c;

	madt_begin();
	for (unsigned i = 1; i <= 20; i++)
		lapic((uint8_t)i, (uint8_t)i, 1);
	lapic(0, 0, 1);
	madt_end();
	roots();
	assert_null(acpi_find_cpus(RSDP_AT, map, NULL, 0, &c));
	assert_int_equal(c.n, ACPI_MAX_CPUS);
	assert_int_equal(c.enabled, 21);
	assert_int_equal(c.apic_id[0], 0);
	for (unsigned i = 1; i < ACPI_MAX_CPUS; i++)
		assert_int_equal(c.apic_id[i], i);
}

/* Runs the search on the tables as they are now: one CPU and a reason. */
static void expect_refused(const char *what)
{
	struct acpi_cpus c;

	const char *why = acpi_find_cpus(RSDP_AT, map, NULL, 0, &c);
	if (!why)
		fail_msg("%s: accepted", what);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.apic_id[0], 0);
}

static void test_bad_checksums(void **state)
{
	four_cpus();
	mem[MADT_AT + 50]++;
	expect_refused("MADT checksum");

	four_cpus();
	mem[XSDT_AT + 20]++;
	expect_refused("XSDT checksum");

	four_cpus();
	mem[RSDP_AT + 12]++;
	expect_refused("RSDP checksum");

	/* The extended checksum (ACPI 2.0) covers bytes the first one
	 * does not: a reserved byte changed fails it alone. */
	four_cpus();
	mem[RSDP_AT + 33]++;
	expect_refused("RSDP extended checksum");
}

static void test_truncated_and_hostile(void **state)
{
	/* The MADT's length reaches past the end of memory. */
	four_cpus();
	put32(mem + MADT_AT + 4, MEM_SIZE - MADT_AT + 16);
	expect_refused("MADT longer than memory");
	assert_true(maps_outside > 0);

	/* Shorter than its fixed part. */
	four_cpus();
	sdt(MADT_AT, "APIC", 40);
	expect_refused("MADT of 40 bytes");

	/* Cut in the middle of an entry (length says so, checksum fine). */
	four_cpus();
	sdt(MADT_AT, "APIC", madt_len - 3);
	expect_refused("MADT cut in an entry");

	/* An entry of length 0 would loop forever. */
	madt_begin();
	lapic(0, 0, 1);
	mem[MADT_AT + madt_len] = 1;
	mem[MADT_AT + madt_len + 1] = 0;
	madt_len += 12;
	madt_end();
	roots();
	expect_refused("zero-length entry");

	/* A local APIC entry claiming 200 bytes, past the end. */
	madt_begin();
	lapic(0, 0, 1);
	lapic(1, 1, 1);
	mem[MADT_AT + 44 + 9] = 200;
	madt_end();
	roots();
	expect_refused("entry past the end");

	/* A local APIC entry of the wrong size for its type. */
	madt_begin();
	lapic(0, 0, 1);
	mem[MADT_AT + madt_len] = 0;
	mem[MADT_AT + madt_len + 1] = 6;
	madt_len += 6;
	madt_end();
	roots();
	expect_refused("short local APIC entry");

	/* The XSDT points outside memory; the root's length is absurd. */
	four_cpus();
	put64(mem + XSDT_AT + 44, 0x7fffffff000ull);
	sdt(XSDT_AT, "XSDT", 52);
	expect_refused("MADT outside memory");
	four_cpus();
	put32(mem + XSDT_AT + 4, 0xffffffffu);
	expect_refused("XSDT of 4 GiB");

	/* No MADT at all. */
	four_cpus();
	sdt(XSDT_AT, "XSDT", 44);
	expect_refused("no MADT");
}

RS_TEST_SUITE(acpi_madt,
	cmocka_unit_test_setup_teardown(test_good_tables, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rsdp_search, setup, teardown),
	cmocka_unit_test_setup_teardown(test_boot_cpu_first, setup, teardown),
	cmocka_unit_test_setup_teardown(test_disabled_and_duplicates, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_more_than_16, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_checksums, setup, teardown),
	cmocka_unit_test_setup_teardown(test_truncated_and_hostile, setup,
					teardown))
