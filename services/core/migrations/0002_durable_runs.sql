-- Durable runs: retry lineage on events, dead letters.

-- A retry is a new event row copying the failed run's event; these columns say which
-- handler it targets, which run it retries and which attempt it is.
ALTER TABLE hot.event
    ADD COLUMN retry_of_run_id    uuid REFERENCES hot.run,
    ADD COLUMN target_handler_id  uuid REFERENCES hot.event_handler,
    ADD COLUMN retry_attempt      smallint NOT NULL DEFAULT 0;

-- Events whose queue message exhausted its deliveries.
CREATE TABLE hot.dead_letter (
    dead_letter_id  uuid PRIMARY KEY,
    env_id          uuid NOT NULL REFERENCES hot.env,
    event_id        uuid NOT NULL REFERENCES hot.event,
    deliveries      integer NOT NULL,
    reason          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    replayed_at     timestamptz,
    replay_count    integer NOT NULL DEFAULT 0
);
CREATE INDEX dead_letter_env_created ON hot.dead_letter (env_id, created_at DESC);
CREATE UNIQUE INDEX dead_letter_open_event ON hot.dead_letter (event_id) WHERE replayed_at IS NULL;

-- The scheduler looks for due retries; cancellation looks runs up by status.
CREATE INDEX IF NOT EXISTS run_running ON hot.run (event_id) WHERE status_id = 1;
