"""The Traces gRPC service: a run's stored execution trace (spans written by the executor).

Hosted by the ingest process; imports only the kernel (enforced by import-linter)."""
