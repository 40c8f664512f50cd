"""Scheduler: cron and English schedules, one-time and dynamic schedules, due retries, one leader.

Pure code: `cron` (fields, next fire), `english` (phrases → cron), `expressions` (what users
write, §4.2/§4.3 parse order). Storage: `store` (schedule rows), `static` (meta schedules of
deployed builds). Running: `leader` (advisory lock), `node` (one replica: elect, then lead),
`firing` (the exact-time firing loop), `retries` (due `pending_retry` runs), `clock`
(injected time), `ingest_sink` (fires and retries go through ingest). Edge: `servicer`.
"""
