-- A legacy import's events stored once per case: the step times its export gave (owner: transforms/cases; issue 20
-- item 7: a million-row 案卷 export within 3× a bare read_csv).
--
-- Why: a legacy export carries at most seven step times per case (上报, 受理, 立案, 派遣, 处置反馈, 核查, 结案/作废/不予立案)
-- and everything else of its events is either NULL, one value per load, or a function of the case's row. Written
-- as events (migration 0102's core.case_event_row) a million cases were 4.3 M rows × 14 columns sorted by (case, seq):
-- the largest part of the import. Here one row per case; the view core.case_event
-- (warehouse/models/core/core.case_event.sql) gives back each step whose time is known as the event the import used
-- to store, every column with the same name, type and value: seq = the step's place among the case's steps by
-- (time, step order), computed at load (one integer per case: a reader does not compare the times), event_id =
-- '<origin case id>:<step>', origin_system and batch_id of its load (core.case_event_load, shared with the bulk
-- loads), the rest NULL. Rows loaded before this migration stay in
-- core.case_event_row and read the same; nothing moves.
CREATE TABLE core.case_event_legacy (     -- one row per legacy case: its steps, as the import synthesised them
    load_no             INTEGER NOT NULL,  -- core.case_event_load: origin_system, batch_id
    case_id             VARCHAR NOT NULL,  -- <origin_system>:<origin case id>
    places              INTEGER NOT NULL,  -- each step's seq, 3 bits per step in step order: step k's seq is
                                           -- (places >> 3k) & 7, its place among the case's steps by (time, step order)
    department_code     VARCHAR,           -- on 派遣, 处置反馈 and the terminal step
    reported_at         TIMESTAMP,         -- 上报 (report); NULL: no such step (each step likewise)
    accepted_at         TIMESTAMP,         -- 受理 (accept)
    registered_at       TIMESTAMP,         -- 立案 (register)
    dispatched_at       TIMESTAMP,         -- 派遣 (dispatch)
    handled_at          TIMESTAMP,         -- 处置反馈 (feedback)
    checked_at          TIMESTAMP,         -- 核查 (check)
    ended_at            TIMESTAMP,         -- the terminal step (close / void / reject); NULL: the case has not ended
    end_state           VARCHAR,           -- the case's terminal state (closed / voided / rejected)
    origin_status       VARCHAR,           -- the export's status, the terminal step's origin_action 'status:<…>'
    registered_inferred BOOLEAN NOT NULL,  -- 立案/派遣/处置反馈 time from the mapping's steps rule, not an export column
    dispatched_inferred BOOLEAN NOT NULL,
    handled_inferred    BOOLEAN NOT NULL,
    deadline_at         TIMESTAMP,         -- the 处置 deadline, on 派遣 and 处置反馈
    deadline_met        BOOLEAN            -- the 处置 verdict, on 处置反馈
);
