/*
 * dumpcore.c - the xl dump-core parser behind `collect core:` for Xen
 * dumps (dumpcore.h).
 *
 * The rules, each of which tests/collector/test_dumpcore.c breaks on purpose:
 *   - the section table, the section-name table and every section used
 *     lie inside the file, with sizes checked for overflow and counts
 *     bounded before anything is multiplied by them;
 *   - a used section appears once (two .xen_pfn would make "which one"
 *     an attacker's choice);
 *   - the header's magic and the page index agree: HVM/PVH with .xen_pfn,
 *     PV with .xen_p2m, never both;
 *   - .xen_pages holds exactly npages pages and the index exactly npages
 *     entries, agreeing with the header note's nr_pages;
 *   - the index is strictly ascending up to the all-ones padding, and
 *     only padding follows: checked once here, so the binary search can
 *     trust it (libxenguest writes both kinds in frame order);
 *   - .xen_prstatus holds nr_vcpus contexts of at least the size we read.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpcore.h"
#include "elfcore.h"
#include "ringside_ring.h"
#include "xen_ctx.h"

#define MAX_SHNUM   256u          /* xl writes 7; bounds the work */
#define MAX_VCPUS   4096u         /* Xen's HVM limit is 128; be generous */
#define XEN_ELFNOTE_DUMPCORE_HEADER 0x2000001u
#define PAGE        RS_PAGE_SIZE
#define P2M_ENTRY   16u           /* struct xen_dumpcore_p2m: pfn, gmfn */

enum { SEC_NOTE, SEC_PRSTATUS, SEC_PAGES, SEC_PFN, SEC_P2M, NSEC };
static const char *const sec_name[NSEC] = {
	".note.Xen", ".xen_prstatus", ".xen_pages", ".xen_pfn", ".xen_p2m",
};



static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Section `i`'s name if it lies in the string table, else NULL. */
static const char *shname(const uint8_t *file, const Elf64_Shdr *strtab,
			  uint32_t at, size_t *max)
{
	if (at >= strtab->sh_size)
		return NULL;
	*max = (size_t)(strtab->sh_size - at);
	return (const char *)file + strtab->sh_offset + at;
}

static int name_is(const char *name, size_t max, const char *want)
{
	size_t n = strlen(want);

	return name && strnlen(name, max) == n && memcmp(name, want, n) == 0;
}

int rs_dumpcore_is(const uint8_t *file, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Shdr strtab;

	if (len < sizeof(eh) || memcmp(file, ELFMAG, SELFMAG) != 0)
		return 0;
	memcpy(&eh, file, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_CORE)
		return 0;
	/* No program headers but a section table: only xl writes that. */
	if (eh.e_phnum == 0 && eh.e_shoff != 0)
		return 1;
	if (eh.e_shoff == 0 || eh.e_shnum == 0 || eh.e_shnum > MAX_SHNUM ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum ||
	    !rs_elf_in_file(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), len))
		return 0;
	memcpy(&strtab, file + eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof(strtab),
	       sizeof(strtab));
	if (!rs_elf_in_file(strtab.sh_offset, strtab.sh_size, len))
		return 0;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		size_t max = 0;
		memcpy(&sh, file + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
		const char *name = shname(file, &strtab, sh.sh_name, &max);
		for (unsigned k = 0; k < NSEC; k++)
			if (name_is(name, max, sec_name[k]))
				return 1;
	}
	return 0;
}

/* Find the used sections; each must lie in the file and appear once. */
static int read_sections(const uint8_t *file, size_t len, Elf64_Shdr sec[NSEC],
			 int have[NSEC], char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	Elf64_Shdr strtab;

	memcpy(&eh, file, sizeof(eh));
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return rs_elf_fail(err, errlen, "xl dump-core: section header size %u,"
			    " expected %zu", eh.e_shentsize, sizeof(Elf64_Shdr));
	if (eh.e_shnum == 0 || eh.e_shnum > MAX_SHNUM)
		return rs_elf_fail(err, errlen, "xl dump-core: e_shnum %u is absurd"
			    " (1..%u)", eh.e_shnum, MAX_SHNUM);
	if (!rs_elf_in_file(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), len))
		return rs_elf_fail(err, errlen, "xl dump-core: section table (%u entries"
			    " at offset %llu) lies outside the file (%zu bytes;"
			    " truncated?)", eh.e_shnum,
			    (unsigned long long)eh.e_shoff, len);
	if (eh.e_shstrndx == SHN_UNDEF || eh.e_shstrndx >= eh.e_shnum)
		return rs_elf_fail(err, errlen, "xl dump-core: section-name table index"
			    " %u is not a section", eh.e_shstrndx);
	memcpy(&strtab, file + eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof(strtab),
	       sizeof(strtab));
	if (!rs_elf_in_file(strtab.sh_offset, strtab.sh_size, len))
		return rs_elf_fail(err, errlen, "xl dump-core: section-name table"
			    " [%llu, +%llu) lies outside the file (%zu bytes)",
			    (unsigned long long)strtab.sh_offset,
			    (unsigned long long)strtab.sh_size, len);
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		size_t max = 0;
		memcpy(&sh, file + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
		const char *name = shname(file, &strtab, sh.sh_name, &max);
		for (unsigned k = 0; k < NSEC; k++) {
			if (!name_is(name, max, sec_name[k]))
				continue;
			if (have[k])
				return rs_elf_fail(err, errlen, "xl dump-core: section %s"
					    " appears twice", sec_name[k]);
			if (!rs_elf_in_file(sh.sh_offset, sh.sh_size, len))
				return rs_elf_fail(err, errlen, "xl dump-core: section %s"
					    " [%llu, +%llu) lies outside the file"
					    " (%zu bytes; truncated?)", sec_name[k],
					    (unsigned long long)sh.sh_offset,
					    (unsigned long long)sh.sh_size, len);
			sec[k] = sh;
			have[k] = 1;
		}
	}
	return 0;
}

/* The header note's four u64s: magic, nr_vcpus, nr_pages, page_size. */
static int read_header_note(const uint8_t *file, const Elf64_Shdr *note,
			    uint64_t hdr[4], char *err, size_t errlen)
{
	uint64_t pos = 0, size = note->sh_size;

	while (size - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, file + note->sh_offset + pos, sizeof(nh));
		uint64_t name4 = ((uint64_t)nh.n_namesz + 3) & ~3ull;
		uint64_t desc4 = ((uint64_t)nh.n_descsz + 3) & ~3ull;
		uint64_t need = sizeof(nh) + name4 + desc4;
		if (need > size - pos)
			return rs_elf_fail(err, errlen, "xl dump-core: a note's sizes (name"
				    " %u, desc %u) run past .note.Xen", nh.n_namesz,
				    nh.n_descsz);
		const uint8_t *name = file + note->sh_offset + pos + sizeof(nh);
		if (nh.n_type == XEN_ELFNOTE_DUMPCORE_HEADER && nh.n_namesz == 4 &&
		    memcmp(name, "Xen", 4) == 0) {
			if (nh.n_descsz < 32)
				return rs_elf_fail(err, errlen, "xl dump-core: header note"
					    " has %u bytes, expected 32", nh.n_descsz);
			for (int i = 0; i < 4; i++)
				hdr[i] = u64_at(name + name4 + 8 * i);
			return 0;
		}
		pos += need;
	}
	return rs_elf_fail(err, errlen, "xl dump-core: no header note (type 0x%x) in"
		    " .note.Xen", XEN_ELFNOTE_DUMPCORE_HEADER);
}

static const char *index_name(const struct rs_dumpcore *d)
{
	return sec_name[d->pv ? SEC_P2M : SEC_PFN];
}

/* Ascending gfns, then only padding: the binary search relies on it. */
static int check_pfns(struct rs_dumpcore *d, char *err, size_t errlen)
{
	const char *idx_name = index_name(d);
	uint64_t k = 0;

	for (; k < d->npages; k++) {
		uint64_t g = rs_dumpcore_gfn(d, k);
		if (g == RS_XC_CORE_INVALID_PFN)
			break;
		if (k && g <= rs_dumpcore_gfn(d, k - 1))
			return rs_elf_fail(err, errlen, "xl dump-core: %s is not"
				    " sorted: entry %llu (gfn 0x%llx) follows gfn"
				    " 0x%llx", idx_name, (unsigned long long)k,
				    (unsigned long long)g,
				    (unsigned long long)rs_dumpcore_gfn(d, k - 1));
		/* A gfn this large is no guest-physical page (52-bit maximum);
		 * it also keeps gfn << 12 from overflowing. */
		if (g >> 40)
			return rs_elf_fail(err, errlen, "xl dump-core: %s entry %llu"
				    " holds frame 0x%llx, beyond any guest-physical"
				    " address", idx_name, (unsigned long long)k,
				    (unsigned long long)g);
	}
	d->nvalid = k;
	for (; k < d->npages; k++)
		if (rs_dumpcore_gfn(d, k) != RS_XC_CORE_INVALID_PFN)
			return rs_elf_fail(err, errlen, "xl dump-core: %s is not"
				    " sorted: entry %llu follows the padding"
				    " at %llu", idx_name, (unsigned long long)k,
				    (unsigned long long)d->nvalid);
	return 0;
}

static int read_prstatus(struct rs_dumpcore *d, const Elf64_Shdr *sh,
			 uint64_t nr_vcpus, char *err, size_t errlen)
{
	if (nr_vcpus == 0 || nr_vcpus > MAX_VCPUS)
		return rs_elf_fail(err, errlen, "xl dump-core: header says %llu vCPUs"
			    " (1..%u)", (unsigned long long)nr_vcpus, MAX_VCPUS);
	/* Entry size as written (sizeof(vcpu_guest_context_any_t)); older
	 * dumpers left sh_entsize 0, so fall back to an even share. */
	uint64_t ent = sh->sh_entsize ? sh->sh_entsize : sh->sh_size / nr_vcpus;
	if (ent < RS_XEN_CTX_SIZE || ent > (1u << 20) ||
	    ent * nr_vcpus > sh->sh_size)
		return rs_elf_fail(err, errlen, "xl dump-core: .xen_prstatus (%llu bytes)"
			    " cannot hold %llu vCPU contexts of %llu bytes (at"
			    " least %u each)", (unsigned long long)sh->sh_size,
			    (unsigned long long)nr_vcpus, (unsigned long long)ent,
			    RS_XEN_CTX_SIZE);
	unsigned n = nr_vcpus > RS_VCPUS_MAX ? RS_VCPUS_MAX : (unsigned)nr_vcpus;
	d->vcpu = calloc(n, sizeof(*d->vcpu));
	if (!d->vcpu)
		return rs_elf_fail(err, errlen, "out of memory");
	/* The dumper packs online vCPUs, so i is the i-th online vCPU. */
	for (unsigned i = 0; i < n; i++)
		rs_xen_ctx_regs(d->file + sh->sh_offset + i * ent, (size_t)ent, i,
				&d->vcpu[i]);
	d->nvcpu = n;
	return 0;
}

/* The page index the header's magic calls for: .xen_pfn (u64 gfns) for
 * HVM/PVH, .xen_p2m ({pfn, gmfn} pairs) for PV. A dump with the other
 * one, or both, is not what libxenguest writes: which to trust would be
 * the file's choice. Sets npages, pfn_off, pfn_stride and pv. */
static int pick_index(uint64_t magic, const Elf64_Shdr sec[NSEC],
		      const int have[NSEC], struct rs_dumpcore *d, char *err,
		      size_t errlen)
{
	if (magic != RS_XC_CORE_MAGIC && magic != RS_XC_CORE_MAGIC_HVM)
		return rs_elf_fail(err, errlen, "xl dump-core: header magic 0x%llx, expected"
			    " 0x%llx (HVM/PVH) or 0x%llx (PV)",
			    (unsigned long long)magic, RS_XC_CORE_MAGIC_HVM,
			    RS_XC_CORE_MAGIC);
	d->pv = magic == RS_XC_CORE_MAGIC;
	int want = d->pv ? SEC_P2M : SEC_PFN, other = d->pv ? SEC_PFN : SEC_P2M;
	if (have[other])
		return rs_elf_fail(err, errlen, "xl dump-core: the header says %s but"
			    " the dump has a %s section, which only %s dumps have",
			    d->pv ? "PV" : "HVM/PVH", sec_name[other],
			    d->pv ? "HVM/PVH" : "PV");
	if (!have[want])
		return rs_elf_fail(err, errlen, "xl dump-core: no %s section (a %s"
			    " dump's page index)", sec_name[want],
			    d->pv ? "PV" : "HVM/PVH");
	d->pfn_stride = d->pv ? P2M_ENTRY : 8;
	if (sec[want].sh_size % d->pfn_stride)
		return rs_elf_fail(err, errlen, "xl dump-core: %s is %llu bytes, not"
			    " a whole number of %llu-byte entries", sec_name[want],
			    (unsigned long long)sec[want].sh_size,
			    (unsigned long long)d->pfn_stride);
	d->npages = sec[want].sh_size / d->pfn_stride;
	d->pfn_off = sec[want].sh_offset;
	return 0;
}

int rs_dumpcore_parse(const uint8_t *file, size_t len, struct rs_dumpcore *d,
		      char *err, size_t errlen)
{
	Elf64_Shdr sec[NSEC];
	int have[NSEC] = { 0 };
	uint64_t hdr[4], bytes;
	Elf64_Ehdr eh;

	memset(d, 0, sizeof(*d));
	memset(sec, 0, sizeof(sec));
	d->file = file;
	d->len = len;
	if (len < sizeof(eh))
		return rs_elf_fail(err, errlen, "truncated ELF file (%zu bytes)", len);
	memcpy(&eh, file, sizeof(eh));
	if (eh.e_machine != EM_X86_64)
		return rs_elf_fail(err, errlen, "xl dump-core for ELF machine %u; only"
			    " x86-64 is supported", eh.e_machine);
	if (read_sections(file, len, sec, have, err, errlen) != 0)
		return -1;
	if (!have[SEC_NOTE])
		return rs_elf_fail(err, errlen, "xl dump-core: no .note.Xen section");
	if (read_header_note(file, &sec[SEC_NOTE], hdr, err, errlen) != 0)
		return -1;
	if (pick_index(hdr[0], sec, have, d, err, errlen) != 0)
		return -1;
	if (hdr[3] != PAGE)
		return rs_elf_fail(err, errlen, "xl dump-core: page size %llu, only %u is"
			    " supported", (unsigned long long)hdr[3], PAGE);
	if (!have[SEC_PAGES])
		return rs_elf_fail(err, errlen, "xl dump-core: no .xen_pages section");
	d->pages_off = sec[SEC_PAGES].sh_offset;
	/* Both sections are inside the file, so npages <= len / 8 and the
	 * product below cannot overflow; still, say so rather than assume. */
	if (__builtin_mul_overflow(d->npages, (uint64_t)PAGE, &bytes) ||
	    bytes != sec[SEC_PAGES].sh_size)
		return rs_elf_fail(err, errlen, "xl dump-core: %s lists %llu pages"
			    " but .xen_pages holds %llu bytes (%llu pages)",
			    index_name(d),
			    (unsigned long long)d->npages,
			    (unsigned long long)sec[SEC_PAGES].sh_size,
			    (unsigned long long)(sec[SEC_PAGES].sh_size / PAGE));
	if (hdr[2] != d->npages)
		return rs_elf_fail(err, errlen, "xl dump-core: header says %llu pages,"
			    " %s lists %llu", (unsigned long long)hdr[2],
			    index_name(d),
			    (unsigned long long)d->npages);
	if (d->npages == 0)
		return rs_elf_fail(err, errlen, "xl dump-core holds no guest pages");
	if (check_pfns(d, err, errlen) != 0)
		return -1;
	if (have[SEC_PRSTATUS] &&
	    read_prstatus(d, &sec[SEC_PRSTATUS], hdr[1], err, errlen) != 0) {
		rs_dumpcore_free(d);
		return -1;
	}
	return 0;
}

void rs_dumpcore_free(struct rs_dumpcore *d)
{
	free(d->vcpu);
	d->vcpu = NULL;
	d->nvcpu = 0;
}

uint64_t rs_dumpcore_gfn(const struct rs_dumpcore *d, uint64_t k)
{
	/* A .xen_p2m entry starts with its pfn. */
	return u64_at(d->file + d->pfn_off + k * d->pfn_stride);
}

int64_t rs_dumpcore_find(const struct rs_dumpcore *d, uint64_t gfn)
{
	uint64_t lo = 0, hi = d->nvalid;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2, g = rs_dumpcore_gfn(d, mid);
		if (g == gfn)
			return (int64_t)mid;
		if (g < gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const uint8_t *rs_dumpcore_page(const struct rs_dumpcore *d, uint64_t k)
{
	return d->file + d->pages_off + k * PAGE;
}
