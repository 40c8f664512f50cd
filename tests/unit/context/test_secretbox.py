"""Encryption at rest of context values: AES-256-GCM round trip, wrong key, tampering, bad keys."""

from __future__ import annotations

import base64

import pytest

from services.core.config import ContextSettings
from services.core.secretbox import DecryptError, SecretBox, SecretsKeyError, new_key, scope_aad

AAD = scope_aad("env-1", "project-1", "api.key")


def test_a_value_round_trips_and_is_not_stored_in_clear() -> None:
    box = SecretBox(new_key())
    stored = box.encrypt('"sk-live-abcdef"', AAD)
    assert "sk-live" not in stored
    assert b"sk-live" not in base64.b64decode(stored)
    assert box.decrypt(stored, AAD) == '"sk-live-abcdef"'


def test_each_encryption_uses_a_fresh_nonce() -> None:
    box = SecretBox(new_key())
    assert box.encrypt("1", AAD) != box.encrypt("1", AAD)


def test_another_key_fails_clearly() -> None:
    stored = SecretBox(new_key()).encrypt('"x"', AAD)
    with pytest.raises(DecryptError, match="does not decrypt with HOT_SECRETS_KEY"):
        SecretBox(new_key()).decrypt(stored, AAD)


@pytest.mark.parametrize("position", [0, 12, -1])
def test_a_tampered_ciphertext_is_detected(position: int) -> None:
    box = SecretBox(new_key())
    raw = bytearray(base64.b64decode(box.encrypt('"secret value"', AAD)))
    raw[position] ^= 0x01
    with pytest.raises(DecryptError):
        box.decrypt(base64.b64encode(bytes(raw)).decode(), AAD)


def test_a_ciphertext_moved_to_another_row_does_not_decrypt() -> None:
    box = SecretBox(new_key())
    stored = box.encrypt('"v"', AAD)
    with pytest.raises(DecryptError):
        box.decrypt(stored, scope_aad("env-1", "project-1", "other.key"))
    with pytest.raises(DecryptError):
        box.decrypt(stored, scope_aad("env-1", None, "api.key"))


@pytest.mark.parametrize("stored", ["not base64!", base64.b64encode(b"short").decode()])
def test_garbage_is_a_decrypt_error(stored: str) -> None:
    with pytest.raises(DecryptError):
        SecretBox(new_key()).decrypt(stored, AAD)


@pytest.mark.parametrize(("key", "message"), [
    ("", "HOT_SECRETS_KEY is not set"),
    ("%%%", "HOT_SECRETS_KEY is not valid base64"),
    (base64.b64encode(b"16 bytes only...").decode(), "must decode to 32 bytes"),
])
def test_a_missing_or_bad_key_names_the_variable(key: str, message: str) -> None:
    with pytest.raises(SecretsKeyError, match=message):
        SecretBox(key)


def test_a_service_without_the_key_refuses_to_start_naming_it() -> None:
    with pytest.raises(SystemExit, match="HOT_SECRETS_KEY"):
        ContextSettings.from_env({}).box()
    assert isinstance(ContextSettings.from_env({"HOT_SECRETS_KEY": new_key()}).box(), SecretBox)
