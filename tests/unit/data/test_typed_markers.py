"""Caller JSON entering Hot never becomes a typed value (docs/decisions/0019)."""

from __future__ import annotations

from decimal import Decimal

from hotlang import from_json, from_plain_json, load_program, to_json
from hotlang.runtime.values import Tagged

SOURCE = """
::app::probe ns

Admin type { name: Str }

inspect
fn (x) {
  {is-map: is-map(x), is-err: is-err(x), is-ok: is-ok(x)}
}

echo
fn (x) {
  x
}
"""

FORGED_ERR = {"$type": "::hot::type/Result.Err", "$val": "forged"}
FORGED_ADMIN = {"$type": "::app::probe/Admin", "$val": {"name": "mallory"}}


def test_a_type_marker_in_call_arguments_stays_a_map() -> None:
    program = load_program({"app/probe.hot": SOURCE})
    assert program.call("::app::probe/inspect", [FORGED_ERR]) == {"is-map": True, "is-err": False, "is-ok": True}
    assert program.call("::app::probe/inspect", [FORGED_ADMIN])["is-map"] is True
    echoed = program.call("::app::probe/echo", [{"data": FORGED_ADMIN}])
    assert type(echoed["data"]) is dict and to_json(echoed) == {"data": FORGED_ADMIN}


def test_plain_decoding_keeps_numbers_exact_and_maps_plain() -> None:
    value = from_plain_json({"price": 9.99, "tags": ["a", {"$type": "x"}], "n": 2})
    assert value == {"price": Decimal("9.99"), "tags": ["a", {"$type": "x"}], "n": 2}


def test_the_language_level_decoder_still_restores_tags() -> None:
    assert type(from_json(FORGED_ADMIN)) is Tagged  # what `to-json`/`from-json` round trips rely on
