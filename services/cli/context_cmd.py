"""`hot context` (alias `hot ctx`): list, read, set and delete context variables over the REST API.

By default it talks to the local `hot dev` of the project folder (`--dev-dir`, default `.`: its
`.devdata/dev.json` names the gateway and the dev API key); `--url` and `--key` (or `HOT_API_URL`
and `HOT_API_KEY`) point it at any platform. Without `--project` the variables are
environment-level; with it, the project's. `set` stores VALUE as a string, or parsed as JSON with
`--json`; `--secret` marks it secret (masked in every run's output; never shown again, `get`
prints "<secret>").
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any


class CliError(Exception):
    """A message for the user; the command exits 1."""


def add_parser(sub: Any) -> None:
    for name in ("context", "ctx"):
        ctx = sub.add_parser(name, help="context variables and secrets" if name == "context" else argparse.SUPPRESS)
        ctx.add_argument("--project", "-p", default="", help="project id or name (default: environment-level)")
        ctx.add_argument("--url", default=os.environ.get("HOT_API_URL", ""),
                         help="API base URL (default: the local hot dev's gateway)")
        ctx.add_argument("--key", default=os.environ.get("HOT_API_KEY", ""), help="API key (default: hot dev's)")
        ctx.add_argument("--dev-dir", type=Path, default=Path("."),
                         help="project folder of the local hot dev (default: .)")
        actions = ctx.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="list the variables (never their values)")
        get = actions.add_parser("get", help="print a variable's value (a secret prints as <secret>)")
        get.add_argument("name")
        put = actions.add_parser("set", help="create or replace a variable")
        put.add_argument("name")
        put.add_argument("value")
        put.add_argument("-d", "--description", default=None)
        put.add_argument("--secret", action="store_true", help="mark the value secret")
        put.add_argument("--json", action="store_true", help="parse VALUE as JSON instead of storing a string")
        delete = actions.add_parser("delete", help="delete a variable")
        delete.add_argument("name")


def _target(args: argparse.Namespace) -> tuple[str, str]:
    url, key = args.url, args.key
    if not url or not key:
        state_file = args.dev_dir / ".devdata" / "dev.json"
        try:
            state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            raise CliError(f"no running hot dev found ({state_file} is missing): start `hot dev`, "
                           "or pass --url and --key") from None
        url = url or str(state.get("gateway_url", ""))
        key = key or str(state.get("api_key", ""))
    return url.rstrip("/"), key


def _request(base: str, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    if not base.startswith(("http://", "https://")):
        raise CliError(f"--url must be an http:// or https:// URL, got {base!r}")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method,  # noqa: S310 - scheme checked
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - scheme checked above
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        return err.code, parsed
    except urllib.error.URLError as err:
        raise CliError(f"cannot reach {base}: {err.reason}") from None


def _fail(status: int, body: Any) -> CliError:
    message = body.get("error", {}).get("message") if isinstance(body, dict) else None
    return CliError(f"HTTP {status}: {message or 'request failed'}")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except CliError as err:
        print(f"hot context: {err}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    base, key = _target(args)
    prefix = f"/v1/projects/{urllib.parse.quote(args.project, safe='')}/context" if args.project else "/v1/context"
    item = f"{prefix}/{urllib.parse.quote(getattr(args, 'name', '') or '', safe='')}"
    if args.action == "list":
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            status, body = _request(base, key, "GET", f"{prefix}?limit=500&offset={offset}")
            if status != 200:
                raise _fail(status, body)
            rows.extend(body["data"])
            if not body.get("has_more"):
                break
            offset += 500
        for row in rows:
            kind = "secret" if row.get("secret") else "plain"
            print(f"{row['key']}\t{kind}\t{row.get('updated_at') or ''}\t{row.get('description') or ''}")
        return 0
    if args.action == "get":
        status, body = _request(base, key, "GET", item)
        if status != 200:
            raise _fail(status, body)
        shown = body["data"].get("value")
        print(shown if isinstance(shown, str) else json.dumps(shown, indent=2, ensure_ascii=False))
        return 0
    if args.action == "delete":
        status, body = _request(base, key, "DELETE", item)
        if status != 204:
            raise _fail(status, body)
        print(f"deleted {args.name}")
        return 0
    payload: dict[str, Any] = {"value": args.value, "secret": bool(args.secret)}
    if args.json:
        try:
            payload = {"json_value": json.loads(args.value), "secret": bool(args.secret)}
        except ValueError as err:
            raise CliError(f"--json: VALUE is not JSON ({err})") from None
    if args.description is not None:
        payload["description"] = args.description
    status, body = _request(base, key, "POST", prefix, {"key": args.name, **payload})
    if status == 409:
        status, body = _request(base, key, "PUT", item, payload)
    if status not in (200, 201):
        raise _fail(status, body)
    print(f"set {args.name}{' (secret)' if args.secret else ''}")
    return 0
