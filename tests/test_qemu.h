/*
 * test_qemu.h - what the QEMU test files (tests/test_qemu*.c) share:
 * running `ringside run` on the real kernel under QEMU TCG in a private
 * temp dir, and checking nothing is left behind. Implemented in
 * tests/collector/test_qemu.c.
 */
#ifndef RS_TEST_QEMU_H
#define RS_TEST_QEMU_H

#include <stdint.h>

struct qrun {
	char *dir;       /* private temp dir; its path marks our QEMUs */
	char *kernel;    /* dir/kernel.elf, a link to the built kernel */
	char *db;        /* dir/t.db */
	char *out;       /* stdout+stderr of the last command */
	int rc;
	double secs;     /* wall time of the last command */
};

/* The built kernel, or NULL (then the QEMU tests skip). */
const char *qemu_kernel(void);
/* Skips the test unless QEMU and the kernel are there; sets up q. */
void qrun_begin(struct qrun *q);
/* `ringside run --kernel K -o DB ARGS` (ARGS printf-style). */
int qrun(struct qrun *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The README's QEMU command line (q35 plus `machine`'s extra options) with
 * the guest's RAM in `shm` and `append` on its kernel command line. */
void qemu_cmdline(char *cmd, size_t len, const struct qrun *q,
		  const char *machine, const char *shm, const char *append);

/*
 * The QEMU command line samples/qemu/README.md documents, started by hand
 * (so the guest gets no tsc_khz= from ringside), with `ringside collect
 * file:... -o DB --follow --wait-secs 10 COLLECT_ARGS` alongside. `machine`
 * is appended to -machine's options ("" or e.g. ",hpet=off"). QEMU is
 * stopped once the collect ends. Sets q->rc, q->out.
 */
int qemu_by_hand(struct qrun *q, const char *machine, const char *append,
		 const char *collect_args);
/* Asserts no QEMU of ours and no /dev/shm/ringside-* remain, then
 * removes the temp dir. */
void qrun_end(struct qrun *q);
void assert_no_leftovers(const char *marker);
/* Events of the latest trace of `db` with the given type. */
int64_t ev_count(const char *db, int type);
int64_t ev_count_where(const char *db, int type, const char *cond);
double now_secs(void);

#endif
