"""Issue 10's fuzz acceptance test: thousands of malformed requests to every public route of a
running platform get no 5xx, every 4xx carries the error envelope, and nothing is stored.

Cases are generated (seeded, so a failure reproduces) from the gateway's own route tables, so a
route added later is fuzzed too: the test fails if some route received no case. Every body case
is invalid by construction (one hostile fragment or one wrong field), so no request may create
an event, run, stream or schedule: the row counts prove it.
"""

from __future__ import annotations

import json
import random
import re
import string
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from services.gateway.routes import routes
from services.gateway.routes_context import context_routes
from services.gateway.routes_env import env_routes
from services.gateway.routes_schedules import schedule_routes
from services.gateway.routes_streams import stream_routes
from services.gateway.routes_traces import trace_routes
from tests.support.platform import DevPlatform, running

SEED = 20_261_002
TABLES = (routes, env_routes, schedule_routes, stream_routes, trace_routes, context_routes)
BODY_ROUTES: dict[tuple[str, str], dict[str, object]] = {
    # route → a body that is valid apart from the hostile fragment put at MARK
    ("POST", "/v1/events"): {"event_type": "fuzz:event", "event_data": "MARK"},
    ("POST", "/v1/streams/subscribe-with-event"): {"event_type": "fuzz:event", "event_data": "MARK"},
    ("POST", "/v1/schedules"): {"project": "no-such-project", "fn": "::app::x/f", "schedule": "every minute",
                                "args": ["MARK"]},
    ("POST", "/v1/runs/{run_id}/cancel"): {"reason": "MARK"},
    ("POST", "/v1/projects/{project}/context"): {"key": "fuzz-key", "value": "MARK"},
    ("PUT", "/v1/projects/{project}/context/{key}"): {"value": "MARK"},
    ("POST", "/v1/context"): {"key": "MARK", "value": "fuzz-value"},
    ("PUT", "/v1/context/{key}"): {"value": "MARK"},
}
ANY_STRING = {"value"}
"""Fields every string is valid for (a context value): no "wrong" string is tried there."""
PAGINATED = {"/v1/events", "/v1/events/{event_id}/runs", "/v1/runs", "/v1/dead-letters", "/v1/streams",
             "/v1/projects/{project}/event-handlers", "/v1/projects/{project}/schedules",
             "/v1/projects/{project}/context", "/v1/context"}
USES = {route: {"offset", "limit"} for route in PAGINATED} | {
    "/v1/runs": {"offset", "limit", "time_range", "status", "type"},
    "/v1/streams/{stream_id}/subscribe": {"project"}}
"""Which query parameters a route reads: only there is a case's expected status checked."""
OPEN_ENDED = {("GET", "/v1/env/subscribe")}
"""Routes whose only failure a caller can cause is authentication (anything else opens a stream)."""


@dataclass
class Case:
    method: str
    route: str
    path: str
    what: str
    params: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: frozenset[int] = frozenset()
    """The statuses this case must get (empty: any non-5xx)."""


def _public_routes() -> list[tuple[str, str]]:
    found = {(route.method, route.path) for table in TABLES for route in table  # type: ignore[attr-defined]
             if route.method != "HEAD"}  # type: ignore[attr-defined]
    return sorted(found)


# ----- hostile fragments: raw JSON text ------------------------------------------------------

def _deep(rng: random.Random) -> str:
    depth = rng.choice([65, 66, 100, 1000, 100_000])
    opener, closer = rng.choice([("[", "]"), ('{"k":', "}")])
    return opener * depth + "1" + closer * depth


def _fragments(rng: random.Random) -> list[tuple[str, str, frozenset[int]]]:
    """(what, raw JSON text, expected statuses) of values no event may hold."""
    nul = rng.choice(['"\\u0000"', '"a\\u0000b"', '"' + "x" * rng.randint(0, 50) + '\\u0000"'])
    surrogate = f'"\\u{rng.randint(0xD800, 0xDFFF):04x}"'
    return [
        ("NUL", nul, frozenset({422})),
        ("NUL key", '{"a\\u0000": 1}', frozenset({422})),
        ("lone surrogate", surrogate, frozenset({422})),
        ("lone surrogate key", "{" + surrogate + ": 1}", frozenset({422})),
        ("NaN", rng.choice(["NaN", "-NaN"]) if rng.random() < 0.5 else "NaN", frozenset({400, 422})),
        ("Infinity", rng.choice(["Infinity", "-Infinity"]), frozenset({422})),
        ("overflowing float", rng.choice(["1e999", "-1e400", "9" * 400 + ".5"]), frozenset({422})),
        ("5000-digit number", "1" + "0" * 5000, frozenset({400})),
        ("deep nesting", _deep(rng), frozenset({400})),
    ]


def _nest(rng: random.Random, inner: str) -> str:
    """`inner` at a random path inside a few random containers (JSON text)."""
    text = inner
    for _ in range(rng.randint(0, 4)):
        if rng.random() < 0.5:
            before = [rng.randint(0, 9) for _ in range(rng.randint(0, 3))]
            text = "[" + "".join(f"{n}," for n in before) + text + "]"
        else:
            key = rng.choice(["items", "name", "a b", "$type", "x" * rng.randint(1, 8)])
            text = "{" + json.dumps(key) + ": " + text + ', "ok": true}'
    return text


def _with_fragment(template: dict[str, object], fragment: str) -> bytes:
    text = json.dumps(template).replace('"MARK"', fragment)
    return text.encode("utf-8", "surrogatepass")


def _valid(template: dict[str, object]) -> dict[str, object]:
    """The template with a harmless value at MARK (still refused: unknown run, project or id)."""
    harmless: dict[str, object] = {"event_data": 1, "args": [], "reason": "r"}
    return {name: harmless.get(name, value) for name, value in template.items()}


def _wrong_fields(rng: random.Random, template: dict[str, object]) -> Iterator[tuple[str, bytes]]:
    """The template with one string field wrong: a wrong type, blank, or too long."""
    base = _valid(template)
    for name, value in base.items():
        if not isinstance(value, str) or name in ANY_STRING:
            continue
        too_long = "e" * 257 if name == "event_type" else "n" * 1025
        choices: list[object] = [123, [], {}, True, too_long]
        if name != "reason":  # an optional field: null and "" mean the default
            choices += [None, "", "   "]
        wrong = rng.choice(choices)
        yield f"{name}={str(wrong)[:10]!r}", json.dumps({**base, name: wrong}).encode()


def _whole_bodies(rng: random.Random, template: dict[str, object] | None) -> list[tuple[str, bytes, frozenset[int]]]:
    bodies = [
        ("not JSON", rng.choice([b"{", b"nope", b'{"a":}', b"\x00\x01"]), frozenset({400})),
        ("not UTF-8", b'{"event_type": "\xff\xfe"}', frozenset({400})),
        ("not an object", rng.choice([b"[]", b"1", b'"s"', b"null"]), frozenset({400})),
        ("deep body", _deep(rng).encode(), frozenset({400})),
    ]
    if template is not None and "event_type" in template:
        bad = rng.choice(["nope", "0" * 36, "x" * 2000, 7, [], "00000000-0000-0000-0000-00000000000g"])
        bodies.append(("stream_id not a UUID", json.dumps({**_valid(template), "stream_id": bad}).encode(),
                       frozenset({422})))
    return bodies


# ----- hostile path segments and query parameters ---------------------------------------------

def _bad_ids(rng: random.Random) -> list[str]:
    return ["not-a-uuid", "%00", "a%00b", "1" * rng.choice([40, 2000]), "%F0%9F%98%80", "%ED%A0%80",
            str(uuid.uuid4())[:-1] + "z", "%20", "-1", rng.choice(["NaN", "Infinity", "1e999"])]


def _bad_names(rng: random.Random) -> list[str]:
    punctuation = string.punctuation.translate({ord(c): None for c in "/?#%."})
    return ["%00", "app%00x", "n" * 1025, "%ED%A0%80", "".join(rng.choices(punctuation, k=20))]


def _bad_query(rng: random.Random) -> list[tuple[str, dict[str, str], frozenset[int]]]:
    huge = "9" * 5000
    number = rng.choice([huge, "2147483648", "-1", "1.5", "1e3", "0x10", "\x00", "", "99999999999999999999", " 7"])
    cases: list[tuple[str, dict[str, str], frozenset[int]]] = [
        ("offset", {"offset": number}, frozenset({200, 400, 404})),
        ("limit", {"limit": number}, frozenset({200, 400, 404})),
        ("offset beyond int32", {"offset": str(rng.choice([2**31, 2**63, 10**30]))}, frozenset({400})),
        ("limit beyond int32", {"limit": str(rng.choice([2**31, 2**63]))}, frozenset({400})),
        ("5000-digit offset", {"offset": huge}, frozenset({400})),
        ("time_range digits", {"time_range": rng.choice(["P" + huge + "D", "PT" + huge + "S", huge,
                                                         "P1" + "0" * 20 + "Y"])}, frozenset({200, 400})),
        ("time_range junk", {"time_range": rng.choice(["P", "PT", "7D", "P-1D", "P1.5D", "\x00", "x" * 5000])},
         frozenset({200, 400})),
        ("status", {"status": rng.choice(["\x00", "nope", "x" * 5000, "1"])}, frozenset({200, 400})),
        ("type", {"type": rng.choice(["\x00", "task", "x" * 5000])}, frozenset({200, 400})),
        ("project", {"project": rng.choice(["\x00", "p\x00", "p" * 1025])}, frozenset({400})),
        ("include_replayed", {"include_replayed": rng.choice(["\x00", "maybe", "1" * 5000])}, frozenset()),
    ]
    return cases


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def generate(rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    json_headers = {"Content-Type": "application/json"}
    for method, route in _public_routes():
        params_in_path = re.findall(r"\{(\w+)\}", route)
        good = {name: str(uuid.uuid4()) for name in params_in_path}
        if (method, route) in OPEN_ENDED:
            for token in ("", "Bearer", "Basic abc", "Bearer " + "x" * 4000, "bearer k", "Bearer k%00"):
                cases.append(Case(method, route, route, f"auth {token[:12]!r}", headers={"Authorization": token},
                                  expect=frozenset({401})))
            continue
        for _ in range(6):  # hostile path segments
            for name in params_in_path:
                bad = {**good}
                if "project" in name:
                    bad[name] = rng.choice(_bad_names(rng))
                    expect = frozenset({400, 404})
                else:
                    bad[name] = rng.choice(_bad_ids(rng))
                    expect = frozenset({404})
                cases.append(Case(method, route, _fill(route, bad), f"path {name}={bad[name][:12]!r}",
                                  expect=expect))
        if method == "GET":
            for _ in range(12):  # hostile query parameters (a well-formed unknown id in the path)
                for what, query, expect in _bad_query(rng):
                    used = set(query) <= USES.get(route, set())
                    cases.append(Case(method, route, _fill(route, good), what, params=query,
                                      expect=expect if used else frozenset()))
        template = BODY_ROUTES.get((method, route))
        if template is not None:
            for _ in range(40):
                for what, fragment, expect in _fragments(rng):
                    body = _with_fragment(template, _nest(rng, fragment) if rng.random() < 0.7 else fragment)
                    cases.append(Case(method, route, _fill(route, good), what, body=body, headers=json_headers,
                                      expect=expect))
            for _ in range(8):
                for what, body in _wrong_fields(rng, template):
                    cases.append(Case(method, route, _fill(route, good), what, body=body, headers=json_headers,
                                      expect=frozenset({422})))
                for what, body, expect in _whole_bodies(rng, template):
                    cases.append(Case(method, route, _fill(route, good), what, body=body, headers=json_headers,
                                      expect=expect))
            for size in (1024 * 1024 + 1, 3 * 1024 * 1024):
                padding = "x" * size
                body = json.dumps({**template, "pad": padding}).replace('"MARK"', "1").encode()
                cases.append(Case(method, route, _fill(route, good), f"{size}-byte body", body=body,
                                  headers=json_headers, expect=frozenset({413})))
        elif method in ("POST", "DELETE"):
            for _ in range(10):  # bodies the route does not read: still never a 5xx
                for what, body, _expect in _whole_bodies(rng, None):
                    cases.append(Case(method, route, _fill(route, good), what, body=body, headers=json_headers,
                                      expect=frozenset({404})))
    return cases


HOSTILE_DATA = r"""
::fuzz::data ns

nul-result
meta {on-event: "fuzz:nul-result"}
fn (event) {
  {note: "a\0b", n: event.data.n}
}

nul-send
meta {on-event: "fuzz:nul-send"}
fn (event) {
  send("fuzz:child", {items: ["ok", "no\0"]})
}

typed
meta {on-event: "fuzz:typed"}
fn (event) {
  {is-map: is-map(event.data), is-err: is-err(event.data)}
}
"""
"""Handlers whose result or sent event holds a NUL character, and one that inspects caller `$type` data."""


@pytest.fixture(scope="module")
def platform() -> Iterator[DevPlatform]:
    with running({"fuzz_data.hot": HOSTILE_DATA}, include_examples=False) as dev:
        yield dev


def _counts(platform: DevPlatform) -> dict[str, int]:
    return {table: platform.db_count(f"SELECT count(*) FROM hot.{table}")
            for table in ("event", "run", "stream", "schedule")}


def test_malformed_requests_never_reach_a_5xx_nor_storage(platform: DevPlatform) -> None:
    cases = generate(random.Random(SEED))
    assert len(cases) >= 3000
    covered = {(case.method, case.route) for case in cases}
    assert covered == set(_public_routes()), "every public route receives cases"
    before = _counts(platform)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    token = platform.state["api_key"]
    with httpx.Client(base_url=platform.state["gateway_url"], timeout=30) as client:
        for case in cases:
            headers = {"Authorization": f"Bearer {token}", **case.headers}
            # Streamed: a route that wrongly accepted a case and opened an SSE stream is reported, not waited on.
            with client.stream(case.method, case.path, params=case.params or None, content=case.body,
                               headers=headers) as response:
                status = response.status_code
                streaming = response.headers.get("Content-Type", "").startswith("text/event-stream")
                text = "" if streaming else response.read().decode("utf-8", "replace")
            statuses[status] += 1
            label = f"{case.method} {case.path[:60]} [{case.what}]"
            if streaming:
                failures.append(f"{label} → {status}: opened an event stream")
                continue
            if status >= 500:
                failures.append(f"{label} → {status}: {text[:200]}")
                continue
            if case.expect and status not in case.expect:
                failures.append(f"{label} → {status}, expected {sorted(case.expect)}: {text[:200]}")
            if status >= 400:
                try:
                    error = json.loads(text)["error"]
                    assert isinstance(error["code"], str) and isinstance(error["message"], str)
                    assert isinstance(error["request_id"], str)
                except (ValueError, KeyError, TypeError, AssertionError):
                    failures.append(f"{label} → {status} without the error envelope: {text[:200]}")
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures[:40])
    assert _counts(platform) == before
    assert not [s for s in statuses if s >= 500], statuses


def test_unstorable_run_data_fails_that_run_clearly(platform: DevPlatform) -> None:
    with platform.client() as api:
        results = [api.publish("fuzz:nul-result", {"n": n}) for n in range(20)]
        sent = api.publish("fuzz:nul-send", {})
        typed = api.publish("fuzz:typed", {"$type": "::hot::type/Result.Err", "$val": "forged"})
        for event in results:
            (run,) = api.settled_runs(event["event_id"])
            assert run["status"] == "failed"
            assert run["result"]["$val"]["msg"] == (
                "the run's result cannot be stored: result.note contains a NUL character (\\u0000), "
                "which cannot be stored")
        (run,) = api.settled_runs(sent["event_id"])
        assert run["status"] == "failed"
        assert "cannot send 'fuzz:child': data.items[1] contains a NUL character" in run["result"]["$val"]["msg"]
        (run,) = api.settled_runs(typed["event_id"])
        assert (run["status"], run["result"]) == ("succeeded", {"is-map": True, "is-err": False})
    assert platform.db_count("SELECT count(*) FROM hot.event WHERE event_type = 'fuzz:child'") == 0
