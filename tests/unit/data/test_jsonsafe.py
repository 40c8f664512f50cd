"""`services.core.jsonsafe`: what PostgreSQL cannot store is found, with its path, before any write."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.core import jsonsafe


@pytest.mark.parametrize(("value", "message"), [
    ({"items": [0, 1, 2, {"name": "a\x00b"}]},
     "event_data.items[3].name contains a NUL character (\\u0000), which cannot be stored"),
    ({"a\x00": 1}, "event_data has a key that contains a NUL character (\\u0000), which cannot be stored"),
    ({"x": ["\ud800"]}, "event_data.x[0] contains a lone surrogate (\\ud800), which is not valid Unicode and cannot "
                        "be stored"),
    ({"n": float("nan")}, "event_data.n is nan (NaN or Infinity), which JSON cannot represent"),
    ({"odd key": [float("-inf")]}, 'event_data["odd key"][0] is -inf (NaN or Infinity), which JSON cannot represent'),
    ({"$val": {"big": 10**5000}}, "event_data.$val.big is an integer of more than 4300 digits, which cannot be stored"),
    ({"t": (1, object())}, "event_data.t[1] is a object, which is not a JSON value"),
])
def test_the_first_problem_is_named_by_its_path(value: Any, message: str) -> None:
    assert jsonsafe.find_problem(value, root="event_data") == message
    with pytest.raises(jsonsafe.UnstorableJson, match="event_data"):
        jsonsafe.check(value, root="event_data")


def test_storable_values_pass_and_problems_are_reported_in_document_order() -> None:
    fine = {"s": "caf\u00e9 \U0001f600", "n": [1, 2.5, True, None, -(10**100)], "nested": {"a": {"b": []}}}
    assert jsonsafe.find_problem(fine) is None
    assert jsonsafe.find_problem(["ok", "\x00", float("nan")]) == "[1] contains a NUL character (\\u0000), which " \
                                                                 "cannot be stored"


def test_depth_is_capped_without_recursion() -> None:
    deep: Any = 1
    for _ in range(200_000):  # far deeper than Python's recursion limit
        deep = [deep]
    problem = jsonsafe.find_problem(deep, root="r", max_depth=64)
    assert problem is not None and problem.endswith("is nested deeper than 64 levels")
    assert jsonsafe.find_problem([[[1]]], max_depth=3) is None
    assert jsonsafe.find_problem([[[[1]]]], max_depth=3) is not None


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 65 + "]" * 65, '{"a":' * 70 + "1" + "}" * 70])
def test_loads_refuses_deep_text_before_parsing(text: str) -> None:
    with pytest.raises(jsonsafe.MalformedJson, match="nested deeper than 64 levels"):
        jsonsafe.loads(text)


def test_loads_counts_only_brackets_outside_strings() -> None:
    text = json.dumps({"s": "[" * 1000 + '\\"{' * 500, "v": [[[]]]})
    assert jsonsafe.loads(text) == json.loads(text)
    assert jsonsafe.nesting_depth('[[["]]]]]]"]]]') == 3


@pytest.mark.parametrize(("text", "kind", "fragment"), [
    ('{"a": NaN}', jsonsafe.UnstorableJson, "a is nan"),
    ('{"a": [Infinity]}', jsonsafe.UnstorableJson, "a[0] is inf"),
    ('{"a": 1e999}', jsonsafe.UnstorableJson, "a is inf"),
    ('{"a": [-' + "9" * 400 + '.5]}', jsonsafe.UnstorableJson, "a[0] is -inf"),
    ('{"a": "x\\u0000"}', jsonsafe.UnstorableJson, "a contains a NUL character"),
    ('{"a": "\\udc00"}', jsonsafe.UnstorableJson, "a contains a lone surrogate (\\udc00)"),
    ('{"a": "1' + "0" * 5000 + '"}', None, ""),
    ('{"a": 1' + "0" * 5000 + "}", jsonsafe.MalformedJson, "not valid JSON"),
    (b'{"a": "\xff"}', jsonsafe.MalformedJson, "not valid UTF-8"),
    ("{", jsonsafe.MalformedJson, "not valid JSON"),
])
def test_loads_reports_what_cannot_be_stored(text: str | bytes, kind: type[Exception] | None, fragment: str) -> None:
    if kind is None:
        assert jsonsafe.loads(text) is not None
        return
    with pytest.raises(kind) as caught:
        jsonsafe.loads(text)
    assert fragment in str(caught.value)


def test_an_escaped_backslash_u0000_is_text_not_a_nul() -> None:
    assert jsonsafe.loads('{"a": "\\\\u0000"}') == {"a": "\\u0000"}
    assert jsonsafe.loads('["\\ud83d\\ude00"]') == ["\U0001f600"]  # a surrogate pair is one character


def test_input_limits_are_settings_with_defaults() -> None:
    from services.core.config import InputLimits, SettingsError

    assert InputLimits.from_env({}) == InputLimits(max_json_depth=64, max_event_bytes=1024 * 1024,
                                                   max_event_type_length=256, max_name_length=1024)
    custom = InputLimits.from_env({"HOT_MAX_JSON_DEPTH": "8", "HOT_MAX_EVENT_BYTES": "4096",
                                   "HOT_MAX_EVENT_TYPE_LENGTH": "32", "HOT_MAX_NAME_LENGTH": "64"})
    assert (custom.max_json_depth, custom.max_event_bytes, custom.max_event_type_length,
            custom.max_name_length) == (8, 4096, 32, 64)
    with pytest.raises(SettingsError, match="HOT_MAX_JSON_DEPTH"):
        InputLimits.from_env({"HOT_MAX_JSON_DEPTH": "0"})
