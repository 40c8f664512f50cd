"""Schedule firing lateness with 10,000 active schedules (targets.md T5: p99 ≤ 20 ms).

Everything real and on this machine: embedded NATS and PostgreSQL, ingest and the scheduler
as their own processes (`python -m services.ingest`, `python -m services.scheduler`). The
database holds 9,500 recurring cron schedules (each fires every 10 minutes, spread so that
about 16 fire in every second) and 500 one-time schedules at millisecond offsets inside the
measured window. Lateness is read from PostgreSQL's clock afterwards:
- dispatched: `schedule_log.executed_at − scheduled_time` (the fire's log row is written);
- accepted: `event.created_at − scheduled_time` (ingest committed the `hot:schedule` event).

Run alone with `python -m benchmarks.scheduler_bench [--window 30]`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc
from psycopg.types.json import Jsonb

from benchmarks.table import Row, print_table
from services.core import db
from services.core.ids import new_id
from services.core.secretbox import new_key
from tests.support.servers import embedded_nats, embedded_postgres, free_port, make_temp_dir
from tests.support.stack import dev_environment

REPO = Path(__file__).resolve().parents[1]
CRON_SCHEDULES = 9_500
ONCE_SCHEDULES = 500
SOURCE = """
::bench::jobs ns

work
fn (event) {
  event
}
"""


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _service(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", module], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**os.environ, **env}, cwd=REPO)


def _wait_serving(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"service on port {port} did not start")


def _seed(dsn: str, window_start: datetime, window_s: float) -> None:
    """A project with a deployed build, and 10,000 schedules bound to it."""
    env_id, _ = dev_environment(dsn, org_name="bench", env_name="dev")
    project_id, build_id = new_id(), new_id()
    rng = random.Random(5)
    with psycopg.connect(dsn) as conn:
        conn.execute("INSERT INTO hot.project (project_id, env_id, name) VALUES (%s, %s, 'bench')",
                     (project_id, env_id))
        conn.execute("INSERT INTO hot.build (build_id, project_id, env_id, files, source_hash, deployed, "
                     "deployed_at) VALUES (%s, %s, %s, %s, 'bench', true, now())",
                     (build_id, project_id, env_id, Jsonb({"jobs.hot": SOURCE})))
        conn.execute("INSERT INTO hot.schedule_build_sync (build_id) VALUES (%s)", (build_id,))
        with conn.cursor().copy("COPY hot.schedule (schedule_id, env_id, project_id, build_id, ns, var, cron, "
                                "cron_normalized, expression, kind, run_at) FROM STDIN") as copy:
            for i in range(CRON_SCHEDULES):
                cron = f"{i % 60} {(i // 60) % 10}/10 * * * *"
                copy.write_row((new_id(), env_id, project_id, build_id, "::bench::jobs", "work", cron,
                                f"{cron} *", cron, "dynamic", None))
            for _ in range(ONCE_SCHEDULES):
                at = window_start + timedelta(seconds=rng.uniform(0, window_s))
                text = at.isoformat()
                copy.write_row((new_id(), env_id, project_id, build_id, "::bench::jobs", "work",
                                "@at:" + at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), None, text, "once", at))


def _measure(dsn: str, window_start: datetime, window_end: datetime) -> dict[str, list[float]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT s.kind, extract(epoch FROM l.executed_at - l.scheduled_time) * 1000, "
            "extract(epoch FROM e.created_at - l.scheduled_time) * 1000 "
            "FROM hot.schedule_log l JOIN hot.schedule s USING (schedule_id) "
            "LEFT JOIN hot.event e ON e.event_id = l.event_id "
            "WHERE l.scheduled_time >= %s AND l.scheduled_time < %s", (window_start, window_end)).fetchall()
    out: dict[str, list[float]] = {"cron_dispatch": [], "cron_event": [], "once_dispatch": [], "once_event": [],
                                   "missing": []}
    for kind, dispatched, accepted in rows:
        prefix = "once" if kind == "once" else "cron"
        out[f"{prefix}_dispatch"].append(float(dispatched))
        if accepted is None:
            out["missing"].append(0.0)
        else:
            out[f"{prefix}_event"].append(float(accepted))
    return out


def run(window_s: float = 30.0) -> list[Row]:
    """Start the stack, seed 10,000 schedules, let the scheduler fire for `window_s`, report lateness."""
    base = make_temp_dir("hot-sched-bench-")
    procs: list[subprocess.Popen[bytes]] = []
    with embedded_nats() as nats_url, embedded_postgres(fast_unsafe=False) as dsn:
        try:
            return _rows(_fire_window(base, nats_url, dsn, window_s, procs), window_s)
        finally:
            for proc in reversed(procs):
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            shutil.rmtree(base, ignore_errors=True)


def _fire_window(base: Path, nats_url: str, dsn: str, window_s: float,
                 procs: list[subprocess.Popen[bytes]]) -> dict[str, list[float]]:
    """Start ingest and the scheduler over seeded schedules and measure the window's fires."""
    db.migrate(dsn)
    ingest_port, scheduler_port = free_port(), free_port()
    procs.append(_service("services.ingest", {"DATABASE_URL": dsn, "NATS_URL": nats_url,
                                              "HOT_GRPC_LISTEN": f"127.0.0.1:{ingest_port}",
                                              "HOT_SECRETS_KEY": new_key(), "HOT_LOG_LEVEL": "WARNING"},
                          base / "ingest.log"))
    _wait_serving(ingest_port)
    warmup = 12.0  # scheduler start-up and loading 10,000 schedules happen before the window
    window_start = (datetime.now(UTC) + timedelta(seconds=warmup)).replace(microsecond=0)
    window_end = window_start + timedelta(seconds=window_s)
    _seed(dsn, window_start, window_s)
    procs.append(_service("services.scheduler", {"DATABASE_URL": dsn,
                                                 "HOT_INGEST_ADDR": f"127.0.0.1:{ingest_port}",
                                                 "HOT_GRPC_LISTEN": f"127.0.0.1:{scheduler_port}",
                                                 "HOT_LOG_LEVEL": "WARNING"}, base / "scheduler.log"))
    _wait_serving(scheduler_port)
    time.sleep(max(0.0, (window_end - datetime.now(UTC)).total_seconds() + 2.0))
    return _measure(dsn, window_start, window_end)


def _rows(measured: dict[str, list[float]], window_s: float) -> list[Row]:
    rows = []
    for label, key in (("cron", "cron_event"), ("one-time", "once_event")):
        values = measured[key]
        if not values:
            rows.append(Row("T5", f"{label}: no fires measured", "-", "p99 ≤ 20 ms", False))
            continue
        p50, p99 = _percentile(values, 50), _percentile(values, 99)
        rows.append(Row("T5", f"{label} fire → event accepted, 10,000 active ({len(values)} fires in {window_s:g} s)",
                        f"p50 {p50:.1f} ms / p99 {p99:.1f} ms", "p99 ≤ 20 ms", p99 <= 20.0))
    dispatch = measured["cron_dispatch"] + measured["once_dispatch"]
    if dispatch:
        rows.append(Row("-", "scheduled time → fire logged (dispatch only)",
                        f"p50 {_percentile(dispatch, 50):.1f} ms / p99 {_percentile(dispatch, 99):.1f} ms", "-", None))
    if measured["missing"]:
        rows.append(Row("-", "fires logged without an event", str(len(measured["missing"])), "0", False))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=30.0, help="seconds of firing to measure")
    args = parser.parse_args()
    print_table(run(args.window))


if __name__ == "__main__":
    main()
