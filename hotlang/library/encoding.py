"""``::hot::base64`` and ``::hot::hex`` (integrations-spec §4.2–4.3, hotlang-std-spec §11).

A failure (bad input text, a wrong argument type) is an Err value whose payload is the message,
as for every native these namespaces declare: it halts when consumed and ``is-err`` sees it.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from hotlang.library.failures import Refused, data_bytes, err_on_refusal
from hotlang.library.registry import Library
from hotlang.runtime.limits import check_bytes
from hotlang.runtime.values import type_name

b64 = Library("::hot::base64")
hexa = Library("::hot::hex")

_STANDARD = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]*")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")


@b64.native("encode", 1, core=False)
@err_on_refusal
def encode(data: Any) -> Any:
    """Standard alphabet with ``=`` padding."""
    raw = data_bytes("::hot::base64/encode", data)
    check_bytes((len(raw) + 2) // 3 * 4, "::hot::base64/encode")
    return base64.b64encode(raw).decode("ascii")


@b64.native("decode", 1, core=False)
@err_on_refusal
def decode(text: Any) -> Any:
    """Standard alphabet, canonical padding, no whitespace; Bytes or Err "Base64 decode error: …"."""
    if type(text) is not str:
        raise Refused(f"Base64 decode error: expected a Str, got {type_name(text)}")
    if not _STANDARD.fullmatch(text) or not _canonical(text, base64.b64decode, base64.b64encode):
        raise Refused(f"Base64 decode error: {_why(text, padded=True)}")
    return base64.b64decode(text)


@b64.native("is-valid", 1, core=False)
def is_valid(text: Any) -> bool:
    return (
        type(text) is str and bool(_STANDARD.fullmatch(text)) and _canonical(text, base64.b64decode, base64.b64encode)
    )


@b64.native("encode-url", 1, core=False)
@err_on_refusal
def encode_url(data: Any) -> Any:
    """URL-safe alphabet (``-``, ``_``), no padding."""
    raw = data_bytes("::hot::base64/encode-url", data)
    check_bytes((len(raw) * 4 + 2) // 3, "::hot::base64/encode-url")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@b64.native("decode-url", 1, core=False)
@err_on_refusal
def decode_url(text: Any) -> Any:
    """URL-safe alphabet, with or without padding (integrations-spec §8 point 7: ours accepts both)."""
    if type(text) is not str:
        raise Refused(f"Base64 URL decode error: expected a Str, got {type_name(text)}")
    body = text[:-2] if text.endswith("==") else text[:-1] if text.endswith("=") else text
    if not _URL_SAFE.fullmatch(body) or len(body) % 4 == 1 or (body != text and len(text) % 4):
        raise Refused(f"Base64 URL decode error: {_why(text, padded=False)}")
    padded = body + "=" * (-len(body) % 4)
    if not _canonical(padded, base64.urlsafe_b64decode, base64.urlsafe_b64encode):
        raise Refused("Base64 URL decode error: the last character has bits that are not zero")
    return base64.urlsafe_b64decode(padded)


def _canonical(text: str, decoder: Any, encoder: Any) -> bool:
    """Whether ``text`` decodes and is the one encoding of its bytes (unused trailing bits are zero)."""
    try:
        return bool(encoder(decoder(text)).decode("ascii") == text)
    except (binascii.Error, ValueError):
        return False


def _why(text: str, *, padded: bool) -> str:
    alphabet = "A-Za-z0-9+/" if padded else "A-Za-z0-9-_"
    for index, char in enumerate(text):
        if char != "=" and not re.fullmatch(f"[{alphabet}]", char):
            return f"invalid character {char!r} at offset {index}"
    if padded and len(text) % 4:
        return f"invalid length {len(text)}: padded base64 is a multiple of 4 characters"
    if "=" in text.rstrip("="):
        return "padding in the middle of the input"
    if not padded and len(text.rstrip("=")) % 4 == 1:
        return f"invalid length {len(text)}"
    return "invalid padding or trailing bits"


@hexa.native("encode", 1, core=False)
@err_on_refusal
def hex_encode(data: Any) -> Any:
    """Lower-case hex of the bytes (a Str is its UTF-8 bytes)."""
    raw = data_bytes("::hot::hex/encode", data)
    check_bytes(len(raw) * 2, "::hot::hex/encode")
    return raw.hex()


@hexa.native("decode", 1, core=False)
@err_on_refusal
def hex_decode(text: Any) -> Any:
    """Bytes from hex of either case; odd length or a non-hex character is an Err."""
    if type(text) is not str:
        raise Refused(f"::hot::hex/decode: Invalid hex: expected a Str, got {type_name(text)}")
    if len(text) % 2:
        raise Refused(f"::hot::hex/decode: Invalid hex: odd length {len(text)}")
    if not _HEX.fullmatch(text):
        index, char = next((i, c) for i, c in enumerate(text) if c not in "0123456789abcdefABCDEF")
        raise Refused(f"::hot::hex/decode: Invalid hex: invalid character {char!r} at offset {index}")
    return bytes.fromhex(text)


@hexa.native("is-valid", 1, core=False)
def hex_is_valid(text: Any) -> bool:
    return type(text) is str and len(text) % 2 == 0 and bool(_HEX.fullmatch(text))
