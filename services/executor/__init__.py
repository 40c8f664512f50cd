"""Executor: consumes events from JetStream, routes them to handlers, runs the Hot interpreter.

Wiring: `app` (the object graph `__main__` runs). Edge: `consumer` (JetStream pulls, acks),
`control` (cancel commands on core NATS), `ingest_events` (`send` through ingest), `servicer`
(status). Running: `runner` (one event's runs), `host` (what a run's Hot code may call),
`builds` (loaded programs, preloaded), `routing` (handlers per type), `builtins` (schedule
handlers), `retry` (retry policy). Storage: `store`, `writer` (batched run writes),
`trace_store` and `tracing` (spans).
"""
