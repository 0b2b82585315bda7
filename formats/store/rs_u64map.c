/*
 * rs_u64map.c - the u64 -> u64 map (see rs_u64map.h).
 *
 * One slot holds key and value side by side, so a probe touches one cache
 * line; key 0 marks an empty slot, and the real key 0 is kept beside the
 * table. The table is at most half full, so probes stay short.
 */
#include "rs_u64map.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* The one hash: the 64-bit finalizer of MurmurHash3 (first half), which
 * spreads ids handed out by counters (1, 2, 3 ...) over the table. */
static size_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k;
}

uint64_t *rs_u64map_find(const struct rs_u64map *m, uint64_t k)
{
	assert(m);
	if (k == 0)
		return m->has_zero ? (uint64_t *)&m->zero_val : NULL;
	if (!m->cap)
		return NULL;
	for (size_t i = mix(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct rs_u64map_slot *s = &m->slot[i];
		if (s->key == k)
			return &s->val;
		if (s->key == 0)
			return NULL;
	}
}

/* Place a key known to be absent; there is room. */
static struct rs_u64map_slot *place(struct rs_u64map_slot *slot, size_t cap,
				    uint64_t k)
{
	size_t i = mix(k) & (cap - 1);
	while (slot[i].key)
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

static int grow(struct rs_u64map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct rs_u64map_slot *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i].key)
			*place(slot, cap, m->slot[i].key) = m->slot[i];
	free(m->slot);
	m->slot = slot;
	m->cap = cap;
	return 0;
}

uint64_t *rs_u64map_put(struct rs_u64map *m, uint64_t k, uint64_t init)
{
	uint64_t *v = rs_u64map_find(m, k);

	if (v)
		return v;
	if (k == 0) {
		m->has_zero = 1;
		m->zero_val = init;
		return &m->zero_val;
	}
	if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
		return NULL;
	struct rs_u64map_slot *s = place(m->slot, m->cap, k);
	s->key = k;
	s->val = init;
	m->n++;
	assert(m->n * 2 <= m->cap);
	return &s->val;
}

size_t rs_u64map_count(const struct rs_u64map *m)
{
	return m->n + (m->has_zero != 0);
}

/* *pos 0 is key 0; pos i > 0 is slot i - 1. */
int rs_u64map_next(const struct rs_u64map *m, size_t *pos, uint64_t *key,
		   uint64_t *val)
{
	assert(m && pos && *pos <= m->cap + 1);
	if (*pos == 0) {
		*pos = 1;
		if (m->has_zero) {
			*key = 0;
			*val = m->zero_val;
			return 1;
		}
	}
	for (; *pos <= m->cap; ++*pos) {
		const struct rs_u64map_slot *s = &m->slot[*pos - 1];
		if (s->key) {
			*key = s->key;
			*val = s->val;
			++*pos;
			return 1;
		}
	}
	return 0;
}

void rs_u64map_clear(struct rs_u64map *m)
{
	if (m->n)
		memset(m->slot, 0, m->cap * sizeof(*m->slot));
	m->n = 0;
	m->has_zero = 0;
}

void rs_u64map_free(struct rs_u64map *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}
