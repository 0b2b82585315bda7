/*
 * fuzz.h - what the fuzz harnesses (fuzz_*.c) share: the libFuzzer entry
 * points (declared here so the harnesses build with the project's
 * -Wmissing-prototypes, and so replay.c can call them), and helpers that
 * give the code under test its input the way the real tools do: a
 * page-aligned mapping, a file descriptor, a path in a private temp dir.
 *
 * Every helper leaves nothing behind between inputs: libFuzzer runs
 * millions of inputs in one process, and state that survives one input
 * would make findings irreproducible.
 */
#ifndef RS_FUZZ_H
#define RS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken invariant is a finding: say which and abort (libFuzzer and
 * the replay driver both report an abort as a crash). */
#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond))                                                 \
			fuzz_fail(__FILE__, __LINE__, #cond);                \
	} while (0)
void fuzz_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));
/* Where fuzz_fail writes (replay.c points it at the real stderr while the
 * code under test's own stderr is silenced). */
extern int fuzz_report_fd;

/* A page-aligned private copy of the input, as mmap would give it (the
 * decoder reads ring words with aligned loads). Free with free(). NULL
 * only if out of memory. Sized exactly, so ASan sees any overread. */
uint8_t *fuzz_aligned_copy(const uint8_t *data, size_t size);

/*
 * Read a ring the way the collect loop does: validate the header at
 * `region` (expecting `gpa` unless RS_GPA_ANY), snapshot the status, and
 * poll every CPU several times, checking what the decoder promises about
 * each event. Returns the events delivered, or -1 if the header was
 * refused.
 */
long fuzz_read_ring(const volatile void *region, size_t len, uint64_t gpa);

/* A private directory (under /dev/shm when it exists, so the DB target is
 * not disk bound) created once per process and removed at exit; the path
 * of `name` inside it is written to `buf`. */
const char *fuzz_tmp_path(const char *name, char *buf, size_t len);
/* Replace the file at `path` with exactly these bytes. 0 or -1. */
int fuzz_write_file(const char *path, const uint8_t *data, size_t size);
/* Remove everything in the temp dir (files and one level of dirs). */
void fuzz_tmp_clean(void);

/*
 * Run an importer (rs_import_mirage_mem, rs_import_fxt_mem) on the input
 * through a sink that checks every event as the store would need it: a
 * type the decoder knows and a guest may write, a CPU in range, record
 * numbers from 0 without a hole per CPU, a NUL-terminated string, raw
 * bytes that decode to the same event; and that a refusal says why in
 * one line, and an acceptance counted what it delivered.
 */
struct rs_import_sink;
struct rs_import_stats;
typedef int (*fuzz_importer)(const uint8_t *buf, size_t len,
			     const struct rs_import_sink *sink,
			     struct rs_import_stats *st, char *err,
			     size_t errlen);
void fuzz_import(fuzz_importer imp, const uint8_t *data, size_t size);

#endif /* RS_FUZZ_H */
