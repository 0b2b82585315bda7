/*
 * rs_u64map.h - a small map from u64 to u64 (open addressing, linear
 * probing, never shrinks), for the ids a guest hands out: promise ids and
 * thread ids, any 64-bit value, 0 and UINT64_MAX included. The collector's
 * ingest, the report and the viewer's derivation all key by them; this is
 * their one map and its one hash function.
 *
 * A zeroed struct is an empty map. Values are the caller's: an index into
 * its own array, a time, a pointer cast to u64.
 */
#ifndef RS_U64MAP_H
#define RS_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct rs_u64map_slot {
	uint64_t key;   /* 0 marks an empty slot; key 0 itself lives apart */
	uint64_t val;
};

struct rs_u64map {
	struct rs_u64map_slot *slot;
	size_t cap;             /* 0 or a power of two */
	size_t n;               /* keys held in slot (key 0 not counted) */
	int has_zero;
	uint64_t zero_val;      /* key 0's value, when has_zero */
};

/* The value of k, or NULL if absent. Valid until the next put. */
uint64_t *rs_u64map_find(const struct rs_u64map *m, uint64_t k);
/* The value of k, inserted as `init` if absent; NULL if out of memory
 * (the map is unchanged then). Valid until the next put. */
uint64_t *rs_u64map_put(struct rs_u64map *m, uint64_t k, uint64_t init);
/* Keys held. */
size_t rs_u64map_count(const struct rs_u64map *m);
/* Every key, in no order: start with *pos = 0 and call while it returns
 * 1 (then *key and *val are set); no put in between. */
int rs_u64map_next(const struct rs_u64map *m, size_t *pos, uint64_t *key,
		   uint64_t *val);
/* Forget every key; the table keeps its size (cleared only if used). */
void rs_u64map_clear(struct rs_u64map *m);
/* Free the table; the map is empty and usable again. */
void rs_u64map_free(struct rs_u64map *m);

#endif /* RS_U64MAP_H */
