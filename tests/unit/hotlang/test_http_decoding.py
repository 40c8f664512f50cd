"""`::hot::http` pure parts: the stream formats with upstream's quirks, JSON of untrusted text, the
egress policy, URL masking for traces, and the `HOT_HTTP_*` settings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hotlang.library.http_calls import masked_url
from hotlang.library.http_streams import NdjsonDecoder, RawDecoder, SseDecoder, decoder_for, json_or_text
from hotlang.runtime.egress import HttpOptions, is_public, parse_patterns
from services.core.config import HttpSettings, SandboxSettings, SettingsError


def sse(*chunks: bytes) -> list[list[object]]:
    decoder = SseDecoder()
    return [decoder.feed(chunk) for chunk in chunks] + [decoder.finish()]


def test_sse_several_frames_in_one_chunk_come_out_in_order() -> None:
    assert sse(b'data: {"a": 1}\n\nevent: ping\ndata: 2\nid: 7\n\n') == [
        [{"data": {"a": 1}}, {"event": "ping", "data": 2, "id": "7"}], []]


def test_sse_a_chunk_completing_nothing_gives_nothing_and_a_split_frame_completes_later() -> None:
    assert sse(b"data: hel", b"lo\n", b"\n") == [[], [], [{"data": "hello"}], []]


def test_sse_done_marker_stays_a_str_and_values_are_trimmed() -> None:
    assert sse(b"data:   [DONE]  \n\n") == [[{"data": "[DONE]"}], []]


def test_sse_multi_line_data_is_joined_and_parsed_as_json() -> None:
    assert sse(b'data: {"a":\ndata: [1, 2.5]}\n\n') == [[{"data": {"a": [1, Decimal("2.5")]}}], []]


def test_sse_keepalive_comments_and_retry_are_dropped_and_event_without_data_gets_empty_data() -> None:
    assert sse(b": keep-alive\n\nretry: 100\n\nevent: open\n\n") == [[{"event": "open", "data": ""}], []]


def test_sse_last_event_and_id_win() -> None:
    assert sse(b"event: a\nevent: b\nid: 1\nid: 2\ndata: x\n\n") == [[{"event": "b", "data": "x", "id": "2"}], []]


def test_sse_leftover_text_is_one_last_frame_at_the_end() -> None:
    assert sse(b"data: tail") == [[], [{"data": "tail"}]]


def test_sse_crlf_framing_never_splits_and_comes_out_merged_at_the_end() -> None:
    assert sse(b"data: 1\r\n\r\n", b"data: 2\r\n\r\n") == [[], [], [{"data": "1\n2"}]]


def test_sse_a_character_split_across_chunks_is_damaged_like_upstream() -> None:
    euro = "€".encode()
    assert sse(b"data: " + euro[:1], euro[1:] + b"\n\n") == [[], [{"data": "\ufffd\ufffd\ufffd"}], []]


def ndjson(*chunks: bytes) -> list[list[object]]:
    decoder = NdjsonDecoder()
    return [decoder.feed(chunk) for chunk in chunks] + [decoder.finish()]


def test_ndjson_one_line_gives_its_value_several_give_a_vec() -> None:
    assert ndjson(b'{"a":1}\n', b'1\n"x"\nnot json\n') == [[{"a": 1}], [[1, "x", "not json"]], []]


def test_ndjson_a_partial_line_waits_and_blank_lines_are_skipped() -> None:
    assert ndjson(b'{"a"', b":1}\n\n  \n") == [[], [{"a": 1}], []]


def test_ndjson_a_last_line_without_newline_is_dropped() -> None:
    assert ndjson(b"1\n2") == [[1], []]


def test_raw_is_str_when_utf8_and_bytes_otherwise() -> None:
    decoder = RawDecoder()
    assert decoder.feed("héllo".encode()) == ["héllo"]
    assert decoder.feed(b"\xff\x00") == [b"\xff\x00"]


def test_unknown_or_non_str_formats_are_raw() -> None:
    assert isinstance(decoder_for("csv"), RawDecoder)
    assert isinstance(decoder_for(3), RawDecoder)
    assert decoder_for("sse").data_type == "http:sse:event"
    assert decoder_for("ndjson").data_type == "http:ndjson:line"


def test_remote_json_cannot_forge_a_tagged_value_and_constants_are_text() -> None:
    assert json_or_text('{"$type": "::app/Admin", "$val": 1}') == {"$type": "::app/Admin", "$val": 1}
    assert json_or_text("NaN") == "NaN"
    assert json_or_text("123") == 123


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.1.1",
                                     "100.64.0.1", "::1", "fd12::1", "fe80::1", "0.0.0.0", "224.0.0.1",
                                     "::ffff:10.0.0.1"])
def test_non_public_addresses_are_refused_by_default(address: str) -> None:
    refusal = HttpOptions().refusal_for_address("example.com", address)
    assert refusal is not None and "non-public address" in refusal and "HOT_HTTP_ALLOW_PRIVATE" in refusal


def test_public_addresses_pass() -> None:
    assert HttpOptions().refusal_for_address("example.com", "93.184.215.14") is None
    assert HttpOptions().refusal_for_address("example.com", "2606:2800:21f:cb07:6820:80da:af6b:8b2c") is None


@pytest.mark.parametrize("address", ["169.254.169.254", "fd00:ec2::254"])
def test_metadata_addresses_are_refused_even_when_private_ones_are_allowed(address: str) -> None:
    refusal = HttpOptions(allow_private=True).refusal_for_address("x", address)
    assert refusal is not None and "metadata" in refusal
    assert HttpOptions(allow=(address,)).refusal_for_address("x", address) is None


def test_metadata_host_names_are_refused_before_lookup() -> None:
    refusal = HttpOptions(allow_private=True).refusal_for_host("metadata.google.internal")
    assert refusal == "host metadata.google.internal is a cloud metadata service (allow it with HOT_HTTP_ALLOW)"


def test_allow_private_lets_loopback_through() -> None:
    assert HttpOptions(allow_private=True).refusal_for_address("localhost", "127.0.0.1") is None


def test_deny_wins_and_allow_restricts_with_globs_and_networks() -> None:
    options = HttpOptions(allow=("*.example.com", "10.5.0.0/16"), deny=("bad.example.com",))
    assert options.refusal_for_host("bad.example.com") == "host bad.example.com is denied by HOT_HTTP_DENY"
    assert options.refusal_for_host("api.example.com") is None
    assert options.refusal_for_host("example.com") is None
    assert options.refusal_for_host("other.org") == "host other.org is not in HOT_HTTP_ALLOW"
    assert options.refusal_for_address("internal", "10.5.1.1") is None  # allowed network, private or not
    assert options.refusal_for_address("api.example.com", "10.9.0.1") is None  # the host is allowed
    assert options.refusal_for_address("other", "8.8.8.8") == "address 8.8.8.8 of other is not in HOT_HTTP_ALLOW"


def test_is_public() -> None:
    assert is_public(__import__("ipaddress").ip_address("1.1.1.1"))
    assert not is_public(__import__("ipaddress").ip_address("198.18.0.1"))


def test_masked_url_hides_query_values_and_user_info() -> None:
    assert masked_url("https://u:p@api.example.com/v1/x?key=sk-123&flag") == \
        "https://api.example.com/v1/x?key=***&flag=***"
    assert masked_url("http://h/p") == "http://h/p"


def test_settings_defaults_and_env() -> None:
    assert HttpSettings.from_env({}) == HttpSettings()
    assert (HttpSettings().connect_timeout_s, HttpSettings().request_timeout_s, HttpSettings().stream_timeout_s) == \
        (30.0, 120.0, 300.0)
    assert HttpSettings().max_response_bytes == 10 * 1024 * 1024
    read = HttpSettings.from_env({"HOT_HTTP_ALLOW": " A.example.com, *.b.org ,", "HOT_HTTP_DENY": "c.org",
                                  "HOT_HTTP_ALLOW_PRIVATE": "1", "HOT_HTTP_MAX_REDIRECTS": "3",
                                  "HOT_HTTP_MAX_RESPONSE_BYTES": "100", "HOT_HTTP_STREAM_TIMEOUT": "5"})
    assert (read.allow, read.deny, read.allow_private, read.max_redirects, read.max_response_bytes,
            read.stream_timeout_s) == (("a.example.com", "*.b.org"), ("c.org",), True, 3, 100, 5.0)
    assert SandboxSettings.from_env({"HOT_HTTP_ALLOW_PRIVATE": "yes"}).http.allow_private
    with pytest.raises(SettingsError, match="HOT_HTTP_REQUEST_TIMEOUT must be above 0"):
        HttpSettings.from_env({"HOT_HTTP_REQUEST_TIMEOUT": "0"})
    assert parse_patterns("a, B") == ("a", "b")
