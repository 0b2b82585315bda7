/*
 * vals.c - int64 values in 4 bytes each that may be set again (vals.h).
 */
#include "vals.h"

#include <glib.h>

int64_t rv_vals_far(const rv_vals *a, uint32_t i)
{
	const uint64_t *v = rs_u64map_find(&a->far, i);
	assert(v);
	return (int64_t)*v;
}

void rv_vals_set_out(rv_vals *a, uint32_t i, int64_t v)
{
	if (v == INT64_MAX) {
		a->off[i] = RV_V_NEVER;
		return;
	}
	int64_t *b = &a->base[i >> RV_TB_SHIFT];
	if (*b == RV_V_UNSET) {
		/* the block's first value fixes its base: v less the bias,
		 * or as low as a base goes (v itself is then far only if it
		 * is INT64_MIN) */
		*b = v > INT64_MIN + a->bias + 1 ? v - a->bias : INT64_MIN + 1;
	}
	if (v >= *b && (uint64_t)v - (uint64_t)*b < RV_V_NEVER) {
		/* a far entry this one had stays in the hash, unread */
		a->off[i] = (uint32_t)((uint64_t)v - (uint64_t)*b);
		return;
	}
	uint64_t *slot = rs_u64map_put(&a->far, i, 0);
	if (!slot)
		g_error("rv_vals: out of memory");
	*slot = (uint64_t)v;
	a->off[i] = RV_V_FAR;
}

void rv_vals_push_out(rv_vals *a, int64_t v)
{
	assert(a->n < UINT32_MAX);
	if (a->n == a->cap)
		rv_tb_grow(&a->off, &a->base, &a->cap);
	const uint32_t i = a->n++;
	if (!(i & (RV_TB_LEN - 1)))
		a->base[i >> RV_TB_SHIFT] = RV_V_UNSET;
	rv_vals_set(a, i, v);
}

static void put(rv_u32s *a, uint32_t i, uint32_t v)
{
	if (a->width == 1)
		((uint8_t *)a->d)[i] = (uint8_t)v;
	else if (a->width == 2)
		((uint16_t *)a->d)[i] = (uint16_t)v;
	else
		((uint32_t *)a->d)[i] = v;
}

/* Copies the values into `width` bytes each (wider than now). */
static void widen(rv_u32s *a, uint8_t width)
{
	if (!a->cap)
		a->cap = a->n > 64 ? a->n : 64;
	rv_u32s w = { g_malloc_n(a->cap, width), a->n, a->cap, 0, width };
	for (uint32_t i = 0; i < a->n; i++)
		put(&w, i, rv_u32s_at(a, i));
	g_free(a->d);
	*a = w;
}

static uint8_t width_of(uint32_t v)
{
	return v <= UINT8_MAX ? 1 : v <= UINT16_MAX ? 2 : 4;
}

/* Wide enough for v (and, while all are one value, for that one). */
static void fit(rv_u32s *a, uint32_t v)
{
	uint8_t need = width_of(v);
	if (a->width == 0 && a->n && width_of(a->one) > need)
		need = width_of(a->one);
	if (need > a->width)
		widen(a, need);
}

void rv_u32s_push_out(rv_u32s *a, uint32_t v)
{
	assert(a->n < UINT32_MAX);
	if (a->width == 0 && (!a->n || v == a->one)) {
		a->one = v;
		a->n++;
		return;
	}
	fit(a, v);
	if (a->n == a->cap) {
		a->cap = a->cap > UINT32_MAX / 2 ? UINT32_MAX : a->cap * 2;
		a->d = g_realloc_n(a->d, a->cap, a->width);
	}
	put(a, a->n++, v);
}

void rv_u32s_set_out(rv_u32s *a, uint32_t i, uint32_t v)
{
	assert(i < a->n);
	if (a->width == 0 && v == a->one)
		return;
	fit(a, v);
	put(a, i, v);
}

void rv_u32s_free(rv_u32s *a)
{
	g_free(a->d);
	*a = (rv_u32s){ 0 };
}

void rv_vals_free(rv_vals *a)
{
	g_free(a->off);
	g_free(a->base);
	rs_u64map_free(&a->far);
	*a = (rv_vals){ 0 };
}

