/*
 * test_dumpcore.c - `ringside collect core:PATH` on `xl dump-core` files.
 *
 * A synthetic dump is built here the way libxenguest writes one for a
 * PVH guest: ELF64 core, no program headers, sections .shstrtab,
 * .note.Xen (header note, magic 0xF00FEBEE), .xen_prstatus (one 64-bit
 * vcpu_guest_context), .xen_pages and .xen_pfn. The dumped gfns have
 * holes, so page index and gfn differ; .xen_pfn ends in all-ones padding;
 * a decoy copy of the ring header sits at the wrong address. The PV
 * variant is the same with the header magic 0xF00FEBED and .xen_p2m,
 * {pfn, gmfn} pairs, in place of .xen_pfn. The ring is written by the
 * real guest-trace writer. That dump must collect exactly
 * the events written; then each bad case breaks one field and must get
 * exit 1, one line naming the problem, and no database. A real dump from
 * the tests/xen harness is read too when one is present.
 */
#include "testlib.h"

#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_trace.h"
#include "ringside_ring.h"
#include "test_collector.h"

#define PAGE        4096u
#define RING_GFN    0x150u
#define RING_PAGES  64u                    /* 256 KiB region */
#define DECOY_GFN   0x120u                 /* a stale header copy */
#define NPAD        8u                     /* all-ones entries at the end */
#define CTX_SIZE    5168u                  /* vcpu_guest_context_any_t */
#define FAKE_RIP    0xfeedfacecafeull

/* Dumped gfns, ascending, with holes between the runs. */
static const struct { uint64_t first, n; } runs[] = {
	{ 0x10, 16 }, { 0x100, 0x50 }, { RING_GFN, RING_PAGES }, { 0x190, 16 },
};

/* File layout (offsets) and section indexes. */
enum { S_NULL, S_STRTAB, S_NOTE, S_PRSTATUS, S_PAGES, S_PFN, NSECT };
#define SHOFF       sizeof(Elf64_Ehdr)
#define STRTAB_OFF  (SHOFF + NSECT * sizeof(Elf64_Shdr))
#define NOTE_OFF    1024u
#define NOTE_SIZE   (sizeof(Elf64_Nhdr) + 4 + 32)
#define PRST_OFF    2048u
#define PAGES_OFF   (2 * PAGE)
#define SH(i)       (SHOFF + (i) * sizeof(Elf64_Shdr))

static const char strtab[] =
	"\0.shstrtab\0.note.Xen\0.xen_prstatus\0.xen_pages\0.xen_pfn";

struct dump {
	uint8_t *img;
	size_t len;
	uint64_t npages, ring_index;
	bool pv;                        /* .xen_p2m, PV magic */
	uint64_t stride;                /* bytes per index entry: 8 or 16 */
};

#define GMFN_BASE   0x80000ull      /* a PV page's machine frame: pfn + this */

static uint64_t count_pages(void)
{
	uint64_t n = NPAD;

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		n += runs[i].n;
	return n;
}

static uint64_t pfn_off(const struct dump *d)
{
	return PAGES_OFF + d->npages * PAGE;
}

/* Index entry k's frame (a .xen_p2m entry's pfn comes first). */
static uint64_t *pfn_at(struct dump *d, uint64_t k)
{
	return (uint64_t *)(d->img + pfn_off(d) + k * d->stride);
}

static void make_dump_kind(struct dump *d, uint64_t nevents, bool pv)
{
	void *ring = NULL;
	Elf64_Ehdr eh = { 0 };
	Elf64_Shdr sh[NSECT] = { { 0 } };

	d->pv = pv;
	d->stride = pv ? 16 : 8;
	d->npages = count_pages();
	d->len = pfn_off(d) + d->npages * d->stride;
	d->img = calloc(1, d->len);
	assert_non_null(d->img);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_shoff = SHOFF;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = NSECT;
	eh.e_shstrndx = S_STRTAB;
	memcpy(d->img, &eh, sizeof(eh));

	sh[S_STRTAB] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_STRTAB,
		.sh_offset = STRTAB_OFF, .sh_size = sizeof(strtab) };
	sh[S_NOTE] = (Elf64_Shdr){ .sh_name = 11, .sh_type = SHT_NOTE,
		.sh_offset = NOTE_OFF, .sh_size = NOTE_SIZE };
	sh[S_PRSTATUS] = (Elf64_Shdr){ .sh_name = 21, .sh_type = SHT_PROGBITS,
		.sh_offset = PRST_OFF, .sh_size = CTX_SIZE, .sh_entsize = CTX_SIZE };
	sh[S_PAGES] = (Elf64_Shdr){ .sh_name = 35, .sh_type = SHT_PROGBITS,
		.sh_offset = PAGES_OFF, .sh_size = d->npages * PAGE,
		.sh_entsize = PAGE };
	sh[S_PFN] = (Elf64_Shdr){ .sh_name = 46, .sh_type = SHT_PROGBITS,
		.sh_offset = pfn_off(d), .sh_size = d->npages * d->stride,
		.sh_entsize = d->stride };
	memcpy(d->img + SHOFF, sh, sizeof(sh));
	memcpy(d->img + STRTAB_OFF, strtab, sizeof(strtab));
	if (pv)         /* the same length: ".xen_pfn" becomes ".xen_p2m" */
		memcpy(d->img + STRTAB_OFF + 46, ".xen_p2m", 8);

	/* The header note: namesz 4 "Xen", then magic, vcpus, pages, size. */
	Elf64_Nhdr nh = { .n_namesz = 4, .n_descsz = 32, .n_type = 0x2000001 };
	uint64_t hdr[4] = { pv ? 0xF00FEBEDull : 0xF00FEBEEull, 1, d->npages,
			    PAGE };
	memcpy(d->img + NOTE_OFF, &nh, sizeof(nh));
	memcpy(d->img + NOTE_OFF + sizeof(nh), "Xen", 4);
	memcpy(d->img + NOTE_OFF + sizeof(nh) + 4, hdr, sizeof(hdr));
	uint64_t rip = FAKE_RIP;  /* user_regs at 520, rip at +128 */
	memcpy(d->img + PRST_OFF + 520 + 128, &rip, 8);

	/* The ring, as the guest laid it out at gfn RING_GFN. */
	assert_int_equal(posix_memalign(&ring, PAGE, RING_PAGES * PAGE), 0);
	/* zeroed, as a booted guest's pages are: left as malloc gave them,
	 * a ring header an earlier test freed could sit at a page start and
	 * be a third magic (this test failed so, now and then, with "no
	 * valid region" for the hole it makes) */
	memset(ring, 0, RING_PAGES * PAGE);
	struct gt_config cfg = { .region_gpa = (uint64_t)RING_GFN * PAGE,
				 .region_size = RING_PAGES * PAGE, .ncpus = 1,
				 .nonce = 0x5eed + nevents, .tsc_hz = 1000000000ull,
				 .boot_tsc = gt_rdtsc() };
	assert_int_equal(gt_region_init(ring, &cfg), 0);
	gt_set_state(ring, RS_STATE_RUNNING);
	emit_range(ring, 1, 0, nevents, NULL);
	gt_set_state(ring, RS_STATE_EXITED);

	uint64_t k = 0;
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++)
		for (uint64_t i = 0; i < runs[r].n; i++, k++) {
			uint64_t gfn = runs[r].first + i;
			uint8_t *page = d->img + PAGES_OFF + k * PAGE;
			*pfn_at(d, k) = gfn;
			if (pv)
				pfn_at(d, k)[1] = gfn + GMFN_BASE;
			if (gfn == RING_GFN)
				d->ring_index = k;
			if (gfn >= RING_GFN && gfn < RING_GFN + RING_PAGES)
				memcpy(page, (uint8_t *)ring + (gfn - RING_GFN) * PAGE, PAGE);
			else if (gfn == DECOY_GFN)
				memcpy(page, ring, PAGE);  /* says it lives elsewhere */
			else
				memset(page, (int)(gfn & 0xff), PAGE);
		}
	for (; k < d->npages; k++) {
		*pfn_at(d, k) = UINT64_MAX;
		if (pv)
			pfn_at(d, k)[1] = UINT64_MAX;
	}
	free(ring);
}

static void make_dump(struct dump *d, uint64_t nevents)
{
	make_dump_kind(d, nevents, false);
}

static void check_dump_ok(bool pv)
{
	char *dir = rs_tmpdir(), *out = NULL;
	struct dump d;

	make_dump_kind(&d, 300, pv);
	/* The layout this test claims: gfn and page index really differ. */
	assert_int_not_equal(d.ring_index, RING_GFN);
	char *core = write_bytes(dir, "xl.core", d.img, d.len);
	char *db = path_in(dir, "t.db");
	int rc = collect_core_file(core, db, &out);
	if (rc != 0)
		fail_msg("collect core: (xl dump-core): exit %d: %s", rc, out);
	free(out);
	char *js = info_json(db);
	assert_int_equal(json_int(js, "events"), 300);
	assert_int_equal(json_int(js, "lost_events"), 0);
	assert_true(json_has(js, "guest_state", "\"exited\""));
	assert_non_null(strstr(js, "\"rip\": \"0xfeedfacecafe\""));
	free(js);
	assert_int_equal(sql_int(db, "SELECT region_gpa FROM trace"),
			 (int64_t)RING_GFN * PAGE);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"), 300);
	/* Exactly the written events: seq 0..299 on cpu 0, none twice. */
	assert_int_equal(sql_int(db, "SELECT max(seq) - min(seq) + 1 FROM events"), 300);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM vcpu_regs WHERE origin"
				 " = 'xl dump-core .xen_prstatus'"), 1);
	free(db);
	free(core);
	free(d.img);
	rs_tmpdir_cleanup(dir);
}

static void test_dumpcore_ok(void **state)
{
	check_dump_ok(false);
}

/* A PV domain's dump: pages indexed by pfn in .xen_p2m. */
static void test_dumpcore_pv_ok(void **state)
{
	check_dump_ok(true);
}

/* Break one thing in a good dump (`len` bytes at `off`, or only the file
 * length); the collect must refuse with `needle`. */
static void bad_dump(const char *name, struct dump *d, size_t file_len,
		     const char *needle)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *core = write_bytes(dir, name, d->img, file_len ? file_len : d->len);
	char *db = path_in(dir, "t.db");
	int rc = collect_core_file(core, db, &out);

	if (rc != 1 || !out || !strstr(out, needle))
		fail_msg("%s: exit %d (want 1), '%s' (want '%s')", name, rc,
			 out ? out : "", needle);
	assert_one_line(out);
	assert_false(exists(db));
	free(out);
	free(db);
	free(core);
	free(d->img);
	rs_tmpdir_cleanup(dir);
}

static void set_u64(struct dump *d, size_t off, uint64_t v)
{
	memcpy(d->img + off, &v, 8);
}

static void set_u16(struct dump *d, size_t off, uint16_t v)
{
	memcpy(d->img + off, &v, 2);
}

static void test_dumpcore_truncated(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	/* Cut in the middle of .xen_pages: .xen_pfn is gone too. */
	bad_dump("short.core", &d, PAGES_OFF + 40 * PAGE, "lies outside the file");
}

static void test_dumpcore_pages_size_lies(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u64(&d, SH(S_PAGES) + offsetof(Elf64_Shdr, sh_size), 1ull << 62);
	bad_dump("pagesize.core", &d, 0, "section .xen_pages");
}

static void test_dumpcore_offset_wraps(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u64(&d, SH(S_PFN) + offsetof(Elf64_Shdr, sh_offset), UINT64_MAX - 10);
	bad_dump("pfnoff.core", &d, 0, "section .xen_pfn");
}

static void test_dumpcore_pfn_unsorted(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	uint64_t a = *pfn_at(&d, 3);
	*pfn_at(&d, 3) = *pfn_at(&d, 4);
	*pfn_at(&d, 4) = a;
	bad_dump("unsorted.core", &d, 0, ".xen_pfn is not sorted");
}

static void test_dumpcore_gfn_after_padding(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	*pfn_at(&d, d.npages - 1) = 0x7777;
	bad_dump("padding.core", &d, 0, "follows the padding");
}

static void test_dumpcore_more_pfns_than_pages(void **state)
{
	struct dump d;

	/* .xen_pfn lists every page, .xen_pages says it holds one fewer: an
	 * entry would point past the pages (here, into .xen_pfn itself). */
	make_dump(&d, 10);
	set_u64(&d, SH(S_PAGES) + offsetof(Elf64_Shdr, sh_size),
		(d.npages - 1) * PAGE);
	bad_dump("npages.core", &d, 0, ".xen_pages holds");
}

static void test_dumpcore_absurd_shnum(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u16(&d, offsetof(Elf64_Ehdr, e_shnum), 0xffff);
	bad_dump("shnum.core", &d, 0, "e_shnum 65535 is absurd");
}

static void test_dumpcore_shoff_outside(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u64(&d, offsetof(Elf64_Ehdr, e_shoff), d.len - 100);
	bad_dump("shoff.core", &d, 0, "section table");
}

static void test_dumpcore_strtab_outside(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u64(&d, SH(S_STRTAB) + offsetof(Elf64_Shdr, sh_offset), d.len + 4096);
	bad_dump("strtab.core", &d, 0, "section-name table");
}

static void test_dumpcore_strndx_bad(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u16(&d, offsetof(Elf64_Ehdr, e_shstrndx), 200);
	bad_dump("strndx.core", &d, 0, "section-name table index 200");
}

static void test_dumpcore_header_pages_lie(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u64(&d, NOTE_OFF + sizeof(Elf64_Nhdr) + 4 + 16, 99999);
	bad_dump("nrpages.core", &d, 0, "header says 99999 pages");
}

static void test_dumpcore_note_lies(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	uint32_t v = 100000;
	memcpy(d.img + NOTE_OFF + offsetof(Elf64_Nhdr, n_descsz), &v, 4);
	bad_dump("note.core", &d, 0, "run past .note.Xen");
}

/* The magic and the index disagree, both ways; a magic of neither. */
static void test_dumpcore_pv_magic_with_pfn(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u64(&d, NOTE_OFF + sizeof(Elf64_Nhdr) + 4, 0xF00FEBEDull);
	bad_dump("pv.core", &d, 0, "the header says PV but the dump has a"
		 " .xen_pfn section");
}

static void test_dumpcore_hvm_magic_with_p2m(void **state)
{
	struct dump d;

	make_dump_kind(&d, 10, true);
	set_u64(&d, NOTE_OFF + sizeof(Elf64_Nhdr) + 4, 0xF00FEBEEull);
	bad_dump("hvm.core", &d, 0, "the header says HVM/PVH but the dump has"
		 " a .xen_p2m section");
}

static void test_dumpcore_bad_magic(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u64(&d, NOTE_OFF + sizeof(Elf64_Nhdr) + 4, 0xF00FEBEFull);
	bad_dump("magic.core", &d, 0, "header magic 0xf00febef");
}

/* .xen_p2m cut to a size that is no whole number of pairs. */
static void test_dumpcore_p2m_partial_entry(void **state)
{
	struct dump d;

	make_dump_kind(&d, 10, true);
	set_u64(&d, SH(S_PFN) + offsetof(Elf64_Shdr, sh_size),
		d.npages * 16 - 8);
	bad_dump("p2msize.core", &d, 0, ".xen_p2m is");
}

static void test_dumpcore_p2m_unsorted(void **state)
{
	struct dump d;

	make_dump_kind(&d, 10, true);
	uint64_t a = *pfn_at(&d, 3);
	*pfn_at(&d, 3) = *pfn_at(&d, 4);
	*pfn_at(&d, 4) = a;
	bad_dump("p2munsorted.core", &d, 0, ".xen_p2m is not sorted");
}

/* A pfn past the padding, in the PV index. */
static void test_dumpcore_p2m_after_padding(void **state)
{
	struct dump d;

	make_dump_kind(&d, 10, true);
	*pfn_at(&d, d.npages - 1) = 0x7777;
	bad_dump("p2mpad.core", &d, 0, "follows the padding");
}

static void test_dumpcore_prstatus_lies(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	set_u64(&d, NOTE_OFF + sizeof(Elf64_Nhdr) + 4 + 8, 1000);  /* nr_vcpus */
	bad_dump("vcpus.core", &d, 0, "cannot hold 1000 vCPU contexts");
}

static void test_dumpcore_ring_not_contiguous(void **state)
{
	struct dump d;

	/* Shift every gfn from the ring's middle up by one: still sorted,
	 * but the region now has a hole at RING_GFN + 32. */
	make_dump(&d, 10);
	for (uint64_t k = d.ring_index + 32; *pfn_at(&d, k) != UINT64_MAX; k++)
		*pfn_at(&d, k) += 1;
	bad_dump("hole.core", &d, 0, "contiguous in gfn space");
}

static void test_dumpcore_no_ring(void **state)
{
	struct dump d;

	make_dump(&d, 10);
	memset(d.img + PAGES_OFF + d.ring_index * PAGE, 0, 8);
	/* The decoy alone: a magic, but it says it lives elsewhere. */
	bad_dump("noring.core", &d, 0, "no valid region");
}

/* The real dump of a crashed PVH guest that tests/xen keeps committed
 * (made by real Xen with `xl dump-core`; tests/xen/fixture.sh), unpacked
 * here, so every cmocka run (plain and SANITIZE=1) reads it. */
#define XEN_FIXTURE "tests/xen/fixtures/pvh-crash.tar.xz"
static void test_dumpcore_real_xen(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	char *core = path_in(dir, "crash.core");
	char *db = path_in(dir, "real.db");

	if (access(XEN_FIXTURE, R_OK) != 0)
		fail_msg("%s is missing (run from the source tree's top)", XEN_FIXTURE);
	/* Generous: a few hundred KiB to unpack. */
	int rc = rs_run(&out, 120, "xz -dc '%s' | tar -x -C '%s' crash.core 2>&1",
			XEN_FIXTURE, dir);
	if (rc != 0)
		fail_msg("unpacking %s: exit %d: %s", XEN_FIXTURE, rc, out);
	free(out);
	out = NULL;
	rc = collect_core_file(core, db, &out);
	if (rc != 0)
		fail_msg("collect core:%s: exit %d: %s", core, rc, out);
	free(out);
	free(core);
	char *js = info_json(db);
	/* The harness dumps its crash scenario: a guest that panicked. */
	assert_true(json_has(js, "guest_state", "\"crashed\""));
	assert_true(json_int(js, "events") > 0);
	free(js);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM vcpu_regs WHERE regs"
				 " LIKE '%\"rip\": \"0x%'"), 1);
	assert_true(sql_int(db, "SELECT region_gpa FROM trace") > 0);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(dumpcore,
	cmocka_unit_test(test_dumpcore_ok),
	cmocka_unit_test(test_dumpcore_pv_ok),
	cmocka_unit_test(test_dumpcore_pv_magic_with_pfn),
	cmocka_unit_test(test_dumpcore_hvm_magic_with_p2m),
	cmocka_unit_test(test_dumpcore_bad_magic),
	cmocka_unit_test(test_dumpcore_p2m_partial_entry),
	cmocka_unit_test(test_dumpcore_p2m_unsorted),
	cmocka_unit_test(test_dumpcore_p2m_after_padding),
	cmocka_unit_test(test_dumpcore_truncated),
	cmocka_unit_test(test_dumpcore_pages_size_lies),
	cmocka_unit_test(test_dumpcore_offset_wraps),
	cmocka_unit_test(test_dumpcore_pfn_unsorted),
	cmocka_unit_test(test_dumpcore_gfn_after_padding),
	cmocka_unit_test(test_dumpcore_more_pfns_than_pages),
	cmocka_unit_test(test_dumpcore_absurd_shnum),
	cmocka_unit_test(test_dumpcore_shoff_outside),
	cmocka_unit_test(test_dumpcore_strtab_outside),
	cmocka_unit_test(test_dumpcore_strndx_bad),
	cmocka_unit_test(test_dumpcore_header_pages_lie),
	cmocka_unit_test(test_dumpcore_note_lies),
	cmocka_unit_test(test_dumpcore_prstatus_lies),
	cmocka_unit_test(test_dumpcore_ring_not_contiguous),
	cmocka_unit_test(test_dumpcore_no_ring),
	cmocka_unit_test(test_dumpcore_real_xen))
