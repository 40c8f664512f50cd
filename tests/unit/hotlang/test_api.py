"""The public API the platform uses: loading, calling, JSON conversion, errors, threads."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from hotlang import (
    HotCancelled,
    HotError,
    HotFailure,
    HotRuntimeError,
    HotSyntaxError,
    NullHost,
    RecordingHost,
    from_json,
    load_program,
    to_json,
)
from hotlang.runtime.values import Tagged
from tests.support.language import run_hot

ORDERS = """
::app::orders ns

on-order-created
meta {on-event: "order:created", retry: 3}
fn (event) {
  total(event.data.items)
}

total fn (items) {
  reduce(items, (acc, item) { add(acc, mul(item.price, item.qty)) }, 0)
}

refuse fn (reason) { fail(reason, {code: 42}) }
stop fn () { cancel("stopped", {by: "user"}) }
"""


def test_functions_lists_named_top_level_functions() -> None:
    program = load_program({"app/orders.hot": ORDERS})
    infos = {f.name: f for f in program.functions()}
    assert set(infos) == {"on-order-created", "total", "refuse", "stop"}
    handler = infos["on-order-created"]
    assert handler.ns == "::app::orders"
    assert handler.qualified == "::app::orders/on-order-created"
    assert handler.meta == {"on-event": "order:created", "retry": 3}
    assert (handler.file, handler.line, handler.column) == ("app/orders.hot", 4, 1)
    assert infos["total"].meta is None


def test_call_converts_json_arguments() -> None:
    program = load_program({"app/orders.hot": ORDERS})
    event = {"data": {"items": [{"price": 9.99, "qty": 2}, {"price": 1, "qty": 3}]}}
    result = program.call("::app::orders/on-order-created", [event])
    assert result == Decimal("22.98")
    assert to_json(result) == 22.98


def test_fail_and_cancel_carry_their_data() -> None:
    program = load_program({"app/orders.hot": ORDERS})
    with pytest.raises(HotFailure) as failure:
        program.call("::app::orders/refuse", ["no stock"])
    assert failure.value.msg == "no stock"
    assert failure.value.err == {"code": 42}
    with pytest.raises(HotCancelled) as cancelled:
        program.call("::app::orders/stop", [])
    assert cancelled.value.msg == "stopped" and cancelled.value.data == {"by": "user"}


def test_runtime_errors_carry_a_hot_stack() -> None:
    source = '::app ns\nf fn (x) { add(x, "a") }\ng fn () { f(1) }\n'
    program = load_program({"app.hot": source})
    with pytest.raises(HotRuntimeError) as info:
        program.call("::app/g", [])
    error = info.value
    assert "add expects numbers, got Int and Str" in error.message
    assert [(f.function, f.line, f.column) for f in error.stack] == [("::app/f", 2, 12), ("::app/g", 3, 11)]
    assert "at ::app/f (app.hot:2:12)" in error.format()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("nope(1)", "`nope` is not defined"),
        ("f fn (a) { a }\nf(1, 2)", "takes 1 argument, but was given 2"),
        ("x 5\nx(1)", "`x` is not a function"),
        ("::nowhere/f()", "namespace `::nowhere` is not defined"),
        ('Int("abc")', "Int cannot read"),
        ("length(5)", "length expects a Vec, Map, Str or Bytes, got Int"),
    ],
)
def test_runtime_error_messages(source: str, message: str) -> None:
    with pytest.raises(HotRuntimeError, match=message):
        run_hot(source)


def test_python_errors_inside_natives_become_hot_errors() -> None:
    with pytest.raises(HotRuntimeError, match="pad-start expects an Int, got Str"):
        run_hot('pad-start("a", "wide")')


def test_all_errors_share_one_base() -> None:
    assert issubclass(HotSyntaxError, HotError) and issubclass(HotRuntimeError, HotError)
    assert issubclass(HotFailure, HotRuntimeError) and issubclass(HotCancelled, HotRuntimeError)


def test_send_outside_a_run_is_a_clear_error() -> None:
    with pytest.raises(HotRuntimeError, match="send is not available outside a run"):
        run_hot('send("x", 1)', host=NullHost())


def test_print_goes_to_the_host() -> None:
    host = RecordingHost()
    assert run_hot('println("hi")\nprint([1, null])', host=host) == "[1, null]"
    assert host.printed == "hi\n[1, null]"


def test_to_json_and_from_json() -> None:
    value = from_json({"a": 1.5, "b": [True, None, 2], "t": {"$type": "::x/T", "$val": {"k": "v"}}})
    assert value["a"] == Decimal("1.5")
    assert isinstance(value["t"], Tagged) and value["t"].payload == {"k": "v"}
    assert to_json(value) == {"a": 1.5, "b": [True, None, 2], "t": {"$type": "::x/T", "$val": {"k": "v"}}}
    assert to_json(Decimal("5.0")) == 5.0
    assert to_json(run_hot('err("bad")')) == {"$type": "::hot::type/Result.Err", "$val": "bad"}


def test_program_is_reusable_across_threads() -> None:
    program = load_program({"app/orders.hot": ORDERS})
    results: list[object] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            items = [{"price": 1, "qty": n}] * 50
            for _ in range(20):
                results.append(program.call("::app::orders/total", [items], host=RecordingHost()))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(set(results)) == [50, 100, 150, 200]  # type: ignore[type-var]


def test_loading_twice_is_cheap_and_independent() -> None:
    first = load_program({"a.hot": "counter 1"})
    second = load_program({"a.hot": "counter 1"})
    assert first.lookup("::a/counter") == second.lookup("::a/counter") == 1
    assert first is not second


def test_user_core_functions_are_visible_everywhere() -> None:
    sources = {
        "lib.hot": "::lib ns\nshout meta {core: true} fn (s) { uppercase(s) }",
        "app.hot": '::app ns\nresult shout("hey")',
    }
    assert load_program(sources).lookup("::app/result") == "HEY"


def test_qualified_alias_resolves_later_definitions() -> None:
    sources = {"x.hot": "::app ns\nplus ::lib/add-one\nuse fn () { plus(1) }\n::lib ns\nadd-one fn (x) { add(x, 1) }\n"}
    program = load_program(sources)
    assert program.call("::app/use") == 2


def test_namespace_alias_in_a_file() -> None:
    source = "::app ns\n::l ::some::library\nuse fn () { ::l/f() }\n::some::library ns\nf fn () { 7 }"
    assert load_program({"a.hot": source}).call("::app/use") == 7


def test_function_runs_in_its_defining_namespace() -> None:
    sources = {
        "a.hot": "::a ns\nVALUE 1\nread fn () { VALUE }",
        "b.hot": "::b ns\nVALUE 2\nresult ::a/read()",
    }
    assert load_program(sources).lookup("::b/result") == 1
