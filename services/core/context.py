"""Context variables and secrets, the pure rules (integrations-spec §2; docs/decisions/0022).

- `declarations`: the `meta {ctx: {key: {required?, default?, secret?}}}` of a build's functions.
- `layer`: a run's context from its layers, lowest first: the dev context, environment-level
  rows, project-level rows, then `ctx` meta defaults for keys still missing (§2.2).
- `Masker`: replaces every occurrence of a run's secret values with `MASK` in what the platform
  stores or publishes for the run (result, failure message, output, stream data, spans, events).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MASK = "<secret>"
"""What a secret value reads as wherever it would have appeared (integrations-spec §2.9)."""
MIN_MASKED_LENGTH = 4
"""Secret text shorter than this is masked only where it is a whole string (masking every "1"
inside every text would destroy the output without hiding anything)."""


@dataclass(frozen=True)
class CtxDecl:
    """One key a function declares in `meta {ctx}`."""

    key: str
    required: bool
    secret: bool
    has_default: bool
    default: Any = None
    declared_by: str = ""
    """`<qualified function> in <file>`, for the deploy's message."""


def declarations(functions: Iterable[tuple[str, str | None, Any]]) -> dict[str, CtxDecl]:
    """The ctx declarations of `(qualified name, file, meta)` triples. A key declared by several
    functions is required if any requires it and secret if any says so; the first default wins."""
    found: dict[str, CtxDecl] = {}
    for qualified, file, meta in functions:
        spec = meta.get("ctx") if isinstance(meta, dict) else None
        if not isinstance(spec, dict):
            continue
        for key, raw in spec.items():
            if not isinstance(key, str) or not key:
                continue
            config = raw if isinstance(raw, dict) else {}
            has_default = "default" in config
            required = bool(config["required"]) if isinstance(config.get("required"), bool) else not has_default
            secret = config.get("secret") is not False
            decl = CtxDecl(key, required, secret, has_default, config.get("default"),
                           f"{qualified} in {file}" if file else qualified)
            prior = found.get(key)
            if prior is not None:
                decl = CtxDecl(key, prior.required or decl.required, prior.secret or decl.secret,
                               prior.has_default or decl.has_default,
                               prior.default if prior.has_default else decl.default, prior.declared_by)
            found[key] = decl
    return found


def missing_required(decls: Mapping[str, CtxDecl], stored_keys: Iterable[str]) -> list[CtxDecl]:
    """Required keys no stored variable sets, in key order."""
    have = set(stored_keys)
    return [d for k, d in sorted(decls.items()) if d.required and k not in have]


def missing_message(missing: list[CtxDecl]) -> str:
    """The deploy's report of unset required keys (integrations-spec §2.3)."""
    lines = [f"Missing required context variable '{d.key}' (required by {d.declared_by})" for d in missing]
    return "Context requirements not satisfied: " + "; ".join(lines) + ". Please set these as context variables."


@dataclass(frozen=True)
class StoredVar:
    """A decrypted context row: its JSON value and whether it is secret."""

    key: str
    value: Any
    secret: bool


@dataclass(frozen=True)
class RunContextValues:
    values: dict[str, Any]
    secret_keys: frozenset[str]

    def secret_values(self) -> list[Any]:
        return [self.values[k] for k in sorted(self.secret_keys) if k in self.values]


def layer(dev: Iterable[StoredVar], env_rows: Iterable[StoredVar], project_rows: Iterable[StoredVar],
          decls: Mapping[str, CtxDecl]) -> RunContextValues:
    """A run's context by precedence (module docstring). A key is secret when the row that supplies
    it is, or when a ctx declaration says so (the default)."""
    values: dict[str, Any] = {}
    secret: set[str] = set()
    for rows in (dev, env_rows, project_rows):
        for row in rows:
            values[row.key] = row.value
            (secret.add if row.secret else secret.discard)(row.key)
    for key, decl in decls.items():
        if values.get(key) is None and decl.has_default:
            values[key] = decl.default
        if decl.secret:
            secret.add(key)
    return RunContextValues(values, frozenset(k for k in secret if k in values))


def _texts(value: Any, out: set[str]) -> None:
    """Every text a value could show up as: its string leaves, its scalar leaves as JSON, and the
    JSON text of each container."""
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        out.add(json.dumps(value))
    elif isinstance(value, dict):
        out.add(json.dumps(value, ensure_ascii=False))
        for item in value.values():
            _texts(item, out)
    elif isinstance(value, list):
        out.add(json.dumps(value, ensure_ascii=False))
        for item in value:
            _texts(item, out)


class Masker:
    """Masks one run's secret values (see `MASK`, `MIN_MASKED_LENGTH` and docs/decisions/0022).

    Caught: a secret anywhere inside any stored or published string (also inside a longer text,
    such as `"Bearer " + token`), JSON keys included. Not caught: any transformation that no longer
    contains the text (base64, hex, reversed, split into pieces, hashed, character codes).
    """

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        self._long: list[str] = []
        self._short: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[Any]) -> None:
        found: set[str] = set()
        for value in secrets:
            _texts(value, found)
        for text in found:
            if not text or text == MASK:
                continue
            if len(text) >= MIN_MASKED_LENGTH:
                if text not in self._long:
                    self._long.append(text)
            else:
                self._short.add(text)
        self._long.sort(key=len, reverse=True)  # the longest first: a secret containing another

    def __bool__(self) -> bool:
        return bool(self._long or self._short)

    def text(self, value: str) -> str:
        if value in self._short:
            return MASK
        for secret in self._long:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def value(self, value: Any) -> Any:
        """`value` (JSON-like) with every string masked; numbers equal to a secret become `MASK`."""
        if not self:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.value(v) for v in value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = json.dumps(value)
            if text in self._short or text in self._long:
                return MASK
        return value
