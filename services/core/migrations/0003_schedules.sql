-- Schedules (platform-spec §4, §9): static ones from `meta {schedule: …}` of deployed builds,
-- dynamic recurring and one-time ones from hot:schedule:new; the log of fires, unique per
-- (schedule_id, scheduled_time) so a fire is idempotent; the scheduler's own state.

CREATE TABLE hot.schedule (
    schedule_id      uuid PRIMARY KEY,
    env_id           uuid NOT NULL REFERENCES hot.env,
    project_id       uuid NOT NULL REFERENCES hot.project,
    build_id         uuid NOT NULL REFERENCES hot.build ON DELETE CASCADE,
    ns               text NOT NULL,
    var              text NOT NULL,
    cron             text NOT NULL,          -- as written (English kept); '@at:<rfc3339>' for one-time
    cron_normalized  text,                   -- 7-field cron; NULL for one-time
    expression       text NOT NULL,          -- the schedule text exactly as given
    kind             text NOT NULL CHECK (kind IN ('static', 'dynamic', 'once')),
    run_at           timestamptz,            -- one-time only
    args             jsonb,                  -- dynamic args (a JSON list); NULL: none
    meta             jsonb,                  -- the function's meta (retry etc.) for static schedules
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    deactivated_at   timestamptz,
    next_fire_at     timestamptz,            -- informational; the leader keeps exact times in memory
    CHECK ((kind = 'once') = (run_at IS NOT NULL))
);
CREATE UNIQUE INDEX schedule_static_unique ON hot.schedule (build_id, ns, var, cron) WHERE kind = 'static';
CREATE INDEX schedule_active ON hot.schedule (build_id) WHERE active;
CREATE INDEX schedule_project ON hot.schedule (project_id, build_id);

CREATE TABLE hot.schedule_log (
    schedule_log_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_id      uuid NOT NULL REFERENCES hot.schedule ON DELETE CASCADE,
    scheduled_time   timestamptz NOT NULL,
    executed_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    event_id         uuid REFERENCES hot.event ON DELETE SET NULL,
    is_backfill      boolean NOT NULL DEFAULT false,
    UNIQUE (schedule_id, scheduled_time)
);
CREATE INDEX schedule_log_time ON hot.schedule_log (scheduled_time);

-- Builds whose static schedules have been registered (so a build is read once, and a
-- schedule cancelled by fn stays cancelled until the next deploy).
CREATE TABLE hot.schedule_build_sync (
    build_id   uuid PRIMARY KEY REFERENCES hot.build ON DELETE CASCADE,
    synced_at  timestamptz NOT NULL DEFAULT now(),
    error      text                      -- why a build's schedules could not be registered
);

CREATE TABLE hot.scheduler_state (
    scheduler_id               text PRIMARY KEY DEFAULT 'main',
    last_successful_sync_time  timestamptz,
    leader_id                  text,
    leader_since               timestamptz,
    leader_heartbeat_at        timestamptz,     -- the leader writes it every second
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
INSERT INTO hot.scheduler_state (scheduler_id) VALUES ('main');
