-- schema.sql - the ringside trace database (one source of truth).
--
-- The collector embeds this file at build time and runs it on every open,
-- so every statement must be idempotent (IF NOT EXISTS / OR IGNORE).
-- Readers (viewer, report, your own SQL) see the layout described in
-- formats/store/SCHEMA.md. Bump user_version and document the change there when
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
PRAGMA user_version = 2;

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
	-- How the guest calibrated its clocks (the ring header's line 1);
	-- NULL where it does not say (a guest older than these fields).
	tsc_source      TEXT,               -- cmdline | xen-cpuid | cpuid-15h |
	                                    -- cpuid-16h | hpet | pit | hosted | guess |
	                                    -- xen-pvclock
	tick_method     TEXT,               -- lapic-periodic | tsc-deadline | hosted |
	                                    -- lapic-oneshot | xen-timer
	tick_hz         INTEGER,            -- heartbeat tick rate asked for
	timer_hz        INTEGER,            -- LAPIC timer clock as measured
	guest_state     TEXT NOT NULL DEFAULT 'unknown'
	                CHECK (guest_state IN ('running', 'exited', 'hung',
	                                       'deadlocked', 'stuck-cpu',
	                                       'crashed', 'unknown')),
	state_why       TEXT,               -- the collector's reason, for a state
	                                    -- the ring did not state itself
	heartbeat_ticks INTEGER,            -- last heartbeat seen by the collector
	hung_at_ns      INTEGER,            -- ts_ns of the last heartbeat, if hung
	stalled_at_ns   INTEGER,            -- ts_ns the guest found every thread
	                                    -- blocked, if deadlocked
	stalled_threads INTEGER,            -- threads blocked then, if deadlocked
	stuck_cpu       INTEGER,            -- the CPU whose own heartbeat stopped
	                                    -- while another's went on, if stuck-cpu
	stuck_at_ns     INTEGER,            -- ts_ns of that CPU's last heartbeat
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

-- Every record the guest wrote and the collector accepted, verbatim: runs
-- of one CPU's consecutive records (record numbers first_seq ..
-- first_seq + count - 1) as they sat in the ring, compressed as one zstd
-- frame (formats/store/rs_chunk.h). Record numbers are the guest's own, so
-- collecting twice adds nothing. SQL sees one row per record through the
-- `events` virtual table below.
CREATE TABLE IF NOT EXISTS chunks (
	trace_id  INTEGER NOT NULL REFERENCES trace(id),
	cpu       INTEGER NOT NULL,
	first_seq INTEGER NOT NULL,
	count     INTEGER NOT NULL,
	min_ns    INTEGER NOT NULL,         -- earliest ts_ns in the chunk
	max_ns    INTEGER NOT NULL,         -- latest ts_ns in the chunk
	raw_size  INTEGER NOT NULL,         -- bytes of records, uncompressed
	records   BLOB NOT NULL,
	UNIQUE (trace_id, cpu, first_seq)
);

-- Events per type, kept as they are stored, so a summary needs no decode.
CREATE TABLE IF NOT EXISTS type_counts (
	trace_id INTEGER NOT NULL REFERENCES trace(id),
	type     INTEGER NOT NULL,          -- event_types.id
	count    INTEGER NOT NULL,
	PRIMARY KEY (trace_id, type)
) WITHOUT ROWID;

-- One row per record: (trace_id, cpu, seq, ts_ns, type, ctx, a, b, c, str),
-- arguments a type does not carry NULL. A virtual table: its module
-- (formats/store/sql_events.c) decodes the chunks above with the one decoder,
-- and stores nothing of its own. ringside's tools register the module;
-- the sqlite3 shell loads it with `.load build/lib/libringside_sqlite`
-- (SCHEMA.md). Filters on trace_id, cpu, seq and ts_ns skip the chunks
-- they exclude.
CREATE VIRTUAL TABLE IF NOT EXISTS events USING rs_events;

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

-- Gaps whose size nobody can know: events lost where no count was kept,
-- as in an imported mirage-profile ring whose writer overwrote packets
-- (`ringside import`). Kept apart from `lost`, whose counts are exact,
-- so `sum(lost.count)` stays a true figure. Added in version 2 without a
-- bump: a database without the table has no such gap.
CREATE TABLE IF NOT EXISTS lost_unknown (
	id       INTEGER PRIMARY KEY,
	trace_id INTEGER NOT NULL REFERENCES trace(id),
	cpu      INTEGER NOT NULL,
	from_ns  INTEGER,                   -- last event before the gap, if any
	to_ns    INTEGER,                   -- first event after it, if any
	what     TEXT NOT NULL              -- why, and what is known of it
);

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
	-- (Not `IN (...)`: SQLite builds a temporary index for an IN list on
	-- every insert, which tripled the cost of a promise row.)
	state        TEXT NOT NULL DEFAULT 'pending'
	             CHECK (state = 'pending' OR state = 'resolved' OR
	                    state = 'failed' OR state = 'cancelled'),
	label        TEXT,
	fail_message TEXT,
	PRIMARY KEY (trace_id, id)
) WITHOUT ROWID;

-- Counter samples: counter events by name, plus "heap" (bytes in use) and
-- "runq_len" (runnable threads). A view, not a table: every sample is one
-- record already stored in chunks, and a copy per sample is what made the
-- store cost a row per event.
CREATE VIEW IF NOT EXISTS counters AS
SELECT trace_id,
       CASE type WHEN 34 THEN 'heap' WHEN 8 THEN 'runq_len' ELSE str END
           AS name,
       ts_ns, a AS value, cpu, seq
FROM events
WHERE type IN (8, 34) OR (type = 64 AND str IS NOT NULL);

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

-- Names of the trace's code addresses (the panic rip, each backtrace
-- frame, each vCPU's rip), from the kernel ELF's symbols and DWARF when
-- `ringside run` or `collect --kernel ELF` knew it, so readers show names
-- without the ELF. Added in version 2 without a bump: a database without
-- the table simply has no names.
CREATE TABLE IF NOT EXISTS frames (
	trace_id INTEGER NOT NULL REFERENCES trace(id),
	kind     TEXT NOT NULL              -- panic_rip | backtrace | vcpu_rip
	                                    -- | cpu_rip
	         CHECK (kind = 'panic_rip' OR kind = 'backtrace' OR
	                kind = 'vcpu_rip' OR kind = 'cpu_rip'),
	idx      INTEGER NOT NULL,          -- frame number; CPU index; 0
	addr     INTEGER NOT NULL,          -- the address named
	function TEXT,                      -- NULL: not this kernel's code
	file     TEXT,                      -- NULL without line information
	line     INTEGER,
	PRIMARY KEY (trace_id, kind, idx)
) WITHOUT ROWID;

-- Every CPU's registers as the guest's own panic path recorded them, in
-- the ring's register page (RING.md, "Several CPUs"): the CPU that
-- panicked, and each other CPU it stopped or that did not answer. Written
-- by every status read that finds a slot filled (the same row again, so
-- a follow rewrites it unchanged). Unlike vcpu_regs (read by the host)
-- these are the guest's; unlike trace.panic_regs, one row per CPU. Added
-- in version 2 without a bump.
CREATE TABLE IF NOT EXISTS panic_cpus (
	trace_id INTEGER NOT NULL REFERENCES trace(id),
	cpu      INTEGER NOT NULL,
	state    TEXT NOT NULL
	         CHECK (state = 'stopped' OR state = 'no answer' OR
	                state = 'panicked'),
	ts_ns    INTEGER,                   -- when recorded; NULL if unknown
	regs     TEXT,                      -- JSON {"rax": "0x..", ...}; NULL
	                                    -- for 'no answer'
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

-- How far the CPUs' clocks disagree, as far as causal pairs show it (a
-- thread_wake on from_cpu and the woken thread's switch in on cpu; an
-- ipi_send and its ipi_recv): written when a collect ends, one row per
-- (cpu, from_cpu) with pairs. min_gap_ns < 0: cpu's clock is behind
-- from_cpu's by at least -min_gap_ns. SCHEMA.md, "Clocks across CPUs".
CREATE TABLE IF NOT EXISTS cpu_skew (
	trace_id   INTEGER NOT NULL REFERENCES trace(id),
	cpu        INTEGER NOT NULL,      -- where the effects were stamped
	from_cpu   INTEGER NOT NULL,      -- where their causes were
	pairs      INTEGER NOT NULL,
	min_gap_ns INTEGER NOT NULL,      -- smallest effect minus cause
	PRIMARY KEY (trace_id, cpu, from_cpu)
) WITHOUT ROWID;

-- ---- Views for your own SQL, shaped like Perfetto trace_processor's ----
-- tables (slice, flow, counter, thread_state), so queries people already
-- know carry over. They are derived on the fly from the tables above;
-- nothing is stored twice. formats/store/SCHEMA.md has example queries.

-- Thread run intervals, per CPU: from a switch to a thread until the next
-- switch (or idle) on that CPU. The last interval ends at the CPU's last
-- event.
CREATE VIEW IF NOT EXISTS thread_run AS
WITH cpu_marks AS (
	SELECT trace_id, cpu, ts_ns,
	       CASE type WHEN 4 THEN b ELSE 0 END AS tid,
	       LEAD(ts_ns) OVER (PARTITION BY trace_id, cpu
	                         ORDER BY ts_ns, seq) AS next_ts
	FROM events WHERE type IN (4, 52)       -- thread_switch, idle_enter
)
SELECT trace_id, cpu, tid, ts_ns AS ts,
       coalesce(next_ts, (SELECT max(e.ts_ns) FROM events e
                          WHERE e.trace_id = cpu_marks.trace_id
                            AND e.cpu = cpu_marks.cpu)) - ts_ns AS dur
FROM cpu_marks WHERE tid != 0;

-- slice: promise lifetimes (category 'promise', track = 'promises') and
-- thread run intervals (category 'thread', track = 'thread <tid>'). A
-- pending promise has dur -1, as in Perfetto.
CREATE VIEW IF NOT EXISTS slice AS
SELECT p.trace_id, 'promise' AS category, 'promises' AS track,
       coalesce(p.label, p.type, 'promise') AS name,
       p.created_ns AS ts,
       coalesce(p.resolved_ns - p.created_ns, -1) AS dur,
       p.id AS promise_id, NULL AS tid, p.type AS promise_type,
       p.state AS state
FROM promises p WHERE p.created_ns IS NOT NULL
UNION ALL
SELECT r.trace_id, 'thread', 'thread ' || r.tid,
       coalesce(t.name, 'thread ' || r.tid), r.ts, r.dur,
       NULL, r.tid, NULL, 'running'
FROM thread_run r LEFT JOIN threads t
     ON t.trace_id = r.trace_id AND t.tid = r.tid;

-- flow: the arrows. 'creates' runs from the creating thread at creation
-- to the new promise; 'resolves' from the resolver to the promise;
-- 'reads' from the resolved promise to each reader (try_read included,
-- with kind 'try_read').
CREATE VIEW IF NOT EXISTS flow AS
SELECT trace_id, 'creates' AS kind, ts_ns AS ts, ctx AS from_tid,
       b AS from_promise, a AS to_promise, cpu, seq
FROM events WHERE type = 16
UNION ALL
SELECT trace_id, CASE type WHEN 19 THEN 'resolves' WHEN 20 THEN 'fails'
                           ELSE 'cancels' END,
       ts_ns, ctx, b, a, cpu, seq
FROM events WHERE type IN (19, 20, 24)
UNION ALL
SELECT trace_id, CASE type WHEN 17 THEN 'reads' ELSE 'try_read' END,
       ts_ns, ctx, a, b, cpu, seq
FROM events WHERE type IN (17, 18)
UNION ALL
SELECT trace_id, 'becomes', ts_ns, ctx, a, b, cpu, seq
FROM events WHERE type = 21;

-- counter: every sample, as Perfetto's counter table with the track
-- named by the counter.
CREATE VIEW IF NOT EXISTS counter AS
SELECT trace_id, name AS track, ts_ns AS ts, value FROM counters;

-- thread_state: what each thread was doing from each change on: 'Running'
-- (switched in), 'Runnable' (woken, or switched out without blocking:
-- a yield or preemption), 'Blocked' with the reason (promise, sleep,
-- event, join), 'Exited'. The last state has dur NULL.
CREATE VIEW IF NOT EXISTS thread_state AS
WITH changes AS (
	SELECT trace_id, ts_ns, seq, cpu, b AS tid, 'Running' AS state,
	       NULL AS blocked_on
	FROM events WHERE type = 4
	UNION ALL
	SELECT trace_id, ts_ns, seq, cpu, a, 'Runnable', NULL
	FROM events WHERE type IN (6, 7)        -- wake, yield
	UNION ALL
	SELECT trace_id, ts_ns, seq, cpu, a, 'Blocked',
	       CASE b WHEN 1 THEN 'promise' WHEN 2 THEN 'sleep'
	              WHEN 3 THEN 'event' WHEN 4 THEN 'join' ELSE 'unknown' END
	FROM events WHERE type = 5
	UNION ALL
	SELECT trace_id, ts_ns, seq, cpu, a, 'Exited', NULL
	FROM events WHERE type = 3
)
SELECT trace_id, tid AS utid, ts_ns AS ts,
       LEAD(ts_ns) OVER w - ts_ns AS dur, state, blocked_on
FROM changes
WINDOW w AS (PARTITION BY trace_id, tid ORDER BY ts_ns, cpu, seq);
