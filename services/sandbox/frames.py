"""Length-prefixed JSON frames, the only thing that crosses a worker's pipes.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON (one object).
JSON, never pickle: the parent must not trust what a worker sends, so a frame decodes to plain
data, is size-checked before it is read, and is shape-checked by the reader.
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")


class FrameError(Exception):
    """A frame is malformed or larger than the reader accepts."""


class FrameCut(FrameError):
    """The stream ended inside a frame: the writer died while writing it."""


def encode_frame(message: dict[str, Any]) -> bytes:
    """One frame holding `message` (non-finite floats are refused: they are not JSON)."""
    body = json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass")
    return HEADER.pack(len(body)) + body


def decode_body(body: bytes) -> dict[str, Any]:
    """The object in a frame's body; FrameError for anything but a JSON object."""
    try:
        message = json.loads(body.decode("utf-8", "surrogatepass"), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as err:
        raise FrameError(f"frame is not JSON: {err}") from err
    if not isinstance(message, dict):
        raise FrameError("frame is not a JSON object")
    return message


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def read_frame(reader: asyncio.StreamReader, max_bytes: int) -> dict[str, Any] | None:
    """The next frame from `reader`; None at a clean end of stream. A frame over `max_bytes`
    is refused before its body is read, so a worker cannot make the parent buffer it."""
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as err:
        if not err.partial:
            return None
        raise FrameCut("stream ended inside a frame header") from err
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise FrameError(f"frame of {size} bytes is over the {max_bytes} byte limit")
    try:
        body = await reader.readexactly(size)
    except asyncio.IncompleteReadError as err:
        raise FrameCut("stream ended inside a frame") from err
    return decode_body(body)


def read_frame_blocking(stream: BinaryIO) -> dict[str, Any] | None:
    """The worker side of `read_frame`: the next frame from the parent; None at end of stream."""
    header = _read_exactly(stream, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    body = _read_exactly(stream, size)
    if body is None:
        raise FrameCut("stream ended inside a frame")
    return decode_body(body)


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            if chunks:
                raise FrameCut("stream ended inside a frame")
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
