"""Every Hot snippet of the "Runs, Events & Streams" page parses and runs.

Snippets are copied verbatim; where a snippet calls a function the page does
not define (``process-order``, ``insert-user`` …), a stub is loaded next to it
in the same namespace. The ``::anthropic`` call needs an external service, so
``process-stream`` is driven with an iterator built here instead.
"""

from __future__ import annotations

from decimal import Decimal

from hotlang import RecordingHost, load_program, to_json
from hotlang.runtime.values import Tagged
from tests.support.sources import SEED_CHAT

EVENT_HANDLER = """
on-order-created
meta {on-event: "order:created"}
fn (event) {
process-order(event.data.order_id)
}
"""

SCHEDULE = """
daily-report
meta {schedule: "0 0 * * *"}
fn () {
generate-report()
}
"""

DYNAMIC_SCHEDULE = """
// Schedule a function to run in 10 minutes
send("hot:schedule:new", {
fn: "::myapp::tasks/process",
args: [{task_id: "123"}],
schedule: "in 10 minutes"
})
"""

DIRECT_CALL = """
process-batch fn (orders) {
// Each send creates a separate run
map(orders, (order) {
send("hot:call", {
fn: "::myapp::orders/process-order",
args: [order]
})
})
}
"""

EVENT_TYPE = """
Event type {
type: Str,
data: Any
}
"""

SEND_TWO_ARITIES = """
// Pass event type and data directly
send("user:created", {id: "usr_12345", email: "alice@example.com"})
// Or pass an Event
send(Event({type: "user:created", data: {id: "usr_12345", email: "alice@example.com"}}))
"""

CREATE_USER = """
// Send an event after user creation
create-user fn (data) {
user insert-user(data)
// Send event for other handlers (send is a core function)
send("user:created", {
id: user.id,
email: user.email,
name: user.name
})
user
}
"""

NOTIFICATIONS = """
::myapp::notifications ns
// Handle a specific event type
on-user-created meta {on-event: "user:created"}
fn (event) {
send-welcome-email(event.data.email)
}
"""

HANDLE_CHAT = "\n" + SEED_CHAT


def test_event_handler_meta_and_call() -> None:
    stub = '::myapp::orders ns\nprocess-order fn (id) { {status: "processed", id: id, total: 99.99} }\n'
    program = load_program({"myapp/orders.hot": "::myapp::orders ns\n" + EVENT_HANDLER, "stubs.hot": stub})
    (info,) = [f for f in program.functions() if f.name == "on-order-created"]
    assert info.meta == {"on-event": "order:created"}
    assert info.qualified == "::myapp::orders/on-order-created"
    assert (info.file, info.line, info.column) == ("myapp/orders.hot", 3, 1)
    result = program.call(info.qualified, [{"type": "order:created", "data": {"order_id": "ord_12345"}}])
    assert to_json(result) == {"status": "processed", "id": "ord_12345", "total": 99.99}


def test_schedule_meta() -> None:
    program = load_program({"reports.hot": '::myapp::reports ns\ngenerate-report fn () { "ok" }\n' + SCHEDULE})
    (info,) = [f for f in program.functions() if f.name == "daily-report"]
    assert info.meta == {"schedule": "0 0 * * *"}
    assert program.call(info.qualified, []) == "ok"


def test_dynamic_schedule_sends_at_load_time() -> None:
    host = RecordingHost()
    load_program({"tasks.hot": DYNAMIC_SCHEDULE}, host=host)
    (sent,) = host.sent
    assert sent.event_type == "hot:schedule:new"
    assert sent.data == {"fn": "::myapp::tasks/process", "args": [{"task_id": "123"}], "schedule": "in 10 minutes"}


def test_direct_call_sends_one_event_per_order() -> None:
    host = RecordingHost()
    program = load_program({"myapp/orders.hot": "::myapp::orders ns\n" + DIRECT_CALL})
    result = program.call("::myapp::orders/process-batch", [[{"id": 1}, {"id": 2}]], host=host)
    assert [s.data for s in host.sent] == [
        {"fn": "::myapp::orders/process-order", "args": [{"id": 1}]},
        {"fn": "::myapp::orders/process-order", "args": [{"id": 2}]},
    ]
    assert [r["event"]["type"] for r in to_json(result)] == ["hot:call", "hot:call"]
    assert result[0]["stream"]["id"] == "stream_test"


def test_event_type_definition() -> None:
    program = load_program({"types.hot": "::myapp::types ns\n" + EVENT_TYPE + 'e Event({type: "a", data: 1})\n'})
    event = program.lookup("::myapp::types/e")
    assert isinstance(event, Tagged) and event.type_path == "::myapp::types/Event"
    assert to_json(event) == {"$type": "::myapp::types/Event", "$val": {"type": "a", "data": 1}}


def test_send_has_two_arities() -> None:
    host = RecordingHost()
    load_program({"users.hot": SEND_TWO_ARITIES}, host=host)
    assert [(s.event_type, s.data) for s in host.sent] == [
        ("user:created", {"id": "usr_12345", "email": "alice@example.com"}),
        ("user:created", {"id": "usr_12345", "email": "alice@example.com"}),
    ]


def test_create_user_sends_and_returns_the_user() -> None:
    host = RecordingHost()
    stub = 'insert-user fn (data) { {...data, id: "usr_1"} }\n'
    program = load_program({"myapp/users.hot": "::myapp::users ns\n" + stub + CREATE_USER})
    user = program.call("::myapp::users/create-user", [{"email": "a@x.io", "name": "Ada"}], host=host)
    assert user == {"email": "a@x.io", "name": "Ada", "id": "usr_1"}
    (sent,) = host.sent
    assert sent.data == {"id": "usr_1", "email": "a@x.io", "name": "Ada"}


def test_notification_handler() -> None:
    stub = '::myapp::notifications ns\nsend-welcome-email fn (email) { concat("welcome ", email) }\n'
    program = load_program({"myapp/notifications.hot": NOTIFICATIONS, "stub.hot": stub})
    (info,) = [f for f in program.functions() if f.name == "on-user-created"]
    assert info.ns == "::myapp::notifications"
    assert info.meta == {"on-event": "user:created"}
    event = {"type": "user:created", "data": {"email": "alice@example.com"}}
    assert program.call(info.qualified, [event]) == "welcome alice@example.com"


def test_process_stream_emits_each_delta() -> None:
    driver = """
    chunks [
      {data: {delta: {text: "Hel"}}},
      {data: {delta: {}}},
      {data: {delta: {text: "lo"}}}
    ]
    run-chunks fn () { process-stream(Iter(chunks), "") }
    """
    program = load_program({"chat.hot": "::myapp::chat ns\n" + HANDLE_CHAT + driver})
    assert {f.name: f.meta for f in program.functions()}["handle-chat"] == {"on-event": "chat:message"}
    host = RecordingHost()
    assert program.call("::myapp::chat/run-chunks", [], host=host) == "Hello"
    assert host.stream == [("ai:delta", {"text": "Hel"}), ("ai:delta", {"text": ""}), ("ai:delta", {"text": "lo"})]


def test_run_result_json_keeps_decimal_value() -> None:
    program = load_program({"r.hot": 'result fn () { {status: "processed", total: 99.99} }'})
    assert to_json(program.call("::r/result")) == {"status": "processed", "total": 99.99}
    assert program.call("::r/result")["total"] == Decimal("99.99")
