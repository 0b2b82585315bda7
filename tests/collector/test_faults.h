/*
 * test_faults.h - what the fault suites (tests/test_faults_*.c) share:
 * checking a database after a kill or a hostile guest, and reading its
 * events through the public trace_read API only. Implemented in
 * tests/collector/test_faults_kill.c.
 */
#ifndef RS_TEST_FAULTS_H
#define RS_TEST_FAULTS_H

/* PRAGMA integrity_check is "ok" (SQLite 3.40's false NULL reports on
 * WITHOUT ROWID tables are verified and set aside). */
void faults_integrity_ok(const char *db);

#endif
