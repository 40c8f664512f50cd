-- Execution traces (platform-spec §7, hotlang-spec §7): one row per span of a run — the
-- `hot.run` root, a span per Hot function call and per non-serial flow. Written in batches by
-- the executor's span processor shortly after each span ends (never on the run's hot path).

CREATE TABLE hot.trace_span (
    span_id         text PRIMARY KEY,            -- 16 hex digits (W3C / OpenTelemetry)
    trace_id        text NOT NULL,               -- 32 hex digits
    parent_span_id  text,                        -- NULL for a root with no remote parent
    run_id          uuid NOT NULL REFERENCES hot.run ON DELETE CASCADE,
    name            text NOT NULL,
    kind            text NOT NULL,
    start_time      timestamptz NOT NULL,
    end_time        timestamptz NOT NULL,
    duration_us     bigint NOT NULL,
    status          text NOT NULL CHECK (status IN ('unset', 'ok', 'error')),
    status_message  text,
    attributes      jsonb NOT NULL DEFAULT '{}',
    events          jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX trace_span_run ON hot.trace_span (run_id, start_time);
CREATE INDEX trace_span_trace ON hot.trace_span (trace_id);
