-- schema.sql - the ringside trace database (one source of truth).
--
-- The collector embeds this file at build time and runs it on every open,
-- so every statement must be idempotent (IF NOT EXISTS / OR IGNORE).
-- Readers (viewer, report, your own SQL) see the layout described in
-- formats/SCHEMA.md. Bump user_version and document the change there when
-- anything here changes shape.
--
-- Conventions:
--   * times are INTEGER nanoseconds since the guest's boot_tsc ("ts_ns");
--   * guest u64 values (nonce, addresses, args) are stored bit for bit as
--     SQLite's signed 64-bit INTEGER: values >= 2^63 read back negative;
--     printf('%x', col) shows them as the guest wrote them;
--   * everything derived from events is keyed by trace_id, so one database
--     can hold many boots.

-- 0x52534442 = "RSDB": tells a ringside database from any other SQLite file.
PRAGMA application_id = 1381188674;
PRAGMA user_version = 1;

-- One row per traced boot, identified by (nonce, region_gpa).
CREATE TABLE IF NOT EXISTS trace (
	id              INTEGER PRIMARY KEY,
	source          TEXT NOT NULL,      -- e.g. "file:/dev/shm/guest"
	nonce           INTEGER NOT NULL,
	region_gpa      INTEGER NOT NULL,
	region_size     INTEGER NOT NULL,
	ncpus           INTEGER NOT NULL,
	mode            TEXT NOT NULL,      -- overwrite | discard
	tsc_hz          INTEGER NOT NULL,
	boot_tsc        INTEGER NOT NULL,
	boot_wall_ns    INTEGER,            -- Unix ns at boot_tsc; NULL if unknown
	guest_state     TEXT NOT NULL DEFAULT 'unknown'
	                CHECK (guest_state IN ('running', 'exited', 'hung',
	                                       'crashed', 'unknown')),
	heartbeat_ticks INTEGER,            -- last heartbeat seen by the collector
	hung_at_ns      INTEGER,            -- ts_ns of the last heartbeat, if hung
	panic_reason    TEXT,               -- NULL unless the guest panicked
	panic_cpu       INTEGER,
	panic_vector    INTEGER,            -- 4294967295 = software panic()
	panic_error_code INTEGER,
	panic_fault_addr INTEGER,
	panic_rip       INTEGER,
	panic_ts_ns     INTEGER,
	panic_depth     INTEGER,            -- > 1: panicked inside the panic path
	panic_regs      TEXT,               -- JSON object {"rax": "0x..", ...}
	panic_backtrace TEXT,               -- JSON array ["0x..", ...]
	collected_at    INTEGER NOT NULL,   -- Unix ns of the latest collect
	UNIQUE (nonce, region_gpa)
);

-- Names of the event type ids, so SQL can join instead of hard-coding.
CREATE TABLE IF NOT EXISTS event_types (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL
);

-- Every record the guest wrote and the collector accepted. The key is the
-- guest's own per-CPU record number, so collecting twice adds nothing.
CREATE TABLE IF NOT EXISTS events (
	trace_id INTEGER NOT NULL REFERENCES trace(id),
	cpu      INTEGER NOT NULL,
	seq      INTEGER NOT NULL,          -- per-CPU record number from boot
	ts_ns    INTEGER NOT NULL,
	type     INTEGER NOT NULL,          -- event_types.id
	ctx      INTEGER NOT NULL,          -- running kernel thread id
	a        INTEGER,
	b        INTEGER,
	c        INTEGER,
	str      TEXT,
	PRIMARY KEY (trace_id, cpu, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_time ON events (trace_id, ts_ns);

-- Gaps: records the guest wrote that never reached the database
-- (overwritten before they were read, or dropped in discard mode). A gap
-- has no record number of its own; the reader state saved in trace_cpu,
-- committed with each batch, is what keeps a gap from being stored twice.
CREATE TABLE IF NOT EXISTS lost (
	id       INTEGER PRIMARY KEY,
	trace_id INTEGER NOT NULL REFERENCES trace(id),
	cpu      INTEGER NOT NULL,
	count    INTEGER NOT NULL,          -- records lost in this gap
	from_ns  INTEGER,                   -- last record before the gap, if known
	to_ns    INTEGER                    -- first record after it, if known
);
CREATE INDEX IF NOT EXISTS lost_by_cpu ON lost (trace_id, cpu, from_ns);

-- Kernel threads, derived from thread_create / thread_exit.
CREATE TABLE IF NOT EXISTS threads (
	trace_id   INTEGER NOT NULL REFERENCES trace(id),
	tid        INTEGER NOT NULL,
	parent     INTEGER,
	name       TEXT,
	created_ns INTEGER,                 -- NULL if the create was lost
	exited_ns  INTEGER,                 -- NULL while alive
	PRIMARY KEY (trace_id, tid)
) WITHOUT ROWID;

-- Promises, derived from the promise_* events.
CREATE TABLE IF NOT EXISTS promises (
	trace_id     INTEGER NOT NULL REFERENCES trace(id),
	id           INTEGER NOT NULL,
	parent       INTEGER,
	type         TEXT,                  -- wait, task, bind, ... (NULL if lost)
	created_ns   INTEGER,
	resolved_ns  INTEGER,               -- resolved, failed or cancelled at
	state        TEXT NOT NULL DEFAULT 'pending'
	             CHECK (state IN ('pending', 'resolved', 'failed',
	                              'cancelled')),
	label        TEXT,
	fail_message TEXT,
	PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

-- Counter samples: counter events by name, plus "heap" (bytes in use) and
-- "runq_len" (runnable threads).
CREATE TABLE IF NOT EXISTS counters (
	trace_id INTEGER NOT NULL REFERENCES trace(id),
	name     TEXT NOT NULL,
	ts_ns    INTEGER NOT NULL,
	value    INTEGER NOT NULL,
	cpu      INTEGER NOT NULL,          -- with seq: the event it came from
	seq      INTEGER NOT NULL,
	PRIMARY KEY (trace_id, cpu, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS counters_by_name ON counters (trace_id, name, ts_ns);

-- vCPU registers as the host read them when a collect ended: from the
-- QEMU monitor (`ringside run`, when the guest crashed, hung or was
-- stopped) or from a core dump's NT_PRSTATUS notes (`collect core:`).
-- Unlike panic_regs, the guest did not write these: they say where each
-- CPU was, even after a triple fault or with interrupts off.
CREATE TABLE IF NOT EXISTS vcpu_regs (
	trace_id INTEGER NOT NULL REFERENCES trace(id),
	cpu      INTEGER NOT NULL,          -- vCPU index
	origin   TEXT NOT NULL,             -- "qemu monitor" | "core NT_PRSTATUS"
	regs     TEXT NOT NULL,             -- JSON object {"rip": "0x..", ...}
	PRIMARY KEY (trace_id, cpu)
) WITHOUT ROWID;

-- Per-CPU reader state, so a later collect resumes where this one stopped
-- (and does not report the same losses twice).
CREATE TABLE IF NOT EXISTS trace_cpu (
	trace_id     INTEGER NOT NULL REFERENCES trace(id),
	cpu          INTEGER NOT NULL,
	data_size    INTEGER NOT NULL,
	pos          INTEGER NOT NULL,      -- ring position read up to
	seen         INTEGER NOT NULL,      -- records accounted for
	dropped_seen INTEGER NOT NULL,      -- discard-mode drops reported
	last_tsc     INTEGER NOT NULL,
	accepted     INTEGER NOT NULL,      -- records stored, all collects
	lost         INTEGER NOT NULL,      -- records lost, all collects
	rejected     INTEGER NOT NULL,      -- inconsistent guest metadata seen
	PRIMARY KEY (trace_id, cpu)
) WITHOUT ROWID;
