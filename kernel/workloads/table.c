/*
 * table.c - the workload registry and the shared "are we done" rule.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/platform.h"
#include "../core/timer.h"

const struct workload *const workload_table[] = {
	&workload_pingpong, &workload_fanout, &workload_alloc,
	&workload_hang,     &workload_crash,  &workload_fault,
	&workload_panic,    &workload_pagefault, &workload_stackoverflow,
	&workload_triple,   &workload_deadlock,  &workload_demo,
	&workload_nestedpanic, &workload_evil,
	NULL,
};

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
