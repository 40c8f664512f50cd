"""``::hot::uri``: parse, build, join and percent-encode URIs (integrations-spec §4.7).

Parsing follows the WHATWG URL rules the upstream ``url`` crate implements, for what a handler
needs: the scheme is lower-cased; for the special schemes (http, https, ws, wss, ftp, file) the
host is lower-cased and required, backslashes count as slashes, an empty path is ``/`` and the
default port is dropped (``port`` is only an explicitly given, non-default port); dot segments are
resolved; characters a URL cannot hold raw (spaces, quotes, ``<``, ``>`` …) are percent-encoded.
A Uri is the tagged map ``{$type: "::hot::uri/Uri", scheme, userinfo, host, port, path, query,
fragment}`` with null for missing parts; ``Str(uri)`` rebuilds the text.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urljoin

from hotlang.errors import HotRuntimeError
from hotlang.library.failures import Refused, err_on_refusal, expect_text
from hotlang.library.registry import Library
from hotlang.library.types import NativeType
from hotlang.runtime.display import format_dec, to_str
from hotlang.runtime.limits import check_bytes, check_joined, check_size, check_text
from hotlang.runtime.numbers import int_text
from hotlang.runtime.values import Tagged, type_name

lib = Library("::hot::uri")

URI_PATH = "::hot::uri/Uri"
FIELDS = ("scheme", "userinfo", "host", "port", "path", "query", "fragment")
SPECIAL_PORTS: dict[str, int | None] = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "file": None}

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_FORBIDDEN_HOST = set(" #%/:<>?@[\\]^|\x00\t\n\r")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_FORM_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")
_C0 = frozenset(range(0x21)) | {0x7F}
_C0_TEXT = "".join(chr(code) for code in range(0x21))
_FRAGMENT_SET = _C0 | frozenset(b'"<>`')
_QUERY_SET = _C0 | frozenset(b'"#<>')
_SPECIAL_QUERY_SET = _QUERY_SET | {ord("'")}
_PATH_SET = _QUERY_SET | frozenset(b"?`{}")
_USERINFO_SET = _PATH_SET | frozenset(b"/:;=@[\\]^|")


def _percent(text: str, encode_set: frozenset[int]) -> str:
    """Percent-encode the UTF-8 bytes of ``text`` that are in ``encode_set`` or not ASCII."""
    out = []
    for byte in text.encode("utf-8", "surrogatepass"):
        out.append(f"%{byte:02X}" if byte in encode_set or byte > 0x7E else chr(byte))
    return "".join(out)


def _remove_dots(segments: list[str]) -> list[str]:
    out: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment in (".", "%2e", "%2E"):
            if last:
                out.append("")
        elif segment.lower() in ("..", ".%2e", "%2e.", "%2e%2e"):
            if out:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return out


def _host(raw: str, special: bool, fn: str) -> str:
    if raw.startswith("["):
        if not raw.endswith("]") or not re.fullmatch(r"\[[0-9A-Fa-f:.]+\]", raw) or raw.count("::") > 1:
            raise Refused(f"{fn}: invalid URI: invalid IPv6 address {raw!r}")
        return raw.lower()
    if not special:
        if any(char in _FORBIDDEN_HOST for char in raw.replace("%", "")):
            raise Refused(f"{fn}: invalid URI: invalid host character in {raw!r}")
        return _percent(raw, _C0)

    host = unquote(raw)
    if any(char in _FORBIDDEN_HOST or ord(char) < 0x20 or ord(char) == 0x7F for char in host):
        raise Refused(f"{fn}: invalid URI: invalid domain character in {raw!r}")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise Refused(f"{fn}: invalid URI: invalid international domain name {raw!r}") from None
    return host.lower()


def parse_uri(text: str, fn: str) -> dict[str, Any]:
    """The parts of ``text`` as a Uri payload; :class:`Refused` (an Err) when it is not a URI."""
    text = re.sub(r"[\t\n\r]", "", text.strip(_C0_TEXT))
    head = _SCHEME.match(text)
    if head is None or text[head.end() : head.end() + 1] != ":":
        raise Refused(f"{fn}: invalid URI: relative URL without a base (no scheme) in {_shown(text)}")
    scheme = head.group().lower()
    rest = text[head.end() + 1 :]
    special = scheme in SPECIAL_PORTS
    rest, fragment = _split(rest, "#")
    rest, query = _split(rest, "?")
    if special:
        rest = rest.replace("\\", "/")
    userinfo = host = port = None
    if rest.startswith("//") or (special and scheme != "file"):
        authority_and_path = rest.lstrip("/") if special and scheme != "file" else rest[2:]
        slash = authority_and_path.find("/")
        authority = authority_and_path if slash < 0 else authority_and_path[:slash]
        path = "" if slash < 0 else authority_and_path[slash:]
        if "@" in authority:
            userinfo_text, _, authority = authority.rpartition("@")
            user, colon, password = userinfo_text.partition(":")
            userinfo = (_percent(user, _USERINFO_SET) + colon + _percent(password, _USERINFO_SET)) or None
        host_text, port = _port(authority, fn)
        if not host_text and special and scheme != "file":
            raise Refused(f"{fn}: invalid URI: empty host in {_shown(text)}")
        host = _host(host_text, special, fn) if host_text or scheme != "file" else None
        if port is not None and SPECIAL_PORTS.get(scheme) == port:
            port = None
    else:
        path = rest
    if special or host is not None or path.startswith("/"):
        segments = _remove_dots(path.split("/")[1:]) if path.startswith("/") else _remove_dots(path.split("/"))
        path = "/" + "/".join(segments) if path or special else ""
        if not segments and special:
            path = "/"
        path = _percent(path, _PATH_SET)
    else:
        path = _percent(path, _C0 - {0x20})
    query_set = _SPECIAL_QUERY_SET if special else _QUERY_SET
    parts = {
        "scheme": scheme,
        "userinfo": userinfo,
        "host": host,
        "port": port,
        "path": path,
        "query": None if query is None else _percent(query, query_set),
        "fragment": None if fragment is None else _percent(fragment, _FRAGMENT_SET),
    }
    return _checked(parts, fn)


def _split(text: str, mark: str) -> tuple[str, str | None]:
    head, found, tail = text.partition(mark)
    return head, (tail if found else None)


def _port(authority: str, fn: str) -> tuple[str, int | None]:
    host, colon, digits = authority.rpartition(":")
    if not colon or (host.startswith("[") and not host.endswith("]")) or authority.endswith("]"):
        return authority, None
    if not digits:
        return host, None
    if not digits.isdigit() or not digits.isascii() or int(digits) > 65535:
        raise Refused(f"{fn}: invalid URI: invalid port number {digits[:20]!r}")
    return host, int(digits)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:80] + "…")


def make_uri(parts: dict[str, Any]) -> Tagged:
    return Tagged(URI_PATH, parts)


@err_on_refusal
def construct(value: Any) -> Any:
    """``Uri(s)`` parses; ``Uri(uri)`` is the Uri itself; ``Uri({scheme: …})`` tags the parts."""
    if type(value) is Tagged and value.type_path == URI_PATH:
        return value
    if type(value) is dict:
        return make_uri({name: value.get(name) for name in FIELDS})
    return make_uri(parse_uri(expect_text("::hot::uri/Uri", value, "a Str"), "::hot::uri/Uri"))


lib.value("Uri", NativeType(URI_PATH, construct, 1, 1), core=False)


@lib.native("parse", 1, core=False)
@err_on_refusal
def parse(value: Any) -> Tagged:
    return make_uri(parse_uri(expect_text("::hot::uri/parse", value), "::hot::uri/parse"))


def _checked(parts: dict[str, Any], fn: str) -> dict[str, Any]:
    """Halt (``max_bytes``) if percent-encoding grew the parts past the size limit."""
    check_joined([part for part in parts.values() if type(part) is str], "", fn)
    return parts


@lib.native("is-valid", 1, core=False)
@err_on_refusal
def is_valid(value: Any) -> bool:
    if type(value) is not str:
        return False
    try:
        parse_uri(value, "::hot::uri/is-valid")
    except Refused:
        return False
    return True


@lib.native("encode", 1, core=False)
@err_on_refusal
def encode(value: Any) -> str:
    """Percent-encode every UTF-8 byte except ``A-Z a-z 0-9 - . _ ~`` (a space is ``%20``)."""
    text = expect_text("::hot::uri/encode", value)
    raw = text.encode("utf-8", "surrogatepass")
    check_bytes(len(raw) * 3, "::hot::uri/encode")
    return "".join(chr(byte) if byte in _UNRESERVED else f"%{byte:02X}" for byte in raw)


def _unpercent(text: str, *, plus: bool) -> bytes:
    raw = text.encode("utf-8", "surrogatepass")
    if plus:
        raw = raw.replace(b"+", b" ")
    out = bytearray()
    index = 0
    while index < len(raw):
        byte = raw[index]
        pair = raw[index + 1 : index + 3]
        if byte == 0x25 and len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair):
            out.append(int(pair, 16))
            index += 3
        else:
            out.append(byte)
            index += 1
    return bytes(out)


@lib.native("decode", 1, core=False)
@err_on_refusal
def decode(value: Any) -> str:
    """Percent-decode; the bytes must be UTF-8. ``+`` stays ``+``; a stray ``%`` stays as is."""
    try:
        return _unpercent(expect_text("::hot::uri/decode", value), plus=False).decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("::hot::uri/decode: the decoded bytes are not valid UTF-8") from None


def _form(text: str) -> str:
    return "".join(
        chr(byte) if byte in _FORM_SAFE else "+" if byte == 0x20 else f"%{byte:02X}"
        for byte in text.encode("utf-8", "surrogatepass")
    )


def _query_value(value: Any) -> str:
    kind = type(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int_text(value)
    if kind is Decimal:
        return format_dec(value)
    return to_str(value)


def _encode_query(fn: str, value: Any) -> str:
    if type(value) is Tagged and type(value.payload) is dict:
        value = value.payload
    if type(value) is not dict:
        raise Refused(f"{fn} expects a Map of query parameters, got {type_name(value)}")
    check_size(len(value), fn)
    return check_text("&".join(f"{_form(to_str(key))}={_form(_query_value(item))}" for key, item in value.items()), fn)


@lib.native("encode-query", 1, core=False)
@err_on_refusal
def encode_query(value: Any) -> str:
    """``k=v&…`` form-urlencoded in map order (a space is ``+``)."""
    return _encode_query("::hot::uri/encode-query", value)


@lib.native("query-string", 1, core=False)
@err_on_refusal
def query_string(value: Any) -> str:
    """``"?" + encode-query`` of the non-null entries, or ``""`` when none is left."""
    if type(value) is dict:
        value = {key: item for key, item in value.items() if item is not None}
    text = _encode_query("::hot::uri/query-string", value)
    return "?" + text if text else ""


@lib.native("decode-query", 1, core=False)
@err_on_refusal
def decode_query(value: Any) -> dict[str, str]:
    """A Map Str → Str of a form-encoded query (one leading ``?`` dropped; the last repeat wins)."""
    text = expect_text("::hot::uri/decode-query", value)
    if text.startswith("?"):
        text = text[1:]
    pieces = text.split("&")
    check_size(len(pieces), "::hot::uri/decode-query")
    result: dict[str, str] = {}
    for piece in pieces:
        if piece:
            key, _, item = piece.partition("=")
            name = _unpercent(key, plus=True).decode("utf-8", "replace")
            result[name] = _unpercent(item, plus=True).decode("utf-8", "replace")
    return result


def build_text(parts: dict[str, Any], fn: str) -> str:
    scheme = parts.get("scheme")
    if type(scheme) is not str or not scheme:
        raise Refused(f"{fn}: a URI needs a scheme")
    out = [scheme, ":"]
    host = parts.get("host")
    if host is None and scheme == "file":
        out.append("//")  # file URLs keep their empty authority: file:///etc/hosts
    elif host is not None:
        out.append("//")
        if parts.get("userinfo") is not None:
            out += [to_str(parts["userinfo"]), "@"]
        out.append(to_str(host))
        if parts.get("port") is not None:
            out += [":", _query_value(parts["port"])]
    path = parts.get("path")
    if path is None or path == "":
        if host is not None:
            out.append("/")
    else:
        out.append(to_str(path))
    query = parts.get("query")
    if type(query) is dict:
        encoded = _encode_query(fn, query)
        if encoded:
            out += ["?", encoded]
    elif query is not None:
        out += ["?", to_str(query)]
    if parts.get("fragment") is not None:
        out += ["#", to_str(parts["fragment"])]
    return check_text("".join(out), fn)


@lib.native("build", 1, core=False)
@err_on_refusal
def build(parts: Any) -> str:
    """The text of a URI from its parts (``scheme`` required)."""
    if type(parts) is Tagged and type(parts.payload) is dict:
        parts = parts.payload
    if type(parts) is not dict:
        raise Refused(f"::hot::uri/build expects a Map of URI parts, got {type_name(parts)}")
    return build_text(parts, "::hot::uri/build")


def uri_to_str(value: Any) -> str:
    """The ``Uri -> Str`` arrow."""
    if type(value) is not Tagged or type(value.payload) is not dict:
        raise HotRuntimeError(f"Uri -> Str expects a Uri, got {type_name(value)}")
    try:
        return build_text(value.payload, "Str")
    except Refused as refusal:
        raise HotRuntimeError(refusal.message) from None


lib.arrow(URI_PATH, "::hot::type/Str", uri_to_str)


@lib.native("join", 2, 4, core=False)
@err_on_refusal
def join(base: Any, *segments: Any) -> Any:
    """Append path segments to a base URI; ``./``, ``../`` and segments with ``:`` resolve RFC 3986 style."""
    fn = "::hot::uri/join"
    as_uri = type(base) is Tagged and base.type_path == URI_PATH and type(base.payload) is dict
    text = build_text(base.payload, fn) if as_uri else expect_text(fn, base, "a Str or a Uri")
    parts = parse_uri(text, fn)
    for segment in segments:
        step = expect_text(fn, segment, "Str path segments")
        if step.startswith(("../", "./")) or ":" in step:
            parts = parse_uri(urljoin(build_text(parts, fn), step), fn)
        else:
            path = parts["path"] if parts["path"].endswith("/") else parts["path"] + "/"
            parts["path"] = _percent(path + step.removeprefix("/"), _PATH_SET)
    return make_uri(parts) if as_uri else build_text(parts, fn)
