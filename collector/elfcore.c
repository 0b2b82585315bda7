/*
 * elfcore.c - the ELF64 core parser behind `collect core:` (elfcore.h).
 *
 * The rules, each of which a test breaks on purpose:
 *   - every offset + size is computed without overflow and must lie in
 *     the file; counts are bounded before anything is multiplied by them;
 *   - program headers may be PN_XNUM-extended (count in section 0), as
 *     QEMU writes for machines with many RAM blocks;
 *   - segment file offsets need not be page aligned (QEMU's are not);
 *   - notes are walked with their 4-byte padding, and a note whose sizes
 *     run past its segment is an error, not a stopping point;
 *   - an xl dump-core file (sections .note.Xen, .xen_pages, .xen_pfn) is
 *     not this format: source_core.c sends those to dumpcore.c first, and
 *     this parser refuses one by name should it get one anyway.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpcore.h"
#include "elfcore.h"

#define MAX_PHNUM  (1u << 20)  /* far above any real dump; bounds the work */

/* x86-64 struct elf_prstatus: pr_reg (user_regs_struct) at offset 112. */
#define PRSTATUS_REG_OFF  112u
static const char *const user_regs[] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "rflags",
	"rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
};
#define NUSER_REGS (sizeof(user_regs) / sizeof(user_regs[0]))

int rs_elf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int rs_elf_in_file(uint64_t off, uint64_t size, size_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, size, &end) && end <= len;
}

/* Is `count` entries of `entsize` bytes at `off` inside the file? */
static int table_in_file(uint64_t off, uint64_t count, uint64_t entsize,
			 size_t len)
{
	uint64_t bytes;

	return !__builtin_mul_overflow(count, entsize, &bytes) &&
	       rs_elf_in_file(off, bytes, len);
}

static uint32_t align4(uint32_t v)
{
	return (uint32_t)(((uint64_t)v + 3) & ~3ull);
}

static int add_prstatus(struct rs_elfcore *c, const uint8_t *desc,
			uint32_t descsz, uint64_t at, char *err, size_t errlen)
{
	if (descsz < PRSTATUS_REG_OFF + NUSER_REGS * 8)
		return rs_elf_fail(err, errlen, "NT_PRSTATUS note at offset %llu has %u"
			    " bytes, too few for x86-64 registers (%zu)",
			    (unsigned long long)at, descsz,
			    PRSTATUS_REG_OFF + NUSER_REGS * 8);
	if (c->nvcpu >= RS_VCPUS_MAX)
		return 0;  /* more CPUs than we keep: the first ones suffice */
	struct rs_vcpu_regs *v = &c->vcpu[c->nvcpu];
	memset(v, 0, sizeof(*v));
	v->cpu = c->nvcpu++;
	for (unsigned i = 0; i < NUSER_REGS; i++) {
		uint64_t r;
		memcpy(&r, desc + PRSTATUS_REG_OFF + i * 8, 8);
		rs_vcpu_regs_add(v, user_regs[i], r);
	}
	return 0;
}

/* Walk one PT_NOTE segment, already checked to lie in the file. */
static int walk_notes(struct rs_elfcore *c, const uint8_t *file, uint64_t off,
		      uint64_t size, char *err, size_t errlen)
{
	uint64_t pos = 0;

	while (size - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, file + off + pos, sizeof(nh));
		/* u32 sizes: the sum cannot overflow 64 bits. */
		uint64_t need = sizeof(nh) + (uint64_t)align4(nh.n_namesz) +
				align4(nh.n_descsz);
		if (nh.n_namesz > UINT32_MAX - 3 || nh.n_descsz > UINT32_MAX - 3 ||
		    need > size - pos)
			return rs_elf_fail(err, errlen, "note at file offset %llu: sizes"
				    " (name %u, desc %u) run past its PT_NOTE segment",
				    (unsigned long long)(off + pos), nh.n_namesz,
				    nh.n_descsz);
		const uint8_t *name = file + off + pos + sizeof(nh);
		const uint8_t *desc = name + align4(nh.n_namesz);
		if (nh.n_type == NT_PRSTATUS && nh.n_namesz == 5 &&
		    memcmp(name, "CORE", 5) == 0 &&
		    add_prstatus(c, desc, nh.n_descsz, off + pos, err, errlen) != 0)
			return -1;
		pos += need;
	}
	return 0;
}

int rs_elfcore_parse(const uint8_t *file, size_t len, struct rs_elfcore *c,
		     char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	uint64_t phnum;

	memset(c, 0, sizeof(*c));
	if (len < EI_NIDENT || memcmp(file, ELFMAG, SELFMAG) != 0)
		return rs_elf_fail(err, errlen, "not an ELF file (no \\177ELF magic)");
	if (len < sizeof(eh))
		return rs_elf_fail(err, errlen, "truncated ELF file (%zu bytes, the header"
			    " alone is %zu)", len, sizeof(eh));
	memcpy(&eh, file, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return rs_elf_fail(err, errlen, "not a 64-bit little-endian ELF file");
	if (rs_dumpcore_is(file, len))
		return rs_elf_fail(err, errlen, "this is an xl dump-core file (Xen), not"
			    " a QEMU core");
	if (eh.e_type != ET_CORE)
		return rs_elf_fail(err, errlen, "an ELF file but not a core dump (e_type %u)",
			    eh.e_type);
	if (eh.e_machine != EM_X86_64)
		return rs_elf_fail(err, errlen, "core for ELF machine %u; only x86-64"
			    " cores are supported", eh.e_machine);
	phnum = eh.e_phnum;
	if (phnum == PN_XNUM) {
		/* The real count is in section 0's sh_info. */
		Elf64_Shdr sh0;
		if (eh.e_shentsize != sizeof(sh0) ||
		    !table_in_file(eh.e_shoff, 1, sizeof(sh0), len))
			return rs_elf_fail(err, errlen, "e_phnum is PN_XNUM but section 0"
				    " is outside the file");
		memcpy(&sh0, file + eh.e_shoff, sizeof(sh0));
		phnum = sh0.sh_info;
	}
	if (phnum == 0)
		return rs_elf_fail(err, errlen, "core has no program headers: no guest memory");
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return rs_elf_fail(err, errlen, "program header size %u, expected %zu",
			    eh.e_phentsize, sizeof(Elf64_Phdr));
	if (phnum > MAX_PHNUM ||
	    !table_in_file(eh.e_phoff, phnum, sizeof(Elf64_Phdr), len))
		return rs_elf_fail(err, errlen, "program header table (%llu entries at"
			    " offset %llu) lies outside the file (%zu bytes)",
			    (unsigned long long)phnum,
			    (unsigned long long)eh.e_phoff, len);

	c->load = calloc(phnum, sizeof(*c->load));
	c->vcpu = calloc(RS_VCPUS_MAX, sizeof(*c->vcpu));
	if (!c->load || !c->vcpu) {
		rs_elfcore_free(c);
		return rs_elf_fail(err, errlen, "out of memory");
	}
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		uint64_t end;
		memcpy(&ph, file + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE)
			continue;
		if (!rs_elf_in_file(ph.p_offset, ph.p_filesz, len)) {
			rs_elf_fail(err, errlen, "program header %llu: [%llu, +%llu) lies"
			     " outside the file (%zu bytes; truncated core?)",
			     (unsigned long long)i, (unsigned long long)ph.p_offset,
			     (unsigned long long)ph.p_filesz, len);
			goto bad;
		}
		if (ph.p_type == PT_NOTE) {
			if (walk_notes(c, file, ph.p_offset, ph.p_filesz, err,
				       errlen) != 0)
				goto bad;
			continue;
		}
		if (__builtin_add_overflow(ph.p_paddr, ph.p_filesz, &end)) {
			rs_elf_fail(err, errlen, "program header %llu: physical range"
			     " 0x%llx +0x%llx wraps around", (unsigned long long)i,
			     (unsigned long long)ph.p_paddr,
			     (unsigned long long)ph.p_filesz);
			goto bad;
		}
		if (ph.p_filesz == 0)
			continue;
		c->load[c->nload++] = (struct rs_elf_load){
			.paddr = ph.p_paddr, .offset = ph.p_offset,
			.filesz = ph.p_filesz };
	}
	if (c->nload == 0) {
		rs_elf_fail(err, errlen, "core has no PT_LOAD segment with data: no guest memory");
		goto bad;
	}
	return 0;
bad:
	rs_elfcore_free(c);
	return -1;
}

void rs_elfcore_free(struct rs_elfcore *c)
{
	free(c->load);
	free(c->vcpu);
	memset(c, 0, sizeof(*c));
}
