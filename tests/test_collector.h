/*
 * test_collector.h - helpers shared by the tests that drive the `ringside`
 * binary (test_collector*.c, test_qemu*.c, test_core.c): ring files made
 * with the real guest-trace writer, reading the resulting database, and
 * the output contract. Implemented in tests/collector/test_collector.c.
 */
#ifndef RS_TEST_COLLECTOR_H
#define RS_TEST_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "ringside_ring.h"

#define MiB (1024u * 1024u)
#define RING_SIZE (256u * 1024u)

/* "dir/name", malloc'd. */
char *path_in(const char *dir, const char *name);
/* Map (creating or resizing) a ring file for writing, as a guest would. */
struct rs_header *map_file(const char *path, size_t size);
void init_region(struct rs_header *h, size_t size, uint32_t ncpus,
		 uint32_t mode, uint64_t nonce);
/* Events [from, to): a fixed mix of types over the CPUs; tallied in
 * counts[] by type when given. */
void emit_range(struct rs_header *h, uint32_t ncpus, uint64_t from,
		uint64_t to, uint64_t counts[RS_EV_TYPE_LIMIT]);
/* A complete, valid ring file holding `n` events and the given state. */
char *make_ring(const char *dir, const char *name, size_t size,
		uint32_t ncpus, uint64_t n, uint32_t state);
int exists(const char *path);
/* stderr holds exactly one non-empty line starting "ringside: ". */
void assert_one_line(const char *out);
/* First column of the first row of `sql` on `db` (read-only); -1 if none. */
int64_t sql_int(const char *db, const char *sql);
/* A number from `ringside info --json`; INT64_MIN if absent or null. */
int64_t json_int(const char *json, const char *key);
/* Does the JSON have `"key": raw`? */
int json_has(const char *json, const char *key, const char *raw);
/* `ringside info DB --json`, which must succeed; malloc'd. */
char *info_json(const char *db);
/* `ringside collect file:RING -o DB EXTRA`; stderr in *out. */
int collect(const char *ring, const char *db, const char *extra, char **out);
/* Write `len` bytes to dir/name; returns the path (malloc'd). */
char *write_bytes(const char *dir, const char *name, const uint8_t *bytes,
		  size_t len);
/* `ringside collect core:CORE -o DB`, stderr into *out; the exit status. */
int collect_core_file(const char *core, const char *db, char **out);

#endif
