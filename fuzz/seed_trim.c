/*
 * seed_trim.c - cuts real guest dumps down to fuzzing seeds.
 *
 *   seed-trim qemu CORE OUT_CORE OUT_REGION OUT_SCAN
 *   seed-trim xl   CORE OUT_CORE OUT_REGION OUT_SCAN [RING]
 *   seed-trim viewer TRACE.db OUT
 *
 * A real QEMU core or xl dump-core holds all of guest RAM (16 MiB and
 * more), which would make every fuzz iteration copy megabytes of zeroes
 * and leave the mutator almost no chance of touching the bytes that
 * matter. This keeps what the readers actually look at, byte for byte
 * from the real dump: the notes (registers), the ring region, and one page
 * of ordinary guest memory before it (so the scan starts off the region),
 * re-packed into a smaller file of the same format. It also writes the
 * bare region (the decoder target's input) and, for the region-discovery
 * target, the guest-physical address of the first byte (8 bytes, little
 * endian) followed by the memory from there: the page before the region
 * when it is contiguous, then the region.
 *
 * The region is located with the project's own readers (elfcore.h,
 * dumpcore.h, rs_decode.h): if they cannot find it, there is no seed.
 *
 * `viewer` turns a trace database into the viewer target's input
 * (fuzz_viewer.c describes the rows rather than the file): the trace
 * row's clock, then the first records of each CPU's first chunk, real
 * bytes unpacked with rs_chunk_unpack.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "dumpcore.h"
#include "elfcore.h"
#include "rs_chunk.h"
#include "rs_decode.h"

#define PAGE 4096u

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "seed-trim: cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spill(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "seed-trim: cannot write %s\n", path);
		exit(1);
	}
}

/* The region target's input: gpa, then the bytes from there. */
static void spill_scan(const char *path, uint64_t gpa, const uint8_t *p,
		       size_t n)
{
	uint8_t *o = malloc(n + 8);

	if (!o)
		exit(1);
	memcpy(o, &gpa, 8);
	memcpy(o + 8, p, n);
	spill(path, o, n + 8);
	free(o);
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "seed-trim: %s: %s\n", what, why);
	exit(1);
}

/* QEMU core: ELF header, the PT_NOTE segments as they were, and one
 * PT_LOAD holding a page before the region and the region. */
static void trim_qemu(const uint8_t *f, size_t len, const char *out_core,
		      const char *out_region, const char *out_scan)
{
	struct rs_elfcore c;
	struct rs_layout l;
	char why[300];
	Elf64_Ehdr eh;

	if (rs_elfcore_parse(f, len, &c, why, sizeof(why)) != 0)
		die("qemu core", why);
	memcpy(&eh, f, sizeof(eh));
	for (unsigned i = 0; i < c.nload; i++) {
		const struct rs_elf_load *ld = &c.load[i];
		int64_t at = rs_region_find(f + ld->offset, (size_t)ld->filesz,
					    ld->paddr, &l, why, sizeof(why));
		if (at < 0)
			continue;
		uint64_t slack = (uint64_t)at < PAGE ? (uint64_t)at : PAGE;
		uint64_t keep = slack + l.region_size;
		/* Notes: copied in program-header order. */
		Elf64_Phdr ph[64];
		unsigned nph = 0;
		uint64_t notes = 0;
		for (unsigned k = 0; k < eh.e_phnum && nph < 63; k++) {
			memcpy(&ph[nph], f + eh.e_phoff + k * sizeof(Elf64_Phdr),
			       sizeof(Elf64_Phdr));
			if (ph[nph].p_type == PT_NOTE)
				notes += ph[nph++].p_filesz;
		}
		size_t hdrs = sizeof(eh) + (nph + 1) * sizeof(Elf64_Phdr);
		size_t total = hdrs + notes + keep;
		uint8_t *o = calloc(1, total);
		uint64_t pos = hdrs;
		for (unsigned k = 0; k < nph; k++) {
			memcpy(o + pos, f + ph[k].p_offset, ph[k].p_filesz);
			ph[k].p_offset = pos;
			pos += ph[k].p_filesz;
		}
		ph[nph] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
			.p_offset = pos, .p_paddr = ld->paddr + (uint64_t)at - slack,
			.p_filesz = keep, .p_memsz = keep };
		memcpy(o + pos, f + ld->offset + (uint64_t)at - slack, keep);
		eh.e_phoff = sizeof(eh);
		eh.e_phnum = (Elf64_Half)(nph + 1);
		eh.e_shoff = 0;
		eh.e_shnum = 0;
		eh.e_shstrndx = 0;
		memcpy(o, &eh, sizeof(eh));
		memcpy(o + sizeof(eh), ph, (nph + 1) * sizeof(Elf64_Phdr));
		spill(out_core, o, total);
		spill(out_region, f + ld->offset + at, l.region_size);
		spill_scan(out_scan, ld->paddr + (uint64_t)at - slack,
			   f + ld->offset + (uint64_t)at - slack, keep);
		free(o);
		rs_elfcore_free(&c);
		return;
	}
	die("qemu core", "no ringside region in any PT_LOAD");
}

static const Elf64_Shdr *section(const uint8_t *f, const char *name)
{
	Elf64_Ehdr eh;
	memcpy(&eh, f, sizeof(eh));
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh.e_shoff);
	const char *names = (const char *)f + sh[eh.e_shstrndx].sh_offset;

	for (unsigned i = 0; i < eh.e_shnum; i++)
		if (strcmp(names + sh[i].sh_name, name) == 0)
			return &sh[i];
	return NULL;
}

/*
 * xl dump-core: the same five sections, with .xen_pages/.xen_pfn cut to
 * the page before the region, the region, and one all-ones padding entry;
 * the header note's page count follows. With `ring` (a bare region from a
 * QEMU run of the same kernel) that ring takes the place of the dump's own
 * at the gfns its header names: a real Xen container around a real ring of
 * a few pages, where the dump's own ring is a megabyte.
 */
/* The ringside region in an xl dump: where the replacement ring says
 * it is, or the first page with the magic followed by enough contiguous
 * gfns. Its first gfn; *n its pages. */
static uint64_t xl_find_region(const struct rs_dumpcore *d, const uint8_t *ring,
			       size_t ring_len, uint64_t *n)
{
	struct rs_layout l;
	char why[300];

	if (ring) {
		if (rs_layout_read(ring, ring_len, RS_GPA_ANY, &l, why, sizeof(why)) != 0)
			die("replacement ring", why);
		*n = (l.region_size + PAGE - 1) / PAGE;
		return l.region_gpa / PAGE;
	}
	for (uint64_t k = 0; k < d->nvalid; k++) {
		const uint8_t *pg = rs_dumpcore_page(d, k);
		uint64_t magic, size;
		memcpy(&magic, pg, 8);
		if (magic != RS_MAGIC)
			continue;
		memcpy(&size, pg + offsetof(struct rs_header, region_size), 8);
		*n = (size + PAGE - 1) / PAGE;
		if (*n == 0 || *n > d->nvalid - k ||
		    rs_dumpcore_gfn(d, k + *n - 1) != rs_dumpcore_gfn(d, k) + *n - 1)
			continue;
		return rs_dumpcore_gfn(d, k);
	}
	die("xl dump-core", "no ringside region");
	return 0;
}

/* In the copied .note.Xen section: walk to the Xen header note (type
 * 0x2000001) and set nr_pages, its third u64, to what the trimmed dump
 * holds. */
static void xl_set_nr_pages(uint8_t *notes, uint64_t size, uint64_t nout)
{
	for (uint64_t p = 0; p + sizeof(Elf64_Nhdr) <= size;) {
		Elf64_Nhdr nh;
		uint8_t *at = notes + p;
		memcpy(&nh, at, sizeof(nh));
		uint64_t n4 = (nh.n_namesz + 3u) & ~3u, d4 = (nh.n_descsz + 3u) & ~3u;
		if (nh.n_type == 0x2000001 && nh.n_descsz >= 32) {
			memcpy(at + sizeof(nh) + n4 + 16, &nout, 8);
			return;
		}
		p += sizeof(nh) + n4 + d4;
	}
}

static void trim_xl(const uint8_t *f, size_t len, const char *out_core,
		    const char *out_region, const char *out_scan,
		    const uint8_t *ring, size_t ring_len)
{
	static const char *const keep_names[] = {
		".shstrtab", ".note.Xen", ".xen_prstatus", ".xen_pages", ".xen_pfn",
	};
	static const uint8_t zero[PAGE];
	struct rs_dumpcore d;
	struct rs_layout l;
	char why[300];
	uint64_t rgfn, n = 0;

	if (rs_dumpcore_parse(f, len, &d, why, sizeof(why)) != 0)
		die("xl dump-core", why);
	rgfn = xl_find_region(&d, ring, ring_len, &n);
	/* The output pages: the page before (when the dump has one), then
	 * the region, each with its gfn. */
	const uint8_t **pg = calloc(n + 1, sizeof(*pg));
	uint64_t *gfn = calloc(n + 1, sizeof(*gfn));
	uint64_t npages = 0, lead = 0;
	int64_t before = rgfn ? rs_dumpcore_find(&d, rgfn - 1) : -1;
	if (before >= 0) {
		pg[0] = rs_dumpcore_page(&d, (uint64_t)before);
		gfn[0] = rgfn - 1;
		npages = lead = 1;
	}
	for (uint64_t i = 0; i < n; i++, npages++) {
		gfn[npages] = rgfn + i;
		if (ring)
			pg[npages] = (i + 1) * PAGE <= ring_len ? ring + i * PAGE : zero;
		else
			pg[npages] = rs_dumpcore_page(&d, (uint64_t)rs_dumpcore_find(&d, rgfn + i));
	}

	const uint64_t nout = npages + 1;   /* + one padding entry */
	const Elf64_Shdr *in[5];
	for (int i = 0; i < 5; i++)
		if (!(in[i] = section(f, keep_names[i])))
			die("xl dump-core", keep_names[i]);
	Elf64_Ehdr eh;
	memcpy(&eh, f, sizeof(eh));
	Elf64_Shdr sh[6] = { { 0 } };
	uint64_t pos = sizeof(eh) + sizeof(sh);
	uint64_t size[5] = { in[0]->sh_size, in[1]->sh_size, in[2]->sh_size,
			     nout * PAGE, nout * 8 };
	for (int i = 0; i < 5; i++) {
		sh[i + 1] = *in[i];
		if (i == 3)
			pos = (pos + PAGE - 1) & ~(uint64_t)(PAGE - 1);
		sh[i + 1].sh_offset = pos;
		sh[i + 1].sh_size = size[i];
		pos += size[i];
	}
	uint8_t *o = calloc(1, pos);
	for (int i = 0; i < 3; i++)
		memcpy(o + sh[i + 1].sh_offset, f + in[i]->sh_offset, size[i]);
	for (uint64_t k = 0; k < npages; k++) {
		memcpy(o + sh[4].sh_offset + k * PAGE, pg[k], PAGE);
		memcpy(o + sh[5].sh_offset + k * 8, &gfn[k], 8);
	}
	memset(o + sh[5].sh_offset + npages * 8, 0xff, 8);
	xl_set_nr_pages(o + sh[2].sh_offset, size[1], nout);
	eh.e_phoff = 0;
	eh.e_phnum = 0;
	eh.e_shoff = sizeof(eh);
	eh.e_shnum = 6;
	eh.e_shstrndx = 1;
	memcpy(o, &eh, sizeof(eh));
	memcpy(o + sizeof(eh), sh, sizeof(sh));
	spill(out_core, o, pos);
	/* The bare region, and the scan seed from the page before it. */
	const uint8_t *reg = o + sh[4].sh_offset + lead * PAGE;
	if (rs_layout_read(reg, (size_t)(o + pos - reg), rgfn * PAGE, &l, why,
			   sizeof(why)) != 0)
		die("xl dump-core region", why);
	spill(out_region, reg, l.region_size);
	spill_scan(out_scan, (rgfn - lead) * PAGE, reg - lead * PAGE,
		   l.region_size + lead * PAGE);
	free(o);
	free(pg);
	free(gfn);
	rs_dumpcore_free(&d);
}

/* Appends little-endian integers to a seed. */
struct seed {
	uint8_t buf[64 << 10];
	size_t len;
};

static void put(struct seed *s, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes && s->len < sizeof(s->buf); i++)
		s->buf[s->len++] = (uint8_t)(v >> (8 * i));
}

/* One CPU: its first chunk's records as honest chunks of at most 4 KiB
 * (cut at record boundaries), then one more whose first_seq jumps 3 M
 * records ahead, so the loader splits the CPU into several ranges. */
static void seed_viewer_cpu(struct seed *s, sqlite3 *db, int cpu)
{
	sqlite3_stmt *st;
	struct rs_chunk_reader *rd = rs_chunk_reader_new();
	if (!rd || sqlite3_prepare_v2(db, "SELECT first_seq, count, raw_size,"
				      " records FROM chunks WHERE cpu = ?1 "
				      "ORDER BY trace_id DESC, first_seq LIMIT 1",
				      -1, &st, NULL) != SQLITE_OK)
		die("viewer seed", sqlite3_errmsg(db));
	sqlite3_bind_int(st, 1, cpu);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const struct rs_chunk c = {
			.cpu = (uint16_t)cpu,
			.first_seq = (uint64_t)sqlite3_column_int64(st, 0),
			.count = (uint64_t)sqlite3_column_int64(st, 1),
			.raw_size = (uint64_t)sqlite3_column_int64(st, 2),
			.blob = sqlite3_column_blob(st, 3),
			.blob_len = (size_t)sqlite3_column_bytes(st, 3),
		};
		const uint8_t *raw = rs_chunk_unpack(rd, &c);
		size_t off = 0;
		for (int piece = 0; raw && piece < 4 && off < c.raw_size; piece++) {
			static char strbuf[RS_MAX_RECORD + 1];
			struct rs_event ev;
			size_t end = off, sz;
			while (end < c.raw_size && end - off < 4096 - RS_MAX_RECORD &&
			       (sz = rs_decode_record(raw + end, c.raw_size - end,
						      &ev, strbuf)) != 0)
				end += sz;
			put(s, (unsigned)cpu | (piece == 3 ? 0x20 : 0), 1);
			put(s, end - off, 2);
			for (size_t i = off; i < end; i++)
				put(s, raw[i], 1);
			if (piece == 3)
				put(s, 3000000, 8);
			off = end;
		}
	}
	sqlite3_finalize(st);
	rs_chunk_reader_free(rd);
}

static void seed_viewer(const char *path, const char *out)
{
	static const char *const states[] = { "running", "exited", "hung",
					      "crashed", "unknown" };
	static struct seed s;
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT ncpus, tsc_hz, boot_tsc, guest_state"
			       " FROM trace ORDER BY id DESC LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		die(path, "not a trace database with a trace");
	const int ncpus = sqlite3_column_int(st, 0);
	const char *state = (const char *)sqlite3_column_text(st, 3);
	unsigned flags = 3;   /* tsc_hz and boot_tsc in full */
	for (unsigned i = 0; i < 5; i++)
		if (state && !strcmp(state, states[i]))
			flags |= i << 2 | (i == 3 ? 0x40 : 0);  /* panic */
	put(&s, flags, 1);
	put(&s, (uint64_t)ncpus, 1);
	put(&s, (uint64_t)sqlite3_column_int64(st, 1), 8);
	put(&s, (uint64_t)sqlite3_column_int64(st, 2), 8);
	sqlite3_finalize(st);
	put(&s, 0, 8 + 8 + 2);   /* hung_at_ns, panic_ts_ns, panic_cpu */
	put(&s, ncpus > 0 ? (uint64_t)ncpus - 1 : 0, 1);   /* trace_cpu */
	put(&s, 0, 1);           /* no lost rows */
	for (int cpu = 0; cpu < ncpus && cpu < 4; cpu++)
		seed_viewer_cpu(&s, db, cpu);
	sqlite3_close(db);
	spill(out, s.buf, s.len);
}

int main(int argc, char **argv)
{
	size_t len, ring_len = 0;
	uint8_t *ring = NULL;

	if (argc == 4 && strcmp(argv[1], "viewer") == 0) {
		seed_viewer(argv[2], argv[3]);
		return 0;
	}
	if (argc < 6 || argc > 7 || (strcmp(argv[1], "qemu") && strcmp(argv[1], "xl")) ||
	    (argc == 7 && strcmp(argv[1], "xl"))) {
		fprintf(stderr, "usage: seed-trim qemu CORE OUT_CORE OUT_REGION OUT_SCAN\n"
			"       seed-trim xl CORE OUT_CORE OUT_REGION OUT_SCAN [RING]\n"
			"       seed-trim viewer TRACE.db OUT\n");
		return 2;
	}
	uint8_t *f = slurp(argv[2], &len);
	if (strcmp(argv[1], "qemu") == 0)
		trim_qemu(f, len, argv[3], argv[4], argv[5]);
	else {
		if (argc == 7) {
			/* The region must be page aligned, as in guest memory. */
			uint8_t *r = slurp(argv[6], &ring_len);
			if (posix_memalign((void **)&ring, PAGE, ring_len) != 0)
				exit(1);
			memcpy(ring, r, ring_len);
			free(r);
		}
		trim_xl(f, len, argv[3], argv[4], argv[5], ring, ring_len);
	}
	free(ring);
	free(f);
	return 0;
}
