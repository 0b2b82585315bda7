/*
 * test_core.c - `ringside collect core:PATH` on ELF64 cores, real and
 * made up. A synthetic core (one NT_PRSTATUS note, one PT_LOAD at a
 * deliberately unaligned file offset holding a ring written by the real
 * guest-trace writer) is first shown to collect correctly; then each bad
 * case breaks exactly one field, and must get exit 1, one line naming the
 * problem, and no database. Each message is the one the check for that
 * field produces, so removing a bounds check fails its test.
 */
#include "testlib.h"

#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_trace.h"
#include "ringside_ring.h"
#include "test_collector.h"

#define SEG_GPA   0x200000ull
#define SEG_SIZE  (256u * 1024u)
#define NOTE_OFF  (sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr))
#define DESC_SIZE 336u     /* x86-64 elf_prstatus */
#define NOTE_SIZE (sizeof(Elf64_Nhdr) + 8 + DESC_SIZE)
#define LOAD_OFF  (NOTE_OFF + NOTE_SIZE)   /* not page aligned, like QEMU's */
#define CORE_SIZE (LOAD_OFF + SEG_SIZE)
#define FAKE_RIP  0xdeadbeefcafeull

/* Offsets of the fields the bad cases break. */
#define PH_NOTE   sizeof(Elf64_Ehdr)
#define PH_LOAD   (sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr))

static uint8_t *make_core(uint64_t nevents)
{
	uint8_t *img = calloc(1, CORE_SIZE);
	void *ring = NULL;
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[2] = { { 0 } };
	Elf64_Nhdr nh = { .n_namesz = 5, .n_descsz = DESC_SIZE, .n_type = NT_PRSTATUS };

	assert_non_null(img);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 2;
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFF,
			      .p_filesz = NOTE_SIZE, .p_memsz = NOTE_SIZE };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = LOAD_OFF,
			      .p_paddr = SEG_GPA, .p_filesz = SEG_SIZE,
			      .p_memsz = SEG_SIZE };
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + PH_NOTE, ph, sizeof(ph));
	memcpy(img + NOTE_OFF, &nh, sizeof(nh));
	memcpy(img + NOTE_OFF + sizeof(nh), "CORE", 5);
	uint64_t rip = FAKE_RIP;  /* user_regs_struct slot 16 */
	memcpy(img + NOTE_OFF + sizeof(nh) + 8 + 112 + 16 * 8, &rip, 8);

	/* The ring, written where the guest would have it, page aligned in
	 * guest-physical space though not in the file. */
	assert_int_equal(posix_memalign(&ring, RS_PAGE_SIZE, SEG_SIZE), 0);
	struct gt_config cfg = { .region_gpa = SEG_GPA, .region_size = SEG_SIZE,
				 .ncpus = 1, .nonce = 0xc0de + nevents,
				 .tsc_hz = 1000000000ull, .boot_tsc = gt_rdtsc() };
	assert_int_equal(gt_region_init(ring, &cfg), 0);
	gt_set_state(ring, RS_STATE_RUNNING);
	emit_range(ring, 1, 0, nevents, NULL);
	gt_set_state(ring, RS_STATE_EXITED);
	memcpy(img + LOAD_OFF, ring, SEG_SIZE);
	free(ring);
	return img;
}

static void test_core_synthetic_ok(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	uint8_t *img = make_core(100);
	char *core = write_bytes(dir, "good.core", img, CORE_SIZE);
	char *db = path_in(dir, "t.db");

	int rc = collect_core_file(core, db, &out);
	if (rc != 0)
		fail_msg("collect core: exit %d: %s", rc, out);
	free(out);
	char *js = info_json(db);
	assert_int_equal(json_int(js, "events"), 100);
	assert_true(json_has(js, "guest_state", "\"exited\""));
	assert_non_null(strstr(js, "\"rip\": \"0xdeadbeefcafe\""));
	free(js);
	assert_int_equal(sql_int(db, "SELECT region_gpa FROM trace"), (int64_t)SEG_GPA);
	free(db);
	free(core);
	free(img);
	rs_tmpdir_cleanup(dir);
}

/* A core of `n` events whose ring says running, with the given heartbeat
 * and stall (header fields patched as the guest would have left them). */
static char *running_core(const char *dir, const char *name, uint64_t hb_tsc,
			  uint64_t stall_tsc, uint64_t stall_threads)
{
	uint8_t *img = make_core(20), *h = img + LOAD_OFF;
	uint32_t running = RS_STATE_RUNNING;
	uint64_t ticks = 77;

	/* By offset: the segment sits at an unaligned file offset. */
	memcpy(h + offsetof(struct rs_header, state), &running, sizeof(running));
	memcpy(h + offsetof(struct rs_header, heartbeat_ticks), &ticks, sizeof(ticks));
	memcpy(h + offsetof(struct rs_header, heartbeat_tsc), &hb_tsc, sizeof(hb_tsc));
	memcpy(h + offsetof(struct rs_header, stall_tsc), &stall_tsc, sizeof(stall_tsc));
	memcpy(h + offsetof(struct rs_header, stall_threads), &stall_threads,
	       sizeof(stall_threads));
	char *core = write_bytes(dir, name, img, CORE_SIZE);
	free(img);
	return core;
}

/* One image cannot show a heartbeat move: a core of a guest that says it
 * runs is "unknown", and info says why; unless the image holds ticks
 * stamped after a published stall, which is a deadlock. */
static void test_core_of_running_guest(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	uint64_t t = gt_rdtsc();
	char *core = running_core(dir, "run.core", t, 0, 0);
	char *db = path_in(dir, "t.db");

	assert_int_equal(collect_core_file(core, db, &out), 0);
	free(out);
	char *js = info_json(db);
	if (!json_has(js, "guest_state", "\"unknown\"") ||
	    !strstr(js, "\"state_why\": \"one memory image"))
		fail_msg("want unknown, with why: %s", js);
	free(js);
	/* --follow on an image that never changes reads it once and ends
	 * (60 s: the harness limit; it takes milliseconds). */
	int rc = rs_run(&out, 60, "'%s' collect 'core:%s' -o '%s' --follow 2>&1",
			rs_bin("ringside"), core, db);
	if (rc != 0)
		fail_msg("collect core: --follow: exit %d: %s", rc, out);
	free(out);
	free(core);
	free(db);

	/* A stall, but no tick after it in the image: still one instant. */
	core = running_core(dir, "stall.core", t, t + 1000, 2);
	db = path_in(dir, "s.db");
	assert_int_equal(collect_core_file(core, db, &out), 0);
	free(out);
	js = info_json(db);
	assert_true(json_has(js, "guest_state", "\"unknown\""));
	free(js);
	free(core);
	free(db);

	core = running_core(dir, "dead.core", t + 5000, t + 1000, 2);
	db = path_in(dir, "d.db");
	assert_int_equal(collect_core_file(core, db, &out), 0);
	free(out);
	js = info_json(db);
	if (!json_has(js, "guest_state", "\"deadlocked\""))
		fail_msg("want deadlocked: %s", js);
	assert_int_equal(json_int(js, "stalled_threads"), 2);
	free(js);
	free(core);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Break one thing in a good core; the collect must refuse with `needle`. */
static void bad_core(const char *name, size_t off, const void *val, size_t len,
		     size_t file_len, const char *needle)
{
	char *dir = rs_tmpdir(), *out = NULL;
	uint8_t *img = make_core(10);

	if (val)
		memcpy(img + off, val, len);
	char *core = write_bytes(dir, name, img, file_len);
	char *db = path_in(dir, "t.db");
	int rc = collect_core_file(core, db, &out);
	if (rc != 1 || !strstr(out, needle))
		fail_msg("%s: exit %d (want 1), '%s' (want '%s')", name, rc, out, needle);
	assert_one_line(out);
	assert_false(exists(db));
	free(out);
	free(db);
	free(core);
	free(img);
	rs_tmpdir_cleanup(dir);
}

static void test_core_not_elf(void **state)
{
	static const char text[] = "this is not a core dump, just text\n";
	bad_core("text.core", 0, text, sizeof(text) - 1, 4096, "not an ELF file");
}

static void test_core_truncated(void **state)
{
	bad_core("short.core", 0, NULL, 0, LOAD_OFF + 1000, "lies outside the file");
}

static void test_core_truncated_header(void **state)
{
	bad_core("tiny.core", 0, NULL, 0, 40, "truncated ELF file");
}

static void test_core_phoff_outside(void **state)
{
	uint64_t v = CORE_SIZE + 100;
	bad_core("phoff.core", offsetof(Elf64_Ehdr, e_phoff), &v, 8, CORE_SIZE,
		 "program header table");
}

static void test_core_absurd_phnum(void **state)
{
	uint16_t v = 0xfff0;
	bad_core("phnum.core", offsetof(Elf64_Ehdr, e_phnum), &v, 2, CORE_SIZE,
		 "program header table");
}

static void test_core_bad_phentsize(void **state)
{
	uint16_t v = 32;
	bad_core("phent.core", offsetof(Elf64_Ehdr, e_phentsize), &v, 2, CORE_SIZE,
		 "program header size");
}

static void test_core_absurd_filesz(void **state)
{
	uint64_t v = 1ull << 62;
	bad_core("filesz.core", PH_LOAD + offsetof(Elf64_Phdr, p_filesz), &v, 8,
		 CORE_SIZE, "lies outside the file");
}

static void test_core_absurd_offset(void **state)
{
	uint64_t v = UINT64_MAX - 10;  /* offset + size wraps */
	bad_core("offset.core", PH_LOAD + offsetof(Elf64_Phdr, p_offset), &v, 8,
		 CORE_SIZE, "lies outside the file");
}

static void test_core_note_lies(void **state)
{
	uint32_t v = 100000;
	bad_core("note.core", NOTE_OFF + offsetof(Elf64_Nhdr, n_descsz), &v, 4,
		 CORE_SIZE, "run past its PT_NOTE segment");
}

static void test_core_note_too_small(void **state)
{
	/* A note that fits its segment but is too small for the registers. */
	uint32_t v = 64;
	bad_core("prstatus.core", NOTE_OFF + offsetof(Elf64_Nhdr, n_descsz), &v, 4,
		 CORE_SIZE, "too few for x86-64 registers");
}

static void test_core_not_a_core(void **state)
{
	uint16_t v = ET_EXEC;
	bad_core("exec.core", offsetof(Elf64_Ehdr, e_type), &v, 2, CORE_SIZE,
		 "not a core dump");
}

static void test_core_pn_xnum_outside(void **state)
{
	uint16_t v = PN_XNUM;
	bad_core("xnum.core", offsetof(Elf64_Ehdr, e_phnum), &v, 2, CORE_SIZE,
		 "PN_XNUM");
}

static void test_core_region_straddles(void **state)
{
	/* The header claims more than the segment holds. */
	uint64_t v = 2 * SEG_SIZE;
	bad_core("straddle.core", LOAD_OFF + offsetof(struct rs_header, region_size),
		 &v, 8, CORE_SIZE, "within one PT_LOAD segment");
}

static void test_core_no_region(void **state)
{
	uint64_t v = 0;
	bad_core("noring.core", LOAD_OFF, &v, 8, CORE_SIZE, "no ringside region");
}

/* An xl dump-core file is recognised by its sections and handed to the xl
 * parser (tests/collector/test_dumpcore.c), which finds this one empty. */
static void test_core_xl_dump(void **state)
{
	static const char names[] = "\0.shstrtab\0.note.Xen\0.xen_pages\0.xen_pfn\0";
	char *dir = rs_tmpdir(), *out = NULL;
	size_t shoff = 4096, strtab = 2048;
	uint8_t *img = calloc(1, 8192);
	Elf64_Ehdr eh = { 0 };
	Elf64_Shdr sh[4] = { { 0 } };

	assert_non_null(img);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_shoff = shoff;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 4;
	eh.e_shstrndx = 1;
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_STRTAB,
			      .sh_offset = strtab, .sh_size = sizeof(names) };
	sh[2] = (Elf64_Shdr){ .sh_name = 11, .sh_type = SHT_NOTE };
	sh[3] = (Elf64_Shdr){ .sh_name = 21, .sh_type = SHT_PROGBITS };
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + strtab, names, sizeof(names));
	memcpy(img + shoff, sh, sizeof(sh));
	char *core = write_bytes(dir, "xl.core", img, 8192);
	char *db = path_in(dir, "t.db");
	int rc = collect_core_file(core, db, &out);
	if (rc != 1 || !strstr(out, "xl dump-core: no header note"))
		fail_msg("xl dump-core: exit %d: %s", rc, out);
	assert_one_line(out);
	assert_false(exists(db));
	free(out);
	free(db);
	free(core);
	free(img);
	rs_tmpdir_cleanup(dir);
}

/* A core given to file: is refused at once with the way to read it
 * (it used to be searched, and "no ringside region found"), also when
 * --wait-secs would have let a ring file appear. */
static void test_core_given_to_file(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;
	uint8_t *img = make_core(10);
	char *core = write_bytes(dir, "good.core", img, CORE_SIZE);
	char *db = path_in(dir, "t.db");
	/* 60 s: ends in milliseconds; without the check it waits 600. */
	int rc = rs_run(&out, 60, "'%s' collect 'file:%s' -o '%s' --wait-secs 600"
			" 2>&1 >/dev/null", rs_bin("ringside"), core, db);
	char want[600];
	snprintf(want, sizeof(want), "read a core with core:%s", core);
	if (rc != 1 || !strstr(out, want))
		fail_msg("collect file:CORE: exit %d (want 1): '%s' (want '%s')",
			 rc, out, want);
	assert_one_line(out);
	assert_false(exists(db));
	free(out);
	free(db);
	free(core);
	free(img);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(core,
	cmocka_unit_test(test_core_synthetic_ok),
	cmocka_unit_test(test_core_of_running_guest),
	cmocka_unit_test(test_core_not_elf),
	cmocka_unit_test(test_core_truncated),
	cmocka_unit_test(test_core_truncated_header),
	cmocka_unit_test(test_core_phoff_outside),
	cmocka_unit_test(test_core_absurd_phnum),
	cmocka_unit_test(test_core_bad_phentsize),
	cmocka_unit_test(test_core_absurd_filesz),
	cmocka_unit_test(test_core_absurd_offset),
	cmocka_unit_test(test_core_note_lies),
	cmocka_unit_test(test_core_note_too_small),
	cmocka_unit_test(test_core_not_a_core),
	cmocka_unit_test(test_core_pn_xnum_outside),
	cmocka_unit_test(test_core_region_straddles),
	cmocka_unit_test(test_core_no_region),
	cmocka_unit_test(test_core_xl_dump),
	cmocka_unit_test(test_core_given_to_file))
