"""The pure context rules: ctx meta declarations, precedence of the layers, the deploy's message,
and masking of secret values."""

from __future__ import annotations

from typing import Any

import pytest

from services.core.config import ContextSettings, SettingsError
from services.core.context import (
    MASK,
    Masker,
    StoredVar,
    declarations,
    layer,
    missing_message,
    missing_required,
)


def decl_of(meta: Any) -> dict[str, Any]:
    return {k: (d.required, d.secret, d.has_default, d.default)
            for k, d in declarations([("::app/f", "app.hot", meta)]).items()}


def test_ctx_meta_defaults_follow_the_spec() -> None:
    assert decl_of({"ctx": {
        "a": {},                                  # required, secret
        "b": {"default": "x"},                    # a default makes it optional
        "c": {"default": 1, "required": True},    # unless required is explicit
        "d": {"secret": False, "required": False},
        "e": None,                                # not a map: all defaults
    }}) == {"a": (True, True, False, None), "b": (False, True, True, "x"), "c": (True, True, True, 1),
            "d": (False, False, False, None), "e": (True, True, False, None)}


def test_a_function_without_ctx_meta_declares_nothing() -> None:
    assert decl_of({"on-event": "x"}) == {}
    assert decl_of({"ctx": "nonsense"}) == {}
    assert decl_of(None) == {}


def test_declarations_of_several_functions_merge() -> None:
    decls = declarations([("::a/f", "a.hot", {"ctx": {"k": {"default": 1}}}),
                          ("::b/g", "b.hot", {"ctx": {"k": {"required": True, "secret": False}}})])
    assert (decls["k"].required, decls["k"].secret, decls["k"].default) == (True, True, 1)


def test_missing_required_keys_are_reported_as_the_spec_words_it() -> None:
    decls = declarations([("::app::chat/handle", "chat.hot", {"ctx": {"api.key": {}, "base": {"default": "u"}}})])
    missing = missing_required(decls, stored_keys=["other"])
    assert [d.key for d in missing] == ["api.key"]
    assert missing_message(missing) == (
        "Context requirements not satisfied: Missing required context variable 'api.key' (required by "
        "::app::chat/handle in chat.hot). Please set these as context variables.")
    assert missing_required(decls, stored_keys=["api.key"]) == []


def test_precedence_dev_then_env_then_project_then_meta_defaults() -> None:
    dev = [StoredVar("a", "dev", False), StoredVar("b", "dev", False), StoredVar("c", "dev", False),
           StoredVar("only-dev", 1, False)]
    env = [StoredVar("b", "env", False), StoredVar("c", "env", False)]
    project = [StoredVar("c", "project", True)]
    decls = declarations([("::f", None, {"ctx": {"c": {"default": "meta"}, "d": {"default": "meta"},
                                                  "n": {"default": "meta", "secret": False}}})])
    got = layer(dev, env, project, decls)
    assert got.values == {"a": "dev", "b": "env", "c": "project", "only-dev": 1, "d": "meta", "n": "meta"}
    # The project row is secret; c and d are declared secret (the default); n is declared not secret.
    assert got.secret_keys == {"c", "d"}


def test_a_meta_default_fills_a_key_stored_as_null() -> None:
    decls = declarations([("::f", None, {"ctx": {"k": {"default": "d", "secret": False}}})])
    assert layer([], [StoredVar("k", None, False)], [], decls).values == {"k": "d"}


def test_a_project_row_that_is_not_secret_overrides_a_secret_env_row() -> None:
    got = layer([], [StoredVar("k", "env-secret", True)], [StoredVar("k", "plain", False)], {})
    assert got.values == {"k": "plain"} and got.secret_keys == frozenset()


def test_masker_replaces_secrets_inside_any_string() -> None:
    masker = Masker(["sk-ant-123456"])
    assert masker.text("Bearer sk-ant-123456!") == f"Bearer {MASK}!"
    assert masker.value({"k": ["x sk-ant-123456", 5], "sk-ant-123456": True}) == {
        "k": [f"x {MASK}", 5], MASK: True}


def test_masker_covers_the_leaves_and_json_of_structured_secrets() -> None:
    masker = Masker([{"user": "admin-user", "password": "hunter22", "pin": 123456}])
    assert masker.text('login {"user":"admin-user","password":"hunter22","pin":123456}') == (
        f'login {{"user":"{MASK}","password":"{MASK}","pin":{MASK}}}')
    assert masker.value(123456) == MASK


def test_short_secrets_are_masked_only_as_whole_strings() -> None:
    masker = Masker(["ab"])
    assert masker.value({"v": "ab", "w": "abc"}) == {"v": MASK, "w": "abc"}


def test_the_longest_secret_is_masked_first() -> None:
    masker = Masker(["token", "token-extended"])
    assert masker.text("token-extended and token") == f"{MASK} and {MASK}"


def test_masker_learns_secrets_during_a_run() -> None:
    masker = Masker()
    assert not masker and masker.text("value-1234") == "value-1234"
    masker.add(["value-1234"])
    assert masker.text("value-1234") == MASK


@pytest.mark.parametrize("ttl", ["2", "-1"])
def test_the_cache_ttl_is_at_most_one_second(ttl: str) -> None:
    with pytest.raises(SettingsError, match="HOT_CONTEXT_CACHE_TTL"):
        ContextSettings.from_env({"HOT_CONTEXT_CACHE_TTL": ttl})


def test_context_settings_defaults() -> None:
    settings = ContextSettings.from_env({})
    assert (settings.cache_ttl_s, settings.max_value_bytes, settings.max_key_length, settings.max_keys,
            settings.strict_deploy) == (1.0, 65536, 256, 1000, False)
