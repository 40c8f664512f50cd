"""`::hot::http` against real local HTTP servers (aiohttp, started by each test), in-process: every
function and format, body encoding and decoding, redirects, errors as Err values, timeouts, caps,
stops mid-stream (the server sees the connection closed), and the egress policy."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hotlang import HotCancelled, HotStopped, HotTimeLimit, Limits, RecordingHost, load_program
from hotlang.runtime.egress import HttpOptions
from hotlang.runtime.values import Tagged
from hotlang.tools.cli import main
from tests.support.fake_http import FakeServer, Handler, fake_http, stream_until_closed
from tests.support.waiting import wait_until

SOURCE = """
::t ns

get fn (url) { ::hot::http/get(url) }
post fn (url, body) { ::hot::http/post(url, body) }
put fn (url, body) { ::hot::http/put(url, body) }
patch fn (url, body) { ::hot::http/patch(url, body) }
delete fn (url) { ::hot::http/delete(url) }
request fn (req) { ::hot::http/request(req) }
request4 fn (method, url, headers, body) { ::hot::http/request(method, url, headers, body) }
ok fn (url) { ::hot::http/is-ok-response(::hot::http/get(url)) }
failed fn (url) { is-err(::hot::http/get(url)) }
raw fn (req) { ::hot::http/raw-body(req) }
raw-bytes fn () { ::hot::http/raw-body({"body-bytes": Bytes("b"), "body-raw": "r"}) }

pull-all fn (url, format) {
  resp ::hot::http/get-stream(url, format)
  first ::hot::iter/next(resp.body)
  rest pull-rest(resp.body, [first])
  {status: resp.status, items: rest}
}

pull-rest fn (it, acc) {
  item ::hot::iter/next(it)
  if(item.done, acc, pull-rest(it, concat(acc, [item])))
}

collected fn (url) { ::hot::iter/collect(::hot::http/get-stream(url, "ndjson").body) }

quiet fn (url) {
  resp ::hot::http/get-stream(url, "ndjson")
  for-each(resp.body, (x) { x })
  "read"
}

post-stream fn (url, body, headers) {
  resp ::hot::http/post-stream(url, body, headers, "sse")
  ::hot::iter/collect(resp.body)
}

hang fn (url) {
  resp ::hot::http/get-stream(url, "sse")
  ::hot::iter/next(resp.body)
  ::hot::iter/next(resp.body)
}
"""


class StoppableHost(RecordingHost):
    """A recording host whose run can be stopped from the test, as the executor's can."""

    def __init__(self, http: HttpOptions | None = None) -> None:
        super().__init__(http=http or HttpOptions(allow_private=True))
        self.stop = threading.Event()

    def check_cancelled(self) -> None:
        if self.stop.is_set():
            raise HotCancelled("Run stopped")


def call(fn: str, *args: Any, host: RecordingHost | None = None, limits: Limits | None = None) -> Any:
    program = load_program({"t.hot": SOURCE})
    return program.call(f"::t/{fn}", list(args), host=host or RecordingHost(), limits=limits)


def err_text(value: Any) -> str:
    assert type(value) is Tagged and value.kind == 2, value
    return str(value.payload)


def echo_routes(server: FakeServer) -> dict[str, Handler]:
    async def echo(request: web.Request) -> web.StreamResponse:
        seen = server.last()
        return web.json_response({"method": seen.method, "body": seen.body.decode(), "ct": seen.headers.get(
            "Content-Type"), "ua": seen.headers.get("User-Agent"), "x": seen.headers.get("X-Key")})

    async def text(request: web.Request) -> web.StreamResponse:
        return web.Response(text="123", content_type="text/plain")

    async def words(request: web.Request) -> web.StreamResponse:
        return web.Response(text="hello there", content_type="text/plain")

    async def png(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"\x89PNG", content_type="image/png")

    async def teapot(request: web.Request) -> web.StreamResponse:
        return web.Response(status=418, text='{"short": "stout"}', headers={"X-Multi": "a"},
                            content_type="application/json")

    return {"/echo": echo, "/text": text, "/words": words, "/png": png, "/teapot": teapot}


def test_get_decodes_json_and_reports_status_headers_and_bytes() -> None:
    with fake_http(echo_routes) as server:
        resp = call("get", f"{server.url}/echo")
    assert resp["status"] == 200
    assert resp["body"] == {"method": "GET", "body": "", "ct": None, "ua": "hot/0.1.0", "x": None}
    assert json.loads(resp["body-bytes"]) == resp["body"]
    assert resp["headers"]["content-type"].startswith("application/json")


def test_bodies_are_decoded_by_content_type() -> None:
    with fake_http(echo_routes) as server:
        assert call("get", f"{server.url}/text")["body"] == 123  # textual: always tried as JSON
        assert call("get", f"{server.url}/words")["body"] == "hello there"
        assert call("get", f"{server.url}/png")["body"] == b"\x89PNG"  # not textual: Bytes


def test_non_2xx_is_a_response_not_an_error() -> None:
    with fake_http(echo_routes) as server:
        resp = call("get", f"{server.url}/teapot")
        assert (resp["status"], resp["body"]) == (418, {"short": "stout"})
        assert call("ok", f"{server.url}/teapot") is False
        assert call("ok", f"{server.url}/echo") is True


def test_map_bodies_are_json_str_bodies_verbatim_for_every_method() -> None:
    with fake_http(echo_routes) as server:
        url = f"{server.url}/echo"
        assert call("post", url, {"a": 1})["body"] == {"method": "POST", "body": '{"a":1}', "ct": "application/json",
                                                     "ua": "hot/0.1.0", "x": None}
        assert call("put", url, "plain")["body"]["body"] == "plain"
        assert call("put", url, "plain")["body"]["ct"] is None
        assert call("patch", url, [1, 2])["body"]["body"] == "[1,2]"
        assert call("delete", url)["body"]["method"] == "DELETE"
        assert call("post", url, 42)["body"]["body"] == ""  # an Int is no body at all


def test_request_sends_string_headers_keeps_the_callers_content_type_and_suffixes_the_user_agent() -> None:
    with fake_http(echo_routes) as server:
        url = f"{server.url}/echo"
        resp = call("request4", "post", url, {"X-Key": "k1", "User-Agent": "mine/2", "Content-Type": "text/x-json",
                                              "Host": "evil", "n": 1}, {"a": 1})
        assert resp["body"] == {"method": "POST", "body": '{"a":1}', "ct": "text/x-json", "ua": "mine/2 hot/0.1.0",
                                "x": "k1"}
        assert server.last().headers["Host"].startswith("127.0.0.1")
        one = call("request", {"method": "PATCH", "url": url, "headers": {"X-Key": "k2"}, "body": "b"})
        assert (one["body"]["method"], one["body"]["x"], one["body"]["body"]) == ("PATCH", "k2", "b")


def test_bad_method_and_url_are_err_values() -> None:
    assert err_text(call("request4", "OPTIONS", "http://x", {}, None)) == \
        "::hot::http/request: unsupported method: OPTIONS"
    assert err_text(call("get", "ftp://x/y")) == "::hot::http/request: URL scheme must be http or https"
    assert err_text(call("get", "not a url")).startswith("::hot::http/request: ")


def test_raw_body_prefers_bytes_then_raw_text() -> None:
    assert call("raw", {"body-raw": "r"}) == "r"
    assert call("raw-bytes") == b"b"
    assert call("raw", {}) == ""


def test_a_transport_error_is_an_err_that_is_err_observes() -> None:
    with fake_http(echo_routes) as server:
        url = server.url
    message = err_text(call("get", f"{url}/gone"))
    assert message.startswith("::hot::http/request: ConnectError")
    assert call("failed", f"{url}/gone") is True


def redirect_routes(server: FakeServer) -> dict[str, Handler]:
    async def hop(request: web.Request) -> web.StreamResponse:
        code = int(request.match_info["code"])
        return web.Response(status=code, headers={"Location": "/echo"})

    async def loop(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/loop")

    async def away(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(request.query["to"])

    async def echo(request: web.Request) -> web.StreamResponse:
        seen = server.last()
        return web.json_response({"method": seen.method, "body": seen.body.decode(),
                                  "auth": seen.headers.get("Authorization")})

    async def nowhere(request: web.Request) -> web.StreamResponse:
        return web.Response(status=301)

    return {"/hop/{code}": hop, "/loop": loop, "/echo": echo, "/away": away, "/nowhere": nowhere}


@pytest.mark.parametrize(("code", "method", "expected"), [
    (301, "POST", ("GET", "")), (302, "POST", ("GET", "")), (303, "PUT", ("GET", "")),
    (301, "PUT", ("PUT", "x")), (307, "POST", ("POST", "x")), (308, "PATCH", ("PATCH", "x"))])
def test_redirect_method_rules(code: int, method: str, expected: tuple[str, str]) -> None:
    with fake_http(redirect_routes) as server:
        resp = call("request4", method, f"{server.url}/hop/{code}", {}, "x")
    assert (resp["body"]["method"], resp["body"]["body"]) == expected


def test_redirects_stop_at_the_limit_and_need_a_location() -> None:
    with fake_http(redirect_routes) as server:
        assert err_text(call("get", f"{server.url}/loop")) == \
            "::hot::http/request: exceeded 10 redirects (HOT_HTTP_MAX_REDIRECTS)"
        assert len([r for r in server.requests if r.path == "/loop"]) == 11
        host = RecordingHost(http=HttpOptions(allow_private=True, max_redirects=2))
        assert "exceeded 2 redirects" in err_text(call("get", f"{server.url}/loop", host=host))
        assert err_text(call("get", f"{server.url}/nowhere")) == \
            "::hot::http/request: redirect 301 without a Location"


def test_credentials_are_dropped_on_a_cross_origin_redirect_only() -> None:
    with fake_http(redirect_routes) as server:
        same = call("request4", "GET", f"{server.url}/away?to=/echo", {"Authorization": "Bearer s"}, None)
        assert same["body"]["auth"] == "Bearer s"
        other = server.url.replace("127.0.0.1", "localhost")
        cross = call("request4", "GET", f"{server.url}/away?to={other}/echo", {"Authorization": "Bearer s"}, None)
        assert cross["body"]["auth"] is None


def test_a_redirect_into_a_refused_address_is_refused() -> None:
    with fake_http(redirect_routes) as server:
        host = RecordingHost(http=HttpOptions(allow=("127.0.0.1",)))
        message = err_text(call("get", f"{server.url}/away?to=http://localhost:1/x", host=host))
    assert message == "::hot::http/request: host localhost is not in HOT_HTTP_ALLOW"


def slow_routes(server: FakeServer) -> dict[str, Handler]:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.get_running_loop().create_future()  # never answers: the client's timeout must end it
        return web.Response(text="late")

    async def big(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"x" * 5000)

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(10):
            await response.write(b"y" * 1000)
        return response

    async def hold(request: web.Request) -> web.StreamResponse:
        return await stream_until_closed(request, server, b"data: 1\n\n")

    async def lines(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        for index in range(4):
            await response.write(f'{{"n": {index}}}\n'.encode() * 300)
            await asyncio.sleep(0.01)  # pacing on purpose: separate chunks
        return response

    return {"/slow": slow, "/big": big, "/chunked": chunked, "/hold": hold, "/lines": lines}


def test_the_request_timeout_is_an_err_naming_the_setting() -> None:
    with fake_http(slow_routes) as server:
        host = RecordingHost(http=HttpOptions(allow_private=True, request_timeout_s=0.3))
        started = time.monotonic()
        message = err_text(call("get", f"{server.url}/slow", host=host))
        assert time.monotonic() - started < 2
    assert message == "::hot::http/request: request timed out after 0.3 seconds (HOT_HTTP_REQUEST_TIMEOUT)"


def test_the_response_size_cap_holds_for_declared_and_chunked_bodies() -> None:
    with fake_http(slow_routes) as server:
        host = RecordingHost(http=HttpOptions(allow_private=True, max_response_bytes=4096))
        assert err_text(call("get", f"{server.url}/big", host=host)) == (
            "::hot::http/request: response Content-Length 5000 is over the limit of 4096 bytes "
            "(HOT_HTTP_MAX_RESPONSE_BYTES)")
        assert err_text(call("get", f"{server.url}/chunked", host=host)) == (
            "::hot::http/request: response body is over the limit of 4096 bytes (HOT_HTTP_MAX_RESPONSE_BYTES)")


def test_the_stream_size_cap_fails_the_pull_that_crosses_it() -> None:
    with fake_http(slow_routes) as server:
        host = RecordingHost(http=HttpOptions(allow_private=True, max_stream_bytes=5000))
        with pytest.raises(Exception, match=r"::hot::iter/next: ::hot::http/request: stream body is over the "
                                            r"limit of 5000 bytes \(HOT_HTTP_MAX_STREAM_BYTES\)"):
            call("pull-all", f"{server.url}/lines", "ndjson", host=host)


def sse_routes(server: FakeServer) -> dict[str, Handler]:
    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in (b'event: start\ndata: {"n": 0}\n\n', b"data: partial", b' and more\n\ndata: {"n": 2}\n\n',
                      b"data: [DONE]\n\n"):
            await response.write(chunk)
            await asyncio.sleep(0.05)  # pacing on purpose: one transport chunk each
        return response

    async def lines(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        for chunk in (b'{"a": 1}\n', b'{"b": 2}\n{"c": 3}\n', b"tail without newline"):
            await response.write(chunk)
            await asyncio.sleep(0.05)  # pacing on purpose: one transport chunk each
        return response

    async def raw(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for chunk in (b"text", b"\xff\xfe"):
            await response.write(chunk)
            await asyncio.sleep(0.05)  # pacing on purpose: one transport chunk each
        return response

    async def echo(request: web.Request) -> web.StreamResponse:
        seen = server.last()
        response = web.StreamResponse(status=201, headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(f"data: {json.dumps({'body': seen.body.decode(), 'x': seen.headers.get('X-Key')})}\n\n"
                             .encode())
        return response

    return {"/events": events, "/lines": lines, "/raw": raw, "/echo": echo}


def values(result: dict[str, Any]) -> list[Any]:
    return [item["value"] for item in result["items"]]


def test_sse_stream_pulls_one_event_each_null_for_an_incomplete_chunk_and_emits_stream_data() -> None:
    with fake_http(sse_routes) as server:
        host = RecordingHost()
        result = call("pull-all", f"{server.url}/events", "sse", host=host)
    assert result["status"] == 200
    assert values(result) == [{"event": "start", "data": {"n": 0}}, None, {"data": "partial and more"},
                              {"data": {"n": 2}}, {"data": "[DONE]"}]
    assert host.stream == [("http:sse:event", value) for value in values(result) if value is not None]


def test_ndjson_stream_gives_a_vec_for_a_multi_line_chunk_and_drops_the_unterminated_tail() -> None:
    with fake_http(sse_routes) as server:
        host = RecordingHost()
        result = call("pull-all", f"{server.url}/lines", "ndjson", host=host)
        assert values(result) == [{"a": 1}, [{"b": 2}, {"c": 3}], None]
        assert [kind for kind, _ in host.stream] == ["http:ndjson:line", "http:ndjson:line"]


def test_raw_stream_gives_str_and_bytes_chunks() -> None:
    with fake_http(sse_routes) as server:
        result = call("pull-all", f"{server.url}/raw", "raw", host=RecordingHost())
    assert values(result) == ["text", b"\xff\xfe"]


def test_collect_emits_stream_data_but_for_each_does_not() -> None:
    with fake_http(sse_routes) as server:
        collecting = RecordingHost()
        assert call("collected", f"{server.url}/lines", host=collecting) == [{"a": 1}, [{"b": 2}, {"c": 3}], None]
        assert len(collecting.stream) == 2
        quiet = RecordingHost()
        assert call("quiet", f"{server.url}/lines", host=quiet) == "read"
        assert quiet.stream == []


def test_post_stream_sends_body_and_headers() -> None:
    with fake_http(sse_routes) as server:
        assert call("post-stream", f"{server.url}/echo", {"q": 1}, {"X-Key": "k"}) == \
            [{"data": {"body": '{"q":1}', "x": "k"}}]


def run_in_thread(work: Callable[[], Any]) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:
            outcome["error"] = error
        outcome["ended"] = time.monotonic()

    threading.Thread(target=target, daemon=True).start()
    return outcome


def test_a_stop_mid_stream_closes_the_connection_within_a_second() -> None:
    with fake_http(slow_routes) as server:
        host = StoppableHost()
        outcome = run_in_thread(lambda: call("hang", f"{server.url}/hold", host=host))
        wait_until(lambda: len(host.stream) == 1, 10, what="the first event pulled")
        stopped = time.monotonic()
        host.stop.set()
        wait_until(lambda: server.closed_at, 5, what="the server seeing the connection closed")
        assert server.closed_at[0] - stopped < 1.0
        wait_until(lambda: "ended" in outcome, 5, what="the run ending")
    assert isinstance(outcome["error"], HotCancelled | HotStopped) and "value" not in outcome


def test_the_run_time_limit_interrupts_a_half_read_stream_and_closes_it() -> None:
    with fake_http(slow_routes) as server:
        started = time.monotonic()
        with pytest.raises(HotTimeLimit):
            call("hang", f"{server.url}/hold", limits=Limits(max_seconds=0.5))
        wait_until(lambda: server.closed_at, 5, what="the server seeing the connection closed")
        assert server.closed_at[0] - started < 1.5


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
                                 "http://metadata.google.internal/computeMetadata/v1/"])
def test_metadata_endpoints_are_refused(url: str) -> None:
    message = err_text(call("get", url, host=RecordingHost(http=HttpOptions(allow_private=True))))
    assert "metadata" in message and message.startswith("::hot::http/request: ")


def test_private_addresses_are_refused_by_default_and_allowed_by_the_setting() -> None:
    with fake_http(echo_routes) as server:
        strict = RecordingHost(http=HttpOptions())
        assert err_text(call("get", f"{server.url}/echo", host=strict)) == (
            "::hot::http/request: outbound connection to non-public address 127.0.0.1 is blocked "
            "(allow it with HOT_HTTP_ALLOW_PRIVATE=1 or HOT_HTTP_ALLOW)")
        assert err_text(call("get", "http://10.255.255.1/", host=strict)).endswith(
            "non-public address 10.255.255.1 is blocked (allow it with HOT_HTTP_ALLOW_PRIVATE=1 or HOT_HTTP_ALLOW)")
        assert server.requests == []
        assert call("get", f"{server.url}/echo", host=RecordingHost(http=HttpOptions(allow_private=True)))[
            "status"] == 200
        allowed = RecordingHost(http=HttpOptions(allow=("127.0.0.0/8",)))
        assert call("get", f"{server.url}/echo", host=allowed)["status"] == 200


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    with fake_http(echo_routes) as server:
        url = server.url.replace("127.0.0.1", "localhost")
        message = err_text(call("get", f"{url}/echo", host=RecordingHost(http=HttpOptions())))
    assert "non-public address" in message and server.requests == []


def test_hot_run_calls_local_servers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with fake_http(echo_routes) as server:
        source = tmp_path / "call.hot"
        source.write_text(f'::hot::http/get("{server.url}/echo").body.method\n')
        assert main(["run", str(source)]) == 0
    assert "GET" in capsys.readouterr().out
