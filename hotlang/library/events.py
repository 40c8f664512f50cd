"""``::hot::event`` and ``::hot::stream``: the platform functions, reached through the host."""

from __future__ import annotations

from typing import Any

from hotlang.errors import HotRuntimeError
from hotlang.library.checks import expect_str
from hotlang.library.registry import Library
from hotlang.runtime.json_codec import from_json, to_json
from hotlang.runtime.run import current_run
from hotlang.runtime.values import Tagged, type_name

event = Library("::hot::event")
stream = Library("::hot::stream")

EVENT_TYPE = "::hot::event/Event"


@event.native("Event", 1)
def event_(fields: Any) -> Tagged:
    if type(fields) is not dict or type(fields.get("type")) is not str:
        raise HotRuntimeError("Event expects a map with a Str `type` and optional `data`")
    return Tagged(EVENT_TYPE, {"type": fields["type"], "data": fields.get("data")})


@event.native("send", 1, 2)
def send(event_or_type: Any, data: Any = None) -> Any:
    if (
        type(event_or_type) is Tagged
        and event_or_type.type_path.endswith("/Event")
        and type(event_or_type.payload) is dict
    ):
        fields = event_or_type.payload
        event_type, data = fields.get("type"), fields.get("data")
        if type(event_type) is not str:
            raise HotRuntimeError("send: the Event has no Str `type`")
    elif type(event_or_type) is str:
        event_type = event_or_type
    else:
        raise HotRuntimeError(f"send expects an event type (Str) or an Event, got {type_name(event_or_type)}")
    info = current_run().host.send(event_type, to_json(data))
    return from_json(info)


@stream.native("data", 2)
def data(data_type: Any, payload: Any) -> None:
    current_run().host.stream_data(expect_str("data", data_type), to_json(payload))
    return None
