"""REST API of context variables (integrations-spec §2.5, §7.3), what the official SDK's
`context` resource calls, plus our additions: reading one key (a secret reads as "<secret>"),
the `secret` flag (default true), `json_value` (any JSON value instead of the Str `value`), and
environment-level variables under `/v1/context`.

Only API keys may use them (403 otherwise, as upstream); values are never listed, and a
secret's value is never returned.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.core import jsonsafe, model
from services.core.errors import Forbidden, NotFound, Unprocessable
from services.core.wire import rfc3339
from services.gateway import envelope, params
from services.gateway.auth import principal_of
from services.gateway.state import INGEST

context_routes = web.RouteTableDef()

MAX_DESCRIPTION_LENGTH = 1000
MAX_KEY_LENGTH = 1024
"""Longer keys are refused here; ingest applies `HOT_MAX_CONTEXT_KEY_LENGTH` (256 by default)."""


def _api_key_env(request: web.Request, doing: str) -> str:
    principal = principal_of(request)
    if principal.kind != "api_key":
        raise Forbidden(f"Only API keys can {doing} context variables.")
    return principal.env_id


def _project(request: web.Request) -> str:
    """`{project}` of the path (id or name), or "" for the environment-level routes."""
    return params.path_name(request, "project", "project") if "project" in request.match_info else ""


def _key(request: web.Request) -> str:
    """The `{key}` segment; one no variable can have (too long, unstorable) is simply not found."""
    key = request.match_info["key"]
    if len(key) > MAX_KEY_LENGTH or jsonsafe.string_problem(key) is not None:
        raise NotFound("Context variable not found")
    return key


def variable_response(var: model.ContextVariable, *, with_value: bool = False) -> dict[str, Any]:
    """`ContextVariableResponse` `{key, description, created_at, updated_at}` and our `secret`
    (and `value` for a single read: the value, or "<secret>")."""
    body: dict[str, Any] = {"key": var.key, "description": var.description, "secret": var.secret,
                            "created_at": rfc3339(var.created_at), "updated_at": rfc3339(var.updated_at)}
    if with_value:
        body["value"] = var.value
    return body


async def _write(request: web.Request, key: str | None, mode: str) -> model.ContextVariable:
    env_id = _api_key_env(request, "create" if mode == "create" else "update")
    body = await params.json_object(request)
    if key is None:
        key = params.body_text(body, "key", MAX_KEY_LENGTH)
    if "json_value" in body:  # our addition (the CLI's --json): any JSON value instead of a Str
        value = body["json_value"]
    elif "value" not in body or body["value"] is None:
        raise Unprocessable("missing field 'value'")
    elif not isinstance(body["value"], str):
        raise Unprocessable("field 'value' must be a string")
    else:
        value = body["value"]
    description = params.body_text(body, "description", MAX_DESCRIPTION_LENGTH, required=False)
    secret = body.get("secret", True)
    if not isinstance(secret, bool):
        raise Unprocessable("field 'secret' must be a boolean")
    principal = principal_of(request)
    return await request.app[INGEST].set_context(env_id, _project(request), str(key), value,
                                                 description=description, secret=secret, mode=mode,
                                                 updated_by=principal.credential_id)


@context_routes.get("/v1/projects/{project}/context")
@context_routes.get("/v1/context")
async def list_context(request: web.Request) -> web.Response:
    env_id = _api_key_env(request, "list")
    page = await request.app[INGEST].list_context(env_id, _project(request), params.page(request))
    return envelope.page_listing(request, [variable_response(v) for v in page.items], page)


@context_routes.post("/v1/projects/{project}/context")
@context_routes.post("/v1/context")
async def create_context(request: web.Request) -> web.Response:
    """201 with the variable; 409 when the key is already set (upstream answers 500)."""
    return envelope.single(request, variable_response(await _write(request, None, "create")), status=201)


@context_routes.get("/v1/projects/{project}/context/{key}")
@context_routes.get("/v1/context/{key}")
async def get_context(request: web.Request) -> web.Response:
    env_id = _api_key_env(request, "read")
    var = await request.app[INGEST].get_context(env_id, _project(request), _key(request))
    return envelope.single(request, variable_response(var, with_value=True))


@context_routes.put("/v1/projects/{project}/context/{key}")
@context_routes.put("/v1/context/{key}")
async def update_context(request: web.Request) -> web.Response:
    """Replaces the value (an omitted description is stored as null); 404 when the key is not set.
    A body's problems are reported first; without a body, an unknown key is a 404."""
    key = _key(request)
    if not request.can_read_body:
        await request.app[INGEST].get_context(_api_key_env(request, "update"), _project(request), key)
    return envelope.single(request, variable_response(await _write(request, key, "update")))


@context_routes.delete("/v1/projects/{project}/context/{key}")
@context_routes.delete("/v1/context/{key}")
async def delete_context(request: web.Request) -> web.Response:
    env_id = _api_key_env(request, "delete")
    await request.app[INGEST].delete_context(env_id, _project(request), _key(request))
    return web.Response(status=204)
