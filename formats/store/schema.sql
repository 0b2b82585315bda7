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
-- tables (slice, flow, thread, track, counter_track, counter, sched,
-- thread_state) with its column names and meanings, so a query written
-- for trace_processor runs with few changes. Derived on the fly from the
-- tables above; nothing is stored twice. formats/store/SCHEMA.md says
-- what each column means and has tested example queries.
--
-- Ids: utid = (trace_id - 1) * 2^32 + tid (tids are 32-bit); track ids
-- are (trace_id - 1) * 2^33 + tid for a thread's track, + 2^32 for the
-- promises track, + 2^32 + n for the n-th counter by name; a slice's id
-- is its promise id; flow, counter and sched ids are the record's
-- seq * 256 + cpu (its event). Slice, flow, counter and sched ids are
-- unique within one trace: in a database of several boots, add trace_id
-- to a join.
--
-- Every view's CREATE holds the marker "ringside views 3": a collect
-- that opens a database whose views lack it (written by an older
-- ringside) drops them and this file creates them anew
-- (collector/store.c, refresh_views). Change the marker with the views.

-- Thread run intervals, per CPU: from a switch to a thread until the next
-- switch (or idle) on that CPU; the last one ends at the CPU's last
-- record. seq is the switch's record, end_seq the record that ended the
-- run (NULL for a CPU's last run).
CREATE VIEW IF NOT EXISTS thread_run AS /* ringside views 3 */
WITH cpu_marks AS (
	SELECT trace_id, cpu, seq, ts_ns,
	       CASE type WHEN 4 THEN b ELSE 0 END AS tid,
	       LEAD(ts_ns) OVER w AS next_ts, LEAD(seq) OVER w AS next_seq
	FROM events WHERE type IN (4, 52)       -- thread_switch, idle_enter
	-- Record order is the CPU's own order, and the order `events`
	-- yields: no sort.
	WINDOW w AS (PARTITION BY trace_id, cpu ORDER BY seq)
)
SELECT trace_id, cpu, tid, ts_ns AS ts,
       coalesce(next_ts, (SELECT max(c.max_ns) FROM chunks c
                          WHERE c.trace_id = m.trace_id
                            AND c.cpu = m.cpu)) - ts_ns AS dur,
       seq, next_seq AS end_seq
FROM cpu_marks m WHERE tid != 0;

-- sched: Perfetto's sched_slice, one row per run of a thread on a CPU
-- (thread_run with Perfetto's names). end_state and priority: NULL (the
-- state after a run is in thread_state).
CREATE VIEW IF NOT EXISTS sched AS /* ringside views 3 */
SELECT seq * 256 + cpu AS id, ts, dur, cpu,
       (trace_id - 1) * 4294967296 + tid AS utid,
       NULL AS end_state, NULL AS priority, trace_id
FROM thread_run;

-- thread: one row per thread the trace created or saw exit.
CREATE VIEW IF NOT EXISTS thread AS /* ringside views 3 */
SELECT (trace_id - 1) * 4294967296 + tid AS utid, tid, name,
       created_ns AS start_ts, exited_ns AS end_ts, NULL AS upid,
       NULL AS is_main_thread, trace_id
FROM threads;

-- counter_track: one per counter name (heap, runq_len, the guest's own).
CREATE VIEW IF NOT EXISTS counter_track AS /* ringside views 3 */
SELECT (trace_id - 1) * 8589934592 + 4294967296 +
       row_number() OVER (PARTITION BY trace_id ORDER BY name) AS id,
       name, 'counter' AS type, NULL AS unit, NULL AS description, trace_id
FROM (SELECT DISTINCT trace_id, name FROM counters);

-- thread_track: one per thread, holding its sched slices.
CREATE VIEW IF NOT EXISTS thread_track AS /* ringside views 3 */
SELECT (trace_id - 1) * 8589934592 + tid AS id,
       coalesce(name, 'thread ' || tid) AS name, 'thread' AS type,
       (trace_id - 1) * 4294967296 + tid AS utid, trace_id
FROM threads;

-- track: every track: each thread's, one 'promises' track per trace
-- holding the promise slices, and the counter tracks.
CREATE VIEW IF NOT EXISTS track AS /* ringside views 3 */
SELECT id, name, type, utid, trace_id FROM thread_track
UNION ALL
SELECT (id - 1) * 8589934592 + 4294967296, 'promises', 'promises', NULL, id
FROM trace
UNION ALL
SELECT id, name, type, NULL, trace_id FROM counter_track;

-- counter: every sample, on its counter_track.
CREATE VIEW IF NOT EXISTS counter AS /* ringside views 3 */
SELECT c.seq * 256 + c.cpu AS id, c.ts_ns AS ts, t.id AS track_id,
       c.value, NULL AS arg_set_id, c.trace_id
FROM counters c JOIN counter_track t
     ON t.trace_id = c.trace_id AND t.name = c.name;

-- slice: one per promise whose create was recorded, on the trace's
-- promises track, from its creation to its settling (dur -1 while
-- pending, as in Perfetto). Promises are asynchronous and do not nest on
-- their track: depth 0, parent_id NULL; the promise that created it is
-- parent_promise (and a 'creates' flow).
CREATE VIEW IF NOT EXISTS slice AS /* ringside views 3 */
SELECT p.id AS id, p.created_ns AS ts,
       coalesce(p.resolved_ns - p.created_ns, -1) AS dur,
       (p.trace_id - 1) * 8589934592 + 4294967296 AS track_id,
       'promise' AS category, coalesce(p.label, p.type, 'promise') AS name,
       0 AS depth, NULL AS parent_id, NULL AS arg_set_id,
       json_object('type', p.type, 'state', p.state, 'parent', p.parent,
                   'fail_message', p.fail_message) AS args,
       p.trace_id, p.type AS promise_type, p.state AS promise_state,
       p.parent AS parent_promise
FROM promises p WHERE p.created_ns IS NOT NULL;

-- flow: the arrows between promise slices: 'creates' (parent -> new),
-- 'resolves'/'fails'/'cancels' (the promise whose code settled it -> it),
-- 'reads'/'try_read' (the promise read -> the reader), 'becomes' (a
-- promise -> the one it now follows). Only arrows whose two ends are
-- slices (promises with a recorded create; 0 means none) are rows.
CREATE VIEW IF NOT EXISTS flow AS /* ringside views 3 */
SELECT f.seq * 256 + f.cpu AS id, f.slice_out, f.slice_in,
       NULL AS arg_set_id, f.trace_id, f.kind, f.ts_ns AS flow_ts
FROM (SELECT trace_id, cpu, seq, ts_ns,
             CASE type WHEN 16 THEN 'creates' WHEN 17 THEN 'reads'
                       WHEN 18 THEN 'try_read' WHEN 19 THEN 'resolves'
                       WHEN 20 THEN 'fails' WHEN 21 THEN 'becomes'
                       ELSE 'cancels' END AS kind,
             CASE WHEN type IN (17, 18, 21) THEN a ELSE b END AS slice_out,
             CASE WHEN type IN (17, 18, 21) THEN b ELSE a END AS slice_in
      FROM events WHERE type IN (16, 17, 18, 19, 20, 21, 24)) f
WHERE EXISTS (SELECT 1 FROM promises o WHERE o.trace_id = f.trace_id
              AND o.id = f.slice_out AND o.created_ns IS NOT NULL)
  AND EXISTS (SELECT 1 FROM promises i WHERE i.trace_id = f.trace_id
              AND i.id = f.slice_in AND i.created_ns IS NOT NULL);

-- thread_state: each thread's state over time, Perfetto's letters:
-- 'Running' exactly while it is switched in on a CPU (the thread_run
-- intervals, so per thread the Running time is its on-CPU time); off a
-- CPU, 'S' (blocked: blocked_on says on what), 'R' (woken, waiting for a
-- CPU; waker_utid woke it), 'R+' (switched out without blocking: a yield
-- or preemption), 'X' (exited). The state a thread leaves a CPU in is the
-- last of its block, wake, yield or exit records during that run ('R+'
-- if none): blocked and woken while still on its CPU leaves it runnable.
-- The last state lasts until the trace's last record.
--
-- How: per thread, its runs' starts (kind 1) and ends (kind 0) and its
-- state records (kind 2, what they say packed in one integer: state code
-- + 4 * reason + 64 * (waker + 1)) in order (time, cpu, record number),
-- in one window pass: on_cpu counts starts minus ends; rs_last (the
-- extension's "last non-NULL", sql_events.c) of -1 at a start and the
-- packed record at a state record is, at a run's end, the record that
-- came after its start (>= 0) or none (-1). n log n: one sort.
CREATE VIEW IF NOT EXISTS thread_state AS /* ringside views 3 */
WITH runs AS (
	SELECT trace_id, tid, ts, dur, cpu, seq, end_seq FROM thread_run
), marks AS (
	SELECT trace_id, tid, CASE k WHEN 0 THEN ts + dur ELSE ts END AS at,
	       dur, cpu,
	       CASE k WHEN 0 THEN coalesce(end_seq, 9223372036854775807)
	              ELSE seq END AS sk,
	       k AS kind, CASE k WHEN 1 THEN -1 END AS packed
	FROM runs CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 0)
	UNION ALL
	SELECT trace_id, a, ts_ns, NULL, cpu, seq, 2,
	       CASE type WHEN 5 THEN 0 WHEN 6 THEN 1 WHEN 7 THEN 2 ELSE 3 END
	       + CASE WHEN type = 5 AND b BETWEEN 1 AND 4 THEN 4 * b
	              WHEN type = 5 THEN 20 ELSE 0 END
	       + CASE WHEN type = 6 AND b BETWEEN 0 AND 4294967295
	              THEN 64 * (b + 1) ELSE 0 END
	FROM events WHERE type IN (3, 5, 6, 7)  -- exit, block, wake, yield
), ordered AS (
	SELECT trace_id, tid, kind, dur, at, cpu,
	       sum(CASE kind WHEN 1 THEN 1 WHEN 0 THEN -1 ELSE 0 END)
	           OVER o AS on_cpu,
	       rs_last(packed) OVER o AS last, LEAD(at) OVER o AS next_at
	FROM marks
	WINDOW o AS (PARTITION BY trace_id, tid ORDER BY at, cpu, sk, kind
	             ROWS UNBOUNDED PRECEDING)
)
-- Running rows are the runs; off a CPU, a state record sets the state
-- and a run's end keeps the one recorded last during that run
-- (last_kind 2), else the thread was preempted.
SELECT NULL AS id, at AS ts, dur, cpu,
       (trace_id - 1) * 4294967296 + tid AS utid, state, NULL AS io_wait,
       NULL AS blocked_function,
       (trace_id - 1) * 4294967296 + waker AS waker_utid, trace_id,
       blocked_on
FROM (
	SELECT trace_id, tid, at,
	       CASE WHEN kind = 1 THEN dur
	            ELSE coalesce(next_at, (SELECT max(c.max_ns) FROM chunks c
	                                    WHERE c.trace_id = ordered.trace_id))
	                 - at END AS dur,
	       CASE WHEN kind = 1 THEN cpu END AS cpu,
	       CASE WHEN kind = 1 THEN 'Running' WHEN last < 0 THEN 'R+'
	            ELSE CASE last % 4 WHEN 0 THEN 'S' WHEN 1 THEN 'R'
	                               WHEN 2 THEN 'R+' ELSE 'X' END
	            END AS state,
	       CASE WHEN kind != 1 AND last >= 0 AND last % 4 = 0 THEN
	            CASE last / 4 % 16 WHEN 1 THEN 'promise' WHEN 2 THEN 'sleep'
	                               WHEN 3 THEN 'event' WHEN 4 THEN 'join'
	                               ELSE 'unknown' END END AS blocked_on,
	       CASE WHEN kind != 1 AND last >= 64 THEN last / 64 - 1 END AS waker
	FROM ordered WHERE kind = 1 OR on_cpu = 0
)
WHERE state = 'Running' OR dur > 0;
