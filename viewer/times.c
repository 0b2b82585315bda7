/*
 * times.c - int64 times in 4 bytes each (times.h).
 */
#include "times.h"

#include <assert.h>
#include <glib.h>
#include <stdlib.h>

_Thread_local uint64_t rv_work;

static int u32_cmp(const void *a, const void *b)
{
	const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int64_t rv_u32_find(const uint32_t *a, uint32_t n, uint32_t v)
{
	const uint32_t *p = n ? bsearch(&v, a, n, sizeof *a, u32_cmp) : NULL;
	return p ? p - a : -1;
}

int64_t rv_times_far(const rv_times *a, uint32_t i)
{
	const int64_t k = rv_u32_find(a->far_i, a->nfar, i);
	assert(k >= 0);
	return a->far_t[k];
}

void rv_tb_grow(uint32_t **off, int64_t **base, uint32_t *cap)
{
	*cap = *cap ? (*cap > UINT32_MAX / 2 ? UINT32_MAX : *cap * 2)
		    : RV_TB_LEN;
	*off = g_realloc_n(*off, *cap, sizeof **off);
	*base = g_realloc_n(*base, (*cap >> RV_TB_SHIFT) + 1, sizeof **base);
}

static void push(rv_times *a, int64_t t, int64_t new_base)
{
	assert(a->n < UINT32_MAX);
	if (a->n == a->cap)
		rv_tb_grow(&a->off, &a->base, &a->cap);
	const uint32_t i = a->n++;
	if (!(i & (RV_TB_LEN - 1)))
		a->base[i >> RV_TB_SHIFT] = new_base;
	const int64_t b = a->base[i >> RV_TB_SHIFT];
	/* t - b computed unsigned: both may be anywhere in int64 */
	if (t >= b && (uint64_t)t - (uint64_t)b < RV_TB_FAR) {
		a->off[i] = (uint32_t)((uint64_t)t - (uint64_t)b);
		return;
	}
	if (a->nfar == a->cap_far) {
		a->cap_far = a->cap_far ? a->cap_far * 2 : 16;
		a->far_i = g_realloc_n(a->far_i, a->cap_far, sizeof *a->far_i);
		a->far_t = g_realloc_n(a->far_t, a->cap_far, sizeof *a->far_t);
	}
	a->off[i] = RV_TB_FAR;
	a->far_i[a->nfar] = i;
	a->far_t[a->nfar++] = t;
}

void rv_times_push_out(rv_times *a, int64_t t)
{
	push(a, t, t);
}

void rv_times_push_len(rv_times *a, int64_t len)
{
	push(a, len, 0);
}

void rv_times_set_last(rv_times *a, int64_t t)
{
	assert(a->n > 0);
	const uint32_t i = a->n - 1;
	if (a->off[i] == RV_TB_FAR) {
		/* the last far one is this one: far_i is ascending */
		a->far_t[a->nfar - 1] = t;
		return;
	}
	const int64_t b = a->base[i >> RV_TB_SHIFT];
	if (t >= b && (uint64_t)t - (uint64_t)b < RV_TB_FAR) {
		a->off[i] = (uint32_t)((uint64_t)t - (uint64_t)b);
		return;
	}
	/* out of reach now: it becomes far (push's path for index i) */
	a->n--;
	push(a, t, (i & (RV_TB_LEN - 1)) ? b : t);
}

void rv_times_trim(rv_times *a)
{
	if (a->n == a->cap)
		return;
	a->cap = a->n;
	a->off = g_realloc_n(a->off, a->n ? a->n : 1, sizeof *a->off);
	a->base = g_realloc_n(a->base, (a->n >> RV_TB_SHIFT) + 1,
			      sizeof *a->base);
}

void rv_times_truncate(rv_times *a, uint32_t n)
{
	assert(n <= a->n);
	a->n = n;
	/* far ones are ascending by index; a block's base stays valid for
	 * the times still in it, and push sets it again at a block start */
	while (a->nfar && a->far_i[a->nfar - 1] >= n)
		a->nfar--;
}

void rv_times_free(rv_times *a)
{
	g_free(a->off);
	g_free(a->base);
	g_free(a->far_i);
	g_free(a->far_t);
	g_free(a->lod);
	*a = (rv_times){ 0 };
}
