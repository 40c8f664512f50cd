"""The context store on a real PostgreSQL: encrypted rows, scopes, conflicts, masking of reads,
the executor's loader (precedence, cache and its invalidation by time) and the deploy's report of
unset required keys, through ingest's gRPC API."""

from __future__ import annotations

import grpc
import pytest

from services.core import model
from services.core.clients import IngestClient
from services.core.config import ContextSettings
from services.core.context import MASK, declarations
from services.core.secretbox import SecretBox, new_key
from services.executor.context import ContextLoader
from services.ingest.context_store import ContextStore
from services.ingest.deploy import deploy_build
from tests.support.stack import SECRETS_KEY, Stack
from tests.support.waiting import wait_until_async

NEEDS_KEY = """
::app::chat ns

handle
meta {on-event: "chat:message", ctx: {"anthropic.api.key": {}, "base": {default: "https://x"}}}
fn (event) { ::hot::ctx/get("anthropic.api.key") }
"""


async def project_id(stack: Stack) -> str:
    await stack.deploy({"a.hot": "::app::a ns\nf fn () { 1 }\n"}, project="shop")
    rows = await stack.rows("SELECT project_id::text AS id FROM hot.project WHERE name = 'shop'")
    return str(rows[0]["id"])


async def test_values_are_encrypted_at_rest_and_secrets_read_as_the_mask(stack: Stack) -> None:
    await project_id(stack)
    async with IngestClient(stack.ingest_addr) as ingest:
        await ingest.set_context(stack.env_id, "shop", "api.key", "sk-very-secret-1", description="key",
                                 secret=True, mode="create")
        await ingest.set_context(stack.env_id, "shop", "base.url", "http://fake", description=None,
                                 secret=False, mode="create")
        secret = await ingest.get_context(stack.env_id, "shop", "api.key")
        plain = await ingest.get_context(stack.env_id, "shop", "base.url")
        listed = await ingest.list_context(stack.env_id, "shop", model.Page())
    assert (secret.value, secret.secret, secret.description) == (MASK, True, "key")
    assert (plain.value, plain.secret) == ("http://fake", False)
    assert [(v.key, v.value) for v in listed.items] == [("api.key", None), ("base.url", None)]
    rows = await stack.rows("SELECT key, value FROM hot.context ORDER BY key")
    assert all("sk-very-secret-1" not in r["value"] and "http://fake" not in r["value"] for r in rows)
    assert SecretBox(SECRETS_KEY).decrypt(rows[0]["value"], f"hot-context-v1|project:{secret.project_id}|api.key") \
        == '"sk-very-secret-1"'


async def test_create_conflicts_update_and_delete_need_the_key(stack: Stack) -> None:
    async with IngestClient(stack.ingest_addr) as ingest:
        await ingest.set_context(stack.env_id, "", "k", 1, description=None, secret=False, mode="create")
        with pytest.raises(grpc.aio.AioRpcError) as dup:
            await ingest.set_context(stack.env_id, "", "k", 2, description=None, secret=False, mode="create")
        assert dup.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert "already exists" in (dup.value.details() or "")
        for call in (ingest.set_context(stack.env_id, "", "nope", 2, description=None, secret=False, mode="update"),
                     ingest.delete_context(stack.env_id, "", "nope"), ingest.get_context(stack.env_id, "", "nope")):
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await call
            assert missing.value.code() is grpc.StatusCode.NOT_FOUND
            assert missing.value.details() == "Context variable not found"
        await ingest.delete_context(stack.env_id, "", "k")
        # A deleted key can be created again (the unique index covers active rows only).
        await ingest.set_context(stack.env_id, "", "k", 3, description=None, secret=False, mode="create")
        assert (await ingest.get_context(stack.env_id, "", "k")).value == 3
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await ingest.list_context(stack.env_id, "no-such-project", model.Page())
        assert unknown.value.details() == "Project not found"


async def test_limits_are_enforced_with_clear_errors(stack: Stack) -> None:
    store = ContextStore(stack.pool, SecretBox(SECRETS_KEY), ContextSettings(max_value_bytes=20, max_keys=2,
                                                                              max_key_length=8))
    with pytest.raises(Exception, match="HOT_MAX_CONTEXT_VALUE_BYTES"):
        await store.write(stack.env_id, None, "k", '"' + "x" * 40 + '"', description=None, secret=True)
    with pytest.raises(Exception, match="HOT_MAX_CONTEXT_KEY_LENGTH"):
        await store.write(stack.env_id, None, "much-too-long", "1", description=None, secret=True)
    await store.write(stack.env_id, None, "a", "1", description=None, secret=True)
    await store.write(stack.env_id, None, "b", "1", description=None, secret=True)
    with pytest.raises(Exception, match="HOT_MAX_CONTEXT_KEYS=2"):
        await store.write(stack.env_id, None, "c", "1", description=None, secret=True)


async def test_the_loader_layers_env_and_project_rows_and_sees_changes_after_its_ttl(stack: Stack) -> None:
    pid = await project_id(stack)
    store = ContextStore(stack.pool, SecretBox(SECRETS_KEY), ContextSettings())
    await store.write(stack.env_id, None, "shared", '"env"', description=None, secret=False)
    await store.write(stack.env_id, None, "env.only", '"e"', description=None, secret=True)
    await store.write(stack.env_id, pid, "shared", '"project"', description=None, secret=False)
    decls = declarations([("::f", None, {"ctx": {"with.default": {"default": 7, "secret": False}}})])
    cached = ContextLoader(stack.pool, SecretBox(SECRETS_KEY), ttl_s=1.0)
    uncached = ContextLoader(stack.pool, SecretBox(SECRETS_KEY), ttl_s=0)
    got = await cached.for_run(stack.env_id, pid, decls)
    assert got.values == {"shared": "project", "env.only": "e", "with.default": 7}
    assert got.secret_keys == {"env.only"}
    await store.write(stack.env_id, pid, "shared", '"changed"', description=None, secret=False)
    assert (await uncached.for_run(stack.env_id, pid, {})).values["shared"] == "changed"
    assert (await cached.for_run(stack.env_id, pid, {})).values["shared"] == "project"  # cached

    async def cached_sees_it() -> bool:
        return bool((await cached.for_run(stack.env_id, pid, {})).values["shared"] == "changed")

    await wait_until_async(cached_sees_it, 2.5, what="the cached context after its 1 s TTL")


async def test_a_row_encrypted_with_another_key_is_skipped(stack: Stack) -> None:
    await ContextStore(stack.pool, SecretBox(new_key()), ContextSettings()).write(
        stack.env_id, None, "foreign", '"x"', description=None, secret=True)
    await ContextStore(stack.pool, SecretBox(SECRETS_KEY), ContextSettings()).write(
        stack.env_id, None, "ours", '"y"', description=None, secret=True)
    got = await ContextLoader(stack.pool, SecretBox(SECRETS_KEY), ttl_s=0).for_run(stack.env_id, None, {})
    assert got.values == {"ours": "y"}


async def test_a_deploy_reports_unset_required_keys_and_strict_mode_refuses(stack: Stack) -> None:
    async with IngestClient(stack.ingest_addr) as ingest:
        result = await ingest.deploy_build(stack.env_id, "chat", {"chat.hot": NEEDS_KEY})
        assert result.warnings == (
            "Context requirements not satisfied: Missing required context variable 'anthropic.api.key' "
            "(required by ::app::chat/handle in chat.hot). Please set these as context variables.",)
        await ingest.set_context(stack.env_id, "chat", "anthropic.api.key", "sk-1", description=None, secret=True)
        again = await ingest.deploy_build(stack.env_id, "chat", {"chat.hot": NEEDS_KEY + "\n"})
        assert again.warnings == ()
    with pytest.raises(Exception, match="Context requirements not satisfied") as refused:
        await deploy_build(stack.pool, stack.env_id, "other", {"chat.hot": NEEDS_KEY}, sandbox=stack.sandbox,
                           strict_context=True)
    assert getattr(refused.value, "http_status", None) == 400
