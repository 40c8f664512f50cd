"""``::hot::http``: outbound HTTP requests from Hot code (integrations-spec §1).

A request is built from Hot values (§1.3), sent through the process's pool
(:mod:`hotlang.library.http_transport`), redirects are followed here by hand (§1.4) with each
hop checked against the egress policy, and the response is decoded by content type (§1.6).
Transport failures, limits, refusals and redirect problems are an Err whose message starts with
``::hot::http/request:`` (§1.7), never a crash. The streaming forms return once the head arrived,
with a lazy Iter body (§1.8: :mod:`hotlang.library.http_body` over the decoders of
:mod:`hotlang.library.http_streams`).

httpx (and the transport) are imported on the first request, not with the language: most
programs never call out, and the import is a quarter of the interpreter's start-up time.

Each call is a child span ``HTTP <METHOD>`` of the current Hot call in a traced run, and the
request carries that span's W3C ``traceparent`` so the callee joins the run's trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from hotlang.errors import HotRuntimeError
from hotlang.library.http_body import PREFIX, RequestRefused, StreamBody, announcer, describe
from hotlang.library.http_streams import decoder_for, json_or_text
from hotlang.library.registry import Library
from hotlang.runtime.egress import HttpOptions
from hotlang.runtime.json_codec import dumps
from hotlang.runtime.run import current_run
from hotlang.runtime.tracing import Span, current_span, current_tracer
from hotlang.runtime.typevalues import StructType, TypeAliasValue
from hotlang.runtime.values import HotIter, Tagged, err, type_name

if TYPE_CHECKING:
    import httpx

    from hotlang.library.http_transport import Exchange

lib = Library("::hot::http")

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
        raise RequestRefused(f"invalid URL: expected a Str, got {type_name(url)}")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise RequestRefused(f"invalid URL: {error}") from None
    if parsed.scheme not in ("http", "https"):
        raise RequestRefused("URL scheme must be http or https")
    if not parsed.host:
        raise RequestRefused(f"invalid URL: {url} has no host")
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
            raise RequestRefused(f"unsupported method: {method if type(method) is str else type_name(method)}")
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
    except BaseException as error:  # noqa: BLE001 - `_failed` re-raises what is not the request's own failure
        return _failed(error, span, options, streaming)
    head = {"status": response.status_code, "headers": _response_headers(response)}
    if span is not None:
        span.set_attribute("http.response.status_code", response.status_code)
    if streaming:
        decoder = decoder_for(stream_format)
        body_iter = StreamBody(exchange, decoder, options, span, started)
        announce = announcer(decoder.data_type)
        return {**head, "body": HotIter(body_iter, announce)}
    try:
        data = _read_all(exchange, response, options)
    except BaseException as error:  # noqa: BLE001 - `_failed` re-raises what is not the request's own failure
        exchange.abort()
        return _failed(error, span, options, streaming)
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
            raise RequestRefused(refusal)
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
            raise RequestRefused(f"redirect {response.status_code} without a Location")
        try:
            following = _check_url(str(target.join(location)))
        except (RequestRefused, httpx.InvalidURL, ValueError) as error:
            raise RequestRefused(f"invalid redirect Location {location!r}: {error}") from None
        status = response.status_code
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, content = "GET", None
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
        if (following.scheme, following.host, following.port) != (target.scheme, target.host, target.port):
            headers = [(k, v) for k, v in headers if k.lower() not in CREDENTIAL_HEADERS]
        target = following
    raise RequestRefused(f"exceeded {options.max_redirects} redirects (HOT_HTTP_MAX_REDIRECTS)")


def _failed(error: BaseException, span: Span | None, options: HttpOptions, streaming: bool) -> Any:
    """A request that failed: its Err (the span marked failed and closed), or `error` re-raised when it
    is not the request's own failure (a limit, a stop)."""
    message = describe(error, options, streaming)
    if span is not None:
        span.fail(f"{PREFIX}: {message}" if message is not None else str(error), "")
        span.end()
    if message is None:
        raise error
    return err(f"{PREFIX}: {message}")


def _read_all(exchange: Exchange, response: httpx.Response, options: HttpOptions) -> bytes:
    cap = options.max_response_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise RequestRefused(f"response Content-Length {int(declared)} is over the limit of {cap} bytes "
                       "(HOT_HTTP_MAX_RESPONSE_BYTES)")
    parts: list[bytes] = []
    size = 0
    while (chunk := exchange.chunk()) is not None:
        size += len(chunk)
        if size > cap:
            raise RequestRefused(f"response body is over the limit of {cap} bytes (HOT_HTTP_MAX_RESPONSE_BYTES)")
        parts.append(chunk)
    return b"".join(parts)


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
