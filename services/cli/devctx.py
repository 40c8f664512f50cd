"""`hot dev`'s local context (integrations-spec §2.8): `hot/ctx.hot` of the project, if it exists.

The file is Hot code (a `::hot::run::ctx ns` line is prepended when it declares no namespace);
every `::hot::ctx/set` (or `set-secret`) in its top-level code fills the dev context, the lowest
layer of every run's context, typically from `.env` through `::hot::env/get`. `hot dev` evaluates
it on start and whenever it or `.env` changes, into `.devdata/dev-context.json`, which its
executors read (`HOT_DEV_CONTEXT_FILE`). Deployed projects never read it. It runs in the `hot dev` process, as `hot
run` runs a file: it is the developer's own code on their own machine.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from hotlang import HotError, HotRuntimeError, HotSyntaxError, Limits, load_program, to_json
from hotlang.runtime.host import NullHost

CTX_FILE = Path("hot") / "ctx.hot"
_NS_LINE = re.compile(r"^\s*::[\w:.-]+\s+ns\b", re.MULTILINE)


class DevContextError(Exception):
    """The context file does not load; `str()` says why."""


def dotenv(project: Path) -> dict[str, str]:
    """`KEY=value` lines of the project's `.env` (comments and blank lines skipped, quotes removed)."""
    path = project / ".env"
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(errors="replace").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


class _EnvHost(NullHost):
    """The host of the context file: `::hot::env/get` reads `.env`, then the process environment;
    no events (otherwise the local CLI's host: stdout, the wall clock, local HTTP)."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env

    def env(self, name: str) -> str | None:
        return self._env.get(name, os.environ.get(name))

    def send(self, event_type: str, data: Any) -> dict[str, Any]:
        raise HotRuntimeError("send is not available in the context file")


def load_dev_context(project: Path, *, max_seconds: float = 10.0) -> dict[str, Any]:
    """The dev context, `{"values": {key: plain JSON}, "secret_keys": [...]}` (the keys written with
    `set-secret`); empty values when there is no `hot/ctx.hot`."""
    path = project / CTX_FILE
    if not path.is_file():
        return {"values": {}, "secret_keys": []}
    text = path.read_text(errors="replace")
    if not _NS_LINE.search(text):
        text = "::hot::run::ctx ns\n" + text
    store: dict[str, Any] = {}
    secret: set[str] = set()
    try:
        program = load_program({}, limits=Limits(max_seconds=max_seconds))
        program.load({str(CTX_FILE): text}, _EnvHost(dotenv(project)), Limits(max_seconds=max_seconds), ctx=store,
                     secret_keys=secret)
        plain = {key: to_json(value) for key, value in store.items()}
        json.dumps(plain)
    except HotSyntaxError as err:
        raise DevContextError(err.format()) from None
    except (HotError, TypeError, ValueError) as err:
        raise DevContextError(f"{CTX_FILE}: {err}") from None
    return {"values": plain, "secret_keys": sorted(secret & set(plain))}
