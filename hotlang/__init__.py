"""The Hot language: parser, compiler to Python closures, runtime and core library.

Public API (used by the platform services)::

    program = load_program({"app/orders.hot": source})
    program.functions()                       # -> list[FunctionInfo]
    program.call("::app::orders/f", [arg], host=host)
    to_json(value), from_json(data), from_plain_json(caller_data)

The package imports no service code; platform effects go through :class:`Host`.
"""

from hotlang.errors import (
    HotCancelled,
    HotError,
    HotFailure,
    HotLimitExceeded,
    HotMemoryLimit,
    HotRuntimeError,
    HotStopped,
    HotSyntaxError,
    HotTimeLimit,
)
from hotlang.program import FunctionInfo, Program, load_program
from hotlang.runtime.host import Host, NullHost, RecordingHost
from hotlang.runtime.json_codec import from_json, from_plain_json, to_json
from hotlang.runtime.limits import Limits

__all__ = [
    "FunctionInfo",
    "Host",
    "HotCancelled",
    "HotError",
    "HotFailure",
    "HotLimitExceeded",
    "HotMemoryLimit",
    "HotRuntimeError",
    "HotStopped",
    "HotSyntaxError",
    "HotTimeLimit",
    "Limits",
    "NullHost",
    "Program",
    "RecordingHost",
    "from_json",
    "from_plain_json",
    "load_program",
    "to_json",
]
