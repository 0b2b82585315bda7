/*
 * table.c - the workload registry and the shared "are we done" rule.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/platform.h"
#include "../core/timer.h"

/* The one list of names (formats/contract/guest_cmdline.h), which the collector
 * checks `run --workload` against before it boots the kernel. */
#define WORKLOAD_ENTRY(name) &workload_##name,
const struct workload *const workload_table[] = {
	RS_WORKLOADS(WORKLOAD_ENTRY)
	NULL,
};
#undef WORKLOAD_ENTRY

const struct workload *workload_find(const char *name)
{
	if (!name)
		return NULL;
	for (unsigned i = 0; workload_table[i]; i++)
		if (!kstrcmp(workload_table[i]->name, name))
			return workload_table[i];
	return NULL;
}

bool workload_done(const struct workload_args *a, uint64_t i,
		   uint64_t default_count, uint64_t start_cycles)
{
	if (a->count)
		return i >= a->count;
	if (a->duration_ns)
		return platform_cycles() - start_cycles >=
		       ns_to_cycles(a->duration_ns);
	return i >= default_count;
}
