"""Encryption at rest of context values (integrations-spec §2.4): AES-256-GCM from `cryptography`.

The key is `HOT_SECRETS_KEY`: 32 random bytes, base64-encoded. Stored text is
`base64(nonce(12) ‖ ciphertext ‖ tag(16))`; the row's scope (`env:<id>` or `project:<id>`) and
key are bound in as associated data, so a ciphertext copied to another row does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_VARIABLE = "HOT_SECRETS_KEY"
NONCE_BYTES = 12


class SecretsKeyError(ValueError):
    """`HOT_SECRETS_KEY` is missing or is not base64 of 32 bytes."""


class DecryptError(ValueError):
    """A stored value did not decrypt: another key, a damaged or tampered ciphertext."""


def new_key() -> str:
    """A fresh key, in the form `HOT_SECRETS_KEY` takes."""
    return base64.b64encode(os.urandom(32)).decode()


class SecretBox:
    """Encrypts and decrypts context values with one AES-256-GCM key."""

    def __init__(self, key_b64: str) -> None:
        if not key_b64.strip():
            raise SecretsKeyError(f"{KEY_VARIABLE} is not set: context values are encrypted with it; "
                                  "set it to 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")
        try:
            raw = base64.b64decode(key_b64.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SecretsKeyError(f"{KEY_VARIABLE} is not valid base64") from None
        if len(raw) != 32:
            raise SecretsKeyError(f"{KEY_VARIABLE} must decode to 32 bytes (AES-256), got {len(raw)}")
        self._aead = AESGCM(raw)

    def encrypt(self, plaintext: str, aad: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), aad.encode("utf-8"))
        return base64.b64encode(nonce + sealed).decode()

    def decrypt(self, stored: str, aad: str) -> str:
        try:
            raw = base64.b64decode(stored, validate=True)
        except (binascii.Error, ValueError):
            raise DecryptError("stored context value is not base64") from None
        if len(raw) < NONCE_BYTES + 16:
            raise DecryptError("stored context value is too short to be a ciphertext")
        try:
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode("utf-8"))
        except InvalidTag:
            raise DecryptError("stored context value does not decrypt with HOT_SECRETS_KEY "
                               "(another key, or the value was altered)") from None
        return plain.decode("utf-8")


def scope_aad(env_id: str, project_id: str | None, key: str) -> str:
    """The associated data of a row: its scope and key."""
    scope = f"project:{project_id}" if project_id else f"env:{env_id}"
    return f"hot-context-v1|{scope}|{key}"
