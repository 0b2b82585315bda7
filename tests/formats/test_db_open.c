/*
 * test_db_open.c - the one opener every tool uses (formats/store/rs_db.c),
 * called directly, one test per rule of its policy: a reader cannot
 * write, a foreign file is refused (and left as it was), a FIFO is
 * refused at once, one writer at a time, a reader gives up on a lock
 * after its busy timeout; and the one reader of the trace row.
 */
#include "testlib.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../collector/store.h"
#include "rs_db.h"

static char *path_in(const char *dir, const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

/* A real store, made by the collector's store code. */
static void make_store(const char *path)
{
	char err[320];
	struct rs_store *st = rs_store_open(path, 1, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	rs_store_close(st);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_db_read_only(void **state)
{
	char *dir = rs_tmpdir(), *db = path_in(dir, "t.db");
	char *missing = path_in(dir, "missing.db"), err[320];
	sqlite3 *h;
	int created = -1;

	make_store(db);
	assert_int_equal(rs_db_open(db, RS_DB_READ, &h, NULL, &created, err,
				    sizeof(err)), RS_DB_OK);
	assert_int_equal(created, 0);
	assert_int_equal(sqlite3_exec(h, "CREATE TABLE x (y)", NULL, NULL, NULL),
			 SQLITE_READONLY);
	/* The events module is registered: the view over it reads. */
	assert_int_equal(sqlite3_exec(h, "SELECT count(*) FROM events", NULL,
				      NULL, NULL), SQLITE_OK);
	rs_db_close(h, -1);

	/* Reading never creates. */
	assert_int_equal(rs_db_open(missing, RS_DB_READ, &h, NULL, NULL, err,
				    sizeof(err)), RS_DB_EPATH);
	assert_null(h);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(access(missing, F_OK), -1);
	free(db), free(missing);
	rs_tmpdir_cleanup(dir);
}

/* A SQLite file that is not ours, and a text file: refused by either
 * mode, with the step's code and reason, and not changed by a byte. */
static void test_db_foreign_refused(void **state)
{
	char *dir = rs_tmpdir(), *other = path_in(dir, "other.db");
	char *text = path_in(dir, "text.db"), err[320];
	sqlite3 *h;
	int lock_fd;

	assert_int_equal(sqlite3_open(other, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE TABLE notes (x); INSERT INTO"
				      " notes VALUES (1)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	FILE *f = fopen(text, "w");
	fputs("not a database\n", f);
	fclose(f);
	size_t len0, len1, tlen0, tlen1;
	char *before = rs_read_file(other, &len0);
	char *tbefore = rs_read_file(text, &tlen0);

	assert_int_equal(rs_db_open(other, RS_DB_READ, &h, NULL, NULL, err,
				    sizeof(err)), RS_DB_ECHECK);
	assert_non_null(strstr(err, "application_id"));
	assert_int_equal(rs_db_open(other, RS_DB_WRITE, &h, &lock_fd, NULL, err,
				    sizeof(err)), RS_DB_ECHECK);
	assert_null(h);
	assert_int_equal(lock_fd, -1);
	assert_int_equal(rs_db_open(text, RS_DB_READ, &h, NULL, NULL, err,
				    sizeof(err)), RS_DB_EPATH);
	assert_non_null(strstr(err, "not a SQLite file"));
	assert_int_equal(rs_db_open(text, RS_DB_WRITE, &h, &lock_fd, NULL, err,
				    sizeof(err)), RS_DB_EPATH);

	char *after = rs_read_file(other, &len1);
	char *tafter = rs_read_file(text, &tlen1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	assert_int_equal(tlen0, tlen1);
	assert_memory_equal(tbefore, tafter, tlen0);
	/* SQLite never made a journal or WAL beside it. */
	char *wal = path_in(dir, "other.db-wal");
	assert_int_equal(access(wal, F_OK), -1);
	free(before), free(after), free(tbefore), free(tafter), free(wal);
	free(other), free(text);
	rs_tmpdir_cleanup(dir);
}

/* A FIFO with no writer would block open(2) forever: refused at once, in
 * either mode. The alarm turns a hang into a failure. */
static void test_db_fifo_refused(void **state)
{
	char *dir = rs_tmpdir(), *fifo = path_in(dir, "fifo.db"), err[320];
	sqlite3 *h;
	int lock_fd;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(30);
	double t0 = now_s();
	assert_int_equal(rs_db_open(fifo, RS_DB_READ, &h, NULL, NULL, err,
				    sizeof(err)), RS_DB_EPATH);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(rs_db_open(fifo, RS_DB_WRITE, &h, &lock_fd, NULL, err,
				    sizeof(err)), RS_DB_EPATH);
	alarm(0);
	assert_true(now_s() - t0 < 5);
	free(fifo);
	rs_tmpdir_cleanup(dir);
}

/* One writer at a time, told "busy"; readers read beside it; the lock
 * goes with the writer. A new file is made, and says so. */
static void test_db_one_writer(void **state)
{
	char *dir = rs_tmpdir(), *db = path_in(dir, "t.db"), err[320];
	sqlite3 *w1, *w2, *r;
	int fd1, fd2, created = 0;

	assert_int_equal(rs_db_open(db, RS_DB_WRITE, &w1, &fd1, &created, err,
				    sizeof(err)), RS_DB_OK);
	assert_int_equal(created, 1);
	assert_true(fd1 >= 0);
	assert_int_equal(rs_db_open(db, RS_DB_WRITE, &w2, &fd2, NULL, err,
				    sizeof(err)), RS_DB_EOPEN);
	assert_non_null(strstr(err, "database is busy: another ringside"
			       " collector is writing it"));
	assert_null(w2);
	assert_int_equal(fd2, -1);
	rs_db_close(w1, fd1);

	/* Now a store, held by a writer: a reader still opens it. */
	make_store(db);
	assert_int_equal(rs_db_open(db, RS_DB_WRITE, &w1, &fd1, &created, err,
				    sizeof(err)), RS_DB_OK);
	assert_int_equal(created, 0);
	assert_int_equal(rs_db_open(db, RS_DB_READ, &r, NULL, NULL, err,
				    sizeof(err)), RS_DB_OK);
	rs_db_close(r, -1);
	rs_db_close(w1, fd1);
	assert_int_equal(rs_db_open(db, RS_DB_WRITE, &w2, &fd2, NULL, err,
				    sizeof(err)), RS_DB_OK);
	rs_db_close(w2, fd2);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* Another process's exclusive lock on the whole file: a reader waits its
 * busy timeout, then says busy (not "not a SQLite database"). */
static void test_db_reader_busy_timeout(void **state)
{
	char *dir = rs_tmpdir(), *db = path_in(dir, "t.db"), err[320];
	sqlite3 *lock, *h;

	make_store(db);
	assert_int_equal(sqlite3_open(db, &lock), SQLITE_OK);
	assert_int_equal(sqlite3_exec(lock, "PRAGMA locking_mode = EXCLUSIVE;"
				      " BEGIN EXCLUSIVE", NULL, NULL, NULL),
			 SQLITE_OK);
	double t0 = now_s();
	assert_int_equal(rs_db_open(db, RS_DB_READ, &h, NULL, NULL, err,
				    sizeof(err)), RS_DB_ECHECK);
	double waited = now_s() - t0;
	assert_non_null(strstr(err, "database is busy"));
	if (waited < RS_DB_BUSY_READ_MS / 1000.0 * 0.9)
		fail_msg("gave up after %.2f s, before the busy timeout", waited);
	sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(lock);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* The trace row: none in a new store, then the one a collect begins,
 * every column as written; trace 0 is the newest. */
static void test_db_trace_row(void **state)
{
	char *dir = rs_tmpdir(), *db = path_in(dir, "t.db"), err[320];
	struct rs_trace_row row;
	struct rs_reader_cpu resume[RS_MAX_CPUS];
	int resumed;
	sqlite3 *h;

	make_store(db);
	assert_int_equal(rs_db_open(db, RS_DB_READ, &h, NULL, NULL, err,
				    sizeof(err)), RS_DB_OK);
	assert_int_equal(rs_trace_row_read(h, 0, &row, err, sizeof(err)),
			 RS_DB_NO_TRACE);
	rs_db_close(h, -1);

	struct rs_layout l = {
		.nonce = 0xfeed, .region_gpa = 0x200000, .region_size = 1 << 20,
		.ncpus = 3, .tsc_hz = 2000000000, .boot_tsc = 12345,
		.boot_wall_ns = 777, .tick_hz = 1000, .timer_hz = 62500000,
		.tsc_source = RS_CLOCK_CPUID_15,
	};
	struct rs_store *st = rs_store_open(db, 1, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(rs_store_trace_begin(st, "file:/x", &l, resume,
					      &resumed), 0);
	l.nonce++;
	assert_int_equal(rs_store_trace_begin(st, "file:/y", &l, resume,
					      &resumed), 0);
	rs_store_close(st);

	assert_int_equal(rs_db_open(db, RS_DB_READ, &h, NULL, NULL, err,
				    sizeof(err)), RS_DB_OK);
	assert_int_equal(rs_trace_row_read(h, 0, &row, err, sizeof(err)), 0);
	assert_int_equal(row.id, 2);
	assert_string_equal(row.source, "file:/y");
	assert_int_equal(rs_trace_row_read(h, 1, &row, err, sizeof(err)), 0);
	assert_int_equal(row.id, 1);
	assert_string_equal(row.source, "file:/x");
	assert_int_equal(row.nonce, 0xfeed);
	assert_int_equal(row.region_gpa, 0x200000);
	assert_int_equal(row.ncpus, 3);
	assert_int_equal(row.tsc_hz, 2000000000);
	assert_int_equal(row.boot_tsc, 12345);
	assert_int_equal(row.boot_wall_ns, 777);
	assert_string_equal(row.tsc_source, "cpuid-15h");
	assert_int_equal(row.tick_hz, 1000);
	assert_int_equal(row.timer_hz, 62500000);
	assert_string_equal(row.guest_state, "unknown");
	assert_int_equal(row.has_panic, 0);
	assert_int_equal(row.has_hung_at, 0);
	assert_true(row.collected_at > 0);
	assert_int_equal(rs_trace_row_read(h, 3, &row, err, sizeof(err)),
			 RS_DB_NO_TRACE);
	rs_db_close(h, -1);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(db_open,
	cmocka_unit_test(test_db_read_only),
	cmocka_unit_test(test_db_foreign_refused),
	cmocka_unit_test(test_db_fifo_refused),
	cmocka_unit_test(test_db_one_writer),
	cmocka_unit_test(test_db_reader_busy_timeout),
	cmocka_unit_test(test_db_trace_row),
)
