"""Everything tests share, and the only thing test modules import besides the code under test.

- `platform`: `DevPlatform` (a real `hot dev` over a copy of a project; its database helpers
  `db_rows`, `db_count`, `db_execute`, `wait_events_completed`) and `running(files, **options)`.
- `api`: `ApiClient` (an `httpx.Client` with `publish`, `runs_of`, `run`, `settled_runs`).
- `sse`: `read_sse`, `parse_blocks`, `SseCapture`, and `SseSubscription` (a background reader
  that is live once entered).
- `stack`: `Stack`, `SchedulerServer`, `open_stack`, `dev_environment` (in-process ingest and
  scheduler over a fresh database).
- `fixtures`: the pytest fixtures `nats_url`, `pg_dsn`, `stack`, `api`.
- `servers`: `REPO`, `make_temp_dir`, `free_port`, `embedded_nats`, `embedded_postgres`.
- `sources`: Hot sources several modules deploy (`FAILING`, `JOBS`, `MATH`, `EVERY_SECOND`).
- `language`: `run_hot(source)`.
- `waiting`: `wait_until`, `wait_until_async`, the one polling loop (with a deadline).

Product internals that other branches are moving (`services.core.devstack`,
`services.core.credentials`) are imported only in `servers.py` and `stack.py`.
"""
