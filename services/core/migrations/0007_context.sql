-- Context variables and secrets (issue 11; integrations-spec §2.4). A row belongs to an
-- environment (env-level) or to a project (project-level), never both. `value` is always
-- ciphertext: base64(nonce ‖ AES-256-GCM(JSON text of the value) ‖ tag), key from HOT_SECRETS_KEY.
-- `secret` marks values that are masked everywhere (runs, traces, logs, API reads).
-- `active` is the soft-delete flag; keys are unique among active rows of one scope.

CREATE TABLE hot.context (
    context_id  uuid PRIMARY KEY,
    env_id      uuid NOT NULL REFERENCES hot.env (env_id),
    project_id  uuid REFERENCES hot.project (project_id),
    key         text NOT NULL,
    value       text NOT NULL,
    secret      boolean NOT NULL DEFAULT true,
    description text,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    updated_by  text
);

CREATE UNIQUE INDEX context_env_key ON hot.context (env_id, key) WHERE active AND project_id IS NULL;
CREATE UNIQUE INDEX context_project_key ON hot.context (project_id, key) WHERE active AND project_id IS NOT NULL;
