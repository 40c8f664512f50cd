"""``::hot::uri`` (integrations-spec §4.7): parse, Str, build, join, percent- and form-encoding."""

from __future__ import annotations

import pytest

from hotlang import HotLimitExceeded, Limits
from hotlang.runtime.values import Tagged
from tests.unit.hotlang.stdns import err_text, hot


def parts(text: str) -> dict[str, object]:
    value = hot(f'::hot::uri/parse("{text}")')
    assert type(value) is Tagged and value.type_path == "::hot::uri/Uri", value
    return dict(value.payload)


def test_parse_gives_every_part_with_null_for_missing_ones() -> None:
    assert parts("https://user:pw@Example.COM:8443/a/b?x=1&y=2#top") == {
        "scheme": "https",
        "userinfo": "user:pw",
        "host": "example.com",
        "port": 8443,
        "path": "/a/b",
        "query": "x=1&y=2",
        "fragment": "top",
    }
    assert parts("https://example.com") == {
        "scheme": "https",
        "userinfo": None,
        "host": "example.com",
        "port": None,
        "path": "/",
        "query": None,
        "fragment": None,
    }


def test_only_an_explicit_non_default_port_appears() -> None:
    assert parts("https://x.com:443/")["port"] is None
    assert parts("http://x.com:80/")["port"] is None
    assert parts("http://x.com:8080/")["port"] == 8080
    assert parts("postgres://u@db:5432/app")["port"] == 5432
    assert type(parts("postgres://u@db:5432/app")["port"]) is int


def test_parse_follows_whatwg_normalisation() -> None:
    assert parts("HTTPS://X.com/a/./b/../c")["path"] == "/a/c"
    assert parts("https://x.com/a b?q=a b#f g") | {} == {
        "scheme": "https",
        "userinfo": None,
        "host": "x.com",
        "port": None,
        "path": "/a%20b",
        "query": "q=a%20b",
        "fragment": "f%20g",
    }
    assert parts("https://münchen.de/")["host"] == "xn--mnchen-3ya.de"
    assert parts("https://[::1]:8080/x")["host"] == "[::1]"
    assert parts("mailto:someone@example.com") == {
        "scheme": "mailto",
        "userinfo": None,
        "host": None,
        "port": None,
        "path": "someone@example.com",
        "query": None,
        "fragment": None,
    }
    assert parts("file:///etc/hosts")["path"] == "/etc/hosts"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not a uri", "no scheme"),
        ("/relative/path", "no scheme"),
        ("https://exa mple.com/", "invalid domain character"),
        ("https://x.com:99999/", "invalid port number"),
        ("https://x.com:8o/", "invalid port number"),
        ("https://", "empty host"),
        ("https://[::1/", "invalid IPv6"),
    ],
)
def test_invalid_uris_are_err_values(text: str, reason: str) -> None:
    message = err_text(hot(f'::hot::uri/parse("{text}")'))
    assert message.startswith("::hot::uri/parse: invalid URI: ") and reason in message
    assert hot(f'::hot::uri/is-valid("{text}")') is False
    assert "invalid URI" in err_text(hot(f'::hot::uri/Uri("{text}")'))


def test_is_valid() -> None:
    assert hot('::hot::uri/is-valid("https://ok.com/x?y#z")') is True
    assert hot("::hot::uri/is-valid(5)") is False
    assert hot("::hot::uri/is-valid(null)") is False


def test_str_of_a_uri_rebuilds_it() -> None:
    for text in [
        "https://user:pw@example.com:8443/a/b?x=1#top",
        "https://example.com/",
        "mailto:a@b.c",
        "file:///etc/hosts",
        "postgres://u@db:5432/app?sslmode=require",
    ]:
        assert hot(f'Str(::hot::uri/Uri("{text}"))') == text
    assert hot('u ::hot::uri/Uri("https://x.com/p")\n  `go to ${u}`') == "go to https://x.com/p"
    assert hot('::hot::uri/Uri("https://x.com/p").host') == "x.com"


def test_a_uri_survives_a_json_round_trip() -> None:
    assert hot('u ::hot::uri/Uri("https://x.com:81/p?q#f")\n  eq(u, from-json(to-json(u)))') is True


def test_encode_keeps_only_unreserved_characters() -> None:
    assert hot('::hot::uri/encode("a b/ü~-._?&=+")') == "a%20b%2F%C3%BC~-._%3F%26%3D%2B"
    assert hot('::hot::uri/encode("")') == ""


def test_decode() -> None:
    assert hot('::hot::uri/decode("a%20b+%C3%BC")') == "a b+ü"
    assert hot('::hot::uri/decode("100%")') == "100%"
    assert hot('::hot::uri/decode(::hot::uri/encode("✓ x/y"))') == "✓ x/y"
    assert "not valid UTF-8" in err_text(hot('::hot::uri/decode("%FF")'))
    assert "expects a Str" in err_text(hot("::hot::uri/decode(5)"))


def test_encode_query_stringifies_values_in_map_order() -> None:
    assert hot('::hot::uri/encode-query({q: "a b", n: 1, d: 1.50, t: true, z: null, s: "x&y=ü"})') == (
        "q=a+b&n=1&d=1.50&t=true&z=&s=x%26y%3D%C3%BC"
    )
    assert hot("::hot::uri/encode-query({})") == ""
    assert "expects a Map" in err_text(hot('::hot::uri/encode-query("a=1")'))


def test_query_string_drops_nulls() -> None:
    assert hot("::hot::uri/query-string({a: null})") == ""
    assert hot('::hot::uri/query-string({a: null, b: "x y"})') == "?b=x+y"


def test_decode_query_last_repeat_wins() -> None:
    assert hot('::hot::uri/decode-query("?a=1&b=x+y&a=2&c=%E2%9C%93&flag")') == {
        "a": "2",
        "b": "x y",
        "c": "✓",
        "flag": "",
    }
    assert hot('::hot::uri/decode-query("")') == {}


def test_build_assembles_the_parts_in_order() -> None:
    assert hot('::hot::uri/build({scheme: "https", host: "x.com", query: {q: "a b", n: 2}})') == (
        "https://x.com/?q=a+b&n=2"
    )
    assert (
        hot(
            '::hot::uri/build({scheme: "https", userinfo: "u", host: "x.com", port: 8080, path: "/p", '
            'query: "raw=1", fragment: "top"})'
        )
        == "https://u@x.com:8080/p?raw=1#top"
    )
    assert hot('::hot::uri/build({scheme: "https", host: "x.com", query: {}})') == "https://x.com/"
    assert hot('::hot::uri/build({scheme: "urn", path: "isbn:1"})') == "urn:isbn:1"
    assert err_text(hot('::hot::uri/build({host: "x.com"})')) == "::hot::uri/build: a URI needs a scheme"


def test_join() -> None:
    assert hot('::hot::uri/join("https://x.com/api", "v1", "/users")') == "https://x.com/api/v1/users"
    assert hot('::hot::uri/join("https://x.com/api/", "/v1/", "users")') == "https://x.com/api/v1/users"
    assert hot('::hot::uri/join("https://x.com/a/b", "../c")') == "https://x.com/c"
    assert hot('::hot::uri/join("https://x.com/a/b", "./c")') == "https://x.com/a/c"
    assert hot('::hot::uri/join("https://x.com/a", "https://y.org/z")') == "https://y.org/z"
    joined = hot('::hot::uri/join(::hot::uri/Uri("https://x.com/api"), "v1")')
    assert type(joined) is Tagged and joined.payload["path"] == "/api/v1"
    assert "invalid URI" in err_text(hot('::hot::uri/join("nope", "v1")'))


def test_encoding_respects_max_bytes() -> None:
    with pytest.raises(HotLimitExceeded, match=r"::hot::uri/encode .*\(max_bytes\)"):
        hot('::hot::uri/encode(::hot::str/pad-start("", 40, " "))', limits=Limits(max_bytes=100))


def test_parsing_and_query_decoding_respect_the_size_limits() -> None:
    spaces = '::hot::str/pad-start("", 40, " ")'
    with pytest.raises(HotLimitExceeded, match=r"::hot::uri/parse .*\(max_bytes\)"):
        hot(f"::hot::uri/parse(`https://x.com/?${{{spaces}}}x`)", limits=Limits(max_bytes=100))
    with pytest.raises(HotLimitExceeded, match=r"::hot::uri/decode-query .*\(max_items\)"):
        hot('::hot::uri/decode-query("a=1&b=2&c=3&d=4")', limits=Limits(max_items=3))
