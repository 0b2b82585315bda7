/*
 * idmap.c - the growth and the rest of the viewer's id map (idmap.h says
 * why it has a dense array in front of the shared u64 map).
 */
#include "idmap.h"

#include <assert.h>
#include <glib.h>
#include <string.h>

/* Room in the dense array for id k, growing it if the ids held stay
 * dense enough to pay for it; 0 if k belongs in the hash. */
static int dense_fits(rv_idmap *m, uint64_t k)
{
	if (k < m->dense_cap)
		return 1;
	if (k >= RV_DENSE_MAX)
		return 0;
	uint32_t cap = m->dense_cap ? m->dense_cap : 4096;
	while (cap <= k)
		cap *= 2;
	const uint64_t held = (uint64_t)m->dense_n + rs_u64map_count(&m->hash) + 1;
	if (cap > 4096 && cap > held * RV_DENSE_SLOTS_PER_ID)
		return 0;
	m->dense = g_renew(uint32_t, m->dense, cap);
	memset(m->dense + m->dense_cap, 0,
	       (cap - m->dense_cap) * sizeof(*m->dense));
	m->dense_cap = cap;
	assert(m->dense_cap > k && m->dense_cap <= RV_DENSE_MAX);
	return 1;
}

/* An id may sit in the hash from before the dense array grew over it;
 * rv_idmap_get looks in the dense array first, so a newer value put there
 * hides the stale one. */
void rv_idmap_put(rv_idmap *m, uint64_t k, uint32_t v)
{
	assert(v < UINT32_MAX);
	if (dense_fits(m, k)) {
		m->dense_n += m->dense[k] == 0;
		m->dense[k] = v + 1;
		return;
	}
	uint64_t *slot = rs_u64map_put(&m->hash, k, v);
	if (!slot)
		g_error("out of memory");   /* as g_new would */
	*slot = v;
}

void rv_idmap_free(rv_idmap *m)
{
	rs_u64map_free(&m->hash);
	g_free(m->dense);
	memset(m, 0, sizeof *m);
}
