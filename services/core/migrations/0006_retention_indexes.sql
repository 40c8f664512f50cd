-- Retention (docs/decisions/0020): the scheduler leader deletes old rows in small batches.
-- Each batch finds its rows by age through an index, and every delete's foreign-key checks
-- (and schedule_log's ON DELETE SET NULL) look the referencing rows up through an index, so
-- a batch touches only its own rows instead of scanning whole tables.

-- Finding old rows, oldest first.
CREATE INDEX IF NOT EXISTS event_created ON hot.event (created_at);
CREATE INDEX IF NOT EXISTS run_terminal_stop ON hot.run (stop_time) WHERE status_id IN (2, 3, 4);
CREATE INDEX IF NOT EXISTS trace_span_end ON hot.trace_span (end_time);
CREATE INDEX IF NOT EXISTS schedule_log_executed ON hot.schedule_log (executed_at);
CREATE INDEX IF NOT EXISTS dead_letter_age ON hot.dead_letter ((coalesce(replayed_at, created_at)));
CREATE INDEX IF NOT EXISTS stream_activity ON hot.stream (last_activity_at);

-- Rows that refer to a deleted run or event.
CREATE INDEX IF NOT EXISTS event_retry_of_run ON hot.event (retry_of_run_id) WHERE retry_of_run_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS dead_letter_event ON hot.dead_letter (event_id);
CREATE INDEX IF NOT EXISTS schedule_log_event ON hot.schedule_log (event_id) WHERE event_id IS NOT NULL;
