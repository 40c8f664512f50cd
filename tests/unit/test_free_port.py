"""`free_port` keeps out of the kernel's ephemeral range, where any outgoing connection or
`bind(0)` of another process could take the port before the child binds it."""

from __future__ import annotations

import socket

from services.devtools.stack import ephemeral_port_low, free_port, pick_bindable_port


def test_free_ports_are_bindable_and_below_the_ephemeral_range() -> None:
    low = ephemeral_port_low()
    for _ in range(20):
        port = free_port()
        assert 10_000 <= port < low
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_skipped() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        free = free_port()
        assert pick_bindable_port([taken, free]) == free
        assert pick_bindable_port([taken]) is None
