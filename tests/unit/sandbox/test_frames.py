"""The sandbox's wire format: length-prefixed JSON objects, size-checked before they are read."""

from __future__ import annotations

import asyncio
import io

import pytest

from services.sandbox.frames import HEADER, FrameError, decode_body, encode_frame, read_frame, read_frame_blocking


def _reader(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_frames_round_trip_and_end_cleanly() -> None:
    data = encode_frame({"op": "print", "text": "héllo"}) + encode_frame({"op": "done"})
    reader = _reader(data)
    assert await read_frame(reader, 1000) == {"op": "print", "text": "héllo"}
    assert await read_frame(reader, 1000) == {"op": "done"}
    assert await read_frame(reader, 1000) is None
    stream = io.BytesIO(data)
    assert read_frame_blocking(stream) == {"op": "print", "text": "héllo"}
    assert read_frame_blocking(stream) == {"op": "done"}
    assert read_frame_blocking(stream) is None


async def test_an_oversized_frame_is_refused_before_its_body_is_read() -> None:
    with pytest.raises(FrameError, match="over the 10 byte limit"):
        await read_frame(_reader(HEADER.pack(1_000_000_000)), 10)


async def test_a_truncated_frame_is_an_error_not_an_end() -> None:
    with pytest.raises(FrameError, match="inside a frame"):
        await read_frame(_reader(encode_frame({"op": "x"})[:-1]), 1000)


@pytest.mark.parametrize("body", [b"[1]", b"not json", b'{"a": NaN}', b"\xff"])
def test_only_json_objects_decode(body: bytes) -> None:
    with pytest.raises(FrameError):
        decode_body(body)


def test_non_finite_numbers_are_never_encoded() -> None:
    with pytest.raises(ValueError):
        encode_frame({"x": float("nan")})
