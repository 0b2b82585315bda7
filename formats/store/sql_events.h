/*
 * sql_events.h - registering rs_events, the virtual table module behind
 * the `events` table (sql_events.c), on SQLite connections.
 */
#ifndef RS_SQL_EVENTS_H
#define RS_SQL_EVENTS_H

#include <sqlite3.h>

/* On one connection. Returns an SQLite result code. */
int rs_sql_register(sqlite3 *db);
/* On every connection this process opens from now on (tests, ad hoc
 * tools). Returns an SQLite result code. */
int rs_sql_register_everywhere(void);

#endif /* RS_SQL_EVENTS_H */
