/*
 * symbolize.c - function and file:line for guest code addresses, from the
 * kernel ELF through elfutils' libdwfl (symbol table, DWARF scopes and
 * line table), so crash frames read as code rather than numbers.
 *
 * libdwfl is used "offline": one module, the ELF at its link addresses,
 * which is where the ringside kernel runs (it is not relocated). Its
 * callbacks never search for separate debuginfo files (no debuginfod, no
 * /usr/lib/debug): the names come from the file given, or not at all.
 */
#include <assert.h>
#include <dwarf.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "info.h"
#include "store.h"
#include "symbolize.h"

/* Executable ranges kept; the ringside kernel has one (.text). */
#define TEXT_RANGES_MAX 64

struct rs_symbolizer {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct { uint64_t lo, hi; } text[TEXT_RANGES_MAX];
	unsigned ntext;
};

static int no_elf(Dwfl_Module *mod, void **userdata, const char *modname,
		  Dwarf_Addr base, char **file_name, Elf **elfp)
{
	return -1;
}

static int no_debuginfo(Dwfl_Module *mod, void **userdata,
			const char *modname, Dwarf_Addr base,
			const char *file_name, const char *debuglink_file,
			GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	return -1;
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = no_elf,
	.find_debuginfo = no_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* Open without blocking (a FIFO would wait for a writer), and accept only
 * a regular file that starts like a 64-bit x86-64 ELF. */
static int open_elf_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat sb;
	Elf64_Ehdr eh;

	if (fd < 0) {
		snprintf(err, errlen, "--kernel %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "--kernel %s: not a regular file", path);
		goto fail;
	}
	if (sb.st_size < (off_t)sizeof(eh) ||
	    pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
		snprintf(err, errlen, "--kernel %s: not an ELF file", path);
		goto fail;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		snprintf(err, errlen, "--kernel %s: not a 64-bit x86-64 ELF", path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static void add_text(struct rs_symbolizer *s, uint64_t lo, uint64_t size)
{
	if (s->ntext < TEXT_RANGES_MAX && size && lo + size > lo) {
		s->text[s->ntext].lo = lo;
		s->text[s->ntext].hi = lo + size;
		s->ntext++;
	}
}

/* The executable sections (or, without section headers, the executable
 * segments): an address elsewhere is not code of this kernel. */
static void find_text(struct rs_symbolizer *s, Elf *elf, Dwarf_Addr bias)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS &&
		    (sh.sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) ==
			    (SHF_ALLOC | SHF_EXECINSTR))
			add_text(s, sh.sh_addr + bias, sh.sh_size);
	if (s->ntext)
		return;
	size_t n = 0;
	GElf_Phdr ph;
	if (elf_getphdrnum(elf, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    (ph.p_flags & PF_X))
			add_text(s, ph.p_vaddr + bias, ph.p_filesz);
}

struct rs_symbolizer *rs_sym_open(const char *path, char *err, size_t errlen)
{
	struct rs_symbolizer *s = calloc(1, sizeof(*s));
	int fd = open_elf_file(path, err, errlen);

	if (fd < 0 || !s)
		goto fail;
	s->dwfl = dwfl_begin(&offline_callbacks);
	if (!s->dwfl)
		goto dwfl_fail;
	/* libdwfl gets a duplicate: it owns it on success, and whether it
	 * closed it on failure is not documented, so ours is closed here
	 * either way and never twice (a failure leaks at most the copy, in
	 * a command that is about to exit). */
	int copy = dup(fd);
	close(fd);
	fd = -1;
	s->mod = copy < 0 ? NULL : dwfl_report_offline(s->dwfl, "kernel", path, copy);
	if (!s->mod)
		goto dwfl_fail;
	dwfl_report_end(s->dwfl, NULL, NULL);
	Dwarf_Addr bias = 0;
	Elf *elf = dwfl_module_getelf(s->mod, &bias);
	if (!elf)
		goto dwfl_fail;
	find_text(s, elf, bias);
	if (!s->ntext) {
		/* Nothing could ever be named: say so now, not "??" later. */
		snprintf(err, errlen, "--kernel %s: no executable code in this"
			 " ELF (truncated?)", path);
		goto fail;
	}
	Dwarf_Addr dbias;
	if (dwfl_module_getsymtab(s->mod) <= 0 && !dwfl_module_getdwarf(s->mod, &dbias)) {
		snprintf(err, errlen, "--kernel %s: no symbols and no DWARF in this"
			 " ELF (stripped or truncated?)", path);
		goto fail;
	}
	return s;
dwfl_fail:
	snprintf(err, errlen, "--kernel %s: not a readable ELF (%s)", path,
		 dwfl_errmsg(-1));
fail:
	if (fd >= 0)
		close(fd);
	if (!s)
		snprintf(err, errlen, "out of memory");
	rs_sym_close(s);
	return NULL;
}

struct rs_symbolizer *rs_sym_open_cli(const char *path)
{
	char err[600];
	struct rs_symbolizer *s = rs_sym_open(path, err, sizeof(err));

	if (!s)
		fprintf(stderr, "ringside: %s\n", err);
	return s;
}

void rs_sym_close(struct rs_symbolizer *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s);
}

static int in_text(const struct rs_symbolizer *s, uint64_t addr)
{
	for (unsigned i = 0; i < s->ntext; i++)
		if (addr >= s->text[i].lo && addr < s->text[i].hi)
			return 1;
	return 0;
}

/* The innermost function whose code `addr` is, inlined ones included, so
 * the name agrees with the line table's file:line. NULL if DWARF has no
 * scope for it. */
static const char *scope_name(Dwfl_Module *mod, Dwarf_Addr addr)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias);
	Dwarf_Die *scopes = NULL;
	const char *name = NULL;

	if (!cu)
		return NULL;
	int n = dwarf_getscopes(cu, addr - bias, &scopes);
	for (int i = 0; i < n && !name; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine)
			name = dwarf_diename(&scopes[i]);
	}
	free(scopes);
	return name;
}

void rs_sym_lookup(struct rs_symbolizer *s, uint64_t addr, int is_return,
		   struct rs_sym_name *out)
{
	memset(out, 0, sizeof(*out));
	out->tried = 1;
	if (is_return && addr)
		addr--;
	if (!in_text(s, addr))
		return;
	const char *name = scope_name(s->mod, addr);
	if (!name) {
		GElf_Off off;
		GElf_Sym sym;
		name = dwfl_module_addrinfo(s->mod, addr, &off, &sym, NULL, NULL,
					    NULL);
	}
	snprintf(out->function, sizeof(out->function), "%s", name ? name : "");
	Dwfl_Line *line = dwfl_module_getsrc(s->mod, addr);
	int lineno = 0;
	const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL,
						NULL, NULL) : NULL;
	if (!file || lineno <= 0)
		return;
	/* Relative to the build directory reads better than the absolute
	 * path of whatever machine built the kernel. */
	const char *dir = dwfl_line_comp_dir(line);
	size_t dl = dir ? strlen(dir) : 0;
	if (dl && strncmp(file, dir, dl) == 0 && file[dl] == '/')
		file += dl + 1;
	snprintf(out->file, sizeof(out->file), "%s", file);
	out->line = lineno;
}

void rs_sym_summary(struct rs_symbolizer *s, struct rs_summary *sum)
{
	/* A software panic() records its return address as rip; an
	 * exception, the faulting instruction; the host's verdict, where
	 * the vCPU stood. */
	int rip_returns = sum->has_vector && sum->panic_vector == RS_PANIC_VECTOR_NONE;

	if (sum->has_panic && sum->has_rip)
		rs_sym_lookup(s, sum->panic_rip, rip_returns, &sum->panic_rip_name);
	for (int i = 0; i < sum->nbacktrace; i++) {
		assert(i < (int)RS_BACKTRACE_MAX);
		/* Frame 0 is the rip itself; the rest are return addresses. */
		rs_sym_lookup(s, sum->backtrace[i], i ? 1 : rip_returns,
			      &sum->backtrace_name[i]);
	}
	for (int i = 0; i < sum->nvcpu; i++) {
		uint64_t rip;
		if (rs_vcpu_regs_get(&sum->vcpu[i], "rip", &rip) == 0)
			rs_sym_lookup(s, rip, 0, &sum->vcpu_rip_name[i]);
	}
	/* A CPU the panic stopped, where the stop interrupted it (exact);
	 * the CPU that panicked, as the panic record's rip. */
	for (int i = 0; i < sum->npanic_cpus; i++) {
		const struct rs_panic_cpu *p = &sum->panic_cpus[i];
		uint64_t rip;
		if (rs_vcpu_regs_get(&p->regs, "rip", &rip) == 0)
			rs_sym_lookup(s, rip, strcmp(p->state, "panicked") == 0 &&
				      rip_returns, &sum->panic_cpu_rip_name[i]);
	}
}

int rs_info_kernel(const char *db_path, int64_t trace_id, int json,
		   const char *kernel)
{
	struct rs_symbolizer *sym = rs_sym_open_cli(kernel);

	if (!sym)
		return 1;
	int rc = rs_info_named(db_path, trace_id, json, sym, rs_sym_summary);
	rs_sym_close(sym);
	return rc;
}
