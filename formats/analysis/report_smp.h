/*
 * report_smp.h - inside the report: the part for guests of several CPUs
 * (per-CPU utilisation, migrations, IPIs, lock contention, wake -> run
 * latency same CPU or across CPUs). report.c feeds it every event in
 * time order; report_print.c prints struct rs_report_smp.
 */
#ifndef RS_REPORT_SMP_H
#define RS_REPORT_SMP_H

#include <stdio.h>

#include "report.h"

struct rs_smp_acc;

/* Add one sample to a group of a section (report.c). 0, or -1 if out of
 * memory. */
int rs_report_record(struct rs_report *r, enum rs_report_section_id sec,
		     const char *name, uint64_t value);

/* NULL if out of memory. */
struct rs_smp_acc *rs_smp_acc_new(struct rs_report *r);
/* One event, in time order; `name` is the name of the thread an event
 * is about, when known. 0, or -1 if out of memory. */
int rs_smp_event(struct rs_smp_acc *a, const struct rs_row *e,
		 const char *name);
void rs_smp_acc_free(struct rs_smp_acc *a);
/* Frees what rs_report_smp holds (rs_report_free calls it). */
void rs_report_smp_free(struct rs_report_smp *s);

void rs_report_smp_text(FILE *o, const struct rs_report *r);
/* `"smp":{...}` and a comma, for the JSON report. */
void rs_report_smp_json(FILE *o, const struct rs_report *r);

#endif
