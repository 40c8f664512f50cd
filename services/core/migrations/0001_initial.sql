-- Initial schema: organisations, environments, API keys, projects, builds, handlers,
-- streams, events and runs. Shapes follow platform-spec.md section 9, with the
-- recommended additions (run.event_handler_id, event.source_run_id).

CREATE SCHEMA IF NOT EXISTS hot;

CREATE TABLE hot.org (
    org_id      uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hot.env (
    env_id      uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES hot.org,
    name        text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

CREATE TABLE hot.api_key (
    api_key_id   uuid PRIMARY KEY,
    env_id       uuid NOT NULL REFERENCES hot.env,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,   -- sha256 of the token; the token itself is never stored
    token_prefix text NOT NULL,          -- first characters, to recognise a key in listings
    permissions  jsonb NOT NULL DEFAULT '{"*:*": ["*"]}',
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz
);

CREATE TABLE hot.project (
    project_id  uuid PRIMARY KEY,
    env_id      uuid NOT NULL REFERENCES hot.env,
    name        text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (env_id, name)
);

CREATE TABLE hot.build (
    build_id        uuid PRIMARY KEY,
    project_id      uuid NOT NULL REFERENCES hot.project,
    env_id          uuid NOT NULL REFERENCES hot.env,
    files           jsonb NOT NULL,          -- {"path": "source", ...}
    source_hash     text NOT NULL,
    deployed        boolean NOT NULL DEFAULT false,
    active          boolean NOT NULL DEFAULT true,
    runtime_status  text NOT NULL DEFAULT 'ready',
    created_at      timestamptz NOT NULL DEFAULT now(),
    deployed_at     timestamptz
);
-- At most one deployed build per project.
CREATE UNIQUE INDEX build_one_deployed ON hot.build (project_id) WHERE deployed;

CREATE TABLE hot.event_handler (
    event_handler_id uuid PRIMARY KEY,
    build_id         uuid NOT NULL REFERENCES hot.build ON DELETE CASCADE,
    event_type       text NOT NULL,
    ns               text NOT NULL,
    var              text NOT NULL,
    meta             jsonb,
    file             text,
    line             integer,
    col              integer
);
CREATE INDEX event_handler_build ON hot.event_handler (build_id);
CREATE INDEX event_handler_type ON hot.event_handler (event_type);

CREATE TABLE hot.run_status (
    status_id  smallint PRIMARY KEY,
    status     text NOT NULL UNIQUE,
    sort_order smallint NOT NULL
);
INSERT INTO hot.run_status VALUES
    (1, 'running', 1), (2, 'succeeded', 2), (3, 'failed', 3), (4, 'cancelled', 4), (5, 'pending_retry', 5);

CREATE TABLE hot.run_type (
    run_type_id smallint PRIMARY KEY,
    run_type    text NOT NULL UNIQUE,
    sort_order  smallint NOT NULL
);
INSERT INTO hot.run_type VALUES
    (1, 'call', 1), (2, 'event', 2), (3, 'schedule', 3), (4, 'run', 4), (5, 'eval', 5), (6, 'repl', 6), (7, 'task', 7);

CREATE TABLE hot.stream (
    stream_id          uuid PRIMARY KEY,
    env_id             uuid NOT NULL REFERENCES hot.env,
    name               text,
    description        text,
    tags               jsonb,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz NOT NULL DEFAULT now(),
    last_activity_at   timestamptz NOT NULL DEFAULT now(),
    total_runs         integer NOT NULL DEFAULT 0,
    total_events       integer NOT NULL DEFAULT 0,
    total_duration_ms  bigint NOT NULL DEFAULT 0
);
CREATE INDEX stream_env_activity ON hot.stream (env_id, last_activity_at DESC);

CREATE TABLE hot.event (
    event_id        uuid PRIMARY KEY,
    env_id          uuid NOT NULL REFERENCES hot.env,
    stream_id       uuid NOT NULL REFERENCES hot.stream,
    event_type      text NOT NULL,
    event_data      jsonb NOT NULL,
    event_time      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text,
    handled         boolean NOT NULL DEFAULT false,
    source_run_id   uuid,                  -- the run whose send() emitted this event
    published_at    timestamptz,           -- JetStream publish acknowledged (outbox bookkeeping)
    completed_at    timestamptz            -- every selected handler reached a terminal state
);
CREATE INDEX event_env_time ON hot.event (env_id, event_time DESC);
CREATE INDEX event_stream ON hot.event (stream_id);
CREATE INDEX event_type_idx ON hot.event (event_type);
CREATE INDEX event_unpublished ON hot.event (created_at) WHERE published_at IS NULL;

CREATE TABLE hot.run (
    run_id            uuid PRIMARY KEY,
    env_id            uuid NOT NULL REFERENCES hot.env,
    stream_id         uuid NOT NULL REFERENCES hot.stream,
    build_id          uuid REFERENCES hot.build,
    project_id        uuid REFERENCES hot.project,
    run_type_id       smallint NOT NULL REFERENCES hot.run_type,
    origin_run_id     uuid REFERENCES hot.run,
    event_id          uuid REFERENCES hot.event,
    event_handler_id  uuid REFERENCES hot.event_handler,
    fn_name           text,
    start_time        timestamptz NOT NULL DEFAULT now(),
    stop_time         timestamptz,
    status_id         smallint NOT NULL DEFAULT 1 REFERENCES hot.run_status,
    result            jsonb,
    info              jsonb,
    retry_attempt     smallint NOT NULL DEFAULT 0,
    next_retry_at     timestamptz
);
CREATE INDEX run_env_start ON hot.run (env_id, start_time DESC);
CREATE INDEX run_env_status_start ON hot.run (env_id, status_id, start_time DESC);
CREATE INDEX run_env_type_start ON hot.run (env_id, run_type_id, start_time DESC);
CREATE INDEX run_stream ON hot.run (stream_id);
CREATE INDEX run_event ON hot.run (event_id);
CREATE INDEX run_origin ON hot.run (origin_run_id);
CREATE INDEX run_pending_retry ON hot.run (next_retry_at) WHERE status_id = 5;
