-- core.case_event becomes a view over two stored tables, so that a bulk load writes only what its file carries
-- (owner: transforms/cases; issue 23: case events from Parquet ≤ 1.5× the bare copy).
--
-- Why: the Parquet import wrote 23 columns per event where its file has 12 — `event_id` (= '<origin case id>:<seq>'),
-- `origin_system` and `batch_id` (one value per load), `origin_action` (= `action`) and seven columns the file does
-- not carry (NULL). At 1 M cases (8.4 M events) that cost ≈ 10 CPU-s more than inserting the file's own columns,
-- almost the whole bare copy of both files again (bench/cases/README.md). Here those columns are derived when read:
--   * core.case_event_row  — every column as given: the renamed table, with every row loaded before this migration
--                            (no data moves) and every later row of the change feed, the legacy imports and any
--                            Parquet file that carries a column core.case_event_bulk lacks;
--   * core.case_event_bulk — the synthetic city's event file as loaded: its columns, `case_id` with the origin prefix,
--                            states translated, and the number of its load;
--   * core.case_event_load — per bulk load: its origin system and batch (the landed events file).
-- The view core.case_event (warehouse/models/core/core.case_event.sql) gives back every column with the same name,
-- type and value as before; a reader that does not ask for a derived column does not compute it. Writers insert
-- into the stored tables; nothing writes through the view. NOT NULL holds on the stored columns as it did on the
-- table; (case_id, seq) and (origin_system, event_id) stay unique through the loaders' gates and the
-- cases_conformed audit, which reads the view (migration 0050).
ALTER TABLE core.case_event RENAME TO case_event_row;

CREATE TABLE core.case_event_load (       -- one row per bulk load of events
    load_no        INTEGER PRIMARY KEY,   -- the import takes max + 1
    origin_system  VARCHAR NOT NULL,      -- e.g. synth
    batch_id       VARCHAR NOT NULL UNIQUE  -- the landed events file (landing.landed_file)
);

CREATE TABLE core.case_event_bulk (       -- events of a bulk load, as its file carries them
    load_no          INTEGER NOT NULL,    -- core.case_event_load: origin_system, batch_id, and so event_id
    case_id          VARCHAR NOT NULL,    -- <origin_system>:<origin case id>
    seq              INTEGER NOT NULL,
    action           VARCHAR NOT NULL,    -- also the origin's action (origin_action)
    from_state       VARCHAR,
    to_state         VARCHAR,
    occurred_at      TIMESTAMP NOT NULL,
    actor_id         VARCHAR,
    actor_role       VARCHAR,
    department_code  VARCHAR,
    deadline_at      TIMESTAMP,
    deadline_met     BOOLEAN,
    step             VARCHAR
);
