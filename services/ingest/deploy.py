"""Deploying builds: a folder of .hot files becomes a stored build with registered handlers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from hotlang import FunctionInfo
from services.core import context as ctx_rules
from services.core import model
from services.core.db import Pool
from services.core.errors import BadRequest, Unprocessable
from services.core.ids import new_id
from services.sandbox.pool import LoadFailed, WorkerPool


@dataclass(frozen=True)
class HandlerSpec:
    event_type: str
    ns: str
    var: str
    meta: Any
    file: str | None
    line: int | None
    column: int | None


def source_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return digest.hexdigest()


async def find_handlers(sandbox: WorkerPool, files: dict[str, str],
                        functions_out: list[FunctionInfo] | None = None) -> list[HandlerSpec]:
    """Parse and load the sources in a sandbox worker (top-level code runs there, under the load
    time limit and the memory limit, while ingest keeps serving); every function with
    `meta {on-event: "<type>"}` is a handler.

    Raises Unprocessable with the formatted syntax or load error (or the limit) when the code is broken.
    """
    try:
        functions = await sandbox.inspect(f"deploy:{source_hash(files)}", files)
    except LoadFailed as err:
        raise Unprocessable(str(err)) from err
    if functions_out is not None:
        functions_out.extend(functions)
    handlers = []
    for fn in functions:
        meta = fn.meta if isinstance(fn.meta, dict) else {}
        event_type = meta.get("on-event")
        if event_type is None:
            continue
        if not isinstance(event_type, str) or not event_type:
            raise Unprocessable(f"{fn.qualified}: meta on-event must be a non-empty string")
        handlers.append(HandlerSpec(event_type=event_type, ns=fn.ns, var=fn.name, meta=meta,
                                    file=fn.file, line=fn.line, column=fn.column))
    handlers.sort(key=lambda h: (h.ns, h.var))
    return handlers


def validate_project_name(name: str) -> None:
    if not name or len(name) > 100 or not all(c.isalnum() or c in "-_." for c in name):
        raise BadRequest("project name must be 1-100 characters of letters, digits, '-', '_' or '.'")


async def missing_context(pool: Pool, env_id: str, project_name: str,
                          functions: list[FunctionInfo]) -> list[ctx_rules.CtxDecl]:
    """Required `meta {ctx}` keys of the build that no env-level or project-level variable sets."""
    decls = ctx_rules.declarations((f.qualified, f.file, f.meta) for f in functions)
    if not any(d.required for d in decls.values()):
        return []
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT c.key FROM hot.context c LEFT JOIN hot.project p ON p.project_id = c.project_id "
            "WHERE c.env_id = %s AND c.active AND (c.project_id IS NULL OR p.name = %s)", (env_id, project_name))
        stored = {r["key"] for r in await cur.fetchall()}
    return ctx_rules.missing_required(decls, stored)


async def deploy_build(pool: Pool, env_id: str, project_name: str, files: dict[str, str], *,
                       sandbox: WorkerPool, strict_context: bool = False) -> model.DeployResult:
    """Store the build and make it the project's deployed build, in one transaction.

    Deploying sources identical to the deployed build changes nothing (`changed=False`).
    Required context keys (`meta {ctx}`) no variable sets are a warning of the result, or, with
    `strict_context` (`HOT_DEPLOY_STRICT_CTX`), a 400 that names them.
    """
    validate_project_name(project_name)
    if not files:
        raise Unprocessable("a build needs at least one .hot file")
    digest = source_hash(files)
    functions: list[FunctionInfo] = []
    specs = await find_handlers(sandbox, files, functions)
    missing = await missing_context(pool, env_id, project_name, functions)
    if missing and strict_context:
        raise BadRequest(ctx_rules.missing_message(missing))
    warnings = (ctx_rules.missing_message(missing),) if missing else ()
    async with pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "INSERT INTO hot.project (project_id, env_id, name) VALUES (%s, %s, %s) "
            "ON CONFLICT (env_id, name) DO UPDATE SET active = true RETURNING project_id::text",
            (new_id(), env_id, project_name),
        )
        project_id = (await cur.fetchone() or {})["project_id"]
        cur = await conn.execute(
            "SELECT build_id::text, source_hash FROM hot.build WHERE project_id = %s AND deployed FOR UPDATE",
            (project_id,),
        )
        current = await cur.fetchone()
        if current is not None and current["source_hash"] == digest:
            cur = await conn.execute(
                "SELECT event_handler_id::text, event_type, ns, var, meta FROM hot.event_handler "
                "WHERE build_id = %s ORDER BY ns, var", (current["build_id"],))
            handlers = [model.Handler(r["event_handler_id"], current["build_id"], project_id, r["event_type"],
                                      r["ns"], r["var"], r["meta"]) for r in await cur.fetchall()]
            return model.DeployResult(current["build_id"], project_id, handlers, changed=False, warnings=warnings)
        if current is not None:
            await conn.execute("UPDATE hot.build SET deployed = false WHERE build_id = %s", (current["build_id"],))
        build_id = new_id()
        await conn.execute(
            "INSERT INTO hot.build (build_id, project_id, env_id, files, source_hash, deployed, deployed_at) "
            "VALUES (%s, %s, %s, %s, %s, true, now())",
            (build_id, project_id, env_id, Jsonb(files), digest),
        )
        handlers = []
        for spec in specs:
            handler_id = new_id()
            await conn.execute(
                "INSERT INTO hot.event_handler (event_handler_id, build_id, event_type, ns, var, meta, file, line, "
                "col) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (handler_id, build_id, spec.event_type, spec.ns, spec.var, Jsonb(spec.meta),
                 spec.file, spec.line, spec.column),
            )
            handlers.append(model.Handler(handler_id, build_id, project_id, spec.event_type, spec.ns, spec.var,
                                          spec.meta))
        # Delivered on commit: the scheduler re-syncs static schedules of the new build at once.
        await conn.execute("SELECT pg_notify('hot_deploy', %s)", (build_id,))
        return model.DeployResult(build_id, project_id, handlers, changed=True, warnings=warnings)
