"""``::hot::http``: outbound HTTP requests from Hot code (integrations-spec §1).

A request is built from Hot values (§1.3), sent through the process's pool
(:mod:`hotlang.library.http_transport`), redirects are followed here by hand (§1.4) with each
hop checked against the egress policy, and the response is decoded by content type (§1.6).
Transport failures, limits, refusals and redirect problems are an Err whose message starts with
``::hot::http/request:`` (§1.7), never a crash. The streaming forms return once the head arrived,
with a lazy Iter body (§1.8, :mod:`hotlang.library.http_streams`).

httpx (and the transport) are imported on the first request, not with the language: most
programs never call out, and the import is a quarter of the interpreter's start-up time.

Each call is a child span ``HTTP <METHOD>`` of the current Hot call in a traced run, and the
request carries that span's W3C ``traceparent`` so the callee joins the run's trace.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from hotlang.errors import HotError, HotRuntimeError, is_uncatchable
from hotlang.library.http_streams import StreamDecoder, decoder_for, json_or_text
from hotlang.library.registry import Library
from hotlang.runtime.egress import HttpOptions
from hotlang.runtime.json_codec import dumps, to_json
from hotlang.runtime.run import current_run
from hotlang.runtime.tracing import Span, current_span, current_tracer
from hotlang.runtime.typevalues import StructType, TypeAliasValue
from hotlang.runtime.values import HotIter, Tagged, err, type_name

if TYPE_CHECKING:
    import httpx

    from hotlang.library.http_transport import Exchange

lib = Library("::hot::http")

PREFIX = "::hot::http/request"
STREAM_PREFIX = "::hot::http/request-stream"
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
TEXTUAL = ("json", "xml", "x-ndjson", "javascript", "x-www-form-urlencoded", "svg")


def _version() -> str:
    try:
        return metadata.version("hot-platform")
    except metadata.PackageNotFoundError:
        return "0.1.0"


USER_AGENT = f"hot/{_version()}"

for _name, _fields in (
    ("HttpRequest", ("method", "url", "original-url", "headers", "query", "body", "body-raw", "body-bytes", "ip",
                     "auth")),
    ("HttpResponse", ("status", "headers", "body", "body-bytes")),
    ("StreamingHttpResponse", ("status", "headers", "body")),
):
    lib.value(_name, StructType(f"::hot::http/{_name}", _fields), core=False)
lib.value("HttpMethod", TypeAliasValue("::hot::http/HttpMethod"), core=False)
lib.value("StreamFormat", TypeAliasValue("::hot::http/StreamFormat"), core=False)


class _Refused(Exception):
    """A request that is not sent (bad method or URL, a policy refusal, a redirect problem)."""


# ----- the Hot functions ------------------------------------------------------------------------


@lib.native("request", 1, 4, core=False)
def request(*args: Any) -> Any:
    """``request(req)`` or ``request(method, url, headers, body)`` → HttpResponse, or an Err."""
    method, url, headers, body = _arguments("request", args)
    return _perform(method, url, headers, body, None)


@lib.native("get", 1, core=False)
def get(url: Any) -> Any:
    return _perform("GET", url, {}, None, None)


@lib.native("post", 2, core=False)
def post(url: Any, body: Any) -> Any:
    return _perform("POST", url, {}, body, None)


@lib.native("put", 2, core=False)
def put(url: Any, body: Any) -> Any:
    return _perform("PUT", url, {}, body, None)


@lib.native("patch", 2, core=False)
def patch(url: Any, body: Any) -> Any:
    return _perform("PATCH", url, {}, body, None)


@lib.native("delete", 1, core=False)
def delete(url: Any) -> Any:
    return _perform("DELETE", url, {}, None, None)


@lib.native("request-stream", 1, 5, core=False)
def request_stream(*args: Any) -> Any:
    """``(req)``, ``(req, format)``, ``(method, url, headers, body)``, ``(method, url, headers, body, format)``."""
    stream_format: Any = "raw"
    if len(args) in (2, 5):
        *args_, stream_format = args
        args = tuple(args_)
    method, url, headers, body = _arguments("request-stream", args)
    return _perform(method, url, headers, body, stream_format)


@lib.native("get-stream", 1, 2, core=False)
def get_stream(url: Any, stream_format: Any = "raw") -> Any:
    return _perform("GET", url, {}, None, stream_format)


@lib.native("post-stream", 2, 4, core=False)
def post_stream(url: Any, body: Any, headers: Any = None, stream_format: Any = "raw") -> Any:
    if headers is not None and type(headers) is not dict:
        raise HotRuntimeError(f"{STREAM_PREFIX}: headers must be a Map, got {type_name(headers)}")
    return _perform("POST", url, headers or {}, body, stream_format)


@lib.native("is-ok-response", 1, core=False)
def is_ok_response(response: Any) -> bool:
    fields = _untag(response)
    status = fields.get("status") if type(fields) is dict else None
    return type(status) is int and 200 <= status <= 299


@lib.native("raw-body", 1, core=False)
def raw_body(req: Any) -> Any:
    fields = _untag(req)
    if type(fields) is not dict:
        raise HotRuntimeError(f"raw-body expects a Map, got {type_name(req)}")
    if fields.get("body-bytes") is not None:
        return fields["body-bytes"]
    if fields.get("body-raw") is not None:
        return fields["body-raw"]
    return ""


# ----- building the request (§1.3) ----------------------------------------------------------------


def _arguments(name: str, args: tuple[Any, ...]) -> tuple[Any, Any, dict[Any, Any], Any]:
    if len(args) == 1:
        req = _untag(args[0])
        if type(req) is not dict:
            raise HotRuntimeError(f"::hot::http/{name}: expects an HttpRequest Map, got {type_name(args[0])}")
        headers = req.get("headers")
        return req.get("method"), req.get("url"), headers if type(headers) is dict else {}, req.get("body")
    if len(args) == 4:
        method, url, headers, body = args
        if type(headers) is not dict:
            raise HotRuntimeError(f"::hot::http/{name}: headers must be a Map, got {type_name(headers)}")
        return method, url, _untag(headers), body
    raise HotRuntimeError(f"::hot::http/{name}: takes (req) or (method, url, headers, body), got {len(args)} "
                          "arguments")


def _untag(value: Any) -> Any:
    """The value with type tags stripped, recursively (the 1-arg form reads plain data)."""
    kind = type(value)
    if kind is Tagged:
        return _untag(value.payload)
    if kind is dict:
        return {key: _untag(item) for key, item in value.items()}
    if kind is list:
        return [_untag(item) for item in value]
    return value


def _headers(given: dict[Any, Any]) -> list[tuple[str, str]]:
    """String pairs only, no ``host``, and ``User-Agent`` always ending in ``hot/<version>``."""
    out: list[tuple[str, str]] = []
    agent = USER_AGENT
    for key, value in given.items():
        if type(key) is not str or type(value) is not str:
            continue
        lower = key.lower()
        if lower == "host":
            continue
        if lower == "user-agent":
            agent = f"{value} {USER_AGENT}"
            continue
        out.append((key, value))
    out.append(("User-Agent", agent))
    return out


def _body(value: Any, headers: list[tuple[str, str]]) -> bytes | None:
    """Str and Bytes verbatim, Map and Vec as JSON (adding a Content-Type unless one is set), else none."""
    kind = type(value)
    if kind is str:
        return value.encode("utf-8", "surrogatepass") if value else None
    if kind is bytes:
        return value or None
    if kind is dict or kind is list or kind is Tagged:
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
        return dumps(value).encode("utf-8", "surrogatepass")
    return None


def _check_url(url: Any) -> httpx.URL:
    import httpx

    if type(url) is not str:
        raise _Refused(f"invalid URL: expected a Str, got {type_name(url)}")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise _Refused(f"invalid URL: {error}") from None
    if parsed.scheme not in ("http", "https"):
        raise _Refused("URL scheme must be http or https")
    if not parsed.host:
        raise _Refused(f"invalid URL: {url} has no host")
    return parsed


def masked_url(url: str) -> str:
    """``url`` for a trace: no user info, query values replaced by ``***`` (they often hold keys)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = "&".join(f"{pair.partition('=')[0]}=***" for pair in parts.query.split("&") if pair)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


# ----- sending, redirects, decoding -----------------------------------------------------------------


def _perform(method: Any, url: Any, headers: dict[Any, Any], body: Any, stream_format: Any) -> Any:
    """One request (with its redirects): an HttpResponse / StreamingHttpResponse map, or an Err."""
    host = current_run().host
    options = host.http_options()
    streaming = stream_format is not None
    started = time.monotonic()
    name = str(method).upper() if type(method) is str else "?"
    span = _start_span(name, url)
    try:
        if type(method) is not str or name not in METHODS:
            raise _Refused(f"unsupported method: {method if type(method) is str else type_name(method)}")
        target = _check_url(url)
        sent_headers = _headers(headers)
        content = _body(body, sent_headers)
        traceparent = host.traceparent(span) if span is not None else host.traceparent(None)
        if traceparent:
            sent_headers = [(k, v) for k, v in sent_headers if k.lower() != "traceparent"]
            sent_headers.append(("traceparent", traceparent))
        budget = options.stream_timeout_s if streaming else options.request_timeout_s
        exchange, response = _follow(options, name, target, sent_headers, content, (started + budget, budget),
                                     host.check_cancelled)
    except BaseException as error:
        message = _describe(error, options, streaming)
        if span is not None:
            span.fail(f"{PREFIX}: {message}" if message is not None else str(error), "")
            span.end()
        if message is None:
            raise
        return err(f"{PREFIX}: {message}")
    head = {"status": response.status_code, "headers": _response_headers(response)}
    if span is not None:
        span.set_attribute("http.response.status_code", response.status_code)
    if streaming:
        decoder = decoder_for(stream_format)
        body_iter = StreamBody(exchange, decoder, options, span, started)
        announce = _announcer(decoder.data_type)
        return {**head, "body": HotIter(body_iter, announce)}
    try:
        data = _read_all(exchange, response, options)
    except BaseException as error:
        exchange.abort()
        message = _describe(error, options, streaming)
        if span is not None:
            span.fail(f"{PREFIX}: {message}" if message is not None else str(error), "")
            span.end()
        if message is None:
            raise
        return err(f"{PREFIX}: {message}")
    exchange.finish()
    if span is not None:
        span.set_attribute("http.response.body.size", len(data))
        span.set_attribute("hot.http.duration_ms", int((time.monotonic() - started) * 1000))
        span.end()
    return {**head, "body": _decode(data, response.headers.get("content-type")), "body-bytes": data}


def _follow(options: HttpOptions, method: str, target: httpx.URL, headers: list[tuple[str, str]],
            content: bytes | None, deadline: tuple[float, float],
            stop_check: Callable[[], None]) -> tuple[Exchange, httpx.Response]:
    """Send, following up to ``max_redirects`` redirects by hand (§1.4); the final exchange and head."""
    import httpx

    from hotlang.library.http_transport import Exchange, build_request

    for _hop in range(options.max_redirects + 1):
        refusal = options.refusal_for_host(target.host)
        if refusal is not None:
            raise _Refused(refusal)
        exchange = Exchange(build_request(options, method, str(target), headers, content), options,
                            deadline=deadline[0], budget_s=deadline[1], stop_check=stop_check)
        try:
            response = exchange.head()
        except BaseException:
            exchange.abort()
            raise
        if response.status_code not in REDIRECTS:
            return exchange, response
        exchange.abort()
        location = response.headers.get("location")
        if not location:
            raise _Refused(f"redirect {response.status_code} without a Location")
        try:
            following = _check_url(str(target.join(location)))
        except (_Refused, httpx.InvalidURL, ValueError) as error:
            raise _Refused(f"invalid redirect Location {location!r}: {error}") from None
        status = response.status_code
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, content = "GET", None
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
        if (following.scheme, following.host, following.port) != (target.scheme, target.host, target.port):
            headers = [(k, v) for k, v in headers if k.lower() not in CREDENTIAL_HEADERS]
        target = following
    raise _Refused(f"exceeded {options.max_redirects} redirects (HOT_HTTP_MAX_REDIRECTS)")


def _read_all(exchange: Exchange, response: httpx.Response, options: HttpOptions) -> bytes:
    cap = options.max_response_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _Refused(f"response Content-Length {int(declared)} is over the limit of {cap} bytes "
                       "(HOT_HTTP_MAX_RESPONSE_BYTES)")
    parts: list[bytes] = []
    size = 0
    while (chunk := exchange.chunk()) is not None:
        size += len(chunk)
        if size > cap:
            raise _Refused(f"response body is over the limit of {cap} bytes (HOT_HTTP_MAX_RESPONSE_BYTES)")
        parts.append(chunk)
    return b"".join(parts)


def _describe(error: BaseException, options: HttpOptions, streaming: bool) -> str | None:
    """The Err message of a failed request; None for what must propagate (a stop, a time limit)."""
    import httpx

    from hotlang.library.http_transport import HttpTimeout

    if isinstance(error, _Refused):
        return str(error)
    if isinstance(error, HttpTimeout):
        setting = "HOT_HTTP_STREAM_TIMEOUT" if streaming else "HOT_HTTP_REQUEST_TIMEOUT"
        return f"{error} ({setting})"
    if isinstance(error, httpx.ConnectTimeout):
        return f"connection timed out after {options.connect_timeout_s:g} seconds (HOT_HTTP_CONNECT_TIMEOUT)"
    if isinstance(error, httpx.TransportError):
        text = str(error) or type(error).__name__
        return text if "blocked" in text or "HOT_HTTP_" in text else f"{type(error).__name__}: {text}"
    if isinstance(error, httpx.HTTPError):
        return f"{type(error).__name__}: {error}"
    return None


def _response_headers(response: httpx.Response) -> dict[str, str]:
    """Lower-case names; values that are not visible ASCII dropped; the last of a repeated header wins."""
    out: dict[str, str] = {}
    for raw_name, raw_value in response.headers.raw:
        try:
            value = raw_value.decode("ascii")
        except UnicodeDecodeError:
            continue
        if all(char == "\t" or " " <= char <= "~" for char in value):
            out[raw_name.decode("latin-1").lower()] = value
    return out


def _decode(data: bytes, content_type: str | None) -> Any:
    """§1.6: Bytes for a non-textual type or invalid UTF-8; otherwise the JSON value if it parses, else the Str."""
    if content_type is not None and not _textual(content_type):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    return json_or_text(text)


def _textual(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media.endswith(("+json", "+xml")) or any(kind in media for kind in TEXTUAL)


# ----- tracing ---------------------------------------------------------------------------------------


def _start_span(method: str, url: Any) -> Span | None:
    tracer = current_tracer()
    if tracer is None:
        return None
    shown = masked_url(url) if type(url) is str else ""
    return tracer.start_span(f"HTTP {method}", current_span(),
                             {"http.request.method": method, "url.full": shown, "hot.http": True})


# ----- streaming (§1.8) -------------------------------------------------------------------------------


def _announcer(data_type: str) -> Callable[[Any], None]:
    """Publish a pulled value as ``stream:data`` of ``data_type`` (only ``next`` and ``collect`` call it)."""
    host = current_run().host

    def announce(value: Any) -> None:
        host.stream_data(data_type, to_json(value))

    return announce


_open: set[StreamBody] = set()
_open_lock = threading.Lock()


def close_open_streams() -> None:
    """Close every streamed body still open (a host calls it when a run ends: nothing outlives the run)."""
    with _open_lock:
        bodies = list(_open)
    for body in bodies:
        body.close(None)
    transport = sys.modules.get("hotlang.library.http_transport")
    if transport is not None:  # not imported: no request was ever made
        transport.abort_all()


class StreamBody:
    """The lazy body of a StreamingHttpResponse: one decoded value per pull, null for a chunk that
    completes nothing, then done. The connection closes at the end, on an error, or on a stop."""

    def __init__(self, exchange: Exchange, decoder: StreamDecoder, options: HttpOptions, span: Span | None,
                 started: float) -> None:
        self._exchange = exchange
        self._decoder = decoder
        self._options = options
        self._span = span
        self._started = started
        self._pending: deque[Any] = deque()
        self._bytes = 0
        self._done = False
        self._closed = False
        with _open_lock:
            _open.add(self)

    def __iter__(self) -> StreamBody:
        return self

    def __next__(self) -> Any:
        if self._pending:
            return self._pending.popleft()
        if self._done:
            raise StopIteration
        try:
            chunk = self._exchange.chunk()
            if chunk is not None:
                self._bytes += len(chunk)
                if self._bytes > self._options.max_stream_bytes:
                    raise _Refused(f"stream body is over the limit of {self._options.max_stream_bytes} bytes "
                                   "(HOT_HTTP_MAX_STREAM_BYTES)")
        except BaseException as error:
            message = _describe(error, self._options, True)
            self.close(f"{PREFIX}: {message}" if message is not None else str(error))
            if message is None or (isinstance(error, HotError) and is_uncatchable(error)):
                raise
            raise HotRuntimeError(f"::hot::iter/next: {PREFIX}: {message}") from None
        if chunk is None:
            self._done = True
            values = self._decoder.finish()
            self.close(None)
            if not values:
                raise StopIteration
        else:
            values = self._decoder.feed(chunk)
            if not values:
                return None
        self._pending.extend(values[1:])
        return values[0]

    def close(self, failure: str | None) -> None:
        """End the body: the connection is closed unless it was read to the end (then it is pooled)."""
        if self._closed:
            return
        self._closed = True
        self._done = True
        if failure is None and self._exchange.ended:
            self._exchange.finish()
        else:
            self._exchange.abort()
        with _open_lock:
            _open.discard(self)
        if self._span is not None:
            if failure is not None:
                self._span.fail(failure, "")
            self._span.set_attribute("http.response.body.size", self._bytes)
            self._span.set_attribute("hot.http.duration_ms", int((time.monotonic() - self._started) * 1000))
            self._span.end()

    def __del__(self) -> None:
        if not self._closed:
            self._exchange.abort()
