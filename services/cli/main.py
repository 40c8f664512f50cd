"""`hot` console script: dispatches to the platform (`dev`) or the language tools (`run`, ...)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

LANGUAGE_COMMANDS = ("run", "test", "check", "deps", "repl")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in LANGUAGE_COMMANDS:
        from hotlang.tools.cli import main as language_main

        return int(language_main(args))
    parser = argparse.ArgumentParser(prog="hot", description="Hot for Python: event-driven workflows in Hot.")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="run the whole platform locally with embedded NATS and PostgreSQL")
    dev.add_argument("--project", type=Path, default=Path("."), help="folder of .hot files to deploy (default: .)")
    dev.add_argument("--port", type=int, default=4681, help="gateway HTTP port (default 4681; 0 picks a free one)")
    dev.add_argument("--name", default=None,
                     help="project name (default: the one hot.hot declares, else the folder's name)")
    dev.add_argument("--executors", type=int, default=None,
                     help="executor processes to run (default 1, or HOT_DEV_EXECUTORS)")
    for name in LANGUAGE_COMMANDS:
        sub.add_parser(name, help=f"hot {name} … (Hot language tools)")
    from services.cli import context_cmd

    context_cmd.add_parser(sub)
    parsed = parser.parse_args(args)
    if parsed.command in ("context", "ctx"):
        return context_cmd.run(parsed)
    if parsed.command == "dev":
        from services.cli.dev import run_dev
        from services.core.config import SettingsError
        from services.devtools.settings import DevSettings

        try:
            settings = DevSettings.from_env()
        except SettingsError as exc:
            parser.error(str(exc))
        executors = settings.executors if parsed.executors is None else parsed.executors
        if executors < 1:
            parser.error("--executors must be at least 1")
        return run_dev(parsed.project, parsed.port, parsed.name, settings, executors=executors)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
