/*
 * model_meta.h - opening a trace database, and the model's side tables
 * (model_meta.c), for model.c.
 */
#ifndef RV_MODEL_META_H
#define RV_MODEL_META_H

#include <sqlite3.h>
#include <stdint.h>

#include "model.h"
#include "trace_read.h"

/* A read-only connection with the policy every viewer connection has
 * (model.c). NULL with the reason in err. */
sqlite3 *rv_db_open_ro(const char *path, char *err, size_t errlen);
/* The newest trace's row; -1 with "PATH: why" in err. */
int rv_meta_latest_trace(sqlite3 *db, const char *path,
			 struct rs_trace_row *row, char *err, size_t errlen);
/* A model with what is read beside the events (losses, names, the panic's
 * CPUs) and its CPU count, for the events to be derived into. */
rv_model *rv_meta_model_new(sqlite3 *db, const char *path,
			    const struct rs_trace_row *row);
/* The trace's extent by its chunks' bounds ([0, 0] without any). */
void rv_meta_trace_extent(sqlite3 *db, int64_t trace_id, int ncpus,
			  int64_t *lo, int64_t *hi);
/* The first column of the first row of sql, or dflt (none, NULL, error). */
int64_t rv_meta_query_i64(sqlite3 *db, const char *sql, int64_t dflt);
void rv_meta_take_trace_row(const struct rs_trace_row *r, rv_model *m);
void rv_meta_load_frame_names(sqlite3 *db, rv_model *m);
void rv_meta_load_panic_cpus(sqlite3 *db, rv_model *m);
/* m->lost, sorted by time: counted losses and those of unknown size. */
void rv_meta_load_lost(sqlite3 *db, rv_model *m);

#endif
