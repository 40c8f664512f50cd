"""Pure pieces of the live path: SSE framing, frame rendering and per-subscription de-duplication."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hot.sse import consume_sse_blocks

from services.core import live, model
from services.core.model import StreamData, StreamMessage
from services.gateway import sse
from services.gateway.fanout import Member, render
from services.ingest.streams.lifecycle import LifecycleTracker

NOW = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


def run(run_id: str = "r1", status: model.RunStatus = model.RunStatus.RUNNING, stopped: bool = False,
        project_id: str | None = "p1") -> model.Run:
    return model.Run(run_id=run_id, env_id="e", stream_id="s", run_type=model.RunType.EVENT, status=status,
                     start_time=NOW, stop_time=NOW + timedelta(seconds=1) if stopped else None, event_id="ev",
                     project_id=project_id)


def test_frame_is_byte_exact() -> None:
    assert sse.frame("stream:complete", {"type": "stream:complete", "stream_id": "s"}) == (
        b'event: stream:complete\ndata: {"type":"stream:complete","stream_id":"s"}\n\n')


def test_line_separators_never_split_the_data_line() -> None:
    payload = {"type": "stream:data", "text": "a\u2028b\u2029c\x85d\ne\rf"}
    raw = sse.frame("stream:data", payload)
    assert raw.count(b"\n") == 3 and b"\r" not in raw
    events, rest = consume_sse_blocks(raw.decode())
    assert events == [payload] and rest == ""
    data = StreamMessage("stream:data", data=StreamData("i", "r", "t", json.dumps({"text": "x\u2028y\x85"},
                                                                            ensure_ascii=False)))
    events, _ = consume_sse_blocks(render(data).frame.decode())
    assert events[0]["payload"] == {"text": "x\u2028y\x85"}


def test_terminal_mapping() -> None:
    assert live.terminal_kind(run().status) is None
    assert live.terminal_kind(run(status=model.RunStatus.SUCCEEDED, stopped=True).status) == "run:stop"
    assert live.terminal_kind(run(status=model.RunStatus.FAILED, stopped=True).status) == "run:fail"
    assert live.terminal_kind(run(status=model.RunStatus.PENDING_RETRY, stopped=True).status) == "run:fail"
    assert live.terminal_kind(run(status=model.RunStatus.CANCELLED, stopped=True).status) == "run:cancel"


def test_tracker_sends_each_start_and_end_once() -> None:
    tracker = LifecycleTracker()
    done = run("a", model.RunStatus.SUCCEEDED, stopped=True)
    assert [m.kind for m in tracker.snapshot([run("b"), done])] == ["run:start", "run:start", "run:stop"]
    assert tracker.snapshot([run("b"), done]) == []
    assert tracker.live(StreamMessage("run:start", run=run("b"))) == []
    assert [m.kind for m in tracker.live(StreamMessage("run:fail", run=run("b", model.RunStatus.FAILED, True)))] == [
        "run:fail"]
    assert tracker.live(StreamMessage("run:stop", run=done)) == []


def test_start_ping_of_an_already_finished_run_leaves_the_end_to_its_own_ping() -> None:
    tracker = LifecycleTracker()
    finished = run("a", model.RunStatus.SUCCEEDED, stopped=True)
    assert [m.kind for m in tracker.live(StreamMessage("run:start", run=finished))] == ["run:start"]
    data = StreamMessage("stream:data", data=StreamData("d", "a", "t", "{}"))
    assert tracker.live(data) == [data]
    assert [m.kind for m in tracker.live(StreamMessage("run:stop", run=finished))] == ["run:stop"]


def test_poll_leaves_fresh_ends_to_live_pings() -> None:
    tracker = LifecycleTracker()
    finished = run("a", model.RunStatus.SUCCEEDED, stopped=True)
    assert [m.kind for m in tracker.snapshot([finished], ended_before=NOW)] == ["run:start"]
    assert [m.kind for m in tracker.snapshot([finished], ended_before=NOW + timedelta(seconds=5))] == ["run:stop"]


def test_project_filter_drops_other_projects_and_their_data() -> None:
    tracker = LifecycleTracker("p1")
    assert tracker.snapshot([run("x", project_id="p2")]) == []
    assert tracker.live(StreamMessage("stream:data", data=StreamData("d", "x", "t", "{}"))) == []
    assert len(tracker.snapshot([run("y")])) == 1
    assert len(tracker.live(StreamMessage("stream:data", data=StreamData("d", "y", "t", "{}")))) == 1


class FakeChannel:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.messages_sent = 0
        self.bytes_sent = 0

    def send(self, data: bytes) -> bool:
        self.frames.append(data)
        return True

    def send_chunk(self, chunk: bytes, size: int) -> bool:
        return self.send(chunk.split(b"\r\n", 1)[1][:-2])

    def close(self, reason: str | None = None, *, abort: bool = False) -> None:
        pass


def test_member_hand_over_has_no_gap_and_no_duplicate() -> None:
    channel = FakeChannel()
    member = Member(channel)  # type: ignore[arg-type]
    live_start = render(StreamMessage("run:start", run=run("a")))
    chunk = render(StreamMessage("stream:data", data=StreamData("1", "a", "t", "{}")))
    member.deliver(live_start)   # arrives while the replay is being fetched
    member.deliver(chunk)
    member.go_live([render(StreamMessage("run:start", run=run("a")))])
    member.deliver(render(StreamMessage("run:stop", run=run("a", model.RunStatus.SUCCEEDED, True))))
    kinds = [consume_sse_blocks(f.decode())[0][0]["type"] for f in channel.frames]
    assert kinds == ["run:start", "stream:data", "run:stop"]


def test_permission_matching() -> None:
    from services.gateway.routes_streams import allows

    assert allows({"*:*": ["*"]}, "stream:abc", "read")
    assert allows({"event:order:*": ["create"]}, "event:order:placed", "create")
    assert not allows({"event:order:*": ["create"]}, "event:invoice:paid", "create")
    assert not allows({"event:order:*": ["read"]}, "event:order:placed", "create")
    assert allows({"stream:s1": ["read"]}, "stream:s1", "read")
    assert not allows({"stream:s1": ["read"]}, "stream:s2", "read")


def test_sse_caps_observe_and_enforce() -> None:
    from services.core.config import SseCaps
    from services.gateway.sse_limits import SseLimiter

    who = model.Principal(env_id="e", org_id="o", credential_id="c", kind="api_key", permissions={})
    observing = SseLimiter(SseCaps(per_credential=1))
    assert observing.acquire(who) is None and observing.acquire(who) is None
    assert observing.total == 2
    enforcing = SseLimiter(SseCaps(enforce=True, per_credential=1))
    assert enforcing.acquire(who) is None
    assert enforcing.acquire(who) == "per-credential"
    enforcing.release(who)
    assert enforcing.acquire(who) is None and enforcing.total == 1
