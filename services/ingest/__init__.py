"""Ingest: accepts events (persist, then enqueue), deploys builds, answers reads of events and runs."""
