"""Rows of the shared tables (`hot.event`, `hot.run`, `hot.stream`) as domain objects.

Every service that reads these tables selects the columns named here and converts each row
with the function beside them, so a column added to a domain type changes one place.
"""

from __future__ import annotations

from typing import Any

from services.core import model

Row = dict[str, Any]

EVENT_COLUMNS = """
    event_id::text, env_id::text, stream_id::text, event_type, event_data, event_time, created_at,
    handled, source_run_id::text, retry_of_run_id::text, target_handler_id::text, retry_attempt
"""
"""Unqualified: for statements on `hot.event` alone (qualify with `qualified(EVENT_COLUMNS, alias)`)."""

RUN_COLUMNS = """
    r.run_id::text, r.env_id::text, r.stream_id::text, r.build_id::text, r.run_type_id, r.status_id,
    r.start_time, r.stop_time, r.origin_run_id::text, r.event_id::text, r.result, r.project_id::text,
    p.name AS project_name, r.retry_attempt, r.next_retry_at, r.fn_name, r.output, r.output_truncated
"""
RUN_FROM = "hot.run r LEFT JOIN hot.project p ON p.project_id = r.project_id"
"""The source `RUN_COLUMNS` reads from (the project's name comes from the join)."""

STREAM_COLUMNS = ("stream_id::text, env_id::text, created_at, started_at, last_activity_at, total_runs, "
                  "total_events, total_duration_ms")


def qualified(columns: str, alias: str) -> str:
    """`columns` with each one prefixed by `alias.` (for joins)."""
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


def event_from_row(row: Row) -> model.Event:
    return model.Event(event_id=row["event_id"], env_id=row["env_id"], stream_id=row["stream_id"],
                       event_type=row["event_type"], event_data=row["event_data"], event_time=row["event_time"],
                       created_at=row["created_at"], handled=row["handled"], source_run_id=row["source_run_id"],
                       retry_of_run_id=row["retry_of_run_id"], target_handler_id=row["target_handler_id"],
                       retry_attempt=row["retry_attempt"])


def run_from_row(row: Row) -> model.Run:
    return model.Run(
        run_id=row["run_id"], env_id=row["env_id"], stream_id=row["stream_id"], build_id=row["build_id"],
        run_type=model.RunType(row["run_type_id"]), status=model.RunStatus(row["status_id"]),
        start_time=row["start_time"], stop_time=row["stop_time"], origin_run_id=row["origin_run_id"],
        event_id=row["event_id"], result=row["result"], project_id=row["project_id"],
        project_name=row["project_name"], retry_attempt=row["retry_attempt"],
        next_retry_at=row["next_retry_at"], fn_name=row["fn_name"], output=row["output"],
        output_truncated=bool(row["output_truncated"]),
    )


def stream_from_row(row: Row) -> model.Stream:
    return model.Stream(stream_id=row["stream_id"], env_id=row["env_id"], created_at=row["created_at"],
                        started_at=row["started_at"], last_activity_at=row["last_activity_at"],
                        total_runs=row["total_runs"], total_events=row["total_events"],
                        total_duration_ms=row["total_duration_ms"])
