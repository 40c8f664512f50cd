"""Run every benchmark and print one table against the targets in docs/targets.md."""

from __future__ import annotations

import argparse

from benchmarks import (
    http_bench,
    language_bench,
    platform_bench,
    sandbox_bench,
    scheduler_bench,
    streams_bench,
    traces_bench,
)
from benchmarks.table import Row, print_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000, help="events for the throughput run")
    args = parser.parse_args()
    rows: list[Row] = []
    rows += language_bench.run()
    rows += platform_bench.run(events=args.events)
    rows += sandbox_bench.run()
    rows += streams_bench.run()
    rows += scheduler_bench.run()
    rows += traces_bench.run()
    rows += http_bench.run()
    print_table(rows)


if __name__ == "__main__":
    main()
