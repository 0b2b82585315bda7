/*
 * kernel_fixture.h - what the suites that name a kernel's addresses share
 * (test_symbols.c, test_panic_cpus.c): the built kernel ELF or a skip, a
 * symbol's address from binutils' nm, and the viewer's tooltip over a
 * trace's panic mark.
 */
#ifndef KERNEL_FIXTURE_H
#define KERNEL_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>

#include "draw.h"
#include "model.h"
#include "test_qemu.h"
#include "testlib.h"

static inline const char *kernel_or_skip(void)
{
	const char *k = qemu_kernel();
	if (!k)
		skip();
	return k;
}

/* A symbol's address, from binutils' nm. */
static inline uint64_t nm_addr(const char *kernel, const char *name)
{
	char *out = NULL;
	int rc = rs_run(&out, 30, "nm '%s' | awk '$3 == \"%s\" { print $1 }'",
			kernel, name);
	uint64_t a = rc == 0 && out ? strtoull(out, NULL, 16) : 0;
	if (!a)
		fail_msg("nm %s: no %s (%s)", kernel, name, out ? out : "");
	free(out);
	return a;
}

/* The viewer's tooltip over the panic mark of `db`. */
static inline char *panic_tooltip(const char *db)
{
	char err[256];
	rv_model *m = rv_model_load(db, err, sizeof err);
	if (!m)
		fail_msg("viewer: %s", err);
	assert_true(m->panicked);
	/* The panic 100 px into the plot, wherever its time is (a hand-made
	 * record has none). */
	rv_view v = { .width = 1000, .height = 600, .ns_per_px = 10,
		      .from = (double)m->panic_t - 1000 };
	char *tip = rv_hit_describe(m, &v, rv_x(&v, (double)m->panic_t),
				    RV_RULER_H + 40);
	rv_model_free(m);
	assert_non_null(tip);
	return tip;
}

#endif
