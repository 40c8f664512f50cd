"""``::hot::uuid``: the ``Uuid`` type and constructor, and ``is-uuid`` (integrations-spec §4.1).

A Uuid is the tagged value ``{$type: "::hot::uuid/Uuid", $val: "<lower-case hyphenated>"}``;
``Str(uuid)`` gives the canonical text through the built-in ``Uuid -> Str`` arrow.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.failures import Refused, err_on_refusal
from hotlang.library.registry import Library
from hotlang.library.types import NativeType
from hotlang.runtime.values import Tagged, type_name

lib = Library("::hot::uuid")

UUID_PATH = "::hot::uuid/Uuid"
NIL = "00000000-0000-0000-0000-000000000000"


class _V7Clock:
    """UUIDv7 (RFC 9562) whose values from one process increase strictly, even within a millisecond.

    The 12 ``rand_a`` bits count within a millisecond, starting at a random value below 2048; when
    they run out, the timestamp is carried forward by one millisecond.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_ms = -1
        self.counter = 0

    def next(self) -> str:
        with self.lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms > self.last_ms:
                self.last_ms = now_ms
                self.counter = int.from_bytes(os.urandom(2), "big") & 0x7FF
            else:
                self.counter += 1
                if self.counter > 0xFFF:
                    self.last_ms += 1
                    self.counter = 0
            ms, counter = self.last_ms, self.counter
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
        return str(uuid.UUID(int=value))


_V7 = _V7Clock()


def make_uuid(text: str) -> Tagged:
    return Tagged(UUID_PATH, text)


@err_on_refusal
def construct(*args: Any) -> Any:
    """``Uuid()``/``Uuid(4)`` random, ``Uuid(7)`` time-ordered, ``Uuid(null)`` the nil UUID (a plain Str)."""
    if len(args) > 1:
        raise Refused(f"`{UUID_PATH}` takes 0 or 1 argument, but was given {len(args)}")
    version = args[0] if args else 4
    if version is None:
        return NIL
    if type(version) is Tagged and version.type_path == UUID_PATH:
        return version
    if type(version) is not int:
        raise Refused(f"Invalid UUID version: Uuid expects 4, 7 or null, got {type_name(version)}")
    if version == 4:
        return make_uuid(str(uuid.uuid4()))
    if version == 7:
        return make_uuid(_V7.next())
    raise Refused(f"Invalid UUID version {version}: expected 4 or 7")


UUID_TYPE = NativeType(UUID_PATH, construct, 0, 1)
lib.value("Uuid", UUID_TYPE, core=False)


def _parses(text: str) -> bool:
    """What the uuid crate accepts: hyphenated, 32 hex digits, braced or ``urn:uuid:``, any case."""
    body = text
    if len(body) == 45 and body[:9].lower() == "urn:uuid:":
        body = body[9:]
    elif len(body) == 38 and body[0] == "{" and body[-1] == "}":
        body = body[1:-1]
    if len(body) == 36:
        if any(body[i] != "-" for i in (8, 13, 18, 23)):
            return False
        body = body.replace("-", "")
    return len(body) == 32 and all(char in "0123456789abcdefABCDEF" for char in body)


@lib.native("is-uuid", 1, core=False)
def is_uuid(value: Any) -> bool:
    if type(value) is str:
        return _parses(value)
    return (
        type(value) is Tagged and value.type_path == UUID_PATH and type(value.payload) is str and _parses(value.payload)
    )


def uuid_to_str(value: Any) -> str:
    """The ``Uuid -> Str`` arrow: the canonical lower-case hyphenated text."""
    if type(value) is Tagged and value.type_path == UUID_PATH and type(value.payload) is str:
        return value.payload  # type: ignore[no-any-return]
    raise HotRuntimeError(f"Uuid -> Str expects a Uuid, got {type_name(value)}")


lib.arrow(UUID_PATH, "::hot::type/Str", uuid_to_str)
