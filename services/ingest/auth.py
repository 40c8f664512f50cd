"""Resolving bearer tokens to principals."""

from __future__ import annotations

from services.core import model
from services.core.db import Pool
from services.core.errors import Unauthenticated
from services.core.tokens import token_hash


async def authenticate(pool: Pool, token: str) -> model.Principal:
    """The principal of an active, unexpired API key in an active environment."""
    if not token:
        raise Unauthenticated("missing token")
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT k.api_key_id::text AS key_id, k.env_id::text AS env_id, e.org_id::text AS org_id, "
            "k.permissions FROM hot.api_key k JOIN hot.env e ON e.env_id = k.env_id "
            "WHERE k.token_hash = %s AND k.active AND e.active AND (k.expires_at IS NULL OR k.expires_at > now())",
            (token_hash(token),),
        )
        row = await cur.fetchone()
    if row is None:
        raise Unauthenticated("unknown, expired or revoked token")
    return model.Principal(env_id=row["env_id"], org_id=row["org_id"], credential_id=row["key_id"],
                           kind="api_key", permissions=row["permissions"])
